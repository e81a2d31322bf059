#include "freshlane/api/floor_metrics.hpp"

#include <algorithm>

namespace freshlane::api {

namespace {
constexpr const char* kPaidToConveyor = "freshlane_picking_paid_to_conveyor_seconds";
constexpr const char* kOrdersPacked = "freshlane_picking_orders_packed_total";
constexpr const char* kBagsLoaded = "freshlane_conveyor_bags_loaded_total";
constexpr auto kForgetAfter = std::chrono::minutes(1);
}  // namespace

FloorMetrics::FloorMetrics(http::Metrics& metrics) : metrics_(metrics) {
  metrics_.add_histogram(kPaidToConveyor,
                         "Seconds from payment to the order's last bag on a conveyor lane.",
                         {60, 120, 180, 240, 300, 420, 600, 900, 1200, 1800});
  metrics_.add_counter(kOrdersPacked, "Orders packed.");
  metrics_.add_counter(kBagsLoaded, "Bags hung on a conveyor lane.");
  // One sample per store (or per store and lane) from the latest snapshots.
  auto per_store = [this](auto value) {
    return [this, value] {
      std::lock_guard lock(mu_);
      const auto now = Clock::now();
      std::erase_if(stats_, [&](const auto& kv) { return now - kv.second.taken > kForgetAfter; });
      std::vector<http::Metrics::Sample> out;
      for (const auto& [store, snap] : stats_) value(store, snap, out);
      return out;
    };
  };
  metrics_.add_gauge_family("freshlane_picking_tasks_open",
                            "Pick tasks whose bag is not yet on a lane, by store.",
                            per_store([](const std::string& store, const Snapshot& s, auto& out) {
                              out.push_back({{{"store", store}}, double(s.open)});
                            }));
  metrics_.add_gauge_family("freshlane_picking_tasks_overdue",
                            "Pick tasks past their deadline, bag not yet on a lane.",
                            per_store([](const std::string& store, const Snapshot& s, auto& out) {
                              out.push_back({{{"store", store}}, double(s.overdue)});
                            }));
  metrics_.add_gauge_family("freshlane_conveyor_lane_occupancy",
                            "Bags in transit on a lane divided by its capacity.",
                            per_store([](const std::string& store, const Snapshot& s, auto& out) {
                              for (const auto& [lane, value] : s.lane_occupancy) {
                                out.push_back({{{"store", store}, {"lane", lane}}, value});
                              }
                            }));
}

store::Floors::Listener FloorMetrics::listener() {
  return [this](const std::string& store_id, const std::vector<picking::Event>& events,
                const picking::Engine& floor) { recorded(store_id, events, floor); };
}

void FloorMetrics::watch(const store::Floors& floors) {
  metrics_.add_counter_family(
      "freshlane_floor_decisions_total",
      "Decisions on store floors committed by this process, by how the floor was had: "
      "rebuilt from the database because another process wrote since (loaded); decisions "
      "voided by a record another process had changed (stale), and voided again on the rebuilt "
      "floor (stale_twice: records and engine disagree, a bug).",
      [&floors] {
        const auto s = floors.stats();
        return std::vector<http::Metrics::Sample>{
            {{{"outcome", "committed"}}, double(s.decisions)},
            {{{"outcome", "loaded"}}, double(s.loads)},
            {{{"outcome", "stale"}}, double(s.stale)},
            {{{"outcome", "stale_twice"}}, double(s.stale_twice)}};
      });
}

void FloorMetrics::recorded(const std::string& store_id, const std::vector<picking::Event>& events,
                            const picking::Engine& floor) {
  core::Timestamp last = events.front().at;
  for (const auto& e : events) {
    last = std::max(last, e.at);
    if (e.kind == picking::EventKind::kOrderOnConveyor) {
      metrics_.observe(kPaidToConveyor, e.quantity);
    }
    if (e.kind == picking::EventKind::kOrderPacked) metrics_.increment(kOrdersPacked);
    if (e.kind == picking::EventKind::kBagLoaded) metrics_.increment(kBagsLoaded);
  }
  Snapshot snap;
  const auto backlog = floor.backlog(last);
  snap.open = backlog.before_lane;
  snap.overdue = backlog.overdue;
  for (const auto& lane : floor.lanes(last)) {
    snap.lane_occupancy.emplace_back(lane.lane->lane_id,
                                     double(lane.in_transit) / double(lane.lane->capacity));
  }
  snap.taken = Clock::now();
  std::lock_guard lock(mu_);
  stats_[store_id] = std::move(snap);
}

}  // namespace freshlane::api
