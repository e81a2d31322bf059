#include "freshlane/api/dispatch_desks.hpp"

#include <algorithm>

#include "freshlane/storage/delivery_repository.hpp"
#include "freshlane/storage/store_repository.hpp"

namespace freshlane::api {

namespace {
constexpr const char* kPaidToDoor = "freshlane_delivery_paid_to_door_minutes";
constexpr const char* kDelivered = "freshlane_deliveries_total";
constexpr const char* kOnTime = "freshlane_deliveries_on_time_total";
constexpr const char* kTripsPlanned = "freshlane_dispatch_trips_planned_total";
constexpr int kTypicalBagUnits = 3;  // what a quote assumes an order's bag holds
}  // namespace

DispatchDesks::DispatchDesks(http::Metrics& metrics, PickingFloors& floors, dispatch::Params params,
                             std::chrono::seconds packing)
    : metrics_(metrics), floors_(floors), params_(params), packing_(packing) {
  metrics_.add_histogram(kPaidToDoor, "Minutes from payment to the hand-over at the door.",
                         {10, 15, 20, 25, 30, 35, 40, 45, 60, 90, 120});
  metrics_.add_counter(kDelivered, "Delivery orders handed over at the door.");
  metrics_.add_counter(kOnTime, "Delivery orders handed over at or before their promise.");
  metrics_.add_counter(kTripsPlanned, "Trips the dispatcher gave to couriers.");
  metrics_.add_gauge("freshlane_delivery_on_time_ratio",
                     "Deliveries on time divided by deliveries, since start (1 before any).",
                     [this] {
                       std::lock_guard lock(stats_mu_);
                       return delivered_ == 0 ? 1.0 : on_time_ / delivered_;
                     });
  auto per_store = [this](bool ratio) {
    return [this, ratio] {
      std::lock_guard lock(stats_mu_);
      std::vector<http::Metrics::Sample> out;
      for (const auto& [store, u] : utilization_) {
        const double v =
            ratio ? (u.on_shift == 0 ? 0.0 : double(u.on_trip) / u.on_shift) : double(u.on_shift);
        out.push_back({{{"store", store}}, v});
      }
      return out;
    };
  };
  metrics_.add_gauge_family("freshlane_courier_utilization",
                            "Couriers on a trip divided by couriers on shift, by store.",
                            per_store(true));
  metrics_.add_gauge_family("freshlane_couriers_on_shift", "Couriers on shift, by store.",
                            per_store(false));
}

std::mutex& DispatchDesks::desk(const std::string& store_id) {
  std::lock_guard lock(mu_);
  auto& m = desks_[store_id];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

int DispatchDesks::run_round(storage::Session& s, const catalog::Store& store,
                             core::Timestamp now) {
  std::lock_guard lock(desk(store.store_id));
  storage::DeliveryRepository repo(s);
  const auto in = repo.dispatch_input(store);
  std::vector<dispatch::Courier> couriers;
  Utilization u;
  for (const auto& c : in.couriers) {
    ++u.on_shift;
    const auto state = c.state(now);
    if (state == storage::CourierOnShift::State::kOnTrip) {
      ++u.on_trip;
      continue;
    }
    const double to_store = state == storage::CourierOnShift::State::kReturning && c.position
                                ? core::distance_m(*c.position, store.location)
                                : 0.0;
    couriers.push_back({c.courier_id, c.available_at(now), to_store});
  }
  int planned = 0;
  if (!in.parcels.empty() && !couriers.empty()) {
    const auto plan = dispatch::plan(store.location, in.parcels, couriers, now, params_);
    repo.save_plan(store.store_id, plan, now);
    planned = static_cast<int>(plan.trips.size());
    u.on_trip += planned;
    if (planned > 0) metrics_.increment(kTripsPlanned, planned);
  }
  std::lock_guard stats(stats_mu_);
  utilization_[store.store_id] = u;
  return planned;
}

void DispatchDesks::tick(storage::Session& s, core::Timestamp now) {
  const auto ids = storage::DeliveryRepository(s).stores_to_dispatch();
  {
    std::lock_guard stats(stats_mu_);  // stores whose last courier left report nothing
    std::erase_if(utilization_, [&](const auto& kv) {
      return std::find(ids.begin(), ids.end(), kv.first) == ids.end();
    });
  }
  for (const auto& id : ids) {
    if (const auto store = storage::StoreRepository(s).find(id)) run_round(s, *store, now);
  }
}

dispatch::StoreLoad DispatchDesks::load(storage::Session& s, const catalog::Store& store,
                                        core::Timestamp now) {
  dispatch::StoreLoad load;
  floors_.with_floor(s, store.store_id, now, [&](picking::Engine& e) {
    const auto backlog = e.backlog(now);
    load.picking_backlog = backlog.work;
    load.pickers_on_shift = backlog.pickers;
    const auto& layout = e.layout();
    load.pick = layout.seconds_per_task + layout.seconds_per_unit * kTypicalBagUnits;
    for (const auto& lane : layout.lanes) load.conveyor = std::max(load.conveyor, lane.transit);
    return 0;
  });
  load.packing = packing_;
  const auto in = storage::DeliveryRepository(s).dispatch_input(store);
  std::vector<core::Timestamp> free_at;
  for (const auto& c : in.couriers) free_at.push_back(c.available_at(now));
  const auto ready = now + dispatch::estimate(0, load, params_).until_packed();
  const auto round_trip = params_.pickup_time + params_.handover_time +
                          2 * dispatch::ride_time(store.delivery_radius_m / 2.0, params_);
  load.courier_wait = dispatch::courier_wait(
      std::move(free_at), static_cast<int>(in.parcels.size()), ready, round_trip, params_);
  return load;
}

void DispatchDesks::delivered(const orders::Order& o, core::Timestamp now) {
  const bool on_time = o.promised_at && now <= *o.promised_at;
  metrics_.increment(kDelivered);
  if (on_time) metrics_.increment(kOnTime);
  if (o.paid_at) metrics_.observe(kPaidToDoor, double((now - *o.paid_at).count()) / 60.0);
  std::lock_guard lock(stats_mu_);
  delivered_ += 1;
  on_time_ += on_time ? 1 : 0;
}

}  // namespace freshlane::api
