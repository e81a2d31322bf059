// Orders: create (idempotent, reserves stock at once), read, list, cancel.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "auth.hpp"
#include "delivery_views.hpp"
#include "freshlane/core/crypto.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/board_repository.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/order_repository.hpp"
#include "freshlane/storage/refund_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "pagination.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

struct ParsedOrder {
  std::string store_id;
  orders::Fulfillment fulfillment = orders::Fulfillment::kDelivery;
  std::vector<std::pair<std::string, std::int64_t>> lines;  // summed per SKU, first-seen order
  std::set<std::string> in_grams;                           // SKUs ordered by weight
  std::optional<orders::Delivery> delivery;
  std::string canonical_body;  // for the idempotency comparison
};

ParsedOrder parse_order(const std::string& raw) {
  BodyReader body(raw);
  ParsedOrder p;
  p.store_id = body.string("store_id", Need::kRequired, 1, core::kMaxIdLength).value_or("");
  if (auto f = body.string("fulfillment", Need::kRequired, 1, 16)) {
    if (auto parsed = orders::parse_fulfillment(*f))
      p.fulfillment = *parsed;
    else
      body.error("fulfillment", "must be one of delivery, pickup, in_store");
  }
  std::map<std::string, size_t> position;
  size_t count = 0;
  body.objects("lines", Need::kRequired, orders::kMaxLines, [&](ObjectReader& line) {
    ++count;
    const auto sku = line.string("sku", Need::kRequired, 1, core::kMaxIdLength);
    // Pieces, or grams of goods sold by weight: one of the two.
    const bool by_weight = line.has("grams");
    const char* field = by_weight ? "grams" : "quantity";
    const std::int64_t most = by_weight ? orders::kMaxGrams : orders::kMaxQuantity;
    const auto qty = by_weight ? line.integer("grams", Need::kRequired, orders::kMinGrams, most)
                               : line.integer("quantity", Need::kRequired, 1, most);
    if (by_weight && line.has("quantity")) {
      line.integer("quantity", Need::kOptional, 1, orders::kMaxQuantity);  // read: not unknown
      line.error("quantity", "send quantity (pieces) or grams (goods sold by weight), not both");
    }
    if (sku && !core::is_valid_id(*sku)) line.error("sku", "may hold only A-Z a-z 0-9 _ -");
    if (!sku || !qty) return;
    auto [it, inserted] = position.emplace(*sku, p.lines.size());
    if (inserted) {
      p.lines.emplace_back(*sku, 0);
      if (by_weight) p.in_grams.insert(*sku);
    } else if (by_weight != (p.in_grams.count(*sku) > 0)) {
      line.error(field, "the lines naming " + *sku + " must all count pieces or all grams");
      return;
    }
    // Lines naming one SKU reserve together, as one line, under the same per-line limit (else
    // a hundred lines of 999 would take 99,900 units of one SKU).
    auto& total = p.lines[it->second].second;
    if (total + *qty > most && total <= most) {
      line.error(field, "the lines naming " + *sku + " add up to more than " +
                            std::to_string(most) + ", the most one line (one SKU) may hold");
    }
    total += *qty;
  });
  if (count == 0) body.error("lines", "must hold at least one line");
  if (auto d = body.object("delivery", Need::kOptional)) {
    orders::Delivery delivery;
    delivery.location.lat = d->number("lat", Need::kRequired, -90, 90).value_or(0);
    delivery.location.lon = d->number("lon", Need::kRequired, -180, 180).value_or(0);
    delivery.address = d->string("address", Need::kRequired, 1, 300).value_or("");
    delivery.notes = d->string("notes", Need::kOptional, 0, 300).value_or("");
    d->reject_unknown();
    p.delivery = delivery;
  }
  if (p.fulfillment == orders::Fulfillment::kDelivery && !p.delivery) {
    body.error("delivery", "is required for delivery orders");
  }
  if (p.fulfillment != orders::Fulfillment::kDelivery && p.delivery) {
    body.error("delivery", "is only for delivery orders");
  }
  body.finish();
  p.canonical_body = nlohmann::json::parse(raw).dump();  // keys sorted, spacing gone
  return p;
}

