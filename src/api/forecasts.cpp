// What will sell and what to order: daily forecasts per SKU from the store's sales (each series'
// method chosen by a rolling-origin backtest, its accuracy against the seasonal naive reported),
// order suggestions for a delivery (age-aware stock, lead time, shelf life, packs, a newsvendor
// service level, each number's reasoning), accepting one as an expected receipt, and the supply
// terms they use.
#include <cmath>
#include <span>

#include "auth.hpp"
#include "freshlane/api/markdowns.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/fresh/forecast.hpp"
#include "freshlane/fresh/replenishment.hpp"
#include "freshlane/storage/fresh_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "pagination.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

constexpr int kDefaultHistoryDays = 84;  // twelve weeks: enough for four weekly origins
constexpr double kDefaultShelfLifeDays = 3;
// The service level order suggestions aim at unless asked otherwise: the one the stock
// simulation needed for 97% of demand served (bench/fresh; sim/stock.cpp calibrates it).
constexpr double kDefaultServiceLevel = 0.85;

// A series starts at its first sale: the days before it are before the product sold here at
// all (listed later, or history not kept), not days it sold nothing.
std::span<const double> since_first_sale(const std::vector<double>& history) {
  size_t first = 0;
  while (first < history.size() && history[first] <= 0) ++first;
  return std::span<const double>(history).subspan(first);
}

core::Timestamp midnight_of(const std::string& date) {
  return *core::parse_rfc3339(date + "T00:00:00Z");
}
std::string date_plus(const std::string& date, int days) {
  return core::format_rfc3339(midnight_of(date) + std::chrono::days(days)).substr(0, 10);
}
int days_between(const std::string& from, const std::string& to) {
  return static_cast<int>((midnight_of(to) - midnight_of(from)) / std::chrono::days(1));
}
std::string local_today(const Context& ctx, const catalog::Store& store) {
  return core::local_date(ctx.now(), store.utc_offset_minutes);
}
double round2(double v) { return std::round(v * 100) / 100; }
// Ratios (WAPE, MASE, shares) to four places, printed without binary noise.
double ratio4(double v) { return std::round(v * 10000) / 10000; }

catalog::Store store_for_manager(Context& ctx, const http::Request& req,
                                 storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  return existing_store(session, store_id);
}

std::vector<std::string> skus_of(const std::vector<storage::SupplyItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.sku);
  return out;
}

