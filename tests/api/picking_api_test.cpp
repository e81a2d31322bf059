// The picking floor through HTTP against a real PostgreSQL: paid → tasks → two pickers in two
// zones → bags on one lane → packed → handed over; a server killed midway loses nothing;
// and every kind of bad input a terminal can send.
#include <pqxx/pqxx>
#include <thread>

#include "api/shop_fixture.hpp"

namespace freshlane::testing {
namespace {

const nlohmann::json kZones = {"seafood", "produce", "chilled", "frozen", "ambient", "bakery"};

// Two short lanes (1 s transit) so bags reach packing while the test waits.
nlohmann::json fast_layout(int capacity = 4) {
  return {
      {"zones", kZones},
      {"lanes",
       {{{"lane_id", "L1"}, {"capacity", capacity}, {"transit_seconds", 1}, {"zones", kZones}},
        {{"lane_id", "L2"}, {"capacity", capacity}, {"transit_seconds", 1}, {"zones", kZones}}}},
      {"pick_deadline_seconds", 600}};
}

class PickingApi : public ApiTest {
 protected:
  Shop shop{server()};

  // A store with the fast layout, CRAB in seafood and APPLE in produce.
  void open_store(const std::string& id, const ServerProcess& srv) {
    Shop s{srv};
    s.store(id);
    ASSERT_EQ(srv.admin("PUT", "/v1/stores/" + id + "/layout", fast_layout().dump()).status, 200);
    s.stock(id, "CRAB-" + id, 20, 8800, 72, "seafood");
    s.stock(id, "APPLE-" + id, 50, 600, 72, "produce");
  }

  // A paid pickup order; returns (order id, customer token).
  std::pair<std::string, std::string> paid_order(
      const ServerProcess& srv, const std::string& store,
      const std::vector<std::pair<std::string, int>>& lines,
      const std::string& fulfillment = "pickup") {
    Shop s{srv};
    const std::string customer = s.customer();
    const auto r = s.order(customer, Shop::order_body(store, lines, fulfillment),
                           "k-" + store + std::to_string(++n_));
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string id = r.json()["order_id"];
    const auto paid = s.pay(id, r.json()["total_minor"], "ev-" + id);
    EXPECT_EQ(paid.status, 200) << paid.body;
    return {id, customer};
  }

  static std::string shelf_code(const ServerProcess& srv, const std::string& store,
                                const std::string& sku) {
    return srv.get("/v1/stores/" + store + "/products/" + sku).json()["shelf_code"];
  }

