#include "freshlane/storage/migrations.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "freshlane/app/periodic.hpp"
#include "freshlane/storage/event_repository.hpp"
#include "freshlane/storage/pool.hpp"
#include "storage/sql.hpp"
#include "support/store_ids.hpp"
#include "support/test_database.hpp"

using namespace freshlane;
using freshlane::testing::TestDatabase;

namespace {
storage::PoolConfig config_for(const std::string& url) {
  storage::PoolConfig c;
  c.url = url;
  c.size = 0;
  return c;
}
std::vector<std::string> migrate_once(const std::string& url) {
  storage::Pool pool(config_for(url));
  std::vector<std::string> applied;
  pool.run_here([&](storage::Session& s) { applied = storage::migrate(s); });
  return applied;
}
// Applies the bundled migrations before `version` and records them, as `migrate` would have.
void migrate_before(const std::string& url, int version) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  tx.exec(
      "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
      "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  for (const auto& m : storage::bundled_migrations()) {
    if (m.version >= version) break;
    tx.exec(m.sql);
    tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                   m.version, m.name, m.checksum);
  }
  tx.commit();
}

void exec(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}
}  // namespace

TEST(Migrations, BundleIsOrderedAndChecksummed) {
  const auto& all = storage::bundled_migrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().version, 1);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].version, all[i].version);
  for (const auto& m : all) EXPECT_EQ(m.checksum.size(), 64u);
}

TEST(Migrations, SecondRunAppliesNothing) {
  TestDatabase db;
  const auto first = migrate_once(db.url());
  EXPECT_EQ(first.size(), storage::bundled_migrations().size());
  EXPECT_TRUE(migrate_once(db.url()).empty());
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM schema_migrations")[0][0].as<size_t>(),
            storage::bundled_migrations().size());
  EXPECT_EQ(tx.exec("SELECT count(*) FROM stores")[0][0].as<int>(), 0);
}