// GET /v1/stores/{store_id}/forecast?date=&sku=&days=&history_days=
http::Response get_forecast(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto store = store_for_manager(ctx, req, session);
  const std::string date = query_date(req, "date", local_today(ctx, store));
  const int days = static_cast<int>(query_integer(req, "days", 1, 28).value_or(7));
  const int history_days =
      static_cast<int>(query_integer(req, "history_days", 14, 365).value_or(kDefaultHistoryDays));
  const std::string sku = std::string(req.query("sku").value_or(""));
  const int limit = page_limit(req);
  storage::FreshRepository repo(session);
  const auto listed =
      repo.supply_items(store.store_id, cursor_position(req), sku, limit + 1, ctx.now());
  if (!sku.empty() && listed.empty()) {
    throw Error(ErrorKind::kNotFound, "store " + store.store_id + " does not list " + sku);
  }
  const bool more = static_cast<int>(listed.size()) > limit;
  const std::vector<storage::SupplyItem> page_items(
      listed.begin(), listed.begin() + std::min<std::ptrdiff_t>(limit, listed.size()));
  const auto sales = repo.daily_sales(store.store_id, skus_of(page_items), date, history_days,
                                      store.utc_offset_minutes, ctx.now());
  nlohmann::json items = nlohmann::json::array();
  double actual = 0, error = 0, naive_error = 0, mase_sum = 0;
  int backtested = 0;
  for (const auto& item : page_items) {
    const auto history = since_first_sale(sales.at(item.sku));
    const auto f = fresh::forecast_series(history, days);
    nlohmann::json values = nlohmann::json::array();
    for (int d = 0; d < days; ++d) {
      values.push_back({{"date", date_plus(date, d)}, {"units", round2(f.values[d])}});
    }
    double sold = 0;
    for (double v : history) sold += v;
    items.push_back({{"sku", item.sku},
                     {"name", item.name},
                     {"unit", catalog::to_string(item.unit)},
                     {"method", fresh::to_string(f.method)},
                     {"forecast", std::move(values)},
                     {"sold_in_history", sold},
                     {"backtest",
                      {{"origins", f.origins_used},
                       {"wape", ratio4(f.backtest_wape)},
                       {"mase", ratio4(f.backtest_mase)},
                       {"naive_wape", ratio4(f.naive_wape)}}}});
    if (f.origins_used > 0) {
      actual += f.backtest_actual_sum;
      error += f.backtest_abs_error;
      naive_error += f.naive_abs_error;
      mase_sum += f.backtest_mase;
      ++backtested;
    }
  }
  nlohmann::json out = page(
      std::move(items), more ? std::optional<std::string>(page_items.back().sku) : std::nullopt);
  out["store_id"] = store.store_id;
  out["date"] = date;
  out["days"] = days;
  out["history_days"] = history_days;
  // Pooled over this page's series: WAPE is total error over total sales, so big sellers
  // weigh as they do in the store's stock.
  out["accuracy"] = {
      {"series_backtested", backtested},
      {"wape", actual > 0 ? nlohmann::json(ratio4(error / actual)) : nlohmann::json()},
      {"naive_wape", actual > 0 ? nlohmann::json(ratio4(naive_error / actual)) : nlohmann::json()},
      {"improvement_over_naive",
       naive_error > 0 ? nlohmann::json(ratio4((1 - error / naive_error))) : nlohmann::json()},
      {"mase_mean",
       backtested > 0 ? nlohmann::json(ratio4(mase_sum / backtested)) : nlohmann::json()}};
  return json_response(200, out);
}

// The day (0: today) through which a lot expiring at `expires_at` can still sell: a lot with
// less than half of a day left on that day is not counted for it.
int last_selling_day(core::Timestamp expires_at, core::Timestamp today_start) {
  const double days =
      std::chrono::duration<double>(expires_at - today_start).count() / 86400.0 - 0.5;
  return static_cast<int>(std::floor(days));
}

struct Planned {
  storage::SupplyItem item;
  fresh::SeriesForecast forecast;
  fresh::ReplenishmentInput input;
  fresh::Suggestion suggestion;
  double on_hand_units = 0;
  double in_transit_units = 0;
  int shelf_life_days = 0;
  std::string shelf_life_from;
  bool orderable = true;
  double newsvendor_ratio = 0;
};

struct Window {
  std::string today, delivery, next;
  int lead = 0, cover = 0;
};

Window window_of(const Context& ctx, const catalog::Store& store, const std::string& delivery_text,
                 const std::string& next_text) {
  Window w;
  w.today = local_today(ctx, store);
  w.delivery = delivery_text.empty() ? date_plus(w.today, 1) : delivery_text;
  w.next = next_text.empty() ? date_plus(w.delivery, 1) : next_text;
  w.lead = days_between(w.today, w.delivery);
  w.cover = days_between(w.delivery, w.next);
  if (w.lead < 0 || w.lead > 14) {
    invalid_parameter("delivery", "must be from today to 14 days ahead");
  }
  if (w.cover < 1 || w.cover > 14) {
    invalid_parameter("next_delivery", "must be 1 to 14 days after the delivery");
  }
  return w;
}