  // Polls the packing board until `order_id` is ready (bags ride 1 s).
  static bool wait_ready(const Terminal& t, const std::string& store, const std::string& order_id) {
    for (int i = 0; i < 50; ++i) {
      const auto board = t.get("/v1/stores/" + store + "/packing").json();
      for (const auto& o : board["ready"]) {
        if (o["order_id"] == order_id) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  inline static int n_ = 0;
};

TEST_F(PickingApi, PaidOrderIsPickedByTwoZonesPackedAndHandedOver) {
  open_store("pk-flow", server());
  const std::string crab = "CRAB-pk-flow", apple = "APPLE-pk-flow";
  const auto [order_id, customer_token] = paid_order(server(), "pk-flow", {{crab, 2}, {apple, 3}});
  const Terminal customer{server(), customer_token};
  auto order = customer.get("/v1/orders/" + order_id).json();
  EXPECT_EQ(order["status"], "paid");
  EXPECT_EQ(order["picking"]["bags"], 2);
  const std::string code = order["handover_code"];
  EXPECT_EQ(code.size(), 6u);

  const Terminal sea{server(), shop.staff("pk-flow", "picker")};
  const Terminal fruit{server(), shop.staff("pk-flow", "picker")};
  const Terminal packer{server(), shop.staff("pk-flow", "packer")};
  ASSERT_EQ(sea.post("/v1/stores/pk-flow/pickers/clock-in", {{"zone", "seafood"}}).status, 200);
  ASSERT_EQ(fruit.post("/v1/stores/pk-flow/pickers/clock-in", {{"zone", "produce"}}).status, 200);

  // The board shows both tasks open, by zone, with the order's deadline.
  auto board = packer.get("/v1/stores/pk-flow/picking").json();
  int open = 0;
  for (const auto& z : board["zones"]) open += z["open_count"].get<int>();
  EXPECT_EQ(open, 2);

  const auto sea_trip = sea.post("/v1/stores/pk-flow/pick-tasks/next");
  ASSERT_EQ(sea_trip.status, 200) << sea_trip.body;
  const auto sea_task = sea_trip.json()["tasks"][0];
  EXPECT_EQ(sea_task["zone"], "seafood");
  EXPECT_EQ(sea_task["lines"][0]["sku"], crab);
  EXPECT_EQ(sea_task["lines"][0]["quantity"], 2);
  EXPECT_EQ(customer.get("/v1/orders/" + order_id).json()["status"], "picking");
  const std::string sea_id = sea_task["task_id"];

  const auto fruit_task = fruit.post("/v1/stores/pk-flow/pick-tasks/next").json()["tasks"][0];
  const std::string fruit_id = fruit_task["task_id"];
  EXPECT_EQ(fruit_task["zone"], "produce");

  // Scan the shelf labels: 2 crabs at once, apples one by one.
  auto r = sea.post("/v1/pick-tasks/" + sea_id + "/scan",
                    {{"code", shelf_code(server(), "pk-flow", crab)}, {"quantity", 2}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["lines"][0]["remaining"], 0);
  for (int i = 0; i < 3; ++i) {
    r = fruit.post("/v1/pick-tasks/" + fruit_id + "/scan",
                   {{"code", shelf_code(server(), "pk-flow", apple)}});
    ASSERT_EQ(r.status, 200) << r.body;
  }

  r = fruit.post("/v1/pick-tasks/" + fruit_id + "/finish");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string lane = r.json()["bag"]["lane_id"];
  EXPECT_EQ(r.json()["state"], "on_lane");
  r = sea.post("/v1/pick-tasks/" + sea_id + "/finish");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["bag"]["lane_id"], lane);  // the order's bags meet at one packing point

  // Stock left the shelf as the bags closed: nothing reserved remains, 20-2 and 50-3 on hand.
  {
    pqxx::connection c(database_url());
    pqxx::read_transaction tx(c);
    const auto row = tx.exec1(
        "SELECT sum(quantity_on_hand), sum(quantity_reserved) FROM lots WHERE store_id = "
        "'pk-flow'");
    EXPECT_EQ(row[0].as<int>(), 65);
    EXPECT_EQ(row[1].as<int>(), 0);
  }

  EXPECT_TRUE(is_problem(packer.post("/v1/orders/" + order_id + "/handover", {{"code", code}}), 409,
                         "invalid_transition"));  // not packed yet
  ASSERT_TRUE(wait_ready(packer, "pk-flow", order_id));
  order = customer.get("/v1/orders/" + order_id).json();
  EXPECT_EQ(order["picking"]["bags_at_packing"], 2);

  r = packer.post("/v1/orders/" + order_id + "/pack");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "ready_for_pickup");
  EXPECT_TRUE(r.json()["handover_code"].is_null());  // staff never see the customer's code
  EXPECT_TRUE(
      is_problem(packer.post("/v1/orders/" + order_id + "/pack"), 409, "invalid_transition"));

  const std::string wrong = code == "000000" ? "000001" : "000000";
  EXPECT_TRUE(is_problem(packer.post("/v1/orders/" + order_id + "/handover", {{"code", wrong}}),
                         422, "wrong_code"));
  r = packer.post("/v1/orders/" + order_id + "/handover", {{"code", code}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "collected");
  EXPECT_EQ(customer.get("/v1/orders/" + order_id).json()["status"], "collected");

  // What the floor recorded, and what ops see.
  const std::string metrics = server().get("/metrics").body;
  EXPECT_GE(metric_value(metrics, "freshlane_picking_paid_to_conveyor_seconds_count"), 1);
  EXPECT_GE(metric_value(metrics, "freshlane_picking_orders_packed_total"), 1);
  EXPECT_GE(metric_value(metrics, "freshlane_conveyor_bags_loaded_total"), 2);
  pqxx::connection c(database_url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pick_events WHERE order_id = " + tx.quote(order_id) +
                     " AND kind = 'bag_loaded'")[0]
                .as<int>(),
            2);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pick_tasks WHERE order_id = " + tx.quote(order_id) +
                     " AND state = 'packed'")[0]
                .as<int>(),
            2);
}

// The floor's clock visits a floor when it next changes by itself (a bag arriving, a picker
// timing out, at least once a minute), not every tick: hundreds of quiet floors cost nothing.
TEST_F(PickingApi, TheFloorClockComesWhenTheFloorNextChanges) {
  open_store("pk-wake", server());
  const auto [order_id, customer_token] = paid_order(server(), "pk-wake", {{"CRAB-pk-wake", 1}});
  const Terminal picker{server(), shop.staff("pk-wake", "picker")};
  const Terminal packer{server(), shop.staff("pk-wake", "packer")};
  ASSERT_EQ(picker.post("/v1/stores/pk-wake/pickers/clock-in", {{"zone", "seafood"}}).status, 200);
  pqxx::connection db(database_url());
  // Seconds until the floor job is due (-1e9 while never visited), and how often it ran.
  const auto job = [&db] {
    pqxx::nontransaction tx(db);
    const auto row = tx.exec1(
        "SELECT COALESCE(extract(epoch FROM due_at - now())::float8, -1e9), runs "
        "FROM store_jobs WHERE job = 'floor' AND store_id = 'pk-wake' AND due_at > '-infinity' "
        "UNION ALL SELECT -1e9, 0 LIMIT 1");
    return std::pair{row[0].as<double>(), row[1].as<long long>()};
  };
  // Once the floor job has visited the new floor (a request only ever brings a visit earlier).
  const auto sleeps_past = [&job](double seconds) {
    for (int i = 0; i < 40 && job().first <= seconds; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return job().first > seconds;
  };
  EXPECT_TRUE(sleeps_past(50)) << "a picker on shift times out in 300 s: a minute's sleep";

  const auto task = picker.post("/v1/stores/pk-wake/pick-tasks/next").json()["tasks"][0];
  const std::string task_id = task["task_id"];
  ASSERT_EQ(picker
                .post("/v1/pick-tasks/" + task_id + "/scan",
                      {{"code", shelf_code(server(), "pk-wake", "CRAB-pk-wake")}})
                .status,
            200);
  ASSERT_EQ(picker.post("/v1/pick-tasks/" + task_id + "/finish").status, 200);
  EXPECT_LT(job().first, 2.5) << "the bag arrives at packing in 1 s: the clock comes then";
  EXPECT_TRUE(wait_ready(packer, "pk-wake", order_id));  // ...and the bag arrived by the clock

  EXPECT_TRUE(sleeps_past(50)) << "nothing due on the floor: it sleeps";
  const long long runs = job().second;
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(job().second, runs) << "a quiet floor is not visited every tick";
}

TEST_F(PickingApi, AServerKilledMidwayLosesNothing) {
  auto srv = std::make_unique<ServerProcess>(database_url());
  open_store("pk-crash", *srv);
  const std::string crab = "CRAB-pk-crash";
  const auto [first, c1] = paid_order(*srv, "pk-crash", {{crab, 3}});
  const auto [second, c2] = paid_order(*srv, "pk-crash", {{crab, 9}});
  const std::string picker_token = Shop{*srv}.staff("pk-crash", "picker");
  const std::string packer_token = Shop{*srv}.staff("pk-crash", "packer");
  Terminal picker{*srv, picker_token};
  ASSERT_EQ(picker.post("/v1/stores/pk-crash/pickers/clock-in", {{"zone", "seafood"}}).status, 200);
  auto trip = picker.post("/v1/stores/pk-crash/pick-tasks/next").json()["tasks"];
  ASSERT_EQ(trip.size(), 1u);  // 3 crabs + 9 crabs: the second is not small, no batching
  const std::string task_id = trip[0]["task_id"];
  const std::string deadline = trip[0]["deadline"];
  ASSERT_EQ(picker
                .post("/v1/pick-tasks/" + task_id + "/scan",
                      {{"code", shelf_code(*srv, "pk-crash", crab)}, {"quantity", 2}})
                .status,
            200);

  ASSERT_EQ(srv->stop(/*crash=*/true), -SIGKILL);
  srv = std::make_unique<ServerProcess>(database_url());
  picker = Terminal{*srv, picker_token};

  // The picker still holds the same task, with what was scanned and the same deadline.
  auto again = picker.post("/v1/stores/pk-crash/pick-tasks/next");
  ASSERT_EQ(again.status, 200) << again.body;
  ASSERT_EQ(again.json()["tasks"].size(), 1u);
  EXPECT_EQ(again.json()["tasks"][0]["task_id"], task_id);
  EXPECT_EQ(again.json()["tasks"][0]["deadline"], deadline);
  EXPECT_EQ(again.json()["tasks"][0]["lines"][0]["picked"], 2);
  auto board = Terminal{*srv, packer_token}.get("/v1/stores/pk-crash/picking").json();
  for (const auto& z : board["zones"]) {
    if (z["zone"] != "seafood") continue;
    EXPECT_EQ(z["open_count"], 1);  // the other order's task, once
    EXPECT_EQ(z["held"].size(), 1u);
  }
  ASSERT_EQ(picker
                .post("/v1/pick-tasks/" + task_id + "/scan",
                      {{"code", shelf_code(*srv, "pk-crash", crab)}})
                .status,
            200);
  const auto finished = picker.post("/v1/pick-tasks/" + task_id + "/finish");
  ASSERT_EQ(finished.status, 200) << finished.body;

  // Killed again with the bag on the lane: it still arrives and the order packs.
  ASSERT_EQ(srv->stop(true), -SIGKILL);
  srv = std::make_unique<ServerProcess>(database_url());
  const Terminal packer{*srv, packer_token};
  const std::string first_id = task_id.substr(0, task_id.find("-seafood"));
  ASSERT_TRUE(wait_ready(packer, "pk-crash", first_id));
  EXPECT_EQ(packer.post("/v1/orders/" + first_id + "/pack").status, 200);
  picker = Terminal{*srv, picker_token};
  trip = picker.post("/v1/stores/pk-crash/pick-tasks/next").json()["tasks"];
  ASSERT_EQ(trip.size(), 1u);
  EXPECT_NE(trip[0]["task_id"], task_id);
  pqxx::connection c(database_url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pick_tasks WHERE store_id = 'pk-crash'")[0].as<int>(),
            2);
}

TEST_F(PickingApi, AShortPickShrinksTheLineRefundsAndCorrectsStock) {
  open_store("pk-short", server());
  const std::string crab = "CRAB-pk-short";
  const auto [order_id, customer_token] = paid_order(server(), "pk-short", {{crab, 3}});
  const Terminal picker{server(), shop.staff("pk-short", "picker")};
  picker.post("/v1/stores/pk-short/pickers/clock-in", {{"zone", "seafood"}});
  const std::string task_id =
      picker.post("/v1/stores/pk-short/pick-tasks/next").json()["tasks"][0]["task_id"];
  ASSERT_EQ(picker
                .post("/v1/pick-tasks/" + task_id + "/scan",
                      {{"code", shelf_code(server(), "pk-short", crab)}})
                .status,
            200);
  EXPECT_TRUE(
      is_problem(picker.post("/v1/pick-tasks/" + task_id + "/finish"), 409, "task_incomplete"));
  EXPECT_TRUE(is_problem(
      picker.post("/v1/pick-tasks/" + task_id + "/short", {{"sku", crab}, {"quantity", 3}}), 422,
      "exceeds_line"));
  const auto r =
      picker.post("/v1/pick-tasks/" + task_id + "/short", {{"sku", crab}, {"quantity", 2}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["lines"][0]["missing"], 2);
  ASSERT_EQ(picker.post("/v1/pick-tasks/" + task_id + "/finish").status, 200);

  const auto order = Terminal{server(), customer_token}.get("/v1/orders/" + order_id).json();
  EXPECT_EQ(order["lines"][0]["quantity"], 1);
  EXPECT_EQ(order["lines"][0]["short_quantity"], 2);
  EXPECT_EQ(order["refund_minor"], 2 * 8800);
  EXPECT_EQ(order["total_minor"], 8800);
  EXPECT_EQ(order["payment"]["amount_minor"], 3 * 8800);
  // 20 received: 1 sold, 2 written off as never there; nothing left reserved.
  pqxx::connection c(database_url());
  pqxx::read_transaction tx(c);
  const auto row = tx.exec1(
      "SELECT sum(quantity_on_hand), sum(quantity_reserved) FROM lots "
      "WHERE store_id = 'pk-short' AND sku = 'CRAB-pk-short'");
  EXPECT_EQ(row[0].as<int>(), 17);
  EXPECT_EQ(row[1].as<int>(), 0);
  EXPECT_EQ(shop.available("pk-short", crab), 17);
}

// Issue 14: a line reported short whole (none of it found) was a 500 and the bag could never be
// finished. Now the line drops to 0, its lots go, the customer is refunded, the bag goes on.
TEST_F(PickingApi, AWholeLineShortLeavesTheLineEmptyAndTheBagGoesOn) {
  open_store("pk-whole", server());
  const std::string crab = "CRAB-pk-whole", shrimp = "SHRIMP-pk-whole";
  shop.stock("pk-whole", shrimp, 10, 3000, 72, "seafood");
  const auto [order_id, customer_token] =
      paid_order(server(), "pk-whole", {{crab, 2}, {shrimp, 3}});  // one seafood bag, two lines
  const Terminal customer{server(), customer_token};
  const std::string code = customer.get("/v1/orders/" + order_id).json()["handover_code"];
  const Terminal picker{server(), shop.staff("pk-whole", "picker")};
  const Terminal packer{server(), shop.staff("pk-whole", "packer")};
  picker.post("/v1/stores/pk-whole/pickers/clock-in", {{"zone", "seafood"}});
  const auto trip = picker.post("/v1/stores/pk-whole/pick-tasks/next");
  ASSERT_EQ(trip.status, 200) << trip.body;
  ASSERT_EQ(trip.json()["tasks"].size(), 1u);
  ASSERT_EQ(trip.json()["tasks"][0]["lines"].size(), 2u);
  const std::string task_id = trip.json()["tasks"][0]["task_id"];
  ASSERT_EQ(picker
                .post("/v1/pick-tasks/" + task_id + "/scan",
                      {{"code", shelf_code(server(), "pk-whole", crab)}, {"quantity", 2}})
                .status,
            200);
  auto r = picker.post("/v1/pick-tasks/" + task_id + "/short", {{"sku", shrimp}, {"quantity", 3}});
  ASSERT_EQ(r.status, 200) << r.body;  // was 500
  r = picker.post("/v1/pick-tasks/" + task_id + "/finish");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json()["bag"]["lane_id"].is_null());  // the crabs ride

  auto order = customer.get("/v1/orders/" + order_id).json();
  ASSERT_EQ(order["lines"].size(), 2u);
  EXPECT_EQ(order["lines"][1]["sku"], shrimp);
  EXPECT_EQ(order["lines"][1]["quantity"], 0);
  EXPECT_EQ(order["lines"][1]["short_quantity"], 3);
  EXPECT_TRUE(order["lines"][1]["lots"].empty()) << order["lines"][1];
  EXPECT_EQ(order["lines"][0]["quantity"], 2);
  EXPECT_EQ(order["refund_minor"], 3 * 3000);
  EXPECT_EQ(order["total_minor"], 2 * 8800);
  {  // 10 shrimps received, 3 written off as never there, nothing reserved; 2 crabs sold
    pqxx::connection c(database_url());
    pqxx::read_transaction tx(c);
    auto row =
        tx.exec1("SELECT sum(quantity_on_hand), sum(quantity_reserved) FROM lots WHERE sku = " +
                 tx.quote(shrimp));
    EXPECT_EQ(row[0].as<int>(), 7);
    EXPECT_EQ(row[1].as<int>(), 0);
    row = tx.exec1("SELECT sum(quantity_on_hand), sum(quantity_reserved) FROM lots WHERE sku = " +
                   tx.quote(crab));
    EXPECT_EQ(row[0].as<int>(), 18);
    EXPECT_EQ(row[1].as<int>(), 0);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM order_line_lots WHERE order_id = " +
                       tx.quote(order_id) + " AND line_no = 1")[0]
                  .as<int>(),
              0);
  }
  EXPECT_EQ(shop.available("pk-whole", shrimp), 7);

