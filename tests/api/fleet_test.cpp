// Three `freshlane serve` processes on one PostgreSQL, every request to the next process in
// turn, one process killed with SIGKILL in the middle of the store's work: the store still
// ends its day right. Every paid order is handed over exactly once, every bag finished once,
// every lot's units consumed once (short picks included), no lane ever over capacity, no
// order on two trips, and no 500. Then the same through pgbouncer in transaction mode.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "api/fleet_fixture.hpp"
#include "support/pgbouncer.hpp"

using namespace freshlane::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kStore = "fl";
const std::vector<std::string> kProduce{"FL-P1", "FL-P2", "FL-SHORT"};
const std::vector<std::string> kSeafood{"FL-S1", "FL-S2"};
constexpr int kOrders = 16;

std::map<std::string, std::string> fleet_env() {
  return {{"FRESHLANE_FLOOR_TICK_MS", "500"},
          {"FRESHLANE_DISPATCH_INTERVAL_MS", "500"},
          // A lone packed order would wait up to four minutes for a companion: this day is two.
          {"FRESHLANE_BATCH_WAIT_SECONDS", "0"},
          {"FRESHLANE_SWEEP_INTERVAL_MS", "1000"},
          {"FRESHLANE_DB_POOL_SIZE", "4"}};
}

class StoreDay {
 public:
  StoreDay(Fleet& fleet, const std::string& db_url) : fleet_(fleet), db_(db_url) {}

