#include "delivery_views.hpp"

#include <cmath>
#include <map>
#include <string_view>

#include <spdlog/spdlog.h>

#include "freshlane/core/time.hpp"
#include "freshlane/http/problem.hpp"
#include "json_views.hpp"

namespace freshlane::api {

namespace {

std::string_view reason_text(dispatch::QuoteReason r) {
  switch (r) {
    case dispatch::QuoteReason::kNone:
      return "";
    case dispatch::QuoteReason::kOutOfRange:
      return "out_of_range";
    case dispatch::QuoteReason::kStoreBusy:
      return "store_busy";
    case dispatch::QuoteReason::kPaused:
      return "paused";
  }
  return "";
}

nlohmann::json position(const std::optional<core::LatLon>& at,
                        const std::optional<core::Timestamp>& when) {
  if (!at) return nullptr;
  return {{"lat", at->lat}, {"lon", at->lon}, {"at", time_or_null(when)}};
}

}  // namespace

std::string quote_detail(const catalog::Store& store, const dispatch::Quote& q) {
  switch (q.reason) {
    case dispatch::QuoteReason::kNone:
      return "";
    case dispatch::QuoteReason::kOutOfRange:
      return "the address is " + std::to_string(q.distance_m) +
             " m from the store, which delivers within " + std::to_string(store.delivery_radius_m) +
             " m";
    case dispatch::QuoteReason::kPaused:
      return "the store has paused delivery: " + store.delivery_paused_reason.value_or("");
    case dispatch::QuoteReason::kStoreBusy:
      break;
  }
  switch (q.busy) {
    case dispatch::Busy::kNoPicker:
      return "no picker is on shift to pick the order";
    case dispatch::Busy::kNoCourier:
      return "no courier is on shift";
    default:
      return "delivery would take about " + std::to_string(q.eta_minutes.value_or(0)) +
             " minutes, beyond the promised " + std::to_string(store.promise_minutes);
  }
}

nlohmann::json to_json(const catalog::Store& store, const dispatch::Quote& q) {
  const std::string detail = quote_detail(store, q);
  return {
      {"store_id", store.store_id},
      {"deliverable", q.deliverable},
      {"distance_m", q.distance_m},
      {"delivery_radius_m", store.delivery_radius_m},
      {"eta_minutes", q.eta_minutes ? nlohmann::json(*q.eta_minutes) : nlohmann::json()},
      {"promise_minutes", store.promise_minutes},
      {"reason", q.reason == dispatch::QuoteReason::kNone ? nlohmann::json()
                                                          : nlohmann::json(reason_text(q.reason))},
      {"detail", detail.empty() ? nlohmann::json() : nlohmann::json(detail)}};
}

nlohmann::json to_json(const storage::TripRecord& t, core::Timestamp now) {
  nlohmann::json stops = nlohmann::json::array();
  for (const auto& s : t.stops) {
    const bool live = s.state == "planned" || s.state == "picked_up";
    const auto eta =
        live ? store::live_stop_eta(
                   {s.order_id, s.promised_at, s.eta, s.state == "picked_up", t.departs_at}, now)
             : s.eta;
    stops.push_back(
        {{"seq", s.seq},
         {"order_id", s.order_id},
         {"state", s.state},
         {"lat", s.at.lat},
         {"lon", s.at.lon},
         {"address", s.address},
         {"eta", core::format_rfc3339(eta)},
         {"promised_at", core::format_rfc3339(s.promised_at)},
         {"late", eta > s.promised_at},
         {"done_at", time_or_null(s.done_at)},
         {"reason", s.reason.empty() ? nlohmann::json() : nlohmann::json(s.reason)},
         {"customer",
          {{"name", s.customer_name}, {"phone_masked", masked_phone(s.customer_phone)}}},
         {"notes", s.notes.empty() ? nlohmann::json() : nlohmann::json(s.notes)},
         {"bags", s.bags}});
  }
  return {{"trip_id", t.trip_id},
          {"store_id", t.store_id},
          {"courier_id", t.courier_id},
          {"courier_name", t.courier_name},
          {"state", t.state},
          {"planned_at", core::format_rfc3339(t.planned_at)},
          {"departs_at", core::format_rfc3339(t.departs_at)},
          {"left_at", time_or_null(t.left_at)},
          {"returns_at", core::format_rfc3339(t.returns_at)},
          {"distance_m", t.distance_m},
          {"stops", std::move(stops)}};
}

nlohmann::json to_json(const storage::CourierOnShift& c, core::Timestamp now) {
  const auto state = c.state(now);
  return {{"courier_id", c.courier_id},
          {"name", c.name},
          {"state", store::to_string(state)},
          {"clocked_in_at", core::format_rfc3339(c.clocked_in_at)},
          {"available_at", core::format_rfc3339(c.available_at(now))},
          {"trip_id", state == storage::CourierOnShift::State::kOnTrip ? nlohmann::json(c.trip_id)
                                                                       : nlohmann::json()},
          {"position", position(c.position, c.position_at)}};
}

nlohmann::json dispatch_board(const storage::DispatchInput& in,
                              const std::vector<store::LiveEta>& etas,
                              const std::vector<storage::TripRecord>& trips, core::Timestamp now) {
  std::map<std::string_view, const store::LiveEta*> eta_of;
  for (const auto& e : etas) eta_of.emplace(e.order_id, &e);
  // The live ETA and whether it misses the promise (no ETA: nobody on shift to do it).
  auto with_eta = [&](nlohmann::json entry, const std::string& order_id) {
    const auto it = eta_of.find(order_id);
    const store::LiveEta* e = it == eta_of.end() ? nullptr : it->second;
    entry["eta"] = e && e->eta ? nlohmann::json(core::format_rfc3339(*e->eta)) : nlohmann::json();
    entry["late"] = e ? e->late() : false;
    return entry;
  };
  auto distance = [&](core::LatLon drop) {
    return std::lround(core::distance_m(in.store.location, drop));
  };
  nlohmann::json waiting = nlohmann::json::array();
  for (const auto& p : in.parcels) {
    waiting.push_back(with_eta({{"order_id", p.order_id},
                                {"packed_at", core::format_rfc3339(p.ready_at)},
                                {"promised_at", core::format_rfc3339(p.promised_at)},
                                {"distance_m", distance(p.drop)}},
                               p.order_id));
  }
  nlohmann::json coming = nlohmann::json::array();
  for (const auto& o : in.coming) {
    const char* stage = "paid";
    switch (o.stage) {
      case store::ComingOrder::Stage::kPaid:
        break;
      case store::ComingOrder::Stage::kPicking:
        stage = "picking";
        break;
      case store::ComingOrder::Stage::kReturning:
        stage = "returning";
        break;
      case store::ComingOrder::Stage::kHeld:
        stage = "held";
        break;
    }
    coming.push_back(with_eta({{"order_id", o.order_id},
                               {"status", stage},
                               {"promised_at", core::format_rfc3339(o.promised_at)},
                               {"not_before", time_or_null(o.not_before)},
                               {"distance_m", distance(o.drop)}},
                              o.order_id));
  }
  nlohmann::json trip_list = nlohmann::json::array();
  for (const auto& t : trips) trip_list.push_back(to_json(t, now));
  nlohmann::json couriers = nlohmann::json::array();
  for (const auto& c : in.couriers) couriers.push_back(to_json(c, now));
  return {{"store_id", in.store.store_id},
          {"waiting", std::move(waiting)},
          {"coming", std::move(coming)},
          {"trips", std::move(trip_list)},
          {"couriers", std::move(couriers)}};
}

// A pickup order waits at the counter once packed and ends when collected; an in-store order is
// done when paid.
nlohmann::json store_timeline(const orders::Order& o, const storage::TrackingRecord& t) {
  nlohmann::json out = nlohmann::json::array();
  out.push_back({{"step", "paid"}, {"at", time_or_null(o.paid_at)}});
  if (o.fulfillment == orders::Fulfillment::kInStore) {
    out.push_back({{"step", "completed"},
                   {"at", o.status == orders::Status::kCompleted ? time_or_null(o.paid_at)
                                                                 : nlohmann::json()}});
    return out;
  }
  std::optional<core::Timestamp> picking, on_conveyor;
  for (const auto& e : t.events) {
    if (e.kind == "order_picking_started" && !picking) picking = e.at;
    if (e.kind == "order_on_conveyor") on_conveyor = e.at;
  }
  out.push_back({{"step", "picking"}, {"at", time_or_null(picking)}});
  out.push_back({{"step", "on_conveyor"}, {"at", time_or_null(on_conveyor)}});
  out.push_back({{"step", "ready_for_pickup"}, {"at", time_or_null(o.packed_at)}});
  out.push_back({{"step", "collected"}, {"at", time_or_null(o.handed_over_at)}});
  return out;
}

nlohmann::json timeline(const orders::Order& o, const storage::TrackingRecord& t) {
  if (o.fulfillment != orders::Fulfillment::kDelivery) return store_timeline(o, t);
  // Events come in the order they happened; positions order them even within one second.
  struct Step {
    const char* name;
    const char* event;  // the latest of these events marks it
    int index = -1;     // of that event; -1 for none
  };
  Step steps[] = {{"paid", nullptr},
                  {"picking", "order_picking_started"},
                  {"on_conveyor", "order_on_conveyor"},
                  {"packed", "order_packed"},
                  {"courier_assigned", "courier_assigned"},
                  {"out_for_delivery", "picked_up"},
                  {"delivered", "delivered"}};
  constexpr size_t kFirstCourierStep = 4;
  int failed = -1;  // the latest failed attempt
  for (int i = 0; i < static_cast<int>(t.events.size()); ++i) {
    const auto& kind = t.events[static_cast<size_t>(i)].kind;
    if (kind == "delivery_failed") failed = i;
    for (auto& s : steps) {
      if (s.event && kind == s.event) s.index = i;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  out.push_back({{"step", "paid"}, {"at", time_or_null(o.paid_at)}});
  int reached = -1;
  for (size_t k = 1; k < std::size(steps); ++k) {
    const Step& s = steps[k];
    // An event before the step reached last, or before a failed attempt, is from an earlier try.
    const bool current =
        s.index >= 0 && s.index > reached && (k < kFirstCourierStep || s.index > failed);
    std::optional<core::Timestamp> at;
    if (current) {
      at = t.events[static_cast<size_t>(s.index)].at;
      reached = s.index;
    }
    out.push_back({{"step", s.name}, {"at", time_or_null(at)}});
  }
  return out;
}

// A pickup order: when it will be (or was) ready at the counter — packed, else its bags' deadline.
nlohmann::json ready_estimate(const orders::Order& o) {
  if (o.fulfillment != orders::Fulfillment::kPickup) return nullptr;
  if (o.packed_at) return core::format_rfc3339(*o.packed_at);
  if (o.picking) return core::format_rfc3339(o.picking->deadline);
  return nullptr;
}

// The order's goods sold by weight: grams ordered, and weighed once the picker's scale said.
nlohmann::json weights(const orders::Order& o) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : o.lines) {
    if (!l.by_weight()) continue;
    nlohmann::json w = grams_json(l);
    w["sku"] = l.sku;
    w["name"] = l.name;
    out.push_back(std::move(w));
  }
  return out;
}

nlohmann::json tracking_view(const orders::Order& o, const storage::TrackingRecord& t,
                             const std::optional<core::Timestamp>& estimated_at, bool late) {
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& e : t.events) {
    if (e.kind == "delivery_failed") {
      failed.push_back(
          {{"at", core::format_rfc3339(e.at)}, {"reason", e.detail}, {"returned_at", nullptr}});
    } else if (e.kind == "returned_to_store" && !failed.empty()) {
      failed.back()["returned_at"] = core::format_rfc3339(e.at);  // its bags are back
    }
  }
  nlohmann::json courier = nullptr;
  if (o.status == orders::Status::kOutForDelivery && t.courier) {
    courier = {{"name", t.courier->name},
               {"position", position(t.courier->position, t.courier->position_at)}};
  }
  return {
      {"order_id", o.order_id},
      {"status", orders::to_string(o.status)},
      {"fulfillment", orders::to_string(o.fulfillment)},
      {"promised_at", time_or_null(o.promised_at)},
      {"estimated_at", time_or_null(estimated_at)},
      {"late", late},
      {"redelivery", o.redelivery_after
                         ? nlohmann::json{{"not_before", core::format_rfc3339(*o.redelivery_after)}}
                         : nlohmann::json()},
      {"timeline", timeline(o, t)},
      {"failed_attempts", std::move(failed)},
      {"courier", std::move(courier)},
      {"ready_estimate", ready_estimate(o)},
      {"weights", weights(o)}};
}