  ASSERT_TRUE(wait_ready(packer, "pk-whole", order_id));
  r = packer.post("/v1/orders/" + order_id + "/pack");
  ASSERT_EQ(r.status, 200) << r.body;
  r = packer.post("/v1/orders/" + order_id + "/handover", {{"code", code}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "collected");
}

// A bag with nothing in it: every line of the task short. It finishes (no lane: nothing to
// carry); the order's other bag still comes, and the order is packed and handed over.
TEST_F(PickingApi, ATaskWhoseEveryLineIsShortFinishesWithoutABag) {
  open_store("pk-none", server());
  const std::string crab = "CRAB-pk-none", apple = "APPLE-pk-none";
  const auto [order_id, customer_token] = paid_order(server(), "pk-none", {{crab, 2}, {apple, 3}});
  const Terminal customer{server(), customer_token};
  const std::string code = customer.get("/v1/orders/" + order_id).json()["handover_code"];
  const Terminal sea{server(), shop.staff("pk-none", "picker")};
  const Terminal fruit{server(), shop.staff("pk-none", "picker")};
  const Terminal packer{server(), shop.staff("pk-none", "packer")};
  ASSERT_EQ(sea.post("/v1/stores/pk-none/pickers/clock-in", {{"zone", "seafood"}}).status, 200);
  ASSERT_EQ(fruit.post("/v1/stores/pk-none/pickers/clock-in", {{"zone", "produce"}}).status, 200);
  const std::string sea_id =
      sea.post("/v1/stores/pk-none/pick-tasks/next").json()["tasks"][0]["task_id"];
  const std::string fruit_id =
      fruit.post("/v1/stores/pk-none/pick-tasks/next").json()["tasks"][0]["task_id"];

  auto r = sea.post("/v1/pick-tasks/" + sea_id + "/short", {{"sku", crab}, {"quantity", 2}});
  ASSERT_EQ(r.status, 200) << r.body;  // was 500
  EXPECT_EQ(r.json()["lines"][0]["missing"], 2);
  EXPECT_EQ(r.json()["lines"][0]["remaining"], 0);
  r = sea.post("/v1/pick-tasks/" + sea_id + "/finish");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["bag"]["lane_id"].is_null()) << r.body;  // nothing rides
  EXPECT_TRUE(is_problem(sea.post("/v1/pick-tasks/" + sea_id + "/finish"), 409, "task_closed"));

