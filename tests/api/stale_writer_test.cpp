// A process paused (SIGSTOP) in the middle of a decision, holding the floor's lock, while
// another process takes the store over; then resumed. None of its writes is accepted: its
// transaction was ended by PostgreSQL, its engine is thrown away, and what it asks next is
// decided on the floor as the other process left it.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "api/fleet_fixture.hpp"

using namespace freshlane::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::map<std::string, std::string> env(const std::string& name = "freshlane") {
  return {{"FRESHLANE_FLOOR_TICK_MS", "500"},
          {"FRESHLANE_DISPATCH_INTERVAL_MS", "500"},
          {"PGAPPNAME", name}};  // how PostgreSQL names its connections
}

HttpResponse to(ServerProcess& s, const std::string& token, const std::string& path,
                const nlohmann::json& body = nlohmann::json::object()) {
  return s.send("POST", path, body.dump(), {bearer(token)});
}

// The same, again while the answer is 503 (the store's floor is held elsewhere), counting them.
HttpResponse served(ServerProcess& s, const std::string& token, const std::string& path, int& busy,
                    const nlohmann::json& body = nlohmann::json::object()) {
  const auto start = Clock::now();
  for (;;) {
    auto r = to(s, token, path, body);
    if (r.status != 503 || Clock::now() - start > 20s) return r;
    ++busy;
  }
}

}  // namespace

