// An order and its idempotency key's answer are one commit (OrderRepository::place).
#include "freshlane/storage/idempotency_repository.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/migrations.hpp"
#include "freshlane/storage/order_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "support/test_database.hpp"

using namespace freshlane;
using namespace std::chrono_literals;

namespace {
const core::Timestamp kNow{std::chrono::seconds{1'800'000'000}};
const catalog::Store kStore{"s1", "Store 1", {31.25, 121.59}, 3000, 30, "CNY"};

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = std::make_unique<storage::Pool>(storage::PoolConfig{db_.url(), 0});
    pool_->run_here([](storage::Session& s) {
      storage::migrate(s);
      storage::StoreRepository(s).insert(kStore);
      storage::CatalogRepository repo(s);
      repo.insert_product(
          {"MILK", "Milk", "dairy", catalog::Unit::kEach, catalog::Storage::kChilled});
      repo.upsert_listing({"s1", "MILK", 800, std::nullopt, "chilled", "A1"});
      catalog::Lot lot;
      lot.lot_id = "L1";
      lot.store_id = "s1";
      lot.sku = "MILK";
      lot.quantity_received = 5;
      lot.origin = "x";
      lot.produced_at = kNow - 24h;
      lot.received_at = kNow - 24h;
      lot.expires_at = kNow + 72h;
      repo.insert_lot(lot);
    });
    exec(
        "INSERT INTO customers (customer_id, phone, name) VALUES ('c1', '+86100', 'a'), "
        "('c2', '+86200', 'b')");
  }
  void exec(const std::string& sql) {
    pqxx::connection c(db_.url());
    pqxx::nontransaction tx(c);
    tx.exec(sql);
  }
  long long count(const std::string& sql) {
    pqxx::connection c(db_.url());
    pqxx::nontransaction tx(c);
    return tx.exec(sql)[0][0].as<long long>();
  }
  storage::PlaceOutcome place(const std::string& customer, const std::string& key,
                              const std::string& hash, int quantity = 1,
                              std::function<bool()> admit = {}) {
    storage::OrderRequest req{
        customer, kStore, orders::Fulfillment::kPickup, {{"MILK", quantity}}, std::nullopt, kNow,
        900s,     3};
    storage::PlaceSteps steps;
    steps.admit = std::move(admit);
    steps.answer =
        [](const storage::CreateOrderOutcome& o) -> std::optional<storage::StoredAnswer> {
      if (const auto* order = std::get_if<orders::Order>(&o)) {
        return storage::StoredAnswer{201, "{\"order_id\":\"" + order->order_id + "\"}"};
      }
      if (std::holds_alternative<std::vector<orders::Shortage>>(o)) {
        return storage::StoredAnswer{409, "{\"code\":\"out_of_stock\"}"};
      }
      return std::nullopt;
    };
    storage::PlaceOutcome out = storage::KeyInUse{};
    pool_->run_here([&](storage::Session& s) {
      out = storage::OrderRepository(s).place(req, {key, hash}, steps);
    });
    return out;
  }
  freshlane::testing::TestDatabase db_;
  std::unique_ptr<storage::Pool> pool_;
};

std::string placed_body(const storage::PlaceOutcome& o) {
  const auto* placed = std::get_if<storage::Placed>(&o);
  return placed && placed->answer ? placed->answer->body : "";
}
}  // namespace

TEST_F(IdempotencyTest, TheAnswerIsKeptWithTheOrderAndReplayed) {
  const auto first = place("c1", "k", "h");
  const std::string body = placed_body(first);
  ASSERT_NE(body, "");
  EXPECT_EQ(count("SELECT count(*) FROM idempotency_keys WHERE key = 'k' AND status = 201 "
                  "AND response_body = '" +
                  body + "'"),
            1);
  const auto again = place("c1", "k", "h");
  ASSERT_TRUE(std::holds_alternative<storage::Replayed>(again));
  EXPECT_EQ(std::get<storage::Replayed>(again).answer.status, 201);
  EXPECT_EQ(std::get<storage::Replayed>(again).answer.body, body);
  EXPECT_TRUE(std::holds_alternative<storage::KeyReused>(place("c1", "k", "other")));
  EXPECT_NE(placed_body(place("c2", "k", "h")), "");  // keys are per customer
  EXPECT_EQ(count("SELECT count(*) FROM orders"), 2);
  EXPECT_EQ(count("SELECT quantity_reserved FROM lots WHERE lot_id = 'L1'"), 2);
}

TEST_F(IdempotencyTest, AFinalRefusalIsKeptToo) {
  const auto first = place("c1", "k", "h", 50);
  ASSERT_TRUE(std::holds_alternative<storage::Placed>(first));
  EXPECT_EQ(std::get<storage::Placed>(first).answer->status, 409);
  const auto again = place("c1", "k", "h", 50);
  ASSERT_TRUE(std::holds_alternative<storage::Replayed>(again));
  EXPECT_EQ(std::get<storage::Replayed>(again).answer.status, 409);
  EXPECT_EQ(count("SELECT count(*) FROM orders"), 0);
}

TEST_F(IdempotencyTest, ATwinRunningNowIsRefusedAndNothingIsPlaced) {
  pqxx::connection twin(db_.url());
  pqxx::work holding(twin);  // what a twin request's transaction holds while it runs
  holding.exec("SELECT pg_advisory_xact_lock(hashtextextended('c1 k', 0))");
  EXPECT_TRUE(std::holds_alternative<storage::KeyInUse>(place("c1", "k", "h")));
  holding.abort();
  EXPECT_EQ(count("SELECT count(*) FROM orders"), 0);
  EXPECT_NE(placed_body(place("c1", "k", "h")), "");
}

