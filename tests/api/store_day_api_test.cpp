// A store's working day through HTTP against a real PostgreSQL (issue 15): the lot a picker
// really took is the lot the order records, a recall finds its customers and stops sales; staff
// find orders by id, phone or code; managers steer the store, pause delivery, revoke tokens
// (in every process at once), cancel for a customer; couriers see whom they deliver to.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

#include "api/delivery_fixture.hpp"
#include "support/store_ids.hpp"

namespace freshlane::testing {
namespace {

using namespace std::chrono_literals;

class StoreDay : public DeliveryTest {
 protected:
  // A lot of `sku` received now, expiring in `hours`: (lot id, its QR code).
  static std::pair<std::string, std::string> receive(const std::string& store,
                                                     const std::string& sku, int quantity,
                                                     int hours) {
    const auto r = server().admin("POST", "/v1/stores/" + store + "/lots",
                                  nlohmann::json{{"sku", sku},
                                                 {"quantity", quantity},
                                                 {"origin", "Zhoushan"},
                                                 {"produced_at", hours_from_now(-2)},
                                                 {"expires_at", hours_from_now(hours)}}
                                      .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return {r.json()["lot_id"], r.json()["qr_code"]};
  }

  // The lots an order's first line holds, as lot id → units.
  static std::map<std::string, int> line_lots(const nlohmann::json& order) {
    std::map<std::string, int> out;
    for (const auto& l : order["lines"][0]["lots"]) out[l["lot_id"]] = l["quantity"];
    return out;
  }
};

// ---- 1. Lot-true trace ----------------------------------------------------------------------

TEST_F(StoreDay, TheScannedLotIsTheOneTheOrderRecordsAndARecallFindsItsCustomer) {
  testing::drop_store_id_fillers(database_url());  // a scanned lot's line names its store itself
  Shop shop{server()};
  shop.store("sd-lot", kStoreLat, kStoreLon);
  ASSERT_EQ(server().admin("PUT", "/v1/stores/sd-lot/layout", fast_layout().dump()).status, 200);
  shop.stock("sd-lot", "CRAB-sd", 0, 8800, 72, "seafood");
  const auto [lot_a, code_a] = receive("sd-lot", "CRAB-sd", 5, 24);  // expires first
  const auto [lot_b, code_b] = receive("sd-lot", "CRAB-sd", 5, 72);
  const Terminal manager{server(), shop.staff("sd-lot", "manager")};

  // The order reserves lot A (earliest expiry first).
  const std::string customer = shop.customer();
  auto placed = shop.order(customer, Shop::order_body("sd-lot", {{"CRAB-sd", 2}}), "lot-1");
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string order_id = placed.json()["order_id"];
  EXPECT_EQ(line_lots(placed.json()), (std::map<std::string, int>{{lot_a, 2}}));
  ASSERT_EQ(shop.pay(order_id, placed.json()["total_minor"], "ev-lot-1").status, 200);

  // The task says which lot to take, where.
  const Terminal picker{server(), shop.staff("sd-lot", "picker")};
  ASSERT_EQ(picker.post("/v1/stores/sd-lot/pickers/clock-in", {{"zone", "seafood"}}).status, 200);
  const auto trip = picker.post("/v1/stores/sd-lot/pick-tasks/next");
  ASSERT_EQ(trip.status, 200) << trip.body;
  const auto task = trip.json()["tasks"][0];
  const std::string task_id = task["task_id"];
  EXPECT_EQ(task["lines"][0]["take"]["lot_id"], lot_a) << task.dump();
  EXPECT_EQ(task["lines"][0]["take"]["quantity"], 2);
  EXPECT_EQ(task["lines"][0]["take"]["shelf"], "A1");

  // The picker takes lot B instead: the order now records lot B, and the reservation moved.
  auto scan =
      picker.post("/v1/pick-tasks/" + task_id + "/scan", {{"code", code_b}, {"quantity", 2}});
  ASSERT_EQ(scan.status, 200) << scan.body;
  EXPECT_EQ(scan.json()["lines"][0]["lots"][0]["lot_id"], lot_b) << scan.body;
  EXPECT_EQ(scan.json()["lines"][0]["lots"][0]["picked"], 2);
  EXPECT_TRUE(scan.json()["lines"][0]["take"].is_null());
  const auto order = manager.get("/v1/orders/" + order_id).json();
  EXPECT_EQ(line_lots(order), (std::map<std::string, int>{{lot_b, 2}})) << order.dump();

  // Each lot's scan shows its own units; the SKU's availability is unchanged (2 still held).
  auto aisle_a = server().get("/v1/scan/" + code_a).json();
  auto aisle_b = server().get("/v1/scan/" + code_b).json();
  EXPECT_EQ(aisle_a["lot"]["available"], 5);
  EXPECT_EQ(aisle_b["lot"]["available"], 3);
  EXPECT_EQ(aisle_b["available"], 8);

  // The trace of lot B names the customer; lot A's names nobody.
  auto trace_b = manager.get("/v1/lots/" + lot_b + "/trace");
  ASSERT_EQ(trace_b.status, 200) << trace_b.body;
  ASSERT_EQ(trace_b.json()["orders"].size(), 1u);
  EXPECT_EQ(trace_b.json()["orders"][0]["order_id"], order_id);
  EXPECT_EQ(trace_b.json()["orders"][0]["quantity"], 2);
  EXPECT_EQ(trace_b.json()["orders"][0]["customer_name"], "顾客");
  EXPECT_EQ(manager.get("/v1/lots/" + lot_a + "/trace").json()["orders"].size(), 0u);

  // A recall of lot B finds that customer, and stops its sale at once.
  const auto recall =
      manager.post("/v1/lots/" + lot_b + "/recall", {{"reason", "supplier recall 17"}});
  ASSERT_EQ(recall.status, 200) << recall.body;
  EXPECT_EQ(recall.json()["orders"][0]["order_id"], order_id);
  EXPECT_EQ(recall.json()["lot"]["recall"]["reason"], "supplier recall 17");
  EXPECT_EQ(recall.json()["lot"]["available"], 0);
  EXPECT_EQ(shop.available("sd-lot", "CRAB-sd"), 5);  // only lot A's units sell now
  const std::string other = shop.customer();
  const auto too_many = shop.order(other, Shop::order_body("sd-lot", {{"CRAB-sd", 6}}), "lot-2");
  EXPECT_TRUE(is_problem(too_many, 409, "out_of_stock")) << too_many.body;
  EXPECT_EQ(server().get("/v1/scan/" + code_b).json()["lot"]["recall"]["reason"],
            "supplier recall 17");

  // A recalled lot is refused at the scan; an expired-or-recalled lot is never taken.
  auto second = shop.order(other, Shop::order_body("sd-lot", {{"CRAB-sd", 1}}), "lot-3");
  ASSERT_EQ(second.status, 201) << second.body;
  ASSERT_EQ(shop.pay(second.json()["order_id"], second.json()["total_minor"], "ev-lot-3").status,
            200);
  ASSERT_EQ(picker.post("/v1/pick-tasks/" + task_id + "/finish").status, 200);
  // The packing board shows what is in the bag, its storage class and the lane it rode.
  nlohmann::json entry;
  for (int i = 0; i < 50 && entry.is_null(); ++i) {
    const auto board = manager.get("/v1/stores/sd-lot/packing").json();
    for (const auto& list : {board["ready"], board["incoming"]}) {
      for (const auto& e : list) {
        if (e["order_id"] == order_id) entry = e;
      }
    }
    if (entry.is_null()) std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(entry.is_null());
  EXPECT_EQ(entry["storage_classes"], nlohmann::json({"chilled"})) << entry.dump();
  EXPECT_EQ(entry["bag_details"][0]["lane_id"], "L1");
  EXPECT_EQ(entry["bag_details"][0]["items"][0]["sku"], "CRAB-sd");
  EXPECT_EQ(entry["bag_details"][0]["items"][0]["quantity"], 2);
  EXPECT_EQ(entry["bag_details"][0]["items"][0]["storage"], "chilled");
  const auto next = picker.post("/v1/stores/sd-lot/pick-tasks/next");
  ASSERT_EQ(next.status, 200) << next.body;
  const std::string second_task = next.json()["tasks"][0]["task_id"];
  EXPECT_TRUE(is_problem(picker.post("/v1/pick-tasks/" + second_task + "/scan", {{"code", code_b}}),
                         409, "lot_unusable"));
  // A shelf label takes the planned lot.
  const std::string shelf = server().get("/v1/stores/sd-lot/products/CRAB-sd").json()["shelf_code"];
  scan = picker.post("/v1/pick-tasks/" + second_task + "/scan", {{"code", shelf}});
  ASSERT_EQ(scan.status, 200) << scan.body;
  EXPECT_EQ(scan.json()["lines"][0]["lots"][0]["lot_id"], lot_a);
  EXPECT_EQ(scan.json()["lines"][0]["lots"][0]["picked"], 1);
  ASSERT_EQ(picker.post("/v1/pick-tasks/" + second_task + "/finish").status, 200);

  // A lot recalled after an order planned it: the shelf label no longer takes it.
  auto third = shop.order(other, Shop::order_body("sd-lot", {{"CRAB-sd", 1}}), "lot-4");
  ASSERT_EQ(third.status, 201) << third.body;
  ASSERT_EQ(shop.pay(third.json()["order_id"], third.json()["total_minor"], "ev-lot-4").status,
            200);
  ASSERT_EQ(manager.post("/v1/lots/" + lot_a + "/recall", {{"reason", "cold chain broken"}}).status,
            200);
  const auto last = picker.post("/v1/stores/sd-lot/pick-tasks/next");
  ASSERT_EQ(last.status, 200) << last.body;
  EXPECT_TRUE(is_problem(
      picker.post(
          "/v1/pick-tasks/" + last.json()["tasks"][0]["task_id"].get<std::string>() + "/scan",
          {{"code", shelf}}),
      409, "lot_unusable"));

  // Only the store's manager reads a trace or recalls.
  EXPECT_TRUE(is_problem(picker.get("/v1/lots/" + lot_a + "/trace"), 403, "forbidden"));
  EXPECT_TRUE(is_problem(manager.get("/v1/lots/no-such-lot/trace"), 404, "not_found"));
  EXPECT_TRUE(is_problem(manager.post("/v1/lots/" + lot_a + "/recall", nlohmann::json::object()),
                         400, "validation_failed"));
  for (const auto& child : testing::child_rows(database_url())) {
    EXPECT_EQ(child.off_their_store, 0) << child.table;
  }
}

// ---- 4. Staff find things -------------------------------------------------------------------

TEST_F(StoreDay, StaffFindOrdersByIdPhoneAndCodeAndTheCounterQueuesPickups) {
  open_store(server(), "sd-find");
  Shop shop{server()};
  const Terminal manager{server(), shop.staff("sd-find", "manager")};
  const Terminal packer{server(), shop.staff("sd-find", "packer")};
  const Terminal picker{server(), shop.staff("sd-find", "picker")};
  const std::string phone = "+8613912345" + std::to_string(100 + ::getpid() % 900);
  const auto signup = server().send("POST", "/v1/customers",
                                    nlohmann::json{{"phone", phone}, {"name", "王芳"}}.dump());
  ASSERT_EQ(signup.status, 201) << signup.body;
  const std::string customer = signup.json()["token"];
  const auto r = shop.order(customer, Shop::order_body("sd-find", {{"APPLE-sd-find", 2}}), "f-1");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string order_id = r.json()["order_id"];
  ASSERT_EQ(shop.pay(order_id, r.json()["total_minor"], "ev-f-1").status, 200);
  const std::string code =
      Terminal{server(), customer}.get("/v1/orders/" + order_id).json()["handover_code"];

  auto by_id = packer.get("/v1/stores/sd-find/orders?q=" + order_id);
  ASSERT_EQ(by_id.status, 200) << by_id.body;
  ASSERT_EQ(by_id.json()["items"].size(), 1u);
  EXPECT_EQ(by_id.json()["items"][0]["customer"]["name"], "王芳");
  const std::string masked = by_id.json()["items"][0]["customer"]["phone_masked"];
  EXPECT_EQ(masked.substr(masked.size() - 4), phone.substr(phone.size() - 4));
  EXPECT_EQ(masked.find(phone.substr(4, 5)), std::string::npos) << masked;
  auto by_phone = manager.get("/v1/stores/sd-find/orders?q=" + phone.substr(phone.size() - 4));
  ASSERT_EQ(by_phone.status, 200) << by_phone.body;
  bool found = false;
  const auto phone_items = by_phone.json()["items"];
  for (const auto& o : phone_items) found = found || o["order_id"] == order_id;
  EXPECT_TRUE(found) << by_phone.body;
  EXPECT_EQ(manager.get("/v1/stores/sd-find/orders?status=paid&fulfillment=pickup")
                .json()["items"]
                .size(),
            1u);
  EXPECT_EQ(manager.get("/v1/stores/sd-find/orders?status=collected").json()["items"].size(), 0u);
  EXPECT_TRUE(is_problem(picker.get("/v1/stores/sd-find/orders"), 403, "forbidden"));
  EXPECT_TRUE(
      is_problem(manager.get("/v1/stores/sd-find/orders?status=lost"), 400, "validation_failed"));
  EXPECT_TRUE(
      is_problem(manager.get("/v1/stores/sd-find/orders?q=%27%3B"), 400, "validation_failed"));

  // Packed, it waits at the counter, found by the code the customer shows.
  pick_and_pack(server(), "sd-find", order_id);
  auto counter = packer.get("/v1/stores/sd-find/counter");
  ASSERT_EQ(counter.status, 200) << counter.body;
  ASSERT_EQ(counter.json()["items"].size(), 1u);
  EXPECT_EQ(counter.json()["items"][0]["order_id"], order_id);
  EXPECT_EQ(counter.json()["items"][0]["status"], "ready_for_pickup");
  EXPECT_FALSE(counter.json()["items"][0]["ready_at"].is_null());
  auto by_code = packer.get("/v1/stores/sd-find/counter?q=" + code);
  ASSERT_EQ(by_code.json()["items"].size(), 1u) << by_code.body;
  EXPECT_EQ(by_code.json()["items"][0]["order_id"], order_id);
  const std::string wrong = code == "000000" ? "000001" : "000000";
  EXPECT_EQ(packer.get("/v1/stores/sd-find/counter?q=" + wrong).json()["items"].size(), 0u);
  // The customer's tracking shows a pickup's own steps and when it was ready.
  const Terminal app{server(), customer};
  auto tracking = app.get("/v1/orders/" + order_id + "/tracking").json();
  EXPECT_EQ(tracking["timeline"].size(), 5u) << tracking.dump();
  EXPECT_TRUE(step(tracking, "ready_for_pickup").is_string()) << tracking.dump();
  EXPECT_TRUE(step(tracking, "collected").is_null());
  EXPECT_TRUE(tracking["ready_estimate"].is_string());
  ASSERT_EQ(packer.post("/v1/orders/" + order_id + "/handover", {{"code", code}}).status, 200);
  EXPECT_EQ(packer.get("/v1/stores/sd-find/counter").json()["items"].size(), 0u);
  tracking = app.get("/v1/orders/" + order_id + "/tracking").json();
  EXPECT_TRUE(step(tracking, "collected").is_string()) << tracking.dump();

  // Collected, its lines can be rated, once each (rating again changes it).
  const std::string rate = "/v1/orders/" + order_id + "/lines/APPLE-sd-find/rating";
  auto rated = server().send("PUT", rate, R"({"stars": 5})", {bearer(customer)});
  ASSERT_EQ(rated.status, 200) << rated.body;
  EXPECT_EQ(rated.json()["rating"]["count"], 1);
  rated = server().send("PUT", rate, R"({"stars": 3})", {bearer(customer)});
  EXPECT_EQ(rated.json()["rating"]["count"], 1);
  EXPECT_EQ(rated.json()["rating"]["average"], 3.0);
  EXPECT_TRUE(is_problem(server().send("PUT", rate, R"({"stars": 6})", {bearer(customer)}), 400,
                         "validation_failed"));
  EXPECT_TRUE(is_problem(server().send("PUT", rate, R"({"stars": 4})", {bearer(shop.customer())}),
                         404, "not_found"));
  EXPECT_TRUE(is_problem(server().send("PUT", "/v1/orders/" + order_id + "/lines/NOPE/rating",
                                       R"({"stars": 4})", {bearer(customer)}),
                         404, "not_found"));

  // A manager reads the customer's tracking.
  EXPECT_EQ(manager.get("/v1/orders/" + order_id + "/tracking").status, 200);
  EXPECT_TRUE(is_problem(picker.get("/v1/orders/" + order_id + "/tracking"), 403, "forbidden"));
}

TEST_F(StoreDay, AManagerCancelsForTheCustomerWithAReason) {
  open_store(server(), "sd-cancel");
  Shop shop{server()};
  const Terminal manager{server(), shop.staff("sd-cancel", "manager")};
  const Terminal packer{server(), shop.staff("sd-cancel", "packer")};
  const std::string customer = shop.customer();
  const auto r =
      shop.order(customer, Shop::order_body("sd-cancel", {{"APPLE-sd-cancel", 3}}), "c-1");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string order_id = r.json()["order_id"];
  // Nothing received yet: nothing to rate.
  EXPECT_TRUE(
      is_problem(server().send("PUT", "/v1/orders/" + order_id + "/lines/APPLE-sd-cancel/rating",
                               R"({"stars": 5})", {bearer(customer)}),
                 409, "invalid_transition"));
  const std::string path = "/v1/orders/" + order_id + "/cancel";
  EXPECT_TRUE(is_problem(manager.post(path), 400, "validation_failed"));  // a reason is required
  EXPECT_TRUE(is_problem(packer.post(path, {{"reason", "x"}}), 403, "forbidden"));
  const auto cancelled = manager.post(path, {{"reason", "customer called: wrong day"}});
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json()["status"], "cancelled");
  EXPECT_EQ(cancelled.json()["cancellation"]["reason"], "customer called: wrong day");
  EXPECT_EQ(shop.available("sd-cancel", "APPLE-sd-cancel"), 100);
  const auto seen = Terminal{server(), customer}.get("/v1/orders/" + order_id).json();
  EXPECT_EQ(seen["cancellation"]["by"], "store");
  EXPECT_EQ(seen["cancellation"]["reason"], "customer called: wrong day");
}

// ---- 5. Manage the store --------------------------------------------------------------------

TEST_F(StoreDay, AManagerPausesDeliveryAndTheQuoteSaysPaused) {
  open_store(server(), "sd-pause");
  Shop shop{server()};
  shop.courier_on_shift("sd-pause");
  const Terminal manager{server(), shop.staff("sd-pause", "manager")};
  const auto quote = quote_path("sd-pause", kDoorLat, kDoorLon);
  ASSERT_EQ(server().get(quote).json()["reason"], nullptr) << server().get(quote).body;

  auto patched =
      server().send("PATCH", "/v1/stores/sd-pause",
                    nlohmann::json{{"delivery_pause", {{"reason", "typhoon warning"}}},
                                   {"address", "上海市浦东新区金桥路 1 号"},
                                   {"phone", "+86 21 5555 0101"},
                                   {"opening_hours", {{"opens", "07:00"}, {"closes", "22:00"}}},
                                   {"promise_minutes", 35}}
                        .dump(),
                    {bearer(manager.token)});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["delivery_paused"], true);
  EXPECT_EQ(patched.json()["opening_hours"]["opens"], "07:00");
  EXPECT_EQ(patched.json()["promise_minutes"], 35);
  const auto store = server().get("/v1/stores/sd-pause").json();
  EXPECT_EQ(store["address"], "上海市浦东新区金桥路 1 号");
  EXPECT_EQ(store["phone"], "+86 21 5555 0101");
  EXPECT_EQ(store["delivery_paused_reason"], "typhoon warning");

