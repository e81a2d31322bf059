// Decoding whatever a camera read in the aisle: never a crash, and only a code this secret
// signed decodes as a lot or shelf code (the fuzzer cannot forge an HMAC-SHA256).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "freshlane/catalog/qr_code.hpp"

using namespace freshlane::catalog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const QrCodec codec("fuzz-qr-secret-0123456789");
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const DecodedCode decoded = codec.decode(in);
  if (const auto* lot = std::get_if<LotCode>(&decoded)) {
    if (codec.lot_code(lot->lot_id) != in) std::abort();
  }
  return 0;
}