std::string idempotency_key(const http::Request& req) {
  const auto key = req.header("idempotency-key");
  if (!key) throw Error(ErrorKind::kIdempotencyKeyRequired, "send an Idempotency-Key header");
  const bool visible =
      std::all_of(key->begin(), key->end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (key->empty() || key->size() > 255 || !visible) {
    throw Error(ErrorKind::kValidationFailed,
                "Idempotency-Key must be 1-255 visible ASCII characters",
                {{"Idempotency-Key", "must be 1-255 visible ASCII characters"}});
  }
  return std::string(*key);
}

// The answer to an order placement's outcome, as kept under its idempotency key; none when it
// is not final (too many unpaid orders: the same request may succeed once one is paid).
// A kept problem names the request that placed it (`instance`): replays return it byte for byte.
std::optional<storage::StoredAnswer> answer_for(const storage::CreateOrderOutcome& outcome,
                                                const std::string& store_id,
                                                const std::string& request_id) {
  auto kept = [&request_id](http::Response r) {
    http::add_instance(r, request_id);
    return storage::StoredAnswer{r.status, r.body};
  };
  if (const auto* order = std::get_if<orders::Order>(&outcome)) {
    return kept(json_response(201, to_json(*order, true)));
  }
  if (const auto* shortages = std::get_if<std::vector<orders::Shortage>>(&outcome)) {
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& s : *shortages) {
      lines.push_back({{"sku", s.sku}, {"requested", s.requested}, {"available", s.available}});
    }
    return kept(http::problem(
        ErrorKind::kOutOfStock,
        std::to_string(shortages->size()) + " line(s) cannot be filled; nothing was reserved",
        {{"lines", std::move(lines)}}));
  }
  if (const auto* wrong = std::get_if<storage::WrongMeasure>(&outcome)) {
    std::vector<core::FieldError> errors;
    for (const auto& sku : wrong->by_weight) {
      errors.push_back({"lines", sku + " is sold by weight: order it in grams"});
    }
    for (const auto& sku : wrong->each) {
      errors.push_back({"lines", sku + " is sold each: order a quantity, not grams"});
    }
    std::string detail;
    for (const auto& e : errors) detail += (detail.empty() ? "" : "; ") + e.message;
    return kept(http::problem(core::Error(ErrorKind::kValidationFailed, detail, errors)));
  }
  if (const auto* unknown = std::get_if<storage::UnknownSkus>(&outcome)) {
    std::string list;
    for (const auto& s : unknown->skus) list += (list.empty() ? "" : ", ") + s;
    return kept(http::problem(ErrorKind::kUnknownSku, "not sold in store " + store_id + ": " + list,
                              {{"skus", unknown->skus}}));
  }
  return std::nullopt;
}

// 422 hold_limit_exceeded: what the customer holds in unpaid orders, what this one would add,
// and the limits (not kept under the key: paying or cancelling an order makes room).
http::Response hold_limit_exceeded(const Context& ctx, const storage::HoldLimitExceeded& h,
                                   const std::string& currency) {
  const bool units = h.held_units + h.order_units > ctx.max_held_units;
  const std::string limit = units ? std::to_string(ctx.max_held_units) + " units"
                                  : std::to_string(ctx.max_held_value_minor) + " in value";
  const std::string detail = "your unpaid orders hold " + std::to_string(h.held_units) +
                             " units worth " + std::to_string(h.held_value_minor) + " (" +
                             currency + " minor units) and this order would add " +
                             std::to_string(h.order_units) + " units worth " +
                             std::to_string(h.order_value_minor) + ": past the " + limit +
                             " one customer may hold in unpaid orders; pay or cancel an order, "
                             "or order less";
  return http::problem(ErrorKind::kHoldLimitExceeded, detail,
                       {{"held_units", h.held_units},
                        {"held_value_minor", h.held_value_minor},
                        {"order_units", h.order_units},
                        {"order_value_minor", h.order_value_minor},
                        {"max_held_units", ctx.max_held_units},
                        {"max_held_value_minor", ctx.max_held_value_minor}});
}

