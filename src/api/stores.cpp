// Stores: create (admin), read, list near a point.
#include <algorithm>
#include <charconv>

#include "auth.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "pagination.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

catalog::Store recent_store(const Context& ctx, storage::Session& session,
                            const std::string& store_id) {
  const auto now = Recent<catalog::Store>::Clock::now();
  if (auto store = ctx.stores.get(store_id, now)) return std::move(*store);
  auto store = existing_store(session, store_id);
  ctx.stores.put(store_id, store, now);
  return store;
}

catalog::Store existing_store(storage::Session& session, const std::string& store_id) {
  auto store = storage::StoreRepository(session).find(store_id);
  if (!store) throw Error(ErrorKind::kNotFound, "no store " + store_id);
  return std::move(*store);
}

namespace {

http::Response create_store(const Context& ctx, const http::Request& req,
                            storage::Session& session) {
  require_admin(authenticate(req, ctx, session));
  BodyReader body(req.body);
  catalog::Store store;
  if (auto id = body.string("store_id", Need::kOptional, 1, core::kMaxIdLength)) {
    if (!core::is_valid_id(*id)) body.error("store_id", "may hold only A-Z a-z 0-9 _ -");
    store.store_id = *id;
  } else {
    store.store_id = core::new_id("st_", 10);
  }
  store.name = body.string("name", Need::kRequired).value_or("");
  store.location.lat = body.number("lat", Need::kRequired, -90, 90).value_or(0);
  store.location.lon = body.number("lon", Need::kRequired, -180, 180).value_or(0);
  store.delivery_radius_m = static_cast<int>(
      body.integer("delivery_radius_m", Need::kOptional, 100, 50000).value_or(3000));
  store.promise_minutes =
      static_cast<int>(body.integer("promise_minutes", Need::kOptional, 5, 24 * 60).value_or(30));
  if (auto currency = body.string("currency", Need::kOptional, 3, 3)) {
    if (!std::all_of(currency->begin(), currency->end(),
                     [](char c) { return c >= 'A' && c <= 'Z'; })) {
      body.error("currency", "must be an ISO 4217 code such as CNY");
    }
    store.currency = *currency;
  }
  body.finish();
  if (!storage::StoreRepository(session).insert(store)) {
    throw Error(ErrorKind::kConflict, "store " + store.store_id + " already exists");
  }
  return json_response(201, to_json(store));
}

http::Response get_store(const http::Request& req, storage::Session& session) {
  return json_response(200, to_json(existing_store(session, req.param("store_id"))));
}

http::Response list_stores(const http::Request& req, storage::Session& session) {
  const auto lat = query_coordinate(req, "lat", 90);
  const auto lon = query_coordinate(req, "lon", 180);
  if (lat.has_value() != lon.has_value()) {
    invalid_parameter(lat ? "lon" : "lat",
                      "is required together with " + std::string(lat ? "lat" : "lon"));
  }
  const int limit = page_limit(req);
  const std::string position = cursor_position(req);
  size_t offset = 0;
  if (!position.empty()) {
    const auto [end, ec] =
        std::from_chars(position.data(), position.data() + position.size(), offset);
    if (ec != std::errc() || end != position.data() + position.size()) {
      invalid_parameter("cursor", "is not a valid cursor");
    }
  }
  auto stores = storage::StoreRepository(session).all();  // a chain has hundreds of stores
  std::vector<double> distance(stores.size(), 0);
  if (lat) {
    const core::LatLon here{*lat, *lon};
    std::vector<std::pair<double, size_t>> order;
    for (size_t i = 0; i < stores.size(); ++i) {
      order.emplace_back(core::distance_m(here, stores[i].location), i);
    }
    std::stable_sort(order.begin(), order.end());
    std::vector<catalog::Store> sorted;
    for (size_t i = 0; i < order.size(); ++i) {
      sorted.push_back(std::move(stores[order[i].second]));
      distance[i] = order[i].first;
    }
    stores = std::move(sorted);
  }
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = offset; i < stores.size() && items.size() < static_cast<size_t>(limit); ++i) {
    nlohmann::json item = to_json(stores[i]);
    if (lat) {
      item["distance_m"] = static_cast<std::int64_t>(distance[i] + 0.5);
      item["delivers"] = stores[i].delivers_within(distance[i]);
    }
    items.push_back(std::move(item));
  }
  const size_t next = offset + items.size();
  return json_response(
      200, page(std::move(items),
                next < stores.size() ? std::optional(std::to_string(next)) : std::nullopt));
}

}  // namespace

void add_store_routes(http::Router& router, Context& ctx) {
  router.add("POST", "/v1/stores", with_database(ctx, [&ctx](const auto& req, auto& session) {
               return create_store(ctx, req, session);
             }));
  router.add("GET", "/v1/stores", with_database(ctx, list_stores));
  router.add("GET", "/v1/stores/{store_id}", with_database(ctx, get_store));
}

}  // namespace freshlane::api
