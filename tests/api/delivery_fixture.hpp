#pragma once
// Delivery tests' shared setup: a store with a fast floor, paid delivery orders, picking and
// packing them through the staff endpoints, and dispatch rounds on demand.
#include <thread>

#include "api/shop_fixture.hpp"

namespace freshlane::testing {

inline const nlohmann::json kZones = {"seafood", "produce", "chilled",
                                      "frozen",  "ambient", "bakery"};
// The store of Shop::store and a door ~440 m away (Shop::order_body's delivery address).
inline constexpr double kStoreLat = 31.2536, kStoreLon = 121.5907;
inline constexpr double kDoorLat = 31.2550, kDoorLon = 121.5950;

inline nlohmann::json fast_layout() {
  return {
      {"zones", kZones},
      {"lanes", {{{"lane_id", "L1"}, {"capacity", 8}, {"transit_seconds", 1}, {"zones", kZones}}}},
      {"pick_deadline_seconds", 600}};
}

inline std::string quote_path(const std::string& store, double lat, double lon) {
  return "/v1/delivery/quote?store_id=" + store + "&lat=" + std::to_string(lat) +
         "&lon=" + std::to_string(lon);
}

// The `at` of one step of a tracking answer's timeline.
inline nlohmann::json step(const nlohmann::json& tracking, const std::string& name) {
  for (const auto& s : tracking["timeline"]) {
    if (s["step"] == name) return s["at"];
  }
  return "missing";
}

// The servers of these tests: a round plans a packed order at once instead of holding it a
// while for another heading its way (FRESHLANE_BATCH_WAIT_SECONDS): the tests follow one order.
inline const std::map<std::string, std::string> kPlanAtOnce{{"FRESHLANE_BATCH_WAIT_SECONDS", "0"}};

class DeliveryTest : public ApiTest {
 protected:
  static void SetUpTestSuite() { start_suite(kPlanAtOnce); }

  // A store with the fast layout, SKU `APPLE-<id>` in produce, and a picker on shift there.
  static void open_store(const ServerProcess& srv, const std::string& id,
                         int promise_minutes = 30) {
    Shop s{srv};
    s.store(id, kStoreLat, kStoreLon, promise_minutes);
    ASSERT_EQ(srv.admin("PUT", "/v1/stores/" + id + "/layout", fast_layout().dump()).status, 200);
    s.stock(id, "APPLE-" + id, 100, 600, 72, "produce");
    s.picker_on_shift(id);
  }

  // A paid delivery order of 2 apples to (lat, lon): (order id, customer token, hand-over code).
  static std::tuple<std::string, std::string, std::string> paid_delivery(const ServerProcess& srv,
                                                                         const std::string& store,
                                                                         double lat = kDoorLat,
                                                                         double lon = kDoorLon) {
    Shop s{srv};
    const std::string customer = s.customer();
    auto body = Shop::order_body(store, {{"APPLE-" + store, 2}}, "delivery");
    body["delivery"]["lat"] = lat;
    body["delivery"]["lon"] = lon;
    const auto r = s.order(customer, body, "k-" + std::to_string(++n_));
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string id = r.json()["order_id"];
    EXPECT_EQ(s.pay(id, r.json()["total_minor"], "ev-" + id).status, 200);
    const auto order = srv.get("/v1/orders/" + id, {bearer(customer)}).json();
    return {id, customer, order["handover_code"]};
  }

  // Picks, lets the bag ride and packs the order: a delivery order is then `packed`, waiting for
  // a courier; a pickup order `ready_for_pickup` at the counter.
  static void pick_and_pack(const ServerProcess& srv, const std::string& store,
                            const std::string& order_id) {
    Shop s{srv};
    const Terminal picker{srv, s.staff(store, "picker")};
    const Terminal packer{srv, s.staff(store, "packer")};
    ASSERT_EQ(
        picker.post("/v1/stores/" + store + "/pickers/clock-in", {{"zone", "produce"}}).status,
        200);
    const auto trip = picker.post("/v1/stores/" + store + "/pick-tasks/next");
    ASSERT_EQ(trip.status, 200) << trip.body;
    std::string task;  // the order's own bag (the trip may carry others too)
    const auto tasks = trip.json()["tasks"];
    for (const auto& t : tasks) {
      if (t["order_id"] == order_id) task = t["task_id"];
    }
    ASSERT_FALSE(task.empty()) << trip.body;
    const std::string shelf =
        srv.get("/v1/stores/" + store + "/products/APPLE-" + store).json()["shelf_code"];
    ASSERT_EQ(
        picker.post("/v1/pick-tasks/" + task + "/scan", {{"code", shelf}, {"quantity", 2}}).status,
        200);
    ASSERT_EQ(picker.post("/v1/pick-tasks/" + task + "/finish").status, 200);
    ASSERT_EQ(picker.post("/v1/stores/" + store + "/pickers/clock-out").status, 200);
    for (int i = 0; i < 50; ++i) {  // the bag rides 1 s
      const auto r = packer.post("/v1/orders/" + order_id + "/pack");
      if (r.status == 200) {
        EXPECT_TRUE(r.json()["status"] == "packed" || r.json()["status"] == "ready_for_pickup")
            << r.body;
        return;
      }
      ASSERT_TRUE(is_problem(r, 409, "not_ready_to_pack")) << r.body;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "order " << order_id << " never became ready to pack";
  }

  // Runs a dispatch round now, as a manager would.
  static nlohmann::json dispatch_now(const ServerProcess& srv, const std::string& store) {
    const auto r = srv.admin("POST", "/v1/stores/" + store + "/dispatch", "{}");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  inline static int n_ = 0;
};

}  // namespace freshlane::testing
