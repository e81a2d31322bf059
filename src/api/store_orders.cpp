// Staff find a store's orders: the manager's and packer's search (by order id, the customer's
// phone ending, or the code the customer shows), and the counter's queue of pickup orders
// waiting to be collected, oldest first.
#include <algorithm>
#include <functional>

#include "auth.hpp"
#include "freshlane/core/crypto.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/storage/order_repository.hpp"
#include "freshlane/storage/refund_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "pagination.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

nlohmann::json staff_view(const orders::Order& o, const storage::Contact& c) {
  nlohmann::json out = to_json(o, false);
  out["customer"] = {{"name", c.name}, {"phone_masked", masked_phone(c.phone)}};
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The store's orders the text is the hand-over code of (only orders that await one).
std::vector<std::string> orders_with_code(const Context& ctx, storage::OrderRepository& repo,
                                          const std::string& store_id, const std::string& text) {
  std::vector<std::string> ids;
  if (text.size() != 6 || !all_digits(text)) return ids;
  for (auto& id : repo.awaiting_handover(store_id)) {
    if (ctx.handover_codes.code_of(id) == text) ids.push_back(std::move(id));
  }
  return ids;
}

storage::StoreOrderQuery read_query(const http::Request& req, const std::string& store_id) {
  storage::StoreOrderQuery q;
  q.store_id = store_id;
  q.status = std::string(req.query("status").value_or(""));
  if (!q.status.empty() && !orders::parse_status(q.status)) {
    invalid_parameter("status", "is not an order status");
  }
  q.fulfillment = std::string(req.query("fulfillment").value_or(""));
  if (!q.fulfillment.empty() && !orders::parse_fulfillment(q.fulfillment)) {
    invalid_parameter("fulfillment", "must be delivery, pickup or in_store");
  }
  q.text = std::string(req.query("q").value_or(""));
  if (q.text.size() > 64) invalid_parameter("q", "must be at most 64 characters");
  if (!q.text.empty() && !core::is_valid_id(q.text)) {
    invalid_parameter("q", "must be an order id, 4 or more digits of a phone, or a code");
  }
  q.limit = page_limit(req);
  const std::string position = cursor_position(req);
  q.after = storage::parse_order_position(position);
  if (!position.empty() && !q.after) invalid_parameter("cursor", "is not a valid cursor");
  return q;
}

// The store's orders asked for by a packer, a manager or the admin; `fix` narrows the query.
storage::OrderPage find_orders(const Context& ctx, const http::Request& req,
                               storage::Session& session,
                               const std::function<void(storage::StoreOrderQuery&)>& fix = {}) {
  const std::string& store_id = req.param("store_id");
  const Principal who = authenticate(req, ctx, session);
  if (who.role != Role::kAdmin) require_staff(who, store_id, {"packer"});
  auto q = read_query(req, store_id);
  if (fix) fix(q);
  existing_store(session, store_id);
  storage::OrderRepository repo(session);
  q.ids = orders_with_code(ctx, repo, store_id, q.text);
  return repo.list_for_store(q);
}

// The page as staff see it; `more` adds to each item.
http::Response answer(const storage::OrderPage& page,
                      const std::function<void(nlohmann::json&, const orders::Order&)>& more = {}) {
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = 0; i < page.orders.size(); ++i) {
    auto item = staff_view(page.orders[i], page.contacts[i]);
    if (more) more(item, page.orders[i]);
    items.push_back(std::move(item));
  }
  return json_response(200, api::page(std::move(items), page.next));
}

// GET /v1/stores/{store_id}/orders?status=&fulfillment=&q=: newest first.
http::Response list_store_orders(Context& ctx, const http::Request& req,
                                 storage::Session& session) {
  return answer(find_orders(ctx, req, session));
}

// GET /v1/stores/{store_id}/counter: pickup orders ready for collection, the longest waiting
// first (`?q=` finds one by the customer's code or phone ending).
http::Response counter_queue(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto page = find_orders(ctx, req, session, [](storage::StoreOrderQuery& q) {
    if (!q.status.empty() || !q.fulfillment.empty()) {
      invalid_parameter(q.status.empty() ? "fulfillment" : "status",
                        "is fixed here: ready_for_pickup pickup orders");
    }
    q.status = "ready_for_pickup";
    q.fulfillment = "pickup";
    q.oldest_first = true;
  });
  const auto now = ctx.now();
  return answer(page, [now](nlohmann::json& item, const orders::Order& o) {
    item["ready_at"] = time_or_null(o.packed_at);
    item["waiting_minutes"] =
        o.packed_at ? std::chrono::duration_cast<std::chrono::minutes>(now - *o.packed_at).count()
                    : 0;
  });
}

