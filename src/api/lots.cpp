// Receiving stock: a lot of one SKU in one store, with its origin, dates and trace.
#include "auth.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/storage/catalog_repository.hpp"
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
  lot.origin = body.string("origin", Need::kRequired).value_or("");
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

}  // namespace

void add_lot_routes(http::Router& router, Context& ctx) {
  router.add(
      "POST", "/v1/stores/{store_id}/lots",
      with_database(ctx, [&ctx](const auto& req, auto& s) { return receive_lot(ctx, req, s); }));
}

}  // namespace freshlane::api