// A kept answer; a placed order's gets the customer's hand-over code back (never stored).
http::Response stored_response(const Context& ctx, const storage::StoredAnswer& a,
                               http::Fields headers = {}) {
  return {a.status, a.status < 300 ? "application/json" : "application/problem+json",
          a.status == 201 ? with_handover_code(ctx, a.body) : a.body, std::move(headers)};
}

http::Response create_order(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCustomer);
  if (ctx.limits) {
    if (auto r = refuse_over_limit(ctx.limits->orders, who.id, "order placements")) return *r;
  }
  const std::string key = idempotency_key(req);
  const ParsedOrder p = parse_order(req.body);

  // Refusals before anything is placed are not kept under the key: a retry is checked afresh.
  const auto store = recent_store(ctx, session, p.store_id);
  std::optional<orders::Delivery> delivery = p.delivery;
  if (delivery) {
    const double d = core::distance_m(store.location, delivery->location);
    delivery->distance_m = static_cast<int>(d + 0.5);
    if (!store.delivers_within(d)) {
      return http::problem(
          ErrorKind::kOutOfDeliveryRange,
          "the address is " + std::to_string(delivery->distance_m) +
              " m from the store, which delivers within " +
              std::to_string(store.delivery_radius_m) + " m",
          {{"distance_m", delivery->distance_m}, {"delivery_radius_m", store.delivery_radius_m}});
    }
  }
  storage::OrderRequest request{who.id,   store,     p.fulfillment,      p.lines,
                                delivery, ctx.now(), ctx.payment_window, ctx.max_pending_orders};
  request.max_held_units = ctx.max_held_units;
  request.max_held_value_minor = ctx.max_held_value_minor;
  request.in_grams = p.in_grams;
  std::optional<http::Response> busy;
  storage::PlaceSteps steps;
  if (delivery) {
    // A busy store refuses delivery orders for now; once the key is known to be new (so a
    // retry of an order placed before still gets its answer), under the store's admission lock
    // (so orders admitted meanwhile count). The floor's part of the load is read before.
    const auto floor = ctx.desks.floor_load(session, store.store_id, request.now);
    steps.admit = [&, floor] {
      busy = refuse_if_store_busy(ctx, session, store, delivery->location, floor);
      return !busy;
    };
  }
  steps.answer = [&](const storage::CreateOrderOutcome& o) {
    return answer_for(o, p.store_id, req.request_id);
  };
  const auto outcome = storage::OrderRepository(session).place(
      request, {key, core::to_hex(core::sha256(p.canonical_body))}, steps);

  if (const auto* placed = std::get_if<storage::Placed>(&outcome)) {
    if (delivery && std::holds_alternative<orders::Order>(placed->outcome)) {
      ctx.desks.forget(store.store_id);  // one more delivery order ahead of the next quote
    }
    if (placed->answer) return stored_response(ctx, *placed->answer);
    if (const auto* held = std::get_if<storage::HoldLimitExceeded>(&placed->outcome)) {
      return hold_limit_exceeded(ctx, *held, store.currency);
    }
    const auto& pending = std::get<storage::TooManyPendingOrders>(placed->outcome);
    throw Error(ErrorKind::kTooManyPendingOrders, "you have " + std::to_string(pending.pending) +
                                                      " unpaid orders; pay or cancel one first");
  }
  if (const auto* replay = std::get_if<storage::Replayed>(&outcome)) {
    return stored_response(ctx, replay->answer, {{"Idempotent-Replayed", "true"}});
  }
  if (std::holds_alternative<storage::KeyReused>(outcome)) {
    throw Error(ErrorKind::kIdempotencyKeyReused,
                "this Idempotency-Key was first used with another body");
  }
  if (std::holds_alternative<storage::KeyInUse>(outcome)) {
    throw Error(ErrorKind::kRequestInProgress,
                "the first request with this Idempotency-Key is still running");
  }
  // NotAdmitted: counted for the board (a count that cannot be written does not change the
  // answer).
  const auto problem = nlohmann::json::parse(busy->body, nullptr, false);
  if (problem.is_object() && problem.value("code", "") == "store_busy") {
    try {
      storage::BoardRepository(session).count_refusal(store.store_id, ctx.timezone);
    } catch (const std::exception& e) {
      spdlog::warn("store {}: refusal not counted: {}", store.store_id, e.what());
    }
  }
  return std::move(*busy);
}

