// Delivery through HTTP against a real PostgreSQL: quote → order paid → picked → packed →
// dispatched → picked up → delivered with the customer's code, tracking each step; another
// customer cannot track it; a server killed mid-trip loses nothing; a busy store refuses.
#include <pqxx/pqxx>

#include "api/delivery_fixture.hpp"
#include "support/store_ids.hpp"

namespace freshlane::testing {
namespace {

class DeliveryApi : public DeliveryTest {};

TEST_F(DeliveryApi, QuoteSaysDistanceEtaAndWhyNot) {
  open_store(server(), "dq");
  // No courier on shift: the store cannot deliver now.
  auto q = server().get(quote_path("dq", kDoorLat, kDoorLon));
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_EQ(q.json()["deliverable"], false);
  EXPECT_EQ(q.json()["reason"], "store_busy");
  EXPECT_TRUE(q.json()["eta_minutes"].is_null());

  Shop{server()}.courier_on_shift("dq");
  q = server().get(quote_path("dq", kDoorLat, kDoorLon));
  const auto j = q.json();
  EXPECT_EQ(j["store_id"], "dq");
  EXPECT_EQ(j["deliverable"], true);
  EXPECT_TRUE(j["reason"].is_null());
  EXPECT_NEAR(j["distance_m"].get<int>(), 440, 30);
  EXPECT_EQ(j["delivery_radius_m"], 3000);
  EXPECT_EQ(j["promise_minutes"], 30);
  // Pick (60 s + 3 units × 10 s) + lane 1 s + packing 120 s + pickup 60 s + ride ≈ 137 s.
  EXPECT_EQ(j["eta_minutes"], 7);

  // 0.027° of latitude north is ~3,002 m: out of range, no ETA.
  q = server().get(quote_path("dq", kStoreLat + 0.027, kStoreLon));
  EXPECT_EQ(q.json()["deliverable"], false);
  EXPECT_EQ(q.json()["reason"], "out_of_range");
  EXPECT_GT(q.json()["distance_m"].get<int>(), 3000);
  EXPECT_TRUE(q.json()["eta_minutes"].is_null());

  // Bad input.
  EXPECT_TRUE(is_problem(server().get("/v1/delivery/quote?store_id=dq&lat=31.2"), 400,
                         "validation_failed"));
  EXPECT_TRUE(is_problem(server().get("/v1/delivery/quote?store_id=dq&lat=91&lon=121"), 400,
                         "validation_failed"));
  EXPECT_TRUE(
      is_problem(server().get("/v1/delivery/quote?lat=31&lon=121"), 400, "validation_failed"));
  EXPECT_TRUE(
      is_problem(server().get(quote_path("nowhere", kDoorLat, kDoorLon)), 404, "not_found"));
}

TEST_F(DeliveryApi, ABusyStoreRefusesDeliveryOrdersWithRetryAfter) {
  open_store(server(), "dbusy");
  Shop shop{server()};
  const std::string customer = shop.customer();
  // Nobody to ride: refused, nothing reserved, and the key is not spent on the refusal.
  auto r = shop.order(customer, Shop::order_body("dbusy", {{"APPLE-dbusy", 2}}, "delivery"), "b1");
  ASSERT_TRUE(is_problem(r, 409, "store_busy")) << r.body;
  ASSERT_TRUE(r.header("retry-after"));
  EXPECT_EQ(*r.header("retry-after"), "300");
  EXPECT_EQ(shop.available("dbusy", "APPLE-dbusy"), 100);
  // Pickup is still fine.
  EXPECT_EQ(shop.order(customer, Shop::order_body("dbusy", {{"APPLE-dbusy", 1}}), "b2").status,
            201);
  // With a courier on shift the same request (same key) goes through.
  shop.courier_on_shift("dbusy");
  r = shop.order(customer, Shop::order_body("dbusy", {{"APPLE-dbusy", 2}}, "delivery"), "b1");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(r.header("idempotent-replayed"));

  // A promise the store cannot keep even when idle: 5 minutes for a ~7-minute delivery.
  ASSERT_EQ(server()
                .admin("POST", "/v1/stores",
                       nlohmann::json{{"store_id", "dfast"},
                                      {"name", "fast"},
                                      {"lat", kStoreLat},
                                      {"lon", kStoreLon},
                                      {"promise_minutes", 5}}
                           .dump())
                .status,
            201);
  shop.stock("dfast", "APPLE-dfast", 10, 600, 72, "produce");
  shop.courier_on_shift("dfast");
  shop.picker_on_shift("dfast");
  const auto q = server().get(quote_path("dfast", kDoorLat, kDoorLon)).json();
  EXPECT_EQ(q["reason"], "store_busy");
  EXPECT_GT(q["eta_minutes"].get<int>(), 5);
  r = shop.order(customer, Shop::order_body("dfast", {{"APPLE-dfast", 1}}, "delivery"), "b3");
  ASSERT_TRUE(is_problem(r, 409, "store_busy")) << r.body;
  EXPECT_EQ(r.json()["promise_minutes"], 5);
  const int retry = std::stoi(*r.header("retry-after"));
  EXPECT_GE(retry, 30);
  EXPECT_LE(retry, 900);
}

TEST_F(DeliveryApi, PaidPickedPackedDispatchedPickedUpDeliveredAndTracked) {
  open_store(server(), "dflow");
  Shop shop{server()};
  const Terminal courier{server(), shop.courier_on_shift("dflow")};
  const auto [order_id, customer_token, code] = paid_delivery(server(), "dflow");
  const Terminal customer{server(), customer_token};
  const std::string tracking = "/v1/orders/" + order_id + "/tracking";

  auto t = customer.get(tracking);
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.json()["status"], "paid");
  EXPECT_TRUE(step(t.json(), "paid").is_string());
  EXPECT_TRUE(step(t.json(), "picking").is_null());
  EXPECT_TRUE(t.json()["promised_at"].is_string());
  EXPECT_TRUE(t.json()["estimated_at"].is_string());
  EXPECT_TRUE(t.json()["courier"].is_null());

