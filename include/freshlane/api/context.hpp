#pragma once
// What every resource handler may use. Built once by the composition root (app/).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "freshlane/api/answer_cache.hpp"
#include "freshlane/api/dispatch_desks.hpp"
#include "freshlane/api/event_hub.hpp"
#include "freshlane/api/recent.hpp"
#include "freshlane/catalog/qr_code.hpp"
#include "freshlane/core/crypto.hpp"
#include "freshlane/core/rate_limit.hpp"
#include "freshlane/core/time.hpp"
#include "freshlane/http/metrics.hpp"
#include "freshlane/storage/account_repository.hpp"
#include "freshlane/storage/pool.hpp"
#include "freshlane/store/floors.hpp"

namespace freshlane::api {

// Token buckets where abuse is cheap (core/rate_limit.hpp), in this process's memory.
struct RateLimits {
  RateLimits(core::RateRule sign_ups_rule, core::RateRule failed_auth_rule,
             core::RateRule quotes_rule, core::RateRule orders_rule, std::size_t max_keys)
      : sign_ups(sign_ups_rule, max_keys),
        failed_auth(failed_auth_rule, max_keys),
        quotes(quotes_rule, max_keys),
        orders(orders_rule, max_keys) {}
  core::RateLimiter sign_ups;     // POST /v1/customers, per client address
  core::RateLimiter failed_auth;  // unknown or malformed bearer tokens, per client address
  core::RateLimiter quotes;       // GET /v1/delivery/quote, per client address
  core::RateLimiter orders;       // POST /v1/orders, per customer
};

// Codes offered at the door and at the counter that opened nothing.
struct HandoverCodeCounts {
  std::atomic<std::uint64_t> door_refused{0}, counter_refused{0};
};

struct Context {
  storage::Pool& pool;
  http::Metrics& metrics;
  store::Floors& floors;
  DispatchDesks& desks;
  AnswerCache& answers;
  catalog::QrCodec qr;
  std::string admin_token;
  std::string payment_webhook_secret;
  std::chrono::seconds payment_window{900};
  int max_pending_orders = 3;
  std::function<core::Timestamp()> now = core::system_now;
  // Rows read on every order and every authenticated call, remembered a few seconds.
  mutable Recent<storage::TokenOwner> tokens{std::chrono::seconds(10)};
  mutable Recent<catalog::Store> stores{std::chrono::seconds(5)};
  // What one customer may hold in unpaid orders (FRESHLANE_MAX_HELD_*).
  int max_held_units = 200;
  long long max_held_value_minor = 500000;
  // Null: no rate limits (a router built only to list its routes).
  std::shared_ptr<RateLimits> limits{};
  // Door and counter codes: the key they are derived under (never stored; by default one of
  // this process alone), the wrong ones one person may offer for one order, and the refused
  // offers counted for /metrics.
  core::HandoverCodeKey handover_codes{};
  int handover_code_attempts = 5;
  std::shared_ptr<HandoverCodeCounts> handover_code_counts = std::make_shared<HandoverCodeCounts>();
  // Live event streams of this process (api/event_hub.hpp), fed by a poll in app/.
  std::shared_ptr<EventHub> events = std::make_shared<EventHub>();
  // The stores' local time zone (FRESHLANE_TIMEZONE): where "today" begins on the board.
  std::string timezone = "Asia/Shanghai";
};

}  // namespace freshlane::api
