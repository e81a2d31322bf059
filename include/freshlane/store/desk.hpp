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
  std::optional<core::Timestamp> departs_at;  // the latest trip's: when the bags were to be taken

  enum class State { kIdle, kOnTrip, kReturning };
  State state(core::Timestamp now) const;
  // When the courier can really take bags at the store: now when idle; riding back, when back;
  // on a trip, its return time, later by as long as its bags wait past the trip's departure
  // (not taken yet), and never before now.
  core::Timestamp available_at(core::Timestamp now) const;
};
std::string_view to_string(CourierOnShift::State s);

// A paid delivery order on no live trip that is not (yet) waiting for a courier now: its bags
// are being picked, ride back with a courier after a failed delivery, or wait at the store for
// the redelivery time the customer chose.
struct ComingOrder {
  enum class Stage { kPaid, kPicking, kReturning, kHeld };
  std::string order_id;
  Stage stage = Stage::kPaid;
  core::LatLon drop;
  core::Timestamp promised_at;
  // Not leaving before: the redelivery time (held), the courier's return with the bags
  // (returning; the later of the two when both).
  std::optional<core::Timestamp> not_before;
};

// A delivery order on a live trip, as its stop was last timed.
struct StopOnTrip {
  std::string order_id;
  core::Timestamp promised_at;
  core::Timestamp eta;         // planned, or re-timed from the courier's last position
  bool bags_taken = false;     // picked up: the trip is en route
  core::Timestamp departs_at;  // the trip's: when its courier was to take the bags
};

// What a round, and the quote, start from.
struct DeskInput {
  catalog::Store store;
  std::vector<dispatch::Parcel> parcels;  // packed delivery orders on no live trip, due now
  std::vector<CourierOnShift> couriers;   // on shift, by id
  // Delivery orders admitted that need a courier and are not parcels yet (placed and awaiting
  // payment, paid, picking, bags riding back, held for a later redelivery): work the couriers
  // are already promised to, ahead of any order quoted now.
  int unpacked_delivery = 0;
  std::vector<ComingOrder> coming;   // the paid ones of those, most urgent first
  std::vector<StopOnTrip> on_trips;  // open delivery orders on live trips
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

// The parcels a round plans now: all but those that no other waiting parcel could ride with and
// that can afford to wait for one (dispatch::Params::batch_wait after packing, still on time
// riding alone after it). Waiting a few minutes for a companion is what lets couriers carry two
// or three orders a trip instead of one.
std::vector<dispatch::Parcel> leaving_now(const DeskInput& in, core::Timestamp now,
                                          const dispatch::Params& p);

// What a round decides on `in`: couriers on a trip sit out, one riding back is offered from
// when they are back (and how far they still have to ride); trips are planned at a slower
// courier's speed (dispatch::Params::ride_spare), so their ETAs hold for most riders.
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

// The floor's part of a store's load: read from the floor alone, so that admission can take it
// before it locks the store's admission and reads the orders and couriers under the lock.
struct FloorLoad {
  std::chrono::seconds backlog{0};   // estimated pick time of the bags not yet picked
  int pickers = 0;                   // on shift
  std::chrono::seconds pick{0};      // a quoted order's bag
  std::chrono::seconds conveyor{0};  // the slowest lane
  std::chrono::seconds packing{0};   // packing, behind the orders queued there (when known)
};
FloorLoad floor_load(const picking::Engine& floor, core::Timestamp now, const QuoteParams& q);

// Everything that stands between an order paid now and a customer's door: the floor's backlog
// and the pickers on shift to share it, the packing queue, and the couriers' real times back
// with every admitted delivery order (packed or not) leaving before this one.
dispatch::StoreLoad load_of(const FloorLoad& floor, const DeskInput& in, core::Timestamp now,
                            const dispatch::Params& p);
dispatch::StoreLoad load_of(const picking::Engine& floor, const DeskInput& in, core::Timestamp now,
                            const dispatch::Params& p, const QuoteParams& q);

}  // namespace freshlane::store
