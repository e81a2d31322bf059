// The manager's wall board beside the live floor: today's figures for the store (its local
// day) and the staffing a plan recommends (`freshlane plan --out` writes the plan; its "staff"
// member is what a manager stores here) against who is on shift now.
#include <map>

#include "auth.hpp"
#include "freshlane/storage/board_repository.hpp"
#include "freshlane/storage/fresh_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

constexpr int kPaidToConveyorTargetSeconds = 600;  // PRODUCT.md: paid to conveyor in 10 minutes
constexpr double kMinLabourHours = 0.25;

nlohmann::json number_or_null(std::optional<double> v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

nlohmann::json share(std::int64_t part, std::int64_t whole) {
  return whole == 0 ? nlohmann::json() : nlohmann::json(double(part) / double(whole));
}

// "HH:MM" → minutes after midnight, nullopt when it is not a time of day (24:00 allowed).
std::optional<int> minute_of(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

// Who the plan wants on shift at `minute`: pickers by zone and couriers.
nlohmann::json planned_at(const nlohmann::json& plan, int minute) {
  std::map<std::string, int> pickers;
  int couriers = 0;
  auto on = [minute](const nlohmann::json& s) {
    const auto from = minute_of(s.value("from", "")), to = minute_of(s.value("to", ""));
    return from && to && minute >= *from && minute < *to;
  };
  for (const auto& s : plan.value("pickers", nlohmann::json::array())) {
    if (on(s)) pickers[s.value("zone", "")] += s.value("count", 0);
  }
  for (const auto& s : plan.value("couriers", nlohmann::json::array())) {
    if (on(s)) couriers += s.value("count", 0);
  }
  return {{"pickers", pickers}, {"couriers", couriers}};
}

http::Response get_today(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_staff(authenticate(req, ctx, session), store_id);
  existing_store(session, store_id);
  storage::BoardRepository board(session);
  const auto d = board.today(store_id, ctx.timezone);
  const auto plan = board.staffing_plan(store_id);
  const auto fresh = storage::FreshRepository(session).today(store_id, ctx.timezone, ctx.now());
  int pickers = 0;
  for (const auto& [zone, n] : d.pickers_on_shift) pickers += n;
  nlohmann::json j{
      {"store_id", store_id},
      {"day", d.day},
      {"timezone", ctx.timezone},
      {"at", core::format_rfc3339(ctx.now())},
      {"paid_to_conveyor",
       {{"orders", d.on_conveyor},
        {"p50_seconds", number_or_null(d.paid_to_conveyor_p50_s)},
        {"p95_seconds", number_or_null(d.paid_to_conveyor_p95_s)},
        {"target_seconds", kPaidToConveyorTargetSeconds}}},
      {"deliveries",
       {{"delivered", d.delivered},
        {"on_time", d.delivered_on_time},
        {"on_time_share", share(d.delivered_on_time, d.delivered)}}},
      {"paid_orders", d.paid_orders},
      {"refused", d.refused},
      {"refused_share", share(d.refused, d.refused + d.paid_orders)},
      {"labour_hours", d.labour_hours},
      // Meaningless over a few minutes' work: null until a quarter hour has been worked.
      {"orders_per_labour_hour", d.labour_hours >= kMinLabourHours
                                     ? nlohmann::json(double(d.paid_orders) / d.labour_hours)
                                     : nlohmann::json()},
      {"fresh",
       {{"price_changes", fresh.price_changes},
        {"lots_marked_down", fresh.lots_marked_down},
        {"written_off_units", fresh.written_off_units},
        {"written_off_cost_minor", fresh.written_off_cost_minor},
        {"written_off_retail_minor", fresh.written_off_retail_minor}}},
      {"staffing",
       {{"on_shift",
         {{"pickers", d.pickers_on_shift},
          {"picker_count", pickers},
          {"couriers", d.couriers_on_shift}}},
        {"planned",
         plan ? planned_at(nlohmann::json::parse(*plan), d.minute_of_day) : nlohmann::json()}}}};
  return json_response(200, j);
}

http::Response get_plan(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_staff(authenticate(req, ctx, session), store_id);
  existing_store(session, store_id);
  const auto plan = storage::BoardRepository(session).staffing_plan(store_id);
  if (!plan) throw Error(ErrorKind::kNotFound, "no staffing plan for store " + store_id);
  return json_response(200, nlohmann::json::parse(*plan));
}

http::Response put_plan(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  require_json_media_type(req);
  existing_store(session, store_id);
  BodyReader body(req.body);
  nlohmann::json pickers = nlohmann::json::array(), couriers = nlohmann::json::array();
  auto shift = [](ObjectReader& r, bool zoned) {
    nlohmann::json s;
    const auto from = r.string("from", Need::kRequired, 5, 5);
    const auto to = r.string("to", Need::kRequired, 5, 5);
    if (from && !minute_of(*from)) r.error("from", "must be a time of day, HH:MM");
    if (to && !minute_of(*to)) r.error("to", "must be a time of day, HH:MM");
    if (from && to && minute_of(*from) && minute_of(*to) && *minute_of(*to) <= *minute_of(*from)) {
      r.error("to", "must be after from");
    }
    const auto count = r.integer("count", Need::kRequired, 0, 500);
    s = {{"from", from.value_or("")}, {"to", to.value_or("")}, {"count", count.value_or(0)}};
    if (zoned) s["zone"] = r.string("zone", Need::kRequired, 1, 64).value_or("");
    return s;
  };
  body.objects("pickers", Need::kRequired, 500,
               [&](ObjectReader& r) { pickers.push_back(shift(r, true)); });
  body.objects("couriers", Need::kRequired, 500,
               [&](ObjectReader& r) { couriers.push_back(shift(r, false)); });
  body.finish();
  const nlohmann::json plan{{"pickers", pickers}, {"couriers", couriers}};
  storage::BoardRepository(session).put_staffing_plan(store_id, plan.dump());
  return json_response(200, plan);
}

}  // namespace

void add_board_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/v1/stores/{store_id}/today", with_database(ctx, get_today));
  router.add("GET", "/v1/stores/{store_id}/staffing-plan", with_database(ctx, get_plan));
  router.add("PUT", "/v1/stores/{store_id}/staffing-plan", with_database(ctx, put_plan));
}

}  // namespace freshlane::api
