// Door and counter codes: attempt limits, who may hand over, unlock (issue 14).
//
// Before issue 14 a courier could try every six-digit code at the door (one was measured at
// ~460 tries a second: the whole space in ~36 minutes), and any picker could do the same at the
// counter. Now wrong codes are counted per order and per person in PostgreSQL: the fifth locks
// that person out of the order's hand-over (423 code_locked, even with the right code) until a
// manager unlocks it; only packers and managers hand over at the counter; and no code is kept
// in plain text anywhere in the database.
#include <pqxx/pqxx>
#include <sstream>

#include "api/delivery_fixture.hpp"
#include "freshlane/core/crypto.hpp"
#include "freshlane/storage/migrations.hpp"

namespace freshlane::testing {
namespace {

class CodesApi : public DeliveryTest {
 protected:
  // A paid pickup order of 2 apples, picked and packed: ready at the counter.
  // (order id, customer token, hand-over code).
  static std::tuple<std::string, std::string, std::string> ready_pickup(const ServerProcess& srv,
                                                                        const std::string& store) {
    Shop s{srv};
    const std::string customer = s.customer();
    const auto r = s.order(customer, Shop::order_body(store, {{"APPLE-" + store, 2}}),
                           "kp-" + std::to_string(++n_));
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string id = r.json()["order_id"];
    EXPECT_EQ(s.pay(id, r.json()["total_minor"], "ev-" + id).status, 200);
    pick_and_pack(srv, store, id);
    const auto order = srv.get("/v1/orders/" + id, {bearer(customer)}).json();
    EXPECT_EQ(order["status"], "ready_for_pickup");
    return {id, customer, order["handover_code"]};
  }

  // A staff member of the store: (staff id, token).
  static std::pair<std::string, std::string> staff(const ServerProcess& srv,
                                                   const std::string& store,
                                                   const std::string& job) {
    const auto r = srv.admin("POST", "/v1/stores/" + store + "/staff",
                             nlohmann::json{{"name", job}, {"job", job}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return {r.json()["staff_id"], r.json()["token"]};
  }

  // Another six digits than `code`.
  static std::string wrong(const std::string& code, int i) {
    std::string w = std::to_string((std::stoi(code) + 1 + i) % 1'000'000);
    return std::string(6 - w.size(), '0') + w;
  }

  // The value of the series `name{labels}` in a /metrics text (-1: absent).
};

TEST_F(CodesApi, DoorBruteForceStopsAtTheFifthWrongCodeUntilAManagerUnlocks) {
  open_store(server(), "cdoor");
  open_store(server(), "cdoor2");
  Shop shop{server()};
  const Terminal courier{server(), shop.courier_on_shift("cdoor")};
  const auto [order_id, customer_token, code] = paid_delivery(server(), "cdoor");
  pick_and_pack(server(), "cdoor", order_id);
  dispatch_now(server(), "cdoor");
  ASSERT_EQ(courier.post("/v1/orders/" + order_id + "/pickup").status, 200);
  const std::string deliver = "/v1/orders/" + order_id + "/deliver";

  for (int i = 0; i < 4; ++i) {
    const auto r = courier.post(deliver, {{"code", wrong(code, i)}});
    ASSERT_TRUE(is_problem(r, 422, "wrong_code")) << r.body;
    EXPECT_EQ(r.json()["attempts_left"], 4 - i);
  }
  auto r = courier.post(deliver, {{"code", wrong(code, 4)}});  // the fifth wrong code locks
  ASSERT_TRUE(is_problem(r, 423, "code_locked")) << r.body;
  EXPECT_EQ(r.json()["attempt_limit"], 5);
  r = courier.post(deliver, {{"code", code}});  // even the right one, now
  ASSERT_TRUE(is_problem(r, 423, "code_locked")) << r.body;
  EXPECT_EQ(Terminal(server(), customer_token).get("/v1/orders/" + order_id).json()["status"],
            "out_for_delivery");

  // Counted and logged (the log names the order, never a code).
  const std::string metrics = server().get("/metrics").body;
  EXPECT_GE(metric_value(metrics, "freshlane_handover_code_failures_total{kind=\"door\"}"), 6);
  EXPECT_GE(metric_value(metrics, "freshlane_handover_code_locks_total"), 1);
  // Each refusal is a warning naming the order, the courier and the store, never a code.
  std::istringstream log(server().log());
  int warnings = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.find("order=" + order_id) == std::string::npos) continue;
    ++warnings;
    EXPECT_NE(line.find("store=cdoor"), std::string::npos) << line;
    EXPECT_EQ(line.find(code), std::string::npos) << line;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(line.find(wrong(code, i)), std::string::npos) << line;
  }
  EXPECT_GE(warnings, 6);

