// Recommendations for the customer's app: "buy it again" from their own baskets, "bought
// together" from the store's, both mixed for the home screen; `often_with` beside a product; and
// the customer's switch for personalisation. Ranking is reco/reco.cpp; the counts are
// storage/reco_repository.cpp, learned in each payment's own transaction.
#include <algorithm>
#include <cmath>
#include <set>

#include "auth.hpp"
#include "freshlane/catalog/pricing.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/reco/reco.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/reco_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

constexpr int kDefaultLimit = 10;
constexpr int kMaxLimit = 50;
constexpr std::size_t kMaxBasket = 50;
constexpr std::size_t kDueSeeds = 5;  // for_you: what goes with the first five due items
constexpr int kOftenWith = 3;

std::string why_name(reco::Why why) {
  switch (why) {
    case reco::Why::kDue:
      return "due";
    case reco::Why::kOftenWith:
      return "often_with";
    case reco::Why::kFavourite:
      break;
  }
  return "favourite";
}

// "about every 7 days; last bought 8 days ago", "often with 帝王蟹 King crab", ... Days since
// count the store's calendar days: bought last night is "yesterday", whatever the hour.
std::string reason(const reco::Suggestion& s, const std::map<std::string, std::string>& names,
                   core::Timestamp now, int utc_offset_minutes) {
  switch (s.why) {
    case reco::Why::kDue: {
      const long long since =
          (core::local_day(now, utc_offset_minutes) - core::local_day(s.last, utc_offset_minutes))
              .count();
      const std::string last = since <= 0   ? "last bought today"
                               : since == 1 ? "last bought yesterday"
                                            : "last bought " + std::to_string(since) + " days ago";
      if (s.every_days <= 0) return "bought once; " + last;
      const long long every = std::llround(s.every_days);
      return (every <= 1 ? std::string("about every day")
                         : "about every " + std::to_string(every) + " days") +
             "; " + last;
    }
    case reco::Why::kOftenWith: {
      const auto name = names.find(s.with_sku);
      return "often with " + (name == names.end() ? s.with_sku : name->second);
    }
    case reco::Why::kFavourite:
      break;
  }
  return "popular at this store";
}

std::vector<std::string> basket_of(const http::Request& req) {
  std::vector<std::string> out;
  const std::string text = req.query("skus").value_or("");
  std::set<std::string> seen;
  std::size_t at = 0;
  while (at <= text.size() && !text.empty()) {
    std::size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    const std::string sku = text.substr(at, comma - at);
    if (sku.empty() || sku.size() > core::kMaxIdLength || !core::is_valid_id(sku)) {
      invalid_parameter("skus", "must be SKUs separated by commas");
    }
    if (seen.insert(sku).second) out.push_back(sku);
    at = comma + 1;
  }
  if (out.size() > kMaxBasket) {
    invalid_parameter("skus", "may name at most " + std::to_string(kMaxBasket) + " SKUs");
  }
  return out;
}

struct Ranked {
  std::vector<reco::Suggestion> suggestions;
  std::vector<std::string> basket;  // never suggested; names for "often with"
};

// Ranked candidates, more than asked for: some are sold out or delisted. One statement each
// for the customer's history, the basket's pairs and the store's favourites, without a
// transaction around them (a recommendation needs no snapshot).
Ranked rank(storage::RecoRepository& repo, const std::string& kind, const reco::Shopper& shopper,
            const std::string& store_id, const std::vector<std::string>& basket, int limit,
            core::Timestamp now) {
  const int enough = limit * 2 + 10;
  Ranked out;
  out.basket = basket;
  auto together = [&](const std::vector<std::string>& with) {
    if (with.empty()) return std::vector<reco::Suggestion>{};
    const auto counts = repo.together(store_id, with);
    return reco::together(with, counts.baskets_with, counts.pairs);
  };
  auto favourites = [&] { return reco::favourites(repo.favourites(store_id, enough)); };
  if (kind == "buy_again") {
    out.suggestions = reco::buy_again(shopper, now);
  } else if (kind == "together") {
    out.suggestions = reco::for_you({}, together(basket), favourites());
  } else {
    const auto due = reco::buy_again(shopper, now);
    auto seeds = basket;
    for (std::size_t i = 0; i < due.size() && i < kDueSeeds; ++i) {
      if (std::find(seeds.begin(), seeds.end(), due[i].sku) == seeds.end()) {
        seeds.push_back(due[i].sku);
      }
    }
    out.suggestions = reco::for_you(due, together(seeds), favourites());
    out.basket = seeds;  // named in "often with"
  }
  return out;
}

