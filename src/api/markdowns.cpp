// Fresh without waste, on the shelf: markdown policies, each store's markdown round (preview and
// run), a manager's price override for one lot, write-offs of damaged units, the electronic
// shelf labels' feed and the waste report.
#include "freshlane/api/markdowns.hpp"

#include <spdlog/spdlog.h>

#include <limits>

#include <cmath>

#include "auth.hpp"
#include "freshlane/catalog/pricing.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "pagination.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

constexpr const char* kPriceChanges = "freshlane_markdown_price_changes_total";
constexpr const char* kWriteOffUnits = "freshlane_write_off_units_total";
constexpr const char* kWriteOffCost = "freshlane_write_off_cost_minor_total";

catalog::Money listing_price_now(const storage::PricedLot& lot, core::Timestamp now) {
  catalog::Listing l;
  l.price_minor = lot.listing_price_minor;
  l.markdown = lot.listing_markdown;
  return catalog::price_now(l, now).price_minor;
}

nlohmann::json policy_json(const std::string& scope, const fresh::MarkdownPolicy& p) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : p.steps) {
    steps.push_back({{"hours_before", s.hours_before}, {"percent_off", s.percent_off}});
  }
  return {{"scope", scope},
          {"steps", std::move(steps)},
          {"floor_percent_of_cost", p.floor_percent_of_cost},
          {"floor_percent_of_regular", p.floor_percent_of_regular},
          {"one_day", p.one_day}};
}

std::string_view action_name(MarkdownDecision::Action a) {
  switch (a) {
    case MarkdownDecision::Action::kMarkDown:
      return "mark_down";
    case MarkdownDecision::Action::kWriteOff:
      return "write_off";
    case MarkdownDecision::Action::kNone:
      break;
  }
  return "none";
}

std::string money_text(catalog::Money m, const std::string& currency) {
  const std::string cents = std::to_string(100 + m % 100).substr(1);
  return (currency == "CNY" ? std::string("¥") : currency + " ") + std::to_string(m / 100) + "." +
         cents;
}

// GET /v1/markdown-policies
http::Response list_policies(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  if (who.role != Role::kAdmin && who.role != Role::kStaff) {
    throw Error(who.role == Role::kAnonymous ? ErrorKind::kUnauthorized : ErrorKind::kForbidden,
                "markdown policies are for the chain's staff");
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& p : storage::FreshRepository(session).policies()) {
    auto j = policy_json(p.scope, p.policy);
    j["updated_at"] = core::format_rfc3339(p.updated_at);
    j["updated_by"] = p.updated_by;
    items.push_back(std::move(j));
  }
  return json_response(200, {{"items", std::move(items)}});
}

// PUT /v1/markdown-policies/{scope}: the chain's policy for a category, a storage class or the
// default (admin).
http::Response put_policy(Context& ctx, const http::Request& req, storage::Session& session) {
  require_admin(authenticate(req, ctx, session));
  const std::string& scope = req.param("scope");
  const auto colon = scope.find(':');
  const bool scope_ok =
      scope == "default" ||
      (colon != std::string::npos && catalog::is_valid_key_word(scope.substr(colon + 1)) &&
       (scope.substr(0, colon) == "category" ||
        (scope.substr(0, colon) == "storage" && catalog::parse_storage(scope.substr(colon + 1)))));
  if (!scope_ok) {
    throw Error(ErrorKind::kValidationFailed, "unknown policy scope",
                {{"scope",
                  "must be default, category:<category> or storage:<ambient|chilled|"
                  "frozen|live>"}});
  }
  BodyReader body(req.body);
  fresh::MarkdownPolicy p;
  body.objects("steps", Need::kRequired, 12, [&](ObjectReader& s) {
    const auto hours = s.integer("hours_before", Need::kRequired, 0, 720);
    const auto off = s.integer("percent_off", Need::kRequired, 1, 90);
    p.steps.push_back({static_cast<int>(hours.value_or(0)), static_cast<int>(off.value_or(1))});
  });
  p.floor_percent_of_cost = static_cast<int>(
      body.integer("floor_percent_of_cost", Need::kOptional, 0, 300).value_or(100));
  p.floor_percent_of_regular = static_cast<int>(
      body.integer("floor_percent_of_regular", Need::kOptional, 10, 100).value_or(30));
  p.one_day = body.boolean("one_day", Need::kOptional).value_or(false);
  body.finish();
  if (const auto problem = fresh::validate(p)) {
    throw Error(ErrorKind::kValidationFailed, *problem, {{"steps", *problem}});
  }
  storage::FreshRepository(session).put_policy(scope, p, "admin");
  return json_response(200, policy_json(scope, p));
}

