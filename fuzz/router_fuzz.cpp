// The router on any method and raw path: a match names a registered pattern, a 405 an Allow.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "freshlane/http/router.hpp"

using namespace freshlane::http;

namespace {
const Router& shop_router() {
  static const Router router = [] {
    Router r;
    const Handler ok = [](Request&&, Responder done) { done(Response{}); };
    for (const char* p : {"/v1/stores", "/v1/stores/{store_id}", "/v1/stores/{store_id}/products",
                          "/v1/stores/{store_id}/products/{sku}", "/v1/scan/{code}",
                          "/v1/orders/{order_id}/pack", "/v1/couriers/me/trip", "/healthz"}) {
      r.add("GET", p, ok);
    }
    r.add("POST", "/v1/stores", ok);
    r.add("PUT", "/v1/stores/{store_id}/products/{sku}", ok);
    r.add("POST", "/v1/orders/{order_id}/pack", ok);
    return r;
  }();
  return router;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", ""};
  const std::string_view method = kMethods[data[0] % 8];
  const std::string_view path(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto m = shop_router().match(method, path);
  using Outcome = Router::Match::Outcome;
  if (m.outcome == Outcome::kFound && (m.handler == nullptr || m.route.empty())) std::abort();
  if (m.outcome == Outcome::kMethodNotAllowed && m.allow.empty()) std::abort();
  return 0;
}