  const auto paused = server().get(quote).json();
  EXPECT_EQ(paused["reason"], "paused") << paused.dump();
  EXPECT_EQ(paused["deliverable"], false);
  EXPECT_NE(paused["detail"].get<std::string>().find("typhoon warning"), std::string::npos);
  const std::string customer = shop.customer();
  const auto refused = shop.order(
      customer, Shop::order_body("sd-pause", {{"APPLE-sd-pause", 1}}, "delivery"), "p-1");
  EXPECT_TRUE(is_problem(refused, 409, "delivery_paused")) << refused.body;
  // Pickup goes on.
  EXPECT_EQ(
      shop.order(customer, Shop::order_body("sd-pause", {{"APPLE-sd-pause", 1}}), "p-2").status,
      201);

  // Lifted: delivering again.
  patched = server().send("PATCH", "/v1/stores/sd-pause", R"({"delivery_pause": null})",
                          {bearer(manager.token)});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json()["delivery_paused"], false);
  EXPECT_EQ(server().get(quote).json()["reason"], nullptr);

  // Bad input, and who may do it.
  const Terminal picker{server(), shop.staff("sd-pause", "picker")};
  EXPECT_TRUE(is_problem(server().send("PATCH", "/v1/stores/sd-pause", R"({"promise_minutes": 1})",
                                       {bearer(manager.token)}),
                         400, "validation_failed"));
  EXPECT_TRUE(
      is_problem(server().send("PATCH", "/v1/stores/sd-pause",
                               R"({"opening_hours": {"opens": "25:00", "closes": "22:00"}})",
                               {bearer(manager.token)}),
                 400, "validation_failed"));
  EXPECT_TRUE(is_problem(server().send("PATCH", "/v1/stores/sd-pause", R"({"delivery_pause": {}})",
                                       {bearer(manager.token)}),
                         400, "validation_failed"));
  EXPECT_TRUE(is_problem(
      server().send("PATCH", "/v1/stores/sd-pause", R"({"name": "x"})", {bearer(picker.token)}),
      403, "forbidden"));
  EXPECT_TRUE(is_problem(server().admin("PATCH", "/v1/stores/no-such-store", R"({"name": "x"})"),
                         404, "not_found"));
}

TEST_F(StoreDay, ARevokedTokenGets401AtOnceInEveryProcess) {
  open_store(server(), "sd-staff");
  Shop shop{server()};
  const Terminal manager{server(), shop.staff("sd-staff", "manager")};
  const auto created =
      server().admin("POST", "/v1/stores/sd-staff/staff", R"({"name": "李明", "job": "picker"})");
  ASSERT_EQ(created.status, 201);
  const std::string staff_id = created.json()["staff_id"];
  const std::string old_token = created.json()["token"];

  // A second process on the same database has seen the token valid (and remembers it).
  ServerProcess other(database_url(), kPlanAtOnce);
  const std::string clock_in = "/v1/stores/sd-staff/pickers/clock-in";
  ASSERT_EQ(other.send("POST", clock_in, R"({"zone": "produce"})", {bearer(old_token)}).status,
            200);

  const auto listed = manager.get("/v1/stores/sd-staff/staff");
  ASSERT_EQ(listed.status, 200) << listed.body;
  bool seen = false;
  const auto people = listed.json()["items"];
  for (const auto& p : people) {
    if (p["staff_id"] == staff_id) {
      seen = true;
      EXPECT_EQ(p["active"], true);
      EXPECT_EQ(p["on_shift"], true);
      EXPECT_EQ(p["zone"], "produce");
    }
  }
  EXPECT_TRUE(seen) << listed.body;

  const auto rotated = manager.post("/v1/stores/sd-staff/staff/" + staff_id + "/token");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string new_token = rotated.json()["token"];
  // This process refuses the old token at once; the other within its change feed's poll.
  EXPECT_TRUE(is_problem(server().get("/v1/stores/sd-staff/picking", {bearer(old_token)}), 401,
                         "unauthorized"));
  bool refused = false;
  for (int i = 0; i < 20 && !refused; ++i) {
    refused = other.get("/v1/stores/sd-staff/picking", {bearer(old_token)}).status == 401;
    if (!refused) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(refused) << "the other process still took the revoked token after 1 s";
  EXPECT_EQ(server().get("/v1/stores/sd-staff/picking", {bearer(new_token)}).status, 200);

  // Deactivated: no token of theirs works, and the list says so.
  const auto gone = manager.post("/v1/stores/sd-staff/staff/" + staff_id + "/deactivate");
  ASSERT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(gone.json()["active"], false);
  EXPECT_TRUE(is_problem(server().get("/v1/stores/sd-staff/picking", {bearer(new_token)}), 401,
                         "unauthorized"));
  EXPECT_TRUE(is_problem(manager.post("/v1/stores/sd-staff/staff/" + staff_id + "/token"), 409,
                         "deactivated"));
  EXPECT_TRUE(is_problem(manager.post("/v1/stores/sd-staff/staff/stf_nobody/deactivate"), 404,
                         "not_found"));

  // Couriers the same way.
  const auto courier = server().admin("POST", "/v1/stores/sd-staff/couriers", R"({"name": "赵"})");
  const std::string courier_id = courier.json()["courier_id"];
  const auto couriers = manager.get("/v1/stores/sd-staff/couriers");
  ASSERT_EQ(couriers.status, 200) << couriers.body;
  EXPECT_EQ(couriers.json()["items"].size(), 1u);
  ASSERT_EQ(manager.post("/v1/stores/sd-staff/couriers/" + courier_id + "/deactivate").status, 200);
  EXPECT_TRUE(is_problem(server().get("/v1/couriers/me/trip", {bearer(courier.json()["token"])}),
                         401, "unauthorized"));

  // The shift the picker worked is on record for the day.
  const auto shifts = manager.get("/v1/stores/sd-staff/shifts?person_id=" + staff_id);
  ASSERT_EQ(shifts.status, 200) << shifts.body;
  ASSERT_EQ(shifts.json()["items"].size(), 1u);
  EXPECT_EQ(shifts.json()["items"][0]["role"], "picker");
  EXPECT_EQ(shifts.json()["items"][0]["zone"], "produce");
  EXPECT_TRUE(is_problem(manager.get("/v1/stores/sd-staff/shifts?date=yesterday"), 400,
                         "validation_failed"));
  EXPECT_EQ(manager.get("/v1/stores/sd-staff/shifts?date=2020-01-01").json()["items"].size(), 0u);
  EXPECT_EQ(other.stop(), 0);
}

TEST_F(StoreDay, ProductsAreEditedAndDelistedAndMarkdownsStartLater) {
  Shop shop{server()};
  shop.store("sd-cat");
  shop.stock("sd-cat", "MILK-sd", 10, 1290);
  const Terminal manager{server(), shop.staff("sd-cat", "manager")};
  auto edited = server().admin("PATCH", "/v1/products/MILK-sd",
                               R"({"name": "光明鲜牛奶 950ml", "category": "dairy"})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(edited.json()["name"], "光明鲜牛奶 950ml");
  EXPECT_EQ(server().get("/v1/stores/sd-cat/products/MILK-sd").json()["category"], "dairy");
  EXPECT_TRUE(is_problem(server().admin("PATCH", "/v1/products/MILK-sd", R"({"unit": "kg"})"), 400,
                         "validation_failed"));

  // A markdown planned for later does not apply yet; one that has ended is refused.
  const std::string listing = "/v1/stores/sd-cat/products/MILK-sd";
  const auto put_markdown = [&](const nlohmann::json& markdown) {
    return server().send(
        "PUT", listing,
        nlohmann::json{
            {"price_minor", 1290}, {"zone", "produce"}, {"shelf", "A1"}, {"markdown", markdown}}
            .dump(),
        {bearer(manager.token)});
  };
  const auto later = put_markdown(
      {{"price_minor", 990}, {"from", hours_from_now(2)}, {"until", hours_from_now(5)}});
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(later.json()["price_minor"], 1290);
  EXPECT_EQ(later.json()["markdown"]["price_minor"], 990);
  const auto now = put_markdown(
      {{"price_minor", 990}, {"from", hours_from_now(-1)}, {"until", hours_from_now(5)}});
  EXPECT_EQ(now.json()["price_minor"], 990);
  const auto ended = put_markdown({{"price_minor", 990}, {"until", hours_from_now(-1)}});
  EXPECT_TRUE(is_problem(ended, 400, "validation_failed")) << ended.body;

  // Delisted: not shown, not sold; listing it again brings it back.
  const auto delisted = server().send("DELETE", listing, "", {bearer(manager.token)});
  ASSERT_EQ(delisted.status, 200) << delisted.body;
  EXPECT_EQ(delisted.json()["listed"], false);
  EXPECT_EQ(server().get("/v1/stores/sd-cat/products").json()["items"].size(), 0u);
  const std::string customer = shop.customer();
  EXPECT_TRUE(is_problem(shop.order(customer, Shop::order_body("sd-cat", {{"MILK-sd", 1}}), "d-1"),
                         422, "unknown_sku"));
  ASSERT_EQ(server()
                .send("PUT", listing, R"({"price_minor": 1290, "zone": "produce", "shelf": "A1"})",
                      {bearer(manager.token)})
                .status,
            200);
  EXPECT_EQ(server().get("/v1/stores/sd-cat/products").json()["items"].size(), 1u);
  EXPECT_TRUE(is_problem(
      server().send("DELETE", "/v1/stores/sd-cat/products/NOPE", "", {bearer(manager.token)}), 404,
      "not_found"));
}

// ---- 6. Customers ---------------------------------------------------------------------------

TEST_F(StoreDay, SearchMatchesPinyinInitialsSkuAndAnyWordOrderClosestFirst) {
  Shop shop{server()};
  shop.store("sd-search");
  const auto product = [&](const std::string& sku, const std::string& name,
                           const std::string& category) {
    ASSERT_EQ(server()
                  .admin("POST", "/v1/products",
                         nlohmann::json{{"sku", sku},
                                        {"name", name},
                                        {"category", category},
                                        {"unit", "kg"},
                                        {"storage", "live"}}
                             .dump())
                  .status,
              201);
    ASSERT_EQ(server()
                  .admin("PUT", "/v1/stores/sd-search/products/" + sku,
                         R"({"price_minor": 39790, "zone": "seafood", "shelf": "S1"})")
                  .status,
              200);
  };
  product("KINGCRAB-SD", "帝王蟹 King Crab", "seafood");
  product("HAIRYCRAB-SD", "大闸蟹 Hairy Crab", "seafood");
  product("BOKCHOY-SD", "上海青 Bok Choy", "produce");
  const auto skus = [&](const std::string& q) {
    const auto r = server().get("/v1/stores/sd-search/products?q=" + q);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const auto items = r.json()["items"];
    for (const auto& item : items) out.push_back(item["sku"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(skus("diwangxie"), V{"KINGCRAB-SD"});
  EXPECT_EQ(skus("dwx"), V{"KINGCRAB-SD"});
  EXPECT_EQ(skus("%E5%B8%9D%E7%8E%8B%E8%9F%B9"), V{"KINGCRAB-SD"});  // 帝王蟹
  EXPECT_EQ(skus("kingcrab"), V{"KINGCRAB-SD"});
  EXPECT_EQ(skus("crab%20king"), V{"KINGCRAB-SD"});  // any word order
  EXPECT_EQ(skus("xie").size(), 2u);
  EXPECT_EQ(skus("hairy%20crab").front(), "HAIRYCRAB-SD");
  EXPECT_EQ(skus("nothing-like-it").size(), 0u);
  // Pages of a search go on where the last stopped.
  const auto first = server().get("/v1/stores/sd-search/products?q=crab&limit=1").json();
  ASSERT_EQ(first["items"].size(), 1u);
  ASSERT_TRUE(first["next_cursor"].is_string());
  const auto second = server()
                          .get("/v1/stores/sd-search/products?q=crab&limit=1&cursor=" +
                               first["next_cursor"].get<std::string>())
                          .json();
  ASSERT_EQ(second["items"].size(), 1u);
  EXPECT_NE(second["items"][0]["sku"], first["items"][0]["sku"]);
  // Categories to browse by.
  const auto categories = server().get("/v1/stores/sd-search/categories").json();
  EXPECT_EQ(
      categories["items"],
      nlohmann::json::parse(
          R"([{"category": "produce", "products": 1}, {"category": "seafood", "products": 2}])"));
}

// ---- 3. Money that moves --------------------------------------------------------------------

// The provider stub as its own process, stopped by PID when the test ends.
class ProviderStub {
 public:
  ProviderStub(int fail_first)
      : port_(free_port()),
        log_(::testing::TempDir() + "stub-" + std::to_string(::getpid()) + ".jsonl") {
    ::unlink(log_.c_str());
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      die_with_parent(parent);
      const std::string port = std::to_string(port_), fail = std::to_string(fail_first);
      ::execl(FRESHLANE_PROVIDER_STUB, "provider_stub", "--port", port.c_str(), "--log",
              log_.c_str(), "--fail-first", fail.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready once it accepts a connection (one without a request is not logged).
    for (int i = 0; i < 500; ++i) {
      try {
        Connection probe(port_);
        return;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(10ms);
      }
    }
    throw std::runtime_error("the provider stub never listened on " + std::to_string(port_));
  }
  ~ProviderStub() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    ::unlink(log_.c_str());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/refunds"; }
  std::vector<nlohmann::json> requests() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(log_);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

 private:
  unsigned short port_;
  std::string log_;
  pid_t pid_ = -1;
};

// ---- 2. Sold by weight ----------------------------------------------------------------------

// A king crab at 39,790 per kg: ordered as 1,500 g, the payment authorises 1,650 g (10% over);
// the picker's scale says 1,420 g; the customer is charged for 1,420 g and the rest of the
// authorisation goes back through the provider; the stock counts grams throughout.
TEST_F(StoreDay, ACrabOrderedAt1500gWeighedAt1420gIsChargedFor1420gAndTheRestReleased) {
  ProviderStub provider(0);
  ServerProcess srv(database_url(), {{"FRESHLANE_REFUND_URL", provider.url()},
                                     {"FRESHLANE_REFUND_RETRY_BASE_MS", "100"},
                                     {"FRESHLANE_BATCH_WAIT_SECONDS", "0"}});
  open_store(srv, "sd-kg");
  Shop shop{srv};
  // 5 kg of crab, counted in grams.
  const auto lot = shop.stock("sd-kg", "KINGCRAB-kg", 5000, 39790, 48, "seafood", "kg");
  const auto available = [&] { return shop.available("sd-kg", "KINGCRAB-kg"); };
  const auto listed = srv.get("/v1/stores/sd-kg/products/KINGCRAB-kg").json();
  EXPECT_EQ(listed["sold_by_weight"], true);
  EXPECT_EQ(listed["available"], 5000);

  const std::string customer = shop.customer();
  // Pieces of a good sold by weight are refused, and grams of one sold each.
  const auto pieces = shop.order(customer, Shop::order_body("sd-kg", {{"KINGCRAB-kg", 1}}), "w-0");
  EXPECT_TRUE(is_problem(pieces, 400, "validation_failed")) << pieces.body;
  EXPECT_NE(pieces.body.find("order it in grams"), std::string::npos);
  nlohmann::json body = Shop::order_body("sd-kg", {}, "pickup");
  body["lines"] = {{{"sku", "APPLE-sd-kg"}, {"grams", 500}}};
  EXPECT_TRUE(is_problem(shop.order(customer, body, "w-00"), 400, "validation_failed"));
  body["lines"] = {{{"sku", "KINGCRAB-kg"}, {"grams", 30000}}};
  EXPECT_TRUE(is_problem(shop.order(customer, body, "w-000"), 400, "validation_failed"));

  body["lines"] = {{{"sku", "KINGCRAB-kg"}, {"grams", 1500}}};
  const auto placed = shop.order(customer, body, "w-1");
  ASSERT_EQ(placed.status, 201) << placed.body;
  const auto ordered = placed.json();
  const std::string order_id = ordered["order_id"];
  EXPECT_EQ(ordered["lines"][0]["quantity"], 1500);
  EXPECT_EQ(ordered["lines"][0]["unit"], "kg");
  EXPECT_EQ(ordered["lines"][0]["line_total_minor"], 59685);  // the estimate: 1.5 × 39,790
  EXPECT_EQ(ordered["lines"][0]["weight"]["ordered_grams"], 1500);
  EXPECT_TRUE(ordered["lines"][0]["weight"]["weighed_grams"].is_null());
  EXPECT_EQ(ordered["lines"][0]["weight"]["authorized_minor"], 65654);  // 1,650 g
  EXPECT_EQ(ordered["total_minor"], 59685);
  EXPECT_EQ(ordered["total_estimated"], true);
  EXPECT_EQ(ordered["payment"]["amount_minor"], 65654);
  EXPECT_EQ(available(), 3500);  // the order holds its grams
  EXPECT_TRUE(is_problem(shop.pay(order_id, 59685, "ev-w-short"), 422, "amount_mismatch"));
  ASSERT_EQ(shop.pay(order_id, 65654, "ev-w-1").status, 200);

  const Terminal picker{srv, shop.staff("sd-kg", "picker")};
  ASSERT_EQ(picker.post("/v1/stores/sd-kg/pickers/clock-in", {{"zone", "seafood"}}).status, 200);
  const auto trip = picker.post("/v1/stores/sd-kg/pick-tasks/next");
  ASSERT_EQ(trip.status, 200) << trip.body;
  const auto line = trip.json()["tasks"][0]["lines"][0];
  const std::string task = trip.json()["tasks"][0]["task_id"];
  EXPECT_EQ(line["weighed"], true);
  EXPECT_EQ(line["quantity"], 1500);
  EXPECT_EQ(line["max_grams"], 1650);
  const std::string label = listed["shelf_code"];
  const std::string scan = "/v1/pick-tasks/" + task + "/scan";
  // The scale must speak; a piece past the tolerance is refused.
  EXPECT_TRUE(is_problem(picker.post(scan, {{"code", label}}), 400, "validation_failed"));
  EXPECT_TRUE(
      is_problem(picker.post(scan, {{"code", label}, {"quantity", 1}}), 400, "validation_failed"));
  const auto heavy = picker.post(scan, {{"code", label}, {"grams", 1700}});
  EXPECT_TRUE(is_problem(heavy, 422, "exceeds_line")) << heavy.body;
  EXPECT_NE(heavy.body.find("1650 g"), std::string::npos) << heavy.body;
  const auto weighed = picker.post(scan, {{"code", lot["qr_code"]}, {"grams", 1420}});
  ASSERT_EQ(weighed.status, 200) << weighed.body;
  EXPECT_EQ(weighed.json()["lines"][0]["picked"], 1420);
  EXPECT_EQ(weighed.json()["lines"][0]["remaining"], 0);
  ASSERT_EQ(picker.post("/v1/pick-tasks/" + task + "/finish").status, 200);

  // Charged for 1,420 g; the rest of the authorisation is released through the provider.
  const Terminal app{srv, customer};
  nlohmann::json order;
  for (int i = 0; i < 100; ++i) {
    order = app.get("/v1/orders/" + order_id).json();
    if (order["refunds"].size() == 1 && order["refunds"][0]["state"] == "requested") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(order["lines"][0]["quantity"], 1420);
  EXPECT_EQ(order["lines"][0]["weight"]["weighed_grams"], 1420);
  EXPECT_EQ(order["lines"][0]["line_total_minor"], 56502);  // 1.42 × 39,790 = 56,501.8
  EXPECT_EQ(order["total_minor"], 56502);
  EXPECT_EQ(order["total_estimated"], false);
  EXPECT_EQ(order["payment"]["amount_minor"], 65654);
  EXPECT_EQ(order["refund_minor"], 65654 - 56502);
  ASSERT_EQ(order["refunds"].size(), 1u) << order.dump();
  EXPECT_EQ(order["refunds"][0]["reason"], "weight_adjustment");
  EXPECT_EQ(order["refunds"][0]["amount_minor"], 9152);
  EXPECT_EQ(order["refunds"][0]["state"], "requested") << srv.log();
  const auto calls = provider.requests();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(calls[0]["body"].get<std::string>())["amount_minor"], 9152);
  // The stock lost exactly the crab that left: 5,000 − 1,420 g, nothing held any more.
  EXPECT_EQ(available(), 3580);
  const auto the_lot = srv.get("/v1/scan/" + lot["qr_code"].get<std::string>()).json()["lot"];
  EXPECT_EQ(the_lot["quantity_received"], 5000);
  EXPECT_EQ(the_lot["quantity_on_hand"], 3580);
  EXPECT_EQ(the_lot["available"], 3580);
  // Tracking and the receipt show the weight.
  const auto tracking = app.get("/v1/orders/" + order_id + "/tracking").json();
  ASSERT_EQ(tracking["weights"].size(), 1u) << tracking.dump();
  EXPECT_EQ(tracking["weights"][0]["ordered_grams"], 1500);
  EXPECT_EQ(tracking["weights"][0]["weighed_grams"], 1420);
  const auto receipt = app.get("/v1/orders/" + order_id + "/receipt").json();
  EXPECT_EQ(receipt["lines"][0]["weight"]["weighed_grams"], 1420);
  EXPECT_EQ(receipt["paid_minor"], 65654);
  EXPECT_EQ(receipt["total_minor"], 56502);

  // In the aisle the customer weighs the piece on the store's scale: those grams are final, and
  // the payment is for exactly their price.
  body = Shop::order_body("sd-kg", {}, "in_store");
  body["lines"] = {{{"sku", "KINGCRAB-kg"}, {"grams", 500}}};
  const auto aisle = shop.order(customer, body, "w-2");
  ASSERT_EQ(aisle.status, 201) << aisle.body;
  EXPECT_EQ(aisle.json()["lines"][0]["weight"]["weighed_grams"], 500);
  EXPECT_EQ(aisle.json()["total_estimated"], false);
  EXPECT_EQ(aisle.json()["payment"]["amount_minor"], 19895);  // 0.5 × 39,790
  EXPECT_EQ(aisle.json()["total_minor"], 19895);
  EXPECT_EQ(srv.stop(), 0);
}

// A weighed piece heavier than ordered (within the tolerance) takes its extra grams from the
// shelf and costs the customer its price, still within what was authorised; a weighed line
// that cannot be found is short whole and its whole authorisation comes back.
TEST_F(StoreDay, AHeavierPieceTakesItsGramsAndAMissingOneRefundsItsAuthorisation) {
  open_store(server(), "sd-kg2");
  Shop shop{server()};
  shop.stock("sd-kg2", "SALMON-kg2", 3000, 8800, 48, "seafood", "500g");  // 3 kg, per 500 g
  const std::string customer = shop.customer();
  const auto place = [&](const std::string& key) {
    nlohmann::json body = Shop::order_body("sd-kg2", {}, "pickup");
    body["lines"] = {{{"sku", "SALMON-kg2"}, {"grams", 1000}}};
    const auto r = shop.order(customer, body, key);
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["payment"]["amount_minor"], 19360);  // 1,100 g at 8,800 per 500 g
    EXPECT_EQ(shop.pay(r.json()["order_id"], 19360, "ev-" + key).status, 200);
    return r.json()["order_id"].get<std::string>();
  };
  const std::string heavier = place("s-1");
  const Terminal picker{server(), shop.staff("sd-kg2", "picker")};
  ASSERT_EQ(picker.post("/v1/stores/sd-kg2/pickers/clock-in", {{"zone", "seafood"}}).status, 200);
  auto trip = picker.post("/v1/stores/sd-kg2/pick-tasks/next").json();
  std::string task = trip["tasks"][0]["task_id"];
  const std::string label =
      server().get("/v1/stores/sd-kg2/products/SALMON-kg2").json()["shelf_code"];
  ASSERT_EQ(
      picker.post("/v1/pick-tasks/" + task + "/scan", {{"code", label}, {"grams", 1080}}).status,
      200);
  ASSERT_EQ(picker.post("/v1/pick-tasks/" + task + "/finish").status, 200);
  const Terminal app{server(), customer};
  auto order = app.get("/v1/orders/" + heavier).json();
  EXPECT_EQ(order["lines"][0]["quantity"], 1080);
  EXPECT_EQ(order["lines"][0]["lots"][0]["quantity"], 1080);
  EXPECT_EQ(order["total_minor"], 19008);  // 1,080 g at 8,800 per 500 g
  ASSERT_EQ(order["refunds"].size(), 1u) << order.dump();
  EXPECT_EQ(order["refunds"][0]["reason"], "weight_adjustment");
  EXPECT_EQ(order["refunds"][0]["amount_minor"], 19360 - 19008);
  EXPECT_EQ(shop.available("sd-kg2", "SALMON-kg2"), 1920);

  const std::string missing = place("s-2");
  trip = picker.post("/v1/stores/sd-kg2/pick-tasks/next").json();
  task = trip["tasks"][0]["task_id"];
  const auto short_whole =
      picker.post("/v1/pick-tasks/" + task + "/short", {{"sku", "SALMON-kg2"}});
  ASSERT_EQ(short_whole.status, 200) << short_whole.body;
  ASSERT_EQ(picker.post("/v1/pick-tasks/" + task + "/finish").status, 200);
  order = app.get("/v1/orders/" + missing).json();
  EXPECT_EQ(order["lines"][0]["quantity"], 0);
  EXPECT_EQ(order["lines"][0]["short_quantity"], 1000);
  EXPECT_EQ(order["refund_minor"], 19360);
  ASSERT_EQ(order["refunds"].size(), 1u);
  EXPECT_EQ(order["refunds"][0]["reason"], "short_pick");
  EXPECT_EQ(order["refunds"][0]["amount_minor"], 19360);
  // The missing grams left the count (they were not there); nothing else moved.
  EXPECT_EQ(shop.available("sd-kg2", "SALMON-kg2"), 920);
}

TEST_F(StoreDay, AShortPickIsRefundedThroughTheProviderDespiteTwoFailuresAndReconciled) {
  ProviderStub provider(2);
  ServerProcess srv(database_url(), {{"FRESHLANE_REFUND_URL", provider.url()},
                                     {"FRESHLANE_REFUND_RETRY_BASE_MS", "100"},
                                     {"FRESHLANE_BATCH_WAIT_SECONDS", "0"}});
  open_store(srv, "sd-refund");
  Shop shop{srv};
  const std::string customer = shop.customer();
  const auto placed =
      shop.order(customer, Shop::order_body("sd-refund", {{"APPLE-sd-refund", 3}}), "r-1");
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string order_id = placed.json()["order_id"];
  ASSERT_EQ(shop.pay(order_id, placed.json()["total_minor"], "ev-r-1").status, 200);

  // One apple is not on the shelf: 600 is owed back.
  const Terminal picker{srv, shop.staff("sd-refund", "picker")};
  ASSERT_EQ(picker.post("/v1/stores/sd-refund/pickers/clock-in", {{"zone", "produce"}}).status,
            200);
  const auto trip = picker.post("/v1/stores/sd-refund/pick-tasks/next");
  ASSERT_EQ(trip.status, 200) << trip.body;
  const std::string task = trip.json()["tasks"][0]["task_id"];
  ASSERT_EQ(
      picker
          .post("/v1/pick-tasks/" + task + "/short", {{"sku", "APPLE-sd-refund"}, {"quantity", 1}})
          .status,
      200);

  // It reaches the provider: two 503s, then accepted, one refund id throughout.
  const Terminal app{srv, customer};
  nlohmann::json refund;
  for (int i = 0; i < 150; ++i) {
    const auto order = app.get("/v1/orders/" + order_id).json();
    if (order["refunds"].size() == 1 && order["refunds"][0]["state"] == "requested") {
      refund = order["refunds"][0];
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(refund.is_null()) << app.get("/v1/orders/" + order_id).body << srv.log();
  EXPECT_EQ(refund["amount_minor"], 600);
  EXPECT_EQ(refund["reason"], "short_pick");
  EXPECT_EQ(refund["attempts"], 3);
  const auto calls = provider.requests();
  ASSERT_EQ(calls.size(), 3u);
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i]["answered"], i < 2 ? 503 : 200);
    EXPECT_EQ(calls[i]["idempotency_key"], refund["refund_id"]);
    const auto body = nlohmann::json::parse(calls[i]["body"].get<std::string>());
    EXPECT_EQ(body["amount_minor"], 600);
    EXPECT_EQ(body["payment_ref"], "ev-r-1");
    // Signed as the provider signs its webhooks: HMAC over "<t>.<body>".
    const std::string sig = calls[i]["signature"];
    const auto t = sig.substr(2, sig.find(',') - 2);
    EXPECT_EQ(sig, "t=" + t + ",v1=" +
                       core::to_hex(core::hmac_sha256(
                           kPaymentSecret, t + "." + calls[i]["body"].get<std::string>())));
  }

  // The provider's webhook settles it; settling again, even the other way, changes nothing.
  const auto settle = [&](const std::string& event, const std::string& status = "succeeded") {
    const std::string body = nlohmann::json{
        {"event_id", event},
        {"refund_id", refund["refund_id"]},
        {"status", status}}.dump();
    const long long now = core::system_now().time_since_epoch().count();
    return srv.send("POST", "/v1/payments/webhook", body,
                    {{"X-Freshlane-Signature", Shop::signature(body, now)}});
  };
  ASSERT_EQ(settle("rev-1").status, 200);
  ASSERT_EQ(settle("rev-1").status, 200);
  ASSERT_EQ(settle("rev-late", "failed").status, 200);
  EXPECT_EQ(app.get("/v1/orders/" + order_id).json()["refunds"][0]["state"], "refunded");
  const Terminal manager{srv, shop.staff("sd-refund", "manager")};
  const auto refunded = manager.get("/v1/stores/sd-refund/refunds?state=refunded");
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  ASSERT_EQ(refunded.json()["items"].size(), 1u);
  EXPECT_EQ(refunded.json()["items"][0]["refund_id"], refund["refund_id"]);
  EXPECT_TRUE(is_problem(picker.get("/v1/stores/sd-refund/refunds"), 403, "forbidden"));
  const std::string unknown = nlohmann::json{
      {"event_id", "rev-2"},
      {"refund_id", "rf_nope"},
      {"status", "succeeded"}}.dump();
  EXPECT_TRUE(is_problem(
      srv.send("POST", "/v1/payments/webhook", unknown,
               {{"X-Freshlane-Signature",
                 Shop::signature(unknown, core::system_now().time_since_epoch().count())}}),
      404, "not_found"));

  // A paid order cancelled (by the store, for its customer) owes its whole amount back.
  const auto second =
      shop.order(customer, Shop::order_body("sd-refund", {{"APPLE-sd-refund", 2}}), "r-2");
  ASSERT_EQ(second.status, 201);
  const std::string second_id = second.json()["order_id"];
  ASSERT_EQ(shop.pay(second_id, second.json()["total_minor"], "ev-r-2").status, 200);
  ASSERT_EQ(manager.post("/v1/orders/" + second_id + "/cancel", {{"reason", "out of bags"}}).status,
            200);
  const auto owed = app.get("/v1/orders/" + second_id).json()["refunds"];
  ASSERT_EQ(owed.size(), 1u);
  EXPECT_EQ(owed[0]["reason"], "cancelled_after_payment");
  EXPECT_EQ(owed[0]["amount_minor"], 1200);
  EXPECT_EQ(srv.stop(), 0);
}

TEST_F(StoreDay, AnInStoreReceiptOpensTheExitOnce) {
  open_store(server(), "sd-exit");
  Shop shop{server()};
  const std::string customer = shop.customer();
  const auto r =
      shop.order(customer, Shop::order_body("sd-exit", {{"APPLE-sd-exit", 2}}, "in_store"), "x-1");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string order_id = r.json()["order_id"];
  const Terminal app{server(), customer};
  EXPECT_TRUE(
      is_problem(app.get("/v1/orders/" + order_id + "/receipt"), 409, "invalid_transition"));
  ASSERT_EQ(shop.pay(order_id, r.json()["total_minor"], "ev-x-1").status, 200);
  const auto receipt = app.get("/v1/orders/" + order_id + "/receipt");
  ASSERT_EQ(receipt.status, 200) << receipt.body;
  EXPECT_EQ(receipt.json()["total_minor"], 1200);
  EXPECT_EQ(receipt.json()["lines"][0]["quantity"], 2);
  const std::string code = receipt.json()["exit_code"];
  // An in-store order's tracking has its own two steps: paid, then completed.
  const auto tracking = app.get("/v1/orders/" + order_id + "/tracking").json();
  EXPECT_EQ(tracking["timeline"].size(), 2u) << tracking.dump();
  EXPECT_TRUE(step(tracking, "completed").is_string());

  const Terminal exit{server(), shop.staff("sd-exit", "packer")};
  const auto checked = exit.post("/v1/stores/sd-exit/exit-check", {{"code", code}});
  ASSERT_EQ(checked.status, 200) << checked.body;
  EXPECT_EQ(checked.json()["order_id"], order_id);
  EXPECT_TRUE(is_problem(exit.post("/v1/stores/sd-exit/exit-check", {{"code", code}}), 409,
                         "conflict"));  // a receipt opens the gate once
  std::string forged = code;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_TRUE(is_problem(exit.post("/v1/stores/sd-exit/exit-check", {{"code", forged}}), 404,
                         "unknown_code"));
  EXPECT_TRUE(is_problem(exit.post("/v1/stores/sd-exit/exit-check", {{"code", "hello"}}), 400,
                         "invalid_code"));
  EXPECT_TRUE(
      is_problem(Terminal(server(), shop.customer()).get("/v1/orders/" + order_id + "/receipt"),
                 404, "not_found"));
}

// ---- 7. Couriers ----------------------------------------------------------------------------

TEST_F(StoreDay, ATripStopCarriesTheCustomersNameMaskedPhoneNotesAndBags) {
  open_store(server(), "sd-trip");
  Shop shop{server()};
  const Terminal courier{server(), shop.courier_on_shift("sd-trip")};
  const std::string customer = shop.customer();
  auto body = Shop::order_body("sd-trip", {{"APPLE-sd-trip", 2}}, "delivery");
  body["delivery"]["notes"] = "ring twice; the dog is friendly";
  const auto r = shop.order(customer, body, "t-1");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["delivery"]["notes"], "ring twice; the dog is friendly");
  const std::string order_id = r.json()["order_id"];
  ASSERT_EQ(shop.pay(order_id, r.json()["total_minor"], "ev-t-1").status, 200);
  pick_and_pack(server(), "sd-trip", order_id);
  dispatch_now(server(), "sd-trip");
  const auto trip = courier.get("/v1/couriers/me/trip");
  ASSERT_EQ(trip.status, 200) << trip.body;
  const auto stop = trip.json()["stops"][0];
  EXPECT_EQ(stop["order_id"], order_id);
  EXPECT_EQ(stop["customer"]["name"], "顾客");
  const std::string masked = stop["customer"]["phone_masked"];
  EXPECT_NE(masked.find('*'), std::string::npos);
  EXPECT_EQ(stop["notes"], "ring twice; the dog is friendly");
  EXPECT_EQ(stop["bags"], 1);
}

// ---- The demo -------------------------------------------------------------------------------

// The quick start's demo shows a store's morning: weighed seafood, charged for its weight, and
// the refund of the rest. scripts/demo runs scripts/demo-day.mjs against the demo it seeded;
// here the same script runs against a freshly seeded database, twice (the second run finds the
// order and changes nothing).
TEST(DemoDay, TheDemoShowsWeighedSeafoodAndARefund) {
  TestDatabase db;
  migrate_database(db.url());
  testing::drop_store_id_fillers(db.url());  // the seed and the day name every row's store
  std::string out;
  ASSERT_EQ(run_freshlane({"seed-demo"},
                          {{"FRESHLANE_DATABASE_URL", db.url()},
                           {"FRESHLANE_ADMIN_TOKEN", kAdminToken},
                           {"FRESHLANE_QR_SECRET", kQrSecret}},
                          &out),
            0)
      << out;
  ServerProcess srv(db.url(), {{"FRESHLANE_PAYMENT_WEBHOOK_SECRET", kPaymentSecret}});
  // Runs a node script of scripts/ against this server; its exit code, what it printed.
  const auto node = [&](const std::string& script, const std::string& env, std::string* printed) {
    const std::string command = "FRESHLANE_URL=http://127.0.0.1:" + std::to_string(srv.port()) +
                                " FRESHLANE_ADMIN_TOKEN=" + kAdminToken + " " + env + " node " +
                                FRESHLANE_SOURCE_DIR + "/scripts/" + script + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return -1;
    char buf[4096];
    printed->clear();
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) printed->append(buf, n);
    const int status = ::pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  const auto walk = [&](std::string* printed) {
    return node("demo-day.mjs", std::string("FRESHLANE_PAYMENT_WEBHOOK_SECRET=") + kPaymentSecret,
                printed);
  };

  std::string first, second;
  ASSERT_EQ(walk(&first), 0) << first;
  EXPECT_NE(first.find("the scale says 1420 g"), std::string::npos) << first;
  // Her recommendations know the crab she just paid for (issue 18).
  EXPECT_NE(first.find("recommended for 陈静"), std::string::npos) << first;
  EXPECT_NE(first.find("bought once; last bought today"), std::string::npos) << first;
  ASSERT_EQ(walk(&second), 0) << second;
  EXPECT_EQ(second.find("the scale says"), std::string::npos) << second;  // nothing done again

  const auto refunds = srv.admin("GET", "/v1/stores/sh-jinqiao/refunds", "");
  ASSERT_EQ(refunds.status, 200) << refunds.body;
  const auto items = refunds.json()["items"];
  ASSERT_EQ(items.size(), 1u) << refunds.body;
  EXPECT_EQ(items[0]["reason"], "weight_adjustment");
  const auto order = srv.admin("GET", "/v1/orders/" + items[0]["order_id"].get<std::string>(), "");
  ASSERT_EQ(order.status, 200) << order.body;
  const auto line = order.json()["lines"][0];
  EXPECT_EQ(line["sku"], "KINGCRAB-M");
  EXPECT_EQ(line["weight"]["ordered_grams"], 1500);
  EXPECT_EQ(line["weight"]["weighed_grams"], 1420);
  EXPECT_EQ(order.json()["payment"]["amount_minor"].get<long long>() -
                order.json()["refund_minor"].get<long long>(),
            order.json()["total_minor"].get<long long>());
  EXPECT_EQ(items[0]["amount_minor"], order.json()["refund_minor"]);
  EXPECT_NE(second.find(items[0]["refund_id"].get<std::string>()), std::string::npos) << second;
  // The seed's lots with their trace, its history, the day's order, its payment and its pick
  // task: every child row written without the fill-in triggers, naming its parent's store.
  for (const auto& child : testing::child_rows(db.url())) {
    EXPECT_EQ(child.off_their_store, 0) << child.table;
    if (child.table != "trip_stops") EXPECT_GT(child.rows, 0) << child.table;
  }

  // The staff terminal's URL and four tokens to try it with, made once and then reused.
  const std::string file = "/tmp/freshlane-demo-staff-" + std::to_string(::getpid()) + ".json";
  std::remove(file.c_str());
  const auto staff = [&](std::string* printed) {
    return node("demo-staff.mjs", "FRESHLANE_STAFF_FILE=" + file, printed);
  };

  std::string tokens_first, tokens_second;
  ASSERT_EQ(staff(&tokens_first), 0) << tokens_first;
  EXPECT_NE(tokens_first.find("/staff/"), std::string::npos) << tokens_first;
  ASSERT_EQ(staff(&tokens_second), 0) << tokens_second;
  EXPECT_EQ(tokens_first, tokens_second);  // the same people, not four more
  for (const std::string job : {"manager", "picker", "packer", "courier"}) {
    const std::regex line("  " + job + " +(\\S+)");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(tokens_first, m, line)) << job << ": " << tokens_first;
    const auto me = srv.send("GET", "/v1/me", "", {{"Authorization", "Bearer " + m[1].str()}});
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(me.json()["store_id"], "sh-jinqiao");
    EXPECT_EQ(job == "courier" ? me.json()["role"] : me.json()["job"], job);
    if (job != "manager") continue;
    // Eight weeks of sales came with the demo: the manager's forecast and order suggestion for
    // the king crab have a history to stand on, and each number says where it came from.
    const Header as_manager{"Authorization", "Bearer " + m[1].str()};
    const auto forecast =
        srv.send("GET", "/v1/stores/sh-jinqiao/forecast?sku=KINGCRAB-M", "", {as_manager});
    ASSERT_EQ(forecast.status, 200) << forecast.body;
    const auto crab = forecast.json()["items"].at(0);
    EXPECT_GE(crab["backtest"]["origins"].get<int>(), 1) << crab.dump();
    EXPECT_GT(crab["sold_in_history"].get<double>(), 0) << crab.dump();
    EXPECT_NE(tokens_first.find("forecast"), std::string::npos) << tokens_first;
    const auto order =
        srv.send("GET", "/v1/stores/sh-jinqiao/replenishment?sku=KINGCRAB-M", "", {as_manager});
    ASSERT_EQ(order.status, 200) << order.body;
    EXPECT_FALSE(order.json()["items"].at(0)["reasoning"].empty()) << order.body;
  }
  std::remove(file.c_str());
}

}  // namespace
}  // namespace freshlane::testing
