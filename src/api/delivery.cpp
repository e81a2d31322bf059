// Delivery for customers: the quote before ordering, the promise check when a delivery order is
// placed, and tracking an order from payment to the door.
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
                                                   const catalog::Store& store, core::LatLon door) {
  const auto now = ctx.now();
  const auto q =
      dispatch::quote(store, door, ctx.desks.load(session, store, now), ctx.desks.params());
  if (q.reason != dispatch::QuoteReason::kStoreBusy) return std::nullopt;
  const std::string why =
      q.eta_minutes ? "delivery would take about " + std::to_string(*q.eta_minutes) +
                          " minutes, beyond the promised " + std::to_string(store.promise_minutes)
                    : std::string("no courier is on shift");
  return http::problem(
      ErrorKind::kStoreBusy, why + "; try again later or order for pickup",
      {{"eta_minutes", q.eta_minutes ? nlohmann::json(*q.eta_minutes) : nlohmann::json()},
       {"promise_minutes", store.promise_minutes}},
      static_cast<int>(q.retry_after.count()));
}

namespace {

// The quote never takes a database worker of its own: it is summed on the I/O thread from the
// store's load as published (DispatchDesks), read at most once per store and period for all the
// quotes that come meanwhile. A flood of quotes cannot starve orders or staff of workers.
void get_quote(Context& ctx, http::Request&& request, http::Responder done) {
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

// The current estimate of the door time; none for orders that are not on their way.
std::optional<core::Timestamp> estimate_arrival(Context& ctx, storage::Session& session,
                                                const orders::Order& o,
                                                const storage::TrackingRecord& t,
                                                core::Timestamp now) {
  using orders::Status;
  if (o.status == Status::kDelivered) return last_event(t, "delivered");
  if (o.fulfillment != orders::Fulfillment::kDelivery || !o.delivery) return std::nullopt;
  if (t.live_stop) return std::max(now, t.live_stop->eta);
  dispatch::Stage stage;
  switch (o.status) {
    case Status::kPaid:
      stage = dispatch::Stage::kPaid;
      break;
    case Status::kPicking:
      stage = dispatch::Stage::kPicking;
      break;
    case Status::kPacked:
      stage = dispatch::Stage::kPacked;
      break;
    default:
      return std::nullopt;
  }
  const auto eta =
      dispatch::estimate(o.delivery->distance_m,
                         ctx.desks.load_for_reading(session, o.store_id)->load, ctx.desks.params());
  return now + dispatch::still_ahead(eta, stage);
}

http::Response get_tracking(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCustomer);  // tracking is for the order's customer
  const auto& order_id = req.param("order_id");
  const auto order = storage::OrderRepository(session).find(order_id);
  if (!order || order->customer_id != who.id) {
    throw Error(ErrorKind::kNotFound, "no order " + order_id);
  }
  const auto now = ctx.now();
  const auto track = storage::DeliveryRepository(session).tracking(order_id);
  return json_response(
      200, tracking_view(*order, track, estimate_arrival(ctx, session, *order, track, now)));
}

}  // namespace

void add_delivery_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/v1/delivery/quote", [&ctx](http::Request&& req, http::Responder done) {
    get_quote(ctx, std::move(req), std::move(done));
  });
  router.add("GET", "/v1/orders/{order_id}/tracking", with_database(ctx, get_tracking));
}

}  // namespace freshlane::api
