#include "freshlane/storage/picking_repository.hpp"

#include "floor_rows.hpp"
#include "sql.hpp"

namespace freshlane::storage {

using picking::Layout;

namespace {

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
const Query kLinesWithZones{"picking_order_lines_zones", R"sql(
  SELECT ol.line_no, ol.sku, ol.quantity, sp.zone, ol.name, sp.shelf,
         ol.unit <> 'each' AND NOT ol.weighed
  FROM order_lines ol JOIN store_products sp ON sp.store_id = $2 AND sp.sku = ol.sku
  WHERE ol.store_id = $2 AND ol.order_id = $1 AND ol.quantity > 0 ORDER BY ol.line_no)sql"};

}  // namespace

std::optional<Layout> PickingRepository::layout(const std::string& store_id) {
  return read(session_, [&](Tx& tx) { return read_layout(session_, tx, store_id); });
}

Layout PickingRepository::layout_or_default(const std::string& store_id) {
  return layout(store_id).value_or(picking::default_layout());
}

std::vector<std::string> PickingRepository::zones_in_use_outside(
    const std::string& store_id, const std::vector<std::string>& zones) {
  return single(session_, [&](Tx& tx) {
    std::vector<std::string> out;
    for (const auto& row : exec(session_, tx, kZonesInUse, store_id, text_array(zones))) {
      out.push_back(row[0].as<std::string>());
    }
    return out;
  });
}

void PickingRepository::save_layout(const std::string& store_id, const Layout& l) {
  write(session_, [&](Tx& tx) {
    exec(session_, tx, kUpsertLayout, store_id, text_array(l.zones),
         static_cast<int>(l.pick_deadline.count()), l.max_bags_per_trip, l.small_task_units,
         static_cast<int>(l.picker_timeout.count()));
    exec(session_, tx, kDeleteLanes, store_id);
    for (size_t i = 0; i < l.lanes.size(); ++i) {
      const auto& lane = l.lanes[i];
      exec(session_, tx, kInsertLane, store_id, lane.lane_id, static_cast<int>(i), lane.capacity,
           static_cast<int>(lane.transit.count()), text_array(lane.zones));
    }
  });
}

std::optional<StoredTask> PickingRepository::find_task(const std::string& task_id) {
  return read(session_, [&](Tx& tx) { return read_task(session_, tx, task_id); });
}

std::vector<picking::ZonedLine> PickingRepository::zoned_lines(const std::string& store_id,
                                                               const std::string& order_id) {
  return single(session_, [&](Tx& tx) {
    std::vector<picking::ZonedLine> lines;
    for (const auto& row : exec(session_, tx, kLinesWithZones, order_id, store_id)) {
      lines.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<int>(),
                       row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
                       row[6].as<bool>()});
    }
    return lines;
  });
}

}  // namespace freshlane::storage