http::Response delete_policy(Context& ctx, const http::Request& req, storage::Session& session) {
  require_admin(authenticate(req, ctx, session));
  const std::string& scope = req.param("scope");
  if (scope == "default") {
    throw Error(ErrorKind::kConflict, "the default policy can be changed but not removed");
  }
  if (!storage::FreshRepository(session).delete_policy(scope)) {
    throw Error(ErrorKind::kNotFound, "no markdown policy for " + scope);
  }
  return http::Response{204, "", "", {}};
}

nlohmann::json decision_json(const Context& ctx, const MarkdownDecision& d) {
  return {{"lot_id", d.lot.lot_id},
          {"sku", d.lot.sku},
          {"name", d.lot.name},
          {"category", d.lot.category},
          {"policy", d.scope},
          {"free_units", d.lot.free_units},
          {"expires_at", core::format_rfc3339(d.lot.expires_at)},
          {"sell_by", core::format_rfc3339(d.next.sell_by)},
          {"regular_price_minor", d.lot.listing_price_minor},
          {"price_minor", d.charged_minor},
          {"next_price_minor", d.next.price_minor},
          {"percent_off", d.next.percent_off},
          {"unit_cost_minor",
           d.lot.unit_cost_minor ? nlohmann::json(*d.lot.unit_cost_minor) : nlohmann::json()},
          {"action", action_name(d.action)},
          {"reason", d.next.reason},
          {"qr_code", ctx.qr.lot_code(d.lot.lot_id)}};
}

// GET /v1/stores/{store_id}/markdowns: what the round would do now, lot by lot (the lots it
// would change, and those already marked down).
http::Response preview(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  const auto store = existing_store(session, store_id);
  const auto now = ctx.now();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : plan_markdowns(session, store, now)) {
    if (d.action == MarkdownDecision::Action::kNone && d.charged_minor >= d.lot.listing_price_minor)
      continue;
    items.push_back(decision_json(ctx, d));
  }
  return json_response(200, {{"store_id", store_id},
                             {"at", core::format_rfc3339(now)},
                             {"currency", store.currency},
                             {"lots", std::move(items)}});
}

void count(const Context& ctx, const MarkdownRound& round) {
  ctx.metrics.increment(kPriceChanges, round.marked_down);
  for (const auto& w : round.written_off) {
    ctx.metrics.increment(kWriteOffUnits, static_cast<double>(w.quantity));
    ctx.metrics.increment(kWriteOffCost, static_cast<double>(w.cost_minor));
  }
}

nlohmann::json write_off_json(const storage::WriteOff& w) {
  return {{"lot_id", w.lot_id},
          {"sku", w.sku},
          {"quantity", w.quantity},
          {"cost_minor", w.cost_minor},
          {"retail_minor", w.retail_minor},
          {"reason", w.reason}};
}

// POST /v1/stores/{store_id}/markdowns/run: the round, now (as the job would run it).
http::Response run_now(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  require_empty_body(req);
  const auto store = existing_store(session, store_id);
  const auto round = run_markdowns(session, store, ctx.now());
  count(ctx, round);
  nlohmann::json offs = nlohmann::json::array();
  for (const auto& w : round.written_off) offs.push_back(write_off_json(w));
  return json_response(200, {{"store_id", store_id},
                             {"marked_down", round.marked_down},
                             {"written_off", std::move(offs)}});
}

// The lot and its store product, for staff of its store (or the admin): 404 for anyone else.
struct StaffLot {
  Principal who;
  catalog::Lot lot;
  catalog::StoreProduct sp;
  std::string actor() const { return who.id.empty() ? "admin" : who.id; }
};
StaffLot lot_of_store(const Context& ctx, const http::Request& req, storage::Session& session,
                      bool managers_only) {
  StaffLot out;
  out.who = authenticate(req, ctx, session);
  if (out.who.role == Role::kAnonymous) {
    throw Error(ErrorKind::kUnauthorized, "a token is required");
  }
  storage::CatalogRepository repo(session);
  const std::string& lot_id = req.param("lot_id");
  auto lot = repo.find_lot(lot_id);
  if (!lot) throw Error(ErrorKind::kNotFound, "no lot " + lot_id);
  if (managers_only)
    require_admin_or_manager(out.who, lot->store_id);
  else
    require_admin_or_staff(out.who, lot->store_id);
  auto sp = repo.find_store_product(lot->store_id, lot->sku, ctx.now());
  if (!sp) throw Error(ErrorKind::kNotFound, "no lot " + lot_id);
  out.lot = std::move(*lot);
  out.sp = std::move(*sp);
  return out;
}