TEST(StaleWriter, APausedProcessResumedAfterATakeoverHasNoWriteAccepted) {
  TwoServers fleet(env("freshlane-a"), env("freshlane-b"));
  auto& db = fleet.db;
  auto& shop = fleet.shop;
  auto &a = fleet.a, &b = fleet.b;
  shop.store("sw");
  ASSERT_EQ(a.admin("PUT", "/v1/stores/sw/layout",
                    nlohmann::json{{"zones", {"produce"}},
                                   {"lanes",
                                    {{{"lane_id", "L1"},
                                      {"capacity", 4},
                                      {"transit_seconds", 2},
                                      {"zones", {"produce"}}}}},
                                   {"picker_timeout_seconds", 120}}
                        .dump())
                .status,
            200);
  shop.stock("sw", "SW-1", 10);
  const std::string code =
      a.get("/v1/stores/sw/products/SW-1").json()["shelf_code"].get<std::string>();
  const std::string p = shop.staff("sw", "picker"), q = shop.staff("sw", "picker");
  const auto placed = shop.order(shop.customer(), Shop::order_body("sw", {{"SW-1", 2}}), "k1");
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string order_id = placed.json()["order_id"];
  ASSERT_EQ(shop.pay(order_id, placed.json()["total_minor"], "ev-1").status, 200);

  // P takes the bag through A: A keeps the floor in memory with P holding it.
  ASSERT_EQ(to(a, p, "/v1/stores/sw/pickers/clock-in", {{"zone", "produce"}}).status, 200);
  const auto trip = to(a, p, "/v1/stores/sw/pick-tasks/next");
  ASSERT_EQ(trip.status, 200) << trip.body;
  const std::string task = trip.json()["tasks"][0]["task_id"];
  const std::string scan = "/v1/pick-tasks/" + task + "/scan";

  // P's scan reaches A while the floor's row is locked elsewhere; A waits inside its unit.
  // A is paused right there, and the row is let go: A's transaction now holds the lock.
  std::future<HttpResponse> paused_scan;
  for (int attempt = 1;; ++attempt) {
    {
      pqxx::connection c(db.url());
      pqxx::work hold(c);
      hold.exec("SELECT 1 FROM store_jobs WHERE job = 'floor' AND store_id = 'sw' FOR UPDATE");
      hold.exec("SELECT 1 FROM store_floors WHERE store_id = 'sw' FOR UPDATE");
      paused_scan = std::async(std::launch::async, [&] {
        try {
          return to(a, p, scan, {{"code", code}});
        } catch (const std::exception&) {
          return HttpResponse{0, {}, "no answer"};
        }
      });
      // A's unit is waiting for the floor's row inside PostgreSQL (no tick of the floor's clock
      // can be: it is claimed and confirmed on its job's row, which this transaction holds too):
      // pause A right there.
      pqxx::connection watch(db.url());
      bool waiting_found = false;
      for (int i = 0; i < 500 && !waiting_found; ++i) {
        const auto waiting =
            pqxx::nontransaction(watch)
                .exec_params(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND "
                    "application_name = 'freshlane-a' AND "
                    "wait_event_type = 'Lock' AND query LIKE '%FROM store_floors%'",
                    db.name())[0][0]
                .as<int>();
        waiting_found = waiting > 0;
        if (!waiting_found) std::this_thread::sleep_for(10ms);
      }
      ASSERT_TRUE(waiting_found) << "A's scan never reached the floor's lock";
      a.pause();
      hold.commit();
    }
    // The premise: A's backend took the floor's row and sits idle in its transaction, waiting
    // for a process that is paused. On a loaded machine A's wait for the row may instead have
    // reached its lock_timeout just before the row was let go: then A holds nothing and the
    // takeover below would prove nothing. Let A answer (503, nothing written) and go again.
    pqxx::connection watch(db.url());
    std::string state;
    for (int i = 0; i < 200; ++i) {
      state = pqxx::nontransaction(watch)
                  .exec_params(
                      "SELECT coalesce(string_agg(state, ','), '') FROM pg_stat_activity "
                      "WHERE datname = $1 AND application_name = 'freshlane-a' AND "
                      "query LIKE '%FROM store_floors%FOR UPDATE%'",
                      db.name())[0][0]
                  .as<std::string>();
      if (!state.empty() && state.find("active") == std::string::npos) break;
      std::this_thread::sleep_for(10ms);
    }
    if (state == "idle in transaction") break;
    const std::string backends =
        pqxx::nontransaction(watch)
            .exec_params(
                "SELECT string_agg(pid || ' ' || state || ' ' || "
                "coalesce(wait_event_type, '-') || ' ' || "
                "regexp_replace(left(query, 90), '\\s+', ' ', 'g'), E'\\n') "
                "FROM pg_stat_activity WHERE datname = $1 AND "
                "application_name = 'freshlane-a'",
                db.name())[0][0]
            .c_str();
    a.resume();
    const auto answer = paused_scan.get();
    ASSERT_NE(answer.status, 200) << answer.body << "\nstate " << state << "\n" << backends;
    ASSERT_LT(attempt, 3) << "A never held the floor's row; its backend was: " << state;
  }
  const auto paused_at = Clock::now();

  // B serves the store meanwhile: P clocks out (waiting at most until PostgreSQL ends A's
  // idle transaction), Q takes the bag, picks it and hangs it on the lane.
  int busy = 0;
  const auto out = served(b, p, "/v1/stores/sw/pickers/clock-out", busy);
  const auto took_over = Clock::now() - paused_at;
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_GE(took_over, 2s) << "the paused process should have held the floor for a while";
  EXPECT_LE(took_over, 10s);
  std::printf("stale writer: B got the floor back %.1f s after A was paused (%d × 503)\n",
              std::chrono::duration<double>(took_over).count(), busy);
  int later = 0;  // A may also have paused inside a tick of the floor's clock
  ASSERT_EQ(served(b, q, "/v1/stores/sw/pickers/clock-in", later, {{"zone", "produce"}}).status,
            200);
  const auto q_trip = served(b, q, "/v1/stores/sw/pick-tasks/next", later);
  ASSERT_EQ(q_trip.status, 200) << q_trip.body;
  ASSERT_EQ(q_trip.json()["tasks"][0]["task_id"], task);
  ASSERT_EQ(served(b, q, scan, later, {{"code", code}, {"quantity", 2}}).status, 200);
  const auto finished = served(b, q, "/v1/pick-tasks/" + task + "/finish", later);
  ASSERT_EQ(finished.status, 200) << finished.body;
  // The bag arrives by the floor's clock, which B (or whoever claims it) runs now.
  for (int i = 0;
       i < 100 && b.get("/v1/pick-tasks/" + task, {bearer(q)}).json()["state"] != "arrived"; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(b.get("/v1/pick-tasks/" + task, {bearer(q)}).json()["state"], "arrived");

  // A carries on from where it stopped: its scan fails, and nothing it decided was kept.
  a.resume();
  const auto stale = paused_scan.get();
  EXPECT_NE(stale.status, 200) << stale.body;
  EXPECT_TRUE(stale.status == 503 || stale.status == 0) << stale.status << " " << stale.body;
  // Asked again, A decides on the floor as B left it.
  EXPECT_TRUE(is_problem(to(a, p, scan, {{"code", code}}), 409, "task_closed"));
  EXPECT_EQ(a.get("/v1/pick-tasks/" + task, {bearer(q)}).json()["state"], "arrived");

  auto count = [&](const std::string& sql) { return db_number(db.url(), sql); };
  // Every unit was picked by the one who finished the bag (Q): nothing of P's through A.
  EXPECT_EQ(count("SELECT count(*) FROM pick_events WHERE kind = 'item_picked' AND picker_id <> "
                  "(SELECT picker_id FROM pick_events WHERE kind = 'bag_finished')"),
            0)
      << "a scan of the paused process was recorded";
  EXPECT_EQ(count("SELECT sum(quantity) FROM pick_events WHERE kind = 'item_picked'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM pick_events WHERE kind = 'bag_finished'"), 1);
  EXPECT_EQ(count("SELECT picked FROM pick_task_lines WHERE task_id = '" + task + "'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM picker_shifts WHERE ended_by = 'clock_out'"), 1);
  EXPECT_EQ(count("SELECT quantity_received - quantity_on_hand FROM lots"), 2);
  EXPECT_EQ(count("SELECT quantity_reserved FROM lots"), 0);
}

// A database blip: for 7 s no process reaches the database, then it is back. Periodic work
// (the floor's clock, dispatch rounds) still runs at most once per store and period across
// the processes, and carries on afterwards.
TEST(StaleWriter, ADatabaseBlipOf7sRunsNothingTwice) {
  TwoServers fleet(env());
  auto& db = fleet.db;
  auto& shop = fleet.shop;
  auto& a = fleet.a;  // B runs beside it, its jobs claimed against A's
  shop.store("bl");
  // Work for both jobs: a picker on shift (the floor's clock), a courier (dispatch rounds).
  ASSERT_EQ(
      to(a, shop.staff("bl", "picker"), "/v1/stores/bl/pickers/clock-in", {{"zone", "produce"}})
          .status,
      200);
  shop.courier_on_shift("bl");
  auto runs = [&] {
    return db_number(db.url(), "SELECT sum(runs) FROM store_jobs WHERE store_id = 'bl'");
  };
  std::this_thread::sleep_for(1s);
  const long long before = runs();
  const auto start = Clock::now();
  std::this_thread::sleep_for(2s);
  {
    pqxx::connection admin(admin_database_url());
    pqxx::nontransaction sql(admin);
    sql.exec("ALTER DATABASE " + sql.quote_name(db.name()) + " ALLOW_CONNECTIONS false");
    const auto blip = Clock::now();
    while (Clock::now() - blip < 7s) {
      sql.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                      db.name());
      std::this_thread::sleep_for(200ms);
    }
    sql.exec("ALTER DATABASE " + sql.quote_name(db.name()) + " ALLOW_CONNECTIONS true");
  }
  const long long after_blip = runs();
  std::this_thread::sleep_for(4s);
  const long long total = runs() - before;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // Two jobs, one run each per 500 ms period at most while the database was there (both
  // processes running each period would make twice as many).
  const double most = 2 * ((seconds - 7) / 0.5) + 6;
  std::printf("blip: %lld runs in %.1f s with the database away 7 s (at most %.0f)\n", total,
              seconds, most);
  EXPECT_LE(total, most);
  EXPECT_GT(runs(), after_blip) << "periodic work did not resume after the blip";
  EXPECT_GT(total, 10);
}