  // Only a manager of the order's store (or an admin) unlocks.
  const std::string unlock = "/v1/orders/" + order_id + "/handover-code/unlock";
  EXPECT_TRUE(is_problem(courier.post(unlock), 403, "forbidden"));
  EXPECT_TRUE(is_problem(Terminal(server(), staff(server(), "cdoor", "packer").second).post(unlock),
                         403, "forbidden"));
  EXPECT_TRUE(
      is_problem(Terminal(server(), staff(server(), "cdoor2", "manager").second).post(unlock), 403,
                 "forbidden"));
  EXPECT_TRUE(is_problem(Terminal(server(), customer_token).post(unlock), 403, "forbidden"));
  EXPECT_TRUE(is_problem(server().send("POST", unlock, "{}"), 401, "unauthorized"));
  const Terminal manager{server(), staff(server(), "cdoor", "manager").second};
  EXPECT_TRUE(
      is_problem(manager.post("/v1/orders/ord_nope/handover-code/unlock"), 404, "not_found"));
  r = manager.post(unlock);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["order_id"], order_id);
  EXPECT_EQ(r.json()["kind"], "door");
  EXPECT_EQ(r.json()["unlocked"].size(), 1u);
  EXPECT_EQ(manager.post(unlock).json()["unlocked"].size(), 0u);  // nobody locked out now

