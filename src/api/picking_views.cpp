#include "picking_views.hpp"

#include <algorithm>

#include "freshlane/catalog/pricing.hpp"
#include "freshlane/core/error.hpp"
#include "freshlane/store/floors.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;
using picking::Refusal;

void throw_if_refused(Refusal r, const std::string& detail) {
  switch (r) {
    case Refusal::kOk:
      return;
    case Refusal::kUnknownZone:
      throw store::Refused(ErrorKind::kUnknownZone, detail);
    case Refusal::kNotClockedIn:
      throw store::Refused(ErrorKind::kNotClockedIn, detail);
    case Refusal::kPickerBusy:
      throw store::Refused(ErrorKind::kPickerBusy, detail);
    case Refusal::kUnknownTask:
    case Refusal::kUnknownOrder:
      throw store::Refused(ErrorKind::kNotFound, detail);
    case Refusal::kNotYourTask:
      throw store::Refused(ErrorKind::kNotYourTask, detail);
    case Refusal::kTaskClosed:
      throw store::Refused(ErrorKind::kTaskClosed, detail);
    case Refusal::kWrongItem:
      throw store::Refused(ErrorKind::kWrongItem, detail);
    case Refusal::kTooMany:
      throw store::Refused(ErrorKind::kExceedsLine, detail);
    case Refusal::kIncomplete:
      throw store::Refused(ErrorKind::kTaskIncomplete, detail);
    case Refusal::kNotReadyToPack:
      throw store::Refused(ErrorKind::kNotReadyToPack, detail);
    case Refusal::kPickingStarted:
      throw store::Refused(ErrorKind::kInvalidTransition, detail);
    case Refusal::kLaneInUse:
    case Refusal::kZoneInUse:
      throw store::Refused(ErrorKind::kLayoutInUse, detail);
  }
  throw Error(ErrorKind::kInternal, detail);
}

namespace {
nlohmann::json text_or_null(const std::string& s) {
  return s.empty() ? nlohmann::json() : nlohmann::json(s);
}
}  // namespace

nlohmann::json to_json(const picking::PickTask& t, core::Timestamp now) {
  return to_json(t, now, {});
}

nlohmann::json to_json(const picking::PickTask& t, core::Timestamp now,
                       const std::map<int, std::vector<storage::LineLot>>& lots) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : t.lines) {
    nlohmann::json line{{"sku", l.sku},
                        {"name", l.name},
                        {"shelf", l.shelf},
                        {"quantity", l.quantity},
                        {"picked", l.picked},
                        {"missing", l.missing},
                        {"remaining", l.remaining()},
                        {"weighed", l.weighed}};
    // Weighed goods: quantities are grams, and the scale may say up to this much.
    if (l.weighed) line["max_grams"] = catalog::max_weighed_grams(l.quantity);
    if (const auto it = lots.find(l.line_no); it != lots.end()) {
      nlohmann::json held = nlohmann::json::array();
      nlohmann::json take = nullptr;
      for (const auto& lot : it->second) {
        held.push_back({{"lot_id", lot.lot_id},
                        {"quantity", lot.quantity},
                        {"picked", lot.picked},
                        {"expires_at", core::format_rfc3339(lot.expires_at)}});
        if (take.is_null() && lot.picked < lot.quantity && l.remaining() > 0) {
          take = {{"lot_id", lot.lot_id},
                  {"quantity", std::min(lot.quantity - lot.picked, l.remaining())},
                  {"expires_at", core::format_rfc3339(lot.expires_at)},
                  {"shelf", l.shelf}};
        }
      }
      line["lots"] = std::move(held);
      line["take"] = std::move(take);
    }
    lines.push_back(std::move(line));
  }
  nlohmann::json bag = nullptr;
  if (t.finished_at) {
    bag = {{"finished_at", time_or_null(t.finished_at)},
           {"lane_id", text_or_null(t.lane_id)},
           {"loaded_at", time_or_null(t.loaded_at)},
           {"arrives_at", time_or_null(t.arrives_at)}};
  }
  return {{"task_id", t.task_id},
          {"order_id", t.order_id},
          {"zone", t.zone},
          {"state", picking::to_string(t.state)},
          {"paid_at", core::format_rfc3339(t.paid_at)},
          {"deadline", core::format_rfc3339(t.deadline)},
          {"overdue", t.before_lane() && t.deadline < now},
          {"picker_id", text_or_null(t.picker_id)},
          {"assigned_at", time_or_null(t.assigned_at)},
          {"lines", std::move(lines)},
          {"bag", std::move(bag)}};
}

nlohmann::json to_json(const picking::Layout& l) {
  nlohmann::json lanes = nlohmann::json::array();
  for (const auto& lane : l.lanes) {
    lanes.push_back({{"lane_id", lane.lane_id},
                     {"capacity", lane.capacity},
                     {"transit_seconds", lane.transit.count()},
                     {"zones", lane.zones}});
  }
  return {{"zones", l.zones},
          {"lanes", std::move(lanes)},
          {"pick_deadline_seconds", l.pick_deadline.count()},
          {"max_bags_per_trip", l.max_bags_per_trip},
          {"small_task_units", l.small_task_units},
          {"picker_timeout_seconds", l.picker_timeout.count()}};
}