// GET /v1/stores/{store_id}/refunds?state=: what the store owes its customers, newest first
// (a manager chases the failed ones).
http::Response list_refunds(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  const std::string state(req.query("state").value_or(""));
  if (!state.empty() && state != "owed" && state != "requested" && state != "refunded" &&
      state != "failed") {
    invalid_parameter("state", "must be owed, requested, refunded or failed");
  }
  const int limit = page_limit(req);
  const int offset = cursor_offset(req);
  existing_store(session, store_id);
  auto refunds = storage::RefundRepository(session).of_store(store_id, state, limit + 1, offset);
  const bool more = refunds.size() > static_cast<size_t>(limit);
  if (more) refunds.pop_back();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : refunds) items.push_back(to_json(r));
  return json_response(
      200, api::page(std::move(items),
                     more ? std::optional(std::to_string(offset + limit)) : std::nullopt));
}

// The code printed on an in-store order's receipt: "FLX.<order id>.<6 digits>", the digits
// derived from the order id under the server's key (never stored), so a receipt cannot be made
// up for another order.
std::string exit_code(const Context& ctx, const std::string& order_id) {
  return "FLX." + order_id + "." + ctx.handover_codes.code_of("exit " + order_id);
}

nlohmann::json receipt_lines(const orders::Order& o) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : o.lines) {
    if (l.quantity > 0) lines.push_back(to_json(l));
  }
  return lines;
}

// GET /v1/orders/{order_id}/receipt: what was paid for; an in-store order's carries the code the
// exit checks. Its customer, the store's staff, the admin.
http::Response receipt(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  if (who.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  const std::string& order_id = req.param("order_id");
  const auto o = storage::OrderRepository(session).find(order_id);
  if (!o || (who.role == Role::kCustomer && o->customer_id != who.id)) {
    throw Error(ErrorKind::kNotFound, "no order " + order_id);
  }
  if (who.role != Role::kCustomer) require_admin_or_staff(who, o->store_id);
  if (!o->paid_at) {
    throw Error(ErrorKind::kInvalidTransition,
                "order " + order_id + " is not paid: no receipt yet");
  }
  const bool in_store = o->fulfillment == orders::Fulfillment::kInStore;
  return json_response(200, {{"order_id", o->order_id},
                             {"store_id", o->store_id},
                             {"fulfillment", orders::to_string(o->fulfillment)},
                             {"lines", receipt_lines(*o)},
                             {"total_minor", o->total_minor()},
                             {"total_estimated", o->estimated()},
                             {"paid_minor", o->charged_minor},
                             {"refund_minor", o->refund_minor},
                             {"currency", o->currency},
                             {"paid_at", core::format_rfc3339(*o->paid_at)},
                             {"exit_code", in_store ? nlohmann::json(exit_code(ctx, o->order_id))
                                                    : nlohmann::json()}});
}

// POST /v1/stores/{store_id}/exit-check {"code"}: staff at the exit scan the receipt. A genuine
// receipt of a completed in-store order of this store opens once; shown again it is refused.
http::Response exit_check(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  const Principal who = authenticate(req, ctx, session);
  require_staff(who, store_id, {"picker", "packer"});
  BodyReader body(req.body);
  const std::string code = body.string("code", Need::kRequired, 1, 200).value_or("");
  body.finish();
  const auto last_dot = code.rfind('.');
  const std::string order_id =
      code.rfind("FLX.", 0) == 0 && last_dot > 4 ? code.substr(4, last_dot - 4) : "";
  if (order_id.empty() || !core::is_valid_id(order_id)) {
    throw Error(ErrorKind::kInvalidCode, "not a receipt code");
  }
  if (!core::constant_time_equal(code, exit_code(ctx, order_id))) {
    throw Error(ErrorKind::kUnknownCode, "this receipt code is not one we printed");
  }
  storage::OrderRepository repo(session);
  const auto o = repo.find(order_id);
  if (!o || o->store_id != store_id || o->fulfillment != orders::Fulfillment::kInStore) {
    throw Error(ErrorKind::kUnknownCode, "no in-store order of this store behind this receipt");
  }
  if (o->status != orders::Status::kCompleted) {
    throw Error(ErrorKind::kInvalidTransition,
                "order " + order_id + " is " + std::string(orders::to_string(o->status)));
  }
  if (!repo.check_exit(store_id, order_id)) {
    throw Error(ErrorKind::kConflict, "this receipt was checked at the exit before");
  }
  return json_response(200, {{"order_id", order_id},
                             {"lines", receipt_lines(*o)},
                             {"total_minor", o->total_minor()},
                             {"currency", o->currency},
                             {"checked", true}});
}

}  // namespace

void add_store_order_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/v1/stores/{store_id}/orders", with_database(ctx, list_store_orders));
  router.add("GET", "/v1/stores/{store_id}/counter", with_database(ctx, counter_queue));
  router.add("GET", "/v1/stores/{store_id}/refunds", with_database(ctx, list_refunds));
  router.add("GET", "/v1/orders/{order_id}/receipt", with_database(ctx, receipt));
  router.add("POST", "/v1/stores/{store_id}/exit-check", with_database(ctx, exit_check));
}

}  // namespace freshlane::api
