// Products (admin) and store listings: price, zone, shelf, live availability, search.
#include "auth.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/picking_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "pagination.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

http::Response create_product(const Context& ctx, const http::Request& req,
                              storage::Session& session) {
  require_admin(authenticate(req, ctx, session));
  BodyReader body(req.body);
  catalog::Product p;
  p.sku = body.string("sku", Need::kRequired, 1, core::kMaxIdLength).value_or("");
  if (!p.sku.empty() && !core::is_valid_id(p.sku)) {
    body.error("sku", "may hold only A-Z a-z 0-9 _ -");
  }
  p.name = body.string("name", Need::kRequired).value_or("");
  p.category = body.string("category", Need::kRequired, 1, 32).value_or("");
  if (!p.category.empty() && !catalog::is_valid_key_word(p.category)) {
    body.error("category", "must be a lower-case word such as seafood");
  }
  if (auto unit = body.string("unit", Need::kRequired, 1, 16)) {
    if (auto u = catalog::parse_unit(*unit))
      p.unit = *u;
    else
      body.error("unit", "must be one of each, 500g, kg");
  }
  if (auto storage = body.string("storage", Need::kRequired, 1, 16)) {
    if (auto s = catalog::parse_storage(*storage))
      p.storage = *s;
    else
      body.error("storage", "must be one of ambient, chilled, frozen, live");
  }
  body.finish();
  if (!storage::CatalogRepository(session).insert_product(p)) {
    throw Error(ErrorKind::kConflict, "product " + p.sku + " already exists");
  }
  return json_response(201, to_json(p));
}

http::Response get_product(const http::Request& req, storage::Session& session) {
  const auto p = storage::CatalogRepository(session).find_product(req.param("sku"));
  if (!p) throw Error(ErrorKind::kNotFound, "no product " + req.param("sku"));
  return json_response(200, to_json(*p));
}

// Name, category or storage class change (the unit does not: orders and stock count in it).
http::Response patch_product(const Context& ctx, const http::Request& req,
                             storage::Session& session) {
  require_admin(authenticate(req, ctx, session));
  BodyReader body(req.body);
  const auto name = body.string("name", Need::kOptional);
  const auto category = body.string("category", Need::kOptional, 1, 32);
  if (category && !catalog::is_valid_key_word(*category)) {
    body.error("category", "must be a lower-case word such as seafood");
  }
  auto storage = body.string("storage", Need::kOptional, 1, 16);
  if (storage && !catalog::parse_storage(*storage)) {
    body.error("storage", "must be one of ambient, chilled, frozen, live");
  }
  if (body.has("unit")) {
    body.string("unit", Need::kOptional, 1, 16);
    body.error("unit", "cannot change: stock and orders count in it; create a new product");
  }
  body.finish();
  const auto p =
      storage::CatalogRepository(session).update_product(req.param("sku"), name, category, storage);
  if (!p) throw Error(ErrorKind::kNotFound, "no product " + req.param("sku"));
  return json_response(200, to_json(*p));
}

// Delisting: the store stops showing and selling it; orders placed before keep their units.
http::Response delist(const Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  const std::string& sku = req.param("sku");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  const catalog::Store store = existing_store(session, store_id);
  storage::CatalogRepository repo(session);
  if (!repo.delist(store_id, sku)) {
    throw Error(ErrorKind::kNotFound, "store " + store_id + " does not list " + sku);
  }
  const auto now = ctx.now();
  return json_response(
      200, to_json(*repo.find_store_product(store_id, sku, now), store.currency, now, ctx.qr));
}

