#pragma once
// Private to api/: how a resource function becomes an HTTP handler, and the one place where
// exceptions become problem+json responses.
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "freshlane/api/context.hpp"
#include "freshlane/catalog/product.hpp"
#include "freshlane/http/message.hpp"
#include "freshlane/http/router.hpp"
#include "freshlane/storage/floor_records.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::api {

// The most a price or a unit cost may be, in minor units (one million yuan).
inline constexpr std::int64_t kMaxPriceMinor = 100'000'000;

using DbFunction = std::function<http::Response(const http::Request&, storage::Session&)>;
using PlainFunction = std::function<http::Response(const http::Request&)>;

// The one error mapping: core::Error → its problem; database failures by SQLSTATE → 503 or
// 500; anything else → 500 (logged with the request id).
http::Response error_response(std::exception_ptr e, const http::Request& req);

// Runs `f` on a database worker and answers through `done`; 503 when the pool cannot take it.
void run_in_database(Context& ctx, http::Request&& req, http::Responder done, DbFunction f);

// A read answered from ctx.answers while fresh; otherwise `f` loads it on a database worker,
// once for all the requests that come while it runs. `f` says which store product its answer
// is about; only a 200 with one is kept (see AnswerCache). When a load is due, `refuse` (if
// given) may answer instead, on the calling thread, without a database trip.
struct Cacheable {
  http::Response response;
  std::optional<catalog::ProductKey> about;
  std::vector<std::string> shows;  // a page (about a store, no SKU): the SKUs it shows
  // When what it shows was read, if before the load (a page from a kept ranking): it is kept
  // as read then, so it never outlives its ranking's life.
  std::optional<AnswerCache::Clock::time_point> read_at;
};
using CachedFunction = std::function<Cacheable(const http::Request&, storage::Session&)>;
using Refusal = std::function<std::optional<http::Response>()>;
// `store`, when known before loading: the store the answer is about (a change elsewhere then
// never keeps a request from joining a load in flight).
void serve_cached(Context& ctx, const std::string& key, http::Request&& req, http::Responder done,
                  CachedFunction f, const Refusal& refuse = {}, const std::string& store = {});

// Handlers for routes that need the database, and for those that do not (answered on the I/O
// thread).
http::Handler with_database(Context& ctx, DbFunction f);
// The same for a plain function of (context, request, session).
using ContextFunction = http::Response (*)(Context&, const http::Request&, storage::Session&);
http::Handler with_database(Context& ctx, ContextFunction f);
http::Handler without_database(PlainFunction f);

// A decision on the store's floor (store/floors.hpp) in this session's records: `f(engine,
// now)` runs in the floor's unit of work, as do the repositories it calls on `session`.
template <typename F>
auto decide_on_floor(Context& ctx, storage::Session& session, const std::string& store_id, F&& f) {
  storage::PgFloorRecords records(session);
  return ctx.floors.decide(records, store_id, ctx.now(), std::forward<F>(f));
}

// `look(const engine&)` on the store's floor as last recorded, without joining its decisions.
template <typename F>
auto read_floor(Context& ctx, storage::Session& session, const std::string& store_id, F&& look) {
  storage::PgFloorRecords records(session);
  return ctx.floors.read(records, store_id, std::forward<F>(look));
}

// The store, or 404 "no store <id>" (api/stores.cpp).
catalog::Store existing_store(storage::Session& session, const std::string& store_id);
// The same, remembered a few seconds (the hot paths: orders).
catalog::Store recent_store(const Context& ctx, storage::Session& session,
                            const std::string& store_id);

// Throws invalid_code (not a code) or unknown_code (forged) unless `code` is a lot or shelf
// label we signed (api/scan.cpp).
void require_our_code(const catalog::DecodedCode& code);

// 409 store_busy (with Retry-After) when a delivery to `door` would break the store's promise
// now, or no picker or no courier is on shift (api/delivery.cpp): `floor` as read before, the
// store's orders and couriers read now, in the caller's transaction.
std::optional<http::Response> refuse_if_store_busy(Context& ctx, storage::Session& session,
                                                   const catalog::Store& store, core::LatLon door,
                                                   const store::FloorLoad& floor);

// Each resource file adds its routes.
void add_store_routes(http::Router& router, Context& ctx);
void add_catalog_routes(http::Router& router, Context& ctx);
void add_lot_routes(http::Router& router, Context& ctx);
void add_scan_routes(http::Router& router, Context& ctx);
void add_operations_routes(http::Router& router, Context& ctx);
void add_account_routes(http::Router& router, Context& ctx);
void add_order_routes(http::Router& router, Context& ctx);
void add_payment_routes(http::Router& router, Context& ctx);
void add_picking_routes(http::Router& router, Context& ctx);
void add_packing_routes(http::Router& router, Context& ctx);
void add_delivery_routes(http::Router& router, Context& ctx);
void add_courier_routes(http::Router& router, Context& ctx);
void add_store_order_routes(http::Router& router, Context& ctx);
void add_event_routes(http::Router& router, Context& ctx);
void add_board_routes(http::Router& router, Context& ctx);
void add_markdown_routes(http::Router& router, Context& ctx);
void add_forecast_routes(http::Router& router, Context& ctx);
void add_recommendation_routes(http::Router& router, Context& ctx);

// A few items often bought with this one at its store and in stock there now (recommendations.cpp):
// [{sku, name, unit, price_minor, baskets}], the most bought with it first.
nlohmann::json often_with(storage::Session& session, const catalog::StoreProduct& product,
                          core::Timestamp now);
void add_staff_ui_routes(http::Router& router, Context& ctx);

}  // namespace freshlane::api