TEST(Migrations, ConcurrentRunsApplyEachMigrationOnce) {
  TestDatabase db;
  std::vector<std::thread> runs;
  std::atomic<size_t> applied{0};
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    runs.emplace_back([&] {
      try {
        applied += migrate_once(db.url()).size();
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : runs) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(applied, storage::bundled_migrations().size());
}

TEST(Migrations, PendingMigrationsAreReported) {
  TestDatabase db;
  storage::Pool pool(config_for(db.url()));
  pool.run_here([&](storage::Session& s) {
    EXPECT_EQ(storage::check_schema(s).pending.size(), storage::bundled_migrations().size());
  });
  migrate_once(db.url());
  pool.run_here(
      [&](storage::Session& s) { EXPECT_TRUE(storage::check_schema(s).pending.empty()); });
}

TEST(Migrations, AnEditedMigrationStopsMigrateAndCheck) {
  TestDatabase db;
  migrate_once(db.url());
  exec(db.url(), "UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1");
  try {
    migrate_once(db.url());
    FAIL() << "migrate accepted an edited migration";
  } catch (const storage::MigrationMismatch& e) {
    EXPECT_NE(std::string(e.what()).find("0001_catalog.sql was changed"), std::string::npos);
  }
  storage::Pool pool(config_for(db.url()));
  EXPECT_THROW(pool.run_here([](storage::Session& s) { storage::check_schema(s); }),
               storage::MigrationMismatch);
}

TEST(Migrations, AMigrationThisBinaryDoesNotKnowStopsIt) {
  TestDatabase db;
  migrate_once(db.url());
  exec(db.url(),
       "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_future.sql', "
       "'x')");
  EXPECT_THROW(migrate_once(db.url()), storage::MigrationMismatch);
}

TEST(Migrations, AFailingMigrationLeavesNoTrace) {
  TestDatabase db;
  // A table in the way makes 0001 fail half-way; its transaction must roll back entirely.
  exec(db.url(), "CREATE TABLE lots (x int)");
  EXPECT_ANY_THROW(migrate_once(db.url()));
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec("SELECT to_regclass('stores') IS NULL")[0][0].as<bool>(), true);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM schema_migrations")[0][0].as<int>(), 0);
}

// 0011 counts goods sold by weight in grams. A database with such goods in stock, an unpaid
// order and an order whose picking had begun comes out with the same stock, the same money and
// each line weighed or not as it should be: the unpaid line is weighed when picked, the begun
// one stays counted as it was.
TEST(Migrations, WeighedGoodsBecomeGramsWithTheSameStockAndMoney) {
  TestDatabase db;
  migrate_before(db.url(), 11);  // up to 0010, as `migrate` would have
  exec(db.url(), R"sql(
    INSERT INTO stores (store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency)
      VALUES ('m', 'M', 31.2, 121.5, 3000, 30, 'CNY');
    INSERT INTO products (sku, name, category, unit, storage, search_text)
      VALUES ('CRAB', 'crab', 'seafood', 'kg', 'live', ''), ('MILK', 'milk', 'dairy', 'each', 'chilled', '');
    INSERT INTO store_products (store_id, sku, price_minor, zone, shelf)
      VALUES ('m', 'CRAB', 39790, 'seafood', 'S1'), ('m', 'MILK', 1590, 'chilled', 'C1');
    INSERT INTO lots (lot_id, store_id, sku, quantity_received, quantity_on_hand, quantity_reserved,
                      origin, produced_at, received_at, expires_at)
      VALUES ('L1', 'm', 'CRAB', 10, 10, 5, 'Zhoushan', now(), now(), now() + interval '2 days'),
             ('L2', 'm', 'MILK', 20, 20, 1, 'Shanghai', now(), now(), now() + interval '2 days');
    INSERT INTO customers (customer_id, phone, name) VALUES ('c1', '+8613800000001', 'Li');
    INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency, total_minor,
                        created_at, payment_expires_at)
      VALUES ('A', 'c1', 'm', 'pickup', 'pending_payment', 'CNY', 81170, now(), now() + interval '15 minutes'),
             ('B', 'c1', 'm', 'pickup', 'picking', 'CNY', 119370, now(), now());
    INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price_minor)
      VALUES ('A', 0, 'CRAB', 'crab', 2, 39790), ('A', 1, 'MILK', 'milk', 1, 1590),
             ('B', 0, 'CRAB', 'crab', 3, 39790);
    INSERT INTO order_line_lots (order_id, line_no, lot_id, quantity)
      VALUES ('A', 0, 'L1', 2), ('A', 1, 'L2', 1), ('B', 0, 'L1', 3);
    UPDATE order_line_lots SET picked = 1 WHERE order_id = 'B';
    INSERT INTO pick_tasks (task_id, order_id, store_id, zone, state, paid_at, deadline)
      VALUES ('B-seafood', 'B', 'm', 'seafood', 'assigned', now(), now() + interval '10 minutes');
    INSERT INTO pick_task_lines (task_id, line_no, sku, quantity, picked, name, shelf)
      VALUES ('B-seafood', 0, 'CRAB', 3, 1, 'crab', 'S1');
  )sql");
  const auto applied = migrate_once(db.url());  // 0011, and whatever came after it
  ASSERT_FALSE(applied.empty());
  ASSERT_EQ(applied.front(), "0011_weighed_goods.sql");

  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  const auto row = [&](const std::string& sql) { return tx.exec1(sql); };
  const auto crab =
      row("SELECT quantity_received, quantity_on_hand, quantity_reserved FROM lots "
          "WHERE lot_id = 'L1'");
  EXPECT_EQ(crab[0].as<int>(), 10000);
  EXPECT_EQ(crab[1].as<int>(), 10000);
  EXPECT_EQ(crab[2].as<int>(), 5000);
  EXPECT_EQ(row("SELECT quantity_on_hand FROM lots WHERE lot_id = 'L2'")[0].as<int>(), 20);
  // The unpaid order: its crab in grams, authorised at what it was to cost, weighed when picked.
  const auto a =
      row("SELECT unit, quantity, ordered_grams, authorized_minor, weighed "
          "FROM order_lines WHERE order_id = 'A' AND line_no = 0");
  EXPECT_EQ(a[0].as<std::string>(), "kg");
  EXPECT_EQ(a[1].as<int>(), 2000);
  EXPECT_EQ(a[2].as<int>(), 2000);
  EXPECT_EQ(a[3].as<long long>(), 79580);
  EXPECT_FALSE(a[4].as<bool>());
  const auto milk =
      row("SELECT unit, quantity, ordered_grams IS NULL, authorized_minor IS NULL, "
          "weighed FROM order_lines WHERE order_id = 'A' AND line_no = 1");
  EXPECT_EQ(milk[0].as<std::string>(), "each");
  EXPECT_EQ(milk[1].as<int>(), 1);
  EXPECT_TRUE(milk[2].as<bool>() && milk[3].as<bool>());
  EXPECT_EQ(
      row("SELECT quantity FROM order_line_lots WHERE order_id = 'A' AND line_no = 0")[0].as<int>(),
      2000);
  // The order being picked: its line stays as counted (in grams now), final.
  const auto b = row("SELECT quantity, weighed FROM order_lines WHERE order_id = 'B'");
  EXPECT_EQ(b[0].as<int>(), 3000);
  EXPECT_TRUE(b[1].as<bool>());
  const auto bt = row("SELECT quantity, picked, weighed FROM pick_task_lines");
  EXPECT_EQ(bt[0].as<int>(), 3000);
  EXPECT_EQ(bt[1].as<int>(), 1000);
  EXPECT_FALSE(bt[2].as<bool>());
  const auto bl = row("SELECT quantity, picked FROM order_line_lots WHERE order_id = 'B'");
  EXPECT_EQ(bl[0].as<int>(), 3000);
  EXPECT_EQ(bl[1].as<int>(), 1000);
  // What each order's payment is for has not moved.
  EXPECT_EQ(row("SELECT sum(total_minor) FROM orders")[0].as<long long>(), 81170 + 119370);
}

