#pragma once
// Helpers for order tests: a store with stock, customers, orders, signed payment webhooks.
#include <future>
#include <random>
#include <thread>

#include "api/api_fixture.hpp"
#include "freshlane/core/crypto.hpp"
#include "freshlane/core/time.hpp"

namespace freshlane::testing {

inline constexpr const char* kPaymentSecret = "test-payment-secret-0123456789";

inline std::string hours_from_now(int h) {
  return core::format_rfc3339(core::system_now() + std::chrono::hours(h));
}

// The value of an unlabelled series in a /metrics text, or -1 when it is absent.
inline double metric_value(const std::string& metrics, const std::string& series) {
  const size_t at = metrics.find("\n" + series + " ");
  return at == std::string::npos ? -1.0 : std::stod(metrics.substr(at + series.size() + 2));
}

inline Header bearer(const std::string& token) { return {"Authorization", "Bearer " + token}; }

struct Shop {
  const ServerProcess& server;

  void store(const std::string& id, double lat = 31.2536, double lon = 121.5907,
             int promise_minutes = 30) const {
    const auto r = server.admin("POST", "/v1/stores",
                                nlohmann::json{{"store_id", id},
                                               {"name", id},
                                               {"lat", lat},
                                               {"lon", lon},
                                               {"promise_minutes", promise_minutes}}
                                    .dump());
    if (r.status != 201) throw std::runtime_error("store: " + r.body);
  }
  // Creates the product if needed (sold `unit`: each, or by weight, 500g or kg), lists it at
  // `price`, receives one lot of `qty` (grams, sold by weight): that lot, or null for none.
  nlohmann::json stock(const std::string& store_id, const std::string& sku, int qty,
                       int price = 1000, int expires_in_h = 72, const std::string& zone = "produce",
                       const std::string& unit = "each") const {
    server.admin("POST", "/v1/products",
                 nlohmann::json{{"sku", sku},
                                {"name", sku + " 商品"},
                                {"category", "produce"},
                                {"unit", unit},
                                {"storage", "chilled"}}
                     .dump());
    auto r = server.admin(
        "PUT", "/v1/stores/" + store_id + "/products/" + sku,
        nlohmann::json{{"price_minor", price}, {"zone", zone}, {"shelf", "A1"}}.dump());
    if (r.status != 200) throw std::runtime_error("listing: " + r.body);
    if (qty > 0) {
      r = server.admin("POST", "/v1/stores/" + store_id + "/lots",
                       nlohmann::json{{"sku", sku},
                                      {"quantity", qty},
                                      {"origin", "Chongming"},
                                      {"produced_at", hours_from_now(-24)},
                                      {"expires_at", hours_from_now(expires_in_h)}}
                           .dump());
      if (r.status != 201) throw std::runtime_error("lot: " + r.body);
      return r.json();
    }
    return nullptr;
  }
  long long available(const std::string& store_id, const std::string& sku) const {
    return server.get("/v1/stores/" + store_id + "/products/" + sku).json()["available"];
  }
  std::string customer() const {
    static std::atomic<long long> n{13800000000LL + (::getpid() % 1000) * 100000};
    const auto r = server.send(
        "POST", "/v1/customers",
        nlohmann::json{{"phone", "+86" + std::to_string(n++)}, {"name", "顾客"}}.dump());
    if (r.status != 201) throw std::runtime_error("customer: " + r.body);
    return r.json()["token"];
  }
  std::string staff(const std::string& store_id, const std::string& job) const {
    const auto r = server.admin("POST", "/v1/stores/" + store_id + "/staff",
                                nlohmann::json{{"name", job}, {"job", job}}.dump());
    if (r.status != 201) throw std::runtime_error("staff: " + r.body);
    return r.json()["token"];
  }
  // A courier of the store, clocked in.
  std::string courier_on_shift(const std::string& store_id) const {
    const std::string token = courier(store_id);
    const auto r =
        server.send("POST", "/v1/stores/" + store_id + "/couriers/clock-in", "{}", {bearer(token)});
    if (r.status != 200) throw std::runtime_error("clock-in: " + r.body);
    return token;
  }
  // A picker of the store, clocked in to `zone` (a store with nobody to pick refuses delivery
  // orders). Pickers silent for the layout's picker_timeout (300 s) are timed out.
  std::string picker_on_shift(const std::string& store_id,
                              const std::string& zone = "produce") const {
    const std::string token = staff(store_id, "picker");
    const auto r = server.send("POST", "/v1/stores/" + store_id + "/pickers/clock-in",
                               nlohmann::json{{"zone", zone}}.dump(), {bearer(token)});
    if (r.status != 200) throw std::runtime_error("picker clock-in: " + r.body);
    return token;
  }
  std::string courier(const std::string& store_id) const {
    const auto r =
        server.admin("POST", "/v1/stores/" + store_id + "/couriers", R"({"name": "Zhang"})");
    if (r.status != 201) throw std::runtime_error("courier: " + r.body);
    return r.json()["token"];
  }
  static nlohmann::json order_body(const std::string& store_id,
                                   const std::vector<std::pair<std::string, int>>& lines,
                                   const std::string& fulfillment = "pickup") {
    nlohmann::json j{
        {"store_id", store_id}, {"fulfillment", fulfillment}, {"lines", nlohmann::json::array()}};
    for (const auto& [sku, q] : lines) j["lines"].push_back({{"sku", sku}, {"quantity", q}});
    if (fulfillment == "delivery")
      j["delivery"] = {{"lat", 31.2550}, {"lon", 121.5950}, {"address", "金桥路 100 号"}};
    return j;
  }
  HttpResponse order(const std::string& token, const nlohmann::json& body,
                     const std::string& key) const {
    return server.send("POST", "/v1/orders", body.dump(),
                       {bearer(token), {"Idempotency-Key", key}});
  }
  static std::string signature(const std::string& body, long long t) {
    return "t=" + std::to_string(t) +
           ",v1=" + core::to_hex(core::hmac_sha256(kPaymentSecret, std::to_string(t) + "." + body));
  }
  HttpResponse pay(const std::string& order_id, long long amount, const std::string& event_id,
                   const std::string& status = "succeeded") const {
    const std::string body = nlohmann::json{
        {"event_id", event_id},
        {"order_id", order_id},
        {"status", status},
        {"amount_minor", amount}}.dump();
    const long long now = core::system_now().time_since_epoch().count();
    return server.send("POST", "/v1/payments/webhook", body,
                       {{"X-Freshlane-Signature", signature(body, now)}});
  }
};

// A staff terminal, a courier's or a customer's app: one token.
struct Terminal {
  const ServerProcess* server;
  std::string token;
  Terminal(const ServerProcess& s, std::string t) : server(&s), token(std::move(t)) {}
  HttpResponse post(const std::string& path,
                    const nlohmann::json& body = nlohmann::json::object()) const {
    return server->send("POST", path, body.dump(), {bearer(token)});
  }
  HttpResponse get(const std::string& path) const { return server->get(path, {bearer(token)}); }
};

// Runs `n` calls of `f(i)` at once and returns their results in order.
template <typename F>
auto concurrently(int n, F f) {
  std::vector<std::future<decltype(f(0))>> futures;
  std::promise<void> go;
  auto start = go.get_future().share();
  for (int i = 0; i < n; ++i) {
    futures.push_back(std::async(std::launch::async, [&f, start, i] {
      start.wait();
      return f(i);
    }));
  }
  go.set_value();
  std::vector<decltype(f(0))> out;
  for (auto& fu : futures) out.push_back(fu.get());
  return out;
}

}  // namespace freshlane::testing
