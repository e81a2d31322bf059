#pragma once
// What the picking floors show ops: paid-to-conveyor times, bags loaded, orders packed, and per
// store the open and overdue tasks and each lane's occupancy. Fed by every committed floor
// decision of this process (store::Floors' listener). Any process may decide for any store, so
// a store's gauges come from the process that decided for it last; they are dropped when no
// decision of this process touched the store for a minute (aggregate with max by store).
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "freshlane/http/metrics.hpp"
#include "freshlane/store/floors.hpp"

namespace freshlane::api {

class FloorMetrics {
 public:
  explicit FloorMetrics(http::Metrics& metrics);  // registers the metrics

  // For store::Floors: counts what a committed decision recorded and snapshots its floor.
  store::Floors::Listener listener();
  // The floors' own counters: decisions, engines rebuilt from the records, stale decisions.
  void watch(const store::Floors& floors);

 private:
  using Clock = std::chrono::steady_clock;
  struct Snapshot {
    int open = 0;
    int overdue = 0;
    std::vector<std::pair<std::string, double>> lane_occupancy;  // lane → in transit / capacity
    Clock::time_point taken;
  };
  void recorded(const std::string& store_id, const std::vector<picking::Event>& events,
                const picking::Engine& floor);

  http::Metrics& metrics_;
  std::mutex mu_;
  std::map<std::string, Snapshot> stats_;
};

}  // namespace freshlane::api
