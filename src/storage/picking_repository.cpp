#include "freshlane/storage/picking_repository.hpp"

#include <stdexcept>

#include "pick_tasks.hpp"
#include "sql.hpp"

namespace freshlane::storage {

using picking::EventKind;
using picking::Layout;
using picking::PickTask;

namespace {

const Query kLayout{"picking_layout", R"sql(
  SELECT array_to_string(zones, ','), pick_deadline_seconds, max_bags_per_trip, small_task_units,
         picker_timeout_seconds
  FROM store_layouts WHERE store_id = $1)sql"};
const Query kLanes{"picking_lanes", R"sql(
  SELECT lane_id, capacity, transit_seconds, array_to_string(zones, ',')
  FROM conveyor_lanes WHERE store_id = $1 ORDER BY position)sql"};
const Query kUpsertLayout{"picking_layout_upsert", R"sql(
  INSERT INTO store_layouts (store_id, zones, pick_deadline_seconds, max_bags_per_trip,
                             small_task_units, picker_timeout_seconds, updated_at)
  VALUES ($1, $2::text[], $3, $4, $5, $6, now())
  ON CONFLICT (store_id) DO UPDATE SET zones = EXCLUDED.zones,
    pick_deadline_seconds = EXCLUDED.pick_deadline_seconds,
    max_bags_per_trip = EXCLUDED.max_bags_per_trip, small_task_units = EXCLUDED.small_task_units,
    picker_timeout_seconds = EXCLUDED.picker_timeout_seconds, updated_at = now())sql"};
const Query kDeleteLanes{"picking_lanes_delete", "DELETE FROM conveyor_lanes WHERE store_id = $1"};
const Query kInsertLane{"picking_lane_insert", R"sql(
  INSERT INTO conveyor_lanes (store_id, lane_id, position, capacity, transit_seconds, zones)
  VALUES ($1, $2, $3, $4, $5, $6::text[]))sql"};
const Query kZonesInUse{"picking_zones_in_use", R"sql(
  SELECT DISTINCT zone FROM store_products
  WHERE store_id = $1 AND NOT (zone = ANY($2::text[])) ORDER BY zone)sql"};

#define FRESHLANE_TASK_COLUMNS                                                      \
  "t.task_id, t.order_id, t.zone, t.state, extract(epoch FROM t.paid_at)::bigint, " \
  "extract(epoch FROM t.deadline)::bigint, t.picker_id, extract(epoch FROM "        \
  "t.assigned_at)::bigint, "                                                        \
  "extract(epoch FROM t.finished_at)::bigint, t.lane_id, extract(epoch FROM "       \
  "t.loaded_at)::bigint, "                                                          \
  "extract(epoch FROM t.arrives_at)::bigint, t.store_id "
const Query kLiveTasksOfStore{"picking_live_tasks_of_store",
                              "SELECT " FRESHLANE_TASK_COLUMNS
                              "FROM pick_tasks t JOIN orders o ON o.order_id = t.order_id "
                              "WHERE t.store_id = $1 AND t.state NOT IN ('packed', 'cancelled') "
                              "AND o.status IN ('paid', 'picking') ORDER BY t.task_id"};
const Query kLiveTasksOfOrder{"picking_live_tasks_of_order",
                              "SELECT " FRESHLANE_TASK_COLUMNS
                              "FROM pick_tasks t JOIN orders o ON o.order_id = t.order_id "
                              "WHERE t.order_id = $1 AND t.state NOT IN ('packed', 'cancelled') "
                              "AND o.status IN ('paid', 'picking') ORDER BY t.task_id"};
const Query kFindTask{"picking_find_task",
                      "SELECT " FRESHLANE_TASK_COLUMNS "FROM pick_tasks t WHERE t.task_id = $1"};
#undef FRESHLANE_TASK_COLUMNS
const Query kLinesOfTasks{"picking_lines_of_tasks", R"sql(
  SELECT task_id, line_no, sku, quantity, picked, missing, name, shelf FROM pick_task_lines
  WHERE task_id = ANY($1::text[]) ORDER BY task_id, line_no)sql"};
const Query kOpenShifts{"picking_open_shifts", R"sql(
  SELECT staff_id, zone, extract(epoch FROM clocked_in_at)::bigint FROM picker_shifts
  WHERE store_id = $1 AND clocked_out_at IS NULL ORDER BY staff_id)sql"};
const Query kStoresWithLiveTasks{"picking_stores_live", R"sql(
  SELECT DISTINCT store_id FROM pick_tasks WHERE state NOT IN ('packed', 'cancelled')
  ORDER BY store_id)sql"};

// Creating the tasks of a paid order (inside the payment's transaction).
const Query kLinesWithZones{"picking_order_lines_zones", R"sql(
  SELECT ol.line_no, ol.sku, ol.quantity, sp.zone, o.store_id, ol.name, sp.shelf
  FROM order_lines ol JOIN orders o ON o.order_id = ol.order_id
  JOIN store_products sp ON sp.store_id = o.store_id AND sp.sku = ol.sku
  WHERE ol.order_id = $1 AND ol.quantity > 0 ORDER BY ol.line_no)sql"};
const Query kDeadlineOf{"picking_deadline_of", R"sql(
  SELECT pick_deadline_seconds FROM store_layouts WHERE store_id = $1)sql"};
const Query kInsertTask{"picking_task_insert", R"sql(
  INSERT INTO pick_tasks (task_id, order_id, store_id, zone, state, paid_at, deadline)
  VALUES ($1, $2, $3, $4, 'open', to_timestamp($5), to_timestamp($6))
  ON CONFLICT DO NOTHING)sql"};
const Query kInsertTaskLine{"picking_task_line_insert", R"sql(
  INSERT INTO pick_task_lines (task_id, line_no, sku, quantity, name, shelf)
  VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT DO NOTHING)sql"};

// Recording events.
const Query kInsertEvent{"picking_event_insert", R"sql(
  INSERT INTO pick_events (store_id, at, kind, order_id, task_id, picker_id, lane_id, sku, quantity)
  VALUES ($1, to_timestamp($2), $3, NULLIF($4, ''), NULLIF($5, ''), NULLIF($6, ''), NULLIF($7, ''),
          NULLIF($8, ''), $9))sql"};
// Only a task of an order still paid or picking (never one cancelled meanwhile).
const Query kTaskAssigned{"picking_task_assigned", R"sql(
  UPDATE pick_tasks t SET state = 'assigned', picker_id = $2, assigned_at = to_timestamp($3)
  FROM orders o
  WHERE t.task_id = $1 AND t.state = 'open' AND o.order_id = t.order_id
    AND o.status IN ('paid', 'picking'))sql"};
const Query kTaskReleased{"picking_task_released", R"sql(
  UPDATE pick_tasks SET state = 'open', picker_id = NULL, assigned_at = NULL WHERE task_id = $1)sql"};
const Query kLinesUnpicked{"picking_lines_unpicked", R"sql(
  UPDATE pick_task_lines SET picked = 0 WHERE task_id = $1)sql"};
const Query kItemPicked{"picking_item_picked", R"sql(
  UPDATE pick_task_lines SET picked = picked + $3 WHERE task_id = $1 AND sku = $2)sql"};
const Query kShortOnTask{"picking_short_on_task", R"sql(
  UPDATE pick_task_lines SET missing = missing + $3 WHERE task_id = $1 AND sku = $2
  RETURNING line_no)sql"};
const Query kShortOnOrderLine{"picking_short_on_order_line", R"sql(
  UPDATE order_lines SET quantity = quantity - $3, short_quantity = short_quantity + $3
  WHERE order_id = $1 AND line_no = $2 RETURNING unit_price_minor)sql"};
const Query kRefundDue{"picking_refund_due", R"sql(
  UPDATE orders SET refund_minor = refund_minor + $2, updated_at = now() WHERE order_id = $1)sql"};
// The lots a line holds, locked in the global lot order (sku, expires_at, lot_id).
const Query kLockLineLots{"picking_lock_line_lots", R"sql(
  SELECT l.lot_id, oll.quantity FROM order_line_lots oll JOIN lots l ON l.lot_id = oll.lot_id
  WHERE oll.order_id = $1 AND oll.line_no = $2
  ORDER BY l.sku, l.expires_at, l.lot_id FOR UPDATE OF l)sql"};
// Units that were never on the shelf: the count is corrected, the reservation shrinks.
const Query kWriteOffLot{"picking_write_off_lot", R"sql(
  UPDATE lots SET quantity_on_hand = quantity_on_hand - $2, quantity_reserved = quantity_reserved - $2
  WHERE lot_id = $1)sql"};
const Query kShrinkLineLot{"picking_shrink_line_lot", R"sql(
  UPDATE order_line_lots SET quantity = quantity - $4
  WHERE order_id = $1 AND line_no = $2 AND lot_id = $3)sql"};
const Query kDropEmptyLineLots{"picking_drop_empty_line_lots", R"sql(
  DELETE FROM order_line_lots WHERE order_id = $1 AND line_no = $2 AND quantity = 0)sql"};
// Finished bag: its units leave the shelf for good (lots locked in the global order first).
const Query kLockTaskLots{"picking_lock_task_lots", R"sql(
  SELECT l.lot_id FROM lots l
  WHERE l.lot_id IN (SELECT oll.lot_id FROM order_line_lots oll
                     JOIN pick_task_lines ptl ON ptl.line_no = oll.line_no AND ptl.task_id = $1
                     WHERE oll.order_id = $2)
  ORDER BY l.sku, l.expires_at, l.lot_id FOR UPDATE)sql"};
const Query kConsumeTaskLots{"picking_consume_task_lots", R"sql(
  UPDATE lots l SET quantity_on_hand = l.quantity_on_hand - x.q,
                    quantity_reserved = l.quantity_reserved - x.q
  FROM (SELECT oll.lot_id, sum(oll.quantity)::integer AS q FROM order_line_lots oll
        JOIN pick_task_lines ptl ON ptl.line_no = oll.line_no AND ptl.task_id = $1
        WHERE oll.order_id = $2 GROUP BY oll.lot_id) x
  WHERE l.lot_id = x.lot_id)sql"};
const Query kBagFinished{"picking_bag_finished", R"sql(
  UPDATE pick_tasks SET finished_at = to_timestamp($2), picker_id = NULL
  WHERE task_id = $1 AND state = 'assigned')sql"};
const Query kBagWaiting{"picking_bag_waiting", R"sql(
  UPDATE pick_tasks SET state = 'waiting' WHERE task_id = $1)sql"};
const Query kBagLoaded{"picking_bag_loaded", R"sql(
  UPDATE pick_tasks SET state = 'on_lane', lane_id = $2, loaded_at = to_timestamp($3),
                        arrives_at = to_timestamp($4)
  WHERE task_id = $1)sql"};
const Query kBagArrived{"picking_bag_arrived", R"sql(
  UPDATE pick_tasks SET state = 'arrived', loaded_at = coalesce(loaded_at, to_timestamp($2)),
                        arrives_at = coalesce(arrives_at, to_timestamp($2))
  WHERE task_id = $1)sql"};
const Query kOrderPicking{"picking_order_picking", R"sql(
  UPDATE orders SET status = 'picking', updated_at = now() WHERE order_id = $1 AND status = 'paid')sql"};
const Query kOrderPacked{"picking_order_packed", R"sql(
  UPDATE orders SET status = CASE WHEN fulfillment = 'pickup' THEN 'ready_for_pickup' ELSE 'packed' END,
                    packed_at = to_timestamp($2), updated_at = now()
  WHERE order_id = $1 AND status = 'picking')sql"};
const Query kTasksPacked{"picking_tasks_packed", R"sql(
  UPDATE pick_tasks SET state = 'packed' WHERE order_id = $1)sql"};
const Query kTaskCancelled{"picking_task_cancelled", R"sql(
  UPDATE pick_tasks SET state = 'cancelled' WHERE task_id = $1)sql"};
const Query kShiftStart{"picking_shift_start", R"sql(
  INSERT INTO picker_shifts (store_id, staff_id, zone, clocked_in_at)
  VALUES ($1, $2, $3, to_timestamp($4)))sql"};
const Query kShiftEnd{"picking_shift_end", R"sql(
  UPDATE picker_shifts SET clocked_out_at = to_timestamp($2), ended_by = $3
  WHERE staff_id = $1 AND clocked_out_at IS NULL)sql"};

std::vector<std::string> split_words(const std::string& joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= joined.size() && !joined.empty()) {
    const size_t comma = joined.find(',', start);
    out.push_back(
        joined.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<Layout> read_layout(Session& session, pqxx::transaction_base& tx,
                                  const std::string& store_id) {
  const auto r = exec(session, tx, kLayout, store_id);
  if (r.empty()) return std::nullopt;
  Layout l;
  l.zones = split_words(r[0][0].as<std::string>());
  l.pick_deadline = std::chrono::seconds(r[0][1].as<int>());
  l.max_bags_per_trip = r[0][2].as<int>();
  l.small_task_units = r[0][3].as<int>();
  l.picker_timeout = std::chrono::seconds(r[0][4].as<int>());
  for (const auto& row : exec(session, tx, kLanes, store_id)) {
    l.lanes.push_back({row[0].as<std::string>(), row[1].as<int>(),
                       std::chrono::seconds(row[2].as<int>()),
                       split_words(row[3].as<std::string>())});
  }
  return l;
}

PickTask read_task(const pqxx::row& row) {
  PickTask t;
  t.task_id = row[0].as<std::string>();
  t.order_id = row[1].as<std::string>();
  t.zone = row[2].as<std::string>();
  t.state = picking::parse_task_state(row[3].as<std::string>()).value_or(picking::TaskState::kOpen);
  t.paid_at = from_epoch(row[4]);
  t.deadline = from_epoch(row[5]);
  t.picker_id = row[6].is_null() ? "" : row[6].as<std::string>();
  t.assigned_at = optional_time(row[7]);
  t.finished_at = optional_time(row[8]);
  t.lane_id = row[9].is_null() ? "" : row[9].as<std::string>();
  t.loaded_at = optional_time(row[10]);
  t.arrives_at = optional_time(row[11]);
  return t;
}

// Fills in the lines of `tasks` (sorted by task_id).
void read_lines(Session& session, pqxx::transaction_base& tx, std::vector<PickTask>& tasks) {
  if (tasks.empty()) return;
  std::vector<std::string> ids;
  for (const auto& t : tasks) ids.push_back(t.task_id);
  size_t i = 0;
  for (const auto& row : exec(session, tx, kLinesOfTasks, text_array(ids))) {
    const auto id = row[0].as<std::string>();
    while (i < tasks.size() && tasks[i].task_id != id) ++i;
    if (i == tasks.size()) break;
    tasks[i].lines.push_back({row[1].as<int>(), row[2].as<std::string>(), row[3].as<int>(),
                              row[4].as<int>(), row[5].as<int>(), row[6].as<std::string>(),
                              row[7].as<std::string>()});
  }
}

// Tasks from a query over FRESHLANE_TASK_COLUMNS, with their lines and stores.
std::vector<StoredTask> read_tasks(Session& session, pqxx::transaction_base& tx, const Query& q,
                                   const std::string& key) {
  const auto rows = exec(session, tx, q, key);
  std::vector<PickTask> tasks;
  for (const auto& row : rows) tasks.push_back(read_task(row));
  read_lines(session, tx, tasks);
  std::vector<StoredTask> out;
  for (size_t i = 0; i < tasks.size(); ++i) {
    out.push_back({rows[i][12].as<std::string>(), std::move(tasks[i])});
  }
  return out;
}

// The missing units of a short pick come off the line's lots, latest-expiring first (the
// reservation took the earliest first), and off the shelf count: they were never there.
void write_off_short(Session& session, pqxx::work& tx, const std::string& order_id, int line_no,
                     int missing) {
  auto lots = exec(session, tx, kLockLineLots, order_id, line_no);
  for (auto row = lots.rbegin(); row != lots.rend() && missing > 0; ++row) {
    const int take = std::min(missing, (*row)[1].as<int>());
    const auto lot_id = (*row)[0].as<std::string>();
    exec(session, tx, kWriteOffLot, lot_id, take);
    exec(session, tx, kShrinkLineLot, order_id, line_no, lot_id, take);
    missing -= take;
  }
  exec(session, tx, kDropEmptyLineLots, order_id, line_no);
}

void record_one(Session& s, pqxx::work& tx, const std::string& store_id, const picking::Event& e) {
  const long long at = epoch(e.at);
  exec(s, tx, kInsertEvent, store_id, at, std::string(picking::to_string(e.kind)), e.order_id,
       e.task_id, e.picker_id, e.lane_id, e.sku,
       e.quantity == 0 ? std::optional<int>() : std::optional<int>(e.quantity));
  switch (e.kind) {
    case EventKind::kTaskAssigned:
      if (exec(s, tx, kTaskAssigned, e.task_id, e.picker_id, at).affected_rows() != 1) {
        throw std::runtime_error("pick task " + e.task_id +
                                 " is not open, or its order not live, in the database");
      }
      break;
    case EventKind::kTaskReleased:
      exec(s, tx, kTaskReleased, e.task_id);
      exec(s, tx, kLinesUnpicked, e.task_id);
      break;
    case EventKind::kItemPicked:
      exec(s, tx, kItemPicked, e.task_id, e.sku, e.quantity);
      break;
    case EventKind::kShortReported: {
      const auto line = exec(s, tx, kShortOnTask, e.task_id, e.sku, e.quantity);
      const int line_no = line.at(0)[0].as<int>();
      const auto price = exec(s, tx, kShortOnOrderLine, e.order_id, line_no, e.quantity);
      exec(s, tx, kRefundDue, e.order_id, price.at(0)[0].as<long long>() * e.quantity);
      write_off_short(s, tx, e.order_id, line_no, e.quantity);
      break;
    }
    case EventKind::kBagFinished:
      exec(s, tx, kBagFinished, e.task_id, at);
      exec(s, tx, kLockTaskLots, e.task_id, e.order_id);
      exec(s, tx, kConsumeTaskLots, e.task_id, e.order_id);
      break;
    case EventKind::kBagWaiting:
      exec(s, tx, kBagWaiting, e.task_id);
      break;
    case EventKind::kBagLoaded:
      exec(s, tx, kBagLoaded, e.task_id, e.lane_id, at, epoch(e.until.value_or(e.at)));
      break;
    case EventKind::kBagArrived:
      exec(s, tx, kBagArrived, e.task_id, at);
      break;
    case EventKind::kOrderPickingStarted:
      exec(s, tx, kOrderPicking, e.order_id);
      break;
    case EventKind::kOrderPacked:
      if (exec(s, tx, kOrderPacked, e.order_id, at).affected_rows() != 1) {
        throw std::runtime_error("order " + e.order_id + " is not picking in the database");
      }
      exec(s, tx, kTasksPacked, e.order_id);
      break;
    case EventKind::kTaskCancelled:
      exec(s, tx, kTaskCancelled, e.task_id);
      break;
    case EventKind::kPickerClockedIn:
      exec(s, tx, kShiftStart, store_id, e.picker_id, e.zone, at);
      break;
    case EventKind::kPickerClockedOut:
      exec(s, tx, kShiftEnd, e.picker_id, at, "clock_out");
      break;
    case EventKind::kPickerTimedOut:
      exec(s, tx, kShiftEnd, e.picker_id, at, "timeout");
      break;
    case EventKind::kOrderOnConveyor:
    case EventKind::kOrderReadyToPack:
      break;  // the log says it; nothing else changes
  }
}

}  // namespace

void create_pick_tasks(Session& session, pqxx::work& tx, const std::string& order_id,
                       core::Timestamp paid_at) {
  std::vector<picking::ZonedLine> lines;
  std::string store_id;
  for (const auto& row : exec(session, tx, kLinesWithZones, order_id)) {
    lines.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<int>(),
                     row[3].as<std::string>(), row[5].as<std::string>(), row[6].as<std::string>()});
    store_id = row[4].as<std::string>();
  }
  if (lines.empty()) return;
  const auto d = exec(session, tx, kDeadlineOf, store_id);
  const auto deadline =
      d.empty() ? picking::default_layout().pick_deadline : std::chrono::seconds(d[0][0].as<int>());
  for (const auto& t : picking::split_order(order_id, lines, paid_at, deadline)) {
    exec(session, tx, kInsertTask, t.task_id, order_id, store_id, t.zone, epoch(t.paid_at),
         epoch(t.deadline));
    for (const auto& l : t.lines)
      exec(session, tx, kInsertTaskLine, t.task_id, l.line_no, l.sku, l.quantity, l.name, l.shelf);
  }
}

std::optional<Layout> PickingRepository::layout(const std::string& store_id) {
  pqxx::read_transaction tx(session_.connection());
  return read_layout(session_, tx, store_id);
}

Layout PickingRepository::layout_or_default(const std::string& store_id) {
  return layout(store_id).value_or(picking::default_layout());
}

std::vector<std::string> PickingRepository::zones_in_use_outside(
    const std::string& store_id, const std::vector<std::string>& zones) {
  pqxx::read_transaction tx(session_.connection());
  std::vector<std::string> out;
  for (const auto& row : exec(session_, tx, kZonesInUse, store_id, text_array(zones))) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

void PickingRepository::save_layout(const std::string& store_id, const Layout& l) {
  with_retry([&] {
    pqxx::work tx(session_.connection());
    exec(session_, tx, kUpsertLayout, store_id, text_array(l.zones),
         static_cast<int>(l.pick_deadline.count()), l.max_bags_per_trip, l.small_task_units,
         static_cast<int>(l.picker_timeout.count()));
    exec(session_, tx, kDeleteLanes, store_id);
    for (size_t i = 0; i < l.lanes.size(); ++i) {
      const auto& lane = l.lanes[i];
      exec(session_, tx, kInsertLane, store_id, lane.lane_id, static_cast<int>(i), lane.capacity,
           static_cast<int>(lane.transit.count()), text_array(lane.zones));
    }
    tx.commit();
  });
}

FloorRecords PickingRepository::load_floor(const std::string& store_id, core::Timestamp now) {
  pqxx::read_transaction tx(session_.connection());
  FloorRecords out;
  out.layout = read_layout(session_, tx, store_id);
  for (auto& st : read_tasks(session_, tx, kLiveTasksOfStore, store_id)) {
    out.tasks.push_back(std::move(st.task));
  }
  std::map<std::string, std::vector<const PickTask*>> held;
  for (const auto& t : out.tasks) {
    if (t.state == picking::TaskState::kAssigned) held[t.picker_id].push_back(&t);
  }
  for (const auto& row : exec(session_, tx, kOpenShifts, store_id)) {
    picking::Picker p;
    p.picker_id = row[0].as<std::string>();
    p.zone = row[1].as<std::string>();
    p.clocked_in_at = from_epoch(row[2]);
    p.last_seen = now;  // the server was away, not the picker: a fresh grace period
    auto& mine = held[p.picker_id];
    std::sort(mine.begin(), mine.end(), [](auto a, auto b) {
      return std::tie(*a->assigned_at, a->task_id) < std::tie(*b->assigned_at, b->task_id);
    });
    for (const PickTask* t : mine) p.tasks.push_back(t->task_id);
    out.pickers.push_back(std::move(p));
  }
  return out;
}

std::vector<StoredTask> PickingRepository::live_tasks_of(const std::string& order_id) {
  pqxx::read_transaction tx(session_.connection());
  return read_tasks(session_, tx, kLiveTasksOfOrder, order_id);
}

std::optional<StoredTask> PickingRepository::find_task(const std::string& task_id) {
  pqxx::read_transaction tx(session_.connection());
  auto found = read_tasks(session_, tx, kFindTask, task_id);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<std::string> PickingRepository::stores_with_live_tasks() {
  pqxx::read_transaction tx(session_.connection());
  std::vector<std::string> out;
  for (const auto& row : exec(session_, tx, kStoresWithLiveTasks))
    out.push_back(row[0].as<std::string>());
  return out;
}

void PickingRepository::record(const std::string& store_id,
                               const std::vector<picking::Event>& events) {
  if (events.empty()) return;
  with_retry([&] {
    pqxx::work tx(session_.connection());
    for (const auto& e : events) record_one(session_, tx, store_id, e);
    tx.commit();
  });
}

}  // namespace freshlane::storage
