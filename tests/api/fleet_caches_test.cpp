// What one process of a fleet remembers stays honest about what another did: cached answers
// learn of writes through any process from the change feed, and an order's answer survives the
// process that placed it.
#include <gtest/gtest.h>

#include <thread>

#include "api/fleet_fixture.hpp"

using namespace freshlane::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
// Answers live their longest (1 s), so only the change feed can make a change show sooner.
std::map<std::string, std::string> long_cache() { return {{"FRESHLANE_ANSWER_CACHE_MS", "1000"}}; }

int price(const ServerProcess& s, const std::string& sku) {
  return s.get("/v1/stores/cf/products/" + sku).json()["price_minor"];
}
void set_price(const ServerProcess& s, const std::string& sku, int price) {
  const auto r =
      s.admin("PUT", "/v1/stores/cf/products/" + sku,
              nlohmann::json{{"price_minor", price}, {"zone", "produce"}, {"shelf", "A1"}}.dump());
  if (r.status != 200) throw std::runtime_error(r.body);
}

// Two processes with long-lived answers on one database, a store with one product at 1000.
struct TwoProcesses : TwoServers {
  TwoProcesses() : TwoServers(long_cache()) {
    shop.store("cf");
    shop.stock("cf", "CF-1", 5, 1000);
  }
};
}  // namespace

TEST(FleetCaches, AWriteThroughOneProcessShowsInAnothersReadsWithinAPoll) {
  TwoProcesses fleet;
  ServerProcess &a = fleet.a, &b = fleet.b;
  Shop& shop = fleet.shop;
  std::this_thread::sleep_for(300ms);  // B has heard of the setup's changes
  for (int round = 0; round < 5; ++round) {
    ASSERT_EQ(price(b, "CF-1"), 1000 + round);  // B holds the answer now
    set_price(a, "CF-1", 1001 + round);         // written through A
    // Well inside B's answer's life and before any refresh ahead (at half of it): only the
    // feed can have told B.
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(price(b, "CF-1"), 1001 + round) << "round " << round;
    // How soon it shows, for the record.
    if (round == 0) {
      set_price(a, "CF-1", 1000 + round);
      const auto again = Clock::now();
      while (price(b, "CF-1") != 1000 + round && Clock::now() - again < 2s) {
        std::this_thread::sleep_for(5ms);
      }
      std::printf("cache: a write through A showed in B's reads after %.0f ms\n",
                  std::chrono::duration<double, std::milli>(Clock::now() - again).count());
      set_price(a, "CF-1", 1001 + round);
      std::this_thread::sleep_for(300ms);
    }
  }
  // The same for stock: an order through A, availability read through B.
  ASSERT_EQ(b.get("/v1/stores/cf/products/CF-1").json()["available"], 5);
  ASSERT_EQ(shop.order(shop.customer(), Shop::order_body("cf", {{"CF-1", 2}}), "k").status, 201);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(b.get("/v1/stores/cf/products/CF-1").json()["available"], 3);
}

TEST(FleetCaches, WithTheFeedLostAnAnswerStillLivesNoLongerThanItsTtl) {
  TwoProcesses fleet;
  ServerProcess &a = fleet.a, &b = fleet.b;
  {
    pqxx::connection c(fleet.db.url());
    pqxx::nontransaction sql(c);
    sql.exec("ALTER TABLE store_products DISABLE TRIGGER USER");  // the feed hears nothing
  }
  std::this_thread::sleep_for(300ms);  // B has heard of the setup's changes
  ASSERT_EQ(price(b, "CF-1"), 1000);
  const auto cached = Clock::now();
  set_price(a, "CF-1", 1234);
  std::this_thread::sleep_for(300ms);
  const int seen = price(b, "CF-1");
  // No feed: B does not know yet, as long as its answer is younger than its second.
  if (Clock::now() - cached < 900ms) {
    EXPECT_EQ(seen, 1000);
  }
  std::this_thread::sleep_for(1200ms);
  EXPECT_EQ(price(b, "CF-1"), 1234);  // but its answer has lived out its second
}

TEST(FleetCaches, AProcessKilledAfterTheOrderCommittedLosesNoAnswer) {
  TestDatabase db;
  migrate_database(db.url());
  auto a = std::make_unique<ServerProcess>(db.url());
  Shop shop{*a};
  shop.store("cf");
  shop.stock("cf", "CF-1", 5, 1000);
  const std::string token = shop.customer();
  const std::string body = Shop::order_body("cf", {{"CF-1", 1}}).dump();
  const std::vector<Header> headers{bearer(token), {"Idempotency-Key", "kill-me"}};
  pqxx::connection c(db.url());
  {
    // The order is sent; its answer is never read. The moment the order is in the database
    // the process dies: for the client the answer is lost. In that very snapshot the key's
    // answer is there too (written in the order's own commit, not after it).
    Connection client(a->port());
    ASSERT_TRUE(client.send(build_request("POST", "/v1/orders", body, headers, true)));
    long long orders = 0, answers = 0;
    for (const auto until = Clock::now() + 30s; orders == 0 && Clock::now() < until;) {
      const auto seen = pqxx::nontransaction(c).exec(
          "SELECT (SELECT count(*) FROM orders), (SELECT count(*) "
          "FROM idempotency_keys WHERE key = 'kill-me')");
      orders = seen[0][0].as<long long>();
      answers = seen[0][1].as<long long>();
      if (orders == 0) std::this_thread::sleep_for(1ms);
    }
    a->stop(true);
    ASSERT_EQ(orders, 1) << "the order never came";
    EXPECT_EQ(answers, 1) << "the order was visible before its idempotency answer";
  }
  const std::string placed =
      pqxx::nontransaction(c).exec("SELECT order_id FROM orders")[0][0].as<std::string>();
  ServerProcess b(db.url());
  const auto retry = b.send("POST", "/v1/orders", body, headers);
  ASSERT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(retry.header("idempotent-replayed"), "true");
  EXPECT_EQ(retry.json()["order_id"], placed);
  EXPECT_EQ(db_number(db.url(), "SELECT count(*) FROM orders"), 1);
  EXPECT_EQ(db_number(db.url(), "SELECT quantity_reserved FROM lots"), 1);
}
