// The composition root: builds config, logging, pool, routes and server, and runs a command.
#include "freshlane/app/commands.hpp"

#include <cstdio>
#include <iostream>

#include "freshlane/api/floor_metrics.hpp"
#include "freshlane/api/markdowns.hpp"
#include "freshlane/api/routes.hpp"
#include "freshlane/app/config.hpp"
#include "freshlane/app/demo_seed.hpp"
#include "freshlane/app/periodic.hpp"
#include "freshlane/app/sim_commands.hpp"
#include "freshlane/core/error.hpp"
#include "freshlane/http/server.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/change_feed.hpp"
#include "freshlane/storage/errors.hpp"
#include "freshlane/storage/floor_records.hpp"
#include "freshlane/storage/migrations.hpp"
#include "freshlane/storage/pool.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "logging.hpp"
#include "refund_sender.hpp"

namespace freshlane::app {

namespace {

// Start-up cannot go on; the message names why in one line.
struct StartupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void print_help() {
  std::printf(
      "freshlane %s — backend of a fresh-grocery store that is shop, warehouse and delivery "
      "station at once\n\n"
      "usage: freshlane <command>\n\n"
      "commands:\n"
      "  serve      run the HTTP server (SIGTERM/SIGINT stop it gracefully)\n"
      "  migrate    apply pending database migrations\n"
      "  seed-demo  load demo stores, products and stock (safe to run twice)\n"
      "  seed-demo  --stores N --skus M --days D [--orders-per-day 100] [--core-skus 6000]\n"
      "             [--own-skus 1500] [--customers 200]  a chain for scale measurements\n"
      "             (include/freshlane/storage/chain_repository.hpp; bench/chain)\n"
      "  simulate   --scenario FILE [--seed N] [--json FILE|-] [--html FILE]\n"
      "             a store's day on a virtual clock (sim/README.md)\n"
      "  plan       --scenario FILE [--on-time 0.98] [--max-refused 0.02] [--out FILE]\n"
      "             [--json FILE]  the fewest pickers and couriers per quarter hour\n"
      "  simulate-stock  [--weeks 8] [--skus 60] [--seeds 5] [--first-seed 1] [--json FILE|-]\n"
      "             fresh stock over weeks: order-up-to against freshlane's forecast,\n"
      "             orders and markdowns (include/freshlane/sim/stock.hpp)\n"
      "  evaluate-reco  --baskets FILE [--splits 5] [--customers 2000] [--days 84] [--skus 210]\n"
      "             [--seeds 3]  recommendations offline against their baselines\n"
      "             (include/freshlane/sim/reco_eval.hpp)\n"
      "  --version  the version and the commit it was built from\n"
      "  --help     this text\n\n"
      "configuration (environment variables):\n",
      FRESHLANE_VERSION);
  for (const auto& s : settings()) {
    std::printf("  %-34s %-16s %s\n", s.name, *s.default_text ? s.default_text : "(required)",
                s.description);
  }
}

// Start-up names the real failure. A refusal (credentials, a database or role that does not
// exist) stops every command: waiting will not mend it. An unreachable server stops migrate
// and seed-demo; serve starts anyway and answers 503 until the database is there (/readyz).
void check_database(const Config& config, const std::string& command) {
  using Outcome = storage::DatabaseProbe::Outcome;
  const auto probe = storage::probe_database(config.database_url);
  switch (probe.outcome) {
    case Outcome::kReachable:
      return;
    case Outcome::kRefusedCredentials:
      throw StartupError("the database refused the credentials in FRESHLANE_DATABASE_URL (" +
                         probe.reason + ")");
    case Outcome::kNoSuchDatabase:
      throw StartupError("the database or role in FRESHLANE_DATABASE_URL does not exist (" +
                         probe.reason + ")");
    case Outcome::kUnreachable:
      if (command == "serve") return;  // serve_command warns and serves 503 meanwhile
      throw StartupError("the database is unreachable (" + probe.reason + ")");
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
  int filled = 0;
  pool.run_here([&](storage::Session& s) {
    applied = storage::migrate(s);
    filled = storage::CatalogRepository(s).fill_search_text();  // products written before 0009
  });
  if (applied.empty()) std::printf("migrate: the database is up to date\n");
  for (const auto& name : applied) std::printf("migrate: applied %s\n", name.c_str());
  if (filled > 0) std::printf("migrate: search text computed for %d products\n", filled);
  return 0;
}

// A chain of the given size for scale measurements (bench/chain).
int seed_chain_command(const Config& config, const storage::ChainSize& size) {
  storage::Pool pool(pool_config(config, 0));
  ChainSummary summary;
  std::printf("seed-demo: a chain of %d stores, %d SKUs, %d days of %d orders a store\n",
              size.stores, size.skus, size.days, size.orders_per_day);
  pool.run_here([&](storage::Session& s) {
    if (!storage::check_schema(s).pending.empty()) {
      throw std::runtime_error("migrations are pending: run `freshlane migrate` first");
    }
    summary = seed_chain(s, size, core::system_now(), [](const std::string& line) {
      std::printf("seed-demo:   %s\n", line.c_str());
      std::fflush(stdout);
    });
  });
  std::printf(
      "seed-demo: %lld stores, %lld products, %lld listings, %lld lots, %lld customers, %lld "
      "orders added in %.1f s\n",
      summary.stores, summary.products, summary.listings, summary.lots, summary.customers,
      summary.orders, summary.seconds);
  return 0;
}

int seed_command(const Config& config, const std::vector<std::string>& args) {
  if (const auto size = chain_size(args)) return seed_chain_command(config, *size);
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
  if (summary.history_days > 0) {
    std::printf("seed-demo: %d store-days of past sales in the aisle (forecasts, suggestions)\n",
                summary.history_days);
  }
  if (summary.regular_baskets > 0) {
    std::printf("seed-demo: %d past baskets of regular customers (recommendations)\n",
                summary.regular_baskets);
  }
  std::printf("seed-demo: try  GET /v1/stores/%s/products/%s\n", summary.example_store.c_str(),
              summary.example_sku.c_str());
  if (!config.qr_secret.empty()) {
    const catalog::QrCodec qr(config.qr_secret);
    std::printf("seed-demo: lot QR code    %s\n", qr.lot_code(summary.example_lot).c_str());
    std::printf("seed-demo: shelf QR code  %s\n",
                qr.shelf_code(summary.example_store, summary.example_sku).c_str());
  }
  // The admin token is the operator's secret: it never goes to a terminal or a CI log.
  std::printf("seed-demo: admin calls take  Authorization: Bearer $FRESHLANE_ADMIN_TOKEN\n");
  return 0;
}

int serve_command(const Config& config) {
  auto log = setup_logging(config.log_level, config.log_format, config.log_file);
  api::AnswerCache answers(std::chrono::milliseconds(config.answer_cache_ms),
                           std::chrono::milliseconds(config.page_cache_ms));  // outlives the pool
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
  metrics.add_process_metrics();
  // Database timing, measured by the pool (which knows nothing of metrics).
  const std::vector<double> db_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  metrics.add_histogram("freshlane_db_pool_wait_seconds",
                        "Seconds a database job waited in the queue for a connection.", db_buckets);
  metrics.add_histogram("freshlane_db_job_duration_seconds",
                        "Seconds a database job held its connection: its queries and "
                        "transactions (one job per request or periodic task).",
                        db_buckets);
  pool.on_timings({[&metrics](std::chrono::nanoseconds waited) {
                     metrics.observe("freshlane_db_pool_wait_seconds",
                                     std::chrono::duration<double>(waited).count());
                   },
                   [&metrics](std::chrono::nanoseconds held) {
                     metrics.observe("freshlane_db_job_duration_seconds",
                                     std::chrono::duration<double>(held).count());
                   }});

  store::Floors floors;
  api::FloorMetrics floor_metrics(metrics);
  floors.listen(floor_metrics.listener());
  floor_metrics.watch(floors);
  api::DispatchDesks desks(metrics, floors, delivery_params(config),
                           std::chrono::seconds(config.packing_seconds),
                           std::chrono::milliseconds(config.answer_cache_ms));
  pool.on_catalog_change(
      [&answers](const std::vector<catalog::ProductKey>& changed) { answers.invalidate(changed); });
  metrics.add_gauge("freshlane_answer_cache_entries",
                    "Product, scan and catalog page answers held in memory.",
                    [&answers] { return static_cast<double>(answers.size()); });
  metrics.add_counter("freshlane_answer_cache_hits_total",
                      "Product, scan and catalog page requests answered from memory.");
  metrics.add_counter("freshlane_answer_cache_loads_total",
                      "Product, scan and catalog page answers read from the database (misses and "
                      "refreshes).");
  metrics.add_counter("freshlane_catalog_pages_ranked_total",
                      "Catalog pages whose products were found and ordered by a query (a "
                      "search, or a range of the listing); a page loaded again after a change "
                      "of stock or price only reads the products it showed.");
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
  ctx.max_held_units = config.max_held_units;
  ctx.events = std::make_shared<api::EventHub>(
      api::StreamLimits{config.streams_per_store, config.streams_per_client});
  ctx.timezone = config.timezone;
  metrics.add_gauge("freshlane_event_streams_open", "Event streams this process serves.",
                    [events = ctx.events] { return static_cast<double>(events->streams()); });
  // Door and counter codes are derived under a key of their own, taken from the QR secret
  // (every process of the fleet has it) and kept apart from its signing use by a label.
  ctx.handover_codes = core::HandoverCodeKey::from_secret(config.qr_secret);
  ctx.handover_code_attempts = config.handover_code_attempts;
  ctx.max_held_value_minor = config.max_held_value_minor;
  ctx.limits = std::make_shared<api::RateLimits>(
      core::RateRule{config.rate_signups_per_minute, config.rate_signup_burst},
      core::RateRule{config.rate_failed_auth_per_minute, config.rate_failed_auth_burst},
      core::RateRule{config.rate_quotes_per_minute, config.rate_quote_burst},
      core::RateRule{config.rate_orders_per_minute, config.rate_order_burst}, config.rate_max_keys);
  metrics.add_counter_family(
      "freshlane_rate_limited_total",
      "Requests this process refused with 429 rate_limited, by limit (failed_auth: also the "
      "failed authentications that still got their 401 while the budget was spent).",
      [limits = ctx.limits] {
        return std::vector<http::Metrics::Sample>{
            {{{"limit", "sign_ups"}}, double(limits->sign_ups.refused())},
            {{{"limit", "failed_auth"}}, double(limits->failed_auth.refused())},
            {{{"limit", "quotes"}}, double(limits->quotes.refused())},
            {{{"limit", "orders"}}, double(limits->orders.refused())}};
      });
  metrics.add_gauge_family(
      "freshlane_rate_limit_keys",
      "Client addresses or customers each rate limit remembers (at most FRESHLANE_RATE_MAX_KEYS).",
      [limits = ctx.limits] {
        return std::vector<http::Metrics::Sample>{
            {{{"limit", "sign_ups"}}, double(limits->sign_ups.keys())},
            {{{"limit", "failed_auth"}}, double(limits->failed_auth.keys())},
            {{{"limit", "quotes"}}, double(limits->quotes.keys())},
            {{{"limit", "orders"}}, double(limits->orders.keys())}};
      });
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
  sc.max_connections_per_client = config.max_connections_per_client;
  sc.trusted_proxies = config.trusted_proxies;
  sc.reserved_fds = 32 + static_cast<std::size_t>(config.db_pool_size);
  sc.on_hangup = reopen_logs;
  sc.stream_heartbeat = std::chrono::milliseconds(config.stream_heartbeat_ms);
  sc.stream_lifetime = std::chrono::seconds(config.stream_lifetime_s);
  http::Server server(sc, router, metrics, log, access_log());
  metrics.add_gauge("freshlane_http_open_connections", "Open client connections.",
                    [&server] { return static_cast<double>(server.open_connections()); });
  log->info("freshlane {} ({}) listening on {}:{}", FRESHLANE_VERSION, FRESHLANE_COMMIT,
            config.listen_host, server.port());
  log->flush();
  // The fleet's work by the clock: each store's floor clock and dispatch rounds, and the
  // chain's expiry sweep, claimed per period across every process.
  ClaimedJob floor_clock(
      pool, storage::Job::kFloor, std::chrono::milliseconds(config.floor_tick_ms),
      [&floors](storage::Session& s, const std::string& store_id) {
        storage::PgFloorRecords records(s, storage::PgFloorRecords::Decider::kFloorJob);
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
  // Each store's markdown round: lots priced down by policy, lots past sell-by written off
  // (FRESHLANE_MARKDOWN_INTERVAL_MS=0: only when a manager runs it).
  std::optional<ClaimedJob> markdowns;
  if (config.markdown_interval_ms > 0) {
    markdowns.emplace(pool, storage::Job::kMarkdown,
                      std::chrono::milliseconds(config.markdown_interval_ms),
                      [](storage::Session& s, const std::string& store_id) {
                        if (const auto store = storage::StoreRepository(s).find(store_id)) {
                          api::run_markdowns(s, *store, core::system_now());
                        }
                      });
  }
  ClaimedJob sweeper(pool, storage::Job::kExpiry,
                     std::chrono::milliseconds(config.sweep_interval_ms),
                     [months = config.event_retention_months](
                         storage::Session& s, const std::string&) { sweep_expired(s, months); });
  metrics.add_counter_family(
      "freshlane_periodic_runs_total",
      "Periodic jobs this process claimed and ran (runs), and claims it found taken over by "
      "another process when their turn came (void), by job.",
      [&] {
        std::vector<http::Metrics::Sample> out;
        for (const auto& [name, job] :
             {std::pair<const char*, const ClaimedJob*>{"floor", &floor_clock},
              {"dispatch", &dispatcher},
              {"markdown", markdowns ? &*markdowns : nullptr},
              {"expiry", &sweeper}}) {
          if (!job) continue;
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
  Periodic change_poll(pool, "change feed", std::chrono::milliseconds(100),
                       [&feed, &answers, &ctx](storage::Session& s) {
                         auto changes = feed.poll(s);
                         answers.invalidate(changes.products);
                         for (const auto& hash : changes.revoked_tokens) ctx.tokens.forget(hash);
                       });
  // Live streams: the stores someone watches here, read from the store events every poll.
  Periodic event_poll(pool, "event streams", std::chrono::milliseconds(config.events_poll_ms),
                      [events = ctx.events](storage::Session& s) { events->poll(s); });
  // Whatever ends serving, the pool stops first: its jobs use everything declared above.
  struct StopPoolFirst {
    storage::Pool& pool;
    ~StopPoolFirst() { pool.stop(); }
  } stop_pool_first{pool};
  // Refunds go out to the payment provider from every process (each attempt claimed once in
  // PostgreSQL). Declared after the pool's guard: it stops, and waits for its job, first.
  RefundSender refunds(
      pool, metrics,
      {config.refund_url, config.payment_webhook_secret,
       std::chrono::milliseconds(config.refund_retry_base_ms), config.refund_max_attempts});
  if (config.refund_url.empty()) {
    log->warn("FRESHLANE_REFUND_URL is not set: refunds are recorded as owed and not sent");
  }
  server.run();
  log->info("stopping: draining the database pool");
  refunds.stop();
  change_poll.stop();
  event_poll.stop();
  sweeper.stop();
  if (markdowns) markdowns->stop();
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
  if (command == "--version" || command == "version") {
    std::printf("freshlane %s (%s)\n", FRESHLANE_VERSION, FRESHLANE_COMMIT);
    return 0;
  }
  if (command == "simulate" || command == "plan" || command == "simulate-stock" ||
      command == "evaluate-reco") {  // no database, no configuration
    const std::vector<std::string> args(argv + 2, argv + argc);
    if (command == "simulate-stock") return simulate_stock_command(args);
    if (command == "evaluate-reco") return evaluate_reco_command(args);
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
    check_database(config, command);
    if (command == "serve") return serve_command(config);
    if (command == "migrate") return migrate_command(config);
    return seed_command(config, std::vector<std::string>(argv + 2, argv + argc));
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "freshlane: configuration error: %s\n", e.what());
    return 2;
  } catch (const storage::MigrationMismatch& e) {
    std::fprintf(stderr, "freshlane: migration error: %s\n", e.what());
    return 1;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "freshlane %s: %s\n", command.c_str(), e.detail().c_str());
    return 1;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "freshlane %s: %s (see freshlane --help)\n", command.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "freshlane %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}

}  // namespace freshlane::app