// POST /v1/lots/{lot_id}/price: a manager's markdown of one lot (only ever lower).
http::Response override_price(Context& ctx, const http::Request& req, storage::Session& session) {
  const auto staff_lot = lot_of_store(ctx, req, session, true);
  const auto& lot = staff_lot.lot;
  const auto& sp = staff_lot.sp;
  BodyReader body(req.body);
  const auto price = body.integer("price_minor", Need::kRequired, 0, kMaxPriceMinor).value_or(0);
  const auto reason = body.string("reason", Need::kRequired, 1, 200).value_or("");
  body.finish();
  const auto now = ctx.now();
  if (lot.recalled_at || lot.expires_at <= now || lot.quantity_available <= 0) {
    throw Error(ErrorKind::kLotUnusable, "lot " + lot.lot_id +
                                             " is expired, recalled or has no free units: "
                                             "nothing of it is for sale to mark down");
  }
  const catalog::Money listing = catalog::price_now(sp.listing, now).price_minor;
  const catalog::Money charged = catalog::lot_price_now(listing, lot.price_minor);
  if (price >= charged) {
    throw Error(ErrorKind::kPriceWouldRise, "lot " + lot.lot_id + " sells at " +
                                                std::to_string(charged) +
                                                " now; a new price must be lower");
  }
  if (!storage::FreshRepository(session).set_lot_price(lot.store_id, lot.lot_id, lot.price_minor,
                                                       price, listing, reason, staff_lot.actor(),
                                                       now)) {
    throw Error(ErrorKind::kConflict, "the lot's price changed meanwhile; look again");
  }
  ctx.metrics.increment(kPriceChanges);
  return json_response(200, {{"lot_id", lot.lot_id},
                             {"sku", lot.sku},
                             {"price_minor", price},
                             {"regular_price_minor", sp.listing.price_minor},
                             {"previous_price_minor", charged},
                             {"reason", reason}});
}

// POST /v1/lots/{lot_id}/write-off: damaged units off sale for good (any staff of the store).
http::Response write_off_damaged(Context& ctx, const http::Request& req,
                                 storage::Session& session) {
  const auto staff_lot = lot_of_store(ctx, req, session, false);
  const auto& lot = staff_lot.lot;
  const auto& sp = staff_lot.sp;
  BodyReader body(req.body);
  const auto quantity = body.integer("quantity", Need::kRequired, 1, 1'000'000).value_or(1);
  const auto reason = body.string("reason", Need::kOptional, 1, 32).value_or("damaged");
  if (reason != "damaged")
    body.error("reason", "must be damaged (expired lots are written off by the store's round)");
  const auto note = body.string("note", Need::kOptional, 1, 500);
  body.finish();
  const auto w = storage::FreshRepository(session).write_off(lot.store_id, lot.lot_id, quantity,
                                                             sp.listing.price_minor, "damaged",
                                                             staff_lot.actor(), note, ctx.now());
  if (w.quantity == 0) {
    throw Error(ErrorKind::kValidationFailed,
                "lot " + lot.lot_id + " has fewer free units than that",
                {{"quantity", "more than the lot's free units (on hand, not held by orders)"}});
  }
  MarkdownRound round;
  round.written_off.push_back(w);
  count(ctx, round);
  return json_response(200, write_off_json(w));
}

