// Reads of a store's orders that must not grow with its history: the days of sales a forecast
// reads, and staff finding a customer's orders by the end of a phone number.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "freshlane/app/periodic.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/fresh_repository.hpp"
#include "freshlane/storage/migrations.hpp"
#include "freshlane/storage/order_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "storage/sql.hpp"
#include "support/migrated_pool.hpp"
#include "support/test_database.hpp"

using namespace freshlane;
using namespace std::chrono_literals;
using freshlane::testing::TestDatabase;

namespace {
// 2027-01-15 08:00 UTC; the store keeps Shanghai's clock (UTC+8), where it is 16:00.
const core::Timestamp kNow{std::chrono::seconds{1'800'000'000}};
const core::Timestamp kMidnight = kNow - 16h;  // 2027-01-15 00:00 in the store
constexpr int kOffset = 480;

class OrderReads : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = freshlane::testing::migrated_pool(db_.url());
    pool_->run_here([](storage::Session& s) {
      storage::StoreRepository(s).insert({"s1", "Store 1", {31.25, 121.59}, 3000, 30, "CNY"});
    });
    sql("INSERT INTO customers (customer_id, phone, name) VALUES ('cus_1', '+8613900000001', 'a')");
  }
  void sql(const std::string& text) {
    pqxx::connection db(db_.url());
    pqxx::work tx(db);
    tx.exec(text);
    tx.commit();
  }
  // An order of `units` TOFU handed over at `at`, as a seed (or a late write) would leave it.
  void sold(const std::string& id, core::Timestamp at, int units) {
    const std::string t =
        "to_timestamp(" +
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count()) +
        ")";
    sql("WITH o AS (INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, "
        "currency, total_minor, created_at, payment_status, payment_expires_at, paid_at, "
        "handed_over_at) VALUES ('" +
        id + "', 'cus_1', 's1', 'in_store', 'completed', 'CNY', 0, " + t + ", 'paid', " + t + ", " +
        t + ", " + t +
        ") RETURNING order_id) "
        "INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, "
        "unit_price_minor, unit, list_price_minor) SELECT order_id, 's1', 0, 'TOFU', 'tofu', " +
        std::to_string(units) + ", 100, 'each', 100 FROM o");
  }
  // TOFU sold on 01-12, 01-13 and 01-14, as the forecast of 01-15 reads them at `now`.
  std::vector<double> three_days(core::Timestamp now) {
    std::vector<double> out;
    pool_->run_here([&](storage::Session& s) {
      out = storage::FreshRepository(s).daily_sales("s1", {"TOFU"}, "2027-01-15", 3, kOffset,
                                                    now)["TOFU"];
    });
    return out;
  }
  long long summed_days() {
    pqxx::connection db(db_.url());
    pqxx::work tx(db);
    return tx.exec1("SELECT count(*) FROM sales_days_summed WHERE store_id = 's1'")[0]
        .as<long long>();
  }
  TestDatabase db_;
  std::unique_ptr<storage::Pool> pool_;
};
}  // namespace

// A day is summed from the orders once, an hour after it ended; until then it is read from the
// orders, so a hand-over still landing in it counts. A summed day is not read again (an order
// written into it behind the repository's back is not seen) until its sums are forgotten.
TEST_F(OrderReads, ADayIsSummedOnceItIsOverAndTheRestIsReadFromTheOrders) {
  sold("ord_a", kMidnight - 36h, 3);     // 01-13 at noon
  sold("ord_b", kMidnight - 30min, 5);   // 01-14 at 23:30
  const auto early = kMidnight + 20min;  // 01-15 at 00:20: 01-14 is not over yet
  EXPECT_EQ(three_days(early), (std::vector<double>{0, 3, 5}));
  EXPECT_EQ(summed_days(), 2);          // 01-12 and 01-13
  sold("ord_c", kMidnight - 10min, 2);  // a hand-over of 23:50 committed late
  EXPECT_EQ(three_days(early), (std::vector<double>{0, 3, 7}));
  const auto later = kMidnight + 70min;
  EXPECT_EQ(three_days(later), (std::vector<double>{0, 3, 7}));
  EXPECT_EQ(summed_days(), 3);
  sold("ord_d", kMidnight - 40h, 4);  // into 01-13, already summed
  EXPECT_EQ(three_days(later), (std::vector<double>{0, 3, 7}));
  pool_->run_here(
      [](storage::Session& s) { storage::FreshRepository(s).forget_sales_days({"s1"}); });
  EXPECT_EQ(summed_days(), 0);
  EXPECT_EQ(three_days(later), (std::vector<double>{0, 7, 7}));
  // The same sales cut by another clock (UTC) are summed again, not read from the Shanghai sums:
  // a sale at 03:00 on 01-13 in the store was made on 01-12 in UTC.
  sold("ord_e", kMidnight - 45h, 1);
  pool_->run_here([&](storage::Session& s) {
    const auto utc =
        storage::FreshRepository(s).daily_sales("s1", {"TOFU"}, "2027-01-15", 3, 0, later)["TOFU"];
    // 01-12 19:00; 01-13 04:00 and 00:00; 01-14 15:30 and 15:50 (UTC).
    EXPECT_EQ(utc, (std::vector<double>{1, 7, 7}));
  });
  EXPECT_EQ(summed_days(), 5);
}

