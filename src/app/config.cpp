#include "freshlane/app/config.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string_view>
#include <type_traits>

#include "freshlane/http/server.hpp"
#include "freshlane/storage/errors.hpp"

namespace freshlane::app {

namespace {
constexpr size_t kMinSecretLength = 16;
// Settings that may also come from a file: NAME_FILE.
constexpr const char* kSecretSettings[] = {"FRESHLANE_DATABASE_URL", "FRESHLANE_ADMIN_TOKEN",
                                           "FRESHLANE_QR_SECRET",
                                           "FRESHLANE_PAYMENT_WEBHOOK_SECRET"};

template <typename T>
T parse_integer(const std::string& name, const std::string& text, T min, T max) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    throw ConfigError(name + ": expected an integer from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got '" + text + "'");
  }
  return v;
}

void parse_listen(const std::string& text, Config& c) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw ConfigError("FRESHLANE_LISTEN: expected host:port such as 127.0.0.1:8080, got '" + text +
                      "'");
  }
  c.listen_host = text.substr(0, colon);
  if (c.listen_host.size() > 2 && c.listen_host.front() == '[' && c.listen_host.back() == ']') {
    c.listen_host = c.listen_host.substr(1, c.listen_host.size() - 2);
  }
  c.listen_port =
      parse_integer<unsigned short>("FRESHLANE_LISTEN port", text.substr(colon + 1), 0, 65535);
}
}  // namespace

