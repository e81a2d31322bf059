#include "freshlane/app/config.hpp"

#include <charconv>
#include <cstdlib>
#include <type_traits>

namespace freshlane::app {

namespace {
constexpr size_t kMinSecretLength = 16;

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
      {"FRESHLANE_DATABASE_URL", "", "PostgreSQL connection URL (libpq syntax)"},
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
      {"FRESHLANE_ADMIN_TOKEN", "", "bearer token of the admin role (16+ characters; serve)"},
      {"FRESHLANE_QR_SECRET", "", "HMAC key signing QR codes (16+ characters; serve)"},
      {"FRESHLANE_PAYMENT_WEBHOOK_SECRET", "",
       "HMAC key of payment webhooks (16+ characters; serve)"},
      {"FRESHLANE_BODY_LIMIT_BYTES", "1048576", "largest request body; larger → 413"},
      {"FRESHLANE_IDLE_TIMEOUT_MS", "30000", "time to receive a whole request head"},
      {"FRESHLANE_IO_TIMEOUT_MS", "10000", "time to receive a body or send a response"},
      {"FRESHLANE_SHUTDOWN_GRACE_MS", "10000", "time in-flight requests get on SIGTERM"},
      {"FRESHLANE_MAX_CONNECTIONS", "10000", "open connections; more → 503"},
      {"FRESHLANE_PAYMENT_WINDOW_SECONDS", "900", "an unpaid order expires after this"},
      {"FRESHLANE_MAX_PENDING_ORDERS", "3", "unpaid orders one customer may hold; more → 429"},
      {"FRESHLANE_SWEEP_INTERVAL_MS", "5000", "how often unpaid orders are expired"},
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
  };
  return all;
}

Config load_config(const EnvLookup& env, Purpose purpose) {
  Config c;
  auto get = [&](const char* name) { return env(name); };
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
  integer("FRESHLANE_BODY_LIMIT_BYTES", c.body_limit_bytes, 1024, 64u << 20);
  integer("FRESHLANE_IDLE_TIMEOUT_MS", c.idle_timeout_ms, 100, 3'600'000);
  integer("FRESHLANE_IO_TIMEOUT_MS", c.io_timeout_ms, 100, 3'600'000);
  integer("FRESHLANE_SHUTDOWN_GRACE_MS", c.shutdown_grace_ms, 0, 600'000);
  integer("FRESHLANE_MAX_CONNECTIONS", c.max_connections, 1, 1'000'000);
  integer("FRESHLANE_PAYMENT_WINDOW_SECONDS", c.payment_window_seconds, 1, 86400);
  integer("FRESHLANE_MAX_PENDING_ORDERS", c.max_pending_orders, 1, 1000);
  integer("FRESHLANE_SWEEP_INTERVAL_MS", c.sweep_interval_ms, 50, 3'600'000);
  integer("FRESHLANE_FLOOR_TICK_MS", c.floor_tick_ms, 50, 60'000);
  integer("FRESHLANE_DISPATCH_INTERVAL_MS", c.dispatch_interval_ms, 100, 600'000);
  integer("FRESHLANE_MAX_ORDERS_PER_TRIP", c.max_orders_per_trip, 1, 10);
  integer("FRESHLANE_BATCH_WAIT_SECONDS", c.batch_wait_seconds, 0, 1800);
  integer("FRESHLANE_COURIER_SPEED_KMH", c.courier_speed_kmh, 1, 120);
  integer("FRESHLANE_DETOUR_PERCENT", c.detour_percent, 100, 300);
  integer("FRESHLANE_PACKING_SECONDS", c.packing_seconds, 0, 3600);
  integer("FRESHLANE_ANSWER_CACHE_MS", c.answer_cache_ms, 0, 1000);  // sold out shows within 1 s
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