// Who may read an order: its customer (others: 404), staff of its store, admin.
void authorize_read(const Principal& who, const orders::Order& o) {
  switch (who.role) {
    case Role::kAdmin:
      return;
    case Role::kCustomer:
      if (who.id == o.customer_id) return;
      throw Error(ErrorKind::kNotFound, "no order " + o.order_id);
    case Role::kStaff:
      if (who.store_id == o.store_id) return;
      throw Error(ErrorKind::kForbidden, "this order belongs to another store");
    case Role::kCourier:
      throw Error(ErrorKind::kForbidden, "couriers see orders through trips");
    case Role::kAnonymous:
      throw Error(ErrorKind::kUnauthorized, "a token is required");
  }
}

http::Response get_order(const Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  if (who.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  const auto order = storage::OrderRepository(session).find(req.param("order_id"));
  if (!order) throw Error(ErrorKind::kNotFound, "no order " + req.param("order_id"));
  authorize_read(who, *order);
  auto out = who.role == Role::kCustomer ? customer_view(ctx, *order) : to_json(*order, false);
  // What is owed back, and how far it has come (short picks, a cancelled payment, late money).
  nlohmann::json refunds = nlohmann::json::array();
  for (const auto& r : storage::RefundRepository(session).of_order(order->order_id)) {
    refunds.push_back(to_json(r));
  }
  out["refunds"] = std::move(refunds);
  return json_response(200, out);
}

http::Response list_orders(const Context& ctx, const http::Request& req,
                           storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCustomer);
  const int limit = page_limit(req);
  const std::string text = cursor_position(req);
  const auto after = storage::parse_order_position(text);
  if (!text.empty() && !after) invalid_parameter("cursor", "is not a valid cursor");
  const auto page = storage::OrderRepository(session).list_for_customer(who.id, after, limit);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& o : page.orders) items.push_back(customer_view(ctx, o));
  return json_response(200, api::page(std::move(items), page.next));
}

// The order's customer, or, for them, a manager of its store (or the admin) with a reason that
// is kept on the order (`{"reason": "customer called: wrong address"}`).
http::Response cancel_order(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  storage::OrderRepository repo(session);
  const std::string& order_id = req.param("order_id");
  const bool for_customer = who.role == Role::kStaff || who.role == Role::kAdmin;
  if (!for_customer) require_role(who, Role::kCustomer);
  if (who.role == Role::kStaff && who.job != "manager") {
    throw Error(ErrorKind::kForbidden, "only the customer or the store's manager may cancel");
  }
  const auto found = repo.find(order_id);
  if (!found) throw Error(ErrorKind::kNotFound, "no order " + order_id);
  std::string reason;
  if (for_customer) {
    require_admin_or_manager(who, found->store_id);
    BodyReader body(req.body.empty() ? std::string("{}") : req.body);
    reason = body.string("reason", Need::kRequired, 1, 500).value_or("");
    body.finish();
  } else if (found->customer_id != who.id) {
    throw Error(ErrorKind::kNotFound, "no order " + order_id);
  }
  auto cancel = [&] {
    return for_customer ? repo.cancel_for_customer(order_id, who.id, reason)
                        : repo.cancel(order_id, who.id);
  };
  // A paid order's tasks are on the floor: cancel in a decision on the floor, so no picker can
  // take one in between, and take them off it in the same transaction.
  const auto outcome =
      found->fulfillment == orders::Fulfillment::kInStore
          ? cancel()
          : decide_on_floor(
                ctx, session, found->store_id, [&](picking::Engine& e, core::Timestamp now) {
                  auto result = cancel();
                  if (std::holds_alternative<orders::Order>(result) &&
                      e.cancel_order(order_id, now) == picking::Refusal::kPickingStarted) {
                    throw store::StaleFloor("order " + order_id +
                                            " is paid in the database but picking "
                                            "on the floor");
                  }
                  return result;
                });
  if (auto* order = std::get_if<orders::Order>(&outcome)) {
    if (for_customer) {
      spdlog::info("order {} cancelled for its customer by {} (store {}): {}", order_id, who.id,
                   found->store_id, reason);
      return json_response(200, to_json(*order, false));
    }
    return json_response(200, customer_view(ctx, *order));
  }
  if (std::holds_alternative<storage::OrderNotFound>(outcome)) {
    throw Error(ErrorKind::kNotFound, "no order " + req.param("order_id"));
  }
  const auto from = std::get<storage::InvalidTransition>(outcome).from;
  return http::problem(
      ErrorKind::kInvalidTransition,
      "an order that is " + std::string(orders::to_string(from)) + " can no longer be cancelled",
      {{"order_status", orders::to_string(from)}});
}

