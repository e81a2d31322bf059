#pragma once
// The one configuration struct. Every field says its default; every setting comes from one
// environment variable, listed in settings() (which also feeds `--help` and the README table).
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "freshlane/dispatch/route.hpp"

namespace freshlane::app {

struct Config {
  std::string database_url;               // FRESHLANE_DATABASE_URL, required
  std::string listen_host = "127.0.0.1";  // FRESHLANE_LISTEN host
  unsigned short listen_port = 8080;      // FRESHLANE_LISTEN port
  int threads = 2;                        // FRESHLANE_THREADS: HTTP I/O threads
  int db_pool_size = 8;                   // FRESHLANE_DB_POOL_SIZE
  std::size_t db_max_queue = 1024;        // FRESHLANE_DB_MAX_QUEUE
  int statement_timeout_ms = 5000;        // FRESHLANE_STATEMENT_TIMEOUT_MS
  bool db_prepare = true;                 // FRESHLANE_DB_PREPARE: 0 behind a transaction pooler
  std::string log_level = "info";         // FRESHLANE_LOG_LEVEL
  std::string log_format = "text";        // FRESHLANE_LOG_FORMAT: text or json
  std::string log_file;                   // FRESHLANE_LOG_FILE: empty = stdout; SIGHUP reopens
  std::string admin_token;                // FRESHLANE_ADMIN_TOKEN, required to serve
  std::string qr_secret;                  // FRESHLANE_QR_SECRET, required to serve
  std::string payment_webhook_secret;     // FRESHLANE_PAYMENT_WEBHOOK_SECRET, required to serve
  std::size_t body_limit_bytes = 1024 * 1024;  // FRESHLANE_BODY_LIMIT_BYTES
  int idle_timeout_ms = 30000;                 // FRESHLANE_IDLE_TIMEOUT_MS
  int io_timeout_ms = 10000;                   // FRESHLANE_IO_TIMEOUT_MS
  int shutdown_grace_ms = 10000;               // FRESHLANE_SHUTDOWN_GRACE_MS
  std::size_t max_connections = 10000;         // FRESHLANE_MAX_CONNECTIONS
  // FRESHLANE_MAX_CONNECTIONS_PER_CLIENT, 0 = off
  std::size_t max_connections_per_client = 256;
  // FRESHLANE_TRUSTED_PROXIES: load balancers whose X-Forwarded-For names the client
  std::vector<std::string> trusted_proxies;
  int payment_window_seconds = 900;  // FRESHLANE_PAYMENT_WINDOW_SECONDS
  int max_pending_orders = 3;        // FRESHLANE_MAX_PENDING_ORDERS per customer
  // What one customer may hold in unpaid orders (units, and value in minor units), all stores.
  int max_held_units = 200;                 // FRESHLANE_MAX_HELD_UNITS
  long long max_held_value_minor = 500000;  // FRESHLANE_MAX_HELD_VALUE_MINOR (¥5,000)
  int handover_code_attempts = 5;  // FRESHLANE_HANDOVER_CODE_ATTEMPTS: wrong ones per person, order
  // Refunds to the payment provider: where (empty: they wait, owed), retries and their spacing.
  std::string refund_url;           // FRESHLANE_REFUND_URL
  int refund_retry_base_ms = 2000;  // FRESHLANE_REFUND_RETRY_BASE_MS: doubles each attempt
  int refund_max_attempts = 12;     // FRESHLANE_REFUND_MAX_ATTEMPTS: then failed
  // Token buckets against cheap abuse, per process (per minute, burst; 0 per minute = off).
  int rate_signups_per_minute = 10;      // FRESHLANE_RATE_SIGNUPS_PER_MINUTE per address
  int rate_signup_burst = 20;            // FRESHLANE_RATE_SIGNUP_BURST
  int rate_failed_auth_per_minute = 20;  // FRESHLANE_RATE_FAILED_AUTH_PER_MINUTE per address
  int rate_failed_auth_burst = 20;       // FRESHLANE_RATE_FAILED_AUTH_BURST
  int rate_quotes_per_minute = 120;      // FRESHLANE_RATE_QUOTES_PER_MINUTE per address
  int rate_quote_burst = 60;             // FRESHLANE_RATE_QUOTE_BURST
  int rate_orders_per_minute = 30;       // FRESHLANE_RATE_ORDERS_PER_MINUTE per customer
  int rate_order_burst = 10;             // FRESHLANE_RATE_ORDER_BURST
  std::size_t rate_max_keys = 100000;    // FRESHLANE_RATE_MAX_KEYS per limit, LRU beyond
  int sweep_interval_ms = 5000;          // FRESHLANE_SWEEP_INTERVAL_MS: expiry sweeper
  int event_retention_months = 13;       // FRESHLANE_EVENT_RETENTION_MONTHS
  int floor_tick_ms = 1000;              // FRESHLANE_FLOOR_TICK_MS: picking floors' clock
  int markdown_interval_ms =
      60000;  // FRESHLANE_MARKDOWN_INTERVAL_MS: markdowns, write-offs (0: off)
  int dispatch_interval_ms = 3000;  // FRESHLANE_DISPATCH_INTERVAL_MS: dispatch rounds
  int max_orders_per_trip = 3;      // FRESHLANE_MAX_ORDERS_PER_TRIP
  int batch_wait_seconds = 240;     // FRESHLANE_BATCH_WAIT_SECONDS
  int courier_speed_kmh = 15;       // FRESHLANE_COURIER_SPEED_KMH
  int detour_percent = 130;         // FRESHLANE_DETOUR_PERCENT: streets vs great circle
  int packing_seconds = 120;        // FRESHLANE_PACKING_SECONDS: in the ETA
  int answer_cache_ms = 500;        // FRESHLANE_ANSWER_CACHE_MS: cached reads' life
  int page_cache_ms = 5000;         // FRESHLANE_PAGE_CACHE_MS: cached catalog pages' life
  // Live event streams (server-sent events): how often each process reads new store events,
  // the caps on open streams, the heartbeat and how long one stream lives before it resumes.
  int events_poll_ms = 200;                // FRESHLANE_EVENTS_POLL_MS
  std::size_t streams_per_store = 200;     // FRESHLANE_STREAMS_PER_STORE
  std::size_t streams_per_client = 4;      // FRESHLANE_STREAMS_PER_CLIENT: per token
  int stream_heartbeat_ms = 15000;         // FRESHLANE_STREAM_HEARTBEAT_MS
  int stream_lifetime_s = 3600;            // FRESHLANE_STREAM_LIFETIME_S
  std::string timezone = "Asia/Shanghai";  // FRESHLANE_TIMEZONE: the stores' local day
};

// What a command needs: serving needs the secrets, migrating only the database.
enum class Purpose { kServe, kDatabaseOnly };

struct SettingInfo {
  const char* name;
  const char* default_text;  // "" for required
  const char* description;
};
const std::vector<SettingInfo>& settings();

// One clear line naming the setting: "FRESHLANE_THREADS: expected an integer from 1 to 64, got
// 'x'".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How couriers ride and the dispatcher plans, from the delivery settings.
dispatch::Params delivery_params(const Config& c);

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
Config load_config(const EnvLookup& env, Purpose purpose);
EnvLookup process_environment();

}  // namespace freshlane::app
