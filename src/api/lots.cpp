// Receiving stock: a lot of one SKU in one store, with its origin, dates and trace.
#include <spdlog/spdlog.h>

#include "auth.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/lot_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

constexpr std::int64_t kMaxLotQuantity = 1'000'000;
constexpr size_t kMaxTraceEvents = 50;

http::Response receive_lot(const Context& ctx, const http::Request& req,
                           storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  const auto now = ctx.now();
  BodyReader body(req.body);
  catalog::Lot lot;
  lot.lot_id = core::new_id("L", 12);
  lot.store_id = store_id;
  lot.received_at = now;
  lot.sku = body.string("sku", Need::kRequired, 1, core::kMaxIdLength).value_or("");
  lot.quantity_received = body.integer("quantity", Need::kRequired, 1, kMaxLotQuantity).value_or(0);
  lot.quantity_on_hand = lot.quantity_available = lot.quantity_received;
  lot.origin = body.string("origin", Need::kRequired).value_or("");
  lot.unit_cost_minor = body.integer("unit_cost_minor", Need::kOptional, 0, kMaxPriceMinor);
  const auto produced = body.timestamp("produced_at", Need::kRequired);
  const auto expires = body.timestamp("expires_at", Need::kRequired);
  if (produced && expires) {
    if (*expires <= *produced)
      body.error("expires_at", "must be after produced_at");
    else if (*expires <= now)
      body.error("expires_at", "must be in the future");
    if (*produced > now + std::chrono::hours(24)) {
      body.error("produced_at", "must not be in the future");
    }
    lot.produced_at = *produced;
    lot.expires_at = *expires;
  }
  body.objects("trace", Need::kOptional, kMaxTraceEvents, [&](ObjectReader& e) {
    catalog::TraceEvent ev;
    ev.at = e.timestamp("at", Need::kRequired).value_or(core::Timestamp{});
    ev.event = e.string("event", Need::kRequired).value_or("");
    ev.place = e.string("place", Need::kRequired).value_or("");
    lot.trace.push_back(std::move(ev));
  });
  body.finish();
  existing_store(session, store_id);
  storage::CatalogRepository repo(session);
  switch (repo.insert_lot(lot)) {
    case storage::LotInsert::kCreated:
      break;
    case storage::LotInsert::kNotListed:
      throw Error(ErrorKind::kUnknownSku, "store " + store_id + " does not list " + lot.sku +
                                              "; list it with PUT /v1/stores/" + store_id +
                                              "/products/" + lot.sku);
    case storage::LotInsert::kDuplicateId:
      throw Error(ErrorKind::kUnavailable, "lot id collision; retry");
  }
  return json_response(201, to_json(lot, ctx.qr));
}

// The lot, for a manager of its store (or the admin): 404 for anyone else's store too.
catalog::Lot lot_for_manager(const Context& ctx, const http::Request& req,
                             storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  if (who.role == Role::kAnonymous) throw Error(ErrorKind::kUnauthorized, "a token is required");
  const std::string& lot_id = req.param("lot_id");
  auto lot = storage::CatalogRepository(session).find_lot(lot_id);
  if (!lot) throw Error(ErrorKind::kNotFound, "no lot " + lot_id);
  require_admin_or_manager(who, lot->store_id);
  return std::move(*lot);
}

// Whom a lot reached: each order with units of it, its customer (name, phone to call, masked
// for nobody: the manager must reach them), and whether the units were handed over.
nlohmann::json recipients_of(storage::Session& session, const catalog::Lot& lot) {
  nlohmann::json items = nlohmann::json::array();
  int handed_over = 0;
  for (const auto& r : storage::LotRepository(session).recipients(lot.store_id, lot.lot_id)) {
    const bool received =
        r.status == "delivered" || r.status == "collected" || r.status == "completed";
    if (received) handed_over += r.quantity;
    items.push_back({{"order_id", r.order_id},
                     {"customer_id", r.customer_id},
                     {"customer_name", r.customer_name},
                     {"customer_phone", r.customer_phone},
                     {"order_status", r.status},
                     {"fulfillment", r.fulfillment},
                     {"quantity", r.quantity},
                     {"picked", r.picked},
                     {"received", received},
                     {"ordered_at", core::format_rfc3339(r.ordered_at)},
                     {"handed_over_at", time_or_null(r.handed_over_at)}});
  }
  return {{"orders", std::move(items)}, {"units_handed_over", handed_over}};
}

http::Response lot_trace(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto lot = lot_for_manager(ctx, req, session);
  auto out = recipients_of(session, lot);
  out["lot"] = to_json(lot, ctx.qr);
  return json_response(200, out);
}

// Stops the lot's sale at once, in every process (its units leave availability and orders in
// the same commit), and lists whom to notify. Recalling again changes nothing.
http::Response recall_lot(Context& ctx, const http::Request& req, storage::Session& session) {
  auto lot = lot_for_manager(ctx, req, session);
  BodyReader body(req.body);
  const auto reason = body.string("reason", Need::kRequired, 1, 500).value_or("");
  body.finish();
  storage::LotRepository(session).recall(lot.store_id, lot.lot_id, reason);
  session.changed(catalog::ProductKey::in_place(lot.store_id, lot.sku));
  spdlog::warn("lot {} of {} recalled in store {}: {}", lot.lot_id, lot.sku, lot.store_id, reason);
  lot = *storage::CatalogRepository(session).find_lot(lot.lot_id);
  auto out = recipients_of(session, lot);
  out["lot"] = to_json(lot, ctx.qr);
  return json_response(200, out);
}

}  // namespace

void add_lot_routes(http::Router& router, Context& ctx) {
  router.add(
      "POST", "/v1/stores/{store_id}/lots",
      with_database(ctx, [&ctx](const auto& req, auto& s) { return receive_lot(ctx, req, s); }));
  router.add("GET", "/v1/lots/{lot_id}/trace", with_database(ctx, lot_trace));
  router.add("POST", "/v1/lots/{lot_id}/recall", with_database(ctx, recall_lot));
}

}  // namespace freshlane::api