// Migration 0018: the six tables that found their store through a parent carry store_id. Rows
// written before take their parent's store; a previous release's server, still running during
// a rolling upgrade, inserts without it and gets its parent's store too; a row that names its
// store keeps it (the trigger fires only when it is missing).
TEST(Migrations, EveryChildRowTakesItsParentsStoreAndOldWritersStillWork) {
  TestDatabase db;
  migrate_before(db.url(), 18);  // up to 0017
  // Two stores, so that a row given the wrong store would show.
  const std::string old_rows = R"sql(
    INSERT INTO lot_trace_events (lot_id, position, at, event, place)
      VALUES ('L-m', $N, now(), 'caught', 'Zhoushan'), ('L-n', $N, now(), 'caught', 'Ningbo');
    INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price_minor)
      VALUES ('A', $N, 'TOFU', 'tofu', 2, 500), ('B', $N, 'TOFU', 'tofu', 1, 500);
    INSERT INTO order_line_lots (order_id, line_no, lot_id, quantity)
      VALUES ('A', $N, 'L-m', 2), ('B', $N, 'L-n', 1);
    INSERT INTO payment_events (event_id, order_id, status, amount_minor)
      VALUES ('pay-A-' || $N, 'A', 'succeeded', 1000), ('pay-B-' || $N, 'B', 'succeeded', 500);
    INSERT INTO pick_task_lines (task_id, line_no, sku, quantity, name, shelf)
      VALUES ('T-A', $N, 'TOFU', 2, 'tofu', 'C1'), ('T-B', $N, 'TOFU', 1, 'tofu', 'C1');
    INSERT INTO trip_stops (trip_id, seq, order_id, lat, lon, eta, promised_at, state)
      VALUES ('trp-A', $N + 1, 'A', 31.2, 121.5, now(), now(), 'delivered'),
             ('trp-B', $N + 1, 'B', 31.3, 121.6, now(), now(), 'delivered');
  )sql";
  const auto rows_at = [&](int n) {
    std::string sql = old_rows;
    for (size_t at; (at = sql.find("$N")) != std::string::npos;)
      sql.replace(at, 2, std::to_string(n));
    return sql;
  };
  exec(db.url(), R"sql(
    INSERT INTO stores (store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency)
      VALUES ('m', 'M', 31.2, 121.5, 3000, 30, 'CNY'), ('n', 'N', 31.3, 121.6, 3000, 30, 'CNY');
    INSERT INTO products (sku, name, category, unit, storage, search_text)
      VALUES ('TOFU', 'tofu', 'chilled', 'each', 'chilled', '');
    INSERT INTO store_products (store_id, sku, price_minor, zone, shelf)
      VALUES ('m', 'TOFU', 500, 'chilled', 'C1'), ('n', 'TOFU', 500, 'chilled', 'C1');
    INSERT INTO lots (lot_id, store_id, sku, quantity_received, quantity_on_hand, origin,
                      produced_at, received_at, expires_at)
      VALUES ('L-m', 'm', 'TOFU', 10, 10, 'Shanghai', now(), now(), now() + interval '2 days'),
             ('L-n', 'n', 'TOFU', 10, 10, 'Shanghai', now(), now(), now() + interval '2 days');
    INSERT INTO customers (customer_id, phone, name) VALUES ('c1', '+8613800000001', 'Li');
    INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency,
                        total_minor, created_at, payment_expires_at)
      VALUES ('A', 'c1', 'm', 'delivery', 'delivered', 'CNY', 1000, now(), now()),
             ('B', 'c1', 'n', 'delivery', 'delivered', 'CNY', 500, now(), now());
    INSERT INTO pick_tasks (task_id, order_id, store_id, zone, state, paid_at, deadline)
      VALUES ('T-A', 'A', 'm', 'chilled', 'packed', now(), now()),
             ('T-B', 'B', 'n', 'chilled', 'packed', now(), now());
    INSERT INTO couriers (courier_id, store_id, name) VALUES ('cr-m', 'm', 'Wu'), ('cr-n', 'n', 'Zhao');
    INSERT INTO trips (trip_id, store_id, courier_id, state, planned_at, departs_at, returns_at,
                       distance_m)
      VALUES ('trp-A', 'm', 'cr-m', 'done', now(), now(), now(), 900),
             ('trp-B', 'n', 'cr-n', 'done', now(), now(), now(), 900);
  )sql" + rows_at(0));
  const auto applied = migrate_once(db.url());
  ASSERT_FALSE(applied.empty());
  ASSERT_EQ(applied.front(), "0018_child_store_ids.sql");

  // A previous release's server writes as it always did. A row given a store that is not its
  // parent's is refused (migration 0020's keys), not quietly given the parent's by the trigger.
  exec(db.url(), rows_at(1));
  EXPECT_THROW(exec(db.url(), R"sql(
    INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, unit_price_minor)
      VALUES ('A', 'n', 2, 'TOFU', 'tofu', 1, 500);
  )sql"),
               pqxx::foreign_key_violation);
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  const auto count = [&](const std::string& sql) { return tx.exec1(sql)[0].as<int>(); };
  for (const auto& child : freshlane::testing::kChildrenOfAStore) {
    const std::string table = child[0], parent = child[1];
    SCOPED_TRACE(table);
    EXPECT_EQ(count("SELECT count(*) FROM " + table), 4);
    EXPECT_EQ(count("SELECT count(*) FROM " + table + " c JOIN " + parent +
                    " WHERE c.store_id = p.store_id AND c.store_id IN ('m', 'n')"),
              4);
    EXPECT_EQ(count("SELECT count(*) FROM " + table + " WHERE store_id = 'm'"), 2);
  }
  EXPECT_EQ(count("SELECT count(*) FROM information_schema.columns WHERE column_name = 'store_id' "
                  "AND is_nullable = 'NO' AND table_name IN ('order_lines', 'order_line_lots', "
                  "'payment_events', 'pick_task_lines', 'trip_stops', 'lot_trace_events')"),
            6);
}

