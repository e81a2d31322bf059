// The money path through HTTP against a real PostgreSQL: reserve without ever overselling,
// idempotent creation, payment once, cancel, expiry, reads, and who may do what.
#include "api/shop_fixture.hpp"

using namespace freshlane::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

class Orders : public ApiTest {
 protected:
  static void SetUpTestSuite() {
    // 50 buyers at once, and more; 20 retries of one order at once: the money path without
    // the abuse limits (tests/api/abuse_api_test.cpp).
    auto env = kManySignUps;
    env.emplace("FRESHLANE_RATE_ORDERS_PER_MINUTE", "0");
    start_suite(env);
    Shop{server()}.store("s1");
    // A store with no courier or no picker on shift refuses delivery orders.
    Shop{server()}.courier_on_shift("s1");
    Shop{server()}.picker_on_shift("s1");
    Shop{server()}.store("s2", 31.2235, 121.4457);
  }
  Shop shop() const { return Shop{server()}; }
  static pqxx::result sql(const std::string& q) {
    pqxx::connection c(database_url());
    pqxx::read_transaction tx(c);
    return tx.exec(q);
  }
};

}  // namespace

TEST_F(Orders, FiftyConcurrentBuyersForTenUnitsMakeExactlyTenOrders) {
  shop().stock("s1", "LAST10", 10);
  std::vector<std::string> tokens;
  for (int i = 0; i < 50; ++i) tokens.push_back(shop().customer());
  const auto statuses = concurrently(50, [&](int i) {
    return shop()
        .order(tokens[i], Shop::order_body("s1", {{"LAST10", 1}}), "k" + std::to_string(i))
        .status;
  });
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), 10);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 409), 40);
  EXPECT_EQ(shop().available("s1", "LAST10"), 0);
  EXPECT_EQ(
      sql("SELECT min(quantity_on_hand - quantity_reserved) FROM lots WHERE sku = 'LAST10'")[0][0]
          .as<int>(),
      0);
}

TEST_F(Orders, OppositeLineOrdersNeitherDeadlockNorOversell) {
  shop().stock("s1", "DUO-A", 15);
  shop().stock("s1", "DUO-B", 15);
  std::vector<std::string> tokens;
  for (int i = 0; i < 40; ++i) tokens.push_back(shop().customer());
  const auto responses = concurrently(40, [&](int i) {
    const auto lines = i % 2 ? std::vector<std::pair<std::string, int>>{{"DUO-A", 1}, {"DUO-B", 1}}
                             : std::vector<std::pair<std::string, int>>{{"DUO-B", 1}, {"DUO-A", 1}};
    return shop().order(tokens[i], Shop::order_body("s1", lines), "k");
  });
  int created = 0;
  for (const auto& r : responses) {
    EXPECT_TRUE(r.status == 201 || is_problem(r, 409, "out_of_stock")) << r.status << r.body;
    created += r.status == 201;
  }
  EXPECT_EQ(created, 15);
  EXPECT_EQ(shop().available("s1", "DUO-A"), 0);
  EXPECT_EQ(shop().available("s1", "DUO-B"), 0);
}

TEST_F(Orders, TwentyConcurrentRetriesOfOneKeyMakeOneOrder) {
  shop().stock("s1", "IDEM", 100);
  const std::string token = shop().customer();
  const json body = Shop::order_body("s1", {{"IDEM", 2}});
  const auto responses =
      concurrently(20, [&](int) { return shop().order(token, body, "same-key"); });
  std::set<std::string> order_ids;
  for (const auto& r : responses) {
    ASSERT_TRUE(r.status == 201 || is_problem(r, 409, "request_in_progress")) << r.status << r.body;
    if (r.status == 201) order_ids.insert(r.json()["order_id"]);
  }
  EXPECT_EQ(order_ids.size(), 1u);
  EXPECT_EQ(shop().available("s1", "IDEM"), 98);
  const auto replay = shop().order(token, body, "same-key");
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.header("idempotent-replayed"), "true");
  EXPECT_EQ(replay.json()["order_id"], *order_ids.begin());
}