  // Its customer tracks it, and the store's manager who answers the customer's call; nobody else.
  EXPECT_TRUE(is_problem(Terminal(server(), shop.customer()).get(tracking), 404, "not_found"));
  EXPECT_EQ(Terminal(server(), shop.staff("dflow", "manager")).get(tracking).status, 200);
  EXPECT_TRUE(is_problem(Terminal(server(), shop.staff("dflow", "picker")).get(tracking), 403,
                         "forbidden"));
  EXPECT_TRUE(is_problem(server().get(tracking), 401, "unauthorized"));

  pick_and_pack(server(), "dflow", order_id);
  t = customer.get(tracking);
  EXPECT_EQ(t.json()["status"], "packed");
  for (const char* s : {"picking", "on_conveyor", "packed"}) {
    EXPECT_TRUE(step(t.json(), s).is_string()) << s << " " << t.body;
  }
  EXPECT_TRUE(step(t.json(), "courier_assigned").is_null());

  // The round gives the order to the courier (the periodic one may have been first).
  auto board = dispatch_now(server(), "dflow");
  EXPECT_TRUE(board["waiting"].empty()) << board.dump();
  ASSERT_EQ(board["trips"].size(), 1u) << board.dump();
  {  // the one courier on shift is on the trip
    const std::string metrics = server().get("/metrics").body;
    EXPECT_EQ(metric_value(metrics, "freshlane_couriers_on_shift{store=\"dflow\"}"), 1);
    EXPECT_EQ(metric_value(metrics, "freshlane_courier_utilization{store=\"dflow\"}"), 1);
  }
  auto trip = courier.get("/v1/couriers/me/trip");
  ASSERT_EQ(trip.status, 200) << trip.body;
  EXPECT_EQ(trip.json()["state"], "assigned");
  ASSERT_EQ(trip.json()["stops"].size(), 1u);
  EXPECT_EQ(trip.json()["stops"][0]["order_id"], order_id);
  EXPECT_EQ(trip.json()["stops"][0]["address"], "金桥路 100 号");
  EXPECT_FALSE(trip.json()["stops"][0]["late"].get<bool>());
  EXPECT_EQ(trip.json().dump().find(code), std::string::npos);  // never shows the code
  EXPECT_TRUE(step(customer.get(tracking).json(), "courier_assigned").is_string());

