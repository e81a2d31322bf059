#include "freshlane/store/desk.hpp"

#include <algorithm>

namespace freshlane::store {

CourierOnShift::State CourierOnShift::state(core::Timestamp now) const {
  if (trip_state == "assigned" || trip_state == "en_route") return State::kOnTrip;
  if (trip_state == "done" && returns_at && *returns_at > now) return State::kReturning;
  return State::kIdle;
}

core::Timestamp CourierOnShift::available_at(core::Timestamp now) const {
  return state(now) == State::kIdle ? now : std::max(now, returns_at.value_or(now));
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
  return dispatch::plan(in.store.location, in.parcels, couriers, now, p);
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

dispatch::StoreLoad load_of(const picking::Engine& floor, const DeskInput& in,
                            core::Timestamp now, const dispatch::Params& p, const QuoteParams& q) {
  dispatch::StoreLoad load;
  const auto backlog = floor.backlog(now);
  load.picking_backlog = backlog.work;
  load.pickers_on_shift = backlog.pickers;
  const auto& layout = floor.layout();
  load.pick = layout.seconds_per_task + layout.seconds_per_unit * q.typical_bag_units;
  for (const auto& lane : layout.lanes) load.conveyor = std::max(load.conveyor, lane.transit);
  load.packing = q.packing;
  if (q.packers > 0) {  // the orders at (or on their way to) packing go first
    const auto queued = static_cast<long long>(floor.packing_queue().size());
    load.packing += q.packing * queued / q.packers;
  }
  std::vector<core::Timestamp> free_at;
  free_at.reserve(in.couriers.size());
  for (const auto& c : in.couriers) free_at.push_back(c.available_at(now));
  const auto ready = now + dispatch::estimate(0, load, p).until_packed();
  const auto round_trip = p.pickup_time + p.handover_time +
                          2 * dispatch::ride_time(in.store.delivery_radius_m / 2.0, p);
  const int ahead = static_cast<int>(in.parcels.size()) + in.unpacked_delivery;
  load.courier_wait = dispatch::courier_wait(std::move(free_at), ahead, ready, round_trip, p);
  return load;
}

}  // namespace freshlane::store
