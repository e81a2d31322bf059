#include "freshlane/storage/floor_records.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "floor_rows.hpp"
#include "freshlane/catalog/pricing.hpp"
#include "freshlane/storage/lot_repository.hpp"

namespace freshlane::storage {

using picking::EventKind;
using picking::PickTask;
using store::FloorStamp;
using store::StaleFloor;

namespace {

// The unit's first statement: the floor's row, locked until the transaction ends.
const Query kLockFloor{"floor_lock", R"sql(
  SELECT version, extract(epoch FROM clock)::bigint FROM store_floors WHERE store_id = $1
  FOR UPDATE)sql"};
const Query kPeekFloor{"floor_peek", R"sql(
  SELECT version, extract(epoch FROM clock)::bigint FROM store_floors WHERE store_id = $1)sql"};
const Query kMoveFloor{"floor_move", R"sql(
  UPDATE store_floors SET version = $3, clock = to_timestamp($4)
  WHERE store_id = $1 AND version = $2)sql"};

// The floor job is next due when the floor next changes by itself ($2): set by the floor job
// ($3 true), only brought earlier by a request. The floor job holds its row from its claim's
// confirmation before it locks the floor, and a request holds the floor first: a request skips
// a row the job holds (the job's own wake, computed after this commit, is the one that counts),
// so the two never wait for each other the other way round.
const Query kWakeFloor{"floor_wake", R"sql(
  UPDATE store_jobs j SET due_at = to_timestamp($2)
  FROM (SELECT job, store_id FROM store_jobs WHERE job = 'floor' AND store_id = $1
        FOR UPDATE SKIP LOCKED) mine
  WHERE j.job = mine.job AND j.store_id = mine.store_id
    AND (j.due_at > to_timestamp($2) OR ($3 AND j.due_at <> to_timestamp($2))))sql"};

const Query kLayout{"picking_layout", R"sql(
  SELECT array_to_string(zones, ','), pick_deadline_seconds, max_bags_per_trip, small_task_units,
         picker_timeout_seconds
  FROM store_layouts WHERE store_id = $1)sql"};
const Query kLanes{"picking_lanes", R"sql(
  SELECT lane_id, capacity, transit_seconds, array_to_string(zones, ',')
  FROM conveyor_lanes WHERE store_id = $1 ORDER BY position)sql"};

#define FRESHLANE_TASK_COLUMNS                                                             \
  "t.task_id, t.order_id, t.zone, t.state, extract(epoch FROM t.paid_at)::bigint, "        \
  "extract(epoch FROM t.deadline)::bigint, t.picker_id, "                                  \
  "extract(epoch FROM t.assigned_at)::bigint, extract(epoch FROM t.finished_at)::bigint, " \
  "t.lane_id, extract(epoch FROM t.loaded_at)::bigint, "                                   \
  "extract(epoch FROM t.arrives_at)::bigint, t.store_id "
const Query kLiveTasksOfStore{"floor_live_tasks",
                              "SELECT " FRESHLANE_TASK_COLUMNS
                              "FROM pick_tasks t JOIN orders o ON o.order_id = t.order_id "
                              "WHERE t.store_id = $1 AND t.state NOT IN ('packed', 'cancelled') "
                              "AND o.status IN ('paid', 'picking') ORDER BY t.task_id"};
const Query kFindTask{"picking_find_task",
                      "SELECT " FRESHLANE_TASK_COLUMNS "FROM pick_tasks t WHERE t.task_id = $1"};
#undef FRESHLANE_TASK_COLUMNS
const Query kLinesOfTasks{"picking_lines_of_tasks", R"sql(
  SELECT task_id, line_no, sku, quantity, picked, missing, name, shelf, weighed FROM pick_task_lines
  WHERE store_id = $2 AND task_id = ANY($1::text[]) ORDER BY task_id, line_no)sql"};
const Query kStartedOrders{"floor_started_orders", R"sql(
  SELECT o.order_id FROM orders o
  WHERE o.store_id = $1 AND o.status = 'picking'
    AND EXISTS (SELECT 1 FROM pick_tasks t WHERE t.order_id = o.order_id
                AND t.state NOT IN ('packed', 'cancelled')))sql"};
const Query kOpenShifts{"picking_open_shifts", R"sql(
  SELECT staff_id, zone, extract(epoch FROM clocked_in_at)::bigint,
         extract(epoch FROM last_seen_at)::bigint
  FROM picker_shifts WHERE store_id = $1 AND clocked_out_at IS NULL ORDER BY staff_id)sql"};

// What each event writes: from the one state it expects, exactly the rows it means to.
const Query kInsertEvents{"picking_events_insert", R"sql(
  INSERT INTO pick_events (store_id, at, kind, order_id, task_id, picker_id, lane_id, sku, quantity)
  SELECT $1, to_timestamp(at), kind, NULLIF(o, ''), NULLIF(t, ''), NULLIF(p, ''), NULLIF(l, ''),
         NULLIF(s, ''), NULLIF(q, 0)
  FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
              $9::integer[]) AS e(at, kind, o, t, p, l, s, q))sql"};
const Query kInsertTask{"picking_task_insert", R"sql(
  INSERT INTO pick_tasks (task_id, order_id, store_id, zone, state, paid_at, deadline)
  SELECT $1, o.order_id, o.store_id, $3, 'open', to_timestamp($4), to_timestamp($5)
  FROM orders o WHERE o.order_id = $2 AND o.store_id = $6 AND o.status = 'paid'
  ON CONFLICT DO NOTHING)sql"};
const Query kInsertTaskLines{"picking_task_lines_insert", R"sql(
  INSERT INTO pick_task_lines (task_id, store_id, line_no, sku, quantity, name, shelf, weighed)
  SELECT $1, $8, * FROM unnest($2::integer[], $3::text[], $4::integer[], $5::text[], $6::text[],
                           $7::boolean[]))sql"};
const Query kTaskAssigned{"picking_task_assigned", R"sql(
  UPDATE pick_tasks t SET state = 'assigned', picker_id = $2, assigned_at = to_timestamp($3)
  FROM orders o
  WHERE t.store_id = $4 AND t.task_id = $1 AND t.state = 'open'
    AND o.store_id = $4 AND o.order_id = t.order_id
    AND o.status IN ('paid', 'picking'))sql"};
const Query kTaskReleased{"picking_task_released", R"sql(
  UPDATE pick_tasks SET state = 'open', picker_id = NULL, assigned_at = NULL
  WHERE store_id = $3 AND task_id = $1 AND state = 'assigned' AND picker_id = $2
    AND finished_at IS NULL)sql"};
const Query kLinesUnpicked{"picking_lines_unpicked", R"sql(
  UPDATE pick_task_lines SET picked = 0 WHERE store_id = $2 AND task_id = $1)sql"};
const Query kItemPicked{"picking_item_picked", R"sql(
  UPDATE pick_task_lines l SET picked = l.picked + $3 FROM pick_tasks t
  WHERE l.store_id = $6 AND l.task_id = $1 AND l.sku = $2 AND l.line_no = $5
    AND t.store_id = $6 AND t.task_id = l.task_id
    AND t.state = 'assigned' AND t.picker_id = $4 AND t.finished_at IS NULL)sql"};
const Query kShortOnTask{"picking_short_on_task", R"sql(
  UPDATE pick_task_lines l SET missing = l.missing + $3 FROM pick_tasks t
  WHERE l.store_id = $6 AND l.task_id = $1 AND l.sku = $2 AND l.line_no = $5
    AND t.store_id = $6 AND t.task_id = l.task_id
    AND t.state = 'assigned' AND t.picker_id = $4 AND t.finished_at IS NULL
  RETURNING l.line_no, l.weighed)sql"};
const Query kShortOnOrderLine{"picking_short_on_order_line", R"sql(
  UPDATE order_lines SET quantity = quantity - $3, short_quantity = short_quantity + $3
  WHERE store_id = $4 AND order_id = $1 AND line_no = $2 AND quantity >= $3
  RETURNING unit_price_minor, authorized_minor, unit)sql"};
const Query kRefundDue{"picking_refund_due", R"sql(
  UPDATE orders SET refund_minor = refund_minor + $2, updated_at = now()
  WHERE store_id = $3 AND order_id = $1)sql"};
// The lots a line holds, locked in the global lot order (sku, expires_at, lot_id).
const Query kLockLineLots{"picking_lock_line_lots", R"sql(
  SELECT l.lot_id, oll.quantity, oll.picked FROM order_line_lots oll JOIN lots l ON l.lot_id = oll.lot_id
  WHERE oll.store_id = $3 AND oll.order_id = $1 AND oll.line_no = $2 AND l.store_id = $3
  ORDER BY l.sku, l.expires_at, l.lot_id FOR UPDATE OF l)sql"};
// Units that were never on the shelf: the count is corrected, the reservation shrinks.
const Query kWriteOffLot{"picking_write_off_lot", R"sql(
  UPDATE lots SET quantity_on_hand = quantity_on_hand - $2, quantity_reserved = quantity_reserved - $2
  WHERE store_id = $3 AND lot_id = $1 AND quantity_reserved >= $2)sql"};
const Query kShrinkLineLot{"picking_shrink_line_lot", R"sql(
  UPDATE order_line_lots SET quantity = quantity - $4
  WHERE store_id = $5 AND order_id = $1 AND line_no = $2 AND lot_id = $3
    AND quantity - $4 >= GREATEST(picked, 1))sql"};
const Query kDropLineLot{"picking_drop_line_lot", R"sql(
  DELETE FROM order_line_lots WHERE store_id = $5 AND order_id = $1 AND line_no = $2
    AND lot_id = $3 AND quantity = $4 AND picked = 0)sql"};
// Finished bag: its units leave the shelf for good (lots locked in the global order first).
const Query kLockTaskLots{"picking_lock_task_lots", R"sql(
  SELECT l.lot_id FROM lots l
  WHERE l.store_id = $3
    AND l.lot_id IN (SELECT oll.lot_id FROM order_line_lots oll
                     JOIN pick_task_lines ptl ON ptl.store_id = $3 AND ptl.line_no = oll.line_no
                                             AND ptl.task_id = $1
                     WHERE oll.store_id = $3 AND oll.order_id = $2)
  ORDER BY l.sku, l.expires_at, l.lot_id FOR UPDATE)sql"};
const Query kConsumeTaskLots{"picking_consume_task_lots", R"sql(
  UPDATE lots l SET quantity_on_hand = l.quantity_on_hand - x.q,
                    quantity_reserved = l.quantity_reserved - x.q
  FROM (SELECT oll.lot_id, sum(oll.quantity)::integer AS q FROM order_line_lots oll
        JOIN pick_task_lines ptl ON ptl.store_id = $3 AND ptl.line_no = oll.line_no
                                AND ptl.task_id = $1
        WHERE oll.store_id = $3 AND oll.order_id = $2 GROUP BY oll.lot_id) x
  WHERE l.store_id = $3 AND l.lot_id = x.lot_id)sql"};
// A finished bag's weighed pieces settle their lines: the lots give back the grams the piece
// did not need, the order line takes the weighed grams, and what it cost less than was
// authorised is owed back (orders.weight_release_minor; a trigger writes the refund).
const Query kSettleWeighedLots{"picking_settle_weighed_lots", R"sql(
  WITH rest AS (
    SELECT oll.order_id, oll.line_no, oll.lot_id, oll.quantity - oll.picked AS grams
    FROM order_line_lots oll
    JOIN pick_task_lines ptl ON ptl.store_id = $3 AND ptl.task_id = $1
                            AND ptl.line_no = oll.line_no AND ptl.weighed
    WHERE oll.store_id = $3 AND oll.order_id = $2 AND oll.quantity > oll.picked),
  unreserved AS (
    UPDATE lots l SET quantity_reserved = l.quantity_reserved - r.grams FROM rest r
    WHERE l.store_id = $3 AND l.lot_id = r.lot_id RETURNING l.sku),
  dropped AS (
    DELETE FROM order_line_lots oll USING rest r
    WHERE oll.store_id = $3 AND oll.order_id = r.order_id AND oll.line_no = r.line_no
      AND oll.lot_id = r.lot_id AND oll.picked = 0),
  shrunk AS (
    UPDATE order_line_lots oll SET quantity = oll.picked FROM rest r
    WHERE oll.store_id = $3 AND oll.order_id = r.order_id AND oll.line_no = r.line_no
      AND oll.lot_id = r.lot_id AND oll.picked > 0)
  SELECT DISTINCT sku FROM unreserved)sql"};
const Query kSettleWeighedLines{"picking_settle_weighed_lines", R"sql(
  UPDATE order_lines ol SET quantity = ptl.picked, weighed = true
  FROM pick_task_lines ptl
  WHERE ptl.store_id = $3 AND ptl.task_id = $1 AND ptl.weighed AND ptl.picked > 0
    AND ol.store_id = $3 AND ol.order_id = $2 AND ol.line_no = ptl.line_no AND NOT ol.weighed
  RETURNING ol.unit, ol.unit_price_minor, ol.authorized_minor, ptl.picked)sql"};
const Query kWeightRelease{"picking_weight_release", R"sql(
  UPDATE orders SET weight_release_minor = weight_release_minor + $2, updated_at = now()
  WHERE store_id = $3 AND order_id = $1)sql"};
const Query kBagFinished{"picking_bag_finished", R"sql(
  UPDATE pick_tasks SET finished_at = to_timestamp($2), picker_id = NULL
  WHERE store_id = $4 AND task_id = $1 AND state = 'assigned' AND picker_id = $3
    AND finished_at IS NULL)sql"};
const Query kBagWaiting{"picking_bag_waiting", R"sql(
  UPDATE pick_tasks SET state = 'waiting'
  WHERE store_id = $2 AND task_id = $1 AND state = 'assigned' AND finished_at IS NOT NULL)sql"};
const Query kBagLoaded{"picking_bag_loaded", R"sql(
  UPDATE pick_tasks SET state = 'on_lane', lane_id = $2, loaded_at = to_timestamp($3),
                        arrives_at = to_timestamp($4)
  WHERE store_id = $5 AND task_id = $1 AND state IN ('assigned', 'waiting')
    AND finished_at IS NOT NULL)sql"};
const Query kBagArrived{"picking_bag_arrived", R"sql(
  UPDATE pick_tasks SET state = 'arrived', loaded_at = coalesce(loaded_at, to_timestamp($2)),
                        arrives_at = coalesce(arrives_at, to_timestamp($2))
  WHERE store_id = $3 AND task_id = $1 AND finished_at IS NOT NULL
    AND (state = 'on_lane' OR state = 'assigned'))sql"};
const Query kOrderPicking{"picking_order_picking", R"sql(
  UPDATE orders SET status = 'picking', updated_at = now()
  WHERE store_id = $2 AND order_id = $1 AND status = 'paid')sql"};
const Query kOrderPacked{"picking_order_packed", R"sql(
  UPDATE orders SET status = CASE WHEN fulfillment = 'pickup' THEN 'ready_for_pickup' ELSE 'packed' END,
                    packed_at = to_timestamp($2), updated_at = now()
  WHERE store_id = $3 AND order_id = $1 AND status = 'picking')sql"};
const Query kTasksPacked{"picking_tasks_packed", R"sql(
  WITH packed AS (UPDATE pick_tasks SET state = 'packed'
                  WHERE store_id = $2 AND order_id = $1 AND state = 'arrived' RETURNING 1)
  SELECT (SELECT count(*) FROM packed),
         (SELECT count(*) FROM pick_tasks
          WHERE store_id = $2 AND order_id = $1 AND state <> 'cancelled'))sql"};
const Query kTaskCancelled{"picking_task_cancelled", R"sql(
  UPDATE pick_tasks SET state = 'cancelled'
  WHERE store_id = $2 AND task_id = $1 AND state = 'open')sql"};
const Query kShiftStart{"picking_shift_start", R"sql(
  INSERT INTO picker_shifts (store_id, staff_id, zone, clocked_in_at, last_seen_at)
  VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($4))
  ON CONFLICT (staff_id, store_id) WHERE clocked_out_at IS NULL DO NOTHING)sql"};
