#include "freshlane/api/dispatch_desks.hpp"

#include <algorithm>

#include "freshlane/storage/delivery_repository.hpp"
#include "freshlane/storage/floor_records.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"

namespace freshlane::api {

namespace {
constexpr const char* kPaidToDoor = "freshlane_delivery_paid_to_door_seconds";
constexpr const char* kDelivered = "freshlane_deliveries_total";
constexpr const char* kOnTime = "freshlane_deliveries_on_time_total";
constexpr const char* kTripsPlanned = "freshlane_dispatch_trips_planned_total";
constexpr const char* kLoadReads = "freshlane_store_load_reads_total";
constexpr const char* kFlaggedLate = "freshlane_delivery_orders_flagged_late_total";
constexpr int kTypicalBagUnits = 3;  // what a quote assumes an order's bag holds
constexpr auto kForgetAfter = std::chrono::minutes(1);
constexpr std::size_t kMaxSlots = 10'000;  // stores whose load is published, at most

// Whether a floor decision changed what a quote sums: the backlog, the pickers on shift, the
// layout, the orders waiting for a courier (a sign of life or a scanned item do not).
bool changes_load(const std::vector<picking::Event>& events) {
  using picking::EventKind;
  return std::any_of(events.begin(), events.end(), [](const picking::Event& e) {
    switch (e.kind) {
      case EventKind::kTaskAdded:
      case EventKind::kBagFinished:
      case EventKind::kTaskCancelled:
      case EventKind::kPickerClockedIn:
      case EventKind::kPickerClockedOut:
      case EventKind::kPickerTimedOut:
      case EventKind::kLayoutChanged:
      case EventKind::kOrderPacked:
        return true;
      default:
        return false;
    }
  });
}
}  // namespace

DispatchDesks::DispatchDesks(http::Metrics& metrics, store::Floors& floors, dispatch::Params params,
                             std::chrono::seconds packing, std::chrono::milliseconds fresh_for)
    : metrics_(metrics),
      floors_(floors),
      params_(params),
      packing_(packing),
      fresh_for_(fresh_for) {
  floors_.listen([this](const std::string& store_id, const auto& events, const auto&) {
    if (changes_load(events)) forget(store_id);
  });
  metrics_.add_histogram(kPaidToDoor, "Seconds from payment to the hand-over at the door.",
                         {600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3600, 5400, 7200});
  metrics_.add_counter(kDelivered, "Delivery orders handed over at the door.");
  metrics_.add_counter(kOnTime, "Delivery orders handed over at or before their promise.");
  metrics_.add_counter(kTripsPlanned, "Trips the dispatcher gave to couriers.");
  metrics_.add_counter(kFlaggedLate,
                       "Open delivery orders flagged as going to miss their promise (live ETA past "
                       "it, or nobody on shift to pick or ride them), each once across the fleet.");
  metrics_.add_counter(kLoadReads,
                       "Reads of a store's load (floor backlog, orders, couriers) from the "
                       "database: for a delivery order's admission, a dispatch board and a round "
                       "each, for quotes and tracking one per store and period however many ask.");
  metrics_.add_gauge("freshlane_delivery_on_time_ratio",
                     "Deliveries on time divided by deliveries, since start (1 before any).",
                     [this] {
                       std::lock_guard lock(mu_);
                       return delivered_ == 0 ? 1.0 : on_time_ / delivered_;
                     });
  auto per_store = [this](double (*value)(const Utilization&)) {
    return [this, value] {
      std::lock_guard lock(mu_);
      const auto now = Clock::now();
      std::erase_if(utilization_,
                    [&](const auto& kv) { return now - kv.second.at > kForgetAfter; });
      std::vector<http::Metrics::Sample> out;
      for (const auto& [store, u] : utilization_) out.push_back({{{"store", store}}, value(u)});
      return out;
    };
  };
  metrics_.add_gauge_family("freshlane_courier_utilization",
                            "Couriers on a trip divided by couriers on shift, by store (as of "
                            "this process's latest dispatch round of the store).",
                            per_store([](const Utilization& u) {
                              return u.on_shift == 0 ? 0.0 : double(u.on_trip) / u.on_shift;
                            }));
  metrics_.add_gauge_family("freshlane_couriers_on_shift",
                            "Couriers on shift, by store (as of this process's latest dispatch "
                            "round of the store).",
                            per_store([](const Utilization& u) { return double(u.on_shift); }));
  metrics_.add_gauge_family("freshlane_delivery_orders_late",
                            "Open delivery orders whose live ETA is past their promise (or that "
                            "nobody on shift can pick or ride), by store (as of this process's "
                            "latest dispatch round of the store).",
                            per_store([](const Utilization& u) { return double(u.late); }));
}

int DispatchDesks::run_round(storage::Session& s, const catalog::Store& store,
                             core::Timestamp now) {
  storage::PgDeskRecords records(s);
  const auto round = store::run_round(records, store, now, params_);
  const int planned = static_cast<int>(round.plan.trips.size());
  // The promises as they stand after the round: every late one counted, flagged once.
  const auto after = snapshot(s, store, now);
  std::vector<std::pair<std::string, std::optional<core::Timestamp>>> late;
  for (const auto& e : after.etas) {
    if (e.late()) late.emplace_back(e.order_id, e.eta);
  }
  const auto flagged = storage::DeliveryRepository(s).flag_late(store.store_id, late, now);
  Utilization u{round.on_shift, round.on_trip, static_cast<int>(late.size()), Clock::now()};
  s.after_commit([this, store_id = store.store_id, u, planned, flagged = flagged.size()] {
    if (planned > 0) {
      metrics_.increment(kTripsPlanned, planned);
      forget(store_id);
    }
    if (flagged > 0) metrics_.increment(kFlaggedLate, static_cast<double>(flagged));
    std::lock_guard lock(mu_);
    utilization_[store_id] = u;
  });
  return planned;
}

store::QuoteParams DispatchDesks::quote_params() const { return {packing_, 0, kTypicalBagUnits}; }

DispatchDesks::Snapshot DispatchDesks::snapshot(storage::Session& s, const catalog::Store& store,
                                                core::Timestamp now) {
  metrics_.increment(kLoadReads);
  auto in = storage::DeliveryRepository(s).dispatch_input(store, now);
  storage::PgFloorRecords records(s);
  return floors_.read(records, store.store_id, [&](const picking::Engine& e) {
    const auto q = quote_params();
    auto load = store::load_of(e, in, now, params_, q);
    auto etas = store::live_etas(e, in, now, params_, q);
    return Snapshot{std::move(in), load, std::move(etas)};
  });
}

store::FloorLoad DispatchDesks::floor_load(storage::Session& s, const std::string& store_id,
                                           core::Timestamp now) {
  storage::PgFloorRecords records(s);
  return floors_.read(records, store_id, [&](const picking::Engine& e) {
    return store::floor_load(e, now, quote_params());
  });
}

dispatch::StoreLoad DispatchDesks::load(storage::Session& s, const catalog::Store& store,
                                        const store::FloorLoad& floor, core::Timestamp now) {
  metrics_.increment(kLoadReads);
  return store::load_of(floor, storage::DeliveryRepository(s).dispatch_input(store, now), now,
                        params_);
}

bool DispatchDesks::fresh(const Slot& slot, Clock::time_point now) const {
  return (slot.published || slot.missing) && now - slot.at < fresh_for_;
}

DispatchDesks::PublishedPtr DispatchDesks::read_published(storage::Session& s,
                                                          const std::string& store_id) {
  const auto store = existing_store(s, store_id);
  auto read = snapshot(s, store, core::system_now());
  std::map<std::string, store::LiveEta> etas;
  for (auto& e : read.etas) etas.emplace(e.order_id, std::move(e));
  return std::make_shared<const Published>(Published{store, read.load, std::move(etas)});
}

void DispatchDesks::with_load(storage::Pool& pool, const std::string& store_id, Use use) {
  PublishedPtr ready;
  std::exception_ptr missing;
  std::uint64_t generation = 0;
  bool first = false;
  {
    std::lock_guard lock(mu_);
    if (loads_.size() >= kMaxSlots && !loads_.count(store_id)) {  // fake store ids, say
      const auto now = Clock::now();
      std::erase_if(loads_, [&](const auto& kv) {
        return kv.second.waiting.empty() && !fresh(kv.second, now);
      });
    }
    Slot& slot = loads_[store_id];
    if (fresh(slot, Clock::now())) {
      ready = slot.published;
      missing = slot.missing;
    } else {
      first = slot.waiting.empty();
      generation = slot.generation;
      slot.waiting.push_back(std::move(use));
    }
  }
  if (ready || missing) return use(std::move(ready), std::move(missing));  // never under the lock
  if (!first) return;
  auto publish_read = [this, store_id, generation](PublishedPtr p, std::exception_ptr e) {
    publish(store_id, generation, std::move(p), std::move(e));
  };
  pool.submit(
      [this, store_id, publish_read](storage::Session& s) {
        PublishedPtr published;
        std::exception_ptr error;
        try {
          published = read_published(s, store_id);
        } catch (...) {
          error = std::current_exception();
        }
        publish_read(std::move(published), std::move(error));
      },
      [publish_read] {
        publish_read(nullptr, std::make_exception_ptr(core::Error(
                                  core::ErrorKind::kUnavailable,
                                  "the service is busy; retry after the indicated delay")));
      });
}

void DispatchDesks::publish(const std::string& store_id, std::uint64_t generation,
                            PublishedPtr published, std::exception_ptr error) {
  std::vector<Use> waiting;
  {
    std::lock_guard lock(mu_);
    Slot& slot = loads_[store_id];
    waiting.swap(slot.waiting);
    if (generation == slot.generation) {  // nothing of this process changed it meanwhile
      bool not_found = false;
      try {
        if (error) std::rethrow_exception(error);
      } catch (const core::Error& e) {
        not_found = e.kind() == core::ErrorKind::kNotFound;
      } catch (...) {
      }
      if (published || not_found) {
        slot.published = published;
        slot.missing = not_found ? error : nullptr;
        slot.at = Clock::now();
      }
    }
    if (!slot.published && !slot.missing) loads_.erase(store_id);
  }
  for (auto& use : waiting) use(published, error);
}

void DispatchDesks::forget(const std::string& store_id) {
  std::lock_guard lock(mu_);
  const auto it = loads_.find(store_id);
  if (it == loads_.end()) return;
  ++it->second.generation;
  it->second.published = nullptr;
  it->second.missing = nullptr;
}

DispatchDesks::PublishedPtr DispatchDesks::load_for_reading(storage::Session& s,
                                                            const std::string& store_id) {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    const auto it = loads_.find(store_id);
    if (it != loads_.end() && fresh(it->second, Clock::now()) && it->second.published) {
      return it->second.published;
    }
    if (it != loads_.end()) generation = it->second.generation;
  }
  auto published = read_published(s, store_id);
  std::lock_guard lock(mu_);
  Slot& slot = loads_[store_id];
  if (slot.generation == generation) {
    slot.published = published;
    slot.missing = nullptr;
    slot.at = Clock::now();
  }
  return published;
}

void DispatchDesks::delivered(const orders::Order& o, core::Timestamp now) {
  const bool on_time = o.promised_at && now <= *o.promised_at;
  metrics_.increment(kDelivered);
  if (on_time) metrics_.increment(kOnTime);
  if (o.paid_at) {
    metrics_.observe(kPaidToDoor, std::chrono::duration<double>(now - *o.paid_at).count());
  }
  std::lock_guard lock(mu_);
  delivered_ += 1;
  on_time_ += on_time ? 1 : 0;
}

}  // namespace freshlane::api
