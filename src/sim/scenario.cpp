#include "freshlane/sim/scenario.hpp"

#include <cmath>
#include <cstdio>
#include <set>

namespace freshlane::sim {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& what) {
  throw ScenarioError(key + ": " + what);
}

// The object at `key` of `j` (an empty one when absent).
const json& object_at(const json& j, const char* key, const std::string& path) {
  static const json empty = json::object();
  if (!j.contains(key)) return empty;
  const json& v = j.at(key);
  if (!v.is_object()) bad(path + key, "must be an object");
  return v;
}

void reject_unknown(const json& j, const std::set<std::string>& known, const std::string& path) {
  for (const auto& [k, v] : j.items()) {
    if (!known.count(k)) bad(path + k, "is not a scenario key (see sim/README.md)");
  }
}

double number(const json& j, const char* key, double fallback, double lo, double hi,
              const std::string& path) {
  if (!j.contains(key)) return fallback;
  const json& v = j.at(key);
  if (!v.is_number()) bad(path + key, "must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < lo || d > hi) {
    bad(path + key, "must be between " + json(lo).dump() + " and " + json(hi).dump());
  }
  return d;
}

int integer(const json& j, const char* key, int fallback, int lo, int hi, const std::string& path) {
  if (!j.contains(key)) return fallback;
  const json& v = j.at(key);
  if (!v.is_number_integer()) bad(path + key, "must be a whole number");
  const auto n = v.get<long long>();
  if (n < lo || n > hi) {
    bad(path + key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return static_cast<int>(n);
}

Minute parse_minute(const json& v, const std::string& path) {
  if (!v.is_string()) bad(path, "must be a time \"HH:MM\"");
  const std::string s = v.get<std::string>();
  int h = -1, m = -1;
  char tail = 0;
  if (s.size() != 5 || std::sscanf(s.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 ||
      m < 0 || m > 59 || (h == 24 && m != 0)) {
    bad(path, "must be a time \"HH:MM\" between 00:00 and 24:00");
  }
  return h * 60 + m;
}

Minute minute(const json& j, const char* key, Minute fallback, const std::string& path) {
  if (!j.contains(key)) return fallback;
  return parse_minute(j.at(key), path + key);
}

template <typename F>
void each(const json& j, const char* key, const std::string& path, F&& f) {
  if (!j.contains(key)) return;
  const json& v = j.at(key);
  if (!v.is_array()) bad(path + key, "must be an array");
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = path + key + "[" + std::to_string(i) + "].";
    if (!v[i].is_object()) bad(at.substr(0, at.size() - 1), "must be an object");
    f(v[i], at);
  }
}

void check_span(Minute from, Minute to, const std::string& path) {
  if (to <= from) bad(path + "to", "must be after from");
}

picking::Layout parse_layout(const json& j, const std::string& path) {
  reject_unknown(
      j,
      {"zones", "lanes", "pick_deadline_seconds", "max_bags_per_trip", "small_task_units",
       "picker_timeout_seconds", "seconds_per_task", "seconds_per_unit"},
      path);
  picking::Layout l = picking::default_layout();
  if (j.contains("zones")) {
    if (!j.at("zones").is_array()) bad(path + "zones", "must be an array of zone names");
    l.zones.clear();
    for (const auto& z : j.at("zones")) {
      if (!z.is_string()) bad(path + "zones", "must be an array of zone names");
      l.zones.push_back(z.get<std::string>());
    }
  }
  if (j.contains("lanes")) {
    l.lanes.clear();
    each(j, "lanes", path, [&](const json& lane, const std::string& at) {
      reject_unknown(lane, {"lane_id", "capacity", "transit_seconds", "zones"}, at);
      picking::ConveyorLane c;
      if (!lane.contains("lane_id") || !lane.at("lane_id").is_string()) {
        bad(at + "lane_id", "must be a string");
      }
      c.lane_id = lane.at("lane_id").get<std::string>();
      c.capacity = integer(lane, "capacity", 12, 1, picking::kMaxLaneCapacity, at);
      c.transit = std::chrono::seconds(
          integer(lane, "transit_seconds", 90, 0, picking::kMaxTransitSeconds, at));
      if (!lane.contains("zones") || !lane.at("zones").is_array()) {
        bad(at + "zones", "must be an array of zone names");
      }
      for (const auto& z : lane.at("zones")) {
        if (!z.is_string()) bad(at + "zones", "must be an array of zone names");
        c.zones.push_back(z.get<std::string>());
      }
      l.lanes.push_back(std::move(c));
    });
  }
  l.pick_deadline = std::chrono::seconds(
      integer(j, "pick_deadline_seconds", int(l.pick_deadline.count()), 60, 7200, path));
  l.max_bags_per_trip =
      integer(j, "max_bags_per_trip", l.max_bags_per_trip, 1, picking::kMaxBagsPerTrip, path);
  l.small_task_units = integer(j, "small_task_units", l.small_task_units, 1, 100, path);
  l.picker_timeout = std::chrono::seconds(
      integer(j, "picker_timeout_seconds", int(l.picker_timeout.count()), 30, 3600, path));
  l.seconds_per_task = std::chrono::seconds(
      integer(j, "seconds_per_task", int(l.seconds_per_task.count()), 0, 3600, path));
  l.seconds_per_unit = std::chrono::seconds(
      integer(j, "seconds_per_unit", int(l.seconds_per_unit.count()), 0, 600, path));
  for (const auto& e : picking::validate(l)) bad(path + e.field, e.message);
  return l;
}

json layout_json(const picking::Layout& l) {
  json lanes = json::array();
  for (const auto& lane : l.lanes) {
    lanes.push_back({{"lane_id", lane.lane_id},
                     {"capacity", lane.capacity},
                     {"transit_seconds", lane.transit.count()},
                     {"zones", lane.zones}});
  }
  return {{"zones", l.zones},
          {"lanes", std::move(lanes)},
          {"pick_deadline_seconds", l.pick_deadline.count()},
          {"max_bags_per_trip", l.max_bags_per_trip},
          {"small_task_units", l.small_task_units},
          {"picker_timeout_seconds", l.picker_timeout.count()},
          {"seconds_per_task", l.seconds_per_task.count()},
          {"seconds_per_unit", l.seconds_per_unit.count()}};
}

}  // namespace

std::array<double, 24> lunch_dinner_profile() {
  //                     0  1  2  3  4  5  6  7  8  9  10 11 12  13 14 15 16 17 18  19  20 21 22 23
  return std::array<double, 24>{0,  0, 0, 0, 0, 0, 0,  1,  3, 4, 5, 8,
                                10, 7, 4, 4, 5, 9, 12, 12, 8, 4, 2, 1};
}

std::string format_minute(Minute m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", m / 60, m % 60);
  return buf;
}

Scenario parse_scenario(const json& j) {
  if (!j.is_object()) throw ScenarioError("the scenario must be a JSON object");
  reject_unknown(
      j, {"name", "seed", "store", "layout", "day", "demand", "staff", "speeds", "dispatch"}, "");
  Scenario s;
  if (j.contains("name")) {
    if (!j.at("name").is_string()) bad("name", "must be a string");
    s.name = j.at("name").get<std::string>();
  }
  if (j.contains("seed")) {
    if (!j.at("seed").is_number_unsigned()) bad("seed", "must be a whole number ≥ 0");
    s.seed = j.at("seed").get<std::uint64_t>();
  }

  const json& store = object_at(j, "store", "");
  reject_unknown(store, {"lat", "lon", "delivery_radius_m", "promise_minutes"}, "store.");
  s.store.lat = number(store, "lat", s.store.lat, -90, 90, "store.");
  s.store.lon = number(store, "lon", s.store.lon, -180, 180, "store.");
  s.store.delivery_radius_m =
      integer(store, "delivery_radius_m", s.store.delivery_radius_m, 100, 20000, "store.");
  s.store.promise_minutes =
      integer(store, "promise_minutes", s.store.promise_minutes, 10, 240, "store.");

  if (j.contains("layout")) s.layout = parse_layout(object_at(j, "layout", ""), "layout.");

  const json& day = object_at(j, "day", "");
  reject_unknown(day, {"opens", "closes"}, "day.");
  s.day.opens = minute(day, "opens", s.day.opens, "day.");
  s.day.closes = minute(day, "closes", s.day.closes, "day.");
  if (s.day.closes <= s.day.opens) bad("day.closes", "must be after day.opens");

  const json& demand = object_at(j, "demand", "");
  reject_unknown(demand,
                 {"orders", "profile", "surges", "fulfillment", "lines_per_order", "units_per_line",
                  "beyond_radius"},
                 "demand.");
  s.demand.orders = integer(demand, "orders", s.demand.orders, 0, 200000, "demand.");
  s.demand.profile = lunch_dinner_profile();
  s.demand.profile_name = "lunch_dinner";
  if (demand.contains("profile")) {
    const json& p = demand.at("profile");
    if (p.is_string()) {
      if (p.get<std::string>() != "lunch_dinner") {
        bad("demand.profile", "must be \"lunch_dinner\" or 24 hourly weights");
      }
    } else if (p.is_array() && p.size() == 24) {
      s.demand.profile_name.clear();
      for (size_t h = 0; h < 24; ++h) {
        if (!p[h].is_number() || !std::isfinite(p[h].get<double>()) || p[h].get<double>() < 0) {
          bad("demand.profile[" + std::to_string(h) + "]", "must be a weight ≥ 0");
        }
        s.demand.profile[h] = p[h].get<double>();
      }
    } else {
      bad("demand.profile", "must be \"lunch_dinner\" or 24 hourly weights");
    }
  }
  each(demand, "surges", "demand.", [&](const json& x, const std::string& at) {
    reject_unknown(x, {"from", "to", "factor"}, at);
    Surge surge;
    if (!x.contains("from") || !x.contains("to")) bad(at + "from", "from and to are required");
    surge.from = parse_minute(x.at("from"), at + "from");
    surge.to = parse_minute(x.at("to"), at + "to");
    check_span(surge.from, surge.to, at);
    surge.factor = number(x, "factor", 1, 0, 100, at);
    s.demand.surges.push_back(surge);
  });
  const json& f = object_at(demand, "fulfillment", "demand.");
  reject_unknown(f, {"delivery", "pickup", "in_store"}, "demand.fulfillment.");
  if (!f.empty()) {  // given: the shares not named are 0
    s.demand.delivery = number(f, "delivery", 0, 0, 1, "demand.fulfillment.");
    s.demand.pickup = number(f, "pickup", 0, 0, 1, "demand.fulfillment.");
    s.demand.in_store = number(f, "in_store", 0, 0, 1, "demand.fulfillment.");
    if (s.demand.delivery + s.demand.pickup + s.demand.in_store <= 0) {
      bad("demand.fulfillment", "must give at least one share above 0");
    }
  }
  s.demand.lines_per_order =
      number(demand, "lines_per_order", s.demand.lines_per_order, 1, 50, "demand.");
  s.demand.units_per_line =
      number(demand, "units_per_line", s.demand.units_per_line, 1, 20, "demand.");
  s.demand.beyond_radius = number(demand, "beyond_radius", s.demand.beyond_radius, 0, 1, "demand.");

  const json& staff = object_at(j, "staff", "");
  reject_unknown(staff, {"pickers", "couriers", "packers"}, "staff.");
  each(staff, "pickers", "staff.", [&](const json& x, const std::string& at) {
    reject_unknown(x, {"from", "to", "zone", "count"}, at);
    PickerShift p;
    p.from = minute(x, "from", s.day.opens, at);
    p.to = minute(x, "to", s.day.closes, at);
    check_span(p.from, p.to, at);
    if (!x.contains("zone") || !x.at("zone").is_string()) bad(at + "zone", "must be a zone name");
    p.zone = x.at("zone").get<std::string>();
    if (!s.layout.has_zone(p.zone)) bad(at + "zone", "is not a zone of the layout");
    p.count = integer(x, "count", 1, 0, 500, at);
    s.staff.pickers.push_back(p);
  });
  each(staff, "couriers", "staff.", [&](const json& x, const std::string& at) {
    reject_unknown(x, {"from", "to", "count"}, at);
    CourierShift c;
    c.from = minute(x, "from", s.day.opens, at);
    c.to = minute(x, "to", s.day.closes, at);
    check_span(c.from, c.to, at);
    c.count = integer(x, "count", 1, 0, 2000, at);
    s.staff.couriers.push_back(c);
  });
  s.staff.packers = integer(staff, "packers", s.staff.packers, 1, 200, "staff.");

  const json& d = object_at(j, "dispatch", "");
  reject_unknown(d, {"max_orders_per_trip", "batch_wait_seconds", "ride_spare"}, "dispatch.");
  s.dispatch.max_orders_per_trip =
      integer(d, "max_orders_per_trip", s.dispatch.max_orders_per_trip, 1, 10, "dispatch.");
  s.dispatch.batch_wait_seconds =
      integer(d, "batch_wait_seconds", s.dispatch.batch_wait_seconds, 0, 1800, "dispatch.");
  s.dispatch.ride_spare = number(d, "ride_spare", s.dispatch.ride_spare, 0, 1, "dispatch.");

  const json& sp = object_at(j, "speeds", "");
  reject_unknown(sp,
                 {"walk_seconds_per_trip", "pick_seconds_per_task", "pick_seconds_per_unit",
                  "courier_kmh", "courier_speed_spread", "handover_seconds", "pickup_seconds",
                  "packing_seconds", "collect_minutes"},
                 "speeds.");
  auto& v = s.speeds;
  v.walk_seconds_per_trip =
      integer(sp, "walk_seconds_per_trip", v.walk_seconds_per_trip, 0, 3600, "speeds.");
  v.pick_seconds_per_task =
      integer(sp, "pick_seconds_per_task", v.pick_seconds_per_task, 0, 3600, "speeds.");
  v.pick_seconds_per_unit =
      integer(sp, "pick_seconds_per_unit", v.pick_seconds_per_unit, 0, 600, "speeds.");
  v.courier_kmh = number(sp, "courier_kmh", v.courier_kmh, 1, 80, "speeds.");
  v.courier_speed_spread =
      number(sp, "courier_speed_spread", v.courier_speed_spread, 0, 0.9, "speeds.");
  v.handover_seconds = integer(sp, "handover_seconds", v.handover_seconds, 0, 3600, "speeds.");
  v.pickup_seconds = integer(sp, "pickup_seconds", v.pickup_seconds, 0, 3600, "speeds.");
  v.packing_seconds = integer(sp, "packing_seconds", v.packing_seconds, 1, 3600, "speeds.");
  v.collect_minutes = integer(sp, "collect_minutes", v.collect_minutes, 0, 600, "speeds.");
  return s;
}

json to_json(const Scenario& s) {
  json surges = json::array();
  for (const auto& x : s.demand.surges) {
    surges.push_back(
        {{"from", format_minute(x.from)}, {"to", format_minute(x.to)}, {"factor", x.factor}});
  }
  json pickers = json::array();
  for (const auto& p : s.staff.pickers) {
    pickers.push_back({{"from", format_minute(p.from)},
                       {"to", format_minute(p.to)},
                       {"zone", p.zone},
                       {"count", p.count}});
  }
  json couriers = json::array();
  for (const auto& c : s.staff.couriers) {
    couriers.push_back(
        {{"from", format_minute(c.from)}, {"to", format_minute(c.to)}, {"count", c.count}});
  }
  const auto& v = s.speeds;
  return {
      {"name", s.name},
      {"seed", s.seed},
      {"store",
       {{"lat", s.store.lat},
        {"lon", s.store.lon},
        {"delivery_radius_m", s.store.delivery_radius_m},
        {"promise_minutes", s.store.promise_minutes}}},
      {"layout", layout_json(s.layout)},
      {"day", {{"opens", format_minute(s.day.opens)}, {"closes", format_minute(s.day.closes)}}},
      {"demand",
       {{"orders", s.demand.orders},
        {"profile",
         s.demand.profile_name.empty() ? json(s.demand.profile) : json(s.demand.profile_name)},
        {"surges", std::move(surges)},
        {"fulfillment",
         {{"delivery", s.demand.delivery},
          {"pickup", s.demand.pickup},
          {"in_store", s.demand.in_store}}},
        {"lines_per_order", s.demand.lines_per_order},
        {"units_per_line", s.demand.units_per_line},
        {"beyond_radius", s.demand.beyond_radius}}},
      {"staff",
       {{"pickers", std::move(pickers)},
        {"couriers", std::move(couriers)},
        {"packers", s.staff.packers}}},
      {"dispatch",
       {{"max_orders_per_trip", s.dispatch.max_orders_per_trip},
        {"batch_wait_seconds", s.dispatch.batch_wait_seconds},
        {"ride_spare", s.dispatch.ride_spare}}},
      {"speeds",
       {{"walk_seconds_per_trip", v.walk_seconds_per_trip},
        {"pick_seconds_per_task", v.pick_seconds_per_task},
        {"pick_seconds_per_unit", v.pick_seconds_per_unit},
        {"courier_kmh", v.courier_kmh},
        {"courier_speed_spread", v.courier_speed_spread},
        {"handover_seconds", v.handover_seconds},
        {"pickup_seconds", v.pickup_seconds},
        {"packing_seconds", v.packing_seconds},
        {"collect_minutes", v.collect_minutes}}},
  };
}

}  // namespace freshlane::sim