TEST_F(Orders, IdempotencyKeyRules) {
  shop().stock("s1", "KEYS", 100);
  const std::string token = shop().customer();
  const auto first = shop().order(token, Shop::order_body("s1", {{"KEYS", 1}}), "key-1");
  ASSERT_EQ(first.status, 201);
  EXPECT_FALSE(first.header("idempotent-replayed"));
  EXPECT_TRUE(is_problem(shop().order(token, Shop::order_body("s1", {{"KEYS", 2}}), "key-1"), 422,
                         "idempotency_key_reused"));
  EXPECT_TRUE(
      is_problem(server().send("POST", "/v1/orders", Shop::order_body("s1", {{"KEYS", 1}}).dump(),
                               {bearer(token)}),
                 400, "idempotency_key_required"));
  EXPECT_TRUE(
      is_problem(shop().order(token, Shop::order_body("s1", {{"KEYS", 1}}), std::string(256, 'k')),
                 400, "validation_failed"));
  // Same key from another customer is another request.
  const auto other =
      shop().order(shop().customer(), Shop::order_body("s1", {{"KEYS", 1}}), "key-1");
  ASSERT_EQ(other.status, 201);
  EXPECT_NE(other.json()["order_id"], first.json()["order_id"]);
  // A refusal is final for its key too: replayed, not re-run.
  const auto short_order = shop().order(token, Shop::order_body("s1", {{"KEYS", 999}}), "key-2");
  EXPECT_TRUE(is_problem(short_order, 409, "out_of_stock"));
  const auto replayed = shop().order(token, Shop::order_body("s1", {{"KEYS", 999}}), "key-2");
  EXPECT_EQ(replayed.status, 409);
  EXPECT_EQ(replayed.header("idempotent-replayed"), "true");
  EXPECT_EQ(replayed.body, short_order.body);
}

TEST_F(Orders, OrderShowsServerPricesLotsAndTotals) {
  shop().stock("s1", "PRICED", 5, 1290, 24);
  shop().stock("s1", "PRICED", 5, 1290, 96);  // a later-expiring second lot
  const auto r = shop().order(
      shop().customer(), Shop::order_body("s1", {{"PRICED", 4}, {"PRICED", 3}}, "delivery"), "k");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto o = r.json();
  EXPECT_EQ(o["status"], "pending_payment");
  EXPECT_EQ(o["fulfillment"], "delivery");
  ASSERT_EQ(o["lines"].size(), 1u);  // two lines of one SKU are one reservation
  EXPECT_EQ(o["lines"][0]["quantity"], 7);
  EXPECT_EQ(o["lines"][0]["unit_price_minor"], 1290);
  EXPECT_EQ(o["lines"][0]["line_total_minor"], 7 * 1290);
  ASSERT_EQ(o["lines"][0]["lots"].size(), 2u);
  EXPECT_EQ(o["lines"][0]["lots"][0]["quantity"], 5);  // the earlier-expiring lot first
  EXPECT_EQ(o["lines"][0]["lots"][1]["quantity"], 2);
  EXPECT_EQ(o["total_minor"], 7 * 1290);
  EXPECT_EQ(o["payment"]["status"], "pending");
  EXPECT_EQ(o["payment"]["amount_minor"], 7 * 1290);
  EXPECT_TRUE(o["promised_at"].is_null());
  EXPECT_GT(o["delivery"]["distance_m"].get<int>(), 0);
}

