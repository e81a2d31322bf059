// Couriers' app and the dispatch desk: shifts, position, the current trip, taking the bags at
// the store, the hand-over at the door, failed deliveries and handing their bags back; the
// dispatch board and on-demand rounds for managers.
#include "auth.hpp"
#include "delivery_views.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

// A courier of this store.
Principal courier_of(Context& ctx, const http::Request& req, storage::Session& session,
                     const std::string& store_id) {
  Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCourier);
  if (who.store_id != store_id) throw Error(ErrorKind::kForbidden, "you work for another store");
  return who;
}

http::Response courier_view(Context& ctx, storage::Session& session, const Principal& who) {
  const auto c = storage::DeliveryRepository(session).courier(who.store_id, who.id);
  if (!c) throw Error(ErrorKind::kNotOnShift, "you are not on shift");
  return json_response(200, to_json(*c, ctx.now()));
}

http::Response clock_in(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto& store_id = req.param("store_id");
  const Principal who = courier_of(ctx, req, session, store_id);
  require_empty_body(req);
  storage::DeliveryRepository(session).clock_in(store_id, who.id, ctx.now());
  ctx.desks.forget(store_id);  // one more courier: quotes read the store anew
  return courier_view(ctx, session, who);
}

// The courier's own shift, as clocking in answered it; 204 off shift (as the trip is 204 with
// no trip: neither is an error for the courier's app).
http::Response get_shift(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCourier);
  const auto c = storage::DeliveryRepository(session).courier(who.store_id, who.id);
  if (!c) return http::Response{204, "", "", {}};
  return json_response(200, to_json(*c, ctx.now()));
}

http::Response clock_out(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto& store_id = req.param("store_id");
  const Principal who = courier_of(ctx, req, session, store_id);
  require_empty_body(req);
  switch (storage::DeliveryRepository(session).clock_out(store_id, who.id, ctx.now())) {
    case storage::ClockOutOutcome::kClockedOut:
      ctx.desks.forget(store_id);
      return json_response(200, {{"courier_id", who.id}, {"clocked_out", true}});
    case storage::ClockOutOutcome::kNotOnShift:
      throw Error(ErrorKind::kNotOnShift, "you are not on shift");
    case storage::ClockOutOutcome::kTripInProgress:
      break;
    case storage::ClockOutOutcome::kBagsToReturn:
      throw Error(ErrorKind::kTripInProgress,
                  "hand the bags of your failed deliveries back at the store before clocking out");
  }
  throw Error(ErrorKind::kTripInProgress,
              "deliver or report every order you took before clocking out");
}

http::Response put_position(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCourier);
  BodyReader body(req.body);
  const core::LatLon at{body.number("lat", Need::kRequired, -90, 90).value_or(0),
                        body.number("lon", Need::kRequired, -180, 180).value_or(0)};
  body.finish();
  if (!storage::DeliveryRepository(session).report_position(who.store_id, who.id, at, ctx.now(),
                                                            ctx.desks.params())) {
    throw Error(ErrorKind::kNotOnShift, "clock in before reporting a position");
  }
  return courier_view(ctx, session, who);
}

http::Response get_trip(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCourier);
  const auto trip = storage::DeliveryRepository(session).current_trip(who.store_id, who.id);
  if (!trip) return http::Response{204, "", "", {}};
  return json_response(200, to_json(*trip, ctx.now()));
}

// The refusals every courier action on an order shares.
[[noreturn]] void refuse(const std::string& order_id, const storage::OrderNotFound&) {
  throw Error(ErrorKind::kNotFound, "no order " + order_id);
}
[[noreturn]] void refuse(const std::string&, const storage::NotOnShift&) {
  throw Error(ErrorKind::kNotOnShift, "clock in first");
}
[[noreturn]] void refuse(const std::string& order_id, const storage::NotYourOrder&) {
  throw Error(ErrorKind::kNotYourTrip, "order " + order_id + " is not on your trip");
}
[[noreturn]] void refuse(const std::string& order_id, const storage::InvalidTransition& t) {
  throw Error(
      ErrorKind::kInvalidTransition,
      "order " + order_id + " is " + std::string(orders::to_string(t.from)) + ": not possible now");
}
// Wrong codes are answered before (refused_code: logged and counted); these only complete the
// overload set.
[[noreturn]] void refuse(const std::string&, const storage::WrongHandoverCode&) {
  throw Error(ErrorKind::kWrongHandoverCode, "the code does not match this order's");
}
[[noreturn]] void refuse(const std::string&, const storage::CodeLocked&) {
  throw Error(ErrorKind::kCodeLocked, "you are locked out of this order's hand-over");
}

// The answer to a courier's action: `ok` of what was done, or the refusal.
template <typename Done, typename Outcome, typename Ok>
http::Response answer(const std::string& order_id, Outcome&& outcome, Ok&& ok) {
  if (auto* done = std::get_if<Done>(&outcome)) return ok(*done);
  std::visit(
      [&](auto&& v) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, Done>) refuse(order_id, v);
      },
      outcome);
  throw Error(ErrorKind::kInternal, "unreachable");
}

