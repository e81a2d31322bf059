#include "freshlane/store/desk.hpp"

#include <algorithm>
#include <cmath>

namespace freshlane::store {

CourierOnShift::State CourierOnShift::state(core::Timestamp now) const {
  if (trip_state == "assigned" || trip_state == "en_route") return State::kOnTrip;
  if (trip_state == "done" && returns_at && *returns_at > now) return State::kReturning;
  return State::kIdle;
}

core::Timestamp CourierOnShift::available_at(core::Timestamp now) const {
  const State s = state(now);
  if (s == State::kIdle) return now;
  core::Timestamp back = returns_at.value_or(now);
  if (s == State::kOnTrip && trip_state == "assigned" && departs_at && now > *departs_at) {
    back += now - *departs_at;  // the bags still wait for them: the whole trip moves on
  }
  return std::max(now, back);
}

std::string_view to_string(CourierOnShift::State s) {
  switch (s) {
    case CourierOnShift::State::kIdle:
      return "idle";
    case CourierOnShift::State::kOnTrip:
      return "on_trip";
    case CourierOnShift::State::kReturning:
      return "returning";
  }
  return "idle";
}

std::vector<dispatch::Parcel> leaving_now(const DeskInput& in, core::Timestamp now,
                                          const dispatch::Params& p) {
  const auto& store = in.store.location;
  std::vector<bool> held(in.parcels.size(), false);
  if (p.batch_wait > std::chrono::seconds{0}) {
    // Held only with room to spare: two minutes (a round more, a courier still walking to the
    // bags) and a fifth of the ride (a slower courier, traffic).
    constexpr auto kMargin = std::chrono::seconds(120);
    for (const auto& group : dispatch::batch(store, in.parcels, now, p)) {
      if (group.size() != 1) continue;
      const auto& x = in.parcels[group[0]];
      const auto until = x.ready_at + p.batch_wait;
      const auto ride = dispatch::ride_time(core::distance_m(store, x.drop), p);
      held[group[0]] =
          now < until &&
          dispatch::alone_arrival(store, x.drop, until + kMargin + ride / 5, p) <= x.promised_at;
    }
  }
  std::vector<dispatch::Parcel> out;
  for (size_t i = 0; i < in.parcels.size(); ++i) {
    if (!held[i]) out.push_back(in.parcels[i]);
  }
  return out;
}

dispatch::Plan plan_round(const DeskInput& in, core::Timestamp now, const dispatch::Params& p) {
  if (in.parcels.empty()) return {};
  std::vector<dispatch::Courier> couriers;
  for (const auto& c : in.couriers) {
    const auto state = c.state(now);
    if (state == CourierOnShift::State::kOnTrip) continue;
    const double to_store = state == CourierOnShift::State::kReturning && c.position
                                ? core::distance_m(*c.position, in.store.location)
                                : 0.0;
    couriers.push_back({c.courier_id, c.available_at(now), to_store});
  }
  if (couriers.empty()) return {};
  // Planned at a slower courier's speed: riders are not all average, and a trip planned to the
  // minute at the average speed is late with a slower one.
  dispatch::Params planning = p;
  planning.courier_speed_mps = p.courier_speed_mps / (1 + p.ride_spare);
  return dispatch::plan(in.store.location, leaving_now(in, now, p), couriers, now, planning);
}

Round run_round(DeskRecords& records, const catalog::Store& store, core::Timestamp now,
                const dispatch::Params& p) {
  const Planner planner = [&](const DeskInput& in) { return plan_round(in, now, p); };
  Round round;
  try {
    round = records.run(store, now, planner);
  } catch (const StaleRound&) {
    round = records.run(store, now, planner);  // once more, on what changed
  }
  round.on_shift = static_cast<int>(round.input.couriers.size());
  round.on_trip = static_cast<int>(round.plan.trips.size());
  for (const auto& c : round.input.couriers) {
    if (c.state(now) == CourierOnShift::State::kOnTrip) ++round.on_trip;
  }
  return round;
}

FloorLoad floor_load(const picking::Engine& floor, core::Timestamp now, const QuoteParams& q) {
  FloorLoad f;
  const auto backlog = floor.backlog(now);
  f.backlog = backlog.work;
  f.pickers = backlog.pickers;
  const auto& layout = floor.layout();
  f.pick = layout.seconds_per_task + layout.seconds_per_unit * q.typical_bag_units;
  long long slots = 0;
  for (const auto& lane : layout.lanes) {
    f.conveyor = std::max(f.conveyor, lane.transit);
    slots += lane.capacity;
  }
  // Bags finished and waiting for a free slot leave first: the lanes carry `slots` bags per
  // transit time.
  const auto waiting = static_cast<long long>(floor.waiting_bags().size());
  if (waiting > 0 && slots > 0) f.conveyor += f.conveyor * waiting / slots;
  f.packing = q.packing;
  if (q.packers > 0) {
    // Every order on the floor is packed before a quoted one (first ready, first packed); what
    // the packers cannot finish before its bags arrive is waited for.
    const auto queued = static_cast<long long>(floor.packing_queue().size());
    const std::chrono::seconds until_ready =
        backlog.work / std::max(1, backlog.pickers) + f.pick + f.conveyor;
    const std::chrono::seconds queue_work = q.packing * queued / q.packers;
    f.packing += std::max(std::chrono::seconds{0}, queue_work - until_ready);
  }
  return f;
}

dispatch::StoreLoad load_of(const FloorLoad& floor, const DeskInput& in, core::Timestamp now,
                            const dispatch::Params& p) {
  dispatch::StoreLoad load;
  load.picking_backlog = floor.backlog;
  load.pickers_on_shift = floor.pickers;
  load.pick = floor.pick;
  load.conveyor = floor.conveyor;
  load.packing = floor.packing;
  std::vector<core::Timestamp> free_at;
  free_at.reserve(in.couriers.size());
  for (const auto& c : in.couriers) free_at.push_back(c.available_at(now));
  const auto ready = now + dispatch::estimate(0, load, p).until_packed();
  // Couriers as the quote counts them: one order a trip (batching is a bonus, not a promise)
  // at a slower rider's speed, as trips are planned.
  dispatch::Params q = p;
  q.max_orders_per_trip = 1;
  q.courier_speed_mps = p.courier_speed_mps / (1 + p.ride_spare);
  const auto round_trip = q.pickup_time + q.handover_time * q.max_orders_per_trip +
                          2 * dispatch::ride_time(in.store.delivery_radius_m / 2.0, q);
  const int ahead = static_cast<int>(in.parcels.size()) + in.unpacked_delivery;
  load.courier_wait = dispatch::courier_wait(std::move(free_at), ahead, ready, round_trip, q);
  return load;
}

dispatch::StoreLoad load_of(const picking::Engine& floor, const DeskInput& in, core::Timestamp now,
                            const dispatch::Params& p, const QuoteParams& q) {
  return load_of(floor_load(floor, now, q), in, now, p);
}

}  // namespace freshlane::store
