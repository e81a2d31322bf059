#include "freshlane/dispatch/eta.hpp"

#include <algorithm>
#include <cmath>

namespace freshlane::dispatch {

namespace {
constexpr seconds kRetryWithoutStaff{300};  // nobody to pick or to ride
constexpr seconds kMinRetry{30};
constexpr seconds kMaxRetry{900};
}  // namespace

int Eta::minutes() const { return static_cast<int>((total().count() + 59) / 60); }

Eta estimate(double distance_m, const StoreLoad& load, const Params& p) {
  Eta e;
  e.queue = load.picking_backlog / std::max(1, load.pickers_on_shift);
  e.pick = load.pick;
  e.conveyor = load.conveyor;
  e.packing = load.packing;
  e.courier_known = load.courier_wait.has_value();
  e.courier_wait = load.courier_wait.value_or(seconds{0});
  e.ride = p.pickup_time + ride_time(distance_m, p);
  return e;
}

seconds still_ahead(const Eta& e, Stage stage) {
  switch (stage) {
    case Stage::kPaid:
      return e.total();
    case Stage::kPicking:
      return e.total() - e.queue;
    case Stage::kPacked:
      return e.courier_wait + e.ride;
  }
  return e.total();
}

std::optional<seconds> courier_wait(std::vector<Timestamp> available_at, int parcels_ahead,
                                    Timestamp ready_at, seconds round_trip, const Params& p) {
  if (available_at.empty()) return std::nullopt;
  std::sort(available_at.begin(), available_at.end());
  const size_t per_trip = static_cast<size_t>(std::max(1, p.max_orders_per_trip));
  const size_t trips_ahead = (static_cast<size_t>(std::max(0, parcels_ahead)) + per_trip - 1) /
                             per_trip;  // our order takes the next trip after these
  const size_t n = available_at.size();
  const Timestamp free_at =
      available_at[trips_ahead % n] + round_trip * static_cast<long long>(trips_ahead / n);
  return std::max(seconds{0}, free_at - ready_at);
}

Quote quote(const catalog::Store& store, LatLon door, const StoreLoad& load, const Params& p) {
  Quote q;
  const double d = core::distance_m(store.location, door);
  q.distance_m = static_cast<int>(std::lround(d));
  if (!store.delivers_within(d)) {
    q.reason = QuoteReason::kOutOfRange;
    return q;
  }
  if (store.delivery_paused_reason) {
    q.reason = QuoteReason::kPaused;
    return q;
  }
  q.eta = estimate(d, load, p);
  if (load.pickers_on_shift <= 0 || !q.eta.courier_known) {
    q.reason = QuoteReason::kStoreBusy;
    q.busy = load.pickers_on_shift <= 0 ? Busy::kNoPicker : Busy::kNoCourier;
    q.retry_after = kRetryWithoutStaff;
    return q;
  }
  q.eta_minutes = q.eta.minutes();
  const seconds promise{store.promise_minutes * 60LL};
  if (q.eta.total() > promise) {
    q.reason = QuoteReason::kStoreBusy;
    q.busy = Busy::kBeyondPromise;
    q.retry_after = std::clamp(q.eta.total() - promise, kMinRetry, kMaxRetry);
    return q;
  }
  q.deliverable = true;
  return q;
}

}  // namespace freshlane::dispatch
