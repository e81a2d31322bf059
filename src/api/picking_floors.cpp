#include "freshlane/api/picking_floors.hpp"

namespace freshlane::api {

namespace {
constexpr const char* kPaidToConveyor = "freshlane_picking_paid_to_conveyor_seconds";
constexpr const char* kOrdersPacked = "freshlane_picking_orders_packed_total";
constexpr const char* kBagsLoaded = "freshlane_conveyor_bags_loaded_total";
}  // namespace

PickingFloors::PickingFloors(http::Metrics& metrics) : metrics_(metrics) {
  metrics_.add_histogram(kPaidToConveyor,
                         "Seconds from payment to the order's last bag on a conveyor lane.",
                         {60, 120, 180, 240, 300, 420, 600, 900, 1200, 1800});
  metrics_.add_counter(kOrdersPacked, "Orders packed.");
  metrics_.add_counter(kBagsLoaded, "Bags hung on a conveyor lane.");
  // One sample per store (or per store and lane) from the snapshots the clock takes.
  auto per_store = [this](auto value) {
    return [this, value] {
      std::lock_guard lock(stats_mu_);
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

PickingFloors::Floor& PickingFloors::floor(const std::string& store_id) {
  std::lock_guard lock(mu_);
  auto& f = floors_[store_id];
  if (!f) f = std::make_unique<Floor>();
  return *f;
}

void PickingFloors::load(storage::Session& s, const std::string& store_id, Floor& f,
                         core::Timestamp now) {
  auto records = storage::PickingRepository(s).load_floor(store_id, now);
  auto engine =
      std::make_unique<picking::Engine>(records.layout.value_or(picking::default_layout()));
  for (auto& t : records.tasks) engine->restore_task(std::move(t));
  for (auto& p : records.pickers) engine->restore_picker(std::move(p));
  engine->release_orphans(now);
  f.engine = std::move(engine);
}

void PickingFloors::record(storage::Session& s, const std::string& store_id,
                           picking::Engine& engine) {
  const auto events = engine.take_events();
  storage::PickingRepository(s).record(store_id, events);
  for (const auto& e : events) {  // counted once stored, never for a decision rolled back
    if (e.kind == picking::EventKind::kOrderOnConveyor)
      metrics_.observe(kPaidToConveyor, e.quantity);
    if (e.kind == picking::EventKind::kOrderPacked) metrics_.increment(kOrdersPacked);
    if (e.kind == picking::EventKind::kBagLoaded) metrics_.increment(kBagsLoaded);
  }
}

void PickingFloors::snapshot(const std::string& store_id, const picking::Engine& engine,
                             core::Timestamp now) {
  Snapshot snap;
  const auto backlog = engine.backlog(now);
  snap.open = backlog.before_lane;
  snap.overdue = backlog.overdue;
  for (const auto& lane : engine.lanes(now)) {
    snap.lane_occupancy.emplace_back(lane.lane->lane_id,
                                     double(lane.in_transit) / double(lane.lane->capacity));
  }
  std::lock_guard lock(stats_mu_);
  stats_[store_id] = std::move(snap);
}

void PickingFloors::admit(storage::Session& s, const std::string& order_id, core::Timestamp now) {
  auto stored = storage::PickingRepository(s).live_tasks_of(order_id);
  if (stored.empty()) return;
  const std::string store_id = stored.front().store_id;
  std::vector<picking::PickTask> tasks;
  for (auto& st : stored) tasks.push_back(std::move(st.task));
  with_floor(s, store_id, now, [&](picking::Engine& e) {
    e.add_tasks(std::move(tasks));  // a floor loaded just now already has them: skipped
    return 0;
  });
}

void PickingFloors::tick(storage::Session& s, core::Timestamp now) {
  std::vector<std::string> stores;
  bool first = false;
  {
    std::lock_guard lock(mu_);
    first = !loaded_live_;
    for (const auto& [id, f] : floors_) stores.push_back(id);
  }
  if (first) {
    for (auto& id : storage::PickingRepository(s).stores_with_live_tasks()) stores.push_back(id);
    std::lock_guard lock(mu_);
    loaded_live_ = true;
  }
  std::sort(stores.begin(), stores.end());
  stores.erase(std::unique(stores.begin(), stores.end()), stores.end());
  for (const auto& id : stores) {
    with_floor(s, id, now, [&](picking::Engine& e) {
      snapshot(id, e, now);
      return 0;
    });
  }
}

}  // namespace freshlane::api
