#include "freshlane/storage/migrations.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "freshlane/storage/pool.hpp"
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