http::Response recommendations(const Context& ctx, const http::Request& req,
                               storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCustomer);
  const std::string store_id = req.query("store_id").value_or("");
  if (store_id.empty()) invalid_parameter("store_id", "is required");
  if (store_id.size() > core::kMaxIdLength || !core::is_valid_id(store_id)) {
    invalid_parameter("store_id", "is not a store id");
  }
  const std::string kind = req.query("kind").value_or("for_you");
  if (kind != "buy_again" && kind != "together" && kind != "for_you") {
    invalid_parameter("kind", "must be buy_again, together or for_you");
  }
  const int limit =
      static_cast<int>(query_integer(req, "limit", 1, kMaxLimit).value_or(kDefaultLimit));
  const auto basket = basket_of(req);
  const catalog::Store store = existing_store(session, store_id);
  const auto now = ctx.now();
  storage::RecoRepository repo(session);
  const auto history = repo.shopper(who.id, store.store_id);
  const Ranked ranked = rank(repo, kind, history.shopper, store.store_id, basket, limit, now);

  // Only what is listed and in stock now; the basket's own items never. Candidates are read a
  // few more than asked for at a time (most are in stock), the names of the basket's items
  // (for "often with") with the first.
  const std::set<std::string> in_basket(basket.begin(), basket.end());
  storage::CatalogRepository catalog(session);
  std::map<std::string, catalog::StoreProduct> products;
  std::vector<const reco::Suggestion*> offered;
  std::size_t next = 0;
  std::vector<std::string> wanted = ranked.basket;
  for (std::size_t batch = static_cast<std::size_t>(limit) + 5;
       offered.size() < static_cast<std::size_t>(limit) && next < ranked.suggestions.size();
       batch *= 2) {
    const std::size_t from = next;
    for (; next < ranked.suggestions.size() && next - from < batch; ++next) {
      if (!in_basket.count(ranked.suggestions[next].sku)) {
        wanted.push_back(ranked.suggestions[next].sku);
      }
    }
    products.merge(catalog.find_store_products(store.store_id, wanted, now));
    wanted.clear();
    for (std::size_t i = from; i < next && offered.size() < static_cast<std::size_t>(limit); ++i) {
      const auto& s = ranked.suggestions[i];
      const auto sp = products.find(s.sku);
      if (in_basket.count(s.sku) || sp == products.end() || sp->second.available <= 0) continue;
      offered.push_back(&s);
    }
  }
  std::map<std::string, std::string> names;
  for (const auto& [sku, sp] : products) names[sku] = sp.product.name;
  nlohmann::json items = nlohmann::json::array();
  for (const auto* s : offered) {
    auto item = to_json(products.at(s->sku), store.currency, now, ctx.qr);
    item["why"] = why_name(s->why);
    item["reason"] = reason(*s, names, now, store.utc_offset_minutes);
    items.push_back(std::move(item));
  }
  return json_response(200, {{"store_id", store.store_id},
                             {"kind", kind},
                             {"personalised", history.personalised},
                             {"items", std::move(items)}});
}

nlohmann::json personalisation_view(bool on) {
  return {{"personalised", on},
          {"note", on ? "your baskets shape your recommendations and the store's"
                      : "your baskets are not used, for you or for anyone"}};
}

http::Response get_personalisation(const Context& ctx, const http::Request& req,
                                   storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCustomer);
  return json_response(200,
                       personalisation_view(storage::RecoRepository(session).personalised(who.id)));
}

http::Response put_personalisation(const Context& ctx, const http::Request& req,
                                   storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  require_role(who, Role::kCustomer);
  BodyReader body(req.body);
  const auto on = body.boolean("personalised", Need::kRequired);
  body.finish();
  storage::RecoRepository(session).set_personalised(who.id, *on);
  return json_response(200, personalisation_view(*on));
}

}  // namespace

nlohmann::json often_with(storage::Session& session, const catalog::StoreProduct& product,
                          core::Timestamp now) {
  storage::RecoRepository repo(session);
  const std::vector<std::string> basket{product.product.sku};
  const auto counts = repo.together(product.listing.store_id, basket);
  const auto ranked = reco::together(basket, counts.baskets_with, counts.pairs);
  std::vector<std::string> wanted;
  for (const auto& s : ranked) {  // a few more than shown: one may be sold out
    if (wanted.size() == static_cast<std::size_t>(kOftenWith) + 5) break;
    wanted.push_back(s.sku);
  }
  nlohmann::json out = nlohmann::json::array();
  if (wanted.empty()) return out;
  const auto products = storage::CatalogRepository(session).find_store_products(
      product.listing.store_id, wanted, now);
  for (const auto& s : ranked) {
    if (out.size() >= static_cast<std::size_t>(kOftenWith)) break;
    const auto sp = products.find(s.sku);
    if (sp == products.end() || sp->second.available <= 0) continue;
    const auto price = catalog::price_now(sp->second.listing, now);
    out.push_back({{"sku", s.sku},
                   {"name", sp->second.product.name},
                   {"unit", catalog::to_string(sp->second.product.unit)},
                   {"price_minor", price.price_minor},
                   {"baskets", s.times}});
  }
  return out;
}

void add_recommendation_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/v1/customers/me/recommendations",
             with_database(
                 ctx, [&ctx](const auto& req, auto& s) { return recommendations(ctx, req, s); }));
  router.add("GET", "/v1/customers/me/personalisation",
             with_database(ctx, [&ctx](const auto& req, auto& s) {
               return get_personalisation(ctx, req, s);
             }));
  router.add("PUT", "/v1/customers/me/personalisation",
             with_database(ctx, [&ctx](const auto& req, auto& s) {
               return put_personalisation(ctx, req, s);
             }));
}

}  // namespace freshlane::api
