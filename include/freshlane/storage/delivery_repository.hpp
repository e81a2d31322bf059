#pragma once
// Delivery: courier shifts and positions, trips and their stops, the delivery event log, and
// what the dispatcher, the quote and order tracking read. Every change is one transaction,
// and changes exactly the rows it means to from the state it expects.
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/core/crypto.hpp"
#include "freshlane/dispatch/dispatcher.hpp"
#include "freshlane/orders/order.hpp"
#include "freshlane/storage/order_repository.hpp"
#include "freshlane/storage/pool.hpp"
#include "freshlane/store/desk.hpp"

namespace freshlane::storage {

using CourierOnShift = store::CourierOnShift;
using DispatchInput = store::DeskInput;
using Round = store::Round;
using Planner = store::Planner;
using StaleRound = store::StaleRound;

struct StopRecord {
  int seq = 0;
  std::string order_id;
  core::LatLon at;
  std::string address;
  core::Timestamp eta;
  core::Timestamp promised_at;
  std::string state;  // planned, picked_up, delivered, failed, cancelled
  std::optional<core::Timestamp> done_at;
  std::string reason;  // failed deliveries
  // What the courier needs at the door (trips only; empty elsewhere).
  std::string customer_name;
  std::string customer_phone;
  std::string notes;
  int bags = 0;
};

struct TripRecord {
  std::string trip_id;
  std::string store_id;
  std::string courier_id;
  std::string courier_name;
  std::string state;  // assigned, en_route, done, cancelled
  core::Timestamp planned_at, departs_at, returns_at;
  std::optional<core::Timestamp> left_at, finished_at;
  int distance_m = 0;
  std::vector<StopRecord> stops;  // in visiting order
};

// What tracking shows beyond the order itself.
struct TrackingRecord {
  struct Event {
    std::string kind;  // pick_events' order_* kinds and delivery_events' kinds
    core::Timestamp at;
    std::string detail;
  };
  std::vector<Event> events;  // in time order
  std::optional<StopRecord> live_stop;
  std::optional<store::StopOnTrip> live_timing;  // the live stop with its trip's progress
  std::optional<CourierOnShift> courier;         // of the live trip
};

struct NotOnShift {};
struct NotYourOrder {};  // the order is on no live trip of this courier
using StopOutcome =
    std::variant<TripRecord, OrderNotFound, NotOnShift, NotYourOrder, InvalidTransition>;

// The customer's code offered at the door (a courier) or the counter (a packer or manager).
// Wrong codes are counted per order and per person in PostgreSQL, so every process sees one
// count: after `attempt_limit` wrong ones that person is locked out of the order's hand-over
// (even with the right code) until a manager of the store unlocks it.
struct CodeOffer {
  std::string code;
  std::string actor_id;  // the courier or staff member offering it
  const core::HandoverCodeKey* key = nullptr;
  int attempt_limit = 5;
  std::string actor_store_id;  // the store they work for
};
enum class CodeKind { kDoor, kCounter };
std::string_view to_string(CodeKind kind);  // "door", "counter"
// Refused unchecked: this person offered `attempt_limit` wrong codes for the order already. When
// `now` the offer was the wrong code that reached the limit.
struct CodeLocked {
  bool now = false;
};
using DeliverOutcome = std::variant<orders::Order, OrderNotFound, NotOnShift, NotYourOrder,
                                    InvalidTransition, WrongHandoverCode, CodeLocked>;
using CollectOutcome =
    std::variant<orders::Order, OrderNotFound, InvalidTransition, WrongHandoverCode, CodeLocked>;
// Who was locked out of an order's hand-over, and is no longer.
struct CodeUnlocked {
  std::string store_id;
  CodeKind kind = CodeKind::kCounter;
  std::vector<std::string> actor_ids;  // those who had reached the limit (none: nobody had)
};
using UnlockOutcome = std::variant<CodeUnlocked, OrderNotFound>;
enum class ClockOutOutcome { kClockedOut, kNotOnShift, kTripInProgress, kBagsToReturn };

// The bags of a failed delivery handed back at the store: the orders packed again.
struct BagsReturned {
  std::vector<std::string> order_ids;
};
using ReturnOutcome =
    std::variant<BagsReturned, OrderNotFound, NotOnShift, NotYourOrder, InvalidTransition>;

// The customer's choice after a failed delivery: not before `not_before` (none: as soon as
// possible).
struct RedeliveryRequest {
  std::string order_id;
  std::string customer_id;
  std::optional<core::Timestamp> not_before;
};
struct RedeliverySet {
  std::string store_id;
  bool changed = false;  // false: the same choice again (nothing moved)
};
using RedeliveryOutcome = std::variant<RedeliverySet, OrderNotFound, InvalidTransition>;

class DeliveryRepository {
 public:
  explicit DeliveryRepository(Session& session) : session_(session) {}

