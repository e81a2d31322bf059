// Packing and hand-over: the packing queue, marking an order packed (pickup orders then wait
// at the counter), and handing a pickup order over against the customer's code.
#include <set>

#include "auth.hpp"
#include "delivery_views.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/delivery_repository.hpp"
#include "freshlane/storage/order_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "picking_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

http::Response get_packing(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_staff(authenticate(req, ctx, session), store_id);
  existing_store(session, store_id);
  auto board = read_floor(ctx, session, store_id,
                          [&](const picking::Engine& e) { return packing_board(e); });
  // Each item's storage class, and each order's classes: they decide the bags to pack in.
  std::vector<std::string> skus;
  for (const auto* list : {&board["ready"], &board["incoming"]}) {
    for (const auto& entry : *list) {
      for (const auto& bag : entry["bag_details"]) {
        for (const auto& item : bag["items"]) skus.push_back(item["sku"]);
      }
    }
  }
  const auto storage = storage::CatalogRepository(session).storage_of(skus);
  for (auto* list : {&board["ready"], &board["incoming"]}) {
    for (auto& entry : *list) {
      std::set<std::string> classes;
      for (auto& bag : entry["bag_details"]) {
        for (auto& item : bag["items"]) {
          const auto it = storage.find(item["sku"].get<std::string>());
          const std::string cls(it == storage.end() ? "ambient" : catalog::to_string(it->second));
          item["storage"] = cls;
          classes.insert(cls);
        }
      }
      entry["storage_classes"] = classes;
    }
  }
  return json_response(200, board);
}

http::Response invalid_transition(orders::Status from, const std::string& what) {
  return http::problem(
      ErrorKind::kInvalidTransition,
      "an order that is " + std::string(orders::to_string(from)) + " cannot be " + what,
      {{"order_status", orders::to_string(from)}});
}

orders::Order order_of_store(const Principal& who, storage::Session& session,
                             const std::string& order_id,
                             std::initializer_list<std::string_view> jobs) {
  auto order = storage::OrderRepository(session).find(order_id);
  if (!order) {
    if (who.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
    throw Error(ErrorKind::kNotFound, "no order " + order_id);
  }
  require_staff(who, order->store_id, jobs);
  return std::move(*order);
}

http::Response pack(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  const auto order = order_of_store(who, session, req.param("order_id"), {"packer"});
  if (order.status != orders::Status::kPicking) return invalid_transition(order.status, "packed");
  const auto refusal = decide_on_floor(
      ctx, session, order.store_id,
      [&](picking::Engine& e, core::Timestamp now) { return e.pack(order.order_id, now); });
  const auto now = storage::OrderRepository(session).find(order.order_id);
  // Off the floor since it was read: another packer was quicker.
  if (refusal == picking::Refusal::kUnknownOrder) return invalid_transition(now->status, "packed");
  throw_if_refused(refusal, "order " + order.order_id + " has bags still on their way");
  return json_response(200, to_json(*now, false));
}

// At the counter: a packer or a manager of the order's store (pickers pick, couriers ride: the
// code is not theirs to try) hands a pickup order over against the customer's code.
http::Response hand_over(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  const auto order = order_of_store(who, session, req.param("order_id"), {"packer"});
  BodyReader body(req.body);
  std::string code = body.string("code", Need::kRequired, 1, 32).value_or("");
  body.finish();
  const auto outcome = storage::DeliveryRepository(session).collect(
      order.order_id, code_offer(ctx, who, std::move(code)), ctx.now());
  if (const auto* o = std::get_if<orders::Order>(&outcome))
    return json_response(200, to_json(*o, false));
  if (auto refused = code_refusal(ctx, storage::CodeKind::kCounter, order.order_id, who, outcome)) {
    return std::move(*refused);
  }
  if (std::holds_alternative<storage::OrderNotFound>(outcome)) {
    throw Error(ErrorKind::kNotFound, "no order " + order.order_id);
  }
  return invalid_transition(std::get<storage::InvalidTransition>(outcome).from,
                            "handed over at the counter");
}

}  // namespace

void add_packing_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/v1/stores/{store_id}/packing", with_database(ctx, get_packing));
  router.add("POST", "/v1/orders/{order_id}/pack", with_database(ctx, pack));
  router.add("POST", "/v1/orders/{order_id}/handover", with_database(ctx, hand_over));
}

}  // namespace freshlane::api
