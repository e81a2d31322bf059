// A store's day on a virtual clock, timed: a 10,000-order day (the weekday scenario at 2.5 times
// its orders and staff) on one core, run three times; then `freshlane plan`'s search on the
// weekday (with --plan). Prints its figures; the targets are < 1 s per 10,000-order day and a
// plan under 60 s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "freshlane/sim/planner.hpp"
#include "freshlane/sim/simulator.hpp"

using namespace freshlane;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

int main(int argc, char** argv) {
  const char* path =
      argc > 1 && argv[1][0] != '-' ? argv[1] : FRESHLANE_SOURCE_DIR "/sim/weekday.json";
  const bool plan = argc > 1 && std::strcmp(argv[argc - 1], "--plan") == 0;
  std::ifstream in(path);
  const sim::Scenario weekday = sim::parse_scenario(nlohmann::json::parse(in));

  sim::Scenario big = weekday;
  big.demand.orders = 10'000;
  for (auto& p : big.staff.pickers) p.count = (p.count * 5 + 1) / 2;
  for (auto& c : big.staff.couriers) c.count = (c.count * 5 + 1) / 2;
  big.staff.packers = (big.staff.packers * 5 + 1) / 2;

  for (const sim::Scenario* s : {&weekday, static_cast<const sim::Scenario*>(&big)}) {
    std::vector<double> walls;
    sim::Result r;
    for (int i = 0; i < 3; ++i) {
      const auto t = std::chrono::steady_clock::now();
      r = sim::simulate(*s);
      walls.push_back(seconds_since(t));
    }
    std::sort(walls.begin(), walls.end());
    const double wall = walls[1];
    std::printf(
        "sim_bench: %-22s %6d orders  median %.3f s of 3 (min %.3f)  %8.0f simulated orders/s  "
        "%7llu floor decisions  %9.0f decisions/s  on-time %.4f refused %.4f\n",
        s == &big ? "10k-order day (2.5x)" : "weekday", r.orders, wall, walls[0], r.orders / wall,
        static_cast<unsigned long long>(r.decisions), r.decisions / wall, r.on_time_ratio,
        r.refused_ratio);
  }
  if (plan) {
    const auto t = std::chrono::steady_clock::now();
    const auto p = sim::plan_staff(weekday, {0.98, 0.02});
    std::printf(
        "sim_bench: plan weekday: %s, %d simulations in %.1f s (%.2f s each), %.1f labour "
        "hours of pickers and couriers\n",
        p.met ? "targets met" : "targets NOT met", p.simulations, seconds_since(t),
        seconds_since(t) / p.simulations, p.labour_hours);
  }
  return 0;
}
