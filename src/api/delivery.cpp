// Delivery for customers: the quote before ordering, the promise check when a delivery order is
// placed, tracking an order from payment to the door, and choosing a redelivery after a failed
// one.
#include <spdlog/spdlog.h>

#include "auth.hpp"
#include "delivery_views.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/order_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

std::optional<http::Response> refuse_if_store_busy(Context& ctx, storage::Session& session,
                                                   const catalog::Store& store, core::LatLon door,
                                                   const store::FloorLoad& floor) {
  const auto now = ctx.now();
  const auto q =
      dispatch::quote(store, door, ctx.desks.load(session, store, floor, now), ctx.desks.params());
  if (q.reason == dispatch::QuoteReason::kPaused) {
    return http::problem(ErrorKind::kDeliveryPaused, quote_detail(store, q),
                         {{"reason", *store.delivery_paused_reason}});
  }
  if (q.reason != dispatch::QuoteReason::kStoreBusy) return std::nullopt;
  return http::problem(
      ErrorKind::kStoreBusy, quote_detail(store, q) + "; try again later or order for pickup",
      {{"eta_minutes", q.eta_minutes ? nlohmann::json(*q.eta_minutes) : nlohmann::json()},
       {"promise_minutes", store.promise_minutes}},
      static_cast<int>(q.retry_after.count()));
}

namespace {

constexpr auto kRedeliverySkew = std::chrono::seconds(60);   // a clock a little behind ours
constexpr auto kRedeliveryHorizon = std::chrono::hours(24);  // fresh food waits no longer

// The quote never takes a database worker of its own: it is summed on the I/O thread from the
// store's load as published (DispatchDesks), read at most once per store and period for all the
// quotes that come meanwhile. A flood of quotes cannot starve orders or staff of workers.
void get_quote(Context& ctx, http::Request&& request, http::Responder done) {
  if (ctx.limits) {  // no token needed: limited per client address
    if (auto r = refuse_over_limit(ctx.limits->quotes, client_key(request),
                                   "quotes from your address")) {
      return done(std::move(*r));
    }
  }
  auto req = std::make_shared<http::Request>(std::move(request));
  std::string store_id;
  core::LatLon door;
  try {
    const auto id = req->query("store_id");
    if (!id || id->empty()) invalid_parameter("store_id", "is required");
    if (!core::is_valid_id(*id)) invalid_parameter("store_id", "is not a store id");
    const auto lat = query_coordinate(*req, "lat", 90);
    if (!lat) invalid_parameter("lat", "is required");
    const auto lon = query_coordinate(*req, "lon", 180);
    if (!lon) invalid_parameter("lon", "is required");
    store_id = std::string(*id);
    door = {*lat, *lon};
  } catch (...) {
    return done(error_response(std::current_exception(), *req));
  }
  auto answer = [&ctx, req, door, done](DispatchDesks::PublishedPtr p, std::exception_ptr error) {
    if (error) return done(error_response(error, *req));
    done(json_response(
        200, to_json(p->store, dispatch::quote(p->store, door, p->load, ctx.desks.params()))));
  };
  ctx.desks.with_load(ctx.pool, store_id, std::move(answer));
}

std::optional<core::Timestamp> last_event(const storage::TrackingRecord& t, std::string_view kind) {
  std::optional<core::Timestamp> at;
  for (const auto& e : t.events) {
    if (e.kind == kind) at = e.at;
  }
  return at;
}

// The current estimate of the door time (none for orders not on their way) and whether it
// misses the promise.
struct Arrival {
  std::optional<core::Timestamp> at;
  bool late = false;
};
Arrival estimate_arrival(Context& ctx, storage::Session& session, const orders::Order& o,
                         const storage::TrackingRecord& t, core::Timestamp now) {
  using orders::Status;
  const auto past_promise = [&](const std::optional<core::Timestamp>& at) {
    return o.promised_at && (!at || *at > *o.promised_at);
  };
  if (o.status == Status::kDelivered) {
    const auto at = last_event(t, "delivered");
    return {at, at && past_promise(at)};
  }
  if (o.fulfillment != orders::Fulfillment::kDelivery || !o.delivery) return {};
  if (t.live_timing) {  // on a trip: the stop re-timed from the courier's real state
    const auto at = store::live_stop_eta(*t.live_timing, now);
    return {at, past_promise(at)};
  }
  switch (o.status) {
    case Status::kPaid:
    case Status::kPicking:
    case Status::kPacked:
    case Status::kReturning:
      break;
    default:
      return {};
  }
  // The store's live ETAs as published; read anew once when they predate this order's step.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto published = ctx.desks.load_for_reading(session, o.store_id);
    if (const auto it = published->etas.find(o.order_id); it != published->etas.end()) {
      return {it->second.eta, it->second.late()};
    }
    ctx.desks.forget(o.store_id);
  }
  return {};
}

http::Response tracking_answer(Context& ctx, storage::Session& session, const orders::Order& o) {
  const auto now = ctx.now();
  const auto track = storage::DeliveryRepository(session).tracking(o.order_id);
  const auto arrival = estimate_arrival(ctx, session, o, track, now);
  return json_response(200, tracking_view(o, track, arrival.at, arrival.late));
}