// A database sharded by store requires every unique key of a store's table to name the store,
// and every foreign key between two such tables to name it on both sides (docs/scaling.md,
// section 7). Read from the migrated schema itself: a key added later without the store fails
// here. What may stay without it, and why:
TEST(Migrations, EveryKeyAmongAStoresTablesNamesTheStore) {
  TestDatabase db;
  migrate_once(db.url());
  const std::set<std::string> may_lack_it = {
      // api_tokens.store_id is NULL for customers and the admin: a table by token, not by store.
      "api_tokens (token_hash)",
      // For a rolling upgrade, until the release after 0020: the previous release's conflict
      // targets (and 0014's basket count's), and the orders' primary key, which its statements
      // group by (GROUP BY o.order_id).
      "counted_baskets (order_id)",
      "handover_code_attempts (order_id, actor_id)",
      "lots (lot_id)",
      "order_line_lots (order_id, line_no, lot_id)",
      "orders (order_id)",
      "payment_events (event_id)",
      "picker_shifts (staff_id) partial",
  };
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  // Tables of a store: a store_id column, not a partition (a partition has its parent's keys).
  const std::string scoped = R"sql(
    SELECT t.oid FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = current_schema() AND t.relkind IN ('r', 'p') AND NOT t.relispartition
      AND EXISTS (SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = t.oid AND a.attname = 'store_id' AND NOT a.attisdropped))sql";
  const auto columns = [](const std::string& rel, const std::string& keys) {
    return "(SELECT string_agg(a.attname, ', ' ORDER BY k.i) FROM unnest(" + keys +
           ") WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = " + rel +
           " AND a.attnum = k.n)";
  };
  std::set<std::string> unique_without;
  for (const auto& row :
       tx.exec("SELECT x.indrelid::regclass || ' (' || " + columns("x.indrelid", "x.indkey") +
               " || ')' || CASE WHEN x.indpred IS NULL THEN '' ELSE ' partial' END "
               "FROM pg_index x WHERE x.indisunique AND x.indrelid IN (" +
               scoped +
               ") "
               "AND NOT 'store_id' = ANY(SELECT a.attname FROM pg_attribute a "
               "  WHERE a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey))")) {
    unique_without.insert(row[0].as<std::string>());
  }
  EXPECT_EQ(unique_without, may_lack_it);
  std::set<std::string> foreign_without;
  for (const auto& row :
       tx.exec("SELECT f.conrelid::regclass || ' (' || " + columns("f.conrelid", "f.conkey") +
               " || ') -> ' || f.confrelid::regclass FROM pg_constraint f "
               "WHERE f.contype = 'f' AND f.conrelid IN (" +
               scoped + ") AND f.confrelid IN (" + scoped +
               ") AND NOT 'store_id' = ANY(SELECT a.attname FROM pg_attribute a "
               "  WHERE a.attrelid = f.conrelid AND a.attnum = ANY(f.conkey))")) {
    foreign_without.insert(row[0].as<std::string>());
  }
  EXPECT_EQ(foreign_without, std::set<std::string>{});
  // The keys it was about: not vacuous.
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN (" +
                     scoped + ") AND confrelid IN (" + scoped + ")")[0]
                .as<int>(),
            37);
}