std::vector<Planned> plan(storage::Session& session, core::Timestamp now,
                          const catalog::Store& store, const Window& w,
                          std::vector<storage::SupplyItem> items,
                          std::optional<double> service_level) {
  storage::FreshRepository repo(session);
  const auto skus = skus_of(items);
  const auto sales = repo.daily_sales(store.store_id, skus, w.today, kDefaultHistoryDays,
                                      store.utc_offset_minutes, now);
  std::map<std::string, std::vector<storage::StockOnHand>> stock;
  for (auto& s : repo.stock_on_hand(store.store_id, skus, now))
    stock[s.sku].push_back(std::move(s));
  std::map<std::string, std::vector<storage::ExpectedReceipt>> coming;
  for (auto& e : repo.expected_receipts(store.store_id, w.today, skus)) {
    // A delivery due today has come (stores take deliveries before opening): its lots are
    // counted on hand; later ones before this delivery are on order.
    if (e.delivery_on > w.today && e.delivery_on < w.delivery)
      coming[e.sku].push_back(std::move(e));
  }
  const PolicyBook policies = load_policies(session);
  const core::Timestamp today_start =
      midnight_of(w.today) - std::chrono::minutes(store.utc_offset_minutes);
  std::vector<Planned> out;
  for (auto& item : items) {
    Planned p;
    // Daily Fresh goods sell on the day they arrive only (the markdown round writes off the
    // rest at midnight): on hand sells today or not at all, a delivery on its own day.
    const bool one_day = policies.of(item.category, item.storage).second->one_day;
    p.forecast = fresh::forecast_series(since_first_sale(sales.at(item.sku)), w.lead + w.cover);
    p.input.daily_forecast = p.forecast.values;
    p.input.daily_sd = p.forecast.residual_sd;
    for (const auto& lot : stock[item.sku]) {
      p.on_hand_units += static_cast<double>(lot.units);
      const int last = last_selling_day(lot.expires_at, today_start);
      if (last >= 0) {
        p.input.on_hand.push_back({static_cast<double>(lot.units), one_day ? 0 : last});
      }
    }
    if (one_day) {
      p.shelf_life_days = 1;
      p.shelf_life_from = "one-day rule";
    } else if (item.shelf_life_days) {
      p.shelf_life_days = *item.shelf_life_days;
      p.shelf_life_from = "supply terms";
    } else if (item.lots_life_days) {
      p.shelf_life_days = std::max(1, static_cast<int>(std::floor(*item.lots_life_days)));
      p.shelf_life_from = "lots received in the last 60 days";
    } else {
      p.shelf_life_days = static_cast<int>(kDefaultShelfLifeDays);
      p.shelf_life_from = "assumed: no lots received lately and no supply terms";
    }
    // Accepted deliveries before this one: their units sell from their day on.
    for (const auto& e : coming[item.sku]) {
      const int arrival = days_between(w.today, e.delivery_on);
      p.input.on_order.push_back(
          {static_cast<double>(e.quantity), arrival, arrival + p.shelf_life_days - 1});
      p.in_transit_units += e.quantity;
    }
    p.input.lead_days = w.lead;
    p.input.cover_days = w.cover;
    p.input.shelf_life_days = p.shelf_life_days;
    p.input.pack_size = item.pack_size;
    const double price = static_cast<double>(item.price_minor);
    const double cost =
        item.unit_cost_minor ? static_cast<double>(*item.unit_cost_minor) : 0.65 * price;
    // The newsvendor's critical ratio (an unsold unit still fetches the markdown floor, 60% of
    // cost by default) is shown beside the level aimed at: the chain's availability target
    // usually asks for more than the ratio alone would.
    p.newsvendor_ratio = fresh::newsvendor_ratio(price, cost, 0.6 * cost);
    p.input.service_level = service_level.value_or(kDefaultServiceLevel);
    p.orderable = w.lead >= item.lead_days;
    p.suggestion = fresh::suggest_order(p.input);
    p.item = std::move(item);
    out.push_back(std::move(p));
  }
  return out;
}

