#pragma once
// The delivery quote: how far the door is, whether the store delivers there, and when an order
// paid now would arrive, summed from what really stands between now and the door. Pure.
#include <optional>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/dispatch/route.hpp"

namespace freshlane::dispatch {

// What the store looks like now (from the picking floor and the couriers on shift).
struct StoreLoad {
  seconds picking_backlog{0};  // estimated pick time of the bags not yet picked
  int pickers_on_shift = 0;    // the backlog is shared among them (none: nobody picks; the
                               // estimate assumes one, the quote refuses)
  seconds pick{0};             // picking this order's bag
  seconds conveyor{0};         // the slowest lane's transit
  seconds packing{0};
  std::optional<seconds> courier_wait;  // none when no courier is on shift
};

// The parts of an ETA, in the order they happen.
struct Eta {
  seconds queue{0};         // bags ahead in the zones, shared among the pickers
  seconds pick{0};          // picking this order
  seconds conveyor{0};      // the bag's ride to packing
  seconds packing{0};       // packing
  seconds courier_wait{0};  // until a courier takes the bags
  seconds ride{0};          // taking the bags, then riding to the door
  bool courier_known = false;
  seconds until_packed() const { return queue + pick + conveyor + packing; }
  seconds total() const { return until_packed() + courier_wait + ride; }
  int minutes() const;  // rounded up
};

Eta estimate(double distance_m, const StoreLoad& load, const Params& p);

// Of an order's ETA, what still lies ahead at each stage before a courier takes it: paid (all
// of it), picking (no queue left), packed (the courier wait and the ride).
enum class Stage { kPaid, kPicking, kPacked };
seconds still_ahead(const Eta& e, Stage stage);

// How long an order ready at `ready_at` waits for a courier: couriers on shift are free from
// `available_at` (one entry each), and `parcels_ahead` packed orders leave first, filling trips
// of max_orders_per_trip; a courier takes another trip after `round_trip`. None without couriers.
std::optional<seconds> courier_wait(std::vector<Timestamp> available_at, int parcels_ahead,
                                    Timestamp ready_at, seconds round_trip, const Params& p);

enum class QuoteReason { kNone, kOutOfRange, kStoreBusy, kPaused };
// Why a store is busy.
enum class Busy { kNone, kNoPicker, kNoCourier, kBeyondPromise };

struct Quote {
  bool deliverable = false;
  int distance_m = 0;
  std::optional<int> eta_minutes;  // none out of range, or without a picker or courier on shift
  QuoteReason reason = QuoteReason::kNone;
  Busy busy = Busy::kNone;
  Eta eta;
  // For store_busy: when asking again may give a better answer.
  seconds retry_after{0};
};

// Outside the radius (strictly farther than delivery_radius_m): out_of_range. No picker on
// shift (nobody would pick the order), no courier on shift, or an ETA beyond the store's
// promise: store_busy.
Quote quote(const catalog::Store& store, LatLon door, const StoreLoad& load, const Params& p);

}  // namespace freshlane::dispatch