http::Response get_tracking(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  const auto& order_id = req.param("order_id");
  if (who.role == Role::kStaff || who.role == Role::kAdmin) {
    // A manager or packer answering a customer on the phone sees what the customer sees.
    const auto order = storage::OrderRepository(session).find(order_id);
    if (!order) throw Error(ErrorKind::kNotFound, "no order " + order_id);
    if (who.role == Role::kStaff) require_staff(who, order->store_id, {"packer"});
    return tracking_answer(ctx, session, *order);
  }
  require_role(who, Role::kCustomer);  // otherwise tracking is for the order's customer
  const auto order = storage::OrderRepository(session).find(order_id);
  if (!order || order->customer_id != who.id) {
    throw Error(ErrorKind::kNotFound, "no order " + order_id);
  }
  return tracking_answer(ctx, session, *order);
}

// After a failed delivery the customer chooses when it may come again: "asap" or a time (not
// in the past, within a day: the bags are fresh food). Answers with the tracking view.
http::Response request_redelivery(Context& ctx, const http::Request& req,
                                  storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCustomer);
  const auto& order_id = req.param("order_id");
  const auto now = ctx.now();
  BodyReader body(req.body);
  std::optional<core::Timestamp> not_before;
  if (const auto text = body.string("not_before", Need::kRequired, 1, 64);
      text && *text != "asap") {
    const auto at = core::parse_rfc3339(*text);
    if (!at) {
      body.error("not_before", "must be \"asap\" or an RFC 3339 time");
    } else if (*at < now - kRedeliverySkew) {
      body.error("not_before", "must not be in the past");
    } else if (*at > now + kRedeliveryHorizon) {
      body.error("not_before", "must be within 24 hours");
    } else {
      not_before = *at;
    }
  }
  body.finish();
  const auto outcome =
      storage::DeliveryRepository(session).redeliver({order_id, who.id, not_before}, now);
  if (std::holds_alternative<storage::OrderNotFound>(outcome)) {
    throw Error(ErrorKind::kNotFound, "no order " + order_id);
  }
  if (const auto* refused = std::get_if<storage::InvalidTransition>(&outcome)) {
    return http::problem(ErrorKind::kInvalidTransition,
                         "a redelivery can be chosen only after a failed delivery, until a "
                         "courier takes the bags again; the order is " +
                             std::string(orders::to_string(refused->from)),
                         {{"order_status", orders::to_string(refused->from)}});
  }
  ctx.desks.forget(std::get<storage::RedeliverySet>(outcome).store_id);
  const auto order = storage::OrderRepository(session).find(order_id);
  return tracking_answer(ctx, session, *order);
}

// A manager of the order's store (or an admin) lets those locked out of its hand-over by their
// wrong codes try again: every count of wrong codes for the order starts from nothing.
http::Response unlock_handover_code(Context& ctx, const http::Request& req,
                                    storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  const auto& order_id = req.param("order_id");
  if (who.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  if (who.role != Role::kAdmin && !(who.role == Role::kStaff && who.job == "manager")) {
    throw Error(ErrorKind::kForbidden, "only a manager of the order's store may unlock its code");
  }
  const auto store = storage::OrderRepository(session).store_of(order_id);
  if (!store) throw Error(ErrorKind::kNotFound, "no order " + order_id);
  require_admin_or_manager(who, store->first);
  require_empty_body(req);
  const auto outcome =
      storage::DeliveryRepository(session).unlock_code(order_id, ctx.handover_code_attempts);
  if (std::holds_alternative<storage::OrderNotFound>(outcome)) {
    throw Error(ErrorKind::kNotFound, "no order " + order_id);
  }
  const auto& unlocked = std::get<storage::CodeUnlocked>(outcome);
  spdlog::info("{} code of order={} store={} unlocked by {} for {} locked out",
               storage::to_string(unlocked.kind), order_id, unlocked.store_id,
               who.role == Role::kAdmin ? std::string("admin") : "manager=" + who.id,
               unlocked.actor_ids.size());
  return json_response(200, {{"order_id", order_id},
                             {"kind", storage::to_string(unlocked.kind)},
                             {"attempt_limit", ctx.handover_code_attempts},
                             {"unlocked", unlocked.actor_ids}});
}

}  // namespace

void add_delivery_routes(http::Router& router, Context& ctx) {
  add_handover_code_metrics(ctx);
  router.add("POST", "/v1/orders/{order_id}/handover-code/unlock",
             with_database(ctx, unlock_handover_code));
  router.add("GET", "/v1/delivery/quote", [&ctx](http::Request&& req, http::Responder done) {
    get_quote(ctx, std::move(req), std::move(done));
  });
  router.add("GET", "/v1/orders/{order_id}/tracking", with_database(ctx, get_tracking));
  router.add("POST", "/v1/orders/{order_id}/redelivery", with_database(ctx, request_redelivery));
}

}  // namespace freshlane::api