nlohmann::json suggestion_json(const Planned& p, const Window& w) {
  const auto& s = p.suggestion;
  nlohmann::json reasoning = s.reasoning;
  if (!p.orderable) {
    reasoning.push_back("too late for this delivery: the supplier needs " +
                        std::to_string(p.item.lead_days) + " days' notice");
  }
  return {{"sku", p.item.sku},
          {"name", p.item.name},
          {"unit", catalog::to_string(p.item.unit)},
          {"delivery", w.delivery},
          {"next_delivery", w.next},
          {"orderable", p.orderable},
          {"order_units", s.order_units},
          {"packs", s.packs},
          {"pack_size", p.item.pack_size},
          {"method", fresh::to_string(p.forecast.method)},
          {"numbers",
           {{"on_hand_units", p.on_hand_units},
            {"in_transit_units", p.in_transit_units},
            {"demand_until_arrival", round2(s.demand_until_arrival)},
            {"usable_at_arrival", round2(s.usable_at_arrival)},
            {"expiring_unsold", round2(s.expiring_unsold)},
            {"usable_on_order", round2(s.usable_on_order)},
            {"cover_days", s.cover_days_used},
            {"demand_over_cover", round2(s.demand_over_cover)},
            {"daily_sd", round2(p.input.daily_sd)},
            {"service_level", ratio4(p.input.service_level)},
            {"newsvendor_ratio", ratio4(p.newsvendor_ratio)},
            {"safety_units", round2(s.safety_units)},
            {"target_units", round2(s.target_units)},
            {"lead_days", w.lead},
            {"supplier_lead_days", p.item.lead_days},
            {"shelf_life_days", p.shelf_life_days},
            {"shelf_life_from", p.shelf_life_from}}},
          {"reasoning", std::move(reasoning)}};
}

// GET /v1/stores/{store_id}/replenishment?delivery=&next_delivery=&sku=&service_level=
http::Response get_replenishment(Context& ctx, const http::Request& req,
                                 storage::Session& session) {
  const auto store = store_for_manager(ctx, req, session);
  const Window w =
      window_of(ctx, store, query_date(req, "delivery", ""), query_date(req, "next_delivery", ""));
  const auto level = query_number(req, "service_level", 0.5, 0.999);
  const std::string sku = std::string(req.query("sku").value_or(""));
  const int limit = page_limit(req);
  auto listed = storage::FreshRepository(session).supply_items(store.store_id, cursor_position(req),
                                                               sku, limit + 1, ctx.now());
  if (!sku.empty() && listed.empty()) {
    throw Error(ErrorKind::kNotFound, "store " + store.store_id + " does not list " + sku);
  }
  const bool more = static_cast<int>(listed.size()) > limit;
  if (more) listed.pop_back();
  const std::string last = listed.empty() ? "" : listed.back().sku;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& p : plan(session, ctx.now(), store, w, std::move(listed), level)) {
    items.push_back(suggestion_json(p, w));
  }
  auto out = page(std::move(items), more ? std::optional<std::string>(last) : std::nullopt);
  out["store_id"] = store.store_id;
  out["today"] = w.today;
  out["delivery"] = w.delivery;
  out["next_delivery"] = w.next;
  return json_response(200, out);
}

nlohmann::json receipt_json(const storage::ExpectedReceipt& e) {
  return {{"sku", e.sku},
          {"delivery_on", e.delivery_on},
          {"quantity", e.quantity},
          {"packs", e.packs},
          {"suggestion", nlohmann::json::parse(e.suggestion_json)},
          {"accepted_at", core::format_rfc3339(e.accepted_at)},
          {"accepted_by", e.accepted_by}};
}

