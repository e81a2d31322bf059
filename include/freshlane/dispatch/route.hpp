#pragma once
// Riding between the store and customers' doors: travel times and the order in which a courier
// visits a trip's stops. Pure: no I/O, no clock.
#include <chrono>
#include <vector>

#include "freshlane/core/geo.hpp"
#include "freshlane/core/time.hpp"

namespace freshlane::dispatch {

using core::LatLon;
using core::Timestamp;
using std::chrono::seconds;

// How couriers ride and how the dispatcher plans. Every field is configurable (app/config).
struct Params {
  int max_orders_per_trip = 3;
  double courier_speed_mps = 15.0 / 3.6;  // an e-bike in city traffic
  double detour_factor = 1.3;             // streets are longer than the great circle
  seconds pickup_time{60};                // taking the bags at the store
  seconds handover_time{90};              // at each door: stairs, the code, the hand-over
  seconds soon_returning{600};            // couriers back within this are planned for
  // A packed parcel that no waiting parcel could ride with, and that would still be on time
  // riding alone after it, waits up to this long after packing for one (store::plan_round).
  seconds batch_wait{240};
  // Trips are planned at courier_speed_mps / (1 + ride_spare) (store::plan_round): couriers
  // are not all average riders.
  double ride_spare = 1.0 / 6;
};

// Riding time along the streets for a great-circle distance.
seconds ride_time(double distance_m, const Params& p);

// Length in metres of start → stops[order[0]] → … → stops[order.back()], and back to start
// when `round_trip`.
double path_length(LatLon start, const std::vector<LatLon>& stops, const std::vector<size_t>& order,
                   bool round_trip);

// Visiting order: from the start, always the nearest stop not yet visited (ties: lower index).
std::vector<size_t> nearest_neighbour(LatLon start, const std::vector<LatLon>& stops);
// Improves `order` by reversing segments while that shortens the round trip; never lengthens.
void two_opt(LatLon start, const std::vector<LatLon>& stops, std::vector<size_t>& order);
// Nearest neighbour improved by 2-opt.
std::vector<size_t> route(LatLon start, const std::vector<LatLon>& stops);

// When a courier leaving `start` at `leaves` reaches each stop of `order` (one per entry of
// `order`): riding plus a hand-over at each earlier door.
std::vector<Timestamp> arrivals(LatLon start, Timestamp leaves, const std::vector<LatLon>& stops,
                                const std::vector<size_t>& order, const Params& p);

}  // namespace freshlane::dispatch