TEST_F(Orders, OutOfStockListsEveryShortLineAndReservesNothing) {
  shop().stock("s1", "SHORT-A", 2);
  shop().stock("s1", "SHORT-B", 1);
  shop().stock("s1", "PLENTY", 50);
  const auto r =
      shop().order(shop().customer(),
                   Shop::order_body("s1", {{"SHORT-A", 3}, {"PLENTY", 5}, {"SHORT-B", 4}}), "k");
  ASSERT_TRUE(is_problem(r, 409, "out_of_stock"));
  const auto lines = r.json()["lines"];
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], json({{"sku", "SHORT-A"}, {"requested", 3}, {"available", 2}}));
  EXPECT_EQ(lines[1], json({{"sku", "SHORT-B"}, {"requested", 4}, {"available", 1}}));
  EXPECT_EQ(shop().available("s1", "PLENTY"), 50);
}

TEST_F(Orders, BadOrdersAreRefusedClearly) {
  shop().stock("s1", "OK", 10);
  const std::string t = shop().customer();
  EXPECT_TRUE(
      is_problem(shop().order(t, Shop::order_body("s1", {{"GHOST", 1}}), "a"), 422, "unknown_sku"));
  EXPECT_TRUE(is_problem(shop().order(t, Shop::order_body("s1", {{"OK", 0}}), "b"), 400,
                         "validation_failed"));
  EXPECT_TRUE(is_problem(shop().order(t, Shop::order_body("s1", {{"OK", 1000}}), "c"), 400,
                         "validation_failed"));
  std::vector<std::pair<std::string, int>> many(101, {"OK", 1});
  EXPECT_TRUE(
      is_problem(shop().order(t, Shop::order_body("s1", many), "d"), 400, "validation_failed"));
  json priced = Shop::order_body("s1", {{"OK", 1}});
  priced["lines"][0]["unit_price_minor"] = 1;
  EXPECT_TRUE(is_problem(shop().order(t, priced, "e"), 400, "validation_failed"));
  json status = Shop::order_body("s1", {{"OK", 1}});
  status["status"] = "paid";
  EXPECT_TRUE(is_problem(shop().order(t, status, "f"), 400, "validation_failed"));
  json no_address = Shop::order_body("s1", {{"OK", 1}}, "delivery");
  no_address.erase("delivery");
  EXPECT_TRUE(is_problem(shop().order(t, no_address, "g"), 400, "validation_failed"));
  json far = Shop::order_body("s1", {{"OK", 1}}, "delivery");
  far["delivery"] = {{"lat", 31.2235}, {"lon", 121.4457}, {"address", "静安寺"}};
  const auto r = shop().order(t, far, "h");
  ASSERT_TRUE(is_problem(r, 422, "out_of_delivery_range"));
  EXPECT_GT(r.json()["distance_m"].get<int>(), 3000);
  EXPECT_EQ(r.json()["delivery_radius_m"], 3000);
  EXPECT_EQ(shop().available("s1", "OK"), 10);
}

TEST_F(Orders, OneCustomerCannotLockUpTheStore) {
  shop().stock("s1", "HOARD", 100);
  const std::string t = shop().customer();
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(
        shop().order(t, Shop::order_body("s1", {{"HOARD", 1}}), "h" + std::to_string(i)).status,
        201);
  const auto r = shop().order(t, Shop::order_body("s1", {{"HOARD", 1}}), "h3");
  EXPECT_TRUE(is_problem(r, 429, "too_many_pending_orders"));
  EXPECT_TRUE(r.header("retry-after"));
}

