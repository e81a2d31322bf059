#include "freshlane/app/demo_seed.hpp"

#include <gtest/gtest.h>

#include "freshlane/storage/migrations.hpp"
#include "support/test_database.hpp"

using namespace freshlane;
using freshlane::testing::TestDatabase;

TEST(DemoSeed, LoadsAShanghaiChainAndIsSafeToRunTwice) {
  TestDatabase db;
  storage::Pool pool({db.url(), 0});
  const auto now = core::system_now();
  app::SeedSummary first, second;
  pool.run_here([&](storage::Session& s) {
    storage::migrate(s);
    first = app::seed_demo(s, now);
    second = app::seed_demo(s, now);
  });
  EXPECT_GE(first.stores, 3u);
  EXPECT_GE(first.products, 200u);
  EXPECT_GT(first.lots, 0u);
  EXPECT_EQ(second.lots, 0u);  // nothing new the second time
  // Eight weeks of aisle sales and of 40 regulars' baskets a store, counted once.
  EXPECT_EQ(first.history_days, 3 * 56);
  EXPECT_GT(first.regular_baskets, 3 * 40 * 5);
  EXPECT_EQ(second.history_days, 0);
  EXPECT_EQ(second.regular_baskets, 0);

  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM stores")[0][0].as<int>(), 3);
  EXPECT_GE(tx.exec("SELECT count(*) FROM products")[0][0].as<int>(), 200);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM lots")[0][0].as<size_t>(), first.lots);
  // Chinese and English names, every zone of the floor, ratings, trace events.
  EXPECT_GT(
      tx.exec("SELECT count(*) FROM products WHERE name ~ '[一-龥]' AND name ~ '[A-Za-z]'")[0][0]
          .as<int>(),
      200);
  EXPECT_EQ(tx.exec("SELECT count(DISTINCT zone) FROM store_products")[0][0].as<int>(), 6);
  EXPECT_EQ(tx.exec("SELECT count(DISTINCT category) FROM products")[0][0].as<int>(), 7);
  EXPECT_GT(tx.exec("SELECT count(*) FROM product_ratings")[0][0].as<int>(), 100);
  EXPECT_GT(tx.exec("SELECT count(*) FROM lot_trace_events")[0][0].as<int>(), 1000);
  // Orders carry the sum of their lines; the regulars' baskets are in the counts, the walk-in
  // day totals are not (no person's basket).
  EXPECT_EQ(tx.exec("SELECT count(*) FROM orders o WHERE total_minor <= 0")[0][0].as<int>(), 0);
  EXPECT_EQ(tx.exec("SELECT sum(baskets) FROM shopper_stores")[0][0].as<int>(),
            first.regular_baskets);
  EXPECT_EQ(
      tx.exec("SELECT count(*) FROM shopper_stores WHERE customer_id = 'cus_demo_aisle'")[0][0]
          .as<int>(),
      0);
  EXPECT_GT(
      tx.exec("SELECT count(*) FROM basket_pairs WHERE store_id = 'sh-jinqiao'")[0][0].as<int>(),
      1000);
  // Every store lies in Shanghai.
  EXPECT_EQ(tx.exec("SELECT count(*) FROM stores WHERE lat BETWEEN 30.9 AND 31.5 AND lon BETWEEN "
                    "121.1 AND 121.9")[0][0]
                .as<int>(),
            3);
}
