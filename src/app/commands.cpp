// The composition root: builds config, logging, pool, routes and server, and runs a command.
#include "freshlane/app/commands.hpp"

#include <cstdio>
#include <iostream>

#include "freshlane/api/floor_metrics.hpp"
#include "freshlane/api/routes.hpp"
#include "freshlane/app/config.hpp"
#include "freshlane/app/demo_seed.hpp"
#include "freshlane/app/periodic.hpp"
#include "freshlane/app/sim_commands.hpp"
#include "freshlane/core/error.hpp"
#include "freshlane/http/server.hpp"
#include "freshlane/storage/change_feed.hpp"
#include "freshlane/storage/floor_records.hpp"
#include "freshlane/storage/migrations.hpp"
#include "freshlane/storage/pool.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "logging.hpp"

namespace freshlane::app {

namespace {

void print_help() {
  std::printf(
      "freshlane %s — backend of a fresh-grocery store that is shop, warehouse and delivery "
      "station at once\n\n"
      "usage: freshlane <command>\n\n"
      "commands:\n"
      "  serve      run the HTTP server (SIGTERM/SIGINT stop it gracefully)\n"
      "  migrate    apply pending database migrations\n"
      "  seed-demo  load demo stores, products and stock (safe to run twice)\n"
      "  simulate   --scenario FILE [--seed N] [--json FILE|-] [--html FILE]\n"
      "             a store's day on a virtual clock (sim/README.md)\n"
      "  plan       --scenario FILE [--on-time 0.98] [--max-refused 0.02] [--out FILE]\n"
      "             [--json FILE]  the fewest pickers and couriers per quarter hour\n"
      "  --help     this text\n\n"
      "configuration (environment variables):\n",
      FRESHLANE_VERSION);
  for (const auto& s : settings()) {
    std::printf("  %-34s %-16s %s\n", s.name, *s.default_text ? s.default_text : "(required)",
                s.description);
  }
}

storage::PoolConfig pool_config(const Config& c, int size) {
  storage::PoolConfig p;
  p.url = c.database_url;
  p.size = size;
  p.max_queue = c.db_max_queue;
  p.statement_timeout = std::chrono::milliseconds(c.statement_timeout_ms);
  p.prepare = c.db_prepare;
  return p;
}

int migrate_command(const Config& config) {
  storage::Pool pool(pool_config(config, 0));
  std::vector<std::string> applied;
  pool.run_here([&](storage::Session& s) { applied = storage::migrate(s); });
  if (applied.empty()) std::printf("migrate: the database is up to date\n");
  for (const auto& name : applied) std::printf("migrate: applied %s\n", name.c_str());
  return 0;
}

int seed_command(const Config& config) {
  storage::Pool pool(pool_config(config, 0));
  SeedSummary summary;
  pool.run_here([&](storage::Session& s) {
    const auto status = storage::check_schema(s);
    if (!status.pending.empty()) {
      throw std::runtime_error("migrations are pending: run `freshlane migrate` first");
    }
    summary = seed_demo(s, core::system_now());
  });
  std::printf("seed-demo: %zu stores, %zu products, %zu listings, %zu lots, %zu ratings\n",
              summary.stores, summary.products, summary.listings, summary.lots, summary.ratings);
  std::printf("seed-demo: try  GET /v1/stores/%s/products/%s\n", summary.example_store.c_str(),
              summary.example_sku.c_str());
  if (!config.qr_secret.empty()) {
    const catalog::QrCodec qr(config.qr_secret);
    std::printf("seed-demo: lot QR code    %s\n", qr.lot_code(summary.example_lot).c_str());
    std::printf("seed-demo: shelf QR code  %s\n",
                qr.shelf_code(summary.example_store, summary.example_sku).c_str());
  }
  std::printf("seed-demo: admin token    %s\n", config.admin_token.empty()
                                                    ? "(set FRESHLANE_ADMIN_TOKEN)"
                                                    : config.admin_token.c_str());
  return 0;
}

int serve_command(const Config& config) {
  auto log = setup_logging(config.log_level);
  api::AnswerCache answers(std::chrono::milliseconds(config.answer_cache_ms));  // outlives the pool
  storage::Pool pool(pool_config(config, config.db_pool_size));

  // An edited migration must stop start-up; an unreachable database must not (/readyz says).
  try {
    pool.run_here([&](storage::Session& s) {
      const auto status = storage::check_schema(s);
      if (!status.pending.empty()) {
        log->warn("{} migration(s) pending: /readyz answers 503 until `freshlane migrate` runs",
                  status.pending.size());
      }
    });
  } catch (const storage::MigrationMismatch&) {
    throw;
  } catch (const std::exception& e) {
    log->warn("database not reachable at start-up ({}); serving 503 until it is", e.what());
  }

  http::Metrics metrics;
  metrics.set_build_info(FRESHLANE_VERSION, FRESHLANE_COMMIT);
  metrics.add_gauge("freshlane_db_pool_in_use", "Database connections running a job.",
                    [&pool] { return static_cast<double>(pool.in_use()); });
  metrics.add_gauge("freshlane_db_pool_waiting", "Jobs waiting for a database connection.",
                    [&pool] { return static_cast<double>(pool.waiting()); });
  metrics.add_gauge("freshlane_db_pool_size", "Database connections configured.",
                    [&pool] { return static_cast<double>(pool.config().size); });

  store::Floors floors;
  api::FloorMetrics floor_metrics(metrics);
  floors.listen(floor_metrics.listener());
  floor_metrics.watch(floors);
  api::DispatchDesks desks(metrics, floors, delivery_params(config),
                           std::chrono::seconds(config.packing_seconds),
                           std::chrono::milliseconds(config.answer_cache_ms));
  pool.on_catalog_change(
      [&answers](const std::vector<catalog::ProductKey>& changed) { answers.invalidate(changed); });
  metrics.add_gauge("freshlane_answer_cache_entries", "Product and scan answers held in memory.",
                    [&answers] { return static_cast<double>(answers.size()); });
  metrics.add_counter("freshlane_answer_cache_hits_total",
                      "Product and scan requests answered from memory.");
  metrics.add_counter("freshlane_answer_cache_loads_total",
                      "Product and scan answers read from the database (misses and refreshes).");
  api::Context ctx{pool,
                   metrics,
                   floors,
                   desks,
                   answers,
                   catalog::QrCodec(config.qr_secret),
                   config.admin_token,
                   config.payment_webhook_secret,
                   std::chrono::seconds(config.payment_window_seconds),
                   config.max_pending_orders};
  http::Router router;
  api::register_routes(router, ctx);

  http::ServerConfig sc;
  sc.host = config.listen_host;
  sc.port = config.listen_port;
  sc.threads = config.threads;
  sc.body_limit = config.body_limit_bytes;
  sc.idle_timeout = std::chrono::milliseconds(config.idle_timeout_ms);
  sc.io_timeout = std::chrono::milliseconds(config.io_timeout_ms);
  sc.shutdown_grace = std::chrono::milliseconds(config.shutdown_grace_ms);
  sc.max_connections = config.max_connections;
  http::Server server(sc, router, metrics, log);
  metrics.add_gauge("freshlane_http_open_connections", "Open client connections.",
                    [&server] { return static_cast<double>(server.open_connections()); });
  log->info("freshlane {} ({}) listening on {}:{}", FRESHLANE_VERSION, FRESHLANE_COMMIT,
            config.listen_host, server.port());
  log->flush();
  // The fleet's work by the clock: each store's floor clock and dispatch rounds, and the
  // chain's expiry sweep, claimed per period across every process.
  ClaimedJob floor_clock(pool, storage::Job::kFloor,
                         std::chrono::milliseconds(config.floor_tick_ms),
                         [&floors](storage::Session& s, const std::string& store_id) {
                           storage::PgFloorRecords records(s);
                           floors.decide(records, store_id, core::system_now(),
                                         [](picking::Engine&, core::Timestamp) {});
                         });
  ClaimedJob dispatcher(pool, storage::Job::kDispatch,
                        std::chrono::milliseconds(config.dispatch_interval_ms),
                        [&desks](storage::Session& s, const std::string& store_id) {
                          if (const auto store = storage::StoreRepository(s).find(store_id)) {
                            desks.run_round(s, *store, core::system_now());
                          }
                        });
  ClaimedJob sweeper(pool, storage::Job::kExpiry,
                     std::chrono::milliseconds(config.sweep_interval_ms),
                     [](storage::Session& s, const std::string&) { sweep_expired(s); });
  metrics.add_counter_family(
      "freshlane_periodic_runs_total",
      "Periodic jobs this process claimed and ran (runs), and claims it found taken over by "
      "another process when their turn came (void), by job.",
      [&] {
        std::vector<http::Metrics::Sample> out;
        for (const auto& [name, job] :
             {std::pair<const char*, const ClaimedJob*>{"floor", &floor_clock},
              {"dispatch", &dispatcher},
              {"expiry", &sweeper}}) {
          out.push_back({{{"job", name}, {"outcome", "run"}}, double(job->runs())});
          out.push_back({{{"job", name}, {"outcome", "void"}}, double(job->voided())});
        }
        return out;
      });
  // Answers cached here learn of changes made through other processes within a poll; the
  // first poll marks where reading starts, before any answer is cached.
  storage::ChangeFeed feed;
  try {
    pool.run_here([&feed](storage::Session& s) { feed.poll(s); });
  } catch (const std::exception&) {
    // The database is away: the first poll that reaches it marks the start (the cache's TTL
    // bounds anything cached in between).
  }
  Periodic change_poll(
      pool, "change feed", std::chrono::milliseconds(100),
      [&feed, &answers](storage::Session& s) { answers.invalidate(feed.poll(s)); });
  // Whatever ends serving, the pool stops first: its jobs use everything declared above.
  struct StopPoolFirst {
    storage::Pool& pool;
    ~StopPoolFirst() { pool.stop(); }
  } stop_pool_first{pool};
  server.run();
  log->info("stopping: draining the database pool");
  change_poll.stop();
  sweeper.stop();
  floor_clock.stop();
  dispatcher.stop();
  pool.stop();
  log->info("stopped");
  log->flush();
  return 0;
}

}  // namespace

int run_command_line(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "--help";
  if (command == "--help" || command == "-h" || command == "help") {
    print_help();
    return 0;
  }
  if (command == "simulate" || command == "plan") {  // no database, no configuration
    const std::vector<std::string> args(argv + 2, argv + argc);
    return command == "simulate" ? simulate_command(args) : plan_command(args);
  }
  if (command != "serve" && command != "migrate" && command != "seed-demo") {
    std::fprintf(stderr, "freshlane: unknown command '%s' (see freshlane --help)\n",
                 command.c_str());
    return 2;
  }
  try {
    const Config config = load_config(
        process_environment(), command == "serve" ? Purpose::kServe : Purpose::kDatabaseOnly);
    if (command == "serve") return serve_command(config);
    if (command == "migrate") return migrate_command(config);
    return seed_command(config);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "freshlane: configuration error: %s\n", e.what());
    return 2;
  } catch (const storage::MigrationMismatch& e) {
    std::fprintf(stderr, "freshlane: migration error: %s\n", e.what());
    return 1;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "freshlane %s: %s\n", command.c_str(), e.detail().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "freshlane %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}

}  // namespace freshlane::app
