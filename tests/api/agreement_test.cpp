// The server and the simulator agree on a small day.
//
// One day is played through the HTTP API against a real PostgreSQL, the test playing the staff:
// a store with three zones and three conveyor lanes of different capacities and transits; nine
// orders (five delivery, four pickup; four touching two zones) placed, then paid; two pickers
// (the second switches from seafood to bakery once seafood runs dry) asking for their next trip,
// scanning every line and finishing every bag, turn about, until the floor is empty; a packer
// packing every order once its bags are at packing; three couriers on shift and one dispatch
// round on demand.
//
// The same inputs are then replayed in memory through the store code the simulator drives
// (src/sim/simulator.cpp): store::Floors over sim::MemoryFloor, the same layout set on the floor,
// picking::split_order of the same orders (same ids, lines, zones) at the paid_at the server
// reported, the same picker ids clocking in, the same next-trip / scan / finish / pack calls in
// the same order; and store::run_round over an in-memory store::DeskRecords holding the same
// packed orders (same doors) and the same couriers, at the round's planned_at.
//
// Compared, Agreement.PickingFloor...: every trip (its task ids in order, each with its zone,
// order, lines, paid_at, deadline and assigned_at); every finished bag's answer (state, lane,
// loaded_at, arrives_at); every bag's final lane and times (bags that waited for a full lane and
// were loaded later included); every request the server accepted is accepted by the replay; and
// the floor's whole history (pick_events against the engine's events, signs of life aside).
// Compared, Agreement.DispatchRound...: the round's input (the packed orders with packed_at and
// promised_at, in order; the couriers) and its plan: which orders ride together, with which
// courier, in which order, with the same planned ETAs, departure, return and distance, and which
// orders are left waiting for a companion.
// Each test also checks that its comparison can fail: the replay with two lanes swapped (resp.
// one order per trip) must disagree with the server.
//
// Where server and simulator may differ, and how this test controls it:
// 1. The clock. The server's `now` is the wall clock at each request (whole seconds; a floor's
//    clock never runs back), the simulator's a virtual one. Batching a trip (it must end by its
//    tasks' deadlines), the lane a bag takes (a lane's in-transit count depends on which bags
//    have arrived by now), a waiting bag taking a freed slot, picker time-outs, and every ETA
//    depend on it. The replay takes each decision at the time the server reported for it:
//    paid_at, clocked_in_at, assigned_at, finished_at, packed_at, planned_at from the answers;
//    each scan's and the layout change's time from pick_events. A next trip answered 204 reports
//    no time: the replay uses the latest one known (an empty queue does not depend on it). The
//    whole day stays far inside the pick deadline (15 min) and the picker time-out (5 min).
// 2. When the floor moves. The server moves a floor to now on every decision and every
//    FRESHLANE_FLOOR_TICK_MS; the simulator only at its own events. Bags arrive, and waiting bags
//    take the freed slots, at the moment a slot frees whoever looks, so the decisions agree; but
//    bag_arrived, order_ready_to_pack and a waiting bag's bag_loaded enter the history with
//    whichever decision first looked. The histories are compared as multisets, not sequences.
// 3. Ties in a rebuilt engine. Tasks with the same deadline (orders paid in the same second) go
//    first come first served: by payment order in an engine the server kept, by (paid_at, order
//    id) in one it rebuilds from PostgreSQL (another process wrote, or a request or a read raced
//    another decision of this process, such as the floor's clock); the simulator never rebuilds.
//    The test pays in order-id order, so both rules give one order; orders paid within one second
//    in another order may be handed out differently by a server that rebuilt meanwhile. Likewise a
//    rebuilt engine takes an order's lane from its first loaded bag by task id rather than by time,
//    which can only matter to a third bag: the orders here touch at most two zones.
// 4. Rounds by the clock. The server also plans a round every FRESHLANE_DISPATCH_INTERVAL_MS; a
//    round at another instant sees other packed orders and gives other ETAs. This server plans
//    by the clock every 10 minutes; the test waits for its first round (when the couriers clock
//    in, nothing packed yet) before packing, then asks for one round and replays it at its
//    planned_at. The board shows live ETAs (pushed on once a departure is past): the planned
//    ETAs are read from trip_stops.
// 5. What each side reads. The server's round reads PostgreSQL: packed_at is the pack decision's
//    time, promised_at is paid_at + the store's promise (as the simulator sets it at payment);
//    packed orders by (promised_at, order id) and couriers by id, as the simulator's desk lists
//    them. The test checks that input before comparing plans. The dispatch parameters are the
//    server's, from the same settings (app::delivery_params). The simulator's couriers ride at
//    spread speeds, and its desk knows no failed deliveries, redelivery times or couriers riding
//    back: none of these is in this day (every courier is idle at the store).
// 6. Who decides when. The simulator decides when its staff act (walking and picking times,
//    idle pickers asking every two minutes, free packers); at the server people do. The test
//    gives both the same sequence: what is compared is what the store code decides about it.
//    A pack the server refused (bags still riding) records only the floor's progress to now,
//    which (2.) is the same whoever records it; the replay packs only at the accepted one.
#include <pqxx/pqxx>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "api/shop_fixture.hpp"
#include "freshlane/app/config.hpp"
#include "freshlane/picking/engine.hpp"
#include "freshlane/sim/memory_floor.hpp"
#include "freshlane/store/desk.hpp"
#include "freshlane/store/floors.hpp"