  // Hand-over before taking the bags: refused.
  EXPECT_TRUE(is_problem(courier.post("/v1/orders/" + order_id + "/deliver", {{"code", code}}), 409,
                         "invalid_transition"));
  auto r = courier.post("/v1/orders/" + order_id + "/pickup");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["state"], "en_route");
  EXPECT_EQ(r.json()["stops"][0]["state"], "picked_up");
  EXPECT_TRUE(
      is_problem(courier.post("/v1/orders/" + order_id + "/pickup"), 409, "invalid_transition"));
  t = customer.get(tracking);
  EXPECT_EQ(t.json()["status"], "out_for_delivery");
  EXPECT_TRUE(step(t.json(), "out_for_delivery").is_string());
  EXPECT_TRUE(t.json()["courier"]["position"].is_null());  // nothing reported yet
  const std::string eta_at_store = r.json()["stops"][0]["eta"];
  EXPECT_EQ(t.json()["estimated_at"], eta_at_store);

  // ~230 m from the door: the stop's ETA comes closer than it was from the store (~440 m).
  ASSERT_EQ(
      server()
          .send("PUT", "/v1/couriers/me/position",
                nlohmann::json{{"lat", 31.2545}, {"lon", 121.5930}}.dump(), {bearer(courier.token)})
          .status,
      200);
  const std::string eta_near = courier.get("/v1/couriers/me/trip").json()["stops"][0]["eta"];
  EXPECT_LT(*core::parse_rfc3339(eta_near), *core::parse_rfc3339(eta_at_store));
  t = customer.get(tracking);
  EXPECT_EQ(t.json()["estimated_at"], eta_near);
  EXPECT_DOUBLE_EQ(t.json()["courier"]["position"]["lat"].get<double>(), 31.2545);
  EXPECT_DOUBLE_EQ(t.json()["courier"]["position"]["lon"].get<double>(), 121.5930);
  EXPECT_EQ(t.json()["courier"]["name"], "Zhang");