  // The store, its floor, stock, staff, and kOrders paid orders, all through the fleet.
  void open() {
    Shop shop{fleet_.server(0)};
    // A long promise: this day is about getting every order right, not about admission.
    const auto store = fleet_.server(0).admin("POST", "/v1/stores",
                                              nlohmann::json{{"store_id", kStore},
                                                             {"name", kStore},
                                                             {"lat", 31.2536},
                                                             {"lon", 121.5907},
                                                             {"promise_minutes", 120}}
                                                  .dump());
    ASSERT_EQ(store.status, 201) << store.body;
    auto layout = fleet_.server(0).admin("PUT", std::string("/v1/stores/") + kStore + "/layout",
                                         nlohmann::json{{"zones", {"produce", "seafood"}},
                                                        {"lanes",
                                                         {{{"lane_id", "L1"},
                                                           {"capacity", 2},
                                                           {"transit_seconds", 2},
                                                           {"zones", {"produce", "seafood"}}},
                                                          {{"lane_id", "L2"},
                                                           {"capacity", 1},
                                                           {"transit_seconds", 3},
                                                           {"zones", {"produce"}}}}},
                                                        {"max_bags_per_trip", 2},
                                                        {"picker_timeout_seconds", 120}}
                                             .dump());
    ASSERT_EQ(layout.status, 200) << layout.body;
    for (const auto& sku : kProduce) {
      shop.stock(kStore, sku, 12, 500, 48, "produce");
      shop.stock(kStore, sku, 12, 500, 96, "produce");  // a second lot, expiring later
    }
    for (const auto& sku : kSeafood) {
      shop.stock(kStore, sku, 12, 2000, 48, "seafood");
      shop.stock(kStore, sku, 12, 2000, 96, "seafood");
    }
    for (const auto& sku : kProduce) shelf_codes_[sku] = shelf_code(sku);
    for (const auto& sku : kSeafood) shelf_codes_[sku] = shelf_code(sku);
    for (int i = 0; i < 2; ++i) {
      pickers_.push_back({shop.staff(kStore, "picker"), "produce"});
      pickers_.push_back({shop.staff(kStore, "picker"), "seafood"});
      packers_.push_back(shop.staff(kStore, "packer"));
    }
    for (int i = 0; i < 3; ++i) couriers_.push_back(shop.courier_on_shift(kStore));
    // The first produce picker is on shift before any order: a store with nobody to pick
    // admits no delivery order (their work loop clocks in again, which changes nothing).
    ASSERT_EQ(fleet_
                  .send("POST", std::string("/v1/stores/") + kStore + "/pickers/clock-in",
                        nlohmann::json{{"zone", "produce"}}.dump(), {bearer(pickers_[0].token)})
                  .status,
              200);

    std::mt19937 rng(12);
    for (int i = 0; i < kOrders; ++i) {
      const std::string token = shop.customer();
      std::vector<std::pair<std::string, int>> lines;
      std::set<std::string> used;
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int l = 0; l < n; ++l) {
        const auto& pool = (rng() % 2) ? kProduce : kSeafood;
        const auto& sku = pool[rng() % pool.size()];
        if (used.insert(sku).second) lines.emplace_back(sku, 1 + static_cast<int>(rng() % 2));
      }
      const bool delivery = i % 2 == 0;
      const auto body = Shop::order_body(kStore, lines, delivery ? "delivery" : "pickup");
      const std::string key = "fleet-" + std::to_string(i);
      HttpResponse r =
          fleet_.send("POST", "/v1/orders", body.dump(), {bearer(token), {"Idempotency-Key", key}});
      ASSERT_EQ(r.status, 201) << r.body;
      const auto order = r.json();
      const std::string id = order["order_id"];
      codes_[id] = order["handover_code"];
      if (!delivery) pickup_.push_back(id);
      const std::string paid = nlohmann::json{
          {"event_id", "ev-" + id},
          {"order_id", id},
          {"status", "succeeded"},
          {"amount_minor",
           order["total_minor"]}}.dump();
      const long long now = freshlane::core::system_now().time_since_epoch().count();
      r = fleet_.send("POST", "/v1/payments/webhook", paid,
                      {{"X-Freshlane-Signature", Shop::signature(paid, now)}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }

  // Pickers, packers and couriers work until every order is handed over (or `limit` passes);
  // `midway` runs once, a few seconds in.
  bool work(std::chrono::seconds limit, const std::function<void()>& midway) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> staff;
    for (const auto& [token, zone] : pickers_) {
      staff.emplace_back([&, token = token, zone = zone] { pick(token, zone, stop); });
    }
    for (const auto& token : packers_) staff.emplace_back([&, token] { pack(token, stop); });
    for (const auto& token : couriers_) staff.emplace_back([&, token] { deliver(token, stop); });
    const auto start = std::chrono::steady_clock::now();
    bool done = false, midway_done = false;
    while (!done && std::chrono::steady_clock::now() - start < limit) {
      std::this_thread::sleep_for(250ms);
      if (!midway_done && std::chrono::steady_clock::now() - start > 4s) {
        midway();
        midway_done = true;
      }
      done = midway_done && db_number(db_,
                                      "SELECT count(*) FROM orders WHERE status IN ('delivered', "
                                      "'collected')") == kOrders;
    }
    stop = true;
    for (auto& t : staff) t.join();
    return done;
  }

  // What must hold after the day, read from the database itself.
  void check_the_books() {
    auto q = [&](const std::string& sql) { return db_number(db_, sql); };
    // Every paid order handed over exactly once.
    EXPECT_EQ(q("SELECT count(*) FROM orders WHERE status = 'delivered' AND fulfillment = "
                "'delivery' AND handed_over_at IS NOT NULL"),
              kOrders / 2);
    EXPECT_EQ(q("SELECT count(*) FROM orders WHERE status = 'collected' AND fulfillment = "
                "'pickup' AND handed_over_at IS NOT NULL"),
              kOrders / 2);
    EXPECT_EQ(q("SELECT count(*) FROM (SELECT order_id FROM delivery_events WHERE kind = "
                "'delivered' GROUP BY order_id HAVING count(*) <> 1) x"),
              0);
    EXPECT_EQ(q("SELECT count(*) FROM delivery_events WHERE kind = 'delivered'"), kOrders / 2);
    // No order ever on two trips: one delivered stop each, nothing left live.
    EXPECT_EQ(q("SELECT count(*) FROM trip_stops WHERE state = 'delivered'"), kOrders / 2);
    EXPECT_EQ(q("SELECT count(*) FROM trip_stops WHERE state IN ('planned', 'picked_up')"), 0);
    // Every bag finished once, loaded at most once, arrived once; every task packed.
    EXPECT_EQ(q("SELECT count(*) FROM pick_tasks WHERE state <> 'packed'"), 0);
    EXPECT_EQ(q("SELECT count(*) FROM pick_tasks t WHERE (SELECT count(*) FROM pick_events e "
                "WHERE e.task_id = t.task_id AND e.kind = 'bag_finished') <> 1"),
              0);
    EXPECT_EQ(q("SELECT count(*) FROM pick_tasks t WHERE (SELECT count(*) FROM pick_events e "
                "WHERE e.task_id = t.task_id AND e.kind = 'bag_arrived') <> 1"),
              0);
    EXPECT_EQ(q("SELECT count(*) FROM pick_tasks t WHERE (SELECT count(*) FROM pick_events e "
                "WHERE e.task_id = t.task_id AND e.kind = 'bag_loaded') > 1"),
              0);
    EXPECT_EQ(q("SELECT count(*) FROM (SELECT order_id FROM pick_events WHERE kind = "
                "'order_packed' GROUP BY order_id HAVING count(*) <> 1) x"),
              0);
    // Stock: nothing left reserved; per SKU, what left the shelves is what was ordered
    // (picked plus written off short), each unit once; per lot, at least what it gave.
    EXPECT_EQ(q("SELECT COALESCE(sum(quantity_reserved), 0) FROM lots"), 0);
    EXPECT_EQ(q("SELECT count(*) FROM (SELECT l.sku, sum(l.quantity_received - "
                "l.quantity_on_hand) AS gone FROM lots l GROUP BY l.sku) g "
                "LEFT JOIN (SELECT sku, sum(quantity + short_quantity) AS ordered FROM "
                "order_lines GROUP BY sku) o ON o.sku = g.sku "
                "WHERE g.gone <> COALESCE(o.ordered, 0)"),
              0);
    EXPECT_EQ(q("SELECT count(*) FROM lots l WHERE l.quantity_received - l.quantity_on_hand < "
                "(SELECT COALESCE(sum(quantity), 0) FROM order_line_lots x WHERE x.lot_id = "
                "l.lot_id)"),
              0);
    EXPECT_GT(q("SELECT sum(short_quantity) FROM order_lines"), 0);  // shorts were reported
    // The books agree with what pickers did: units in bags = units picked.
    EXPECT_EQ(q("SELECT sum(picked) FROM pick_task_lines"),
              q("SELECT sum(quantity) FROM order_lines"));
    // Lanes: replaying every load and arrival, no lane ever carried more than its capacity.
    EXPECT_EQ(q("WITH moves AS ("
                "  SELECT lane_id, at, 1 AS delta, 1 AS ord FROM pick_events WHERE kind = "
                "'bag_loaded' UNION ALL "
                "  SELECT l.lane_id, a.at, -1, 0 FROM pick_events a JOIN pick_events l ON "
                "l.task_id = a.task_id AND l.kind = 'bag_loaded' WHERE a.kind = 'bag_arrived'), "
                "running AS (SELECT lane_id, sum(delta) OVER (PARTITION BY lane_id ORDER BY at, "
                "ord ROWS UNBOUNDED PRECEDING) AS carried FROM moves) "
                "SELECT count(*) FROM running r JOIN conveyor_lanes c ON c.lane_id = r.lane_id "
                "AND c.store_id = 'fl' WHERE r.carried > c.capacity"),
              0);
    // The floor's clock kept running with a process gone: every bag arrived within 10 s of
    // its time (another process took the store's clock over).
    EXPECT_LE(q("SELECT COALESCE(max(extract(epoch FROM recorded_at - at)), 0)::bigint FROM "
                "pick_events WHERE kind = 'bag_arrived'"),
              10);
    EXPECT_TRUE(fleet_.failures().empty()) << fleet_.failures().front();
  }

 private:
  struct Picker {
    std::string token, zone;
  };

  std::string shelf_code(const std::string& sku) {
    return fleet_.get(std::string("/v1/stores/") + kStore + "/products/" + sku)
        .json()["shelf_code"];
  }
  HttpResponse post(const std::string& token, const std::string& path,
                    const nlohmann::json& body = nlohmann::json::object()) {
    return fleet_.send("POST", path, body.dump(), {bearer(token)});
  }

  void pick(const std::string& token, const std::string& zone, std::atomic<bool>& stop) {
    const std::string store = std::string("/v1/stores/") + kStore;
    bool on_shift = false;
    while (!stop) {
      if (!on_shift) {
        on_shift = post(token, store + "/pickers/clock-in", {{"zone", zone}}).status == 200;
        continue;
      }
      const auto next = post(token, store + "/pick-tasks/next");
      if (next.status == 409) on_shift = false;  // timed out meanwhile: clock in again
      if (next.status != 200) {
        std::this_thread::sleep_for(150ms);
        continue;
      }
      const auto trip = next.json();
      for (auto task : trip["tasks"]) {
        const std::string path = "/v1/pick-tasks/" + std::string(task["task_id"]);
        for (int step = 0; step < 20 && !stop; ++step) {
          std::optional<nlohmann::json> todo;
          for (const auto& line : task["lines"]) {
            if (line["remaining"].get<int>() > 0) todo = line;
          }
          if (!todo) break;
          const std::string sku = (*todo)["sku"];
          // One unit of every line of FL-SHORT is missing on the shelf.
          const auto r = sku == "FL-SHORT" && (*todo)["missing"].get<int>() == 0
                             ? post(token, path + "/short", {{"sku", sku}, {"quantity", 1}})
                             : post(token, path + "/scan", {{"code", shelf_codes_.at(sku)}});
          if (r.status == 200) {
            task = r.json();
            continue;
          }
          const auto now = fleet_.get(path, {bearer(token)});  // what the floor says now
          if (now.status != 200 || now.json()["state"] != "assigned") break;
          task = now.json();
        }
        post(token, path + "/finish");
      }
    }
  }

  void pack(const std::string& token, std::atomic<bool>& stop) {
    const std::string store = std::string("/v1/stores/") + kStore;
    while (!stop) {
      const auto board = fleet_.get(store + "/packing", {bearer(token)});
      if (board.status == 200) {
        const auto queue = board.json();
        for (const auto& item : queue["ready"]) {
          post(token, "/v1/orders/" + std::string(item["order_id"]) + "/pack");
        }
      }
      for (const auto& id : pickup_) {
        const auto o = fleet_.get("/v1/orders/" + id, {bearer(token)});
        if (o.status == 200 && o.json()["status"] == "ready_for_pickup") {
          post(token, "/v1/orders/" + id + "/handover", {{"code", codes_.at(id)}});
        }
      }
      std::this_thread::sleep_for(200ms);
    }
  }

  void deliver(const std::string& token, std::atomic<bool>& stop) {
    while (!stop) {
      const auto trip = fleet_.get("/v1/couriers/me/trip", {bearer(token)});
      if (trip.status != 200) {
        std::this_thread::sleep_for(200ms);
        continue;
      }
      const auto stops = trip.json()["stops"];
      for (const auto& s : stops) {
        const std::string id = s["order_id"];
        if (s["state"] == "planned") post(token, "/v1/orders/" + id + "/pickup");
      }
      for (const auto& s : stops) {
        const std::string id = s["order_id"];
        if (s["state"] != "delivered") {
          post(token, "/v1/orders/" + id + "/deliver", {{"code", codes_.at(id)}});
        }
      }
    }
  }

  Fleet& fleet_;
  std::string db_;
  std::map<std::string, std::string> shelf_codes_;
  std::vector<Picker> pickers_;
  std::vector<std::string> packers_, couriers_;
  std::map<std::string, std::string> codes_;
  std::vector<std::string> pickup_;
};

void run_the_day(const std::string& serve_url, const std::string& check_url,
                 std::map<std::string, std::string> env) {
  Fleet fleet(serve_url, 3, std::move(env));
  StoreDay day(fleet, check_url);
  day.open();
  if (::testing::Test::HasFatalFailure()) return;
  const bool done = day.work(120s, [&] { fleet.kill(1); });
  if (!done) {  // where the day stopped
    pqxx::connection c(check_url);
    pqxx::nontransaction tx(c);
    for (const char* sql :
         {"SELECT 'task ' || state || ' ' || count(*) FROM pick_tasks GROUP BY state",
          "SELECT 'order ' || status || ' ' || count(*) FROM orders GROUP BY status",
          "SELECT 'event ' || kind || ' ' || count(*) FROM pick_events GROUP BY kind"}) {
      for (const auto& row : tx.exec(sql)) std::printf("  %s\n", row[0].c_str());
    }
  }
  EXPECT_TRUE(done) << "not every order was handed over within 120 s: "
                    << db_number(check_url,
                                 "SELECT count(*) FROM orders WHERE status NOT IN ('delivered', "
                                 "'collected')")
                    << " left";
  day.check_the_books();
  int total = 0;
  for (const auto& [status, n] : fleet.statuses()) total += n;
  std::printf("fleet: %d answers (", total);
  for (const auto& [status, n] : fleet.statuses()) std::printf(" %d×%d", n, status);
  std::printf(" ), %d requests unanswered by the killed process\n", fleet.unanswered());
}

}  // namespace

TEST(Fleet, ThreeServersOneKilledTheStoreStillEndsItsDayRight) {
  TestDatabase db;
  migrate_database(db.url());
  run_the_day(db.url(), db.url(), fleet_env());
}

TEST(Fleet, TheSameThroughPgbouncerInTransactionMode) {
  TestDatabase db;
  migrate_database(db.url());  // migrations talk to PostgreSQL itself (a session lock)
  Pgbouncer pooler(db.url());
  auto env = fleet_env();
  env["FRESHLANE_DB_PREPARE"] = "0";
  run_the_day(pooler.url(db.url()), db.url(), env);
}
