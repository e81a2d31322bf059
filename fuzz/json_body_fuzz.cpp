// The request-body reader: any bytes either read as an object or end in core::Error (400
// malformed_json / validation_failed); nothing else may escape, crash or leak.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/json_body.hpp"

using freshlane::api::BodyReader;
using freshlane::api::Need;
using freshlane::api::ObjectReader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  freshlane::api::is_json_media_type(body);
  try {
    BodyReader r(body);
    r.string("name", Need::kOptional);
    r.integer("quantity", Need::kOptional, 1, 999);
    r.number("lat", Need::kOptional, -90, 90);
    r.timestamp("expires_at", Need::kOptional);
    r.strings("tags", Need::kOptional, 20);
    if (auto d = r.object("delivery", Need::kOptional)) {
      d->string("address", Need::kRequired);
      d->reject_unknown();
    }
    r.objects("lines", Need::kOptional, 50, [](ObjectReader& line) {
      line.string("sku", Need::kRequired, 1, 64);
      line.integer("quantity", Need::kRequired, 1, 999);
    });
    r.reject_unknown();
    r.finish();
  } catch (const freshlane::core::Error&) {
    // A 400 for the client: expected.
  }
  return 0;
}