http::Response trip_answer(const std::string& order_id, storage::StopOutcome outcome,
                           core::Timestamp now) {
  return answer<storage::TripRecord>(order_id, std::move(outcome), [now](const auto& trip) {
    return json_response(200, to_json(trip, now));
  });
}

http::Response pick_up(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCourier);
  const auto& order_id = req.param("order_id");
  require_empty_body(req);
  const auto now = ctx.now();
  auto outcome = storage::DeliveryRepository(session).pick_up(order_id, who.store_id, who.id, now,
                                                              ctx.desks.params());
  ctx.desks.forget(who.store_id);
  return trip_answer(order_id, std::move(outcome), now);
}

http::Response deliver(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCourier);
  const auto& order_id = req.param("order_id");
  BodyReader body(req.body);
  std::string code = body.string("code", Need::kRequired, 1, 32).value_or("");
  body.finish();
  const auto now = ctx.now();
  auto outcome = storage::DeliveryRepository(session).deliver(
      order_id, code_offer(ctx, who, std::move(code)), now, ctx.desks.params());
  if (auto refused = code_refusal(ctx, storage::CodeKind::kDoor, order_id, who, outcome)) {
    return std::move(*refused);
  }
  return answer<orders::Order>(order_id, std::move(outcome), [&](const orders::Order& order) {
    ctx.desks.delivered(order, now);
    ctx.desks.forget(who.store_id);
    return json_response(200, to_json(order, false));
  });
}

http::Response delivery_failed(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCourier);
  const auto& order_id = req.param("order_id");
  BodyReader body(req.body);
  const std::string reason = body.string("reason", Need::kRequired, 1, 200).value_or("");
  body.finish();
  const auto now = ctx.now();
  auto outcome = storage::DeliveryRepository(session).fail(order_id, who.store_id, who.id, reason,
                                                           now, ctx.desks.params());
  ctx.desks.forget(who.store_id);
  return trip_answer(order_id, std::move(outcome), now);
}

// The courier is back at the store with the bags of a failed delivery: they hand them back (all
// they carry), the orders are packed again and can be planned again.
http::Response return_to_store(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCourier);
  const auto& order_id = req.param("order_id");
  require_empty_body(req);
  auto outcome =
      storage::DeliveryRepository(session).return_bags(order_id, who.store_id, who.id, ctx.now());
  return answer<storage::BagsReturned>(order_id, std::move(outcome), [&](const auto&) {
    ctx.desks.forget(who.store_id);
    const auto order = storage::OrderRepository(session).find(order_id);
    return json_response(200, to_json(*order, false));
  });
}

http::Response board(Context& ctx, storage::Session& session, const catalog::Store& store,
                     std::optional<int> planned) {
  const auto now = ctx.now();
  const auto desk = ctx.desks.snapshot(session, store, now);
  auto body = dispatch_board(desk.input, desk.etas,
                             storage::DeliveryRepository(session).live_trips(store.store_id), now);
  if (planned) body["planned"] = *planned;
  return json_response(200, body);
}

http::Response get_board(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto& store_id = req.param("store_id");
  require_admin_or_staff(authenticate(req, ctx, session), store_id);
  return board(ctx, session, existing_store(session, store_id), std::nullopt);
}

http::Response run_round(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  require_empty_body(req);
  const auto store = existing_store(session, store_id);
  const int planned = ctx.desks.run_round(session, store, ctx.now());
  return board(ctx, session, store, planned);
}

}  // namespace

void add_courier_routes(http::Router& router, Context& ctx) {
  router.add("POST", "/v1/stores/{store_id}/couriers/clock-in", with_database(ctx, clock_in));
  router.add("POST", "/v1/stores/{store_id}/couriers/clock-out", with_database(ctx, clock_out));
  router.add("PUT", "/v1/couriers/me/position", with_database(ctx, put_position));
  router.add("GET", "/v1/couriers/me/trip", with_database(ctx, get_trip));
  router.add("GET", "/v1/couriers/me/shift", with_database(ctx, get_shift));
  router.add("POST", "/v1/orders/{order_id}/pickup", with_database(ctx, pick_up));
  router.add("POST", "/v1/orders/{order_id}/deliver", with_database(ctx, deliver));
  router.add("POST", "/v1/orders/{order_id}/delivery-failed", with_database(ctx, delivery_failed));
  router.add("POST", "/v1/orders/{order_id}/return-to-store", with_database(ctx, return_to_store));
  router.add("GET", "/v1/stores/{store_id}/dispatch", with_database(ctx, get_board));
  router.add("POST", "/v1/stores/{store_id}/dispatch", with_database(ctx, run_round));
}

}  // namespace freshlane::api