const Query kShiftEnd{"picking_shift_end", R"sql(
  UPDATE picker_shifts SET clocked_out_at = to_timestamp($3), ended_by = $4
  WHERE store_id = $1 AND staff_id = $2 AND clocked_out_at IS NULL)sql"};
const Query kShiftSeen{"picking_shift_seen", R"sql(
  UPDATE picker_shifts SET last_seen_at = to_timestamp($3)
  WHERE store_id = $1 AND staff_id = $2 AND clocked_out_at IS NULL)sql"};

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

PickTask task_of(const pqxx::row& row) {
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

// Tasks from a query over FRESHLANE_TASK_COLUMNS, with their lines and stores.
std::vector<StoredTask> read_tasks(Session& s, Tx& tx, const Query& q, const std::string& key) {
  const auto rows = exec(s, tx, q, key);
  std::vector<StoredTask> out;
  std::vector<std::string> ids;
  for (const auto& row : rows) {
    out.push_back({row[12].as<std::string>(), task_of(row)});
    ids.push_back(out.back().task.task_id);
  }
  if (out.empty()) return out;
  size_t i = 0;  // both sorted by task id
  // Both queries read one store's tasks (or one task).
  for (const auto& row : exec(s, tx, kLinesOfTasks, text_array(ids), out.front().store_id)) {
    const auto id = row[0].as<std::string>();
    while (i < out.size() && out[i].task.task_id != id) ++i;
    if (i == out.size()) break;
    out[i].task.lines.push_back({row[1].as<int>(), row[2].as<std::string>(), row[3].as<int>(),
                                 row[4].as<int>(), row[5].as<int>(), row[6].as<std::string>(),
                                 row[7].as<std::string>(), row[8].as<bool>()});
  }
  return out;
}

FloorStamp stamp_of(const pqxx::result& r, const std::string& store_id) {
  if (r.empty()) throw core::Error(core::ErrorKind::kNotFound, "no store " + store_id);
  return {r[0][0].as<std::int64_t>(), from_epoch(r[0][1])};
}

store::StoredFloor load_floor(Session& s, Tx& tx, const std::string& store_id, FloorStamp stamp) {
  store::StoredFloor out;
  out.stamp = stamp;
  out.layout = read_layout(s, tx, store_id).value_or(picking::default_layout());
  for (auto& st : read_tasks(s, tx, kLiveTasksOfStore, store_id)) {
    out.tasks.push_back(std::move(st.task));
  }
  // In payment order, as a process adds them: deadline ties go first come first served in a
  // rebuilt engine as in a kept one.
  std::stable_sort(out.tasks.begin(), out.tasks.end(), [](const PickTask& a, const PickTask& b) {
    return std::tie(a.paid_at, a.order_id) < std::tie(b.paid_at, b.order_id);
  });
  for (const auto& row : exec(s, tx, kStartedOrders, store_id)) {
    out.started.push_back(row[0].as<std::string>());
  }
  std::map<std::string, std::vector<const PickTask*>> held;
  for (const auto& t : out.tasks) {
    if (t.state == picking::TaskState::kAssigned && !t.finished_at) held[t.picker_id].push_back(&t);
  }
  for (const auto& row : exec(s, tx, kOpenShifts, store_id)) {
    picking::Picker p;
    p.picker_id = row[0].as<std::string>();
    p.zone = row[1].as<std::string>();
    p.clocked_in_at = from_epoch(row[2]);
    p.last_seen = from_epoch(row[3]);
    auto& mine = held[p.picker_id];
    std::sort(mine.begin(), mine.end(), [](auto a, auto b) {
      return std::tie(a->assigned_at, a->task_id) < std::tie(b->assigned_at, b->task_id);
    });
    for (const PickTask* t : mine) p.tasks.push_back(t->task_id);
    out.pickers.push_back(std::move(p));
  }
  return out;
}

// Throws StaleFloor unless the statement changed exactly `want` rows.
void expect_rows(const pqxx::result& r, std::size_t want, const picking::Event& e,
                 const char* what) {
  if (r.affected_rows() == want) return;
  throw StaleFloor(std::string(picking::to_string(e.kind)) + " of " +
                   (e.task_id.empty() ? e.order_id.empty() ? e.picker_id : e.order_id : e.task_id) +
                   ": " + what);
}

// The missing units of a short pick come off the line's lots not yet taken from, latest-expiring
// first (the reservation took the earliest first), and off the shelf count: they were never
// there.
void write_off_short(Session& s, Tx& tx, const std::string& store_id, const picking::Event& e,
                     int line_no, int missing) {
  const auto lots = exec(s, tx, kLockLineLots, e.order_id, line_no, store_id);
  for (auto row = lots.rbegin(); row != lots.rend() && missing > 0; ++row) {
    const int held = (*row)[1].as<int>();
    const int take = std::min(missing, held - (*row)[2].as<int>());
    if (take <= 0) continue;
    const auto lot_id = (*row)[0].as<std::string>();
    expect_rows(exec(s, tx, kWriteOffLot, lot_id, take, store_id), 1, e,
                "the lot does not hold the units");
    expect_rows(take == held
                    ? exec(s, tx, kDropLineLot, e.order_id, line_no, lot_id, take, store_id)
                    : exec(s, tx, kShrinkLineLot, e.order_id, line_no, lot_id, take, store_id),
                1, e, "the line does not hold the lot");
    missing -= take;
  }
  if (missing > 0) throw StaleFloor("short pick of " + e.task_id + ": more than the line holds");
}

void settle_weighed(Session& s, Tx& tx, const std::string& store_id, const picking::Event& e) {
  for (const auto& r : exec(s, tx, kSettleWeighedLots, e.task_id, e.order_id, store_id)) {
    s.changed(catalog::ProductKey::in_place(store_id, r[0].as<std::string>()));
  }
  catalog::Money release = 0;
  for (const auto& r : exec(s, tx, kSettleWeighedLines, e.task_id, e.order_id, store_id)) {
    const auto unit = unit_of(r[0]);
    const auto cost = catalog::line_amount(unit, r[3].as<long long>(), r[1].as<long long>());
    // Never more than was authorised (lines placed before weighing existed authorised only
    // their estimate: a heavier piece costs those customers nothing more).
    release += std::max<catalog::Money>(0, r[2].as<long long>() - cost);
  }
  if (release > 0) exec(s, tx, kWeightRelease, e.order_id, release, store_id);
}

void insert_task(Session& s, Tx& tx, const std::string& store_id, const picking::Event& e,
                 const picking::Engine& floor) {
  const PickTask* t = floor.task(e.task_id);
  if (!t) throw StaleFloor("task_added of " + e.task_id + ": not on the floor");
  expect_rows(exec(s, tx, kInsertTask, t->task_id, t->order_id, t->zone, epoch(t->paid_at),
                   epoch(t->deadline), store_id),
              1, e, "exists already, or its order is not paid");
  std::vector<std::string> line_nos, skus, quantities, names, shelves, weighed;
  for (const auto& l : t->lines) {
    line_nos.push_back(std::to_string(l.line_no));
    skus.push_back(l.sku);
    quantities.push_back(std::to_string(l.quantity));
    names.push_back(l.name);
    shelves.push_back(l.shelf);
    weighed.push_back(l.weighed ? "true" : "false");
  }
  exec(s, tx, kInsertTaskLines, t->task_id, text_array(line_nos), text_array(skus),
       text_array(quantities), text_array(names), text_array(shelves), text_array(weighed),
       store_id);
}

void record_one(Session& s, Tx& tx, const std::string& store_id, const picking::Event& e,
                const picking::Engine& floor) {
  const long long at = epoch(e.at);
  switch (e.kind) {
    case EventKind::kTaskAdded:
      insert_task(s, tx, store_id, e, floor);
      break;
    case EventKind::kTaskAssigned:
      expect_rows(exec(s, tx, kTaskAssigned, e.task_id, e.picker_id, at, store_id), 1, e,
                  "not open, or its order not live");
      break;
    case EventKind::kTaskReleased:
      expect_rows(exec(s, tx, kTaskReleased, e.task_id, e.picker_id, store_id), 1, e,
                  "not held by this picker");
      exec(s, tx, kLinesUnpicked, e.task_id, store_id);
      // The lots it took go back on the shelf too.
      LotRepository(s).unpick_task(store_id, e.task_id);
      break;
    case EventKind::kItemPicked:
      expect_rows(
          exec(s, tx, kItemPicked, e.task_id, e.sku, e.quantity, e.picker_id, e.line_no, store_id),
          1, e, "not held by this picker, or no such line");
      break;
    case EventKind::kShortReported: {
      const auto line =
          exec(s, tx, kShortOnTask, e.task_id, e.sku, e.quantity, e.picker_id, e.line_no, store_id);
      expect_rows(line, 1, e, "not held by this picker, or no such line");
      const int line_no = line[0][0].as<int>();
      const auto price = exec(s, tx, kShortOnOrderLine, e.order_id, line_no, e.quantity, store_id);
      expect_rows(price, 1, e, "the order line holds fewer units");
      // A weighed line is short whole: what its payment authorised comes back. Anything else
      // (pieces, or grams counted as pieces on a line picked before weighing existed): the
      // price of what is missing.
      const bool weighed = line[0][1].as<bool>() && !price[0][1].is_null();
      const auto unit = unit_of(price[0][2]);
      exec(s, tx, kRefundDue, e.order_id,
           weighed ? price[0][1].as<long long>()
                   : catalog::line_amount(unit, e.quantity, price[0][0].as<long long>()),
           store_id);
      write_off_short(s, tx, store_id, e, line_no, e.quantity);
      break;
    }
    case EventKind::kBagFinished:
      expect_rows(exec(s, tx, kBagFinished, e.task_id, at, e.picker_id, store_id), 1, e,
                  "not held by this picker, or finished already");
      exec(s, tx, kLockTaskLots, e.task_id, e.order_id, store_id);
      settle_weighed(s, tx, store_id, e);
      exec(s, tx, kConsumeTaskLots, e.task_id, e.order_id, store_id);
      break;
    case EventKind::kBagWaiting:
      expect_rows(exec(s, tx, kBagWaiting, e.task_id, store_id), 1, e, "not a finished bag");
      break;
    case EventKind::kBagLoaded:
      expect_rows(exec(s, tx, kBagLoaded, e.task_id, e.lane_id, at, epoch(e.until.value_or(e.at)),
                       store_id),
                  1, e, "not a finished bag off the lanes");
      break;
    case EventKind::kBagArrived:
      expect_rows(exec(s, tx, kBagArrived, e.task_id, at, store_id), 1, e, "not on a lane");
      break;
    case EventKind::kOrderPickingStarted:
      expect_rows(exec(s, tx, kOrderPicking, e.order_id, store_id), 1, e, "the order is not paid");
      break;
    case EventKind::kOrderPacked: {
      expect_rows(exec(s, tx, kOrderPacked, e.order_id, at, store_id), 1, e,
                  "the order is not picking");
      const auto packed = exec(s, tx, kTasksPacked, e.order_id, store_id);
      if (packed[0][0].as<long>() != packed[0][1].as<long>()) {
        throw StaleFloor("order_packed of " + e.order_id + ": bags not all at packing");
      }
      break;
    }
    case EventKind::kTaskCancelled:
      expect_rows(exec(s, tx, kTaskCancelled, e.task_id, store_id), 1, e, "not open");
      break;
    case EventKind::kPickerClockedIn:
      expect_rows(exec(s, tx, kShiftStart, store_id, e.picker_id, e.zone, at), 1, e,
                  "already on shift");
      break;
    case EventKind::kPickerClockedOut:
    case EventKind::kPickerTimedOut:
      expect_rows(exec(s, tx, kShiftEnd, store_id, e.picker_id, at,
                       std::string(e.kind == EventKind::kPickerTimedOut ? "timeout" : "clock_out")),
                  1, e, "not on shift");
      break;
    case EventKind::kPickerSeen:
      expect_rows(exec(s, tx, kShiftSeen, store_id, e.picker_id, at), 1, e, "not on shift");
      break;
    case EventKind::kOrderOnConveyor:
    case EventKind::kOrderReadyToPack:
    case EventKind::kLayoutChanged:
      break;  // the log says it; nothing else changes
  }
}

// One statement for the whole log of a unit (a sign of life is not worth a line).
void log_events(Session& s, Tx& tx, const std::string& store_id,
                const std::vector<picking::Event>& events) {
  std::vector<std::string> at, kind, order, task, picker, lane, sku, quantity;
  for (const auto& e : events) {
    if (e.kind == EventKind::kPickerSeen) continue;
    at.push_back(std::to_string(epoch(e.at)));
    kind.emplace_back(picking::to_string(e.kind));
    order.push_back(e.order_id);
    task.push_back(e.task_id);
    picker.push_back(e.picker_id);
    lane.push_back(e.lane_id);
    sku.push_back(e.sku);
    quantity.push_back(std::to_string(e.quantity));
  }
  if (at.empty()) return;
  exec(s, tx, kInsertEvents, store_id, text_array(at), text_array(kind), text_array(order),
       text_array(task), text_array(picker), text_array(lane), text_array(sku),
       text_array(quantity));
}

class PgUnit : public store::FloorRecords::Unit {
 public:
  PgUnit(Session& s, Tx& tx, std::string store_id, FloorStamp stamp, bool floor_job)
      : s_(s), tx_(tx), store_id_(std::move(store_id)), stamp_(stamp), floor_job_(floor_job) {}

  FloorStamp stamp() override { return stamp_; }
  store::StoredFloor load() override { return load_floor(s_, tx_, store_id_, stamp_); }
  void record(const std::vector<picking::Event>& events, const picking::Engine& floor,
              FloorStamp next) override {
    for (const auto& e : events) record_one(s_, tx_, store_id_, e, floor);
    log_events(s_, tx_, store_id_, events);
    if (exec(s_, tx_, kMoveFloor, store_id_, stamp_.version, next.version, epoch(next.clock))
            .affected_rows() != 1) {
      throw StaleFloor("the floor of " + store_id_ + " moved on");
    }
    stamp_ = next;
  }
  void after_commit(std::function<void()> f) override { s_.after_commit(std::move(f)); }
  void wake_at(core::Timestamp when) override {
    exec(s_, tx_, kWakeFloor, store_id_, epoch(when), floor_job_);
  }

 private:
  Session& s_;
  Tx& tx_;
  std::string store_id_;
  FloorStamp stamp_;
  bool floor_job_;
};

}  // namespace