  ASSERT_EQ(fruit
                .post("/v1/pick-tasks/" + fruit_id + "/scan",
                      {{"code", shelf_code(server(), "pk-none", apple)}, {"quantity", 3}})
                .status,
            200);
  ASSERT_EQ(fruit.post("/v1/pick-tasks/" + fruit_id + "/finish").status, 200);
  ASSERT_TRUE(wait_ready(packer, "pk-none", order_id));
  r = packer.post("/v1/orders/" + order_id + "/pack");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "ready_for_pickup");
  EXPECT_EQ(r.json()["lines"][0]["quantity"], 0);
  EXPECT_EQ(r.json()["lines"][0]["short_quantity"], 2);
  EXPECT_EQ(r.json()["refund_minor"], 2 * 8800);
  EXPECT_EQ(r.json()["total_minor"], 3 * 600);
  ASSERT_EQ(packer.post("/v1/orders/" + order_id + "/handover", {{"code", code}}).status, 200);

  pqxx::connection c(database_url());
  pqxx::read_transaction tx(c);
  const auto row = tx.exec1(
      "SELECT sum(quantity_on_hand), sum(quantity_reserved) FROM lots WHERE store_id = 'pk-none'");
  EXPECT_EQ(row[0].as<int>(), 18 + 47);
  EXPECT_EQ(row[1].as<int>(), 0);
  // The floor rebuilt from PostgreSQL agrees: both bags are done.
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pick_tasks WHERE order_id = " + tx.quote(order_id) +
                     " AND finished_at IS NOT NULL")[0]
                .as<int>(),
            2);
}