namespace freshlane::testing {
namespace {

using core::Timestamp;
using nlohmann::json;
using std::chrono::seconds;

const std::string kStoreId = "agree";
constexpr core::LatLon kStoreAt{31.2536, 121.5907};
constexpr int kPromiseMinutes = 120;  // nine orders, three couriers: every delivery is admitted

// The server of this suite. Dispatch settings are spelled out (the replay plans with the same);
// rounds by the clock every 10 minutes: the test's own round is the only one that plans.
const std::map<std::string, std::string> kServerEnv{
    {"FRESHLANE_DISPATCH_INTERVAL_MS", "600000"}, {"FRESHLANE_MAX_ORDERS_PER_TRIP", "3"},
    {"FRESHLANE_BATCH_WAIT_SECONDS", "240"},      {"FRESHLANE_COURIER_SPEED_KMH", "15"},
    {"FRESHLANE_DETOUR_PERCENT", "130"},          {"FRESHLANE_PACKING_SECONDS", "120"}};

// Three zones; three lanes of different reach, capacity and transit, so that the least loaded
// lane, the order's own lane and a full lane (the bag waits) all come up.
json layout_json() {
  return {{"zones", {"produce", "seafood", "bakery"}},
          {"lanes",
           {{{"lane_id", "L1"},
             {"capacity", 3},
             {"transit_seconds", 2},
             {"zones", {"produce", "seafood"}}},
            {{"lane_id", "L2"},
             {"capacity", 1},
             {"transit_seconds", 1},
             {"zones", {"produce", "bakery"}}},
            {{"lane_id", "L3"},
             {"capacity", 2},
             {"transit_seconds", 1},
             {"zones", {"seafood", "bakery"}}}}},
          {"pick_deadline_seconds", 900}};
}

const std::map<std::string, std::string> kProducts{{"APPLE", "produce"}, {"PEAR", "produce"},
                                                   {"CRAB", "seafood"},  {"SHRIMP", "seafood"},
                                                   {"BREAD", "bakery"},  {"CAKE", "bakery"}};
std::string sku(const std::string& product) { return product + "-" + kStoreId; }

struct OrderSpec {
  std::string name;
  std::vector<std::pair<std::string, int>> lines;  // product, quantity
  bool delivery = false;
  core::LatLon door{};
};
// Doors: three east of the store (~0.9-1.3 km), two north (~0.8-1.2 km), one alone ~2 km west.
const std::vector<OrderSpec> kOrders{
    {"A", {{"APPLE", 2}}, false, {}},
    {"B", {{"APPLE", 1}, {"CRAB", 2}}, true, {31.2540, 121.6000}},
    {"C", {{"PEAR", 6}}, false, {}},  // 6 units: too big to share a trip
    {"D", {{"BREAD", 1}, {"SHRIMP", 1}}, true, {31.2530, 121.6020}},
    {"E", {{"PEAR", 1}, {"CAKE", 2}}, true, {31.2610, 121.5912}},
    {"F", {{"CRAB", 1}}, false, {}},
    {"G", {{"APPLE", 3}}, true, {31.2640, 121.5900}},
    {"H", {{"BREAD", 2}}, true, {31.2545, 121.6045}},
    {"I", {{"CAKE", 1}}, true, {31.2540, 121.5700}},
};

// One decision the test asked of the server's floor, with what the server answered.
struct Step {
  enum class Kind { kLayout, kClockIn, kPaid, kNext, kScan, kFinish, kPack };
  Kind kind = Kind::kLayout;
  std::string picker;           // kClockIn, kNext, kScan, kFinish
  std::string zone;             // kClockIn
  std::string order_id;         // kPaid, kPack
  std::string task_id, sku;     // kScan, kFinish (kScan: sku)
  int quantity = 0;             // kScan
  std::optional<Timestamp> at;  // the server's `now` for it, where the server reported it
  json answer;                  // kNext: the trip's tasks; kFinish: the task after it
};

Step make_step(Step::Kind kind, std::optional<Timestamp> at = std::nullopt, json answer = {}) {
  Step s;
  s.kind = kind;
  s.at = at;
  s.answer = std::move(answer);
  return s;
}
Step clock_in_step(const std::string& picker, const std::string& zone, Timestamp at) {
  Step s = make_step(Step::Kind::kClockIn, at);
  s.picker = picker;
  s.zone = zone;
  return s;
}
Step order_step(Step::Kind kind, const std::string& order_id, Timestamp at) {
  Step s = make_step(kind, at);
  s.order_id = order_id;
  return s;
}
Step picker_step(Step::Kind kind, const std::string& picker, std::optional<Timestamp> at,
                 json answer, const std::string& task_id = "") {
  Step s = make_step(kind, at, std::move(answer));
  s.picker = picker;
  s.task_id = task_id;
  return s;
}
Step scan_step(const std::string& picker, const std::string& task_id, const std::string& sku,
               int quantity) {
  Step s = picker_step(Step::Kind::kScan, picker, std::nullopt, {}, task_id);  // time: history
  s.sku = sku;
  s.quantity = quantity;
  return s;
}

struct PaidOrder {
  const OrderSpec* spec = nullptr;
  std::string id;
  Timestamp paid_at;
  std::optional<Timestamp> promised_at, packed_at;
};

// A pick_events row, or an engine event as the server would log it.
struct Logged {
  long long at = 0;
  std::string kind, order_id, task_id, picker_id, lane_id, sku;
  int quantity = 0;
  auto key() const {
    return std::tie(at, kind, order_id, task_id, picker_id, lane_id, sku, quantity);
  }
  bool operator<(const Logged& o) const { return key() < o.key(); }
  bool operator==(const Logged& o) const { return key() == o.key(); }
  std::string text() const {
    std::ostringstream s;
    s << core::format_rfc3339(Timestamp(seconds(at))) << " " << kind << " order=" << order_id
      << " task=" << task_id << " picker=" << picker_id << " lane=" << lane_id << " sku=" << sku
      << " q=" << quantity;
    return s.str();
  }
};

struct StoredStop {
  std::string order_id;
  Timestamp eta;
};
struct StoredTrip {
  std::string courier_id;
  Timestamp planned_at, departs_at, returns_at;
  int distance_m = 0;
  std::vector<StoredStop> stops;
};

// Everything the server did and said on the day.
struct ServerDay {
  bool played = false;
  json layout;                              // the PUT's answer
  std::vector<PaidOrder> orders;            // in payment order, which is order-id order
  std::vector<Step> steps;                  // in the order the test sent them
  std::map<std::string, json> final_tasks;  // GET /v1/pick-tasks/{id} once every order is packed
  std::vector<Logged> history;              // pick_events of the store, in order
  std::vector<json> couriers;               // clock-in answers
  json board_before, board_after;           // the dispatch board around the round
  std::vector<StoredTrip> trips;            // as stored, by courier id
};

Timestamp time_of(const json& j) {
  const auto t = core::parse_rfc3339(j.get<std::string>());
  if (!t) throw std::runtime_error("not a time: " + j.dump());
  return *t;
}
std::string text(Timestamp t) { return core::format_rfc3339(t); }
std::string text(const std::optional<Timestamp>& t) {
  return t ? core::format_rfc3339(*t) : std::string("null");
}
std::string text(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }
std::string text(const std::string& s) { return s.empty() ? std::string("null") : s; }
std::string lines_text(const std::vector<picking::PickLine>& lines) {
  std::string out;
  for (const auto& l : lines) out += l.sku + "x" + std::to_string(l.quantity) + ";";
  return out;
}
std::string lines_text(const json& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l["sku"].get<std::string>() + "x" + std::to_string(l["quantity"].get<int>()) + ";";
  }
  return out;
}

picking::Layout layout_of(const json& j) {
  picking::Layout l;
  l.zones = j["zones"].get<std::vector<std::string>>();
  for (const auto& lane : j["lanes"]) {
    l.lanes.push_back({lane["lane_id"].get<std::string>(), lane["capacity"].get<int>(),
                       seconds(lane["transit_seconds"].get<int>()),
                       lane["zones"].get<std::vector<std::string>>()});
  }
  l.pick_deadline = seconds(j["pick_deadline_seconds"].get<int>());
  l.max_bags_per_trip = j["max_bags_per_trip"].get<int>();
  l.small_task_units = j["small_task_units"].get<int>();
  l.picker_timeout = seconds(j["picker_timeout_seconds"].get<int>());
  return l;
}

// Where the two sides disagree, one line each.
struct Differences {
  std::vector<std::string> lines;
  void check(const std::string& where, const std::string& server, const std::string& simulator) {
    if (server != simulator) {
      lines.push_back(where + ": server " + server + ", simulator " + simulator);
    }
  }
  void note(const std::string& line) { lines.push_back(line); }
  bool empty() const { return lines.empty(); }
  std::string report() const {
    std::string out;
    for (size_t i = 0; i < lines.size() && i < 40; ++i) out += "  " + lines[i] + "\n";
    if (lines.size() > 40) out += "  ... " + std::to_string(lines.size() - 40) + " more\n";
    return out;
  }
};

std::string refusal_text(picking::Refusal r) {
  return r == picking::Refusal::kOk ? "ok"
                                    : "refused (" + std::to_string(static_cast<int>(r)) + ")";
}

// Replays the day's floor decisions through store::Floors over sim::MemoryFloor, as the
// simulator drives them, with `layout` set on the floor, and compares each answer with the
// server's.
Differences compare_floor(const ServerDay& day, const picking::Layout& layout) {
  Differences diff;
  std::map<std::string, const PaidOrder*> orders;
  for (const auto& o : day.orders) orders[o.id] = &o;

  sim::MemoryFloor records(picking::default_layout());  // a new store's floor, as the server's
  store::Floors floors;
  std::vector<Logged> history;
  floors.listen([&](const std::string&, const std::vector<picking::Event>& events,
                    const picking::Engine&) {
    for (const auto& e : events) {
      if (e.kind == picking::EventKind::kPickerSeen) continue;  // the server logs no line for it
      history.push_back({e.at.time_since_epoch().count(), std::string(picking::to_string(e.kind)),
                         e.order_id, e.task_id, e.picker_id, e.lane_id, e.sku, e.quantity});
    }
  });
  std::map<std::string, picking::PickTask> last_seen;  // each task as it was before packing
  Timestamp latest{};
  auto decide = [&](const Step& s, auto&& f) {
    if (s.at) latest = std::max(latest, *s.at);
    return floors.decide(records, kStoreId, s.at.value_or(latest), f);
  };

  for (size_t i = 0; i < day.steps.size(); ++i) {
    const Step& s = day.steps[i];
    const std::string where = "step " + std::to_string(i) + " ";
    switch (s.kind) {
      case Step::Kind::kLayout: {
        const auto r =
            decide(s, [&](picking::Engine& e, Timestamp t) { return e.set_layout(layout, t); });
        diff.check(where + "layout", "ok", refusal_text(r));
        break;
      }
      case Step::Kind::kClockIn: {
        const auto r = decide(
            s, [&](picking::Engine& e, Timestamp t) { return e.clock_in(s.picker, s.zone, t); });
        diff.check(where + "clock-in of " + s.picker + " to " + s.zone, "ok", refusal_text(r));
        break;
      }
      case Step::Kind::kPaid: {
        const PaidOrder& o = *orders.at(s.order_id);
        std::vector<picking::ZonedLine> lines;
        for (const auto& [product, quantity] : o.spec->lines) {
          lines.push_back({static_cast<int>(lines.size()) + 1, sku(product), quantity,
                           kProducts.at(product), "", ""});
        }
        decide(s, [&](picking::Engine& e, Timestamp t) {
          e.add_tasks(picking::split_order(o.id, lines, t, e.layout().pick_deadline));
        });
        break;
      }
      case Step::Kind::kNext: {
        std::vector<picking::PickTask> trip;
        const auto r = decide(s, [&](picking::Engine& e, Timestamp t) {
          std::vector<const picking::PickTask*> mine;
          const auto refusal = e.next_tasks(s.picker, t, mine);
          for (const auto* task : mine) trip.push_back(*task);
          return refusal;
        });
        diff.check(where + "next trip of " + s.picker, "ok", refusal_text(r));
        std::string server_ids, replay_ids;
        for (const auto& t : s.answer) server_ids += t["task_id"].get<std::string>() + " ";
        for (const auto& t : trip) replay_ids += t.task_id + " ";
        diff.check(where + "next trip of " + s.picker + ": tasks", "[" + server_ids + "]",
                   "[" + replay_ids + "]");
        for (size_t k = 0; k < trip.size() && k < s.answer.size(); ++k) {
          const json& a = s.answer[k];
          const auto& b = trip[k];
          const std::string w = where + "trip task " + b.task_id + " ";
          diff.check(w + "zone", text(a["zone"]), b.zone);
          diff.check(w + "order", text(a["order_id"]), b.order_id);
          diff.check(w + "paid_at", text(a["paid_at"]), text(b.paid_at));
          diff.check(w + "deadline", text(a["deadline"]), text(b.deadline));
          diff.check(w + "assigned_at", text(a["assigned_at"]), text(b.assigned_at));
          diff.check(w + "lines", lines_text(a["lines"]), lines_text(b.lines));
        }
        break;
      }
      case Step::Kind::kScan: {
        const auto r = decide(s, [&](picking::Engine& e, Timestamp t) {
          return e.pick(s.picker, s.task_id, s.sku, s.quantity, t);
        });
        diff.check(
            where + "scan " + s.sku + " x" + std::to_string(s.quantity) + " for " + s.task_id, "ok",
            refusal_text(r));
        break;
      }
      case Step::Kind::kFinish: {
        std::optional<picking::PickTask> after;
        const auto r = decide(s, [&](picking::Engine& e, Timestamp t) {
          const auto refusal = e.finish(s.picker, s.task_id, t);
          if (const auto* task = e.task(s.task_id)) after = *task;
          return refusal;
        });
        const std::string w = where + "finish " + s.task_id + " ";
        diff.check(w + "answer", "ok", refusal_text(r));
        if (!after) {
          diff.note(w + ": not on the simulator's floor");
          break;
        }
        const json& bag = s.answer["bag"];
        diff.check(w + "state", text(s.answer["state"]),
                   std::string(picking::to_string(after->state)));
        diff.check(w + "lane", text(bag["lane_id"]), text(after->lane_id));
        diff.check(w + "finished_at", text(bag["finished_at"]), text(after->finished_at));
        diff.check(w + "loaded_at", text(bag["loaded_at"]), text(after->loaded_at));
        diff.check(w + "arrives_at", text(bag["arrives_at"]), text(after->arrives_at));
        break;
      }
      case Step::Kind::kPack: {
        const auto r = decide(s, [&](picking::Engine& e, Timestamp t) {
          for (const auto* task : e.tasks_of(s.order_id)) last_seen[task->task_id] = *task;
          return e.pack(s.order_id, t);
        });
        diff.check(where + "pack " + s.order_id, "ok", refusal_text(r));
        break;
      }
    }
  }

  // Every bag where it ended up, waiting ones included.
  for (const auto& [task_id, a] : day.final_tasks) {
    const std::string w = "final " + task_id + " ";
    const auto it = last_seen.find(task_id);
    if (it == last_seen.end()) {
      diff.note(w + ": never packed on the simulator's floor");
      continue;
    }
    const auto& b = it->second;
    const json& bag = a["bag"];
    diff.check(w + "state", text(a["state"]), "packed");
    diff.check(w + "assigned_at", text(a["assigned_at"]), text(b.assigned_at));
    diff.check(w + "lane", text(bag["lane_id"]), text(b.lane_id));
    diff.check(w + "finished_at", text(bag["finished_at"]), text(b.finished_at));
    diff.check(w + "loaded_at", text(bag["loaded_at"]), text(b.loaded_at));
    diff.check(w + "arrives_at", text(bag["arrives_at"]), text(b.arrives_at));
  }

  // The whole history, as multisets (see 2. at the top).
  std::vector<Logged> server = day.history, replay = history;
  std::sort(server.begin(), server.end());
  std::sort(replay.begin(), replay.end());
  std::vector<Logged> only_server, only_replay;
  std::set_difference(server.begin(), server.end(), replay.begin(), replay.end(),
                      std::back_inserter(only_server));
  std::set_difference(replay.begin(), replay.end(), server.begin(), server.end(),
                      std::back_inserter(only_replay));
  for (const auto& e : only_server) diff.note("history: only the server's: " + e.text());
  for (const auto& e : only_replay) diff.note("history: only the simulator's: " + e.text());
  return diff;
}

// A store's desk in memory holding one round's input, as the simulator's desk does.
class DeskInMemory : public store::DeskRecords {
 public:
  explicit DeskInMemory(store::DeskInput in) : in_(std::move(in)) {}
  store::Round run(const catalog::Store&, Timestamp, const store::Planner& plan) override {
    store::Round round;
    round.input = in_;
    round.plan = plan(in_);
    return round;
  }

