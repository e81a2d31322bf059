#pragma once
// A store's dispatch desk and the load its quote sums: the orchestration around the pure
// dispatcher and the ETA that the server (records in PostgreSQL) and the simulator (records in
// memory) share, so a store's day runs through one piece of code on either clock.
//
// A round reads the packed delivery orders waiting for a courier and the couriers on shift,
// plans with the dispatcher, and records the trips, as one unit of the desk's records that
// is serialized with every other round of the store. A unit whose plan met a courier or an
// order that had moved on records nothing (StaleRound) and is planned once more.
//
// Pure: no I/O (the records are a port, DeskRecords) and no clock (callers pass `now`).
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/dispatch/dispatcher.hpp"
#include "freshlane/dispatch/eta.hpp"
#include "freshlane/picking/engine.hpp"

namespace freshlane::store {

struct CourierOnShift {
  std::string courier_id;
  std::string name;
  core::Timestamp clocked_in_at;
  std::optional<core::LatLon> position;
  std::optional<core::Timestamp> position_at;
  std::string trip_id;     // the latest trip, "" for none
  std::string trip_state;  // assigned, en_route, done ("" for none)
  std::optional<core::Timestamp> returns_at;

  enum class State { kIdle, kOnTrip, kReturning };
  State state(core::Timestamp now) const;
  // When the courier can take bags at the store (now when idle).
  core::Timestamp available_at(core::Timestamp now) const;
};
std::string_view to_string(CourierOnShift::State s);

// What a round, and the quote, start from.
struct DeskInput {
  catalog::Store store;
  std::vector<dispatch::Parcel> parcels;  // packed delivery orders on no live trip
  std::vector<CourierOnShift> couriers;   // on shift, by id
  // Delivery orders admitted and not yet packed (placed and awaiting payment, paid, picking):
  // work the couriers are already promised to, ahead of any order quoted now.
  int unpacked_delivery = 0;
};

// What one round did: what it started from, the trips it gave out, and the couriers' use.
struct Round {
  DeskInput input;
  dispatch::Plan plan;
  int on_shift = 0;  // couriers on shift
  int on_trip = 0;   // ...of them on a trip once the round's trips are out
};
using Planner = std::function<dispatch::Plan(const DeskInput&)>;

// A round's plan met a courier or an order that had moved on: nothing of it was recorded.
class StaleRound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The port: where a store's desk is kept (PostgreSQL for the server, memory for the simulator).
class DeskRecords {
 public:
  virtual ~DeskRecords() = default;
  // One unit: reads the store's DeskInput, calls `plan` on it, records the trips (each courier
  // once, each order once). Throws StaleRound, recording nothing, when a courier is no longer
  // free or an order no longer waiting.
  virtual Round run(const catalog::Store& store, core::Timestamp now, const Planner& plan) = 0;
};

// What a round decides on `in`: couriers on a trip sit out, one riding back is offered from
// when they are back (and how far they still have to ride).
dispatch::Plan plan_round(const DeskInput& in, core::Timestamp now, const dispatch::Params& p);

// One round of the store's desk: planned and recorded as one unit, planned once more when the
// records had moved on (a second StaleRound is thrown to the caller).
Round run_round(DeskRecords& records, const catalog::Store& store, core::Timestamp now,
                const dispatch::Params& p);

// What the quote assumes about the store beyond its records.
struct QuoteParams {
  std::chrono::seconds packing{120};  // one order at the packing table
  int packers = 0;                    // packers on shift; 0: not known (no packing queue)
  int typical_bag_units = 3;          // what a quoted order's bag is assumed to hold
};

// Everything that stands between an order paid now and a customer's door: the floor's backlog
// and the pickers on shift to share it, the packing queue, and the couriers' real times back
// with every admitted delivery order (packed or not) leaving before this one.
dispatch::StoreLoad load_of(const picking::Engine& floor, const DeskInput& in,
                            core::Timestamp now, const dispatch::Params& p, const QuoteParams& q);

}  // namespace freshlane::store