nlohmann::json lanes_board(const picking::Engine& e, core::Timestamp now) {
  nlohmann::json lanes = nlohmann::json::array();
  for (const auto& v : e.lanes(now)) {
    nlohmann::json bags = nlohmann::json::array();
    for (const auto* t : v.bags) {
      bags.push_back({{"task_id", t->task_id},
                      {"order_id", t->order_id},
                      {"zone", t->zone},
                      {"loaded_at", time_or_null(t->loaded_at)},
                      {"arrives_at", time_or_null(t->arrives_at)}});
    }
    lanes.push_back({{"lane_id", v.lane->lane_id},
                     {"capacity", v.lane->capacity},
                     {"transit_seconds", v.lane->transit.count()},
                     {"zones", v.lane->zones},
                     {"in_transit", v.in_transit},
                     {"next_free_at", core::format_rfc3339(v.next_free_at)},
                     {"bags", std::move(bags)}});
  }
  nlohmann::json waiting = nlohmann::json::array();
  for (const auto* t : e.waiting_bags()) {
    waiting.push_back({{"task_id", t->task_id},
                       {"order_id", t->order_id},
                       {"zone", t->zone},
                       {"deadline", core::format_rfc3339(t->deadline)},
                       {"finished_at", time_or_null(t->finished_at)}});
  }
  return {{"at", core::format_rfc3339(now)},
          {"lanes", std::move(lanes)},
          {"waiting", std::move(waiting)}};
}

nlohmann::json picking_board(const picking::Engine& e, core::Timestamp now) {
  constexpr size_t kShownPerZone = 100;  // the counts cover the rest
  nlohmann::json zones = nlohmann::json::array();
  for (const auto& zone : e.layout().zones) {
    nlohmann::json pickers = nlohmann::json::array();
    nlohmann::json held = nlohmann::json::array();
    for (const auto* p : e.pickers()) {
      if (p->zone != zone) continue;
      pickers.push_back({{"staff_id", p->picker_id},
                         {"clocked_in_at", core::format_rfc3339(p->clocked_in_at)},
                         {"last_seen", core::format_rfc3339(p->last_seen)},
                         {"tasks", p->tasks}});
      for (const auto& id : p->tasks) {
        const auto* t = e.task(id);
        if (!t) continue;
        held.push_back({{"task_id", t->task_id},
                        {"order_id", t->order_id},
                        {"picker_id", p->picker_id},
                        {"deadline", core::format_rfc3339(t->deadline)},
                        {"assigned_at", time_or_null(t->assigned_at)},
                        {"overdue", t->deadline < now}});
      }
    }
    const auto open_tasks = e.open_tasks(zone);
    nlohmann::json open = nlohmann::json::array();
    int overdue = 0;
    for (const auto* t : open_tasks) {
      if (t->deadline < now) ++overdue;
      if (open.size() >= kShownPerZone) continue;
      open.push_back({{"task_id", t->task_id},
                      {"order_id", t->order_id},
                      {"deadline", core::format_rfc3339(t->deadline)},
                      {"units", t->units()},
                      {"overdue", t->deadline < now}});
    }
    zones.push_back({{"zone", zone},
                     {"pickers", std::move(pickers)},
                     {"open_count", open_tasks.size()},
                     {"open_overdue", overdue},
                     {"open", std::move(open)},
                     {"held", std::move(held)}});
  }
  return {{"at", core::format_rfc3339(now)},
          {"overdue", e.backlog(now).overdue},
          {"waiting_bags", e.waiting_bags().size()},
          {"zones", std::move(zones)}};
}

nlohmann::json packing_board(const picking::Engine& e) {
  nlohmann::json ready = nlohmann::json::array();
  nlohmann::json incoming = nlohmann::json::array();
  for (const auto& p : e.packing_queue()) {
    // Each bag: its zone, the lane it really rode, and what is in it.
    nlohmann::json bags = nlohmann::json::array();
    for (const auto* t : e.tasks_of(p.order_id)) {
      if (t->state == picking::TaskState::kCancelled) continue;
      nlohmann::json items = nlohmann::json::array();
      for (const auto& l : t->lines) {
        if (l.picked > 0)
          items.push_back(
              {{"sku", l.sku}, {"name", l.name}, {"quantity", l.picked}, {"weighed", l.weighed}});
      }
      bags.push_back({{"task_id", t->task_id},
                      {"zone", t->zone},
                      {"state", picking::to_string(t->state)},
                      {"lane_id", text_or_null(t->lane_id)},
                      {"arrives_at", time_or_null(t->arrives_at)},
                      {"items", std::move(items)}});
    }
    nlohmann::json item = {{"order_id", p.order_id},
                           {"bags", p.bags},
                           {"bags_at_packing", p.arrived},
                           {"lane_id", text_or_null(p.lane_id)},
                           {"deadline", core::format_rfc3339(p.deadline)},
                           {"ready_at", time_or_null(p.ready_at)},
                           {"bag_details", std::move(bags)}};
    (p.ready_at ? ready : incoming).push_back(std::move(item));
  }
  return {{"ready", std::move(ready)}, {"incoming", std::move(incoming)}};
}

}  // namespace freshlane::api
