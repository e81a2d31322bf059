// Fresh without waste through HTTP against a real PostgreSQL (issue 17): lots are marked down
// by policy on schedule, and the catalog, the aisle scan, the order's charge and the shelf
// labels' feed all say the same price; a lot's price never rises; lots past their sell-by are
// written off by the store's round (in whichever process claims it), damaged units by staff;
// the waste report adds up.
#include <pqxx/pqxx>
#include <thread>

#include "api/api_fixture.hpp"
#include "api/shop_fixture.hpp"

namespace freshlane::testing {
namespace {

using namespace std::chrono_literals;

class Fresh : public ApiTest {
 protected:
  // The round runs when a test asks (the store's job is off): FreshByTheClock has it on.
  static void SetUpTestSuite() { start_suite({{"FRESHLANE_MARKDOWN_INTERVAL_MS", "0"}}); }

  // A lot of `sku` received now, expiring `expires_in` from now, that cost `cost` a unit.
  static nlohmann::json receive(const std::string& store, const std::string& sku, int quantity,
                                std::chrono::seconds expires_in, int cost) {
    const auto r = server().admin(
        "POST", "/v1/stores/" + store + "/lots",
        nlohmann::json{{"sku", sku},
                       {"quantity", quantity},
                       {"origin", "Zhoushan"},
                       {"unit_cost_minor", cost},
                       {"produced_at", hours_from_now(-2)},
                       {"expires_at", core::format_rfc3339(core::system_now() + expires_in)}}
            .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
  // `sku` listed at `store` at `price`, in `category` (what the markdown policies are scoped by).
  static void listed(Shop& shop, const std::string& store, const std::string& sku, int price,
                     const std::string& category, const std::string& zone = "produce") {
    shop.stock(store, sku, 0, price, 72, zone);
    const auto r = server().admin("PATCH", "/v1/products/" + sku,
                                  nlohmann::json{{"category", category}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  static void policy(const std::string& scope, const nlohmann::json& body) {
    const auto r = server().admin("PUT", "/v1/markdown-policies/" + scope, body.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  static nlohmann::json run(const std::string& store, const std::string& manager) {
    const auto r =
        server().send("POST", "/v1/stores/" + store + "/markdowns/run", "", {bearer(manager)});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  static nlohmann::json lot_in_preview(const std::string& store, const std::string& manager,
                                       const std::string& lot_id) {
    const auto r = server().get("/v1/stores/" + store + "/markdowns", {bearer(manager)});
    EXPECT_EQ(r.status, 200) << r.body;
    const auto body = r.json();  // kept: a loop over a temporary's member would dangle
    for (const auto& l : body["lots"]) {
      if (l["lot_id"] == lot_id) return l;
    }
    return nullptr;
  }
  // The labels' feed from `since`, once it holds `count` changes (a change is handed out once
  // every transaction that began before it has ended: milliseconds, longer on a busy machine).
  static nlohmann::json labels(const std::string& store, const std::string& manager,
                               long long since, size_t count) {
    nlohmann::json feed;
    for (int i = 0; i < 100; ++i) {
      feed = server()
                 .get("/v1/stores/" + store + "/labels?since=" + std::to_string(since),
                      {bearer(manager)})
                 .json();
      if (feed["changes"].size() >= count) break;
      std::this_thread::sleep_for(50ms);
    }
    return feed;
  }
  static long long scan_price(const std::string& code) {
    const auto r = server().get("/v1/scan/" + code);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["price_minor"];
  }
};

const nlohmann::json kSteps{{"steps",
                             {{{"hours_before", 72}, {"percent_off", 10}},
                              {{"hours_before", 24}, {"percent_off", 30}},
                              {{"hours_before", 4}, {"percent_off", 50}}}},
                            {"floor_percent_of_cost", 100}};

TEST_F(Fresh, ALotNearingExpiryIsMarkedDownAndEveryPlaceSaysTheSamePrice) {
  Shop shop{server()};
  shop.store("md1");
  const std::string manager = shop.staff("md1", "manager");
  listed(shop, "md1", "FISH", 10000, "seafood", "seafood");
  policy("category:seafood", kSteps);
  const auto fresh_lot = receive("md1", "FISH", 10, 100h, 6000);  // no step reached
  const auto near = receive("md1", "FISH", 2, 20h, 6000);         // the 30% step
  const auto last = receive("md1", "FISH", 3, 3h, 6000);          // 50%, floored at cost

  // The preview says what the round will do, and why; nothing has changed yet.
  const auto planned = lot_in_preview("md1", manager, near["lot_id"].get<std::string>());
  ASSERT_FALSE(planned.is_null());
  EXPECT_EQ(planned["action"], "mark_down");
  EXPECT_EQ(planned["next_price_minor"], 7000);
  EXPECT_EQ(planned["policy"], "category:seafood");
  EXPECT_EQ(scan_price(near["qr_code"]), 10000);

  const auto round = run("md1", manager);
  EXPECT_EQ(round["marked_down"], 2) << round.dump();
  EXPECT_EQ(lot_in_preview("md1", manager, fresh_lot["lot_id"].get<std::string>()),
            nullptr);  // untouched

  // The aisle scan of each lot: that lot's own price.
  EXPECT_EQ(scan_price(near["qr_code"]), 7000);
  EXPECT_EQ(scan_price(last["qr_code"]), 6000);  // 50% off would be 5000, below its cost
  EXPECT_EQ(scan_price(fresh_lot["qr_code"]), 10000);

  // The catalog: the listing's price, and the best price with how many units carry it.
  const auto product = server().get("/v1/stores/md1/products/FISH").json();
  EXPECT_EQ(product["price_minor"], 10000);
  EXPECT_EQ(product["best_price"], (nlohmann::json{{"price_minor", 6000}, {"units", 3}}));

  // The labels' feed: both changes, with the lot's QR code and the new price.
  const auto feed = labels("md1", manager, 0, 2);
  ASSERT_EQ(feed["changes"].size(), 2u) << feed.dump();
  std::map<std::string, long long> label_price;
  for (const auto& c : feed["changes"]) {
    label_price[c["qr_code"]] = c["price_minor"];
    EXPECT_EQ(c["regular_price_minor"], 10000);
    EXPECT_EQ(c["by"], "policy");
  }
  EXPECT_EQ(label_price[near["qr_code"]], 7000);
  EXPECT_EQ(label_price[last["qr_code"]], 6000);
  const auto after =
      server()
          .get("/v1/stores/md1/labels?since=" + std::to_string(feed["next_since"].get<long long>()),
               {bearer(manager)})
          .json();
  EXPECT_TRUE(after["changes"].empty()) << after.dump();

  // An order of 6 takes earliest expiry first and is charged what each lot sells at: 3 at
  // 60.00, 2 at 70.00 and 1 at the regular 100.00, one line per price.
  const std::string customer = shop.customer();
  const auto placed = shop.order(customer, Shop::order_body("md1", {{"FISH", 6}}), "fish-6");
  ASSERT_EQ(placed.status, 201) << placed.body;
  const auto o = placed.json();
  ASSERT_EQ(o["lines"].size(), 3u) << o.dump();
  EXPECT_EQ(o["lines"][0]["quantity"], 3);
  EXPECT_EQ(o["lines"][0]["unit_price_minor"], 6000);
  EXPECT_EQ(o["lines"][1]["quantity"], 2);
  EXPECT_EQ(o["lines"][1]["unit_price_minor"], 7000);
  EXPECT_EQ(o["lines"][2]["quantity"], 1);
  EXPECT_EQ(o["lines"][2]["unit_price_minor"], 10000);
  for (const auto& l : o["lines"]) EXPECT_EQ(l["list_price_minor"], 10000);
  EXPECT_EQ(o["total_minor"], 3 * 6000 + 2 * 7000 + 10000);

  // Paid, it is picked as one SKU on three lines: scans fill them in order, and a unit the
  // picker cannot find is refunded at the dearest price paid (the full-price line's).
  const std::string order_id = o["order_id"];
  ASSERT_EQ(shop.pay(order_id, o["total_minor"], "evt-fish-6").status, 200);
  const Terminal picker{server(), shop.picker_on_shift("md1", "seafood")};
  const auto trip = picker.post("/v1/stores/md1/pick-tasks/next");
  ASSERT_EQ(trip.status, 200) << trip.body;
  const std::string task_id = trip.json()["tasks"].at(0)["task_id"];
  for (int i = 0; i < 5; ++i) {
    const auto r =
        picker.post("/v1/pick-tasks/" + task_id + "/scan", {{"code", product["shelf_code"]}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  auto r = picker.post("/v1/pick-tasks/" + task_id + "/short", {{"sku", "FISH"}, {"quantity", 1}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto task = r.json();
  std::vector<int> picked, missing;
  for (const auto& l : task["lines"]) {
    picked.push_back(l["picked"]);
    missing.push_back(l["missing"]);
  }
  EXPECT_EQ(picked, (std::vector<int>{3, 2, 0})) << r.body;
  EXPECT_EQ(missing, (std::vector<int>{0, 0, 1})) << r.body;
  ASSERT_EQ(picker.post("/v1/pick-tasks/" + task_id + "/finish").status, 200);
  const auto paid = server().get("/v1/orders/" + order_id, {bearer(customer)}).json();
  EXPECT_EQ(paid["refund_minor"], 10000) << paid.dump();
}

TEST_F(Fresh, APriceNeverRises) {
  Shop shop{server()};
  shop.store("md2");
  const std::string manager = shop.staff("md2", "manager");
  listed(shop, "md2", "CRAB", 20000, "crab");
  policy("category:crab", kSteps);
  const auto lot = receive("md2", "CRAB", 4, 20h, 9000);
  run("md2", manager);
  EXPECT_EQ(scan_price(lot["qr_code"]), 14000);

  // A manager takes it lower by hand; raising it is refused.
  const std::string path = "/v1/lots/" + lot["lot_id"].get<std::string>() + "/price";
  auto r = server().send("POST", path, R"({"price_minor": 12000, "reason": "bruised shell"})",
                         {bearer(manager)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["previous_price_minor"], 14000);
  r = server().send("POST", path, R"({"price_minor": 13000, "reason": "oops"})", {bearer(manager)});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("price_would_rise"), std::string::npos) << r.body;

  // A gentler policy and another round: the lot keeps its lower price.
  policy("category:crab", {{"steps", {{{"hours_before", 48}, {"percent_off", 5}}}}});
  const auto round = run("md2", manager);
  EXPECT_EQ(round["marked_down"], 0) << round.dump();
  EXPECT_EQ(scan_price(lot["qr_code"]), 12000);
  // A higher list price does not lift it either.
  server().admin("PUT", "/v1/stores/md2/products/CRAB",
                 R"({"price_minor": 30000, "zone": "produce", "shelf": "A1"})");
  EXPECT_EQ(scan_price(lot["qr_code"]), 12000);

  // Every change is logged, in order, with its reason and who made it.
  const auto feed = labels("md2", manager, 0, 2);
  ASSERT_EQ(feed["changes"].size(), 2u) << feed.dump();
  EXPECT_EQ(feed["changes"][0]["by"], "policy");
  EXPECT_EQ(feed["changes"][1]["reason"], "bruised shell");
  EXPECT_EQ(feed["changes"][1]["previous_price_minor"], 14000);
}

// The round reads only the lots some policy can act on by their expiry; a one-day policy goes
// by the day of receiving: a lot received yesterday, good by its date for five more days, is
// still found and written off.
TEST_F(Fresh, TheRoundFindsADailyFreshLotFarFromItsExpiry) {
  Shop shop{server()};
  shop.store("md7");
  const std::string manager = shop.staff("md7", "manager");
  listed(shop, "md7", "DAYFISH", 3000, "daily_fish");
  policy("category:daily_fish",
         {{"steps", {{{"hours_before", 4}, {"percent_off", 10}}}}, {"one_day", true}});
  const auto lot = receive("md7", "DAYFISH", 5, 120h, 1500);
  const auto keep = receive("md7", "DAYFISH", 5, 120h, 1500);  // received today: on sale
  {
    pqxx::connection c(database_url());
    pqxx::work tx(c);
    tx.exec_params("UPDATE lots SET received_at = now() - interval '1 day' WHERE lot_id = $1",
                   lot["lot_id"].get<std::string>());
    tx.commit();
  }
  const auto round = run("md7", manager);
  ASSERT_EQ(round["written_off"].size(), 1u) << round.dump();
  EXPECT_EQ(round["written_off"][0]["lot_id"], lot["lot_id"]);
  EXPECT_EQ(round["written_off"][0]["reason"], "one_day");
  EXPECT_NE(round["written_off"][0]["lot_id"], keep["lot_id"]);
}

TEST_F(Fresh, DailyFreshIsSoldOnTheDayItArrives) {
  Shop shop{server()};
  shop.store("md5");
  const std::string manager = shop.staff("md5", "manager");
  listed(shop, "md5", "PORK", 3000, "daily_pork");
  // Good for five days by its date, but sold only on the store's day of receiving (Shanghai).
  const auto lot = receive("md5", "PORK", 6, 120h, 1500);
  const auto now = core::system_now();
  const core::Timestamp midnight =
      std::chrono::floor<std::chrono::days>(now + 8h) + std::chrono::days(1) - 8h;
  // A first step from 48 h before sell-by is reached at once: the preview shows its sell-by is
  // tonight's midnight (local), not the date on the lot.
  policy("category:daily_pork",
         {{"steps", {{{"hours_before", 48}, {"percent_off", 10}}}}, {"one_day", true}});
  const auto now_planned = lot_in_preview("md5", manager, lot["lot_id"].get<std::string>());
  ASSERT_FALSE(now_planned.is_null());
  EXPECT_EQ(now_planned["sell_by"], core::format_rfc3339(midnight)) << now_planned.dump();
  EXPECT_EQ(now_planned["next_price_minor"], 2700);

  // Ordering agrees: tomorrow's delivery can count on none of today's pork, and what comes
  // sells on its own day only.
  const auto order =
      server().get("/v1/stores/md5/replenishment?sku=PORK", {bearer(manager)}).json();
  const auto& numbers = order["items"].at(0)["numbers"];
  EXPECT_EQ(numbers["shelf_life_from"], "one-day rule") << order.dump();
  EXPECT_EQ(numbers["shelf_life_days"], 1);
  EXPECT_EQ(numbers["on_hand_units"], 6);
  EXPECT_EQ(numbers["usable_at_arrival"], 0);
}

TEST_F(Fresh, PoliciesAreTheAdminsAndChecked) {
  Shop shop{server()};
  shop.store("md4");
  const std::string manager = shop.staff("md4", "manager");
  auto r = server().send("PUT", "/v1/markdown-policies/category:fruit", kSteps.dump(),
                         {bearer(manager)});
  EXPECT_EQ(r.status, 403) << r.body;
  r = server().admin("PUT", "/v1/markdown-policies/category:fruit",
                     R"({"steps": [{"hours_before": 24, "percent_off": 30},
                                   {"hours_before": 48, "percent_off": 40}]})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = server().admin("PUT", "/v1/markdown-policies/aisle:7", kSteps.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  r = server().admin("PUT", "/v1/markdown-policies/storage:chilled",
                     R"({"steps": [{"hours_before": 12, "percent_off": 20}], "one_day": true})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto listed = server().get("/v1/markdown-policies", {bearer(manager)}).json();
  bool found = false;
  for (const auto& p : listed["items"])
    found = found || (p["scope"] == "storage:chilled" && p["one_day"] == true);
  EXPECT_TRUE(found) << listed.dump();
  EXPECT_EQ(server().admin("DELETE", "/v1/markdown-policies/default", "").status, 409);
  EXPECT_EQ(server().admin("DELETE", "/v1/markdown-policies/storage:chilled", "").status, 204);
  EXPECT_EQ(server().admin("DELETE", "/v1/markdown-policies/storage:chilled", "").status, 404);
}

// Eight weeks of in-aisle sales of `sku` before today, the same every week: `weekday[isodow-1]`
// units a day (written as completed orders, as the demo's history is).
void sales_history(const std::string& database_url, const std::string& store,
                   const std::string& sku, const std::array<int, 7>& weekday) {
  pqxx::connection db(database_url);
  pqxx::work tx(db);
  tx.exec(
      "INSERT INTO customers (customer_id, phone, name) VALUES ('cus_hist', '+8611100000000', "
      "'h') ON CONFLICT DO NOTHING");
  std::string pattern = "ARRAY[";
  for (size_t i = 0; i < 7; ++i) pattern += (i ? "," : "") + std::to_string(weekday[i]);
  pattern += "]";
  // Noon in Shanghai of each of the 56 days before today there.
  tx.exec_params(
      "WITH days AS (SELECT ((now() AT TIME ZONE 'Asia/Shanghai')::date - d) AS day "
      "              FROM generate_series(1, 56) d), "
      "o AS (INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency, "
      "        total_minor, created_at, payment_status, payment_expires_at, paid_at, "
      "        handed_over_at) "
      "      SELECT 'ord_h_' || $1 || $2 || day, 'cus_hist', $1, 'in_store', 'completed', 'CNY', "
      "        0, t, 'paid', t, t, t "
      "      FROM days, LATERAL (SELECT (day + time '12:00') AT TIME ZONE 'Asia/Shanghai' AS t) x "
      "      RETURNING order_id, handed_over_at) "
      "INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, "
      "                         unit_price_minor, unit, list_price_minor) "
      "SELECT order_id, $1, 0, $2, $2, (" +
          pattern +
          ")[extract(isodow FROM handed_over_at AT TIME ZONE 'Asia/Shanghai')::integer], 1000, "
          "'each', 1000 FROM o",
      store, sku);
  tx.commit();
}

constexpr std::array<int, 7> kWeek{10, 10, 10, 12, 15, 24, 20};  // Monday first

TEST_F(Fresh, ForecastsLearnTheWeekFromTheStoresSales) {
  Shop shop{server()};
  shop.store("fc1");
  const std::string manager = shop.staff("fc1", "manager");
  shop.stock("fc1", "TOFU", 0, 1000);
  sales_history(database_url(), "fc1", "TOFU", kWeek);
  const auto r = server().get("/v1/stores/fc1/forecast?sku=TOFU&days=7", {bearer(manager)});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = r.json();
  const auto& tofu = j["items"].at(0);
  EXPECT_GE(tofu["backtest"]["origins"].get<int>(), 4) << tofu.dump();
  EXPECT_EQ(tofu["sold_in_history"], 8 * (10 + 10 + 10 + 12 + 15 + 24 + 20));
  ASSERT_EQ(tofu["forecast"].size(), 7u);
  for (const auto& day : tofu["forecast"]) {
    // Each date's forecast is that weekday's sales.
    const auto date = *core::parse_rfc3339(day["date"].get<std::string>() + "T00:00:00Z");
    const auto weekday =
        std::chrono::weekday(std::chrono::sys_days(std::chrono::floor<std::chrono::days>(date)))
            .iso_encoding();
    EXPECT_NEAR(day["units"].get<double>(), kWeek[weekday - 1], 1.0) << day.dump();
  }
  EXPECT_NE(j["accuracy"]["wape"], nullptr);
  EXPECT_EQ(j["accuracy"]["series_backtested"], 1);
  // Not a number of days: a clear 400.
  EXPECT_EQ(server().get("/v1/stores/fc1/forecast?days=x", {bearer(manager)}).status, 400);
  EXPECT_EQ(server().get("/v1/stores/fc1/forecast?sku=NOPE", {bearer(manager)}).status, 404);
  EXPECT_EQ(server().get("/v1/stores/fc1/forecast").status, 401);
}

TEST_F(Fresh, OrderSuggestionsCountOnlyStockThatWillSellAndAcceptingMakesAReceipt) {
  Shop shop{server()};
  shop.store("fc2");
  const std::string manager = shop.staff("fc2", "manager");
  shop.stock("fc2", "TOFU", 0, 1000);
  sales_history(database_url(), "fc2", "TOFU", kWeek);
  auto r =
      server().send("PUT", "/v1/stores/fc2/products/TOFU/supply",
                    R"({"pack_size": 6, "lead_days": 1, "shelf_life_days": 3})", {bearer(manager)});
  ASSERT_EQ(r.status, 200) << r.body;
  auto suggest = [&] {
    const auto s = server().get("/v1/stores/fc2/replenishment?sku=TOFU", {bearer(manager)});
    EXPECT_EQ(s.status, 200) << s.body;
    return s.json()["items"].at(0);
  };
  // 200 units that expire within hours do not cover tomorrow's delivery.
  const auto soon = receive("fc2", "TOFU", 200, 3h, 500);
  const auto short_lived = suggest();
  EXPECT_GT(short_lived["order_units"].get<int>(), 0) << short_lived.dump();
  EXPECT_EQ(short_lived["order_units"].get<int>() % 6, 0);
  EXPECT_EQ(short_lived["packs"].get<int>() * 6, short_lived["order_units"].get<int>());
  EXPECT_EQ(short_lived["numbers"]["on_hand_units"], 200);
  EXPECT_EQ(short_lived["numbers"]["shelf_life_days"], 3);
  EXPECT_FALSE(short_lived["reasoning"].empty());
  // The same 200 units good for ten days do.
  const std::string write_off = "/v1/lots/" + soon["lot_id"].get<std::string>() + "/write-off";
  ASSERT_EQ(server().send("POST", write_off, R"({"quantity": 200})", {bearer(manager)}).status,
            200);
  receive("fc2", "TOFU", 200, 240h, 500);
  EXPECT_EQ(suggest()["order_units"], 0);
  ASSERT_EQ(server()
                .send("POST", "/v1/lots/" + soon["lot_id"].get<std::string>() + "/write-off",
                      R"({"quantity": 1})", {bearer(manager)})
                .status,
            400);

  // Accepting: the suggestion (or the manager's quantity, in whole packs) becomes the delivery's
  // expected receipt; accepting again replaces it.
  const std::string delivery = short_lived["delivery"];
  r = server().send(
      "POST", "/v1/stores/fc2/replenishment/accept",
      nlohmann::json{{"sku", "TOFU"}, {"delivery", delivery}, {"quantity", 20}}.dump(),
      {bearer(manager)});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["quantity"], 24);
  EXPECT_EQ(r.json()["packs"], 4);
  EXPECT_FALSE(r.json()["suggestion"]["reasoning"].empty());
  r = server().send(
      "POST", "/v1/stores/fc2/replenishment/accept",
      nlohmann::json{{"sku", "TOFU"}, {"delivery", delivery}, {"quantity", 30}}.dump(),
      {bearer(manager)});
  EXPECT_EQ(r.status, 200) << r.body;
  const auto receipts = server().get("/v1/stores/fc2/expected-receipts", {bearer(manager)}).json();
  ASSERT_EQ(receipts["items"].size(), 1u) << receipts.dump();
  EXPECT_EQ(receipts["items"][0]["quantity"], 30);
  // The delivery after it counts those units as coming.
  const auto next =
      server()
          .get("/v1/stores/fc2/replenishment?sku=TOFU&delivery=" +
                   core::format_rfc3339(*core::parse_rfc3339(delivery + "T00:00:00Z") +
                                        std::chrono::days(1))
                       .substr(0, 10),
               {bearer(manager)})
          .json();
  EXPECT_EQ(next["items"].at(0)["numbers"]["in_transit_units"], 30) << next.dump();
  // A delivery too soon for the supplier is refused.
  server().send("PUT", "/v1/stores/fc2/products/TOFU/supply", R"({"pack_size": 6, "lead_days": 3})",
                {bearer(manager)});
  r = server().send("POST", "/v1/stores/fc2/replenishment/accept",
                    nlohmann::json{{"sku", "TOFU"}, {"delivery", delivery}}.dump(),
                    {bearer(manager)});
  EXPECT_EQ(r.status, 409) << r.body;
}

// The store's markdown job on: its round runs by the clock in the server, every 200 ms here.
class FreshByTheClock : public Fresh {
 protected:
  static void SetUpTestSuite() { start_suite({{"FRESHLANE_MARKDOWN_INTERVAL_MS", "200"}}); }
};

TEST_F(FreshByTheClock, TheStoresRoundWritesOffExpiredLotsAndTheWasteReportAddsUp) {
  Shop shop{server()};
  shop.store("md3");
  const std::string manager = shop.staff("md3", "manager");
  const std::string picker = shop.staff("md3", "picker");
  listed(shop, "md3", "MILK", 1500, "dairy");
  // Dairy is not marked down before its sell-by here: every sale below is at the full price.
  policy("category:dairy", {{"steps", {{{"hours_before", 0}, {"percent_off", 10}}}}});
  const auto expiring = receive("md3", "MILK", 5, 4s, 900);
  const auto good = receive("md3", "MILK", 8, 100h, 900);

  // Staff write off two damaged units; more than are free is refused whole.
  const std::string write_off = "/v1/lots/" + good["lot_id"].get<std::string>() + "/write-off";
  auto r =
      server().send("POST", write_off, R"({"quantity": 2, "note": "crushed"})", {bearer(picker)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["cost_minor"], 1800);
  r = server().send("POST", write_off, R"({"quantity": 7})", {bearer(picker)});
  EXPECT_EQ(r.status, 400) << r.body;

  // An in-aisle sale of 3 at the full price.
  const std::string customer = shop.customer();
  auto placed = shop.order(customer, Shop::order_body("md3", {{"MILK", 3}}, "in_store"), "milk");
  // Taken from the expiring lot first (earliest expiry).
  ASSERT_EQ(placed.status, 201) << placed.body;
  ASSERT_EQ(shop.pay(placed.json()["order_id"], placed.json()["total_minor"], "evt-milk").status,
            200);

  // The periodic round (every 200 ms here) writes off what is left of the expired lot.
  std::this_thread::sleep_for(4s);
  nlohmann::json report;
  for (int i = 0; i < 50; ++i) {
    report = server().get("/v1/stores/md3/waste", {bearer(manager)}).json();
    if (report["total"]["written_off"]["units"] == 4) break;
    std::this_thread::sleep_for(100ms);
  }
  // 2 damaged + the 2 units of the expired lot the order did not take.
  EXPECT_EQ(report["total"]["written_off"]["units"], 4) << report.dump();
  EXPECT_EQ(report["total"]["written_off"]["cost_minor"], 4 * 900);
  EXPECT_EQ(report["total"]["written_off"]["retail_minor"], 4 * 1500);
  EXPECT_EQ(report["total"]["sold_at_full_price"]["units"], 3);
  EXPECT_EQ(report["total"]["sold_at_full_price"]["value_minor"], 3 * 1500);
  EXPECT_EQ(report["total"]["waste_share_of_sales"], 4.0 * 1500 / (3 * 1500));
  // Rows add up to the categories and the total.
  long long units = 0, cost = 0;
  for (const auto& d : report["days"]) {
    units += d["written_off"]["units"].get<long long>();
    cost += d["written_off"]["cost_minor"].get<long long>();
  }
  EXPECT_EQ(units, 4);
  EXPECT_EQ(cost, 4 * 900);
  EXPECT_EQ(shop.available("md3", "MILK"), 6);  // the good lot's 8 less the 2 damaged
  EXPECT_EQ(scan_price(expiring["qr_code"]), 1500);

  const auto metrics = server().get("/metrics").body;
  EXPECT_GE(metric_value(metrics, "freshlane_write_off_units_total"), 2);

  // Bad dates are a clear 422.
  EXPECT_EQ(server().get("/v1/stores/md3/waste?from=2026-13-01", {bearer(manager)}).status, 400);
  EXPECT_EQ(
      server().get("/v1/stores/md3/waste?from=2026-11-20&to=2026-11-10", {bearer(manager)}).status,
      400);
}

}  // namespace
}  // namespace freshlane::testing