// A migration is not a request: once it holds its locks, its statements run past the pool's
// statement timeout (a backfill of a big table takes minutes; cut at the timeout, `migrate`
// could never finish on a real store's database).
TEST(Migrations, AMigrationRunsPastTheRequestStatementTimeout) {
  TestDatabase db;
  migrate_before(db.url(), 18);  // up to 0017
  exec(db.url(), R"sql(
    INSERT INTO stores (store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency)
      VALUES ('m', 'M', 31.2, 121.5, 3000, 30, 'CNY');
    INSERT INTO customers (customer_id, phone, name) VALUES ('c1', '+8613800000001', 'Li');
    INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency,
                        total_minor, created_at, payment_expires_at)
      SELECT 'o' || i, 'c1', 'm', 'in_store', 'completed', 'CNY', 100, now(), now()
      FROM generate_series(1, 20000) i;
    INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price_minor)
      SELECT 'o' || i, l, 'TOFU', 'tofu', 1, 100
      FROM generate_series(1, 20000) i, generate_series(0, 14) l;
  )sql");
  auto config = config_for(db.url());
  config.statement_timeout = std::chrono::milliseconds(100);
  storage::Pool pool(config);
  std::vector<std::string> applied;
  pool.run_here([&](storage::Session& s) { applied = storage::migrate(s); });
  ASSERT_FALSE(applied.empty());
  EXPECT_EQ(applied.front(), "0018_child_store_ids.sql");
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM order_lines WHERE store_id = 'm'")[0].as<int>(), 300000);
  // ...while a request's statement is still cut at its timeout.
  pool.run_here([&](storage::Session& s) {
    pqxx::work w(s.connection());
    EXPECT_THROW(w.exec("SELECT pg_sleep(0.5)"), pqxx::sql_error);
  });
}

