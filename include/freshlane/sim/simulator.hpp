#pragma once
// A store's whole day on a virtual clock. Orders arrive as the scenario's demand says; the
// store's own code decides everything the server would decide: the quote admits or refuses a
// delivery order (store::load_of, dispatch::quote), payment splits it into pick tasks
// (picking::split_order), and the floor (store::Floors over records kept in memory), the
// floor's clock and the dispatch desk's rounds (store::run_round) run at the server's cadence.
// What people do is played here: pickers walk and pick, packers pack, couriers ride (each at
// their own speed), hand over at the door and ride back.
//
// Deterministic: the same scenario and seed give the same report, byte for byte.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshlane/sim/scenario.hpp"

namespace freshlane::sim {

// How often the store's periodic work runs: the server's defaults (app/config.hpp).
struct Cadence {
  int floor_tick_seconds = 1;      // the floor's clock (FRESHLANE_FLOOR_TICK_MS)
  int dispatch_round_seconds = 3;  // a dispatch round (FRESHLANE_DISPATCH_INTERVAL_MS)
};

// Per quarter hour of the day (index 0 = 00:00–00:15), what the planner reads.
struct Quarter {
  int generated = 0, accepted = 0, refused_busy = 0;
  int delivered = 0, late = 0;  // by the quarter the order was paid in
  int pick_overdue = 0;         // orders paid then whose bags missed the pick deadline
  double picker_busy_s = 0, picker_shift_s = 0;
  double courier_busy_s = 0, courier_shift_s = 0;
};

struct Result {
  nlohmann::json report;  // see sim/README.md
  double on_time_ratio = 1;
  double refused_ratio = 0;  // store_busy refusals ÷ orders inside the radius
  std::vector<Quarter> quarters;
  // Seconds pickers of each zone spent on trips, per quarter hour (index as `quarters`).
  std::map<std::string, std::vector<double>> zone_busy_s;
  std::uint64_t decisions = 0;  // floor decisions taken
  int orders = 0;               // generated
};

Result simulate(const Scenario& scenario, std::optional<std::uint64_t> seed = std::nullopt,
                const Cadence& cadence = {});

}  // namespace freshlane::sim