TEST_F(Orders, PaymentMakesTheOrderPaidWithAPromiseOnce) {
  shop().stock("s1", "PAYME", 10, 2500);
  const std::string t = shop().customer();
  const auto o = shop().order(t, Shop::order_body("s1", {{"PAYME", 2}}, "delivery"), "k").json();
  const std::string id = o["order_id"];
  // Wrong signature, stale timestamp, wrong amount: nothing changes.
  const std::string body = json{
      {"event_id", "ev-x"},
      {"order_id", id},
      {"status", "succeeded"},
      {"amount_minor", 5000}}.dump();
  const long long now = freshlane::core::system_now().time_since_epoch().count();
  EXPECT_TRUE(is_problem(
      server().send(
          "POST", "/v1/payments/webhook", body,
          {{"X-Freshlane-Signature", "t=" + std::to_string(now) + ",v1=" + std::string(64, 'a')}}),
      400, "invalid_signature"));
  EXPECT_TRUE(
      is_problem(server().send("POST", "/v1/payments/webhook", body,
                               {{"X-Freshlane-Signature", Shop::signature(body, now - 301)}}),
                 400, "invalid_signature"));
  EXPECT_TRUE(
      is_problem(server().send("POST", "/v1/payments/webhook", body), 400, "invalid_signature"));
  EXPECT_TRUE(is_problem(server().send("POST", "/v1/payments/webhook", body + " ",
                                       {{"X-Freshlane-Signature", Shop::signature(body, now)}}),
                         400, "invalid_signature"));
  EXPECT_TRUE(is_problem(shop().pay(id, 4999, "ev-wrong-amount"), 422, "amount_mismatch"));
  EXPECT_TRUE(is_problem(shop().pay("ord_nope", 5000, "ev-nope"), 404, "not_found"));
  EXPECT_EQ(server().get("/v1/orders/" + id, {bearer(t)}).json()["status"], "pending_payment");
  EXPECT_EQ(
      sql("SELECT count(*) FROM payment_events WHERE order_id = '" + id + "'")[0][0].as<int>(), 0);

  // The same event three times at once: processed once.
  const auto results = concurrently(3, [&](int) { return shop().pay(id, 5000, "ev-1").status; });
  EXPECT_EQ(results, (std::vector<int>{200, 200, 200}));
  const auto paid = server().get("/v1/orders/" + id, {bearer(t)}).json();
  EXPECT_EQ(paid["status"], "paid");
  EXPECT_EQ(paid["payment"]["status"], "paid");
  const auto promised = freshlane::core::parse_rfc3339(paid["promised_at"].get<std::string>());
  ASSERT_TRUE(promised);
  EXPECT_NEAR(static_cast<double>((*promised - freshlane::core::system_now()).count()), 30 * 60,
              30);
  EXPECT_EQ(
      sql("SELECT count(*) FROM payment_events WHERE order_id = '" + id + "'")[0][0].as<int>(), 1);
  // A second, different payment for a paid order is recorded for refund; nothing else moves.
  EXPECT_EQ(shop().pay(id, 5000, "ev-2").status, 200);
  EXPECT_TRUE(
      sql("SELECT refund_due FROM payment_events WHERE event_id = 'ev-2'")[0][0].as<bool>());
  EXPECT_EQ(shop().available("s1", "PAYME"), 8);
}

TEST_F(Orders, FailedPaymentIsRecordedAndTheOrderWaits) {
  shop().stock("s1", "FAILPAY", 5, 700);
  const std::string t = shop().customer();
  const std::string id =
      shop().order(t, Shop::order_body("s1", {{"FAILPAY", 1}}), "k").json()["order_id"];
  EXPECT_EQ(shop().pay(id, 700, "ev-f", "failed").status, 200);
  const auto o = server().get("/v1/orders/" + id, {bearer(t)}).json();
  EXPECT_EQ(o["status"], "pending_payment");
  EXPECT_EQ(o["payment"]["status"], "failed");
  EXPECT_EQ(shop().pay(id, 700, "ev-ok").status, 200);
  EXPECT_EQ(server().get("/v1/orders/" + id, {bearer(t)}).json()["status"], "paid");
}

TEST_F(Orders, InStoreOrderCompletesOnPaymentAndTakesTheStock) {
  shop().stock("s1", "AISLE", 6, 300);
  const std::string t = shop().customer();
  const auto o = shop().order(t, Shop::order_body("s1", {{"AISLE", 2}}, "in_store"), "k").json();
  ASSERT_EQ(shop().pay(o["order_id"], 600, "ev-aisle").status, 200);
  const auto done =
      server().get("/v1/orders/" + o["order_id"].get<std::string>(), {bearer(t)}).json();
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(shop().available("s1", "AISLE"), 4);
  EXPECT_EQ(sql("SELECT sum(quantity_on_hand) FROM lots WHERE sku = 'AISLE'")[0][0].as<int>(), 4);
  EXPECT_EQ(sql("SELECT sum(quantity_reserved) FROM lots WHERE sku = 'AISLE'")[0][0].as<int>(), 0);
}