http::Response put_listing(const Context& ctx, const http::Request& req,
                           storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  const std::string& sku = req.param("sku");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  BodyReader body(req.body);
  catalog::Listing l;
  l.store_id = store_id;
  l.sku = sku;
  l.price_minor = body.integer("price_minor", Need::kRequired, 0, kMaxPriceMinor).value_or(0);
  l.zone = body.string("zone", Need::kRequired, 1, 32).value_or("");
  if (!l.zone.empty() && !catalog::is_valid_key_word(l.zone)) {
    body.error("zone", "must be a lower-case word such as seafood");
  }
  l.shelf = body.string("shelf", Need::kRequired, 1, 32).value_or("");
  if (auto md = body.object("markdown", Need::kOptional)) {
    const auto price = md->integer("price_minor", Need::kRequired, 0, kMaxPriceMinor);
    const auto until = md->timestamp("until", Need::kRequired);
    const auto from = md->timestamp("from", Need::kOptional);
    md->reject_unknown();
    if (price && until) {
      if (*price >= l.price_minor) md->error("price_minor", "must be below price_minor");
      // A markdown that ended already would be dropped silently: say so instead.
      if (*until <= ctx.now()) md->error("until", "must be in the future");
      if (from && *from >= *until) md->error("from", "must be before until");
      l.markdown = catalog::Markdown{*price, *until, from};
    }
  }
  body.finish();
  const catalog::Store store = existing_store(session, store_id);
  storage::CatalogRepository repo(session);
  if (!repo.find_product(sku)) {
    throw Error(ErrorKind::kNotFound, "no product " + sku + "; create it with POST /v1/products");
  }
  // A listing in a zone the floor does not have could never be picked.
  const auto layout = storage::PickingRepository(session).layout_or_default(store_id);
  if (!layout.has_zone(l.zone)) {
    std::string zones;
    for (const auto& z : layout.zones) zones += (zones.empty() ? "" : ", ") + z;
    throw Error(ErrorKind::kUnknownZone,
                "zone " + l.zone + " is not in this store's layout (" + zones + ")");
  }
  repo.upsert_listing(l);
  const auto now = ctx.now();
  auto out = to_json(*repo.find_store_product(store_id, sku, now), store.currency, now, ctx.qr);
  // The markdown as set (customers see only its effect, once it runs).
  out["markdown"] = l.markdown ? nlohmann::json{{"price_minor", l.markdown->price_minor},
                                                {"from", time_or_null(l.markdown->from)},
                                                {"until", core::format_rfc3339(l.markdown->until)}}
                               : nlohmann::json();
  return json_response(200, out);
}

http::Response get_store_product(const Context& ctx, const http::Request& req,
                                 storage::Session& session) {
  const catalog::Store store = existing_store(session, req.param("store_id"));
  const auto now = ctx.now();
  const auto sp =
      storage::CatalogRepository(session).find_store_product(store.store_id, req.param("sku"), now);
  if (!sp) {
    throw Error(ErrorKind::kNotFound,
                "store " + store.store_id + " does not sell " + req.param("sku"));
  }
  auto out = to_json(*sp, store.currency, now, ctx.qr);
  out["often_with"] = often_with(session, *sp, now);
  return json_response(200, out);
}

// A page of the store's listing, or of a search in it: about the whole store, showing its items.
// `key`: the page's key in the answer cache, whose ranking of it spares a search run again.
Cacheable list_store_products(const Context& ctx, const http::Request& req,
                              storage::Session& session, const std::string& key) {
  storage::ListingQuery q;
  q.limit = page_limit(req);
  q.text = req.query("q").value_or("");
  if (q.text.size() > 200) invalid_parameter("q", "must be at most 200 bytes");
  // The cursor is a SKU we wrote (a search's: how many came before); anything else (bytes
  // PostgreSQL cannot hold as text) is 400.
  if (q.text.empty()) {
    q.after_sku = cursor_position(req);
    if (!q.after_sku.empty() && !core::is_valid_id(q.after_sku)) {
      invalid_parameter("cursor", "is not a valid cursor");
    }
  } else {
    q.offset = cursor_offset(req);
  }
  q.category = req.query("category").value_or("");
  if (!q.category.empty() && !catalog::is_valid_key_word(q.category)) {
    invalid_parameter("category", "must be a lower-case word such as seafood");
  }
  const catalog::Store store = existing_store(session, req.param("store_id"));
  q.store_id = store.store_id;
  const auto now = ctx.now();
  storage::CatalogRepository repo(session);
  std::vector<catalog::StoreProduct> rows;
  std::optional<std::string> next;
  // The page's products as last ranked, while no change moved the store's pages: only their
  // rows are read. One missing (delisted before the change feed told) ranks them again.
  std::optional<AnswerCache::Clock::time_point> ranked_at;
  if (auto known = ctx.answers.ranking(key, AnswerCache::Clock::now())) {
    auto found = repo.find_store_products(store.store_id, known->skus, now);
    if (found.size() == known->skus.size()) {
      for (const auto& sku : known->skus) rows.push_back(std::move(found.at(sku)));
      next = std::move(known->next);
      ranked_at = known->read_at;
    }
  }
  std::optional<std::uint64_t> ranking_since;  // set: ranked here, kept below
  if (!ranked_at) {
    ctx.metrics.increment("freshlane_catalog_pages_ranked_total");
    ranking_since = ctx.answers.epoch();
    q.limit += 1;  // one more tells whether there is a next page
    rows = repo.list_store_products(q, now);
    if (rows.size() == static_cast<size_t>(q.limit)) {
      rows.pop_back();
      next = q.text.empty() ? rows.back().product.sku : std::to_string(q.offset + rows.size());
    }
  }
  nlohmann::json items = nlohmann::json::array();
  std::vector<std::string> shows;
  for (const auto& sp : rows) {
    items.push_back(to_json(sp, store.currency, now, ctx.qr));
    shows.push_back(sp.product.sku);
  }
  if (ranking_since) {
    ctx.answers.keep_ranking(key, store.store_id, *ranking_since, {shows, next},
                             AnswerCache::Clock::now());
  }
  return {json_response(200, page(std::move(items), next)), catalog::ProductKey{store.store_id, ""},
          std::move(shows), ranked_at};
}

