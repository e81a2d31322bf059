// The answer cache seen from outside: product and scan answers come from memory, every write
// through the server shows in the very next read, and a change made behind the server's back
// (another process, a script) shows within a second.
#include <pqxx/pqxx>

#include "api/shop_fixture.hpp"

namespace freshlane::testing {
namespace {

class AnswerCacheApi : public ApiTest {
 protected:
  static void SetUpTestSuite() {
    ApiTest::SetUpTestSuite();
    Shop{server()}.store("c1");
  }
  Shop shop() const { return Shop{server()}; }
  static double hits() {
    return metric_value(server().get("/metrics").body, "freshlane_answer_cache_hits_total");
  }
  static nlohmann::json product(const std::string& sku) {
    return server().get("/v1/stores/c1/products/" + sku).json();
  }
  static nlohmann::json scan(const std::string& code) {
    return server().get("/v1/scan/" + code).json();
  }
  static std::string receive(const std::string& sku, int qty) {
    const auto r = server().admin("POST", "/v1/stores/c1/lots",
                                  nlohmann::json{{"sku", sku},
                                                 {"quantity", qty},
                                                 {"origin", "Zhoushan"},
                                                 {"produced_at", hours_from_now(-24)},
                                                 {"expires_at", hours_from_now(48)}}
                                      .dump());
    if (r.status != 201) throw std::runtime_error("lot: " + r.body);
    return r.json()["qr_code"];
  }
};

}  // namespace

TEST_F(AnswerCacheApi, RepeatedReadsAreServedFromMemory) {
  shop().stock("c1", "HOT", 5);
  const std::string code = receive("HOT", 1);
  const double before = hits();
  ASSERT_GE(before, 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(product("HOT")["available"], 6);
    EXPECT_EQ(scan(code)["available"], 6);
  }
  // The first read of each loads; at least some of the four others are hits (all of them,
  // unless this machine stalled for a quarter of a second).
  EXPECT_GE(hits() - before, 2);
}

TEST_F(AnswerCacheApi, EveryWriteThroughTheServerShowsInTheNextRead) {
  shop().stock("c1", "LAST2", 2, 1500);
  const std::string code = receive("LAST2", 1);  // 3 in all, 1 of them in this lot
  EXPECT_EQ(product("LAST2")["available"], 3);
  EXPECT_EQ(scan(code)["available"], 3);

  // An order takes everything: sold out at once, in the product and in the scan.
  const std::string customer = shop().customer();
  const auto order = shop().order(customer, Shop::order_body("c1", {{"LAST2", 3}}), "all-of-it");
  ASSERT_EQ(order.status, 201) << order.body;
  EXPECT_EQ(product("LAST2")["available"], 0);
  EXPECT_EQ(scan(code)["available"], 0);

  // Cancelled: back at once.
  const auto id = order.json()["order_id"].get<std::string>();
  ASSERT_EQ(server().send("POST", "/v1/orders/" + id + "/cancel", "", {bearer(customer)}).status,
            200);
  EXPECT_EQ(product("LAST2")["available"], 3);
  EXPECT_EQ(scan(code)["available"], 3);

  // A new price and an evening markdown: at once.
  ASSERT_EQ(
      server()
          .admin("PUT", "/v1/stores/c1/products/LAST2",
                 nlohmann::json{{"price_minor", 1800},
                                {"zone", "produce"},
                                {"shelf", "B2"},
                                {"markdown", {{"price_minor", 900}, {"until", hours_from_now(2)}}}}
                     .dump())
          .status,
      200);
  EXPECT_EQ(product("LAST2")["price_minor"], 900);
  EXPECT_EQ(product("LAST2")["regular_price_minor"], 1800);
  EXPECT_EQ(product("LAST2")["shelf"], "B2");
  EXPECT_EQ(scan(code)["price_minor"], 900);

  // A lot received: at once.
  receive("LAST2", 4);
  EXPECT_EQ(product("LAST2")["available"], 7);
  EXPECT_EQ(scan(code)["available"], 7);
}

TEST_F(AnswerCacheApi, AChangeMadeElsewhereShowsWithinASecond) {
  shop().stock("c1", "ELSEWHERE", 4);
  EXPECT_EQ(product("ELSEWHERE")["available"], 4);
  {
    // Another process sells the lot out behind this server's back.
    pqxx::connection c(database_url());
    pqxx::work tx(c);
    tx.exec("UPDATE lots SET quantity_on_hand = quantity_reserved WHERE sku = 'ELSEWHERE'");
    tx.commit();
  }
  const auto sold_out = std::chrono::steady_clock::now();
  while (product("ELSEWHERE")["available"] != 0) {
    ASSERT_LT(std::chrono::steady_clock::now() - sold_out, std::chrono::seconds(1))
        << "a sold-out item still looks available after a second";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// A catalog page, changed behind the server's back: a change of stock or price of a product it
// does not show leaves it cached; one of a product it shows, or a listing added or listed
// again anywhere in the store, shows within a second (well inside the page's 5 s life).
TEST_F(AnswerCacheApi, APageGoesWithItsOwnProductsOrAListingButNotWithOtherStock) {
  shop().store("pg");
  for (const char* sku : {"PG-A", "PG-C", "PG-E"}) shop().stock("pg", sku, 3);
  std::string url = "/v1/stores/pg/products?limit=2";
  auto page = [&] {
    std::vector<std::string> out;
    const auto body = server().get(url).json();
    for (const auto& item : body["items"]) {
      out.push_back(item["sku"].get<std::string>() + "=" +
                    std::to_string(item["available"].get<int>()));
    }
    return out;
  };
  auto sql = [&](const std::string& statement) {
    pqxx::connection c(database_url());
    pqxx::work tx(c);
    tx.exec(statement);
    tx.commit();
  };
  auto loads = [] {
    return metric_value(server().get("/metrics").body, "freshlane_answer_cache_loads_total");
  };
  auto ranked = [] {
    return metric_value(server().get("/metrics").body, "freshlane_catalog_pages_ranked_total");
  };
  auto shows_within_a_second = [&](const std::vector<std::string>& want) {
    const auto from = std::chrono::steady_clock::now();
    while (page() != want) {
      ASSERT_LT(std::chrono::steady_clock::now() - from, std::chrono::seconds(1))
          << "the page still shows what changed after a second";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the setup's changes are heard
  ASSERT_EQ(page(), (std::vector<std::string>{"PG-A=3", "PG-C=3"})) << server().get(url).body;

  // PG-E is not on the page: its stock and its price leave the page cached (no load).
  const double before = loads();
  sql("UPDATE lots SET quantity_on_hand = quantity_on_hand + 1 WHERE sku = 'PG-E'");
  sql("UPDATE store_products SET price_minor = 1100 WHERE store_id = 'pg' AND sku = 'PG-E'");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the feed has told the server
  EXPECT_EQ(page(), (std::vector<std::string>{"PG-A=3", "PG-C=3"}));
  // Nor does an order of it through the server.
  const std::string customer = shop().customer();
  ASSERT_EQ(shop().order(customer, Shop::order_body("pg", {{"PG-E", 1}}), "pg-e").status, 201);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(page(), (std::vector<std::string>{"PG-A=3", "PG-C=3"}));
  EXPECT_EQ(loads(), before) << "a change to a product the page does not show dropped it";

  // PG-A is: its stock shows, read without ranking the page's products again.
  const double rankings = ranked();
  sql("UPDATE lots SET quantity_on_hand = quantity_on_hand + 1 WHERE sku = 'PG-A'");
  shows_within_a_second({"PG-A=4", "PG-C=3"});
  EXPECT_EQ(ranked(), rankings);

  // A listing added between the two, then delisted and listed again: each moves the page.
  shop().stock("pg", "PG-B", 0);
  EXPECT_EQ(page(), (std::vector<std::string>{"PG-A=4", "PG-B=0"}));
  EXPECT_GT(ranked(), rankings);
  sql("UPDATE store_products SET delisted_at = now() WHERE store_id = 'pg' AND sku = 'PG-B'");
  shows_within_a_second({"PG-A=4", "PG-C=3"});
  sql("UPDATE store_products SET delisted_at = NULL WHERE store_id = 'pg' AND sku = 'PG-B'");
  shows_within_a_second({"PG-A=4", "PG-B=0"});
  sql("DELETE FROM store_products WHERE store_id = 'pg' AND sku = 'PG-B'");
  shows_within_a_second({"PG-A=4", "PG-C=3"});
  sql("INSERT INTO store_products (store_id, sku, price_minor, zone, shelf) "
      "VALUES ('pg', 'PG-B', 700, 'produce', 'A1')");
  shows_within_a_second({"PG-A=4", "PG-B=0"});

  // A search's second page counts what came before it: a product of the first page delisted
  // moves the second, which does not show it.
  const auto first = server().get("/v1/stores/pg/products?limit=2&q=pg-").json();
  url = "/v1/stores/pg/products?limit=2&q=pg-&cursor=" + first["next_cursor"].get<std::string>();
  ASSERT_EQ(page(), (std::vector<std::string>{"PG-C=3", "PG-E=3"})) << first.dump();
  sql("UPDATE store_products SET delisted_at = now() WHERE store_id = 'pg' AND sku = 'PG-A'");
  shows_within_a_second({"PG-E=3"});
}

TEST_F(AnswerCacheApi, UnknownProductsAreNotCached) {
  shop().stock("c1", "NOT-YET", 0);
  ASSERT_EQ(server().get("/v1/stores/c1/products/NOT-YET").status, 200);
  {
    // Delisted and listed again behind the server's back: no write through the server drops
    // anything, so only an answer that was never kept can show the change at once.
    pqxx::connection c(database_url());
    pqxx::work tx(c);
    tx.exec("DELETE FROM store_products WHERE sku = 'NOT-YET'");
    tx.commit();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the 200 has expired
  EXPECT_EQ(server().get("/v1/stores/c1/products/NOT-YET").status, 404);
  {
    pqxx::connection c(database_url());
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO store_products (store_id, sku, price_minor, zone, shelf) "
        "VALUES ('c1', 'NOT-YET', 700, 'produce', 'A1')");
    tx.commit();
  }
  const auto listed = server().get("/v1/stores/c1/products/NOT-YET");  // the 404 was not kept
  EXPECT_EQ(listed.status, 200);
  EXPECT_EQ(listed.json().value("price_minor", 0), 700) << listed.body;
}

}  // namespace freshlane::testing