  // False when the courier was already on shift (nothing changes).
  bool clock_in(const std::string& store_id, const std::string& courier_id, core::Timestamp now);
  // A trip whose bags were not yet taken is cancelled (its orders wait for another courier).
  // Refused while bags are out: on the trip, or of a failed delivery not yet handed back.
  ClockOutOutcome clock_out(const std::string& store_id, const std::string& courier_id,
                            core::Timestamp now);
  // A courier of `store_id` on shift. Every courier method takes the courier's store, then the
  // courier (after the order where there is one; deliver: the offer's actor_store_id).
  std::optional<CourierOnShift> courier(const std::string& store_id, const std::string& courier_id);
  // Stores the position; the live trip's remaining stops get new ETAs from it, and a courier
  // at the store (within 150 m) hands back the bags of failed deliveries they carry and, riding
  // back, is back now. False when not on shift.
  bool report_position(const std::string& store_id, const std::string& courier_id, core::LatLon at,
                       core::Timestamp now, const dispatch::Params& p);

  DispatchInput dispatch_input(const catalog::Store& store, core::Timestamp now);
  // One dispatch round of the store as one transaction, serialized with every other round of
  // that store in any process (the store's dispatch desk is locked first): reads what the round
  // starts from, lets `plan` decide, writes the trips (state assigned) with a courier_assigned
  // event per order. Throws StaleRound, writing nothing, when a courier is no longer free or an
  // order no longer waiting.
  Round run_round(const catalog::Store& store, core::Timestamp now, const Planner& plan);

  std::vector<TripRecord> live_trips(const std::string& store_id);
  std::optional<TripRecord> current_trip(const std::string& store_id,
                                         const std::string& courier_id);

  // The courier takes the order's bags at the store: packed → out_for_delivery.
  StopOutcome pick_up(const std::string& order_id, const std::string& store_id,
                      const std::string& courier_id, core::Timestamp now,
                      const dispatch::Params& p);
  // At the door with the customer's code (the offer's actor is the courier):
  // out_for_delivery → delivered.
  DeliverOutcome deliver(const std::string& order_id, const CodeOffer& offer, core::Timestamp now,
                         const dispatch::Params& p);
  // At the pickup counter with the customer's code: ready_for_pickup → collected. Who may offer
  // it is the caller's to check.
  CollectOutcome collect(const std::string& order_id, const CodeOffer& offer, core::Timestamp now);
  // A manager's unlock: every count of wrong codes for the order starts again from nothing;
  // answers who had reached `attempt_limit`.
  UnlockOutcome unlock_code(const std::string& order_id, int attempt_limit);
  // Nobody took the bags: out_for_delivery → returning (the courier carries them back).
  StopOutcome fail(const std::string& order_id, const std::string& store_id,
                   const std::string& courier_id, const std::string& reason, core::Timestamp now,
                   const dispatch::Params& p);
  // The courier who failed to deliver `order_id` is at the store: every failed delivery's bags
  // they carry are handed back (returning → packed, planned again from now on), and a courier
  // riding back is back now.
  ReturnOutcome return_bags(const std::string& order_id, const std::string& store_id,
                            const std::string& courier_id, core::Timestamp now);
  // After a failed delivery (bags riding back or packed again, on no trip that took them): not
  // planned before the chosen time, the promise renewed from it. A stop planned and not picked
  // up is called off (and its trip, when left with no stop). The same choice again changes
  // nothing; "as soon as possible" when the order is already due changes nothing either.
  RedeliveryOutcome redeliver(const RedeliveryRequest& request, core::Timestamp now);
  // Flags orders of `store_id` seen late for the first time (`etas`: order → ETA, none when there
  // is none); returns the ones this call flagged (another process may have been first for the
  // rest).
  std::vector<std::string> flag_late(
      const std::string& store_id,
      const std::vector<std::pair<std::string, std::optional<core::Timestamp>>>& etas,
      core::Timestamp now);

  TrackingRecord tracking(const std::string& order_id);

 private:
  Session& session_;
};

// The store's dispatch desk kept in PostgreSQL (store::run_round's records).
class PgDeskRecords : public store::DeskRecords {
 public:
  explicit PgDeskRecords(Session& session) : session_(session) {}
  Round run(const catalog::Store& store, core::Timestamp now, const Planner& plan) override {
    return DeliveryRepository(session_).run_round(store, now, plan);
  }

 private:
  Session& session_;
};

}  // namespace freshlane::storage