const std::vector<SettingInfo>& settings() {
  static const std::vector<SettingInfo> all{
      {"FRESHLANE_DATABASE_URL", "",
       "PostgreSQL connection URL (libpq syntax). This and the three secrets below may instead "
       "come from a file: NAME_FILE=/run/secrets/..."},
      {"FRESHLANE_LISTEN", "127.0.0.1:8080", "host:port to listen on (port 0 = any free port)"},
      {"FRESHLANE_THREADS", "2", "HTTP I/O threads"},
      {"FRESHLANE_DB_POOL_SIZE", "8", "PostgreSQL connections (one worker thread each)"},
      {"FRESHLANE_DB_MAX_QUEUE", "1024", "requests waiting for a connection before 503"},
      {"FRESHLANE_STATEMENT_TIMEOUT_MS", "5000",
       "limit for one SQL statement (locks wait half of it; an idle transaction ends after it)"},
      {"FRESHLANE_DB_PREPARE", "1",
       "1: prepare named statements per connection and set its timeouts; 0: behind pgbouncer in "
       "transaction mode (its connect_query sets them: scripts/pgbouncer-config)"},
      {"FRESHLANE_LOG_LEVEL", "info", "trace, debug, info, warn, error, off"},
      {"FRESHLANE_LOG_FORMAT", "text",
       "text: \"<UTC time> <level> <message>\" lines; json: one JSON object per line"},
      {"FRESHLANE_LOG_FILE", "(stdout)",
       "append logs to this file instead of stdout (SIGHUP reopens it, for logrotate)"},
      {"FRESHLANE_ADMIN_TOKEN", "", "bearer token of the admin role (16+ characters; serve)"},
      {"FRESHLANE_QR_SECRET", "", "HMAC key signing QR codes (16+ characters; serve)"},
      {"FRESHLANE_PAYMENT_WEBHOOK_SECRET", "",
       "HMAC key of payment webhooks (16+ characters; serve)"},
      {"FRESHLANE_BODY_LIMIT_BYTES", "1048576", "largest request body; larger → 413"},
      {"FRESHLANE_IDLE_TIMEOUT_MS", "30000", "time to receive a whole request head"},
      {"FRESHLANE_IO_TIMEOUT_MS", "10000", "time to receive a body or send a response"},
      {"FRESHLANE_SHUTDOWN_GRACE_MS", "10000", "time in-flight requests get on SIGTERM"},
      {"FRESHLANE_MAX_CONNECTIONS", "10000", "open connections; more → 503"},
      {"FRESHLANE_MAX_CONNECTIONS_PER_CLIENT", "256",
       "open connections from one client address (IPv6: one /64); more → 503 to that client "
       "(0 = no cap: behind a load balancer, which is one client)"},
      {"FRESHLANE_TRUSTED_PROXIES", "none",
       "comma-separated addresses or CIDR blocks of load balancers whose X-Forwarded-For names "
       "the client (for rate limits and logs); empty: the peer is the client"},
      {"FRESHLANE_PAYMENT_WINDOW_SECONDS", "900", "an unpaid order expires after this"},
      {"FRESHLANE_REFUND_URL", "",
       "http:// URL of the payment provider's refund endpoint (signed POST, Idempotency-Key: the "
       "refund id); empty: refunds stay owed until it is set"},
      {"FRESHLANE_REFUND_RETRY_BASE_MS", "2000",
       "wait before a refund's second attempt; doubles each attempt (at most 10 minutes)"},
      {"FRESHLANE_REFUND_MAX_ATTEMPTS", "12", "attempts before a refund is marked failed"},
      {"FRESHLANE_MAX_PENDING_ORDERS", "3", "unpaid orders one customer may hold; more → 429"},
      {"FRESHLANE_HANDOVER_CODE_ATTEMPTS", "5",
       "wrong door or counter codes one courier or staff member may offer for one order; then "
       "423 code_locked until a manager of the store unlocks it"},
      {"FRESHLANE_MAX_HELD_UNITS", "200",
       "units one customer may hold in unpaid orders (all stores together); more → 422 "
       "hold_limit_exceeded"},
      {"FRESHLANE_MAX_HELD_VALUE_MINOR", "500000",
       "value one customer may hold in unpaid orders, in minor units (500000 = ¥5,000); more → "
       "422 hold_limit_exceeded"},
      {"FRESHLANE_RATE_SIGNUPS_PER_MINUTE", "10",
       "sign-ups one client address (IPv6: one /64) may make a minute, after a burst; more → 429 "
       "rate_limited with Retry-After. Every FRESHLANE_RATE_* limit is kept in each process's "
       "memory (N processes: up to N times the budget) and 0 turns it off (behind a proxy that "
       "hides client addresses, the per-address ones)"},
      {"FRESHLANE_RATE_SIGNUP_BURST", "20", "sign-ups one address may make at once"},
      {"FRESHLANE_RATE_FAILED_AUTH_PER_MINUTE", "20",
       "requests with an unknown or malformed bearer token one address may make a minute; once "
       "spent, its requests with a token not recently seen → 429"},
      {"FRESHLANE_RATE_FAILED_AUTH_BURST", "20",
       "failed authentications one address may make at once"},
      {"FRESHLANE_RATE_QUOTES_PER_MINUTE", "120", "delivery quotes one address may ask a minute"},
      {"FRESHLANE_RATE_QUOTE_BURST", "60", "delivery quotes one address may ask at once"},
      {"FRESHLANE_RATE_ORDERS_PER_MINUTE", "30",
       "order placements (retries included) one customer may make a minute"},
      {"FRESHLANE_RATE_ORDER_BURST", "10", "order placements one customer may make at once"},
      {"FRESHLANE_RATE_MAX_KEYS", "100000",
       "addresses or customers each limit remembers; beyond, the least recently seen is forgotten"},
      {"FRESHLANE_SWEEP_INTERVAL_MS", "5000", "how often unpaid orders are expired"},
      {"FRESHLANE_EVENT_RETENTION_MONTHS", "13",
       "months of floor and delivery events kept (older months are dropped whole by the sweep)"},
      {"FRESHLANE_FLOOR_TICK_MS", "1000",
       "how often picking floors move on (bags arrive, silent pickers time out)"},
      {"FRESHLANE_DISPATCH_INTERVAL_MS", "3000",
       "how often each store's dispatch round plans trips for packed delivery orders"},
      {"FRESHLANE_MAX_ORDERS_PER_TRIP", "3", "orders one courier carries on one trip, at most"},
      {"FRESHLANE_BATCH_WAIT_SECONDS", "240",
       "how long a packed order with time to spare waits for another heading its way"},
      {"FRESHLANE_COURIER_SPEED_KMH", "15", "couriers' average speed, for ETAs and plans"},
      {"FRESHLANE_DETOUR_PERCENT", "130",
       "street distance as a percentage of the straight-line distance"},
      {"FRESHLANE_PACKING_SECONDS", "120", "time to pack an order, in the delivery ETA"},
      {"FRESHLANE_ANSWER_CACHE_MS", "500",
       "how long a product or scan answer, or a store's load for quotes, is served from memory "
       "at most (0 = off, up to 1000)"},
      {"FRESHLANE_PAGE_CACHE_MS", "5000",
       "how long a catalog list or search page is served from memory at most when no change in "
       "its store arrives first (up to 60000; 0 = off, as is FRESHLANE_ANSWER_CACHE_MS=0)"},
      {"FRESHLANE_EVENTS_POLL_MS", "200",
       "how often a process reads new store events for the live streams it serves"},
      {"FRESHLANE_STREAMS_PER_STORE", "200", "open event streams about one store, per process"},
      {"FRESHLANE_STREAMS_PER_CLIENT", "4", "open event streams of one token, per process"},
      {"FRESHLANE_STREAM_HEARTBEAT_MS", "15000",
       "a comment line on an event stream after this long without an event"},
      {"FRESHLANE_STREAM_LIFETIME_S", "3600",
       "an event stream ends after this long; the client resumes and its token is checked again"},
      {"FRESHLANE_TIMEZONE", "Asia/Shanghai",
       "the stores' time zone (IANA name): where the board's day begins"},
  };
  return all;
}