  // Another courier cannot deliver it; a wrong code is refused; the right one delivers.
  const Terminal other{server(), shop.courier_on_shift("dflow")};
  EXPECT_TRUE(is_problem(other.post("/v1/orders/" + order_id + "/deliver", {{"code", code}}), 403,
                         "not_your_trip"));
  const std::string wrong = code == "000000" ? "000001" : "000000";
  EXPECT_TRUE(is_problem(courier.post("/v1/orders/" + order_id + "/deliver", {{"code", wrong}}),
                         422, "wrong_code"));
  EXPECT_EQ(customer.get("/v1/orders/" + order_id).json()["status"], "out_for_delivery");
  r = courier.post("/v1/orders/" + order_id + "/deliver", {{"code", code}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "delivered");
  EXPECT_TRUE(r.json()["handover_code"].is_null());

  t = customer.get(tracking);
  EXPECT_EQ(t.json()["status"], "delivered");
  for (const char* s : {"paid", "picking", "on_conveyor", "packed", "courier_assigned",
                        "out_for_delivery", "delivered"}) {
    EXPECT_TRUE(step(t.json(), s).is_string()) << s << " " << t.body;
  }
  EXPECT_EQ(t.json()["estimated_at"], step(t.json(), "delivered"));
  EXPECT_TRUE(t.json()["courier"].is_null());                  // no longer shown after the door
  EXPECT_EQ(courier.get("/v1/couriers/me/trip").status, 204);  // trip done, riding back

  const std::string metrics = server().get("/metrics").body;
  EXPECT_GE(metric_value(metrics, "freshlane_deliveries_total"), 1);
  EXPECT_GE(metric_value(metrics, "freshlane_deliveries_on_time_total"), 1);
  EXPECT_GE(metric_value(metrics, "freshlane_delivery_paid_to_door_seconds_count"), 1);

  ASSERT_EQ(courier.post("/v1/stores/dflow/couriers/clock-out").status, 200);
  EXPECT_TRUE(is_problem(courier.post("/v1/stores/dflow/couriers/clock-out"), 409, "not_on_shift"));
}

TEST_F(DeliveryApi, AFailedDeliveryComesBackAndIsDispatchedAgain) {
  testing::drop_store_id_fillers(database_url());  // every row below names its store itself
  open_store(server(), "dfail");
  Shop shop{server()};
  const Terminal courier{server(), shop.courier_on_shift("dfail")};
  const auto [order_id, customer_token, code] = paid_delivery(server(), "dfail");
  pick_and_pack(server(), "dfail", order_id);
  dispatch_now(server(), "dfail");
  ASSERT_EQ(courier.post("/v1/orders/" + order_id + "/pickup").status, 200);
  // Clocking out with bags on the trip is refused.
  EXPECT_TRUE(
      is_problem(courier.post("/v1/stores/dfail/couriers/clock-out"), 409, "trip_in_progress"));
  EXPECT_TRUE(is_problem(courier.post("/v1/orders/" + order_id + "/delivery-failed"), 400,
                         "validation_failed"));  // a reason is required
  auto r = courier.post("/v1/orders/" + order_id + "/delivery-failed",
                        {{"reason", "nobody at the door"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["state"], "done");
  EXPECT_EQ(r.json()["stops"][0]["state"], "failed");
  EXPECT_EQ(r.json()["stops"][0]["reason"], "nobody at the door");

  const Terminal customer{server(), customer_token};
  auto t = customer.get("/v1/orders/" + order_id + "/tracking").json();
  EXPECT_EQ(t["status"], "returning");  // the bags ride back with the courier
  ASSERT_EQ(t["failed_attempts"].size(), 1u);
  EXPECT_EQ(t["failed_attempts"][0]["reason"], "nobody at the door");
  EXPECT_TRUE(t["failed_attempts"][0]["returned_at"].is_null());
  EXPECT_TRUE(step(t, "out_for_delivery").is_null());  // that attempt is over
  EXPECT_TRUE(step(t, "courier_assigned").is_null());

  // The courier rides back; reporting a position at the store hands the bags back and makes
  // them free at once.
  EXPECT_EQ(server().admin("GET", "/v1/stores/dfail/dispatch", "").json()["couriers"][0]["state"],
            "returning");
  const auto back = server().send("PUT", "/v1/couriers/me/position",
                                  nlohmann::json{{"lat", kStoreLat}, {"lon", kStoreLon}}.dump(),
                                  {bearer(courier.token)});
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(back.json()["state"], "idle");
  t = customer.get("/v1/orders/" + order_id + "/tracking").json();
  EXPECT_EQ(t["status"], "packed");
  EXPECT_TRUE(t["failed_attempts"][0]["returned_at"].is_string());
  auto board = dispatch_now(server(), "dfail");
  ASSERT_EQ(board["trips"].size(), 1u) << board.dump();
  EXPECT_EQ(board["trips"][0]["stops"][0]["order_id"], order_id);
  ASSERT_EQ(courier.post("/v1/orders/" + order_id + "/pickup").status, 200);
  ASSERT_EQ(courier.post("/v1/orders/" + order_id + "/deliver", {{"code", code}}).status, 200);
  t = customer.get("/v1/orders/" + order_id + "/tracking").json();
  EXPECT_EQ(t["status"], "delivered");
  EXPECT_TRUE(step(t, "out_for_delivery").is_string());

  // Its lines, their lots, its payment, its pick task's lines and both trips' stops name the
  // store of their parent rows.
  for (const auto& child : testing::child_rows(database_url())) {
    EXPECT_EQ(child.off_their_store, 0) << child.table;
    if (child.table != "lot_trace_events") EXPECT_GT(child.rows, 0) << child.table;
  }
}

TEST_F(DeliveryApi, AServerKilledMidTripLosesNothing) {
  auto srv = std::make_unique<ServerProcess>(database_url(), kPlanAtOnce);
  open_store(*srv, "dcrash");
  Shop shop{*srv};
  const std::string courier_token = shop.courier_on_shift("dcrash");
  const auto [first, c1, code1] = paid_delivery(*srv, "dcrash");
  pick_and_pack(*srv, "dcrash", first);
  auto board = dispatch_now(*srv, "dcrash");
  ASSERT_EQ(board["trips"].size(), 1u) << board.dump();
  const std::string trip_id = board["trips"][0]["trip_id"];
  ASSERT_EQ(
      srv->send("POST", "/v1/orders/" + first + "/pickup", "{}", {bearer(courier_token)}).status,
      200);

  ASSERT_EQ(srv->stop(/*crash=*/true), -SIGKILL);
  srv = std::make_unique<ServerProcess>(database_url(), kPlanAtOnce);
  const Terminal courier{*srv, courier_token};
  auto trip = courier.get("/v1/couriers/me/trip");
  ASSERT_EQ(trip.status, 200) << trip.body;
  EXPECT_EQ(trip.json()["trip_id"], trip_id);
  EXPECT_EQ(trip.json()["state"], "en_route");
  EXPECT_EQ(trip.json()["stops"][0]["state"], "picked_up");
  // A round after the restart plans nothing twice.
  board = dispatch_now(*srv, "dcrash");
  EXPECT_EQ(board["planned"], 0);
  ASSERT_EQ(board["trips"].size(), 1u);
  auto r = courier.post("/v1/orders/" + first + "/deliver", {{"code", code1}});
  ASSERT_EQ(r.status, 200) << r.body;
  const Terminal customer{*srv, c1};
  EXPECT_EQ(customer.get("/v1/orders/" + first + "/tracking").json()["status"], "delivered");

  pqxx::connection c(database_url());
  pqxx::read_transaction tx(c);
  EXPECT_EQ(
      tx.exec1("SELECT count(*) FROM trip_stops WHERE order_id = " + tx.quote(first))[0].as<int>(),
      1);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM delivery_events WHERE order_id = " + tx.quote(first) +
                     " AND kind = 'delivered'")[0]
                .as<int>(),
            1);
}

TEST_F(DeliveryApi, BadInputFromCouriersGetsClearErrors) {
  open_store(server(), "dbad");
  open_store(server(), "dbad2");
  Shop shop{server()};
  const Terminal courier{server(), shop.courier("dbad")};
  // Not on shift yet.
  EXPECT_TRUE(is_problem(server().send("PUT", "/v1/couriers/me/position",
                                       R"({"lat": 31.25, "lon": 121.59})", {bearer(courier.token)}),
                         409, "not_on_shift"));
  EXPECT_EQ(courier.get("/v1/couriers/me/trip").status, 204);
  // Another store's clock, staff and customers on courier endpoints.
  EXPECT_TRUE(is_problem(courier.post("/v1/stores/dbad2/couriers/clock-in"), 403, "forbidden"));
  const Terminal picker{server(), shop.staff("dbad", "picker")};
  EXPECT_TRUE(is_problem(picker.post("/v1/stores/dbad/couriers/clock-in"), 403, "forbidden"));
  EXPECT_TRUE(is_problem(picker.get("/v1/couriers/me/trip"), 403, "forbidden"));
  EXPECT_TRUE(is_problem(server().get("/v1/couriers/me/trip"), 401, "unauthorized"));
  ASSERT_EQ(courier.post("/v1/stores/dbad/couriers/clock-in").status, 200);
  EXPECT_EQ(courier.post("/v1/stores/dbad/couriers/clock-in").status, 200);  // already: same
  EXPECT_TRUE(is_problem(courier.post("/v1/stores/dbad/couriers/clock-in", {{"zone", "x"}}), 400,
                         "validation_failed"));
  // Positions.
  for (const char* body : {R"({"lat": 91, "lon": 121})", R"({"lat": 31})",
                           R"({"lat": "x", "lon": 1})", R"({"lat": 31, "lon": 121, "speed": 3})"}) {
    EXPECT_TRUE(
        is_problem(server().send("PUT", "/v1/couriers/me/position", body, {bearer(courier.token)}),
                   400, "validation_failed"))
        << body;
  }
  // Orders that are not on the courier's trip.
  EXPECT_TRUE(is_problem(courier.post("/v1/orders/ord_nope/pickup"), 404, "not_found"));
  const auto [order_id, customer_token, code] = paid_delivery(server(), "dbad");
  EXPECT_TRUE(is_problem(courier.post("/v1/orders/" + order_id + "/pickup"), 403,
                         "not_your_trip"));  // paid, not packed, on no trip
  EXPECT_TRUE(is_problem(courier.post("/v1/orders/" + order_id + "/deliver", {{"code", 12}}), 400,
                         "validation_failed"));
  // The dispatch board: staff of the store and admins; rounds: managers and admins.
  EXPECT_EQ(picker.get("/v1/stores/dbad/dispatch").status, 200);
  EXPECT_TRUE(is_problem(picker.post("/v1/stores/dbad/dispatch"), 403, "forbidden"));
  EXPECT_TRUE(is_problem(courier.get("/v1/stores/dbad/dispatch"), 403, "forbidden"));
  EXPECT_TRUE(is_problem(
      Terminal(server(), shop.staff("dbad2", "manager")).post("/v1/stores/dbad/dispatch"), 403,
      "forbidden"));
  EXPECT_EQ(
      Terminal(server(), shop.staff("dbad", "manager")).post("/v1/stores/dbad/dispatch").status,
      200);
  EXPECT_TRUE(
      is_problem(server().admin("GET", "/v1/stores/nowhere/dispatch", ""), 404, "not_found"));
}

}  // namespace
}  // namespace freshlane::testing