 private:
  store::DeskInput in_;
};

catalog::Store the_store() {
  catalog::Store s;
  s.store_id = kStoreId;
  s.name = kStoreId;
  s.location = kStoreAt;
  s.promise_minutes = kPromiseMinutes;
  return s;
}

// Replays the round with store::run_round over the same packed orders and couriers and
// compares its plan with the trips the server stored.
Differences compare_dispatch(const ServerDay& day, const dispatch::Params& params) {
  Differences diff;
  store::DeskInput in;
  in.store = the_store();
  for (const auto& o : day.orders) {
    if (!o.spec->delivery) continue;
    if (!o.packed_at) {
      diff.note("order " + o.id + " was never packed");
      continue;
    }
    // promised_at as the simulator sets it: the promise from the moment of payment.
    in.parcels.push_back(
        {o.id, o.spec->door, *o.packed_at, o.paid_at + std::chrono::minutes(kPromiseMinutes)});
  }
  std::sort(in.parcels.begin(), in.parcels.end(), [](const auto& a, const auto& b) {
    return std::tie(a.promised_at, a.order_id) < std::tie(b.promised_at, b.order_id);
  });
  for (const auto& c : day.couriers) {
    store::CourierOnShift k;
    k.courier_id = c["courier_id"].get<std::string>();
    k.name = c["name"].get<std::string>();
    k.clocked_in_at = time_of(c["clocked_in_at"]);
    in.couriers.push_back(std::move(k));
  }
  std::sort(in.couriers.begin(), in.couriers.end(),
            [](const auto& a, const auto& b) { return a.courier_id < b.courier_id; });

  // The round's input: what the server read is what the simulator's desk holds.
  std::string server_parcels, replay_parcels;
  for (const auto& w : day.board_before["waiting"]) {
    server_parcels +=
        text(w["order_id"]) + "@" + text(w["packed_at"]) + "/" + text(w["promised_at"]) + " ";
  }
  for (const auto& p : in.parcels) {
    replay_parcels += p.order_id + "@" + text(p.ready_at) + "/" + text(p.promised_at) + " ";
  }
  diff.check("round input: packed orders (packed_at/promised_at)", server_parcels, replay_parcels);
  std::string server_couriers, replay_couriers;
  for (const auto& c : day.board_before["couriers"]) {
    server_couriers += text(c["courier_id"]) + ":" + text(c["state"]) + " ";
  }
  for (const auto& c : in.couriers) {
    replay_couriers +=
        c.courier_id + ":" + std::string(store::to_string(c.state(c.clocked_in_at))) + " ";
  }
  diff.check("round input: couriers", server_couriers, replay_couriers);

  if (day.trips.empty()) {
    diff.note("the server's round planned no trip");
    return diff;
  }
  const Timestamp now = day.trips.front().planned_at;
  for (const auto& t : day.trips) {  // one round planned them all
    if (t.planned_at != now) diff.note("the server's trips were planned at different times");
  }
  DeskInMemory desk(in);
  const store::Round round = store::run_round(desk, in.store, now, params);

  diff.check("trips planned", text(day.board_after["planned"]),
             std::to_string(round.plan.trips.size()));
  std::map<std::string, const StoredTrip*> server_trips;
  std::map<std::string, const dispatch::Trip*> replay_trips;
  for (const auto& t : day.trips) server_trips[t.courier_id] = &t;
  for (const auto& t : round.plan.trips) replay_trips[t.courier_id] = &t;
  std::set<std::string> couriers;
  for (const auto& [c, t] : server_trips) couriers.insert(c);
  for (const auto& [c, t] : replay_trips) couriers.insert(c);
  for (const auto& c : couriers) {
    const std::string w = "trip of " + c + " ";
    const auto s = server_trips.find(c);
    const auto r = replay_trips.find(c);
    std::string s_stops = "none", r_stops = "none";
    if (s != server_trips.end()) {
      s_stops.clear();
      for (const auto& stop : s->second->stops)
        s_stops += stop.order_id + "@" + text(stop.eta) + " ";
    }
    if (r != replay_trips.end()) {
      r_stops.clear();
      for (const auto& stop : r->second->stops)
        r_stops += stop.order_id + "@" + text(stop.eta) + " ";
    }
    diff.check(w + "stops (order@planned eta)", s_stops, r_stops);
    if (s == server_trips.end() || r == replay_trips.end()) continue;
    diff.check(w + "departs_at", text(s->second->departs_at), text(r->second->departs_at));
    diff.check(w + "returns_at", text(s->second->returns_at), text(r->second->returns_at));
    diff.check(w + "distance_m", std::to_string(s->second->distance_m),
               std::to_string(std::lround(r->second->distance_m)));
  }
  // And the orders left to wait for a companion.
  std::set<std::string> riding;
  for (const auto& t : round.plan.trips) {
    for (const auto& stop : t.stops) riding.insert(stop.order_id);
  }
  std::string server_left, replay_left;
  for (const auto& w : day.board_after["waiting"]) server_left += text(w["order_id"]) + " ";
  for (const auto& p : in.parcels) {
    if (!riding.count(p.order_id)) replay_left += p.order_id + " ";
  }
  diff.check("left waiting", server_left, replay_left);
  return diff;
}

// The dispatch parameters the server plans with: its settings, read by the same code.
dispatch::Params server_params() {
  const auto config = app::load_config(
      [](const std::string& name) -> std::optional<std::string> {
        if (name == "FRESHLANE_DATABASE_URL") return std::string("postgresql:///unused");
        if (const auto it = kServerEnv.find(name); it != kServerEnv.end()) return it->second;
        if (const char* v = std::getenv(name.c_str())) return std::string(v);  // inherited
        return std::nullopt;
      },
      app::Purpose::kDatabaseOnly);
  return app::delivery_params(config);
}

class Agreement : public ApiTest {
 protected:
  static void SetUpTestSuite() { start_suite(kServerEnv); }
  static void TearDownTestSuite() {
    delete day_;
    day_ = nullptr;
    ApiTest::TearDownTestSuite();
  }