// GET /v1/stores/{store_id}/labels?since=: the price changes electronic shelf labels must show.
http::Response labels(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  const std::int64_t since =
      query_integer(req, "since", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  const int limit = page_limit(req);
  const auto store = existing_store(session, store_id);
  nlohmann::json items = nlohmann::json::array();
  std::int64_t last = since;
  for (const auto& c : storage::FreshRepository(session).price_changes(store_id, since, limit)) {
    last = c.change_id;
    const int off = c.regular_minor > 0
                        ? static_cast<int>(std::lround(
                              100.0 * static_cast<double>(c.regular_minor - c.price_minor) /
                              static_cast<double>(c.regular_minor)))
                        : 0;
    items.push_back({{"change_id", c.change_id},
                     {"lot_id", c.lot_id},
                     {"sku", c.sku},
                     {"name", c.name},
                     {"at", core::format_rfc3339(c.at)},
                     {"price_minor", c.price_minor},
                     {"previous_price_minor", c.old_price_minor},
                     {"regular_price_minor", c.regular_minor},
                     {"percent_off", off},
                     {"expires_at", core::format_rfc3339(c.expires_at)},
                     {"reason", c.reason},
                     {"by", c.actor},
                     {"qr_code", ctx.qr.lot_code(c.lot_id)},
                     {"label_text", c.name + " " + money_text(c.price_minor, store.currency) +
                                        " (-" + std::to_string(off) + "%, was " +
                                        money_text(c.regular_minor, store.currency) + ") · " +
                                        core::format_rfc3339(c.expires_at).substr(0, 10)}});
  }
  return json_response(200, {{"store_id", store_id},
                             {"currency", store.currency},
                             {"changes", std::move(items)},
                             {"next_since", last}});
}

struct WasteSums {
  std::int64_t off_units = 0, md_units = 0, full_units = 0;
  catalog::Money off_cost = 0, off_retail = 0, md_value = 0, full_value = 0;
  void add(const storage::WasteRow& r) {
    off_units += r.written_off_units;
    off_cost += r.written_off_cost_minor;
    off_retail += r.written_off_retail_minor;
    md_units += r.markdown_units;
    md_value += r.markdown_value_minor;
    full_units += r.full_price_units;
    full_value += r.full_price_value_minor;
  }
  nlohmann::json json() const {
    const catalog::Money sales = md_value + full_value;
    return {{"written_off",
             {{"units", off_units}, {"cost_minor", off_cost}, {"retail_minor", off_retail}}},
            {"sold_at_markdown", {{"units", md_units}, {"value_minor", md_value}}},
            {"sold_at_full_price", {{"units", full_units}, {"value_minor", full_value}}},
            {"sales_value_minor", sales},
            // Written off at its regular price, over what was sold: shrink as stores count it.
            {"waste_share_of_sales", sales > 0 ? nlohmann::json(static_cast<double>(off_retail) /
                                                                static_cast<double>(sales))
                                               : nlohmann::json()}};
  }
};

// GET /v1/stores/{store_id}/waste?from=&to=: units and value written off, sold at markdown and
// at full price, by local day and category (default: the last 7 days to today).
http::Response waste(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  const auto store = existing_store(session, store_id);
  const auto now = ctx.now();
  const std::string to = query_date(req, "to", core::local_date(now, store.utc_offset_minutes));
  const std::string from = query_date(
      req, "from", core::local_date(now - std::chrono::days(6), store.utc_offset_minutes));
  const auto days =
      (*core::parse_rfc3339(to + "T00:00:00Z") - *core::parse_rfc3339(from + "T00:00:00Z")) /
      std::chrono::days(1);
  if (days < 0) invalid_parameter("from", "must not be after to");
  if (days > 366) invalid_parameter("from", "the report covers at most 366 days");
  nlohmann::json rows = nlohmann::json::array();
  std::map<std::string, WasteSums> by_category;
  WasteSums total;
  for (const auto& r : storage::FreshRepository(session).waste(store_id, from, to, ctx.timezone)) {
    WasteSums one;
    one.add(r);
    auto j = one.json();
    j["day"] = r.day;
    j["category"] = r.category;
    rows.push_back(std::move(j));
    by_category[r.category].add(r);
    total.add(r);
  }
  nlohmann::json categories = nlohmann::json::array();
  for (const auto& [category, sums] : by_category) {
    auto j = sums.json();
    j["category"] = category;
    categories.push_back(std::move(j));
  }
  return json_response(200, {{"store_id", store_id},
                             {"from", from},
                             {"to", to},
                             {"timezone", ctx.timezone},
                             {"currency", store.currency},
                             {"days", std::move(rows)},
                             {"categories", std::move(categories)},
                             {"total", total.json()}});
}

}  // namespace

std::pair<std::string, const fresh::MarkdownPolicy*> PolicyBook::of(
    const std::string& category, catalog::Storage storage) const {
  for (const std::string& scope :
       {"category:" + category, "storage:" + std::string(catalog::to_string(storage)),
        std::string("default")}) {
    if (const auto it = by_scope.find(scope); it != by_scope.end()) return {scope, &it->second};
  }
  static const fresh::MarkdownPolicy fallback = fresh::default_policy();
  return {"default", &fallback};
}

std::optional<std::chrono::hours> PolicyBook::acts_within() const {
  std::optional<std::chrono::hours> out = by_scope.contains("default")
                                              ? std::chrono::hours(0)
                                              : fresh::acts_within(fresh::default_policy());
  for (const auto& [scope, policy] : by_scope) {
    const auto within = fresh::acts_within(policy);
    if (!within || !out) return std::nullopt;
    out = std::max(*out, *within);
  }
  return out;
}