TEST_F(PickingApi, LanesBoardShowsBagsInTransitAndTheOnesWaiting) {
  Shop s{server()};
  s.store("pk-lanes");
  // Two lanes of one bag each, a minute long: the third bag must wait.
  nlohmann::json layout = fast_layout(1);
  for (auto& lane : layout["lanes"]) lane["transit_seconds"] = 60;
  ASSERT_EQ(server().admin("PUT", "/v1/stores/pk-lanes/layout", layout.dump()).status, 200);
  s.stock("pk-lanes", "CRAB-pk-lanes", 20, 8800, 72, "seafood");
  const Terminal picker{server(), s.staff("pk-lanes", "picker")};
  const Terminal packer{server(), s.staff("pk-lanes", "packer")};
  picker.post("/v1/stores/pk-lanes/pickers/clock-in", {{"zone", "seafood"}});
  const std::string code = shelf_code(server(), "pk-lanes", "CRAB-pk-lanes");
  std::vector<std::string> states;
  for (int i = 0; i < 3; ++i) {
    paid_order(server(), "pk-lanes", {{"CRAB-pk-lanes", 6}});  // 6 units: never batched
    const auto trip = picker.post("/v1/stores/pk-lanes/pick-tasks/next");
    ASSERT_EQ(trip.status, 200) << trip.body;
    const std::string id = trip.json()["tasks"][0]["task_id"];
    ASSERT_EQ(
        picker.post("/v1/pick-tasks/" + id + "/scan", {{"code", code}, {"quantity", 6}}).status,
        200);
    states.push_back(picker.post("/v1/pick-tasks/" + id + "/finish").json()["state"]);
  }
  EXPECT_EQ(states, (std::vector<std::string>{"on_lane", "on_lane", "waiting"}));
  const auto board = packer.get("/v1/stores/pk-lanes/lanes").json();
  ASSERT_EQ(board["lanes"].size(), 2u);
  for (const auto& lane : board["lanes"]) {
    EXPECT_EQ(lane["in_transit"], 1);
    EXPECT_EQ(lane["capacity"], 1);
    ASSERT_EQ(lane["bags"].size(), 1u);
    EXPECT_EQ(lane["next_free_at"], lane["bags"][0]["arrives_at"]);  // full: frees on arrival
  }
  ASSERT_EQ(board["waiting"].size(), 1u);
  EXPECT_EQ(packer.get("/v1/stores/pk-lanes/packing").json()["incoming"].size(), 2u);
  EXPECT_TRUE(is_problem(server().get("/v1/stores/pk-lanes/lanes"), 401, "unauthorized"));
}

