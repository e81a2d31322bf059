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
  std::string admin_token;                // FRESHLANE_ADMIN_TOKEN, required to serve
  std::string qr_secret;                  // FRESHLANE_QR_SECRET, required to serve
  std::string payment_webhook_secret;     // FRESHLANE_PAYMENT_WEBHOOK_SECRET, required to serve
  std::size_t body_limit_bytes = 1024 * 1024;  // FRESHLANE_BODY_LIMIT_BYTES
  int idle_timeout_ms = 30000;                 // FRESHLANE_IDLE_TIMEOUT_MS
  int io_timeout_ms = 10000;                   // FRESHLANE_IO_TIMEOUT_MS
  int shutdown_grace_ms = 10000;               // FRESHLANE_SHUTDOWN_GRACE_MS
  std::size_t max_connections = 10000;         // FRESHLANE_MAX_CONNECTIONS
  int payment_window_seconds = 900;            // FRESHLANE_PAYMENT_WINDOW_SECONDS
  int max_pending_orders = 3;                  // FRESHLANE_MAX_PENDING_ORDERS per customer
  int sweep_interval_ms = 5000;                // FRESHLANE_SWEEP_INTERVAL_MS: expiry sweeper
  int floor_tick_ms = 1000;                    // FRESHLANE_FLOOR_TICK_MS: picking floors' clock
  int dispatch_interval_ms = 3000;             // FRESHLANE_DISPATCH_INTERVAL_MS: dispatch rounds
  int max_orders_per_trip = 3;                 // FRESHLANE_MAX_ORDERS_PER_TRIP
  int batch_wait_seconds = 240;                // FRESHLANE_BATCH_WAIT_SECONDS
  int courier_speed_kmh = 15;                  // FRESHLANE_COURIER_SPEED_KMH
  int detour_percent = 130;                    // FRESHLANE_DETOUR_PERCENT: streets vs great circle
  int packing_seconds = 120;                   // FRESHLANE_PACKING_SECONDS: in the ETA
  int answer_cache_ms = 500;                   // FRESHLANE_ANSWER_CACHE_MS: cached reads' life
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
