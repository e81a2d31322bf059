#pragma once
// Live ETAs: when each open delivery order of a store should reach its door, as the store
// stands now, so that one that will miss its promise is known as soon as the load says so, not
// once the promise has passed. The dispatch board, tracking and the desk's flag all read these.
//
// Pure: no I/O, no clock (callers pass `now`).
#include <optional>
#include <string>
#include <vector>

#include "freshlane/store/desk.hpp"

namespace freshlane::store {

struct LiveEta {
  std::string order_id;
  std::optional<core::Timestamp> eta;  // none: nobody on shift can pick or ride it now
  core::Timestamp promised_at;
  // It will miss its promise: the ETA is past it, or there is no ETA at all.
  bool late() const { return !eta || *eta > promised_at; }
};

// A stop on a live trip re-timed from its courier's real state: while the bags wait at the
// store past the trip's departure, every stop moves on by as long; once they are taken, a stop
// whose ETA has passed is due now at the earliest.
core::Timestamp live_stop_eta(const StopOnTrip& stop, core::Timestamp now);

// Every open delivery order of `in` with its ETA: parcels, coming orders and orders on trips.
//  - When its bags are ready to leave: picking, the floor's bags due before its own (earliest
//    deadline first) shared among the pickers on shift, then its own, the slowest lane and
//    packing (no ETA with bags to pick and no picker on shift); on a lane, when the last bag
//    arrives, then packing; packed, now; held or riding back, not before `not_before`.
//  - Then the couriers on shift (each from when really free) take the orders in the order they
//    are ready (most urgent first at a tie), up to max_orders_per_trip a trip together with
//    those ready by the time the courier leaves, and are free again after the ride to the
//    farthest door and back; an order's ETA is its trip's departure, taking the bags, and the
//    ride to its door. No courier on shift: no ETA.
//  - On a trip: the stop's ETA re-timed (live_stop_eta).
// Parcels first, then coming orders, then orders on trips, each in the order of `in`.
std::vector<LiveEta> live_etas(const picking::Engine& floor, const DeskInput& in,
                               core::Timestamp now, const dispatch::Params& p,
                               const QuoteParams& q);

}  // namespace freshlane::store