TEST_F(IdempotencyTest, WhenKeepingTheAnswerFailsNoOrderRemains) {
  // The key's row cannot be written: the order's transaction fails whole.
  exec(
      "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "RAISE EXCEPTION 'no keys today'; END $$");
  exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON idempotency_keys FOR EACH ROW "
      "EXECUTE FUNCTION refuse()");
  EXPECT_THROW(place("c1", "k", "h"), pqxx::sql_error);
  EXPECT_EQ(count("SELECT count(*) FROM orders"), 0);
  EXPECT_EQ(count("SELECT quantity_reserved FROM lots WHERE lot_id = 'L1'"), 0);
  exec("DROP TRIGGER refuse ON idempotency_keys");
  const std::string body = placed_body(place("c1", "k", "h"));
  ASSERT_NE(body, "");
  EXPECT_EQ(std::get<storage::Replayed>(place("c1", "k", "h")).answer.body, body);
  EXPECT_EQ(count("SELECT count(*) FROM orders"), 1);
}

TEST_F(IdempotencyTest, KeysAreKeptADayThenPruned) {
  exec(
      "INSERT INTO idempotency_keys (customer_id, key, request_hash, status, response_body, "
      "created_at) VALUES ('c1', 'old', 'h', 201, '{}', now() - interval '25 hours'), "
      "('c2', 'day', 'h', 201, '{}', now() - interval '23 hours')");
  long long pruned = 0;
  pool_->run_here(
      [&](storage::Session& s) { pruned = storage::IdempotencyRepository(s).prune(24h); });
  EXPECT_EQ(pruned, 1);
  EXPECT_TRUE(std::holds_alternative<storage::Replayed>(place("c2", "day", "h")));
  EXPECT_NE(placed_body(place("c1", "old", "h")), "");  // gone, so new
}

TEST_F(IdempotencyTest, StockTakenBetweenTheReadAndTheWriteIsNeverOversold) {
  // Between the order's read and its write, someone else takes 4 of the lot's 5 units: the
  // write finds them gone, nothing of it holds, and the order is planned again from a new read.
  // (The admission step runs again with each new read: the units are taken once.)
  bool taken = false;
  auto taken_meanwhile = [&] {
    if (!std::exchange(taken, true)) {
      exec("UPDATE lots SET quantity_reserved = quantity_reserved + 4 WHERE lot_id = 'L1'");
    }
    return true;
  };
  const auto refused = place("c1", "k", "h", 2, taken_meanwhile);
  ASSERT_TRUE(std::holds_alternative<storage::Placed>(refused));
  EXPECT_EQ(std::get<storage::Placed>(refused).answer->status, 409);  // out of stock, kept
  EXPECT_EQ(count("SELECT count(*) FROM orders"), 0);
  EXPECT_EQ(count("SELECT quantity_reserved FROM lots WHERE lot_id = 'L1'"), 4);
  EXPECT_EQ(count("SELECT pending_orders FROM customers WHERE customer_id = 'c1'"), 0);
  // A second lot, expiring later. The order is planned on the first lot (earliest expiry
  // first); the first lot then runs short, and the order is placed on the second read, from
  // both lots.
  exec("UPDATE lots SET quantity_reserved = 0");
  exec(
      "INSERT INTO lots (lot_id, store_id, sku, quantity_received, quantity_on_hand, origin, "
      "produced_at, received_at, expires_at) SELECT 'L2', store_id, sku, 5, 5, origin, "
      "produced_at, received_at, expires_at + interval '1 day' FROM lots WHERE lot_id = 'L1'");
  auto first_lot_runs_short = [&] {
    exec("UPDATE lots SET quantity_reserved = 4 WHERE lot_id = 'L1'");
    return true;
  };
  EXPECT_NE(placed_body(place("c2", "k2", "h", 2, first_lot_runs_short)), "");
  EXPECT_EQ(count("SELECT quantity_reserved FROM lots WHERE lot_id = 'L1'"), 5);
  EXPECT_EQ(count("SELECT quantity_reserved FROM lots WHERE lot_id = 'L2'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM order_line_lots"), 2);
}

TEST_F(IdempotencyTest, ACustomersUnpaidOrdersAreCountedOnTheirRow) {
  for (int i = 0; i < 3; ++i) EXPECT_NE(placed_body(place("c1", "k" + std::to_string(i), "h")), "");
  const auto fourth = place("c1", "k3", "h");
  ASSERT_TRUE(std::holds_alternative<storage::Placed>(fourth));
  EXPECT_TRUE(std::holds_alternative<storage::TooManyPendingOrders>(
      std::get<storage::Placed>(fourth).outcome));
  EXPECT_FALSE(std::get<storage::Placed>(fourth).answer);  // not final: nothing kept
  EXPECT_EQ(count("SELECT count(*) FROM idempotency_keys WHERE key = 'k3'"), 0);
  EXPECT_EQ(count("SELECT quantity_reserved FROM lots WHERE lot_id = 'L1'"), 3);
  // An order leaving pending_payment (paid, cancelled, expired) gives its place back.
  exec("UPDATE orders SET status = 'expired' WHERE order_id = (SELECT min(order_id) FROM orders)");
  EXPECT_EQ(count("SELECT pending_orders FROM customers WHERE customer_id = 'c1'"), 2);
  EXPECT_NE(placed_body(place("c1", "k3", "h")), "");
}