PolicyBook load_policies(storage::Session& session) {
  PolicyBook book;
  for (auto& stored : storage::FreshRepository(session).policies()) {
    book.by_scope[stored.scope] = std::move(stored.policy);
  }
  return book;
}

std::vector<MarkdownDecision> plan_markdowns(storage::Session& session, const catalog::Store& store,
                                             core::Timestamp now, bool only_actions) {
  const PolicyBook policies = load_policies(session);
  std::optional<core::Timestamp> expiring_by;
  if (const auto within = policies.acts_within(); only_actions && within) {
    expiring_by = now + *within;
  }
  std::vector<MarkdownDecision> out;
  for (auto& lot : storage::FreshRepository(session).lots_to_price(store.store_id, expiring_by)) {
    MarkdownDecision d;
    const auto [scope, policy] = policies.of(lot.category, lot.storage);
    d.scope = scope;
    const catalog::Money listing = listing_price_now(lot, now);
    d.charged_minor = catalog::lot_price_now(listing, lot.price_minor);
    fresh::LotForPricing in;
    in.regular_minor = listing;
    in.unit_cost_minor = lot.unit_cost_minor;
    in.current_minor = lot.price_minor;
    in.received_at = lot.received_at;
    in.expires_at = lot.expires_at;
    in.utc_offset_minutes = store.utc_offset_minutes;
    d.next = fresh::lot_price(*policy, in, now);
    if (now >= d.next.sell_by)
      d.action = MarkdownDecision::Action::kWriteOff;
    else if (d.next.price_minor < d.charged_minor)
      d.action = MarkdownDecision::Action::kMarkDown;
    d.lot = std::move(lot);
    out.push_back(std::move(d));
  }
  return out;
}

MarkdownRound run_markdowns(storage::Session& session, const catalog::Store& store,
                            core::Timestamp now) {
  MarkdownRound round;
  storage::FreshRepository repo(session);
  for (const auto& d : plan_markdowns(session, store, now, true)) {
    if (d.action == MarkdownDecision::Action::kWriteOff) {
      const bool one_day = d.next.sell_by < d.lot.expires_at;
      auto w = repo.write_off(store.store_id, d.lot.lot_id, std::nullopt, d.lot.listing_price_minor,
                              one_day ? "one_day" : "expired", "policy", std::nullopt, now);
      if (w.quantity > 0) round.written_off.push_back(std::move(w));
    } else if (d.action == MarkdownDecision::Action::kMarkDown) {
      if (repo.set_lot_price(store.store_id, d.lot.lot_id, d.lot.price_minor, d.next.price_minor,
                             listing_price_now(d.lot, now), d.next.reason, "policy", now)) {
        ++round.marked_down;
      } else {
        ++round.moved;
      }
    }
  }
  if (round.marked_down > 0 || !round.written_off.empty()) {
    spdlog::info("store {}: {} lot(s) marked down, {} written off", store.store_id,
                 round.marked_down, round.written_off.size());
  }
  return round;
}

void add_markdown_routes(http::Router& router, Context& ctx) {
  ctx.metrics.add_counter(kPriceChanges, "Lot prices lowered by markdown policies and managers.");
  ctx.metrics.add_counter(kWriteOffUnits,
                          "Units written off (expired, past their day, damaged); grams for "
                          "goods sold by weight.");
  ctx.metrics.add_counter(kWriteOffCost, "What units written off cost the store, minor units.");
  router.add("GET", "/v1/markdown-policies", with_database(ctx, list_policies));
  router.add("PUT", "/v1/markdown-policies/{scope}", with_database(ctx, put_policy));
  router.add("DELETE", "/v1/markdown-policies/{scope}", with_database(ctx, delete_policy));
  router.add("GET", "/v1/stores/{store_id}/markdowns", with_database(ctx, preview));
  router.add("POST", "/v1/stores/{store_id}/markdowns/run", with_database(ctx, run_now));
  router.add("POST", "/v1/lots/{lot_id}/price", with_database(ctx, override_price));
  router.add("POST", "/v1/lots/{lot_id}/write-off", with_database(ctx, write_off_damaged));
  router.add("GET", "/v1/stores/{store_id}/labels", with_database(ctx, labels));
  router.add("GET", "/v1/stores/{store_id}/waste", with_database(ctx, waste));
}

}  // namespace freshlane::api
