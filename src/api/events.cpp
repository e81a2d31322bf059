// Live streams (text/event-stream) of a store's events: the whole store for its staff and the
// wall board, a courier's own deliveries, a customer's own order. And GET /v1/me: who a token
// belongs to, so a screen knows what to show.
#include <charconv>

#include "auth.hpp"
#include "freshlane/api/event_hub.hpp"
#include "freshlane/http/event_stream.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/order_repository.hpp"
#include "handlers.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

http::Response get_me(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  if (who.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  nlohmann::json j{
      {"role", role_name(who.role)},
      {"id", who.id},
      {"store_id", who.store_id.empty() ? nlohmann::json() : nlohmann::json(who.store_id)},
      {"job", who.job.empty() ? nlohmann::json() : nlohmann::json(who.job)}};
  return json_response(200, j);
}

// The number in Last-Event-ID (or ?last_event_id= for clients that cannot set headers).
std::optional<std::int64_t> last_event_id(const http::Request& req) {
  std::optional<std::string> text;
  if (const auto h = req.header("last-event-id")) text = std::string(*h);
  if (!text) text = req.query("last_event_id");
  if (!text || text->empty()) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < 0) {
    throw Error(ErrorKind::kBadRequest,
                "Last-Event-ID must be the id of an event this stream sent (a number)");
  }
  return n;
}

std::string client_of(const Principal& who) {
  return std::string(role_name(who.role)) + ":" + who.id;
}

// 429 when a cap says no; otherwise the open stream.
http::Response open_stream(Context& ctx, const http::Request& req, storage::Session& session,
                           const Principal& who, const std::string& store_id,
                           storage::EventFilter filter) {
  const auto last = last_event_id(req);
  std::string which;
  auto slot = ctx.events->reserve(store_id, client_of(who), which);
  if (!slot) {
    const auto& limits = ctx.events->limits();
    return http::problem(ErrorKind::kRateLimited,
                         which == "store"
                             ? "this store already has " + std::to_string(limits.per_store) +
                                   " open event streams; try again later"
                             : "you already have " + std::to_string(limits.per_client) +
                                   " open event streams; close one first",
                         {{"limit", which == "store" ? limits.per_store : limits.per_client}}, 5);
  }
  http::Response r{200, "text/event-stream", "", {}};
  r.stream = ctx.events->open(session, std::move(slot), std::move(filter), last);
  return r;
}

http::Response store_events(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  const Principal who = authenticate(req, ctx, session);
  require_admin_or_staff(who, store_id);
  existing_store(session, store_id);
  return open_stream(ctx, req, session, who, store_id, {});
}

http::Response courier_events(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCourier);
  return open_stream(ctx, req, session, who, who.store_id, {"", who.id});
}

http::Response order_events(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& order_id = req.param("order_id");
  const Principal who = authenticate(req, ctx, session);
  if (who.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  const auto order = storage::OrderRepository(session).find(order_id);
  // Another customer's order does not exist for them.
  if (!order || (who.role == Role::kCustomer && order->customer_id != who.id)) {
    throw Error(ErrorKind::kNotFound, "no order " + order_id);
  }
  if (who.role != Role::kCustomer) require_admin_or_staff(who, order->store_id);
  return open_stream(ctx, req, session, who, order->store_id, {order_id, ""});
}

}  // namespace

void add_event_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/v1/me", with_database(ctx, get_me));
  router.add("GET", "/v1/stores/{store_id}/events", with_database(ctx, store_events));
  router.add("GET", "/v1/couriers/me/events", with_database(ctx, courier_events));
  router.add("GET", "/v1/orders/{order_id}/events", with_database(ctx, order_events));
}

}  // namespace freshlane::api