TEST_F(Orders, CancelBeforePickingReleasesStock) {
  shop().stock("s1", "CANCEL", 5, 100);
  const std::string t = shop().customer();
  const std::string id =
      shop().order(t, Shop::order_body("s1", {{"CANCEL", 3}}), "k").json()["order_id"];
  EXPECT_EQ(shop().available("s1", "CANCEL"), 2);
  EXPECT_TRUE(is_problem(
      server().send("POST", "/v1/orders/" + id + "/cancel", "", {bearer(shop().customer())}), 404,
      "not_found"));
  const auto r = server().send("POST", "/v1/orders/" + id + "/cancel", "", {bearer(t)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "cancelled");
  EXPECT_EQ(shop().available("s1", "CANCEL"), 5);
  const auto again = server().send("POST", "/v1/orders/" + id + "/cancel", "", {bearer(t)});
  EXPECT_TRUE(is_problem(again, 409, "invalid_transition"));
  EXPECT_EQ(again.json()["order_status"], "cancelled");
  // A paid order may still be cancelled before picking; its payment is marked refunded.
  const std::string paid =
      shop().order(t, Shop::order_body("s1", {{"CANCEL", 1}}), "k2").json()["order_id"];
  shop().pay(paid, 100, "ev-cancel");
  const auto refunded =
      server().send("POST", "/v1/orders/" + paid + "/cancel", "", {bearer(t)}).json();
  EXPECT_EQ(refunded["status"], "cancelled");
  EXPECT_EQ(refunded["payment"]["status"], "refunded");
  EXPECT_EQ(shop().available("s1", "CANCEL"), 5);
}

TEST_F(Orders, CustomersListTheirOwnOrdersNewestFirst) {
  shop().stock("s1", "LIST", 50);
  const std::string t = shop().customer();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(shop()
                      .order(t, Shop::order_body("s1", {{"LIST", 1}}), "l" + std::to_string(i))
                      .json()["order_id"]);
    std::this_thread::sleep_for(1100ms);  // distinct created_at seconds
  }
  shop().order(shop().customer(), Shop::order_body("s1", {{"LIST", 1}}), "other");
  std::vector<std::string> seen;
  std::string target = "/v1/orders?limit=2";
  for (int page = 0; page < 5; ++page) {
    const json j = server().get(target, {bearer(t)}).json();
    for (const auto& o : j["items"]) seen.push_back(o["order_id"]);
    if (j["next_cursor"].is_null()) break;
    target = "/v1/orders?limit=2&cursor=" + j["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{ids[2], ids[1], ids[0]}));
  EXPECT_TRUE(
      is_problem(server().get("/v1/orders?cursor=bad", {bearer(t)}), 400, "validation_failed"));
}

TEST_F(Orders, WhoMayDoWhat) {
  shop().stock("s1", "AUTHZ", 100);
  shop().stock("s2", "AUTHZ", 100);
  const std::string alice = shop().customer(), bob = shop().customer();
  const std::string picker1 = shop().staff("s1", "picker"),
                    manager1 = shop().staff("s1", "manager");
  const std::string manager2 = shop().staff("s2", "manager"), courier1 = shop().courier("s1");
  const std::string order =
      shop().order(alice, Shop::order_body("s1", {{"AUTHZ", 1}}), "a").json()["order_id"];
  const std::string listing =
      json{{"price_minor", 990}, {"zone", "produce"}, {"shelf", "A1"}}.dump();
  const std::string lot = json{
      {"sku", "AUTHZ"},
      {"quantity", 1},
      {"origin", "x"},
      {"produced_at", hours_from_now(-1)},
      {"expires_at",
       hours_from_now(5)}}.dump();
  const std::string store = json{{"name", "x"}, {"lat", 31}, {"lon", 121}}.dump();
  const std::string person = json{{"name", "x"}, {"job", "picker"}}.dump();
  auto status = [&](const std::string& token, const std::string& method, const std::string& target,
                    const std::string& body) {
    std::vector<Header> h;
    if (!token.empty()) h.push_back(bearer(token));
    if (target == "/v1/orders" && method == "POST")
      h.push_back({"Idempotency-Key", "m-" + token.substr(0, 8) + std::to_string(std::rand())});
    return server().send(method, target, body, h).status;
  };
  const std::string order_body = Shop::order_body("s1", {{"AUTHZ", 1}}).dump();
  struct Row {
    std::string who, token;
    int create_store, put_listing, receive_lot, add_staff, add_courier, place_order, read_order,
        list_orders, cancel_order;
  };
  const std::vector<Row> matrix{
      //                          store listing lot  staff courier order read list cancel
      {"anonymous", "", 401, 401, 401, 401, 401, 401, 401, 401, 401},
      {"bob (other customer)", bob, 403, 403, 403, 403, 403, 201, 404, 200, 404},
      {"picker of s1", picker1, 403, 403, 403, 403, 403, 403, 200, 403, 403},
      // The store's manager may cancel for the customer, with a reason (none sent here: 400).
      {"manager of s1", manager1, 403, 200, 201, 201, 201, 403, 200, 403, 400},
      {"manager of s2", manager2, 403, 403, 403, 403, 403, 403, 403, 403, 403},
      {"courier of s1", courier1, 403, 403, 403, 403, 403, 403, 403, 403, 403},
      {"bad token", "fls_forged", 401, 401, 401, 401, 401, 401, 401, 401, 401},
  };
  for (const auto& r : matrix) {
    SCOPED_TRACE(r.who);
    EXPECT_EQ(status(r.token, "POST", "/v1/stores", store), r.create_store);
    EXPECT_EQ(status(r.token, "PUT", "/v1/stores/s1/products/AUTHZ", listing), r.put_listing);
    EXPECT_EQ(status(r.token, "POST", "/v1/stores/s1/lots", lot), r.receive_lot);
    EXPECT_EQ(status(r.token, "POST", "/v1/stores/s1/staff", person), r.add_staff);
    EXPECT_EQ(status(r.token, "POST", "/v1/stores/s1/couriers", json{{"name", "x"}}.dump()),
              r.add_courier);
    EXPECT_EQ(status(r.token, "POST", "/v1/orders", order_body), r.place_order);
    EXPECT_EQ(status(r.token, "GET", "/v1/orders/" + order, ""), r.read_order);
    EXPECT_EQ(status(r.token, "GET", "/v1/orders", ""), r.list_orders);
    EXPECT_EQ(status(r.token, "POST", "/v1/orders/" + order + "/cancel", ""), r.cancel_order);
  }
  // Alice and the admin read Alice's order; only Alice cancels it.
  EXPECT_EQ(status(alice, "GET", "/v1/orders/" + order, ""), 200);
  EXPECT_EQ(server().admin("GET", "/v1/orders/" + order, "").status, 200);
  EXPECT_EQ(status(alice, "POST", "/v1/orders/" + order + "/cancel", ""), 200);
  // A manager's token is shown once and stored only as a hash.
  const std::string hash = freshlane::core::to_hex(freshlane::core::sha256(manager1));
  EXPECT_EQ(sql("SELECT count(*) FROM api_tokens WHERE token_hash = '" + hash +
                "' AND role = 'staff' AND job = 'manager' AND store_id = 's1'")[0][0]
                .as<int>(),
            1);
  EXPECT_EQ(sql("SELECT count(*) FROM api_tokens WHERE token_hash = '" + manager1 +
                "' OR subject_id = '" + manager1 + "'")[0][0]
                .as<int>(),
            0);
  EXPECT_EQ(manager1.size(), 4u + 43u);
}

TEST_F(Orders, SignUpRefusesATakenPhoneAndBadInput) {
  const std::string body = json{{"phone", "+8613911112222"}, {"name", "王芳"}}.dump();
  const auto first = server().send("POST", "/v1/customers", body);
  ASSERT_EQ(first.status, 201);
  EXPECT_TRUE(first.json()["customer_id"].is_string());
  EXPECT_TRUE(is_problem(server().send("POST", "/v1/customers", body), 409, "conflict"));
  EXPECT_TRUE(
      is_problem(server().send("POST", "/v1/customers", R"({"phone": "call me", "name": "x"})"),
                 400, "validation_failed"));
  EXPECT_TRUE(is_problem(
      server().send("POST", "/v1/stores/s1/staff", json{{"name", "x"}, {"job", "boss"}}.dump(),
                    {{"Authorization", std::string("Bearer ") + kAdminToken}}),
      400, "validation_failed"));
}

// Unpaid orders expire after the payment window; the stock comes back; late money is refunded.
// Two stores' orders, placed together, expire in one sweep (it runs once a second): each
// store's lots come back.
TEST(OrderExpiry, UnpaidOrdersExpireAndLatePaymentDoesNotResurrectThem) {
  TestDatabase db;
  migrate_database(db.url());
  ServerProcess server(db.url(), {{"FRESHLANE_PAYMENT_WINDOW_SECONDS", "1"},
                                  {"FRESHLANE_SWEEP_INTERVAL_MS", "1000"}});
  Shop shop{server};
  for (const char* store : {"s1", "s2"}) {
    shop.store(store);
    shop.courier_on_shift(store);
    shop.stock(store, "EXPIRE", 5, 100);
  }
  const std::string t = shop.customer(), other = shop.customer();
  const std::string id =
      shop.order(t, Shop::order_body("s1", {{"EXPIRE", 4}}), "k").json()["order_id"];
  const std::string id2 =
      shop.order(other, Shop::order_body("s2", {{"EXPIRE", 3}}), "k2").json()["order_id"];
  EXPECT_EQ(shop.available("s1", "EXPIRE"), 1);
  EXPECT_EQ(shop.available("s2", "EXPIRE"), 2);
  std::string status, status2;
  for (int i = 0; i < 50 && (status != "expired" || status2 != "expired"); ++i) {
    std::this_thread::sleep_for(100ms);
    status = server.get("/v1/orders/" + id, {bearer(t)}).json()["status"];
    status2 = server.get("/v1/orders/" + id2, {bearer(other)}).json()["status"];
  }
  EXPECT_EQ(status, "expired");
  EXPECT_EQ(status2, "expired");
  EXPECT_EQ(shop.available("s1", "EXPIRE"), 5);
  EXPECT_EQ(shop.available("s2", "EXPIRE"), 5);
  EXPECT_EQ(shop.pay(id, 400, "ev-late").status, 200);
  EXPECT_EQ(server.get("/v1/orders/" + id, {bearer(t)}).json()["status"], "expired");
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  EXPECT_TRUE(
      tx.exec("SELECT refund_due FROM payment_events WHERE event_id = 'ev-late'")[0][0].as<bool>());
  EXPECT_TRUE(is_problem(server.send("POST", "/v1/orders/" + id + "/cancel", "", {bearer(t)}), 409,
                         "invalid_transition"));
}

// Randomized orders, cancels, payments and expiries, then for every SKU:
// available + Σ quantities of live orders == Σ received.
TEST(OrderConservation, StockIsNeitherCreatedNorLost) {
  TestDatabase db;
  migrate_database(db.url());
  // Six customers hammer one store as fast as they can: no limit per customer here.
  ServerProcess server(db.url(), {{"FRESHLANE_PAYMENT_WINDOW_SECONDS", "2"},
                                  {"FRESHLANE_SWEEP_INTERVAL_MS", "100"},
                                  {"FRESHLANE_MAX_PENDING_ORDERS", "50"},
                                  {"FRESHLANE_MAX_HELD_UNITS", "100000"},
                                  {"FRESHLANE_RATE_ORDERS_PER_MINUTE", "0"}});
  Shop shop{server};
  shop.store("s1");
  shop.courier_on_shift("s1");
  shop.picker_on_shift("s1");
  const std::vector<std::string> skus{"C-A", "C-B", "C-C", "C-D"};
  for (size_t i = 0; i < skus.size(); ++i) {
    shop.stock("s1", skus[i], 20, 100);
    shop.stock("s1", skus[i], 10, 100, 200);  // a second lot
  }
  std::vector<std::string> customers;
  for (int i = 0; i < 6; ++i) customers.push_back(shop.customer());
  std::mt19937 rng(20261122);
  std::vector<std::pair<std::string, std::pair<std::string, long long>>>
      orders;  // id → (token, total)
  int created = 0, refused = 0;
  const auto worker_round = [&](int round) {
    const std::string token = customers[rng() % customers.size()];
    const int op = static_cast<int>(rng() % 10);
    if (op < 6 || orders.empty()) {
      std::vector<std::pair<std::string, int>> lines;
      for (int n = 1 + static_cast<int>(rng() % 3); n > 0; --n)
        lines.push_back({skus[rng() % skus.size()], 1 + static_cast<int>(rng() % 6)});
      const char* kinds[] = {"pickup", "delivery", "in_store"};
      const auto r = shop.order(token, Shop::order_body("s1", lines, kinds[rng() % 3]),
                                "r" + std::to_string(round));
      if (r.status == 201) {
        orders.push_back({r.json()["order_id"], {token, r.json()["total_minor"]}});
        ++created;
      } else {
        // Nothing is reserved either way; a delivery order may meet a store too busy to keep
        // its promise (the paid orders' bags pile up: nobody picks them here).
        ASSERT_TRUE(is_problem(r, 409, "out_of_stock") || is_problem(r, 409, "store_busy"))
            << r.body;
        ++refused;
      }
    } else {
      const auto& [id, who] = orders[rng() % orders.size()];
      if (op < 8)
        shop.pay(id, who.second, "ev-" + std::to_string(round));
      else
        server.send("POST", "/v1/orders/" + id + "/cancel", "", {bearer(who.first)});
    }
  };
  for (int round = 0; round < 150; ++round) worker_round(round);
  // Concurrent bursts too.
  concurrently(8, [&](int i) {
    const auto r = shop.order(customers[i % customers.size()],
                              Shop::order_body("s1", {{skus[i % 4], 3}, {skus[(i + 1) % 4], 2}}),
                              "burst" + std::to_string(i));
    return r.status;
  });
  std::this_thread::sleep_for(2500ms);  // let the unpaid ones expire
  EXPECT_GT(created, 10);
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  for (const auto& sku : skus) {
    SCOPED_TRACE(sku);
    const auto available = shop.available("s1", sku);
    EXPECT_GE(available, 0);
    const auto live = tx.exec(
                            "SELECT COALESCE(sum(l.quantity), 0) FROM order_lines l JOIN orders o "
                            "USING (order_id) "
                            "WHERE l.sku = '" +
                            sku + "' AND o.status NOT IN ('cancelled', 'expired')")[0][0]
                          .as<long long>();
    const auto received =
        tx.exec("SELECT sum(quantity_received) FROM lots WHERE sku = '" + sku + "'")[0][0]
            .as<long long>();
    EXPECT_EQ(available + live, received);
  }
  EXPECT_EQ(tx.exec("SELECT count(*) FROM orders WHERE status = 'pending_payment'")[0][0].as<int>(),
            0);
}