// A window of a month is summed a week at a time (each week its own statement, inside the
// statement timeout at a busy store), every day of it.
TEST_F(OrderReads, AMonthIsSummedWholeAWeekAtATime) {
  for (int d = 1; d <= 30; d += 3) sold("ord_m" + std::to_string(d), kMidnight - d * 24h + 12h, d);
  std::vector<double> month;
  pool_->run_here([&](storage::Session& s) {
    month = storage::FreshRepository(s).daily_sales("s1", {"TOFU"}, "2027-01-15", 30, kOffset,
                                                    kNow)["TOFU"];
  });
  EXPECT_EQ(summed_days(), 30);
  ASSERT_EQ(month.size(), 30u);
  for (int d = 1; d <= 30; ++d) EXPECT_EQ(month[30 - d], d % 3 == 1 ? d : 0) << d << " days ago";
}

// A seed writes orders handed over on days a forecast may have summed already: those days are
// summed again, with the seeded sales in them.
TEST_F(OrderReads, ASeedWritingPastDaysHasThemSummedAgain) {
  const auto fortnight = [&] {
    double units = 0;
    pool_->run_here([&](storage::Session& s) {
      const auto sales =
          storage::FreshRepository(s).daily_sales("s1", {"TOFU"}, "2027-01-15", 14, kOffset, kNow);
      for (const double u : sales.at("TOFU")) units += u;
    });
    return units;
  };
  pool_->run_here([](storage::Session& s) {
    storage::CatalogRepository repo(s);
    repo.insert_product(
        {"TOFU", "嫩豆腐 Silken Tofu", "dairy", catalog::Unit::kEach, catalog::Storage::kChilled});
    repo.upsert_listing({"s1", "TOFU", 300, std::nullopt, "chilled", "A1-1"});
  });
  EXPECT_EQ(fortnight(), 0);
  EXPECT_EQ(summed_days(), 14);
  pool_->run_here(
      [](storage::Session& s) { storage::FreshRepository(s).seed_sales_history("s1", 14, kNow); });
  EXPECT_GT(fortnight(), 0);
}

