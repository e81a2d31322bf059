// RFC 3339 date-times from request bodies: never a crash, and what parses formats back to a
// time that parses to the same instant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "freshlane/core/time.hpp"

using namespace freshlane::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto t = parse_rfc3339(in);
  if (t) {
    const auto again = parse_rfc3339(format_rfc3339(*t));
    if (!again || *again != *t) std::abort();
  }
  return 0;
}
