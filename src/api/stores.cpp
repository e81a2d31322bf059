// Stores: create (admin), read, list near a point.
#include <algorithm>
#include <cctype>
#include <tuple>
#include <utility>

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
  const auto generation = ctx.stores.generation();
  auto store = existing_store(session, store_id);
  ctx.stores.put(store_id, store, now, generation);
  return store;
}

catalog::Store existing_store(storage::Session& session, const std::string& store_id) {
  auto store = storage::StoreRepository(session).find(store_id);
  if (!store) throw Error(ErrorKind::kNotFound, "no store " + store_id);
  return std::move(*store);
}

namespace {

bool is_clock_time(const std::string& s) {
  return s.size() == 5 && s[2] == ':' && std::isdigit(static_cast<unsigned char>(s[0])) &&
         std::isdigit(static_cast<unsigned char>(s[1])) &&
         std::isdigit(static_cast<unsigned char>(s[3])) &&
         std::isdigit(static_cast<unsigned char>(s[4])) && std::stoi(s.substr(0, 2)) < 24 &&
         std::stoi(s.substr(3, 2)) < 60;
}

// `{"opens": "07:00", "closes": "22:00"}` (local time; closing past midnight is allowed).
std::optional<std::pair<std::string, std::string>> opening_hours(ObjectReader& body) {
  auto hours = body.object("opening_hours", Need::kOptional);
  if (!hours) return std::nullopt;
  auto opens = hours->string("opens", Need::kRequired, 5, 5);
  auto closes = hours->string("closes", Need::kRequired, 5, 5);
  if (opens && !is_clock_time(*opens)) hours->error("opens", "must be a local time HH:MM");
  if (closes && !is_clock_time(*closes)) hours->error("closes", "must be a local time HH:MM");
  if (opens && closes && *opens == *closes) {
    hours->error("closes", "must differ from opens (leave opening_hours out for always open)");
  }
  hours->reject_unknown();
  if (!opens || !closes) return std::nullopt;
  return std::pair{*opens, *closes};
}

// The members customers read to find a store, shared by creating and changing one.
void read_where_and_when(ObjectReader& body, std::string& address, std::string& phone,
                         int& utc_offset_minutes, std::optional<std::string>& opens,
                         std::optional<std::string>& closes) {
  if (auto a = body.string("address", Need::kOptional, 0, 200)) address = *a;
  if (auto p = body.string("phone", Need::kOptional, 0, 32)) phone = *p;
  if (auto o = body.integer("utc_offset_minutes", Need::kOptional, -720, 840)) {
    utc_offset_minutes = static_cast<int>(*o);
  }
  if (auto h = opening_hours(body)) std::tie(opens, closes) = *h;
}

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
  read_where_and_when(body, store.address, store.phone, store.utc_offset_minutes, store.opens,
                      store.closes);
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

// A manager steers the store: promise, radius, where and when, and a delivery pause (with
// its reason, shown to customers in the quote) that `"delivery_pause": null` lifts.
http::Response patch_store(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  BodyReader body(req.body);
  storage::StoreChange change;
  change.name = body.string("name", Need::kOptional, 1, 200);
  if (auto r = body.integer("delivery_radius_m", Need::kOptional, 100, 50000)) {
    change.delivery_radius_m = static_cast<int>(*r);
  }
  if (auto p = body.integer("promise_minutes", Need::kOptional, 5, 24 * 60)) {
    change.promise_minutes = static_cast<int>(*p);
  }
  change.address = body.string("address", Need::kOptional, 0, 200);
  change.phone = body.string("phone", Need::kOptional, 0, 32);
  if (auto o = body.integer("utc_offset_minutes", Need::kOptional, -720, 840)) {
    change.utc_offset_minutes = static_cast<int>(*o);
  }
  if (body.has("opening_hours")) change.hours = opening_hours(body);
  if (body.has("delivery_pause")) {
    change.pause = std::optional<std::string>();
    if (auto pause = body.object("delivery_pause", Need::kOptional)) {
      if (auto reason = pause->string("reason", Need::kRequired, 1, 200)) *change.pause = *reason;
      pause->reject_unknown();
    }
  }
  body.finish();
  auto store = storage::StoreRepository(session).update(store_id, change);
  if (!store) throw Error(ErrorKind::kNotFound, "no store " + store_id);
  // This process answers from the new store at once (others within the few seconds they
  // remember a store, and their published load's period).
  ctx.stores.forget(store_id);
  ctx.desks.forget(store_id);
  return json_response(200, to_json(*store));
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
  const auto offset = static_cast<size_t>(cursor_offset(req));
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
  router.add("PATCH", "/v1/stores/{store_id}", with_database(ctx, patch_store));
}

}  // namespace freshlane::api