// What a customer browses by: the store's categories and how many products each has.
http::Response list_categories(const http::Request& req, storage::Session& session) {
  const catalog::Store store = existing_store(session, req.param("store_id"));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& [category, count] :
       storage::CatalogRepository(session).categories(store.store_id)) {
    items.push_back({{"category", category}, {"products", count}});
  }
  return json_response(200, {{"store_id", store.store_id}, {"items", std::move(items)}});
}

}  // namespace

void add_catalog_routes(http::Router& router, Context& ctx) {
  router.add("POST", "/v1/products", with_database(ctx, [&ctx](const auto& req, auto& s) {
               return create_product(ctx, req, s);
             }));
  router.add("GET", "/v1/products/{sku}", with_database(ctx, get_product));
  router.add("GET", "/v1/stores/{store_id}/categories", with_database(ctx, list_categories));
  router.add("PATCH", "/v1/products/{sku}", with_database(ctx, [&ctx](const auto& req, auto& s) {
               return patch_product(ctx, req, s);
             }));
  router.add("DELETE", "/v1/stores/{store_id}/products/{sku}",
             with_database(ctx, [&ctx](const auto& req, auto& s) { return delist(ctx, req, s); }));
  // Browsing and search pages, from the answer cache too: a page goes with a change that may
  // move products on its store's pages (a listing, a product's name or category), and with a
  // change of stock or price of a product it shows.
  router.add(
      "GET", "/v1/stores/{store_id}/products", [&ctx](http::Request&& req, http::Responder done) {
        const std::string store_id = req.param("store_id");
        std::string key = "page";
        for (const std::string& part :
             {store_id, req.query("q").value_or(""), req.query("category").value_or(""),
              req.query("cursor").value_or(""), req.query("limit").value_or("")}) {
          key += " " + std::to_string(part.size()) + ":" + part;
        }
        serve_cached(
            ctx, key, std::move(req), std::move(done),
            [&ctx, key](const auto& req, auto& s) { return list_store_products(ctx, req, s, key); },
            {}, store_id);
      });
  // The most read answer of all: served from the answer cache while fresh.
  router.add("GET", "/v1/stores/{store_id}/products/{sku}",
             [&ctx](http::Request&& req, http::Responder done) {
               catalog::ProductKey about{req.param("store_id"), req.param("sku")};
               // The store id's length keeps any two (store, sku) pairs apart.
               const std::string key = "item " + std::to_string(about.store_id.size()) + " " +
                                       about.store_id + about.sku;
               serve_cached(
                   ctx, key, std::move(req), std::move(done),
                   [&ctx, about](const auto& req, auto& s) {
                     return Cacheable{get_store_product(ctx, req, s), about, {}, {}};
                   },
                   {}, about.store_id);
             });
  router.add(
      "PUT", "/v1/stores/{store_id}/products/{sku}",
      with_database(ctx, [&ctx](const auto& req, auto& s) { return put_listing(ctx, req, s); }));
}

}  // namespace freshlane::api