namespace {
// A secret's value from NAME, or from the file NAME_FILE names (Docker and Kubernetes secrets),
// without its trailing newline.
std::optional<std::string> secret_setting(const EnvLookup& env, const std::string& name) {
  const auto direct = env(name);
  const auto file = env(name + "_FILE");
  if (!file) return direct;
  if (direct) throw ConfigError(name + " and " + name + "_FILE are both set: set one");
  std::ifstream in(*file, std::ios::binary);
  if (!in) throw ConfigError(name + "_FILE: cannot read '" + *file + "'");
  std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}
}  // namespace

Config load_config(const EnvLookup& env, Purpose purpose) {
  Config c;
  auto get = [&](const char* name) -> std::optional<std::string> {
    for (const char* secret : kSecretSettings) {
      if (std::string_view(name) == secret) return secret_setting(env, name);
    }
    return env(name);
  };
  auto required = [&](const char* name) {
    auto v = get(name);
    if (!v || v->empty()) throw ConfigError(std::string(name) + ": required but not set");
    return *v;
  };
  auto secret = [&](const char* name) {
    std::string v = required(name);
    if (v.size() < kMinSecretLength) {
      throw ConfigError(std::string(name) + ": must be at least " +
                        std::to_string(kMinSecretLength) + " characters");
    }
    return v;
  };
  // An integer setting within [min, max] into its field, when set.
  auto integer = [&](const char* name, auto& field, auto min, auto max) {
    using T = std::remove_reference_t<decltype(field)>;
    if (auto v = get(name)) {
      field = parse_integer<T>(name, *v, static_cast<T>(min), static_cast<T>(max));
    }
  };
  c.database_url = required("FRESHLANE_DATABASE_URL");
  if (const auto why = storage::database_url_problem(c.database_url)) {
    throw ConfigError("FRESHLANE_DATABASE_URL: not a connection URL libpq can read: " + *why);
  }
  if (auto v = get("FRESHLANE_LISTEN")) parse_listen(*v, c);
  integer("FRESHLANE_THREADS", c.threads, 1, 64);
  integer("FRESHLANE_DB_POOL_SIZE", c.db_pool_size, 1, 256);
  integer("FRESHLANE_DB_MAX_QUEUE", c.db_max_queue, 1, 1'000'000);
  integer("FRESHLANE_STATEMENT_TIMEOUT_MS", c.statement_timeout_ms, 100, 600'000);
  if (auto v = get("FRESHLANE_DB_PREPARE")) {
    if (*v != "0" && *v != "1") {
      throw ConfigError("FRESHLANE_DB_PREPARE: expected 0 or 1, got '" + *v + "'");
    }
    c.db_prepare = *v == "1";
  }
  if (auto v = get("FRESHLANE_LOG_LEVEL")) {
    static const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
    bool ok = false;
    for (const char* l : kLevels) ok = ok || *v == l;
    if (!ok) {
      throw ConfigError(
          "FRESHLANE_LOG_LEVEL: expected trace, debug, info, warn, error or off, got '" + *v + "'");
    }
    c.log_level = *v;
  }
  if (auto v = get("FRESHLANE_LOG_FORMAT")) {
    if (*v != "text" && *v != "json") {
      throw ConfigError("FRESHLANE_LOG_FORMAT: expected text or json, got '" + *v + "'");
    }
    c.log_format = *v;
  }
  if (auto v = get("FRESHLANE_LOG_FILE")) c.log_file = *v;
  if (auto v = get("FRESHLANE_REFUND_URL")) {
    if (!v->empty() && v->rfind("http://", 0) != 0) {
      throw ConfigError("FRESHLANE_REFUND_URL: expected an http:// URL, got '" + *v + "'");
    }
    c.refund_url = *v;
  }
  integer("FRESHLANE_REFUND_RETRY_BASE_MS", c.refund_retry_base_ms, 10, 600'000);
  integer("FRESHLANE_REFUND_MAX_ATTEMPTS", c.refund_max_attempts, 1, 100);
  integer("FRESHLANE_BODY_LIMIT_BYTES", c.body_limit_bytes, 1024, 64u << 20);
  integer("FRESHLANE_IDLE_TIMEOUT_MS", c.idle_timeout_ms, 100, 3'600'000);
  integer("FRESHLANE_IO_TIMEOUT_MS", c.io_timeout_ms, 100, 3'600'000);
  integer("FRESHLANE_SHUTDOWN_GRACE_MS", c.shutdown_grace_ms, 0, 600'000);
  integer("FRESHLANE_MAX_CONNECTIONS", c.max_connections, 1, 1'000'000);
  integer("FRESHLANE_MAX_CONNECTIONS_PER_CLIENT", c.max_connections_per_client, 0, 1'000'000);
  if (auto v = get("FRESHLANE_TRUSTED_PROXIES")) {
    std::size_t start = 0;
    while (start <= v->size()) {
      const auto comma = std::min(v->find(',', start), v->size());
      std::string item = v->substr(start, comma - start);
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (!item.empty()) {
        if (const auto why = http::network_problem(item)) {
          throw ConfigError("FRESHLANE_TRUSTED_PROXIES: " + *why);
        }
        c.trusted_proxies.push_back(item);
      }
      start = comma + 1;
    }
  }
  integer("FRESHLANE_PAYMENT_WINDOW_SECONDS", c.payment_window_seconds, 1, 86400);
  integer("FRESHLANE_MAX_PENDING_ORDERS", c.max_pending_orders, 1, 1000);
  integer("FRESHLANE_MAX_HELD_UNITS", c.max_held_units, 1, 1'000'000);
  integer("FRESHLANE_HANDOVER_CODE_ATTEMPTS", c.handover_code_attempts, 1, 100);
  integer("FRESHLANE_MAX_HELD_VALUE_MINOR", c.max_held_value_minor, 1, 1'000'000'000'000LL);
  integer("FRESHLANE_RATE_SIGNUPS_PER_MINUTE", c.rate_signups_per_minute, 0, 1'000'000);
  integer("FRESHLANE_RATE_SIGNUP_BURST", c.rate_signup_burst, 1, 1'000'000);
  integer("FRESHLANE_RATE_FAILED_AUTH_PER_MINUTE", c.rate_failed_auth_per_minute, 0, 1'000'000);
  integer("FRESHLANE_RATE_FAILED_AUTH_BURST", c.rate_failed_auth_burst, 1, 1'000'000);
  integer("FRESHLANE_RATE_QUOTES_PER_MINUTE", c.rate_quotes_per_minute, 0, 1'000'000);
  integer("FRESHLANE_RATE_QUOTE_BURST", c.rate_quote_burst, 1, 1'000'000);
  integer("FRESHLANE_RATE_ORDERS_PER_MINUTE", c.rate_orders_per_minute, 0, 1'000'000);
  integer("FRESHLANE_RATE_ORDER_BURST", c.rate_order_burst, 1, 1'000'000);
  integer("FRESHLANE_RATE_MAX_KEYS", c.rate_max_keys, 16, 100'000'000);
  integer("FRESHLANE_SWEEP_INTERVAL_MS", c.sweep_interval_ms, 50, 3'600'000);
  integer("FRESHLANE_EVENT_RETENTION_MONTHS", c.event_retention_months, 1, 1200);
  integer("FRESHLANE_FLOOR_TICK_MS", c.floor_tick_ms, 50, 60'000);
  integer("FRESHLANE_MARKDOWN_INTERVAL_MS", c.markdown_interval_ms, 0, 3'600'000);
  integer("FRESHLANE_DISPATCH_INTERVAL_MS", c.dispatch_interval_ms, 100, 600'000);
  integer("FRESHLANE_MAX_ORDERS_PER_TRIP", c.max_orders_per_trip, 1, 10);
  integer("FRESHLANE_BATCH_WAIT_SECONDS", c.batch_wait_seconds, 0, 1800);
  integer("FRESHLANE_COURIER_SPEED_KMH", c.courier_speed_kmh, 1, 120);
  integer("FRESHLANE_DETOUR_PERCENT", c.detour_percent, 100, 300);
  integer("FRESHLANE_PACKING_SECONDS", c.packing_seconds, 0, 3600);
  integer("FRESHLANE_ANSWER_CACHE_MS", c.answer_cache_ms, 0, 1000);  // sold out shows within 1 s
  integer("FRESHLANE_PAGE_CACHE_MS", c.page_cache_ms, 0, 60'000);
  integer("FRESHLANE_EVENTS_POLL_MS", c.events_poll_ms, 20, 60'000);
  integer("FRESHLANE_STREAMS_PER_STORE", c.streams_per_store, 1, 100'000);
  integer("FRESHLANE_STREAMS_PER_CLIENT", c.streams_per_client, 1, 1000);
  integer("FRESHLANE_STREAM_HEARTBEAT_MS", c.stream_heartbeat_ms, 50, 300'000);
  integer("FRESHLANE_STREAM_LIFETIME_S", c.stream_lifetime_s, 1, 86'400);
  if (auto v = get("FRESHLANE_TIMEZONE")) {
    const bool plain = !v->empty() && v->size() <= 64 &&
                       v->find_first_not_of(
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                           "0123456789/_+-") == std::string::npos;
    if (!plain) {
      throw ConfigError(
          "FRESHLANE_TIMEZONE: expected an IANA time zone name such as "
          "Asia/Shanghai, got '" +
          *v + "'");
    }
    c.timezone = *v;
  }
  if (purpose == Purpose::kServe) {
    c.admin_token = secret("FRESHLANE_ADMIN_TOKEN");
    c.qr_secret = secret("FRESHLANE_QR_SECRET");
    c.payment_webhook_secret = secret("FRESHLANE_PAYMENT_WEBHOOK_SECRET");
  } else {
    c.admin_token = get("FRESHLANE_ADMIN_TOKEN").value_or("");
    c.qr_secret = get("FRESHLANE_QR_SECRET").value_or("");
  }
  return c;
}

dispatch::Params delivery_params(const Config& c) {
  dispatch::Params p;
  p.max_orders_per_trip = c.max_orders_per_trip;
  p.batch_wait = std::chrono::seconds(c.batch_wait_seconds);
  p.courier_speed_mps = c.courier_speed_kmh / 3.6;
  p.detour_factor = c.detour_percent / 100.0;
  return p;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace freshlane::app