// Finding a customer's orders by the last digits of their phone starts from the customers whose
// number ends so (an index of the numbers read backwards), not from the store's newest order,
// and pages as the same filter over every order would.
TEST_F(OrderReads, APhoneSearchStartsFromTheCustomersNotTheStoresHistory) {
  // 2,000 customers with ten orders each; of them only +8613700000007 ends in 0007. A second
  // customer whose number ends so has five orders here, two of them cancelled, one elsewhere.
  sql(R"sql(
    INSERT INTO customers (customer_id, phone, name)
    SELECT 'cus_p' || i, '+86137' || lpad(i::text, 8, '0'), 'c' || i FROM generate_series(1, 2000) i;
    INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency,
                        total_minor, created_at, payment_status, payment_expires_at)
    SELECT 'ord_p' || n, 'cus_p' || (1 + n % 2000), 's1', 'pickup', 'completed', 'CNY', 0,
           to_timestamp(1800000000 - n * 60), 'paid', to_timestamp(1800000000 - n * 60)
    FROM generate_series(1, 20000) n;
    INSERT INTO stores (store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency)
    SELECT 's2', name, lat, lon, delivery_radius_m, promise_minutes, currency FROM stores
    WHERE store_id = 's1';
    INSERT INTO customers (customer_id, phone, name) VALUES ('cus_x', '+8615500000007', 'x');
    INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency,
                        total_minor, created_at, payment_status, payment_expires_at)
    SELECT 'ord_x' || n, 'cus_x', CASE WHEN n = 6 THEN 's2' ELSE 's1' END, 'pickup',
           CASE WHEN n <= 2 THEN 'cancelled' ELSE 'completed' END, 'CNY', 0,
           to_timestamp(1800000000 - n * 6000 - 30), 'paid', to_timestamp(1800000000)
    FROM generate_series(1, 6) n;
    ANALYZE customers; ANALYZE orders;)sql");
  const auto every = [&](bool oldest, const std::string& status) {
    pqxx::connection db(db_.url());
    pqxx::work tx(db);
    const std::string order = oldest ? " ASC" : " DESC";
    std::vector<std::string> ids;
    for (const auto& r :
         tx.exec("SELECT o.order_id FROM orders o JOIN customers c USING (customer_id) "
                 "WHERE o.store_id = 's1' AND c.phone LIKE '%0007' AND (" +
                 tx.quote(status) + " = '' OR o.status = " + tx.quote(status) +
                 ") ORDER BY o.created_at" + order + ", o.order_id" + order)) {
      ids.push_back(r[0].as<std::string>());
    }
    return ids;
  };
  for (const bool oldest : {false, true}) {
    for (const std::string status : {"", "completed"}) {
      std::vector<std::string> found;
      pool_->run_here([&](storage::Session& s) {
        storage::StoreOrderQuery q;
        q.store_id = "s1";
        q.text = "0007";
        q.status = status;
        q.oldest_first = oldest;
        q.limit = 4;
        for (int pages = 0; pages < 10; ++pages) {
          const auto page = storage::OrderRepository(s).list_for_store(q);
          for (const auto& o : page.orders) found.push_back(o.order_id);
          if (!page.next) break;
          q.after = storage::parse_order_position(*page.next);
        }
      });
      EXPECT_EQ(found.size(), status.empty() ? 15u : 13u);
      EXPECT_EQ(found, every(oldest, status))
          << (oldest ? "oldest first" : "newest first") << ", status '" << status << "'";
    }
  }
  pool_->run_here([&](storage::Session& s) {
    storage::read(s, [&](storage::Tx& tx) {
      storage::StoreOrderQuery q;
      q.store_id = "s1";
      q.text = "0007";
      storage::OrderRepository(s).list_for_store(q);
      // The plan every execution gets once PostgreSQL stops planning each one afresh.
      tx.exec0("SET LOCAL plan_cache_mode = force_generic_plan");
      std::string plan;
      for (const auto& row : tx.exec("EXPLAIN EXECUTE order_find_store('s1', '', '', '0007', "
                                     "'0007', '{}', false, 0, '', 21)")) {
        plan += row[0].as<std::string>() + "\n";
      }
      EXPECT_NE(plan.find("customers_by_phone_end"), std::string::npos) << plan;
      EXPECT_NE(plan.find("orders_by_store_customer"), std::string::npos) << plan;
      EXPECT_EQ(plan.find("using orders_by_store on"), std::string::npos) << plan;
    });
  });
}

// The expiry sweep drops summed days older than the 400 kept (more than one batch of them),
// markers and sums alike, and keeps the rest.
TEST_F(OrderReads, TheSweepDropsSummedDaysOlderThanAnyForecastReads) {
  sql(R"sql(
    INSERT INTO sales_days (store_id, utc_offset_minutes, day, sku, units)
    SELECT 's1', 480, current_date - 401 - n / 100, 'SKU' || n % 100, 1
    FROM generate_series(0, 12499) n;
    INSERT INTO sales_days (store_id, utc_offset_minutes, day, sku, units)
    VALUES ('s1', 480, current_date - 399, 'TOFU', 7);
    INSERT INTO sales_days_summed (store_id, utc_offset_minutes, day)
    VALUES ('s1', 480, current_date - 401), ('s1', 480, current_date - 399);)sql");
  pool_->run_here([](storage::Session& s) {
    storage::write(s, [&](storage::Tx&) { app::sweep_expired(s, 13); });
  });
  pqxx::connection db(db_.url());
  pqxx::work tx(db);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM sales_days")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT units FROM sales_days WHERE sku = 'TOFU'")[0].as<int>(), 7);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM sales_days_summed")[0].as<int>(), 1);
}