nlohmann::json customer_view(const Context& ctx, orders::Order o) {
  if (o.fulfillment != orders::Fulfillment::kInStore) {
    o.handover_code = ctx.handover_codes.code_of(o.order_id);
  }
  return to_json(o, true);
}

std::string with_handover_code(const Context& ctx, const std::string& order_body) {
  auto j = nlohmann::json::parse(order_body, nullptr, false);
  if (!j.is_object() || !j.contains("handover_code") || !j["order_id"].is_string()) {
    return order_body;
  }
  if (j.value("fulfillment", "") != "in_store") {
    j["handover_code"] = ctx.handover_codes.code_of(j["order_id"].get<std::string>());
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

storage::CodeOffer code_offer(const Context& ctx, const Principal& who, std::string code) {
  return {std::move(code), who.id, &ctx.handover_codes, ctx.handover_code_attempts, who.store_id};
}

namespace {

void count_refused(Context& ctx, storage::CodeKind kind) {
  auto& counts = *ctx.handover_code_counts;
  (kind == storage::CodeKind::kDoor ? counts.door_refused : counts.counter_refused)
      .fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

http::Response refused_code(Context& ctx, storage::CodeKind kind, const std::string& order_id,
                            const Principal& who, const storage::WrongHandoverCode& wrong) {
  count_refused(ctx, kind);
  spdlog::warn("wrong {} code: order={} {}={} store={} attempts_left={}", storage::to_string(kind),
               order_id, role_name(who.role), who.id, who.store_id, wrong.attempts_left);
  return http::problem(core::ErrorKind::kWrongHandoverCode,
                       "the code does not match this order's; " +
                           std::to_string(wrong.attempts_left) + " more wrong code(s) and you " +
                           "are locked out of this order's hand-over",
                       {{"attempts_left", wrong.attempts_left}});
}

http::Response refused_code(Context& ctx, storage::CodeKind kind, const std::string& order_id,
                            const Principal& who, const storage::CodeLocked& locked) {
  count_refused(ctx, kind);
  if (locked.now) ctx.metrics.increment("freshlane_handover_code_locks_total");
  spdlog::warn("{} code refused, {} locked out: order={} {}={} store={} attempt_limit={}",
               storage::to_string(kind), locked.now ? "now" : "already", order_id,
               role_name(who.role), who.id, who.store_id, ctx.handover_code_attempts);
  const std::string n = std::to_string(ctx.handover_code_attempts);
  return http::problem(core::ErrorKind::kCodeLocked,
                       (locked.now ? "the code does not match this order's: that makes " + n +
                                         " wrong codes from you, and you are locked out"
                                   : "you offered " + n +
                                         " wrong codes for this order and are "
                                         "locked out") +
                           std::string(" of its hand-over until a manager of the store unlocks it"),
                       {{"attempt_limit", ctx.handover_code_attempts}});
}

void add_handover_code_metrics(Context& ctx) {
  ctx.metrics.add_counter_family(
      "freshlane_handover_code_failures_total",
      "Codes offered at the door or the counter that opened nothing (wrong, or from someone "
      "locked out of that order's hand-over).",
      [counts = ctx.handover_code_counts] {
        return std::vector<http::Metrics::Sample>{
            {{{"kind", "door"}}, static_cast<double>(counts->door_refused.load())},
            {{{"kind", "counter"}}, static_cast<double>(counts->counter_refused.load())}};
      });
  ctx.metrics.add_counter("freshlane_handover_code_locks_total",
                          "People locked out of an order's hand-over by their wrong codes.");
}

}  // namespace freshlane::api