TEST_F(PickingApi, CancellingAPaidOrderTakesItsTasksOffTheFloor) {
  open_store("pk-cancel", server());
  const auto [order_id, customer_token] =
      paid_order(server(), "pk-cancel", {{"CRAB-pk-cancel", 1}});
  const Terminal customer{server(), customer_token};
  const Terminal picker{server(), shop.staff("pk-cancel", "picker")};
  picker.post("/v1/stores/pk-cancel/pickers/clock-in", {{"zone", "seafood"}});
  ASSERT_EQ(customer.post("/v1/orders/" + order_id + "/cancel").status, 200);
  EXPECT_EQ(picker.post("/v1/stores/pk-cancel/pick-tasks/next").status, 204);

  // Once a picker has taken a task, the order can no longer be cancelled.
  const auto [second, token2] = paid_order(server(), "pk-cancel", {{"CRAB-pk-cancel", 1}});
  ASSERT_EQ(picker.post("/v1/stores/pk-cancel/pick-tasks/next").status, 200);
  EXPECT_TRUE(is_problem(Terminal{server(), token2}.post("/v1/orders/" + second + "/cancel"), 409,
                         "invalid_transition"));
}

TEST_F(PickingApi, BadInputGetsClearErrors) {
  open_store("pk-bad", server());
  open_store("pk-other", server());
  const auto [order_id, customer_token] = paid_order(server(), "pk-bad", {{"CRAB-pk-bad", 2}});
  const Terminal picker{server(), shop.staff("pk-bad", "picker")};
  const Terminal colleague{server(), shop.staff("pk-bad", "picker")};
  const Terminal packer{server(), shop.staff("pk-bad", "packer")};
  const Terminal stranger{server(), shop.staff("pk-other", "picker")};
  const Terminal customer{server(), customer_token};

  EXPECT_TRUE(is_problem(picker.post("/v1/stores/pk-bad/pick-tasks/next"), 409, "not_clocked_in"));
  EXPECT_TRUE(is_problem(picker.post("/v1/stores/pk-bad/pickers/clock-in", {{"zone", "deli"}}), 422,
                         "unknown_zone"));
  EXPECT_TRUE(
      is_problem(picker.post("/v1/stores/pk-bad/pickers/clock-in", nlohmann::json::object()), 400,
                 "validation_failed"));
  EXPECT_TRUE(is_problem(picker.post("/v1/stores/pk-other/pickers/clock-in", {{"zone", "seafood"}}),
                         403, "forbidden"));
  EXPECT_TRUE(is_problem(packer.post("/v1/stores/pk-bad/pickers/clock-in", {{"zone", "seafood"}}),
                         403, "forbidden"));  // a packer does not pick
  EXPECT_TRUE(is_problem(customer.post("/v1/stores/pk-bad/pickers/clock-in", {{"zone", "seafood"}}),
                         403, "forbidden"));
  EXPECT_TRUE(is_problem(server().send("POST", "/v1/stores/pk-bad/pick-tasks/next", ""), 401,
                         "unauthorized"));
  EXPECT_TRUE(
      is_problem(picker.post("/v1/stores/pk-bad/pickers/clock-out"), 409, "not_clocked_in"));

  ASSERT_EQ(picker.post("/v1/stores/pk-bad/pickers/clock-in", {{"zone", "seafood"}}).status, 200);
  ASSERT_EQ(colleague.post("/v1/stores/pk-bad/pickers/clock-in", {{"zone", "seafood"}}).status,
            200);
  const std::string task_id =
      picker.post("/v1/stores/pk-bad/pick-tasks/next").json()["tasks"][0]["task_id"];
  EXPECT_EQ(colleague.post("/v1/stores/pk-bad/pick-tasks/next").status, 204);  // nothing left
  EXPECT_TRUE(is_problem(picker.post("/v1/stores/pk-bad/pickers/clock-in", {{"zone", "produce"}}),
                         409, "picker_busy"));

  const std::string crab_code = shelf_code(server(), "pk-bad", "CRAB-pk-bad");
  const std::string apple_code = shelf_code(server(), "pk-bad", "APPLE-pk-bad");
  const std::string scan = "/v1/pick-tasks/" + task_id + "/scan";
  EXPECT_TRUE(is_problem(picker.post(scan, {{"code", apple_code}}), 422, "wrong_item"));
  EXPECT_TRUE(
      is_problem(picker.post(scan, {{"code", shelf_code(server(), "pk-other", "CRAB-pk-other")}}),
                 422, "wrong_item"));
  EXPECT_TRUE(is_problem(picker.post(scan, {{"code", "hello"}}), 400, "invalid_code"));
  EXPECT_TRUE(
      is_problem(picker.post(scan, {{"code", crab_code.substr(0, crab_code.size() - 1) + "x"}}),
                 404, "unknown_code"));
  EXPECT_TRUE(is_problem(picker.post(scan, {{"code", crab_code}, {"quantity", -1}}), 400,
                         "validation_failed"));
  EXPECT_TRUE(is_problem(picker.post(scan, {{"code", crab_code}, {"quantity", 0}}), 400,
                         "validation_failed"));
  EXPECT_TRUE(
      is_problem(picker.post(scan, {{"code", crab_code}, {"quantity", 3}}), 422, "exceeds_line"));
  EXPECT_TRUE(is_problem(picker.post("/v1/pick-tasks/" + task_id + "/short",
                                     {{"sku", "CRAB-pk-bad"}, {"quantity", -2}}),
                         400, "validation_failed"));
  EXPECT_TRUE(is_problem(colleague.post(scan, {{"code", crab_code}}), 403, "not_your_task"));
  EXPECT_TRUE(is_problem(stranger.post(scan, {{"code", crab_code}}), 403, "forbidden"));
  EXPECT_TRUE(is_problem(picker.post("/v1/pick-tasks/no-such-task/scan", {{"code", crab_code}}),
                         404, "not_found"));
  EXPECT_TRUE(is_problem(stranger.get("/v1/pick-tasks/" + task_id), 403, "forbidden"));
  EXPECT_TRUE(
      is_problem(packer.post("/v1/orders/" + order_id + "/pack"), 409, "not_ready_to_pack"));

  ASSERT_EQ(picker.post(scan, {{"code", crab_code}, {"quantity", 2}}).status, 200);
  ASSERT_EQ(picker.post("/v1/pick-tasks/" + task_id + "/finish").status, 200);
  EXPECT_TRUE(is_problem(picker.post("/v1/pick-tasks/" + task_id + "/finish"), 409, "task_closed"));
  EXPECT_TRUE(is_problem(picker.post(scan, {{"code", crab_code}}), 409, "task_closed"));
  const auto seen = packer.get("/v1/pick-tasks/" + task_id).json();
  EXPECT_TRUE(seen["state"] == "on_lane" || seen["state"] == "arrived") << seen;  // 1 s lanes
  EXPECT_FALSE(seen["bag"]["lane_id"].is_null());

  // Layouts: checked field by field; a zone still holding listings cannot go.
  auto bad = fast_layout();
  bad["lanes"][0]["capacity"] = 0;
  bad["lanes"][1]["zones"] = {"seafood", "moon"};
  const auto r = server().admin("PUT", "/v1/stores/pk-bad/layout", bad.dump());
  ASSERT_TRUE(is_problem(r, 400, "validation_failed")) << r.body;
  EXPECT_NE(r.body.find("lanes[0].capacity"), std::string::npos);
  EXPECT_NE(r.body.find("lanes[1].zones[1]"), std::string::npos);
  auto no_seafood = fast_layout();
  no_seafood["zones"] = {"produce"};
  no_seafood["lanes"] = {
      {{"lane_id", "L1"}, {"capacity", 4}, {"transit_seconds", 1}, {"zones", {"produce"}}}};
  EXPECT_TRUE(is_problem(server().admin("PUT", "/v1/stores/pk-bad/layout", no_seafood.dump()), 409,
                         "layout_in_use"));
  EXPECT_TRUE(is_problem(server().send("PUT", "/v1/stores/pk-bad/layout", fast_layout().dump(),
                                       {bearer(picker.token)}),
                         403, "forbidden"));
  // A listing in a zone the floor does not have could never be picked.
  EXPECT_TRUE(is_problem(server().admin("PUT", "/v1/stores/pk-bad/products/CRAB-pk-bad",
                                        R"({"price_minor": 100, "zone": "deli", "shelf": "A1"})"),
                         422, "unknown_zone"));
}

}  // namespace
}  // namespace freshlane::testing