  // The day, played once for the suite by whichever test asks first.
  static const ServerDay& day() {
    if (!day_) {
      day_ = new ServerDay;
      play(*day_);
      day_->played = !::testing::Test::HasFatalFailure();
    }
    return *day_;
  }

  static void play(ServerDay& d);

  inline static ServerDay* day_ = nullptr;
};

void Agreement::play(ServerDay& d) {
  const ServerProcess& srv = server();
  Shop shop{srv};
  const std::string store_path = "/v1/stores/" + kStoreId;
  shop.store(kStoreId, kStoreAt.lat, kStoreAt.lon, kPromiseMinutes);
  auto r = srv.admin("PUT", store_path + "/layout", layout_json().dump());
  ASSERT_EQ(r.status, 200) << r.body;
  d.layout = r.json();
  d.steps.push_back(make_step(Step::Kind::kLayout));  // its time comes from pick_events
  std::map<std::string, std::string> shelf;
  for (const auto& [product, zone] : kProducts) {
    shop.stock(kStoreId, sku(product), 100, 500, 72, zone);
    shelf[sku(product)] = srv.get(store_path + "/products/" + sku(product)).json()["shelf_code"];
  }

  // Three couriers on shift (delivery orders need one), two pickers.
  for (int i = 0; i < 3; ++i) {
    const Terminal courier{srv, shop.courier(kStoreId)};
    r = courier.post(store_path + "/couriers/clock-in");
    ASSERT_EQ(r.status, 200) << r.body;
    d.couriers.push_back(r.json());
  }
  struct Picker {
    Terminal terminal;
    std::string id;
    std::vector<std::string> zones;
    size_t zone = 0;
    std::deque<json> bags;  // the current trip's tasks not yet finished
    bool done = false;
  };
  std::vector<Picker> pickers;
  for (const std::vector<std::string>& zones :
       {std::vector<std::string>{"produce"}, std::vector<std::string>{"seafood", "bakery"}}) {
    Picker p{Terminal{srv, shop.staff(kStoreId, "picker")}, "", zones, 0, {}, false};
    r = p.terminal.post(store_path + "/pickers/clock-in", {{"zone", zones[0]}});
    ASSERT_EQ(r.status, 200) << r.body;
    p.id = r.json()["staff_id"];
    d.steps.push_back(clock_in_step(p.id, zones[0], time_of(r.json()["clocked_in_at"])));
    pickers.push_back(std::move(p));
  }

  // The orders, placed; then paid in order-id order (see 3. at the top).
  struct Placed {
    const OrderSpec* spec;
    std::string id, customer;
    long long total;
  };
  std::vector<Placed> placed;
  for (const auto& spec : kOrders) {
    const std::string customer = shop.customer();
    std::vector<std::pair<std::string, int>> lines;
    for (const auto& [product, q] : spec.lines) lines.emplace_back(sku(product), q);
    auto body = Shop::order_body(kStoreId, lines, spec.delivery ? "delivery" : "pickup");
    if (spec.delivery) {
      body["delivery"]["lat"] = spec.door.lat;
      body["delivery"]["lon"] = spec.door.lon;
    }
    r = shop.order(customer, body, "agree-" + spec.name);
    ASSERT_EQ(r.status, 201) << spec.name << ": " << r.body;
    placed.push_back({&spec, r.json()["order_id"], customer, r.json()["total_minor"]});
  }
  std::sort(placed.begin(), placed.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  for (const auto& p : placed) {
    r = shop.pay(p.id, p.total, "ev-" + p.id);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto order = Terminal{srv, p.customer}.get("/v1/orders/" + p.id).json();
    PaidOrder o{p.spec, p.id, time_of(order["payment"]["paid_at"]), std::nullopt, std::nullopt};
    if (!order["promised_at"].is_null()) o.promised_at = time_of(order["promised_at"]);
    d.orders.push_back(o);
    d.steps.push_back(order_step(Step::Kind::kPaid, p.id, o.paid_at));
  }

  // The pickers, turn about: a trip, or one bag of it (every line scanned, then finished).
  for (int turn = 0; turn < 200; ++turn) {
    bool all_done = true;
    for (auto& p : pickers) {
      if (p.done) continue;
      all_done = false;
      if (p.bags.empty()) {
        r = p.terminal.post(store_path + "/pick-tasks/next");
        if (r.status == 204) {
          d.steps.push_back(picker_step(Step::Kind::kNext, p.id, std::nullopt, json::array()));
          if (++p.zone == p.zones.size()) {
            p.done = true;
            continue;
          }
          r = p.terminal.post(store_path + "/pickers/clock-in", {{"zone", p.zones[p.zone]}});
          ASSERT_EQ(r.status, 200) << r.body;
          d.steps.push_back(
              clock_in_step(p.id, p.zones[p.zone], time_of(r.json()["clocked_in_at"])));
          continue;
        }
        ASSERT_EQ(r.status, 200) << r.body;
        const json tasks = r.json()["tasks"];
        ASSERT_FALSE(tasks.empty()) << r.body;
        d.steps.push_back(
            picker_step(Step::Kind::kNext, p.id, time_of(tasks[0]["assigned_at"]), tasks));
        for (const auto& t : tasks) p.bags.push_back(t);
        continue;
      }
      const json task = p.bags.front();
      p.bags.pop_front();
      const std::string id = task["task_id"];
      for (const auto& line : task["lines"]) {
        const std::string line_sku = line["sku"];
        const int q = line["quantity"];
        r = p.terminal.post("/v1/pick-tasks/" + id + "/scan",
                            {{"code", shelf.at(line_sku)}, {"quantity", q}});
        ASSERT_EQ(r.status, 200) << r.body;
        d.steps.push_back(scan_step(p.id, id, line_sku, q));
      }
      r = p.terminal.post("/v1/pick-tasks/" + id + "/finish");
      ASSERT_EQ(r.status, 200) << r.body;
      d.steps.push_back(picker_step(Step::Kind::kFinish, p.id,
                                    time_of(r.json()["bag"]["finished_at"]), r.json(), id));
    }
    if (all_done) break;
  }
  for (const auto& p : pickers) ASSERT_TRUE(p.done) << p.id << " never ran out of work";

  // The round by the clock that came with the first courier has run (nothing was packed then);
  // the next is 10 minutes away.
  pqxx::connection db(database_url());
  const auto wait_until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    pqxx::nontransaction tx(db);
    const auto runs =
        tx.exec1("SELECT runs FROM store_jobs WHERE job = 'dispatch' AND store_id = " +
                 tx.quote(kStoreId))[0]
            .as<long long>();
    if (runs >= 1) break;
    ASSERT_LT(std::chrono::steady_clock::now(), wait_until) << "no dispatch round by the clock";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // Pack every order once its bags are at packing (they ride 1-2 s, or wait for a lane).
  const Terminal packer{srv, shop.staff(kStoreId, "packer")};
  const auto pack_until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (auto& o : d.orders) {
    for (;;) {
      r = packer.post("/v1/orders/" + o.id + "/pack");
      if (r.status == 200) break;
      ASSERT_TRUE(is_problem(r, 409, "not_ready_to_pack")) << r.body;
      ASSERT_LT(std::chrono::steady_clock::now(), pack_until) << o.id << " never ready to pack";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    o.packed_at = time_of(r.json()["packed_at"]);
    d.steps.push_back(order_step(Step::Kind::kPack, o.id, *o.packed_at));
  }
  for (const auto& s : d.steps) {
    if (s.kind != Step::Kind::kNext) continue;
    for (const auto& t : s.answer) {
      const std::string id = t["task_id"];
      r = packer.get("/v1/pick-tasks/" + id);
      ASSERT_EQ(r.status, 200) << r.body;
      d.final_tasks[id] = r.json();
    }
  }

  // The floor's history as the server logged it; scans and the layout change take their
  // times from it.
  {
    pqxx::nontransaction tx(db);
    for (const auto& row :
         tx.exec("SELECT extract(epoch FROM at)::bigint, kind, coalesce(order_id, ''), "
                 "coalesce(task_id, ''), coalesce(picker_id, ''), coalesce(lane_id, ''), "
                 "coalesce(sku, ''), coalesce(quantity, 0) FROM pick_events WHERE store_id = " +
                 tx.quote(kStoreId) + " ORDER BY event_id")) {
      d.history.push_back({row[0].as<long long>(), row[1].as<std::string>(),
                           row[2].as<std::string>(), row[3].as<std::string>(),
                           row[4].as<std::string>(), row[5].as<std::string>(),
                           row[6].as<std::string>(), row[7].as<int>()});
    }
  }
  for (auto& s : d.steps) {
    for (const auto& e : d.history) {
      if ((s.kind == Step::Kind::kLayout && e.kind == "layout_changed") ||
          (s.kind == Step::Kind::kScan && e.kind == "item_picked" && e.task_id == s.task_id &&
           e.sku == s.sku)) {
        s.at = Timestamp(seconds(e.at));
      }
    }
    if (s.kind == Step::Kind::kLayout || s.kind == Step::Kind::kScan) {
      ASSERT_TRUE(s.at) << "no event in pick_events for a "
                        << (s.kind == Step::Kind::kScan ? "scan" : "layout");
    }
  }

  // One dispatch round, as a manager asks for it.
  r = srv.admin("GET", store_path + "/dispatch", "");
  ASSERT_EQ(r.status, 200) << r.body;
  d.board_before = r.json();
  r = srv.admin("POST", store_path + "/dispatch", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  d.board_after = r.json();
  {
    pqxx::nontransaction tx(db);
    for (const auto& row :
         tx.exec("SELECT trip_id, courier_id, extract(epoch FROM planned_at)::bigint, "
                 "extract(epoch FROM departs_at)::bigint, extract(epoch FROM returns_at)::bigint, "
                 "distance_m FROM trips WHERE store_id = " +
                 tx.quote(kStoreId) + " ORDER BY courier_id")) {
      StoredTrip t{row[1].as<std::string>(),
                   Timestamp(seconds(row[2].as<long long>())),
                   Timestamp(seconds(row[3].as<long long>())),
                   Timestamp(seconds(row[4].as<long long>())),
                   row[5].as<int>(),
                   {}};
      for (const auto& stop : tx.exec(
               "SELECT order_id, extract(epoch FROM eta)::bigint FROM trip_stops WHERE trip_id = " +
               tx.quote(row[0].as<std::string>()) + " ORDER BY seq")) {
        t.stops.push_back({stop[0].as<std::string>(), Timestamp(seconds(stop[1].as<long long>()))});
      }
      d.trips.push_back(std::move(t));
    }
  }
}

// A line per trip and per bag, to see what the day exercised.
void print_floor(const ServerDay& d) {
  std::map<std::string, std::string> name;
  for (const auto& o : d.orders) name[o.id] = o.spec->name;
  for (const auto& s : d.steps) {
    if (s.kind == Step::Kind::kNext && !s.answer.empty()) {
      std::cout << "[ day      ] " << s.picker << " trip:";
      for (const auto& t : s.answer)
        std::cout << " " << name[t["order_id"]] << "-" << text(t["zone"]);
      std::cout << "\n";
    }
    if (s.kind == Step::Kind::kFinish) {
      const std::string order = s.answer["order_id"];
      const auto& final_bag = d.final_tasks.at(s.task_id)["bag"];
      std::cout << "[ day      ]   bag " << name[order] << "-" << text(s.answer["zone"]) << " "
                << text(s.answer["state"]) << " → lane " << text(final_bag["lane_id"]) << " loaded "
                << text(final_bag["loaded_at"]) << "\n";
    }
  }
}

TEST_F(Agreement, PickingFloorGivesTheSameTripsLanesAndHistory) {
  const ServerDay& d = day();
  ASSERT_TRUE(d.played) << "the day could not be played through the API (see above)";
  print_floor(d);
  // The day exercised what it is meant to: batched trips, a zone switch, several lanes.
  size_t biggest_trip = 0;
  std::set<std::string> lanes;
  for (const auto& s : d.steps) {
    if (s.kind == Step::Kind::kNext) biggest_trip = std::max(biggest_trip, s.answer.size());
  }
  for (const auto& [id, t] : d.final_tasks) lanes.insert(text(t["bag"]["lane_id"]));
  EXPECT_GE(biggest_trip, 2u);
  EXPECT_GE(lanes.size(), 2u);
  EXPECT_EQ(d.final_tasks.size(), 12u);
  std::map<std::string, int> kinds;  // the history compared below is the whole day's
  for (const auto& e : d.history) ++kinds[e.kind];
  EXPECT_EQ(kinds["task_added"], 12);
  EXPECT_EQ(kinds["bag_loaded"], 12);
  EXPECT_EQ(kinds["bag_arrived"], 12);
  EXPECT_EQ(kinds["order_packed"], 9);
  std::cout << "[ day      ] " << d.steps.size() << " floor requests replayed, " << d.history.size()
            << " history events compared\n";

  const picking::Layout layout = layout_of(d.layout);
  const Differences diff = compare_floor(d, layout);
  EXPECT_TRUE(diff.empty()) << diff.lines.size() << " difference(s):\n" << diff.report();

  // The comparison sees a lane: the same day on a floor whose first two lanes are listed the
  // other way round does not agree (the first produce bag takes the first lane listed).
  picking::Layout swapped = layout;
  std::swap(swapped.lanes[0], swapped.lanes[1]);
  EXPECT_FALSE(compare_floor(d, swapped).empty());
}

TEST_F(Agreement, DispatchRoundGivesTheSameTripsAsTheDeskInMemory) {
  const ServerDay& d = day();
  ASSERT_TRUE(d.played) << "the day could not be played through the API (see above)";
  std::map<std::string, std::string> name;
  for (const auto& o : d.orders) name[o.id] = o.spec->name;
  for (const auto& t : d.trips) {
    std::cout << "[ day      ] courier " << t.courier_id << " rides:";
    for (const auto& s : t.stops) std::cout << " " << name[s.order_id];
    std::cout << "\n";
  }
  // Every paid delivery order's promise is the simulator's: paid_at + the store's promise.
  for (const auto& o : d.orders) {
    if (o.spec->delivery) {
      EXPECT_EQ(text(o.promised_at), text(o.paid_at + std::chrono::minutes(kPromiseMinutes)));
    }
  }
  const dispatch::Params params = server_params();
  const Differences diff = compare_dispatch(d, params);
  EXPECT_TRUE(diff.empty()) << diff.lines.size() << " difference(s):\n" << diff.report();
  // The east doors ride together, and so do the north ones.
  ASSERT_EQ(d.trips.size(), 2u);

  // The comparison sees a batch: one order a trip plans otherwise.
  dispatch::Params alone = params;
  alone.max_orders_per_trip = 1;
  EXPECT_FALSE(compare_dispatch(d, alone).empty());
}

}  // namespace
}  // namespace freshlane::testing
