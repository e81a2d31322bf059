#pragma once
// The picking floors this process runs: one engine per store, loaded from PostgreSQL on first
// use, each behind its own lock. Every change goes the same way: advance the engine to `now`,
// let it decide, record its decisions in one transaction, and only then answer. When recording
// fails the floor is dropped and reloaded from the database on next use, so memory never runs
// ahead of what is stored. One process owns the floors of the stores it serves.
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "freshlane/core/error.hpp"
#include "freshlane/http/metrics.hpp"
#include "freshlane/picking/engine.hpp"
#include "freshlane/storage/picking_repository.hpp"

namespace freshlane::api {

class PickingFloors {
 public:
  explicit PickingFloors(http::Metrics& metrics);  // registers the picking metrics

  // Runs `f(engine)` on the store's floor and returns what it returns. A core::Error thrown by
  // `f` (a refusal: the engine is unchanged) still lets the floor's own progress be recorded.
  template <typename F>
  auto with_floor(storage::Session& s, const std::string& store_id, core::Timestamp now, F&& f);

  // A freshly paid order's tasks join its store's floor.
  void admit(storage::Session& s, const std::string& order_id, core::Timestamp now);
  // Advances every floor: the ones in memory, and (first) those with live tasks in the
  // database, so a restarted server carries on before anyone calls.
  void tick(storage::Session& s, core::Timestamp now);

 private:
  struct Floor {
    std::mutex mu;
    std::unique_ptr<picking::Engine> engine;  // null until loaded, or after a failed record
  };
  struct Snapshot {
    int open = 0;
    int overdue = 0;
    std::vector<std::pair<std::string, double>> lane_occupancy;  // lane → in transit / capacity
  };

  Floor& floor(const std::string& store_id);
  void load(storage::Session& s, const std::string& store_id, Floor& f, core::Timestamp now);
  void record(storage::Session& s, const std::string& store_id, picking::Engine& engine);
  void snapshot(const std::string& store_id, const picking::Engine& engine, core::Timestamp now);

  http::Metrics& metrics_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Floor>> floors_;
  bool loaded_live_ = false;
  std::mutex stats_mu_;
  std::map<std::string, Snapshot> stats_;
};

template <typename F>
auto PickingFloors::with_floor(storage::Session& s, const std::string& store_id,
                               core::Timestamp now, F&& f) {
  Floor& fl = floor(store_id);
  std::lock_guard lock(fl.mu);
  try {
    if (!fl.engine) load(s, store_id, fl, now);
    fl.engine->advance(now);
    std::exception_ptr refused;
    std::optional<decltype(f(*fl.engine))> result;
    try {
      result.emplace(f(*fl.engine));
    } catch (const core::Error&) {
      refused = std::current_exception();
    }
    record(s, store_id, *fl.engine);
    if (refused) std::rethrow_exception(refused);
    return std::move(*result);
  } catch (const core::Error&) {
    throw;
  } catch (...) {
    fl.engine.reset();  // reload from the database, the truth, on next use
    throw;
  }
}

}  // namespace freshlane::api
