#pragma once
// The dispatcher: packed delivery orders and the couriers who are free (or soon back at the
// store) in, proposed trips out. Pure and deterministic: the same input always gives the same
// plan, and time is a parameter.
//
// 1. Batching. Parcels are taken most urgent first (earliest promise). Each seeds a trip; more
//    parcels heading the same way (within 45° of its bearing from the store, or within 1 km of
//    its door) join, nearest first, up to max_orders_per_trip, but only while every parcel of
//    the trip stays on time. Parcels late even alone never join those: they batch only with
//    each other (an overloaded store clears its backlog with fewer trips).
// 2. Routing. Stops are visited nearest neighbour first, improved by 2-opt; when that breaks a
//    promise that earliest-promise-first keeps, the latter is used.
// 3. Assignment. Trips go to couriers (those free now or back within soon_returning; when trips
//    outnumber them, the most urgent trips compete) minimizing the number of late orders, then
//    total lateness, then distance (optimal assignment, Hungarian method). A batch is never
//    given to a courier with whom one of its orders would be late that would be on time riding
//    alone: such a trip waits for the next round.
#include <string>
#include <vector>

#include "freshlane/dispatch/route.hpp"

namespace freshlane::dispatch {

// A packed order waiting for a courier.
struct Parcel {
  std::string order_id;
  LatLon drop;
  Timestamp ready_at;  // packed
  Timestamp promised_at;
};

struct Courier {
  std::string courier_id;
  Timestamp available_at;  // can take bags at the store from then (in the past: waiting there)
  double to_store_m = 0;   // still to ride back to the store
};

struct Stop {
  std::string order_id;
  LatLon at;
  Timestamp eta;
  Timestamp promised_at;
  bool late() const { return eta > promised_at; }
};

struct Trip {
  std::string courier_id;
  Timestamp departs_at;  // the courier takes the bags at the store
  Timestamp returns_at;  // back at the store
  std::vector<Stop> stops;
  double distance_m = 0;  // store → stops → store
  int late() const;
  seconds lateness() const;
};

struct Plan {
  std::vector<Trip> trips;           // each with a courier
  std::vector<std::string> waiting;  // order ids left for a later round
};

Plan plan(LatLon store, const std::vector<Parcel>& parcels, const std::vector<Courier>& couriers,
          Timestamp now, const Params& p);

// The steps of plan(), public for tests, the simulator and benchmarks.

// A trip of `parcels` taking the bags at `departs`, stops routed, times filled in.
Trip make_trip(LatLon store, const std::vector<const Parcel*>& parcels, Timestamp departs,
               const Params& p);
// When a parcel riding alone, bags taken at `departs`, reaches its door.
Timestamp alone_arrival(LatLon store, LatLon drop, Timestamp departs, const Params& p);
// Groups of parcel indices, most urgent group first: parcels on time alone in groups all on time
// when taken at `departs`; parcels late even alone in groups of their own kind.
std::vector<std::vector<size_t>> batch(LatLon store, const std::vector<Parcel>& parcels,
                                       Timestamp departs, const Params& p);
// For each trip the index of its courier, or -1 (waits for a later round). Each courier gets at
// most one trip. A trip given to courier c is taken at max(now, c.available_at, its departs_at).
std::vector<int> assign(LatLon store, const std::vector<Trip>& trips,
                        const std::vector<Courier>& couriers, Timestamp now, const Params& p);
// The trip taken at `departs` instead: same stops in the same order, times shifted.
Trip retimed(Trip trip, Timestamp departs);

}  // namespace freshlane::dispatch