// The floor's and the couriers' event logs are partitioned by month: the rows written before
// keep their ids and land in their months, live inserts still feed the store's events, and a
// month past the retention goes whole (what the default partition holds from then too).
TEST(Migrations, EventLogsLiveInMonthlyPartitionsKeptForTheRetention) {
  TestDatabase db;
  migrate_before(db.url(), 15);  // up to 0014, as `migrate` would have
  exec(db.url(), R"sql(
    INSERT INTO stores (store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency)
      VALUES ('m', 'M', 31.2, 121.5, 3000, 30, 'CNY');
    INSERT INTO pick_events (store_id, at, kind, order_id)
      VALUES ('m', now(), 'order_packed', 'A'), ('m', now() - interval '2 months', 'order_packed', 'B');
    INSERT INTO delivery_events (store_id, at, kind, order_id)
      VALUES ('m', now(), 'delivered', 'A');
  )sql");
  const auto applied = migrate_once(db.url());
  ASSERT_FALSE(applied.empty());
  ASSERT_EQ(applied.front(), "0015_event_partitions.sql");

  pqxx::connection c(db.url());
  const auto one = [&](const std::string& sql) {
    pqxx::work tx(c);
    const auto v = tx.exec1(sql)[0].as<std::string>();
    tx.commit();
    return v;
  };
  // The rows moved with their ids, each into its month.
  EXPECT_EQ(one("SELECT string_agg(event_id || ' ' || order_id || ' ' || tableoid::regclass, ', ' "
                "ORDER BY event_id) FROM pick_events"),
            "1 A " + one("SELECT 'pick_events_' || to_char(now(), 'YYYY_MM')") + ", 2 B " +
                one("SELECT 'pick_events_' || to_char(now() - interval '2 months', 'YYYY_MM')"));
  EXPECT_EQ(one("SELECT count(*) FROM delivery_events"), "1");
  // A live insert takes the next id and still becomes a store event.
  const auto store_events = one("SELECT count(*) FROM store_events");
  EXPECT_EQ(one("INSERT INTO pick_events (store_id, at, kind, order_id) "
                "VALUES ('m', now(), 'order_packed', 'C') RETURNING event_id"),
            "3");
  EXPECT_EQ(one("SELECT count(*) FROM store_events"), std::to_string(std::stoi(store_events) + 1));
  // A clock far in the past lands in the default partition, not lost.
  one("INSERT INTO pick_events (store_id, at, kind) VALUES ('m', '2001-01-01', 'odd') RETURNING 1");
  EXPECT_EQ(one("SELECT count(*) FROM pick_events_default"), "1");

  // Two years on, with a year kept: the old months go whole, new ones are there.
  EXPECT_GT(std::stoi(one("SELECT freshlane_event_partitions(12, now() + interval '2 years')")), 0);
  EXPECT_EQ(one("SELECT count(*) FROM pick_events"), "0");
  EXPECT_EQ(one("SELECT count(*) FROM delivery_events"), "0");
  EXPECT_EQ(one("SELECT count(*) FROM pg_inherits WHERE inhparent = 'pick_events'::regclass"),
            "17");  // twelve months back, this one, three ahead, and the default
  EXPECT_EQ(one("SELECT count(*) FROM pg_class WHERE relname = 'pick_events_' || "
                "to_char(now() + interval '2 years 3 months', 'YYYY_MM')"),
            "1");
  // Run again, nothing changes.
  EXPECT_EQ(one("SELECT freshlane_event_partitions(12, now() + interval '2 years')"), "0");
}

// The expiry sweep, run as the job runs it (inside its claim's transaction), forgets store
// events older than a day however many there are (a chain's busiest day writes more than one
// batch between two sweeps) in transactions of their own, keeps the day's, and keeps the event
// logs' months.
TEST(Migrations, TheSweepPrunesEveryOldStoreEventAndKeepsTheMonths) {
  TestDatabase db;
  migrate_once(db.url());
  exec(db.url(), R"sql(
    INSERT INTO store_events (store_id, seq, at, kind)
      SELECT 's', n, now() - interval '2 days', 'old' FROM generate_series(1, 25000) n;
    INSERT INTO store_events (store_id, seq, at, kind) VALUES ('s', 25001, now(), 'new');
  )sql");
  exec(
      db.url(), "DROP TABLE pick_events_" + [&] {
        pqxx::connection c(db.url());
        pqxx::read_transaction tx(c);
        return tx.exec1("SELECT to_char(now(), 'YYYY_MM')")[0].as<std::string>();
      }());
  storage::Pool pool(storage::PoolConfig{db.url(), 0});
  pool.run_here([](storage::Session& s) {
    storage::write(s, [&](storage::Tx& tx) {
      tx.exec0("SET LOCAL statement_timeout = '2s'");  // the claim's transaction, as the job's
      app::sweep_expired(s, 13);
    });
  });
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT string_agg(kind, ',') FROM store_events")[0].as<std::string>(), "new");
  // A missing month (this one's, dropped above) is made again by the sweep.
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_class WHERE relname = 'pick_events_' || "
                     "to_char(now(), 'YYYY_MM')")[0]
                .as<int>(),
            1);
}