// A bag handed back (its picker clocked out) belongs to an order whose picking has started: a
// process that rebuilds the floor from the records must know that too, and hand the bag out.
TEST(StaleWriter, ARebuiltFloorHandsOutABagReleasedByAnotherProcess) {
  TwoServers fleet(env());
  auto& db = fleet.db;
  auto& shop = fleet.shop;
  auto &a = fleet.a, &b = fleet.b;
  shop.store("rb");
  shop.stock("rb", "RB-1", 10);
  const std::string p = shop.staff("rb", "picker"), q = shop.staff("rb", "picker");
  const auto placed = shop.order(shop.customer(), Shop::order_body("rb", {{"RB-1", 1}}), "k1");
  ASSERT_EQ(placed.status, 201) << placed.body;
  ASSERT_EQ(shop.pay(placed.json()["order_id"], placed.json()["total_minor"], "ev-1").status, 200);
  ASSERT_EQ(to(a, p, "/v1/stores/rb/pickers/clock-in", {{"zone", "produce"}}).status, 200);
  const auto first = to(a, p, "/v1/stores/rb/pick-tasks/next");
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(to(a, p, "/v1/stores/rb/pickers/clock-out").status, 200);  // the bag goes back
  // B has never seen this floor: it rebuilds it from the records.
  ASSERT_EQ(to(b, q, "/v1/stores/rb/pickers/clock-in", {{"zone", "produce"}}).status, 200);
  const auto again = to(b, q, "/v1/stores/rb/pick-tasks/next");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["tasks"][0]["task_id"], first.json()["tasks"][0]["task_id"]);
  EXPECT_EQ(db_number(db.url(),
                      "SELECT count(*) FROM pick_events WHERE kind = "
                      "'order_picking_started'"),
            1);
}
