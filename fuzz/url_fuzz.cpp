// Percent-decoding, query parsing, UTF-8 checking and the target check the server runs before
// routing: total functions on any bytes, and whatever target_problem() passes decodes cleanly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "freshlane/core/utf8.hpp"
#include "freshlane/http/url.hpp"

using namespace freshlane::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto q = in.find('?');
  const std::string_view path = in.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : in.substr(q + 1);
  percent_decode(in, false);
  percent_decode(in, true);
  freshlane::core::is_utf8(in);
  parse_query(query);
  if (!target_problem(path, query)) {
    // The server serves this target as text: its path must decode to UTF-8 without NUL.
    const auto decoded = percent_decode(path, false);
    if (!decoded || !freshlane::core::is_utf8(*decoded) || decoded->find('\0') != std::string::npos)
      std::abort();
  }
  return 0;
}