std::optional<picking::Layout> read_layout(Session& s, Tx& tx, const std::string& store_id) {
  const auto r = exec(s, tx, kLayout, store_id);
  if (r.empty()) return std::nullopt;
  picking::Layout l;
  l.zones = split_words(r[0][0].as<std::string>());
  l.pick_deadline = std::chrono::seconds(r[0][1].as<int>());
  l.max_bags_per_trip = r[0][2].as<int>();
  l.small_task_units = r[0][3].as<int>();
  l.picker_timeout = std::chrono::seconds(r[0][4].as<int>());
  for (const auto& row : exec(s, tx, kLanes, store_id)) {
    l.lanes.push_back({row[0].as<std::string>(), row[1].as<int>(),
                       std::chrono::seconds(row[2].as<int>()),
                       split_words(row[3].as<std::string>())});
  }
  return l;
}

std::optional<StoredTask> read_task(Session& s, Tx& tx, const std::string& task_id) {
  auto found = read_tasks(s, tx, kFindTask, task_id);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

void PgFloorRecords::run(const std::string& store_id, const std::function<void(Unit&)>& work) {
  write_or_conflict<StaleFloor>(session_, [&](Tx& tx) {
    PgUnit unit(session_, tx, store_id,
                stamp_of(exec(session_, tx, kLockFloor, store_id), store_id),
                decider_ == Decider::kFloorJob);
    work(unit);
  });
}

FloorStamp PgFloorRecords::peek(const std::string& store_id) {
  return single(session_, [&](Tx& tx) {
    return stamp_of(exec(session_, tx, kPeekFloor, store_id), store_id);
  });
}

store::StoredFloor PgFloorRecords::read(const std::string& store_id) {
  return snapshot(session_, [&](Tx& tx) {
    return load_floor(session_, tx, store_id,
                      stamp_of(exec(session_, tx, kPeekFloor, store_id), store_id));
  });
}

}  // namespace freshlane::storage
