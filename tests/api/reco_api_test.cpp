// Recommendations through HTTP against a real PostgreSQL (issue 18): a paid basket teaches at
// once; buy_again ranks the customer's own items with the reason; together extends a basket from
// the store's baskets; for_you mixes them, a new customer gets the store's favourites; only what
// is in stock is offered; the scan and product answers carry often_with; a customer who switches
// personalisation off leaves every count, and comes back when switching it on; payments counting
// the same items at once lose no basket.
#include <pqxx/pqxx>
#include <thread>

#include "api/api_fixture.hpp"
#include "api/shop_fixture.hpp"

namespace freshlane::testing {
namespace {

class Recommendations : public ApiTest {
 protected:
  // Places an in-aisle order of one of each SKU and pays it: the order.
  static nlohmann::json buy(const Shop& shop, const std::string& customer, const std::string& store,
                            const std::vector<std::string>& skus, const std::string& key) {
    std::vector<std::pair<std::string, int>> lines;
    for (const auto& sku : skus) lines.emplace_back(sku, 1);
    const auto placed = shop.order(customer, Shop::order_body(store, lines, "in_store"), key);
    EXPECT_EQ(placed.status, 201) << placed.body;
    const auto order = placed.json();
    const auto paid = shop.pay(order["order_id"], order["total_minor"], "evt-" + key);
    EXPECT_EQ(paid.status, 200) << paid.body;
    return order;
  }
  static nlohmann::json recommend(const std::string& customer, const std::string& query) {
    const auto r = server().get("/v1/customers/me/recommendations?" + query, {bearer(customer)});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  static std::vector<std::string> skus(const nlohmann::json& answer) {
    std::vector<std::string> out;
    for (const auto& i : answer["items"]) out.push_back(i["sku"]);
    return out;
  }
  static int pair_count(const std::string& store, const std::string& a, const std::string& b) {
    pqxx::connection db(database_url());
    pqxx::work tx(db);
    const auto r = tx.exec_params(
        "SELECT baskets FROM basket_pairs WHERE store_id = $1 AND sku = $2 AND other_sku = $3",
        store, a, b);
    return r.empty() ? 0 : r[0][0].as<int>();
  }
};

TEST_F(Recommendations, APaidBasketTeachesAtOnceAndOnlyWhatIsInStockComesBack) {
  Shop shop{server()};
  shop.store("rc1");
  for (const char* sku : {"CRAB", "LEMON", "BUTTER", "MILK"}) shop.stock("rc1", sku, 20);
  const std::string alice = shop.customer(), bob = shop.customer();

  // Placed but not paid: nothing is learned.
  const auto placed =
      shop.order(alice, Shop::order_body("rc1", {{"CRAB", 1}, {"LEMON", 1}}, "in_store"), "a1")
          .json();
  EXPECT_TRUE(recommend(bob, "store_id=rc1&kind=together&skus=CRAB")["items"].empty());
  ASSERT_EQ(shop.pay(placed["order_id"], placed["total_minor"], "evt-a1").status, 200);

  // Paid: lemon is bought at this store now (a favourite), but one basket with crab is hers
  // alone, not shown to Bob as going with crab.
  auto answer = recommend(bob, "store_id=rc1&kind=together&skus=CRAB");
  ASSERT_EQ(skus(answer), (std::vector<std::string>{"LEMON"})) << answer.dump();
  EXPECT_EQ(answer["items"][0]["why"], "favourite");
  EXPECT_EQ(answer["items"][0]["reason"], "popular at this store");

  // A second basket of crab and lemon: lemon goes with crab, with the reason, at once.
  buy(shop, shop.customer(), "rc1", {"CRAB", "LEMON"}, "c1");
  answer = recommend(bob, "store_id=rc1&kind=together&skus=CRAB");
  EXPECT_EQ(answer["store_id"], "rc1");
  EXPECT_EQ(answer["kind"], "together");
  EXPECT_EQ(answer["personalised"], true);
  ASSERT_FALSE(answer["items"].empty());
  EXPECT_EQ(answer["items"][0]["sku"], "LEMON");
  EXPECT_EQ(answer["items"][0]["why"], "often_with");
  EXPECT_EQ(answer["items"][0]["reason"], "often with CRAB 商品");
  EXPECT_EQ(answer["items"][0]["price_minor"], 1000);  // a catalog item, priced
  for (const auto& sku : skus(answer)) EXPECT_NE(sku, "CRAB");

  // Butter goes with crab too, until nobody can buy it: what is out of stock is never offered.
  buy(shop, bob, "rc1", {"CRAB", "BUTTER"}, "b1");
  buy(shop, bob, "rc1", {"CRAB", "BUTTER"}, "b2");
  EXPECT_EQ(skus(recommend(alice, "store_id=rc1&kind=together&skus=CRAB&limit=2")),
            (std::vector<std::string>{"BUTTER", "LEMON"}));
  const auto hold = shop.order(shop.customer(), Shop::order_body("rc1", {{"BUTTER", 18}}), "hold");
  ASSERT_EQ(hold.status, 201) << hold.body;
  // Milk was never bought: it is no favourite either.
  EXPECT_EQ(skus(recommend(alice, "store_id=rc1&kind=together&skus=CRAB")),
            (std::vector<std::string>{"LEMON"}));
}

TEST_F(Recommendations, ACancelledBasketLeavesTheCounts) {
  Shop shop{server()};
  shop.store("rc8");
  for (const char* sku : {"BEEF", "ONION"}) shop.stock("rc8", sku, 20);
  const std::string hana = shop.customer();
  std::vector<nlohmann::json> orders;
  for (const char* key : {"h1", "h2"}) {
    const auto placed = shop.order(hana, Shop::order_body("rc8", {{"BEEF", 1}, {"ONION", 1}}), key);
    ASSERT_EQ(placed.status, 201) << placed.body;
    orders.push_back(placed.json());
    ASSERT_EQ(
        shop.pay(orders.back()["order_id"], orders.back()["total_minor"], std::string("evt-") + key)
            .status,
        200);
  }
  EXPECT_EQ(pair_count("rc8", "BEEF", "ONION"), 2);
  const auto cancelled =
      server().send("POST", "/v1/orders/" + orders[1]["order_id"].get<std::string>() + "/cancel",
                    "{}", {bearer(hana)});
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(pair_count("rc8", "BEEF", "ONION"), 1);
  // Her history counts the basket she kept, once.
  const auto mine = recommend(hana, "store_id=rc8&kind=buy_again");
  ASSERT_EQ(mine["items"].size(), 2u) << mine.dump();
  EXPECT_EQ(mine["items"][0]["reason"], "bought once; last bought today");
  // Switching off and on again counts what is paid and not cancelled: still one.
  for (const char* on : {"false", "true"}) {
    ASSERT_EQ(server()
                  .send("PUT", "/v1/customers/me/personalisation",
                        std::string(R"({"personalised": )") + on + "}", {bearer(hana)})
                  .status,
              200);
  }
  EXPECT_EQ(pair_count("rc8", "BEEF", "ONION"), 1);
}

TEST_F(Recommendations, BuyAgainRanksTheCustomersOwnItemsWhenTheyAreDue) {
  Shop shop{server()};
  shop.store("rc2");
  for (const char* sku : {"TOFU", "EGGS", "CAKE"}) shop.stock("rc2", sku, 20);
  const std::string carol = shop.customer();
  const auto first = buy(shop, carol, "rc2", {"CAKE"}, "c1");
  // Her weeks before: eggs every 7 days (last 8 days ago), tofu once (8 days ago).
  {
    pqxx::connection db(database_url());
    pqxx::work tx(db);
    const std::string customer = first["customer_id"];
    std::string ids = "ARRAY[";
    for (int d : {8, 15, 22, 29}) {
      const std::string id = "ord_past_" + std::to_string(d);
      tx.exec_params(
          "INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency, "
          "total_minor, created_at, payment_status, payment_expires_at, paid_at, handed_over_at) "
          "SELECT $1, $2, 'rc2', 'in_store', 'completed', 'CNY', 1000, t, 'paid', t, t, t "
          "FROM (SELECT now() - make_interval(days => $3) AS t) x",
          id, customer, d);
      tx.exec_params(
          "INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, "
          "unit_price_minor, unit, list_price_minor) "
          "VALUES ($1, 'rc2', 0, 'EGGS', 'EGGS', 1, 1000, 'each', 1000)",
          id);
      if (d == 8) {
        tx.exec_params(
            "INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, "
            "unit_price_minor, unit, list_price_minor) "
            "VALUES ($1, 'rc2', 1, 'TOFU', 'TOFU', 1, 1000, 'each', 1000)",
            id);
      }
      ids += std::string(d == 8 ? "" : ",") + "'" + id + "'";
    }
    tx.exec("SELECT freshlane_count_baskets(" + ids + "])");
    tx.commit();
  }
  const auto answer = recommend(carol, "store_id=rc2&kind=buy_again");
  EXPECT_EQ(answer["kind"], "buy_again");
  ASSERT_EQ(answer["items"].size(), 3u) << answer.dump();
  EXPECT_EQ(answer["items"][0]["sku"], "EGGS");
  EXPECT_EQ(answer["items"][0]["why"], "due");
  EXPECT_EQ(answer["items"][0]["reason"], "about every 7 days; last bought 8 days ago");
  for (const auto& item : answer["items"]) {
    if (item["sku"] == "CAKE") {
      EXPECT_EQ(item["reason"], "bought once; last bought today");
    }
  }
  // Another customer's buy_again knows nothing of hers.
  EXPECT_TRUE(recommend(shop.customer(), "store_id=rc2&kind=buy_again")["items"].empty());
}

TEST_F(Recommendations, ANewCustomerGetsTheStoresFavouritesAndForYouMixes) {
  Shop shop{server()};
  shop.store("rc3");
  for (const char* sku : {"APPLE", "PEAR", "KIWI", "PLUM"}) shop.stock("rc3", sku, 30);
  const std::string dan = shop.customer();
  buy(shop, dan, "rc3", {"APPLE", "PEAR"}, "d1");
  buy(shop, dan, "rc3", {"APPLE", "KIWI"}, "d2");
  buy(shop, shop.customer(), "rc3", {"APPLE", "PLUM"}, "e1");
  buy(shop, shop.customer(), "rc3", {"APPLE", "PLUM"}, "e2");

  const auto fresh = recommend(shop.customer(), "store_id=rc3");
  EXPECT_EQ(fresh["kind"], "for_you");
  ASSERT_FALSE(fresh["items"].empty());
  EXPECT_EQ(fresh["items"][0]["sku"], "APPLE");  // in four baskets
  EXPECT_EQ(fresh["items"][0]["why"], "favourite");
  EXPECT_EQ(fresh["items"][0]["reason"], "popular at this store");

  const auto mine = recommend(dan, "store_id=rc3&kind=for_you&limit=4");
  ASSERT_EQ(mine["items"].size(), 4u) << mine.dump();
  EXPECT_EQ(mine["items"][0]["why"], "due");
  EXPECT_EQ(mine["items"][0]["sku"], "APPLE");  // in both of his baskets
  EXPECT_EQ(mine["items"][2]["why"], "often_with");
  EXPECT_EQ(mine["items"][2]["sku"], "PLUM");  // what goes with his apples that he never had
}

TEST_F(Recommendations, ScanAndProductAnswersSayWhatGoesWithIt) {
  Shop shop{server()};
  shop.store("rc4");
  for (const char* sku : {"NOODLE", "CHILI", "SOY"}) shop.stock("rc4", sku, 20, 800);
  const auto none = server().get("/v1/stores/rc4/products/NOODLE").json();
  ASSERT_TRUE(none.contains("often_with"));
  EXPECT_TRUE(none["often_with"].empty());
  buy(shop, shop.customer(), "rc4", {"NOODLE", "CHILI"}, "n1");
  buy(shop, shop.customer(), "rc4", {"NOODLE", "CHILI", "SOY"}, "n2");
  buy(shop, shop.customer(), "rc4", {"NOODLE", "SOY"}, "n3");

  const auto product = server().get("/v1/stores/rc4/products/NOODLE").json();
  ASSERT_EQ(product["often_with"].size(), 2u) << product.dump();
  EXPECT_EQ(product["often_with"][0], (nlohmann::json{{"sku", "CHILI"},
                                                      {"name", "CHILI 商品"},
                                                      {"unit", "each"},
                                                      {"price_minor", 800},
                                                      {"baskets", 2}}));
  EXPECT_EQ(product["often_with"][1]["sku"], "SOY");
  EXPECT_EQ(product["often_with"][1]["baskets"], 2);
  const auto scan = server().get("/v1/scan/" + product["shelf_code"].get<std::string>());
  ASSERT_EQ(scan.status, 200) << scan.body;
  EXPECT_EQ(scan.json()["often_with"], product["often_with"]);
}

TEST_F(Recommendations, SwitchingPersonalisationOffTakesTheirBasketsOutOfEveryCount) {
  Shop shop{server()};
  shop.store("rc5");
  for (const char* sku : {"FISH", "GINGER", "RICE"}) shop.stock("rc5", sku, 20);
  const std::string erin = shop.customer(), frank = shop.customer();
  buy(shop, erin, "rc5", {"FISH", "GINGER"}, "f1");
  buy(shop, frank, "rc5", {"FISH", "RICE"}, "f2");
  EXPECT_EQ(pair_count("rc5", "FISH", "GINGER"), 1);
  ASSERT_EQ(skus(recommend(erin, "store_id=rc5&kind=buy_again")).size(), 2u);

  auto r = server().send("PUT", "/v1/customers/me/personalisation", R"({"personalised": false})",
                         {bearer(erin)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["personalised"], false);
  EXPECT_EQ(server().get("/v1/customers/me/personalisation", {bearer(erin)}).json()["personalised"],
            false);
  // Twice is the same as once: nothing is taken away again.
  ASSERT_EQ(server()
                .send("PUT", "/v1/customers/me/personalisation", R"({"personalised": false})",
                      {bearer(erin)})
                .status,
            200);
  EXPECT_EQ(pair_count("rc5", "FISH", "GINGER"), 0);
  EXPECT_EQ(pair_count("rc5", "FISH", "RICE"), 1);  // Frank's stays
  const auto off = recommend(erin, "store_id=rc5&kind=buy_again");
  EXPECT_EQ(off["personalised"], false);
  EXPECT_TRUE(off["items"].empty());
  // Ginger was only ever in her basket: it goes with nothing, and is no favourite, now.
  EXPECT_EQ(skus(recommend(frank, "store_id=rc5&kind=together&skus=FISH")),
            (std::vector<std::string>{"RICE"}));
  // While off, a new basket of hers is not counted either.
  buy(shop, erin, "rc5", {"FISH", "GINGER"}, "f3");
  EXPECT_EQ(pair_count("rc5", "FISH", "GINGER"), 0);

  // On again: both her baskets count.
  r = server().send("PUT", "/v1/customers/me/personalisation", R"({"personalised": true})",
                    {bearer(erin)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(pair_count("rc5", "FISH", "GINGER"), 2);
  const auto back = recommend(erin, "store_id=rc5&kind=buy_again");
  EXPECT_EQ(back["personalised"], true);
  EXPECT_EQ(skus(back).size(), 2u);
}

TEST_F(Recommendations, PaymentsCountingTheSameItemsAtOnceLoseNoBasket) {
  Shop shop{server()};
  shop.store("rc6");
  for (const char* sku : {"A1", "B1", "C1"}) shop.stock("rc6", sku, 100);
  constexpr int kBuyers = 8;
  std::vector<nlohmann::json> orders;
  for (int i = 0; i < kBuyers; ++i) {
    // Lines in different orders: the counts are written in key order all the same.
    const auto body = i % 2
                          ? Shop::order_body("rc6", {{"C1", 1}, {"B1", 1}, {"A1", 1}}, "in_store")
                          : Shop::order_body("rc6", {{"A1", 1}, {"B1", 1}, {"C1", 1}}, "in_store");
    const auto r = shop.order(shop.customer(), body, "k" + std::to_string(i));
    ASSERT_EQ(r.status, 201) << r.body;
    orders.push_back(r.json());
  }
  std::vector<std::thread> payers;
  std::atomic<int> ok{0};
  for (int i = 0; i < kBuyers; ++i) {
    payers.emplace_back([&, i] {
      if (shop.pay(orders[i]["order_id"], orders[i]["total_minor"], "evt-k" + std::to_string(i))
              .status == 200) {
        ++ok;
      }
    });
  }
  for (auto& t : payers) t.join();
  EXPECT_EQ(ok.load(), kBuyers);
  EXPECT_EQ(pair_count("rc6", "A1", "C1"), kBuyers);
  EXPECT_EQ(pair_count("rc6", "C1", "B1"), kBuyers);
  // A replayed payment event counts nothing again.
  ASSERT_EQ(shop.pay(orders[0]["order_id"], orders[0]["total_minor"], "evt-k0").status, 200);
  EXPECT_EQ(pair_count("rc6", "A1", "B1"), kBuyers);
}

TEST_F(Recommendations, BadRequestsAreRefusedClearly) {
  Shop shop{server()};
  shop.store("rc7");
  const std::string grace = shop.customer();
  auto get = [&](const std::string& q, const std::string& token) {
    return server().get("/v1/customers/me/recommendations" + q, {bearer(token)});
  };
  EXPECT_TRUE(is_problem(get("?kind=together", grace), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(get("?store_id=rc7&kind=everything", grace), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(get("?store_id=rc7&limit=0", grace), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(get("?store_id=rc7&limit=51", grace), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(get("?store_id=rc7&skus=A,,B", grace), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(get("?store_id=rc7&skus=A%27%3B", grace), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(get("?store_id=nowhere", grace), 404, "not_found"));
  EXPECT_TRUE(is_problem(get("?store_id=rc7", shop.staff("rc7", "manager")), 403, "forbidden"));
  EXPECT_EQ(server().get("/v1/customers/me/recommendations?store_id=rc7").status, 401);
  std::string many = "?store_id=rc7&skus=S0";
  for (int i = 1; i <= 50; ++i) many += ",S" + std::to_string(i);
  EXPECT_TRUE(is_problem(get(many, grace), 400, "validation_failed"));
  // A store that has sold nothing yet: an empty list, not an error.
  EXPECT_TRUE(recommend(grace, "store_id=rc7&kind=together&skus=NOTHING")["items"].empty());

  EXPECT_TRUE(is_problem(
      server().send("PUT", "/v1/customers/me/personalisation", "not json", {bearer(grace)}), 400,
      "malformed_json"));
  for (const char* body :
       {R"({"personalised": "no"})", R"({})", R"({"personalised": true, "x": 1})"}) {
    EXPECT_TRUE(
        is_problem(server().send("PUT", "/v1/customers/me/personalisation", body, {bearer(grace)}),
                   400, "validation_failed"))
        << body;
  }
}

}  // namespace
}  // namespace freshlane::testing
