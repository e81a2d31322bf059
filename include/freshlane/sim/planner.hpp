#pragma once
// Staffing a store's day: the fewest pickers (per zone) and couriers per quarter hour that keep
// the targets, found by search over simulations of the day (see sim/README.md for how).
#include <functional>
#include <string>

#include "freshlane/sim/scenario.hpp"
#include "freshlane/sim/simulator.hpp"

namespace freshlane::sim {

struct Targets {
  double on_time = 0.98;      // delivered within the promise ÷ delivered, at least
  double max_refused = 0.02;  // store_busy refusals ÷ orders inside the radius, at most
};

struct PlanResult {
  Scenario scenario;  // the input with the planned staff
  Result result;      // its simulation
  bool met = false;   // both targets hold
  int simulations = 0;
  double labour_hours = 0;  // pickers + couriers (packers as given)
};

// `progress` (may be empty) hears one line per simulation tried.
PlanResult plan_staff(const Scenario& scenario, const Targets& targets,
                      const std::function<void(const std::string&)>& progress = {});

bool meets(const Result& r, const Targets& t);

}  // namespace freshlane::sim
