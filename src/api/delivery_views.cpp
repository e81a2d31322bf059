#include "delivery_views.hpp"

#include "freshlane/core/time.hpp"
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
  }
  return "";
}

nlohmann::json position(const std::optional<core::LatLon>& at,
                        const std::optional<core::Timestamp>& when) {
  if (!at) return nullptr;
  return {{"lat", at->lat}, {"lon", at->lon}, {"at", time_or_null(when)}};
}

}  // namespace

nlohmann::json to_json(const catalog::Store& store, const dispatch::Quote& q) {
  return {
      {"store_id", store.store_id},
      {"deliverable", q.deliverable},
      {"distance_m", q.distance_m},
      {"delivery_radius_m", store.delivery_radius_m},
      {"eta_minutes", q.eta_minutes ? nlohmann::json(*q.eta_minutes) : nlohmann::json()},
      {"promise_minutes", store.promise_minutes},
      {"reason", q.reason == dispatch::QuoteReason::kNone ? nlohmann::json()
                                                          : nlohmann::json(reason_text(q.reason))}};
}

nlohmann::json to_json(const storage::TripRecord& t) {
  nlohmann::json stops = nlohmann::json::array();
  for (const auto& s : t.stops) {
    stops.push_back({{"seq", s.seq},
                     {"order_id", s.order_id},
                     {"state", s.state},
                     {"lat", s.at.lat},
                     {"lon", s.at.lon},
                     {"address", s.address},
                     {"eta", core::format_rfc3339(s.eta)},
                     {"promised_at", core::format_rfc3339(s.promised_at)},
                     {"late", s.eta > s.promised_at},
                     {"done_at", time_or_null(s.done_at)},
                     {"reason", s.reason.empty() ? nlohmann::json() : nlohmann::json(s.reason)}});
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
                              const std::vector<storage::TripRecord>& trips, core::Timestamp now) {
  nlohmann::json waiting = nlohmann::json::array();
  for (const auto& p : in.parcels) {
    waiting.push_back({{"order_id", p.order_id},
                       {"packed_at", core::format_rfc3339(p.ready_at)},
                       {"promised_at", core::format_rfc3339(p.promised_at)},
                       {"late", now > p.promised_at},
                       {"distance_m", std::lround(core::distance_m(in.store.location, p.drop))}});
  }
  nlohmann::json trip_list = nlohmann::json::array();
  for (const auto& t : trips) trip_list.push_back(to_json(t));
  nlohmann::json couriers = nlohmann::json::array();
  for (const auto& c : in.couriers) couriers.push_back(to_json(c, now));
  return {{"store_id", in.store.store_id},
          {"waiting", std::move(waiting)},
          {"trips", std::move(trip_list)},
          {"couriers", std::move(couriers)}};
}

nlohmann::json timeline(const orders::Order& o, const storage::TrackingRecord& t) {
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

nlohmann::json tracking_view(const orders::Order& o, const storage::TrackingRecord& t,
                             const std::optional<core::Timestamp>& estimated_at) {
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& e : t.events) {
    if (e.kind == "delivery_failed") {
      failed.push_back({{"at", core::format_rfc3339(e.at)}, {"reason", e.detail}});
    }
  }
  nlohmann::json courier = nullptr;
  if (o.status == orders::Status::kOutForDelivery && t.courier) {
    courier = {{"name", t.courier->name},
               {"position", position(t.courier->position, t.courier->position_at)}};
  }
  return {{"order_id", o.order_id},
          {"status", orders::to_string(o.status)},
          {"fulfillment", orders::to_string(o.fulfillment)},
          {"promised_at", time_or_null(o.promised_at)},
          {"estimated_at", time_or_null(estimated_at)},
          {"timeline", timeline(o, t)},
          {"failed_attempts", std::move(failed)},
          {"courier", std::move(courier)}};
}

}  // namespace freshlane::api