  r = courier.post(deliver, {{"code", code}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "delivered");
}

TEST_F(CodesApi, OnlyPackersAndManagersHandOverAtTheCounterEachWithTheirOwnLimit) {
  open_store(server(), "ccount");
  Shop shop{server()};
  const auto [order_id, customer_token, code] = ready_pickup(server(), "ccount");
  const std::string handover = "/v1/orders/" + order_id + "/handover";

  // Pickers, couriers and customers may not try the code at all, not even the right one.
  const Terminal picker{server(), staff(server(), "ccount", "picker").second};
  EXPECT_TRUE(is_problem(picker.post(handover, {{"code", code}}), 403, "forbidden"));
  EXPECT_TRUE(is_problem(picker.post(handover, {{"code", wrong(code, 0)}}), 403, "forbidden"));
  EXPECT_TRUE(
      is_problem(Terminal(server(), shop.courier("ccount")).post(handover, {{"code", code}}), 403,
                 "forbidden"));
  EXPECT_TRUE(is_problem(Terminal(server(), customer_token).post(handover, {{"code", code}}), 403,
                         "forbidden"));

  // A packer guessing is locked out after five wrong codes; another packer has their own count.
  const auto [packer_id, packer_token] = staff(server(), "ccount", "packer");
  const Terminal packer{server(), packer_token};
  for (int i = 0; i < 4; ++i) {
    const auto r = packer.post(handover, {{"code", wrong(code, i)}});
    ASSERT_TRUE(is_problem(r, 422, "wrong_code")) << r.body;
    EXPECT_EQ(r.json()["attempts_left"], 4 - i);
  }
  EXPECT_TRUE(is_problem(packer.post(handover, {{"code", wrong(code, 4)}}), 423, "code_locked"));
  EXPECT_TRUE(is_problem(packer.post(handover, {{"code", code}}), 423, "code_locked"));
  const Terminal colleague{server(), staff(server(), "ccount", "packer").second};
  const auto r2 = colleague.post(handover, {{"code", wrong(code, 0)}});
  ASSERT_TRUE(is_problem(r2, 422, "wrong_code")) << r2.body;
  EXPECT_EQ(r2.json()["attempts_left"], 4);
  EXPECT_EQ(Terminal(server(), customer_token).get("/v1/orders/" + order_id).json()["status"],
            "ready_for_pickup");
  const std::string metrics = server().get("/metrics").body;
  EXPECT_GE(metric_value(metrics, "freshlane_handover_code_failures_total{kind=\"counter\"}"), 7);

  // The store's manager unlocks: the packer's right code now works.
  const Terminal manager{server(), staff(server(), "ccount", "manager").second};
  auto r = manager.post("/v1/orders/" + order_id + "/handover-code/unlock");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["kind"], "counter");
  EXPECT_EQ(r.json()["unlocked"], nlohmann::json::array({packer_id}));
  r = packer.post(handover, {{"code", code}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "collected");
  EXPECT_TRUE(r.json()["handover_code"].is_null());  // staff never see it

  // A manager hands over at the counter too.
  const auto [second, customer2, code2] = ready_pickup(server(), "ccount");
  EXPECT_EQ(manager.post("/v1/orders/" + second + "/handover", {{"code", code2}}).status, 200);
}

// The count lives in PostgreSQL: a courier spreading guesses over two server processes (a load
// balancer in front of a fleet) is locked out after five all the same.
TEST_F(CodesApi, TheLimitHoldsAcrossServerProcesses) {
  open_store(server(), "cfleet");
  Shop shop{server()};
  const std::string courier_token = shop.courier_on_shift("cfleet");
  const auto [order_id, customer_token, code] = paid_delivery(server(), "cfleet");
  pick_and_pack(server(), "cfleet", order_id);
  dispatch_now(server(), "cfleet");
  ASSERT_EQ(Terminal(server(), courier_token).post("/v1/orders/" + order_id + "/pickup").status,
            200);
  ServerProcess other(database_url(), kPlanAtOnce);
  const Terminal via_one{server(), courier_token}, via_two{other, courier_token};
  const std::string deliver = "/v1/orders/" + order_id + "/deliver";
  for (int i = 0; i < 4; ++i) {
    const auto r = (i % 2 ? via_two : via_one).post(deliver, {{"code", wrong(code, i)}});
    ASSERT_TRUE(is_problem(r, 422, "wrong_code")) << r.body;
    EXPECT_EQ(r.json()["attempts_left"], 4 - i);
  }
  EXPECT_TRUE(is_problem(via_two.post(deliver, {{"code", wrong(code, 4)}}), 423, "code_locked"));
  EXPECT_TRUE(is_problem(via_one.post(deliver, {{"code", code}}), 423, "code_locked"));
  EXPECT_TRUE(is_problem(via_two.post(deliver, {{"code", code}}), 423, "code_locked"));
}

// The customer sees their code on every read (and on a replay of the order's creation), while
// the database keeps nothing it could be read back from.
TEST_F(CodesApi, TheDatabaseHoldsNoPlaintextCode) {
  open_store(server(), "cplain");
  Shop shop{server()};
  shop.courier_on_shift("cplain");
  const std::string customer = shop.customer();
  const auto body = Shop::order_body("cplain", {{"APPLE-cplain", 1}});
  const auto placed = shop.order(customer, body, "kplain");
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string order_id = placed.json()["order_id"];
  const std::string code = placed.json()["handover_code"];
  ASSERT_EQ(code.size(), 6u);
  const auto replay = shop.order(customer, body, "kplain");
  ASSERT_EQ(replay.status, 201);
  EXPECT_EQ(replay.json()["handover_code"], code);
  const Terminal app{server(), customer};
  EXPECT_EQ(app.get("/v1/orders/" + order_id).json()["handover_code"], code);
  EXPECT_EQ(app.get("/v1/orders").json()["items"][0]["handover_code"], code);
  const auto [delivery_id, delivery_customer, delivery_code] = paid_delivery(server(), "cplain");
  ASSERT_EQ(delivery_code.size(), 6u);

  pqxx::connection c(database_url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                     "'orders' AND column_name = 'handover_code'")[0]
                .as<int>(),
            0);
  // No row of any table holds either code as a value (as text, in JSON, anywhere).
  for (const auto& table :
       tx.exec("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
               "AND table_type = 'BASE TABLE'")) {
    const std::string name = table[0].as<std::string>();
    for (const std::string& secret : {code, delivery_code}) {
      EXPECT_EQ(tx.exec1("SELECT count(*) FROM " + tx.quote_name(name) +
                         " t WHERE row_to_json(t)"
                         "::text ~ " +
                         tx.quote("(^|[^0-9])" + secret + "([^0-9]|$)"))[0]
                    .as<int>(),
                0)
          << name << " holds a code";
    }
  }
  EXPECT_EQ(
      tx.exec1("SELECT handover_code_scheme FROM orders WHERE order_id = " + tx.quote(order_id))[0]
          .as<std::string>(),
      "derived");
}

// Orders placed before migration 0007 were shown a random code, kept in plain text. The
// migration keeps only its salted SHA-256 (for orders still open) and blanks it in kept answers;
// that code still opens the hand-over, as does the code the customer's app shows from then on.
TEST(CodesMigration, OrdersPlacedBeforeKeepTheirCodeHashedAndItStillWorks) {
  TestDatabase db;
  {  // the schema as it was before 0007, with two pickup orders ready and one collected
    pqxx::connection c(db.url());
    pqxx::work tx(c);
    tx.exec(
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
        "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    for (const auto& m : storage::bundled_migrations()) {
      if (m.version >= 7) break;
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                     m.version, m.name, m.checksum);
    }
    tx.exec(
        "INSERT INTO stores (store_id, name, lat, lon, delivery_radius_m, promise_minutes, "
        "currency) VALUES ('cold', 'cold', 31.25, 121.59, 3000, 30, 'CNY')");
    tx.exec(
        "INSERT INTO customers (customer_id, phone, name) VALUES ('c1', '+8613911112222', 'c')");
    tx.exec_params(
        "INSERT INTO api_tokens (token_hash, role, subject_id) VALUES ($1, 'customer', 'c1')",
        core::to_hex(core::sha256("cust-token-old-order-0123456789")));
    for (const auto& [id, status, code] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"ord_old1", "ready_for_pickup", "123456"},
             {"ord_old2", "ready_for_pickup", "654321"},
             {"ord_old3", "collected", "111111"}}) {
      tx.exec_params(
          "INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency, "
          "total_minor, created_at, payment_status, payment_expires_at, paid_at, handover_code) "
          "VALUES ($1, 'c1', 'cold', 'pickup', $2, 'CNY', 1000, now(), 'paid', now(), now(), $3)",
          id, status, code);
    }
    tx.exec(
        "INSERT INTO idempotency_keys (customer_id, key, request_hash, status, response_body) "
        "VALUES ('c1', 'k1', 'h', 201, "
        "'{\"order_id\":\"ord_old1\",\"fulfillment\":\"pickup\",\"handover_code\":\"123456\"}')");
    tx.commit();
  }
  migrate_database(db.url());
  {
    pqxx::connection c(db.url());
    pqxx::read_transaction tx(c);
    const auto kept = tx.exec1(
        "SELECT handover_code_scheme, encode(handover_code_salt, 'hex'), "
        "encode(handover_code_hash, 'hex') FROM orders WHERE order_id = 'ord_old1'");
    EXPECT_EQ(kept[0].as<std::string>(), "salted_sha256");
    const auto salt = core::from_hex(kept[1].as<std::string>());
    ASSERT_TRUE(salt);
    EXPECT_EQ(salt->size(), 16u);
    EXPECT_EQ(kept[2].as<std::string>(), core::to_hex(core::salted_code_hash(*salt, "123456")));
    EXPECT_TRUE(tx.exec1("SELECT handover_code_hash IS NULL FROM orders WHERE order_id = "
                         "'ord_old3'")[0]
                    .as<bool>());  // collected: nothing to check any more
    EXPECT_EQ(tx.exec1("SELECT response_body FROM idempotency_keys WHERE key = 'k1'")[0]
                  .as<std::string>(),
              R"({"order_id":"ord_old1","fulfillment":"pickup","handover_code":null})");
  }

  ServerProcess srv(db.url());
  const auto made = srv.admin("POST", "/v1/stores/cold/staff",
                              nlohmann::json{{"name", "p"}, {"job", "packer"}}.dump());
  ASSERT_EQ(made.status, 201) << made.body;
  const Terminal packer{srv, made.json()["token"]};
  const Terminal customer{srv, "cust-token-old-order-0123456789"};
  // The code the customer was shown before still opens the first order's hand-over...
  auto r = packer.post("/v1/orders/ord_old1/handover", {{"code", "123456"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "collected");
  // ...and the one the app shows now opens the second's (the old one is checked, not stored).
  const std::string shown = customer.get("/v1/orders/ord_old2").json()["handover_code"];
  ASSERT_EQ(shown.size(), 6u);
  if (shown != "123456") {
    EXPECT_TRUE(is_problem(packer.post("/v1/orders/ord_old2/handover", {{"code", "123456"}}), 422,
                           "wrong_code"));
  }
  r = packer.post("/v1/orders/ord_old2/handover", {{"code", shown}});
  ASSERT_EQ(r.status, 200) << r.body;
  pqxx::connection c(db.url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(
      tx.exec1("SELECT count(*) FROM orders WHERE handover_code_hash IS NOT NULL")[0].as<int>(),
      0);  // handed over: the hashes went too
}

}  // namespace
}  // namespace freshlane::testing