// POST /v1/stores/{store_id}/replenishment/accept: the suggestion (or a quantity the manager
// chose, in whole packs) becomes the expected receipt of that delivery.
http::Response accept(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto store = store_for_manager(ctx, req, session);
  BodyReader body(req.body);
  const auto sku = body.string("sku", Need::kRequired, 1, core::kMaxIdLength).value_or("");
  const auto delivery = body.string("delivery", Need::kRequired, 10, 10).value_or("");
  const auto next = body.string("next_delivery", Need::kOptional, 10, 10).value_or("");
  const auto quantity = body.integer("quantity", Need::kOptional, 1, 1'000'000);
  const auto level = body.number("service_level", Need::kOptional, 0.5, 0.999);
  body.finish();
  for (const auto& [name, text] : {std::pair{"delivery", delivery}, {"next_delivery", next}}) {
    if (!text.empty() && !core::parse_rfc3339(text + "T00:00:00Z")) {
      throw Error(ErrorKind::kValidationFailed, std::string(name) + " is not a date",
                  {{name, "must be a date YYYY-MM-DD"}});
    }
  }
  const Window w = window_of(ctx, store, delivery, next);
  auto items =
      storage::FreshRepository(session).supply_items(store.store_id, "", sku, 1, ctx.now());
  if (items.empty()) {
    throw Error(ErrorKind::kNotFound, "store " + store.store_id + " does not list " + sku);
  }
  const auto planned = plan(session, ctx.now(), store, w, std::move(items), level).at(0);
  if (!planned.orderable) {
    throw Error(ErrorKind::kConflict, "too late for the delivery of " + w.delivery +
                                          ": the supplier needs " +
                                          std::to_string(planned.item.lead_days) + " days' notice");
  }
  const int pack = planned.item.pack_size;
  storage::ExpectedReceipt e;
  e.sku = sku;
  e.delivery_on = w.delivery;
  e.packs = quantity ? static_cast<int>((*quantity + pack - 1) / pack) : planned.suggestion.packs;
  e.quantity = e.packs * pack;
  if (e.quantity <= 0) {
    throw Error(ErrorKind::kConflict,
                "the suggestion is to order nothing for " + w.delivery + "; send a quantity");
  }
  e.suggestion_json = suggestion_json(planned, w).dump();
  e.accepted_at = ctx.now();
  const Principal who = authenticate(req, ctx, session);
  e.accepted_by = who.id.empty() ? "admin" : who.id;
  const bool created = storage::FreshRepository(session).accept(store.store_id, e);
  return json_response(created ? 201 : 200, receipt_json(e));
}

// GET /v1/stores/{store_id}/expected-receipts?from=: accepted deliveries from that day on.
http::Response list_receipts(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto store = store_for_manager(ctx, req, session);
  const std::string from = query_date(req, "from", local_today(ctx, store));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e :
       storage::FreshRepository(session).expected_receipts(store.store_id, from, {})) {
    items.push_back(receipt_json(e));
  }
  return json_response(200, {{"store_id", store.store_id}, {"from", from}, {"items", items}});
}

// PUT /v1/stores/{store_id}/products/{sku}/supply: how the store orders the product.
http::Response put_supply(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto store = store_for_manager(ctx, req, session);
  BodyReader body(req.body);
  const auto pack = body.integer("pack_size", Need::kRequired, 1, 10000).value_or(1);
  const auto lead = body.integer("lead_days", Need::kRequired, 0, 14).value_or(1);
  const auto life = body.integer("shelf_life_days", Need::kOptional, 1, 365);
  body.finish();
  const std::string& sku = req.param("sku");
  if (!storage::FreshRepository(session).put_supply_terms(
          store.store_id, sku, static_cast<int>(pack), static_cast<int>(lead),
          life ? std::optional<int>(static_cast<int>(*life)) : std::nullopt)) {
    throw Error(ErrorKind::kNotFound, "store " + store.store_id + " does not list " + sku);
  }
  return json_response(200, {{"store_id", store.store_id},
                             {"sku", sku},
                             {"pack_size", pack},
                             {"lead_days", lead},
                             {"shelf_life_days", life ? nlohmann::json(*life) : nlohmann::json()}});
}

}  // namespace

void add_forecast_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/v1/stores/{store_id}/forecast", with_database(ctx, get_forecast));
  router.add("GET", "/v1/stores/{store_id}/replenishment", with_database(ctx, get_replenishment));
  router.add("POST", "/v1/stores/{store_id}/replenishment/accept", with_database(ctx, accept));
  router.add("GET", "/v1/stores/{store_id}/expected-receipts", with_database(ctx, list_receipts));
  router.add("PUT", "/v1/stores/{store_id}/products/{sku}/supply", with_database(ctx, put_supply));
}

}  // namespace freshlane::api
