#pragma once
// A store's day to simulate: the store, its floor, the demand, the staff and how fast they work.
// Read from JSON (sim/README.md documents every key and its default); written back with the
// same keys, so a planned staffing is a scenario anyone can simulate again.
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshlane/picking/layout.hpp"

namespace freshlane::sim {

// Minutes after midnight, written "HH:MM".
using Minute = int;

struct PickerShift {
  Minute from = 0, to = 0;
  std::string zone;
  int count = 1;
};

struct CourierShift {
  Minute from = 0, to = 0;
  int count = 1;
};

struct Surge {
  Minute from = 0, to = 0;
  double factor = 1;  // the demand's rate is multiplied by this between from and to
};

struct Scenario {
  std::string name = "store-day";
  std::uint64_t seed = 1;
  struct {
    double lat = 31.2304, lon = 121.4737;
    int delivery_radius_m = 3000;
    int promise_minutes = 30;
  } store;
  picking::Layout layout = picking::default_layout();
  struct {
    Minute opens = 8 * 60, closes = 22 * 60;
  } day;
  struct {
    int orders = 4000;                 // per day, before surges
    std::array<double, 24> profile{};  // hourly weights (hours outside opening count 0)
    std::string profile_name;          // "lunch_dinner" when named, "" when given as weights
    std::vector<Surge> surges;
    double delivery = 0.8, pickup = 0.1, in_store = 0.1;  // shares of orders
    double lines_per_order = 3.5;                         // mean, at least 1
    double units_per_line = 1.6;                          // mean, at least 1
    double beyond_radius = 0.03;  // share of delivery addresses outside the radius
  } demand;
  struct {
    std::vector<PickerShift> pickers;
    std::vector<CourierShift> couriers;
    int packers = 3;
  } staff;
  struct {
    int max_orders_per_trip = 3;
    int batch_wait_seconds = 240;  // dispatch::Params::batch_wait
    double ride_spare = 1.0 / 6;   // dispatch::Params::ride_spare
  } dispatch;
  struct {
    // A picker's trip: a walk through the zone, then per bag and per unit.
    int walk_seconds_per_trip = 45;
    int pick_seconds_per_task = 15;
    int pick_seconds_per_unit = 10;
    double courier_kmh = 15;
    double courier_speed_spread = 0.15;  // each courier rides at kmh × (1 ± up to this)
    int handover_seconds = 90;
    int pickup_seconds = 60;  // a courier taking the bags at the store
    int packing_seconds = 120;
    int collect_minutes = 20;  // a pickup customer arrives this long after packing (mean)
  } speeds;
};

class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Defaults for every key not given; ScenarioError names the first bad key.
Scenario parse_scenario(const nlohmann::json& j);
nlohmann::json to_json(const Scenario& s);

// The named profile: a lunch peak (11–13) and a larger dinner peak (17–20).
std::array<double, 24> lunch_dinner_profile();

std::string format_minute(Minute m);  // "08:30"

}  // namespace freshlane::sim