// A customer rates what they got: one rating per order line (its SKU), changed by rating again,
// once the order is in their hands. The product's rating (scan, product pages) counts it.
http::Response rate_line(const Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCustomer);
  BodyReader body(req.body);
  const auto stars = body.integer("stars", Need::kRequired, 1, 5);
  body.finish();
  const std::string& order_id = req.param("order_id");
  const std::string& sku = req.param("sku");
  const auto order = storage::OrderRepository(session).find(order_id);
  if (!order || order->customer_id != who.id)
    throw Error(ErrorKind::kNotFound, "no order " + order_id);
  const auto line = std::find_if(order->lines.begin(), order->lines.end(),
                                 [&](const orders::Line& l) { return l.sku == sku; });
  if (line == order->lines.end()) {
    throw Error(ErrorKind::kNotFound, "order " + order_id + " has no line of " + sku);
  }
  using orders::Status;
  if (order->status != Status::kDelivered && order->status != Status::kCollected &&
      order->status != Status::kCompleted) {
    return http::problem(ErrorKind::kInvalidTransition,
                         "an order that is " + std::string(orders::to_string(order->status)) +
                             " cannot be rated yet: rate what you have received",
                         {{"order_status", orders::to_string(order->status)}});
  }
  if (line->quantity == 0) {
    throw Error(ErrorKind::kInvalidTransition, "none of " + sku + " was received (short)");
  }
  storage::CatalogRepository catalog(session);
  catalog.rate(sku, order_id, static_cast<int>(*stars));  // one per order and SKU
  const auto rating = catalog.rating(sku);
  return json_response(
      200, {{"order_id", order_id}, {"sku", sku}, {"stars", *stars}, {"rating", to_json(rating)}});
}

}  // namespace

void add_order_routes(http::Router& router, Context& ctx) {
  router.add("POST", "/v1/orders", with_database(ctx, [&ctx](const auto& req, auto& s) {
               return create_order(ctx, req, s);
             }));
  router.add("GET", "/v1/orders", with_database(ctx, [&ctx](const auto& req, auto& s) {
               return list_orders(ctx, req, s);
             }));
  router.add("GET", "/v1/orders/{order_id}", with_database(ctx, [&ctx](const auto& req, auto& s) {
               return get_order(ctx, req, s);
             }));
  router.add(
      "POST", "/v1/orders/{order_id}/cancel",
      with_database(ctx, [&ctx](const auto& req, auto& s) { return cancel_order(ctx, req, s); }));
  router.add(
      "PUT", "/v1/orders/{order_id}/lines/{sku}/rating",
      with_database(ctx, [&ctx](const auto& req, auto& s) { return rate_line(ctx, req, s); }));
}

}  // namespace freshlane::api
