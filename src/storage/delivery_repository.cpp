#include "freshlane/storage/delivery_repository.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "freshlane/core/error.hpp"
#include "freshlane/core/ids.hpp"
#include "sql.hpp"

namespace freshlane::storage {

using orders::Status;

namespace {

constexpr double kAtStoreM = 150;  // a courier this close to the store is back

const Query kShiftStart{"delivery_shift_start", R"sql(
  INSERT INTO courier_shifts (store_id, courier_id, clocked_in_at) VALUES ($1, $2, to_timestamp($3))
  ON CONFLICT DO NOTHING)sql"};
const Query kShiftEnd{"delivery_shift_end", R"sql(
  UPDATE courier_shifts SET clocked_out_at = to_timestamp($2)
  WHERE store_id = $3 AND courier_id = $1 AND clocked_out_at IS NULL)sql"};
const Query kOnShift{"delivery_on_shift", R"sql(
  SELECT 1 FROM courier_shifts
  WHERE store_id = $2 AND courier_id = $1 AND clocked_out_at IS NULL)sql"};
const Query kLockLiveTrip{"delivery_lock_live_trip", R"sql(
  SELECT trip_id, state FROM trips
  WHERE store_id = $2 AND courier_id = $1 AND state IN ('assigned', 'en_route')
  FOR UPDATE)sql"};
const Query kCancelTrip{"delivery_cancel_trip", R"sql(
  UPDATE trips SET state = 'cancelled', finished_at = to_timestamp($2)
  WHERE store_id = $3 AND trip_id = $1)sql"};
const Query kCancelPlannedStops{"delivery_cancel_planned_stops", R"sql(
  UPDATE trip_stops SET state = 'cancelled', done_at = to_timestamp($2)
  WHERE store_id = $3 AND trip_id = $1 AND state = 'planned' RETURNING order_id)sql"};
const Query kInsertEvent{"delivery_event_insert", R"sql(
  INSERT INTO delivery_events (store_id, at, kind, order_id, trip_id, courier_id, detail)
  VALUES ($1, to_timestamp($2), $3, $4, $5, $6, $7))sql"};

#define FRESHLANE_COURIER_COLUMNS                                                              \
  "c.courier_id, c.name, extract(epoch FROM cs.clocked_in_at)::bigint, c.lat, c.lon, "         \
  "extract(epoch FROM c.position_at)::bigint, lt.trip_id, lt.state, "                          \
  "extract(epoch FROM lt.returns_at)::bigint, extract(epoch FROM lt.departs_at)::bigint "      \
  "FROM courier_shifts cs JOIN couriers c ON c.courier_id = cs.courier_id "                    \
  "LEFT JOIN LATERAL (SELECT t.trip_id, t.state, t.returns_at, t.departs_at FROM trips t "     \
  "WHERE t.courier_id = c.courier_id AND t.state <> 'cancelled' "                              \
  "ORDER BY t.planned_at DESC, t.trip_id DESC LIMIT 1) lt ON true WHERE cs.clocked_out_at IS " \
  "NULL "
const Query kCouriersOfStore{"delivery_couriers_of_store",
                             "SELECT " FRESHLANE_COURIER_COLUMNS
                             "AND cs.store_id = $1 ORDER BY c.courier_id"};
const Query kCourier{"delivery_courier", "SELECT " FRESHLANE_COURIER_COLUMNS
                                         "AND cs.store_id = $2 AND cs.courier_id = $1"};
#undef FRESHLANE_COURIER_COLUMNS

const Query kSetPosition{"delivery_set_position", R"sql(
  UPDATE couriers SET lat = $2, lon = $3, position_at = to_timestamp($4)
  WHERE store_id = $5 AND courier_id = $1
  RETURNING (SELECT s.lat FROM stores s WHERE s.store_id = couriers.store_id),
            (SELECT s.lon FROM stores s WHERE s.store_id = couriers.store_id))sql"};
const Query kBackAtStore{"delivery_back_at_store", R"sql(
  UPDATE trips SET returns_at = to_timestamp($2)
  WHERE store_id = $3 AND trip_id = $1 AND state = 'done' AND returns_at > to_timestamp($2))sql"};

// Every open delivery order of a store, most urgent first, with its live stop (if on a trip)
// and, riding back after a failed delivery, when its courier is due back. $1 store, $2 now.
const Query kOpenDelivery{"delivery_open_orders", R"sql(
  SELECT o.order_id, o.status, o.delivery_lat, o.delivery_lon,
         extract(epoch FROM COALESCE(o.packed_at, o.paid_at))::bigint,
         extract(epoch FROM o.promised_at)::bigint,
         extract(epoch FROM o.redelivery_after)::bigint,
         extract(epoch FROM back.returns_at)::bigint,
         s.state, extract(epoch FROM s.eta)::bigint, extract(epoch FROM t.departs_at)::bigint
  FROM orders o
  LEFT JOIN trip_stops s ON s.order_id = o.order_id AND s.state IN ('planned', 'picked_up')
  LEFT JOIN trips t ON t.trip_id = s.trip_id
  LEFT JOIN LATERAL (
    SELECT bt.returns_at FROM trip_stops f JOIN trips bt ON bt.trip_id = f.trip_id
    WHERE f.order_id = o.order_id AND f.state = 'failed' AND f.returned_at IS NULL
    ORDER BY f.done_at DESC LIMIT 1) back ON o.status = 'returning'
  WHERE o.store_id = $1 AND o.fulfillment = 'delivery'
    AND (o.status IN ('paid', 'picking', 'packed', 'out_for_delivery', 'returning')
         OR (o.status = 'pending_payment' AND o.payment_expires_at > to_timestamp($2)))
  ORDER BY o.promised_at NULLS LAST, o.order_id)sql"};
const Query kInsertTrip{"delivery_trip_insert", R"sql(
  INSERT INTO trips (trip_id, store_id, courier_id, state, planned_at, departs_at, returns_at,
                     distance_m)
  SELECT $1, $2, $3, 'assigned', to_timestamp($4), to_timestamp($5), to_timestamp($6), $7
  WHERE EXISTS (SELECT 1 FROM courier_shifts
                WHERE courier_id = $3 AND store_id = $2 AND clocked_out_at IS NULL)
    AND NOT EXISTS (SELECT 1 FROM trips
                    WHERE courier_id = $3 AND state IN ('assigned', 'en_route')))sql"};
const Query kInsertStop{"delivery_stop_insert", R"sql(
  INSERT INTO trip_stops (trip_id, store_id, seq, order_id, lat, lon, eta, promised_at, state)
  SELECT $1, o.store_id, $2, $3, o.delivery_lat, o.delivery_lon, to_timestamp($4), o.promised_at,
         'planned'
  FROM orders o WHERE o.store_id = $6 AND o.order_id = $3 AND o.status = 'packed'
    AND (o.redelivery_after IS NULL OR o.redelivery_after <= to_timestamp($5))
    AND NOT EXISTS (SELECT 1 FROM trip_stops s WHERE s.store_id = $6 AND s.order_id = $3
                    AND s.state IN ('planned', 'picked_up'))
  FOR UPDATE OF o)sql"};  // a redelivery choice meanwhile is seen (then: no row, StaleRound)
// A store's dispatch desk: its dispatch job's row, locked by the round's transaction, so two
// rounds of one store never plan at once, in any process.
const Query kLockDesk{"delivery_lock_desk", R"sql(
  SELECT 1 FROM store_jobs WHERE job = 'dispatch' AND store_id = $1 FOR UPDATE)sql"};

#define FRESHLANE_TRIP_COLUMNS                                                           \
  "t.trip_id, t.store_id, t.courier_id, c.name, t.state, extract(epoch FROM "            \
  "t.planned_at)::bigint, "                                                              \
  "extract(epoch FROM t.departs_at)::bigint, extract(epoch FROM t.returns_at)::bigint, " \
  "extract(epoch FROM t.left_at)::bigint, extract(epoch FROM t.finished_at)::bigint, "   \
  "t.distance_m "                                                                        \
  "FROM trips t JOIN couriers c ON c.courier_id = t.courier_id "
const Query kLiveTripsOfStore{"delivery_live_trips_of_store",
                              "SELECT " FRESHLANE_TRIP_COLUMNS
                              "WHERE t.store_id = $1 AND t.state IN ('assigned', 'en_route') "
                              "ORDER BY t.departs_at, t.trip_id"};
const Query kLiveTripOfCourier{"delivery_live_trip_of_courier",
                               "SELECT " FRESHLANE_TRIP_COLUMNS
                               "WHERE t.store_id = $2 AND t.courier_id = $1 "
                               "AND t.state IN ('assigned', 'en_route')"};
const Query kTrip{"delivery_trip", "SELECT " FRESHLANE_TRIP_COLUMNS "WHERE t.trip_id = $1"};
#undef FRESHLANE_TRIP_COLUMNS
const Query kStopsOfTrips{"delivery_stops_of_trips", R"sql(
  SELECT s.trip_id, s.seq, s.order_id, s.lat, s.lon, COALESCE(o.delivery_address, ''),
         extract(epoch FROM s.eta)::bigint, extract(epoch FROM s.promised_at)::bigint, s.state,
         extract(epoch FROM s.done_at)::bigint, COALESCE(s.reason, ''), c.name, c.phone,
         COALESCE(o.delivery_notes, ''),
         (SELECT count(*)::integer FROM pick_tasks p
          WHERE p.order_id = s.order_id AND p.state <> 'cancelled')
  FROM trip_stops s JOIN orders o ON o.order_id = s.order_id
  JOIN customers c ON c.customer_id = o.customer_id
  WHERE s.trip_id = ANY($1::text[]) ORDER BY s.trip_id, s.seq)sql"};

// The order's stop on a live trip, locked with its trip.
const Query kLockLiveStop{"delivery_lock_live_stop", R"sql(
  SELECT s.trip_id, s.seq, s.state, t.courier_id, t.store_id, s.lat, s.lon, st.lat, st.lon
  FROM trip_stops s JOIN trips t ON t.store_id = $2 AND t.trip_id = s.trip_id
  JOIN stores st ON st.store_id = t.store_id
  WHERE s.store_id = $2 AND s.order_id = $1 AND s.state IN ('planned', 'picked_up')
  FOR UPDATE OF s, t)sql"};
const Query kLockOrderStatus{"delivery_lock_order", R"sql(
  SELECT status, fulfillment FROM orders WHERE order_id = $1 FOR UPDATE)sql"};
const Query kSetOrderStatus{"delivery_set_order_status", R"sql(
  UPDATE orders SET status = $2, updated_at = now() WHERE store_id = $3 AND order_id = $1)sql"};
const Query kSetStop{"delivery_set_stop", R"sql(
  UPDATE trip_stops SET state = $3, done_at = to_timestamp($4), reason = $5
  WHERE store_id = $6 AND trip_id = $1 AND seq = $2)sql"};
const Query kTripLeft{"delivery_trip_left", R"sql(
  UPDATE trips SET state = 'en_route', left_at = COALESCE(left_at, to_timestamp($2))
  WHERE store_id = $3 AND trip_id = $1)sql"};
const Query kRemainingStops{"delivery_remaining_stops", R"sql(
  SELECT seq, lat, lon, state FROM trip_stops
  WHERE store_id = $2 AND trip_id = $1 AND state IN ('planned', 'picked_up') ORDER BY seq)sql"};
const Query kSetEta{"delivery_set_eta", R"sql(
  UPDATE trip_stops SET eta = to_timestamp($3)
  WHERE store_id = $4 AND trip_id = $1 AND seq = $2)sql"};
const Query kSetReturn{"delivery_set_return", R"sql(
  UPDATE trips SET returns_at = to_timestamp($2) WHERE store_id = $3 AND trip_id = $1)sql"};
const Query kTripDone{"delivery_trip_done", R"sql(
  UPDATE trips SET state = 'done', finished_at = to_timestamp($2), returns_at = to_timestamp($3)
  WHERE store_id = $4 AND trip_id = $1)sql"};
const Query kOrderExists{"delivery_order_exists", "SELECT 1 FROM orders WHERE order_id = $1"};

// Hand-over codes. Every offer for an order locks the order's row first: offers for one order
// queue there, whichever process serves them.
const Query kLockForHandover{"handover_lock_order", R"sql(
  SELECT o.status, o.fulfillment, o.store_id, o.handover_code_scheme,
         encode(o.handover_code_salt, 'hex'), encode(o.handover_code_hash, 'hex'),
         COALESCE(a.failures, 0)
  FROM orders o
  LEFT JOIN handover_code_attempts a ON a.order_id = o.order_id AND a.actor_id = $2
  WHERE o.order_id = $1 FOR UPDATE OF o)sql"};
// One more wrong code from this person for this order, counted by PostgreSQL in one statement.
const Query kCodeFailed{"handover_code_failed", R"sql(
  INSERT INTO handover_code_attempts AS a
    (order_id, actor_id, store_id, kind, failures, last_failed_at)
  VALUES ($1, $2, $3, $4, 1, to_timestamp($5))
  ON CONFLICT (order_id, actor_id, store_id) DO UPDATE
    SET failures = a.failures + 1, last_failed_at = excluded.last_failed_at
  RETURNING failures)sql"};
// Handed over: whatever was kept to check a code from before migration 0007 goes too.
const Query kHandedOver{"handover_done", R"sql(
  UPDATE orders SET status = $2, handed_over_at = to_timestamp($3), updated_at = now(),
                    handover_code_scheme = 'derived', handover_code_salt = NULL,
                    handover_code_hash = NULL
  WHERE store_id = $4 AND order_id = $1)sql"};
const Query kLockOrderOfCode{"handover_order_of_code", R"sql(
  SELECT store_id, fulfillment FROM orders WHERE order_id = $1 FOR UPDATE)sql"};
const Query kUnlockCode{"handover_unlock", R"sql(
  DELETE FROM handover_code_attempts WHERE store_id = $2 AND order_id = $1
  RETURNING actor_id, failures)sql"};

const Query kTrackingEvents{"delivery_tracking_events", R"sql(
  SELECT kind, extract(epoch FROM at)::bigint AS at, '' AS detail, event_id, 0 AS source
  FROM pick_events WHERE order_id = $1
    AND kind IN ('order_picking_started', 'order_on_conveyor', 'order_packed')
  UNION ALL
  SELECT kind, extract(epoch FROM at)::bigint, COALESCE(detail, ''), event_id, 1
  FROM delivery_events WHERE order_id = $1
  ORDER BY at, source, event_id)sql"};
const Query kLiveStopOfOrder{"delivery_live_stop_of_order", R"sql(
  SELECT s.trip_id, t.courier_id, t.state, extract(epoch FROM t.departs_at)::bigint, t.store_id
  FROM trip_stops s JOIN trips t ON t.trip_id = s.trip_id
  WHERE s.order_id = $1 AND s.state IN ('planned', 'picked_up'))sql"};

// The courier is at the store: the bags of every failed delivery they still carry are handed
// back, and those orders are packed again (planned again from now on). $1 courier, $2 now, $3
// the courier's store.
const Query kReturnBags{"delivery_return_bags", R"sql(
  WITH back AS (
    UPDATE trip_stops s SET returned_at = to_timestamp($2)
    FROM trips t
    WHERE s.store_id = $3 AND t.store_id = $3 AND t.trip_id = s.trip_id AND t.courier_id = $1
      AND s.state = 'failed' AND s.returned_at IS NULL
    RETURNING s.order_id, s.trip_id, t.store_id),
  repacked AS (
    UPDATE orders o SET status = 'packed', updated_at = now() FROM back
    WHERE o.store_id = $3 AND o.order_id = back.order_id AND o.status = 'returning'
    RETURNING o.order_id)
  INSERT INTO delivery_events (store_id, at, kind, order_id, trip_id, courier_id)
  SELECT back.store_id, to_timestamp($2), 'returned_to_store', back.order_id, back.trip_id, $1
  FROM back
  RETURNING order_id)sql"};
// Whether the courier still carries bags of a failed delivery.
const Query kBagsOut{"delivery_bags_out", R"sql(
  SELECT 1 FROM trip_stops s JOIN trips t ON t.store_id = $2 AND t.trip_id = s.trip_id
  WHERE s.store_id = $2 AND t.courier_id = $1 AND s.state = 'failed' AND s.returned_at IS NULL
  LIMIT 1)sql"};
// The failed stop whose bags are still out, locked.
const Query kLockBagsOut{"delivery_lock_bags_out", R"sql(
  SELECT t.courier_id FROM trip_stops s JOIN trips t ON t.trip_id = s.trip_id
  WHERE s.order_id = $1 AND s.state = 'failed' AND s.returned_at IS NULL FOR UPDATE OF s)sql"};
// The courier's latest trip, done: they are back at the store now.
const Query kBackAtStoreNow{"delivery_back_at_store_now", R"sql(
  UPDATE trips SET returns_at = to_timestamp($2)
  WHERE store_id = $3
    AND trip_id = (SELECT trip_id FROM trips
                   WHERE store_id = $3 AND courier_id = $1 AND state <> 'cancelled'
                   ORDER BY planned_at DESC, trip_id DESC LIMIT 1)
    AND state = 'done' AND returns_at > to_timestamp($2))sql"};

// A redelivery: the order, locked, with what decides whether the customer may choose one.
const Query kLockForRedelivery{"delivery_lock_for_redelivery", R"sql(
  SELECT o.status, o.fulfillment, o.customer_id, extract(epoch FROM o.redelivery_after)::bigint,
         st.promise_minutes,
         EXISTS (SELECT 1 FROM trip_stops f WHERE f.order_id = o.order_id AND f.state = 'failed'),
         o.store_id
  FROM orders o JOIN stores st ON st.store_id = o.store_id
  WHERE o.order_id = $1 FOR UPDATE OF o)sql"};
// A stop planned for the order and not yet picked up, locked with its trip.
const Query kLockPlannedStop{"delivery_lock_planned_stop", R"sql(
  SELECT s.trip_id, s.seq, t.courier_id, t.state FROM trip_stops s JOIN trips t ON t.trip_id = s.trip_id
  WHERE s.order_id = $1 AND s.state = 'planned' FOR UPDATE OF s, t)sql"};
const Query kCancelStop{"delivery_cancel_stop", R"sql(
  UPDATE trip_stops SET state = 'cancelled', done_at = to_timestamp($3)
  WHERE store_id = $4 AND trip_id = $1 AND seq = $2 AND state = 'planned')sql"};
// A trip left with no stop to ride to before its bags were taken is called off.
const Query kCancelEmptyTrip{"delivery_cancel_empty_trip", R"sql(
  UPDATE trips SET state = 'cancelled', finished_at = to_timestamp($2)
  WHERE store_id = $3 AND trip_id = $1 AND state = 'assigned'
    AND NOT EXISTS (SELECT 1 FROM trip_stops WHERE store_id = $3 AND trip_id = $1
                    AND state IN ('planned', 'picked_up')))sql"};
const Query kSetRedelivery{"delivery_set_redelivery", R"sql(
  UPDATE orders SET redelivery_after = to_timestamp($2),
                    promised_at = to_timestamp($2) + make_interval(mins => $3),
                    late_flagged_at = NULL, updated_at = now()
  WHERE store_id = $4 AND order_id = $1)sql"};

// Orders seen late for the first time: flagged once (whichever process sees it first), with an
// event each. $1 order ids of the store $4, $2 their ETAs ('' for none), $3 now.
const Query kFlagLate{"delivery_flag_late", R"sql(
  WITH seen AS (
    SELECT * FROM unnest($1::text[], $2::text[]) AS u(order_id, eta)),
  flagged AS (
    UPDATE orders o SET late_flagged_at = to_timestamp($3) FROM seen
    WHERE o.store_id = $4 AND o.order_id = seen.order_id AND o.late_flagged_at IS NULL
      AND o.status IN ('paid', 'picking', 'packed', 'out_for_delivery', 'returning')
    RETURNING o.order_id, o.store_id, seen.eta)
  INSERT INTO delivery_events (store_id, at, kind, order_id, detail)
  SELECT store_id, to_timestamp($3), 'late_flagged', order_id, NULLIF(eta, '') FROM flagged
  RETURNING order_id)sql"};

std::optional<core::LatLon> optional_position(const pqxx::field& lat, const pqxx::field& lon) {
  if (lat.is_null() || lon.is_null()) return std::nullopt;
  return core::LatLon{lat.as<double>(), lon.as<double>()};
}

CourierOnShift read_courier(const pqxx::row& r) {
  CourierOnShift c;
  c.courier_id = r[0].as<std::string>();
  c.name = r[1].as<std::string>();
  c.clocked_in_at = from_epoch(r[2]);
  c.position = optional_position(r[3], r[4]);
  c.position_at = optional_time(r[5]);
  c.trip_id = r[6].is_null() ? "" : r[6].as<std::string>();
  c.trip_state = r[7].is_null() ? "" : r[7].as<std::string>();
  c.returns_at = optional_time(r[8]);
  c.departs_at = optional_time(r[9]);
  return c;
}

template <typename... Keys>
std::vector<TripRecord> read_trips(Session& s, Tx& tx, const Query& q, const Keys&... keys) {
  std::vector<TripRecord> trips;
  std::vector<std::string> ids;
  const pqxx::result rows = exec(s, tx, q, keys...);
  for (const auto& r : rows) {
    TripRecord t;
    t.trip_id = r[0].as<std::string>();
    t.store_id = r[1].as<std::string>();
    t.courier_id = r[2].as<std::string>();
    t.courier_name = r[3].as<std::string>();
    t.state = r[4].as<std::string>();
    t.planned_at = from_epoch(r[5]);
    t.departs_at = from_epoch(r[6]);
    t.returns_at = from_epoch(r[7]);
    t.left_at = optional_time(r[8]);
    t.finished_at = optional_time(r[9]);
    t.distance_m = r[10].as<int>();
    ids.push_back(t.trip_id);
    trips.push_back(std::move(t));
  }
  if (trips.empty()) return trips;
  for (const auto& r : exec(s, tx, kStopsOfTrips, text_array(ids))) {
    const auto id = r[0].as<std::string>();
    auto trip = std::find_if(trips.begin(), trips.end(),
                             [&](const TripRecord& t) { return t.trip_id == id; });
    if (trip == trips.end()) continue;
    StopRecord st;
    st.seq = r[1].as<int>();
    st.order_id = r[2].as<std::string>();
    st.at = {r[3].as<double>(), r[4].as<double>()};
    st.address = r[5].as<std::string>();
    st.eta = from_epoch(r[6]);
    st.promised_at = from_epoch(r[7]);
    st.state = r[8].as<std::string>();
    st.done_at = optional_time(r[9]);
    st.reason = r[10].as<std::string>();
    st.customer_name = r[11].as<std::string>();
    st.customer_phone = r[12].as<std::string>();
    st.notes = r[13].as<std::string>();
    st.bags = r[14].as<int>();
    trip->stops.push_back(std::move(st));
  }
  return trips;
}

void event(Session& s, Tx& tx, const std::string& store_id, core::Timestamp at, const char* kind,
           const std::string& order_id, const std::string& trip_id, const std::string& courier_id,
           const std::string& detail = "") {
  auto opt = [](const std::string& v) {
    return v.empty() ? std::optional<std::string>() : std::optional<std::string>(v);
  };
  exec(s, tx, kInsertEvent, store_id, epoch(at), std::string(kind), opt(order_id), opt(trip_id),
       opt(courier_id), opt(detail));
}

// New ETAs for the trip's remaining stops riding from `from` at `now`, and when the courier is
// then back at the store.
void reroute(Session& s, Tx& tx, const std::string& store_id, const std::string& trip_id,
             core::LatLon from, core::LatLon store, core::Timestamp now,
             const dispatch::Params& p) {
  const auto rows = exec(s, tx, kRemainingStops, trip_id, store_id);
  if (rows.empty()) return;
  std::vector<core::LatLon> drops;
  std::vector<size_t> order;
  for (const auto& r : rows) {
    order.push_back(drops.size());
    drops.push_back({r[1].as<double>(), r[2].as<double>()});
  }
  const auto times = dispatch::arrivals(from, now, drops, order, p);
  for (size_t i = 0; i < rows.size(); ++i) {
    exec(s, tx, kSetEta, trip_id, rows[i][0].as<int>(), epoch(times[i]), store_id);
  }
  const auto back = times.back() + p.handover_time +
                    dispatch::ride_time(core::distance_m(drops.back(), store), p);
  exec(s, tx, kSetReturn, trip_id, epoch(back), store_id);
}

struct LiveStop {
  std::string trip_id;
  int seq = 0;
  std::string state;
  std::string store_id;
  core::LatLon at;        // the door
  core::LatLon store_at;  // where the trip starts and ends
};

// The order's live stop when it is this courier's. Returns the refusal otherwise.
template <typename Outcome>
std::optional<Outcome> find_stop(Session& s, Tx& tx, const std::string& order_id,
                                 const std::string& store_id, const std::string& courier_id,
                                 LiveStop& out) {
  if (exec(s, tx, kOnShift, courier_id, store_id).empty()) return Outcome{NotOnShift{}};
  const auto r = exec(s, tx, kLockLiveStop, order_id, store_id);
  if (r.empty()) {
    if (exec(s, tx, kOrderExists, order_id).empty()) return Outcome{OrderNotFound{}};
    return Outcome{NotYourOrder{}};
  }
  if (r[0][3].as<std::string>() != courier_id) return Outcome{NotYourOrder{}};
  out = {r[0][0].as<std::string>(),
         r[0][1].as<int>(),
         r[0][2].as<std::string>(),
         r[0][4].as<std::string>(),
         {r[0][5].as<double>(), r[0][6].as<double>()},
         {r[0][7].as<double>(), r[0][8].as<double>()}};
  return std::nullopt;
}

// The customer's code offered for `order_id`, its row locked: refused unchecked when this person
// is locked out of it; a wrong code counted (locking them out at the limit); the right one moves
// the order to `to`.
CollectOutcome hand_over(Session& s, Tx& tx, const std::string& order_id, const CodeOffer& offer,
                         CodeKind kind, Status to, core::Timestamp now) {
  const auto r = exec(s, tx, kLockForHandover, order_id, offer.actor_id);
  if (r.empty()) return OrderNotFound{};
  const Status status = *orders::parse_status(r[0][0].as<std::string>());
  const auto fulfillment = *orders::parse_fulfillment(r[0][1].as<std::string>());
  if (!orders::can_transition(fulfillment, status, to)) return InvalidTransition{status};
  if (r[0][6].as<int>() >= offer.attempt_limit) return CodeLocked{false};
  std::optional<core::KeptCodeHash> kept;
  if (r[0][3].as<std::string>() == "salted_sha256") {
    kept = core::KeptCodeHash{r[0][4].as<std::string>(), r[0][5].as<std::string>()};
  }
  if (!offer.key || !offer.key->opens(order_id, offer.code, kept)) {
    const int failures = exec(s, tx, kCodeFailed, order_id, offer.actor_id,
                              r[0][2].as<std::string>(), std::string(to_string(kind)), epoch(now))
                             .at(0)[0]
                             .as<int>();
    if (failures >= offer.attempt_limit) return CodeLocked{true};
    return WrongHandoverCode{offer.attempt_limit - failures};
  }
  exec(s, tx, kHandedOver, order_id, std::string(orders::to_string(to)), epoch(now),
       r[0][2].as<std::string>());
  return std::move(*OrderRepository(s).find(order_id));  // in this transaction
}

Status lock_status(Session& s, Tx& tx, const std::string& order_id) {
  const auto r = exec(s, tx, kLockOrderStatus, order_id);
  return *orders::parse_status(r.at(0)[0].as<std::string>());
}

// After a stop is done: the trip ends when no bag is left to deliver (stops never picked up are
// dropped: those orders wait for another trip), else the rest get new ETAs from here.
void after_stop(Session& s, Tx& tx, const LiveStop& stop, const std::string& courier_id,
                core::Timestamp now, const dispatch::Params& p) {
  const auto rest = exec(s, tx, kRemainingStops, stop.trip_id, stop.store_id);
  const bool bags_left = std::any_of(rest.begin(), rest.end(), [](const pqxx::row& r) {
    return r[3].as<std::string>() == "picked_up";
  });
  if (bags_left) {
    reroute(s, tx, stop.store_id, stop.trip_id, stop.at, stop.store_at, now, p);
    return;
  }
  for (const auto& r : exec(s, tx, kCancelPlannedStops, stop.trip_id, epoch(now), stop.store_id)) {
    event(s, tx, stop.store_id, now, "left_at_store", r[0].as<std::string>(), stop.trip_id,
          courier_id);
  }
  const auto back = now + dispatch::ride_time(core::distance_m(stop.at, stop.store_at), p);
  exec(s, tx, kTripDone, stop.trip_id, epoch(now), epoch(back), stop.store_id);
}

TripRecord trip_by_id(Session& s, Tx& tx, const std::string& trip_id) {
  auto trips = read_trips(s, tx, kTrip, trip_id);
  return std::move(trips.at(0));
}

// A step of the courier's on one order: from stop state `from`, the order moves to `to` and the
// stop to `stop_to`; an event `kind` is logged (with `reason`), `then` runs, and the trip is
// returned. Everything in one transaction.
struct StopStep {
  const char* from;
  Status to;
  const char* stop_to;
};
StopOutcome move_stop(Session& s, const std::string& order_id, const std::string& store_id,
                      const std::string& courier_id, StopStep step,
                      const std::optional<std::string>& reason, const char* kind,
                      core::Timestamp now, const std::function<void(Tx&, const LiveStop&)>& then) {
  return write(s, [&](Tx& tx) -> StopOutcome {
    LiveStop stop;
    if (auto refused = find_stop<StopOutcome>(s, tx, order_id, store_id, courier_id, stop)) {
      return *refused;
    }
    const Status status = lock_status(s, tx, order_id);
    if (stop.state != step.from ||
        !orders::can_transition(orders::Fulfillment::kDelivery, status, step.to)) {
      return InvalidTransition{status};
    }
    exec(s, tx, kSetOrderStatus, order_id, std::string(orders::to_string(step.to)), stop.store_id);
    exec(s, tx, kSetStop, stop.trip_id, stop.seq, std::string(step.stop_to), epoch(now), reason,
         stop.store_id);
    event(s, tx, stop.store_id, now, kind, order_id, stop.trip_id, courier_id, reason.value_or(""));
    then(tx, stop);
    return trip_by_id(s, tx, stop.trip_id);
  });
}

DispatchInput input_of(Session& s, Tx& tx, const catalog::Store& store, core::Timestamp now) {
  DispatchInput in;
  in.store = store;
  for (const auto& r : exec(s, tx, kOpenDelivery, store.store_id, epoch(now))) {
    const auto id = r[0].as<std::string>();
    const auto status = *orders::parse_status(r[1].as<std::string>());
    if (status == Status::kPendingPayment) {  // admitted, no promise yet
      ++in.unpacked_delivery;
      continue;
    }
    const core::LatLon drop{r[2].as<double>(), r[3].as<double>()};
    const auto promised = from_epoch(r[5]);
    const auto redelivery = optional_time(r[6]);
    if (!r[8].is_null()) {  // on a live trip
      in.on_trips.push_back({id, promised, from_epoch(r[9]), r[8].as<std::string>() == "picked_up",
                             from_epoch(r[10])});
      continue;
    }
    if (status == Status::kOutForDelivery) continue;  // its stop is always live (above)
    if (status == Status::kPacked && (!redelivery || *redelivery <= now)) {
      in.parcels.push_back({id, drop, from_epoch(r[4]), promised});
      continue;
    }
    store::ComingOrder o{id, store::ComingOrder::Stage::kPaid, drop, promised, redelivery};
    if (status == Status::kPicking) o.stage = store::ComingOrder::Stage::kPicking;
    if (status == Status::kPacked) o.stage = store::ComingOrder::Stage::kHeld;
    if (status == Status::kReturning) {
      o.stage = store::ComingOrder::Stage::kReturning;
      const auto back = optional_time(r[7]).value_or(now);
      o.not_before = redelivery ? std::max(*redelivery, back) : back;
    }
    ++in.unpacked_delivery;
    in.coming.push_back(std::move(o));
  }
  for (const auto& r : exec(s, tx, kCouriersOfStore, store.store_id)) {
    in.couriers.push_back(read_courier(r));
  }
  return in;
}

}  // namespace

bool DeliveryRepository::clock_in(const std::string& store_id, const std::string& courier_id,
                                  core::Timestamp now) {
  return write(session_, [&](Tx& tx) {
    const bool started =
        exec(session_, tx, kShiftStart, store_id, courier_id, epoch(now)).affected_rows() == 1;
    if (started) event(session_, tx, store_id, now, "clocked_in", "", "", courier_id);
    return started;
  });
}

ClockOutOutcome DeliveryRepository::clock_out(const std::string& store_id,
                                              const std::string& courier_id, core::Timestamp now) {
  return write(session_, [&](Tx& tx) {
    const auto live = exec(session_, tx, kLockLiveTrip, courier_id, store_id);
    if (!live.empty() && live[0][1].as<std::string>() == "en_route") {
      return ClockOutOutcome::kTripInProgress;
    }
    if (!exec(session_, tx, kBagsOut, courier_id, store_id).empty()) {
      return ClockOutOutcome::kBagsToReturn;
    }
    if (exec(session_, tx, kShiftEnd, courier_id, epoch(now), store_id).affected_rows() != 1) {
      return ClockOutOutcome::kNotOnShift;
    }
    if (!live.empty()) {
      const auto trip_id = live[0][0].as<std::string>();
      exec(session_, tx, kCancelTrip, trip_id, epoch(now), store_id);
      for (const auto& r : exec(session_, tx, kCancelPlannedStops, trip_id, epoch(now), store_id)) {
        event(session_, tx, store_id, now, "trip_cancelled", r[0].as<std::string>(), trip_id,
              courier_id);
      }
    }
    event(session_, tx, store_id, now, "clocked_out", "", "", courier_id);
    return ClockOutOutcome::kClockedOut;
  });
}

std::optional<CourierOnShift> DeliveryRepository::courier(const std::string& store_id,
                                                          const std::string& courier_id) {
  return single(session_, [&](Tx& tx) -> std::optional<CourierOnShift> {
    const auto r = exec(session_, tx, kCourier, courier_id, store_id);
    if (r.empty()) return std::nullopt;
    return read_courier(r[0]);
  });
}

bool DeliveryRepository::report_position(const std::string& store_id, const std::string& courier_id,
                                         core::LatLon at, core::Timestamp now,
                                         const dispatch::Params& p) {
  return write(session_, [&](Tx& tx) {
    const auto c = exec(session_, tx, kCourier, courier_id, store_id);
    if (c.empty()) return false;
    const CourierOnShift courier = read_courier(c[0]);
    const auto store =
        exec(session_, tx, kSetPosition, courier_id, at.lat, at.lon, epoch(now), store_id);
    const core::LatLon store_at{store.at(0)[0].as<double>(), store.at(0)[1].as<double>()};
    const bool at_store = core::distance_m(at, store_at) <= kAtStoreM;
    if (courier.trip_state == "en_route") {
      reroute(session_, tx, store_id, courier.trip_id, at, store_at, now, p);
    } else if (courier.trip_state == "done" && at_store) {
      exec(session_, tx, kBackAtStore, courier.trip_id, epoch(now), store_id);
    }
    if (at_store) exec(session_, tx, kReturnBags, courier_id, epoch(now), store_id);
    return true;
  });
}

DispatchInput DeliveryRepository::dispatch_input(const catalog::Store& store, core::Timestamp now) {
  return read(session_, [&](Tx& tx) { return input_of(session_, tx, store, now); });
}

Round DeliveryRepository::run_round(const catalog::Store& store, core::Timestamp now,
                                    const Planner& plan) {
  return write_or_conflict<StaleRound>(session_, [&](Tx& tx) {
    exec(session_, tx, kLockDesk, store.store_id);
    Round round;
    round.input = input_of(session_, tx, store, now);
    round.plan = plan(round.input);
    for (const auto& trip : round.plan.trips) {
      const std::string trip_id = core::new_id("trp_");
      if (exec(session_, tx, kInsertTrip, trip_id, store.store_id, trip.courier_id, epoch(now),
               epoch(trip.departs_at), epoch(trip.returns_at),
               static_cast<int>(std::lround(trip.distance_m)))
              .affected_rows() != 1) {
        throw StaleRound("courier " + trip.courier_id + " is no longer on shift, or on a trip");
      }
      int seq = 0;
      for (const auto& stop : trip.stops) {
        if (exec(session_, tx, kInsertStop, trip_id, ++seq, stop.order_id, epoch(stop.eta),
                 epoch(now), store.store_id)
                .affected_rows() != 1) {
          throw StaleRound("order " + stop.order_id + " is no longer waiting for a courier");
        }
        event(session_, tx, store.store_id, now, "courier_assigned", stop.order_id, trip_id,
              trip.courier_id);
      }
    }
    return round;
  });
}

std::vector<TripRecord> DeliveryRepository::live_trips(const std::string& store_id) {
  return read(session_,
              [&](Tx& tx) { return read_trips(session_, tx, kLiveTripsOfStore, store_id); });
}

std::optional<TripRecord> DeliveryRepository::current_trip(const std::string& store_id,
                                                           const std::string& courier_id) {
  return read(session_, [&](Tx& tx) -> std::optional<TripRecord> {
    auto trips = read_trips(session_, tx, kLiveTripOfCourier, courier_id, store_id);
    if (trips.empty()) return std::nullopt;
    return std::move(trips[0]);
  });
}

StopOutcome DeliveryRepository::pick_up(const std::string& order_id, const std::string& store_id,
                                        const std::string& courier_id, core::Timestamp now,
                                        const dispatch::Params& p) {
  return move_stop(session_, order_id, store_id, courier_id,
                   {"planned", Status::kOutForDelivery, "picked_up"}, std::nullopt, "picked_up",
                   now, [&](Tx& tx, const LiveStop& stop) {
                     exec(session_, tx, kTripLeft, stop.trip_id, epoch(now), stop.store_id);
                     reroute(session_, tx, stop.store_id, stop.trip_id, stop.store_at,
                             stop.store_at, now + p.pickup_time, p);
                   });
}

std::string_view to_string(CodeKind kind) { return kind == CodeKind::kDoor ? "door" : "counter"; }

DeliverOutcome DeliveryRepository::deliver(const std::string& order_id, const CodeOffer& offer,
                                           core::Timestamp now, const dispatch::Params& p) {
  const std::string& courier_id = offer.actor_id;
  return write(session_, [&](Tx& tx) -> DeliverOutcome {
    LiveStop stop;
    if (auto refused = find_stop<DeliverOutcome>(session_, tx, order_id, offer.actor_store_id,
                                                 courier_id, stop)) {
      return *refused;
    }
    if (stop.state != "picked_up") return InvalidTransition{lock_status(session_, tx, order_id)};
    auto handed =
        hand_over(session_, tx, order_id, offer, CodeKind::kDoor, Status::kDelivered, now);
    auto* order = std::get_if<orders::Order>(&handed);
    if (!order) {
      return std::visit([](auto&& v) -> DeliverOutcome { return v; }, std::move(handed));
    }
    exec(session_, tx, kSetStop, stop.trip_id, stop.seq, std::string("delivered"), epoch(now),
         std::optional<std::string>(), stop.store_id);
    const bool on_time = order->promised_at && now <= *order->promised_at;
    event(session_, tx, stop.store_id, now, "delivered", order_id, stop.trip_id, courier_id,
          on_time ? "on_time" : "late");
    after_stop(session_, tx, stop, courier_id, now, p);
    return std::move(*order);
  });
}

CollectOutcome DeliveryRepository::collect(const std::string& order_id, const CodeOffer& offer,
                                           core::Timestamp now) {
  return write(session_, [&](Tx& tx) {
    return hand_over(session_, tx, order_id, offer, CodeKind::kCounter, Status::kCollected, now);
  });
}

UnlockOutcome DeliveryRepository::unlock_code(const std::string& order_id, int attempt_limit) {
  return write(session_, [&](Tx& tx) -> UnlockOutcome {
    const auto order = exec(session_, tx, kLockOrderOfCode, order_id);
    if (order.empty()) return OrderNotFound{};
    CodeUnlocked out;
    out.store_id = order[0][0].as<std::string>();
    out.kind = order[0][1].as<std::string>() == "delivery" ? CodeKind::kDoor : CodeKind::kCounter;
    for (const auto& r : exec(session_, tx, kUnlockCode, order_id, out.store_id)) {
      if (r[1].as<int>() >= attempt_limit) out.actor_ids.push_back(r[0].as<std::string>());
    }
    std::sort(out.actor_ids.begin(), out.actor_ids.end());
    return out;
  });
}

StopOutcome DeliveryRepository::fail(const std::string& order_id, const std::string& store_id,
                                     const std::string& courier_id, const std::string& reason,
                                     core::Timestamp now, const dispatch::Params& p) {
  return move_stop(
      session_, order_id, store_id, courier_id, {"picked_up", Status::kReturning, "failed"}, reason,
      "delivery_failed", now,
      [&](Tx& tx, const LiveStop& stop) { after_stop(session_, tx, stop, courier_id, now, p); });
}

ReturnOutcome DeliveryRepository::return_bags(const std::string& order_id,
                                              const std::string& store_id,
                                              const std::string& courier_id, core::Timestamp now) {
  return write(session_, [&](Tx& tx) -> ReturnOutcome {
    if (exec(session_, tx, kOnShift, courier_id, store_id).empty()) return NotOnShift{};
    const auto out = exec(session_, tx, kLockBagsOut, order_id);
    if (out.empty()) {
      const auto status = exec(session_, tx, kLockOrderStatus, order_id);
      if (status.empty()) return OrderNotFound{};
      return InvalidTransition{*orders::parse_status(status[0][0].as<std::string>())};
    }
    if (out[0][0].as<std::string>() != courier_id) return NotYourOrder{};
    BagsReturned returned;
    for (const auto& r : exec(session_, tx, kReturnBags, courier_id, epoch(now), store_id)) {
      returned.order_ids.push_back(r[0].as<std::string>());
    }
    exec(session_, tx, kBackAtStoreNow, courier_id, epoch(now), store_id);
    return returned;
  });
}

RedeliveryOutcome DeliveryRepository::redeliver(const RedeliveryRequest& req, core::Timestamp now) {
  return write(session_, [&](Tx& tx) -> RedeliveryOutcome {
    const auto r = exec(session_, tx, kLockForRedelivery, req.order_id);
    if (r.empty() || r[0][2].as<std::string>() != req.customer_id) return OrderNotFound{};
    const Status status = *orders::parse_status(r[0][0].as<std::string>());
    const bool delivery = r[0][1].as<std::string>() == "delivery";
    const bool failed_before = r[0][5].as<bool>();
    if (!delivery || !failed_before ||
        (status != Status::kReturning && status != Status::kPacked)) {
      return InvalidTransition{status};
    }
    RedeliverySet set{r[0][6].as<std::string>(), false};
    const auto current = optional_time(r[0][3]);
    // As soon as possible: from now, unless already due (a retry then changes nothing).
    const core::Timestamp from = req.not_before.value_or(now);
    if (current && (req.not_before ? *current == from : *current <= now)) return set;
    const auto planned = exec(session_, tx, kLockPlannedStop, req.order_id);
    if (!planned.empty()) {
      const auto trip_id = planned[0][0].as<std::string>();
      exec(session_, tx, kCancelStop, trip_id, planned[0][1].as<int>(), epoch(now), set.store_id);
      exec(session_, tx, kCancelEmptyTrip, trip_id, epoch(now), set.store_id);
      event(session_, tx, set.store_id, now, "trip_cancelled", req.order_id, trip_id,
            planned[0][2].as<std::string>(), "redelivery");
    }
    exec(session_, tx, kSetRedelivery, req.order_id, epoch(from), r[0][4].as<int>(), set.store_id);
    event(session_, tx, set.store_id, now, "redelivery_requested", req.order_id, "", "",
          core::format_rfc3339(from));
    set.changed = true;
    return set;
  });
}

std::vector<std::string> DeliveryRepository::flag_late(
    const std::string& store_id,
    const std::vector<std::pair<std::string, std::optional<core::Timestamp>>>& etas,
    core::Timestamp now) {
  if (etas.empty()) return {};
  std::vector<std::string> ids, times;
  for (const auto& [id, eta] : etas) {
    ids.push_back(id);
    times.push_back(eta ? core::format_rfc3339(*eta) : "");
  }
  return write(session_, [&](Tx& tx) {
    std::vector<std::string> flagged;
    for (const auto& r :
         exec(session_, tx, kFlagLate, text_array(ids), text_array(times), epoch(now), store_id)) {
      flagged.push_back(r[0].as<std::string>());
    }
    return flagged;
  });
}

TrackingRecord DeliveryRepository::tracking(const std::string& order_id) {
  return read(session_, [&](Tx& tx) {
    TrackingRecord t;
    for (const auto& r : exec(session_, tx, kTrackingEvents, order_id)) {
      t.events.push_back({r[0].as<std::string>(), from_epoch(r[1]), r[2].as<std::string>()});
    }
    const auto live = exec(session_, tx, kLiveStopOfOrder, order_id);
    if (!live.empty()) {
      for (auto& s : trip_by_id(session_, tx, live[0][0].as<std::string>()).stops) {
        if (s.order_id == order_id) t.live_stop = std::move(s);
      }
      if (t.live_stop) {
        t.live_timing =
            store::StopOnTrip{order_id, t.live_stop->promised_at, t.live_stop->eta,
                              t.live_stop->state == "picked_up", from_epoch(live[0][3])};
      }
      const auto c =
          exec(session_, tx, kCourier, live[0][1].as<std::string>(), live[0][4].as<std::string>());
      if (!c.empty()) t.courier = read_courier(c[0]);
    }
    return t;
  });
}

}  // namespace freshlane::storage
