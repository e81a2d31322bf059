// The picking floor from the staff terminal: the store's layout, pickers clocking in and out,
// their next tasks, scanning, short picks, finishing a bag (→ which lane), and the boards.
#include <algorithm>

#include "auth.hpp"
#include "freshlane/catalog/pricing.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/orders/order.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/lot_repository.hpp"
#include "freshlane/storage/picking_repository.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"
#include "picking_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;
using picking::Engine;

namespace {

picking::Layout parse_layout(const std::string& raw) {
  BodyReader body(raw);
  picking::Layout l;
  l.zones = body.strings("zones", Need::kRequired, picking::kMaxZones, 32).value_or(l.zones);
  l.lanes.clear();
  body.objects("lanes", Need::kRequired, picking::kMaxLanes, [&](ObjectReader& lane) {
    picking::ConveyorLane c;
    c.lane_id = lane.string("lane_id", Need::kRequired, 1, core::kMaxIdLength).value_or("");
    c.capacity = static_cast<int>(
        lane.integer("capacity", Need::kRequired, 1, picking::kMaxLaneCapacity).value_or(1));
    c.transit = std::chrono::seconds(
        lane.integer("transit_seconds", Need::kRequired, 0, picking::kMaxTransitSeconds)
            .value_or(0));
    c.zones = lane.strings("zones", Need::kRequired, picking::kMaxZones, 32).value_or(c.zones);
    lane.reject_unknown();
    l.lanes.push_back(std::move(c));
  });
  if (auto v = body.integer("pick_deadline_seconds", Need::kOptional, 60, 7200)) {
    l.pick_deadline = std::chrono::seconds(*v);
  }
  if (auto v = body.integer("max_bags_per_trip", Need::kOptional, 1, picking::kMaxBagsPerTrip)) {
    l.max_bags_per_trip = static_cast<int>(*v);
  }
  if (auto v = body.integer("small_task_units", Need::kOptional, 1, 100)) {
    l.small_task_units = static_cast<int>(*v);
  }
  if (auto v = body.integer("picker_timeout_seconds", Need::kOptional, 30, 3600)) {
    l.picker_timeout = std::chrono::seconds(*v);
  }
  for (auto& e : picking::validate(l)) body.error(e.field, e.message);
  body.finish();
  return l;
}

http::Response put_layout(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_manager(authenticate(req, ctx, session), store_id);
  existing_store(session, store_id);
  picking::Layout layout = parse_layout(req.body);
  storage::PickingRepository repo(session);
  const auto stranded = repo.zones_in_use_outside(store_id, layout.zones);
  if (!stranded.empty()) {
    std::string list;
    for (const auto& z : stranded) list += (list.empty() ? "" : ", ") + z;
    throw Error(ErrorKind::kLayoutInUse, "listings of this store are still in zone(s) " + list);
  }
  return decide_on_floor(ctx, session, store_id, [&](Engine& e, core::Timestamp now) {
    throw_if_refused(e.set_layout(layout, now),
                     "a lane to be removed carries bags, or a zone to be removed has open tasks "
                     "or pickers");
    repo.save_layout(store_id, e.layout());  // in the floor's unit: both or neither
    return json_response(200, to_json(e.layout()));
  });
}

http::Response get_layout(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_staff(authenticate(req, ctx, session), store_id);
  existing_store(session, store_id);
  return json_response(200,
                       to_json(storage::PickingRepository(session).layout_or_default(store_id)));
}

// The picker's own store, checked against the path.
Principal picker(Context& ctx, const http::Request& req, storage::Session& session) {
  Principal who = authenticate(req, ctx, session);
  require_staff(who, req.param("store_id"), {"picker"});
  return who;
}

http::Response clock_in(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = picker(ctx, req, session);
  BodyReader body(req.body);
  const std::string zone = body.string("zone", Need::kRequired, 1, 32).value_or("");
  body.finish();
  return decide_on_floor(ctx, session, who.store_id, [&](Engine& e, core::Timestamp now) {
    throw_if_refused(e.clock_in(who.id, zone, now),
                     "cannot clock in to " + zone + " (zones here: see the store's layout)");
    const auto* p = e.picker(who.id);
    return json_response(200, {{"staff_id", p->picker_id},
                               {"zone", p->zone},
                               {"clocked_in_at", core::format_rfc3339(p->clocked_in_at)},
                               {"tasks", p->tasks}});
  });
}

http::Response clock_out(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = picker(ctx, req, session);
  return decide_on_floor(ctx, session, who.store_id, [&](Engine& e, core::Timestamp now) {
    const auto* p = e.picker(who.id);
    const std::vector<std::string> released = p ? p->tasks : std::vector<std::string>{};
    throw_if_refused(e.clock_out(who.id, now), "you are not clocked in");
    return json_response(200, {{"staff_id", who.id}, {"released_tasks", released}});
  });
}

// A task as the picker sees it: each line with the lots it holds and the one to take next.
http::Response task_answer(storage::Session& session, const std::string& store_id,
                           const picking::PickTask& t, core::Timestamp now) {
  auto lots = storage::LotRepository(session).line_lots(store_id, {t.order_id});
  return json_response(200, to_json(t, now, lots[t.order_id]));
}

http::Response next_tasks(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = picker(ctx, req, session);
  return decide_on_floor(ctx, session, who.store_id, [&](Engine& e, core::Timestamp now) {
    std::vector<const picking::PickTask*> trip;
    throw_if_refused(e.next_tasks(who.id, now, trip), "clock in to a zone first");
    if (trip.empty()) return http::Response{204, "", "", {}};
    nlohmann::json tasks = nlohmann::json::array();
    std::vector<std::string> order_ids;
    for (const auto* t : trip) order_ids.push_back(t->order_id);
    auto lots = storage::LotRepository(session).line_lots(who.store_id,
                                                          order_ids);  // one read for the trip
    for (const auto* t : trip) tasks.push_back(to_json(*t, now, lots[t->order_id]));
    return json_response(200, {{"tasks", std::move(tasks)}});
  });
}

// Why a task is not on this picker's floor: another store's (403), done with (409), or none.
[[noreturn]] void task_not_here(storage::Session& session, const std::string& store_id,
                                const std::string& task_id) {
  const auto stored = storage::PickingRepository(session).find_task(task_id);
  if (!stored) throw Error(ErrorKind::kNotFound, "no pick task " + task_id);
  if (stored->store_id != store_id) {
    throw Error(ErrorKind::kForbidden, "pick task " + task_id + " belongs to another store");
  }
  throw Error(ErrorKind::kTaskClosed, "pick task " + task_id + " is " +
                                          std::string(picking::to_string(stored->task.state)));
}

http::Response get_task(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = authenticate(req, ctx, session);
  const std::string& task_id = req.param("task_id");
  const auto stored = storage::PickingRepository(session).find_task(task_id);
  if (!stored) throw Error(ErrorKind::kNotFound, "no pick task " + task_id);
  require_admin_or_staff(who, stored->store_id);
  const auto now = ctx.now();
  return read_floor(ctx, session, stored->store_id, [&](const Engine& e) {
    const auto* live = e.task(task_id);
    return task_answer(session, stored->store_id, live ? *live : stored->task, now);
  });
}

// Runs `act` on a task the calling picker holds, then answers with the task.
template <typename Act>
http::Response on_task(Context& ctx, const http::Request& req, storage::Session& session,
                       const Principal& who, Act&& act) {
  const std::string& task_id = req.param("task_id");
  auto answer =
      decide_on_floor(ctx, session, who.store_id,
                      [&](Engine& e, core::Timestamp now) -> std::optional<http::Response> {
                        if (!e.task(task_id)) return std::nullopt;
                        act(e, task_id, now);
                        return task_answer(session, who.store_id, *e.task(task_id), now);
                      });
  if (!answer) task_not_here(session, who.store_id, task_id);
  return std::move(*answer);
}

// The calling picker, who acts on their own store's floor.
Principal picker_of_task(Context& ctx, const http::Request& req, storage::Session& session) {
  Principal who = authenticate(req, ctx, session);
  require_staff(who, who.store_id, {"picker"});
  return who;
}

// What a scanned code names: the SKU, and the lot when it was a lot's label.
struct Scanned {
  std::string sku;
  std::optional<std::string> lot_id;
};

// The SKU (and lot) behind a scanned lot or shelf label, or the reason there is none.
Scanned item_of_code(const Context& ctx, storage::Session& session, const std::string& code,
                     const std::string& store_id) {
  const auto decoded = ctx.qr.decode(code);
  require_our_code(decoded);
  if (const auto* shelf = std::get_if<catalog::ShelfCode>(&decoded)) {
    if (shelf->store_id != store_id) {
      throw Error(ErrorKind::kWrongItem, "this shelf label belongs to another store");
    }
    return {shelf->sku, std::nullopt};
  }
  const auto lot =
      storage::CatalogRepository(session).find_lot(std::get<catalog::LotCode>(decoded).lot_id);
  if (!lot) throw Error(ErrorKind::kUnknownCode, "no lot behind this code");
  if (lot->store_id != store_id) {
    throw Error(ErrorKind::kWrongItem, "this lot belongs to another store");
  }
  return {lot->sku, lot->lot_id};
}

// The line of `sku` on the task, if both exist (the engine tells the picker why not).
const picking::PickLine* line_in(const Engine& e, const std::string& task_id,
                                 const std::string& sku) {
  const auto* task = e.task(task_id);
  if (!task) return nullptr;
  const auto line = std::find_if(task->lines.begin(), task->lines.end(),
                                 [&](const picking::PickLine& l) { return l.sku == sku; });
  return line == task->lines.end() ? nullptr : &*line;
}

// What a scan of `sku` counts on `line`: a weighed line needs the scale's grams (and no
// quantity: the body never carries both), within the tolerance over the grams ordered; a piece
// line takes no grams. nullopt: the pieces (the engine decides when there is no such line).
std::optional<std::int64_t> measured(const picking::PickLine* line, const std::string& sku,
                                     std::optional<std::int64_t> grams) {
  if (!line) return std::nullopt;
  if (!line->weighed) {
    if (grams) {
      throw Error(ErrorKind::kValidationFailed, sku + " is sold each: send quantity, not grams",
                  {{"grams", "only for goods sold by weight"}});
    }
    return std::nullopt;
  }
  if (!grams) {
    throw Error(ErrorKind::kValidationFailed,
                sku + " is sold by weight: put the piece on the scale and send its grams",
                {{"grams", "required for goods sold by weight"}});
  }
  const auto most = catalog::max_weighed_grams(line->quantity);
  if (line->remaining() > 0 && *grams > most) {
    throw Error(ErrorKind::kExceedsLine, "a piece of " + std::to_string(*grams) +
                                             " g is more than the " + std::to_string(most) +
                                             " g this line may take (" +
                                             std::to_string(line->quantity) + " g ordered, " +
                                             std::to_string(catalog::kWeighTolerancePercent) +
                                             "% over at most): take a smaller piece");
  }
  return grams;
}

http::Response scan_item(Context& ctx, const http::Request& req, storage::Session& session) {
  BodyReader body(req.body);
  const std::string code = body.string("code", Need::kRequired, 1, 200).value_or("");
  // Pieces; or for goods sold by weight, the grams the scale says (scales send grams).
  const std::optional<std::int64_t> pieces = body.integer("quantity", Need::kOptional, 1, 999);
  const std::optional<std::int64_t> grams =
      body.integer("grams", Need::kOptional, 1, orders::kMaxGrams * 2);
  if (pieces && grams) body.error("grams", "send quantity (pieces) or grams (weighed), not both");
  body.finish();
  const Principal who = picker_of_task(ctx, req, session);
  // The code is read before the floor's unit; what is wrong with it is told only for a task
  // of the picker's floor (another store's task is 403 whatever was scanned).
  Scanned item;
  std::exception_ptr bad_code;
  try {
    item = item_of_code(ctx, session, code, who.store_id);
  } catch (const Error&) {
    bad_code = std::current_exception();
  }
  return on_task(
      ctx, req, session, who, [&](Engine& e, const std::string& task_id, core::Timestamp now) {
        if (bad_code) std::rethrow_exception(bad_code);
        const int quantity = static_cast<int>(
            measured(line_in(e, task_id, item.sku), item.sku, grams).value_or(pieces.value_or(1)));
        std::vector<int> before;
        for (const auto& l : e.task(task_id)->lines) before.push_back(l.picked);
        throw_if_refused(
            e.pick(who.id, task_id, item.sku, quantity, now),
            "cannot pick " + std::to_string(quantity) + " × " + item.sku + " for task " + task_id);
        // The line the engine counted the units on now records the lot they came from, in the
        // same unit of work (a refused lot undoes the pick too).
        const auto* task = e.task(task_id);
        for (size_t i = 0; i < task->lines.size(); ++i) {
          if (task->lines[i].picked == before[i]) continue;
          storage::LotRepository(session).record_pick(who.store_id, task->order_id,
                                                      task->lines[i].line_no, item.lot_id, quantity,
                                                      task->lines[i].weighed, now);
          break;
        }
      });
}

http::Response report_short(Context& ctx, const http::Request& req, storage::Session& session) {
  BodyReader body(req.body);
  const std::string sku = body.string("sku", Need::kRequired, 1, core::kMaxIdLength).value_or("");
  // Pieces; a weighed line is short whole (its grams, or no quantity at all).
  const auto quantity = body.integer("quantity", Need::kOptional, 1, orders::kMaxGrams);
  body.finish();
  const Principal who = picker_of_task(ctx, req, session);
  return on_task(ctx, req, session, who,
                 [&](Engine& e, const std::string& task_id, core::Timestamp now) {
                   const picking::PickLine* line = line_in(e, task_id, sku);
                   if (!quantity && !(line && line->weighed)) {
                     throw Error(ErrorKind::kValidationFailed, "quantity is required",
                                 {{"quantity", "is required"}});
                   }
                   const int missing = static_cast<int>(quantity ? *quantity : line->remaining());
                   throw_if_refused(e.report_short(who.id, task_id, sku, missing, now),
                                    "cannot report " + std::to_string(missing) + " × " + sku +
                                        " short for task " + task_id);
                 });
}

http::Response finish_task(Context& ctx, const http::Request& req, storage::Session& session) {
  const Principal who = picker_of_task(ctx, req, session);
  return on_task(ctx, req, session, who,
                 [&](Engine& e, const std::string& task_id, core::Timestamp now) {
                   throw_if_refused(e.finish(who.id, task_id, now),
                                    "task " + task_id + " cannot be finished now");
                 });
}

http::Response get_lanes(Context& ctx, const http::Request& req, storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_staff(authenticate(req, ctx, session), store_id);
  existing_store(session, store_id);
  const auto now = ctx.now();
  return read_floor(ctx, session, store_id,
                    [&](const Engine& e) { return json_response(200, lanes_board(e, now)); });
}

http::Response get_picking_board(Context& ctx, const http::Request& req,
                                 storage::Session& session) {
  const std::string& store_id = req.param("store_id");
  require_admin_or_staff(authenticate(req, ctx, session), store_id);
  existing_store(session, store_id);
  const auto now = ctx.now();
  return read_floor(ctx, session, store_id,
                    [&](const Engine& e) { return json_response(200, picking_board(e, now)); });
}

}  // namespace

void add_picking_routes(http::Router& router, Context& ctx) {
  router.add("PUT", "/v1/stores/{store_id}/layout", with_database(ctx, put_layout));
  router.add("GET", "/v1/stores/{store_id}/layout", with_database(ctx, get_layout));
  router.add("POST", "/v1/stores/{store_id}/pickers/clock-in", with_database(ctx, clock_in));
  router.add("POST", "/v1/stores/{store_id}/pickers/clock-out", with_database(ctx, clock_out));
  router.add("POST", "/v1/stores/{store_id}/pick-tasks/next", with_database(ctx, next_tasks));
  router.add("GET", "/v1/pick-tasks/{task_id}", with_database(ctx, get_task));
  router.add("POST", "/v1/pick-tasks/{task_id}/scan", with_database(ctx, scan_item));
  router.add("POST", "/v1/pick-tasks/{task_id}/short", with_database(ctx, report_short));
  router.add("POST", "/v1/pick-tasks/{task_id}/finish", with_database(ctx, finish_task));
  router.add("GET", "/v1/stores/{store_id}/lanes", with_database(ctx, get_lanes));
  router.add("GET", "/v1/stores/{store_id}/picking", with_database(ctx, get_picking_board));
}

}  // namespace freshlane::api
