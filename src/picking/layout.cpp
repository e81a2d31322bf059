#include "freshlane/picking/layout.hpp"

#include <algorithm>
#include <set>

#include "freshlane/catalog/product.hpp"
#include "freshlane/core/ids.hpp"

namespace freshlane::picking {

bool Layout::has_zone(const std::string& zone) const {
  return std::find(zones.begin(), zones.end(), zone) != zones.end();
}

const ConveyorLane* Layout::lane(const std::string& lane_id) const {
  for (const auto& l : lanes) {
    if (l.lane_id == lane_id) return &l;
  }
  return nullptr;
}

Layout default_layout() {
  Layout l;
  l.zones = {"ambient", "bakery", "chilled", "frozen", "produce", "seafood"};
  // Two lanes for the wet and cold zones, two for the dry ones; each zone reaches two lanes.
  l.lanes = {
      {"L1", 12, std::chrono::seconds(90), {"seafood", "chilled", "frozen"}},
      {"L2", 12, std::chrono::seconds(90), {"seafood", "chilled", "frozen"}},
      {"L3", 12, std::chrono::seconds(75), {"produce", "bakery", "ambient"}},
      {"L4", 12, std::chrono::seconds(75), {"produce", "bakery", "ambient"}},
  };
  return l;
}

std::vector<core::FieldError> validate(const Layout& layout) {
  std::vector<core::FieldError> errors;
  auto add = [&](std::string field, std::string message) {
    errors.push_back({std::move(field), std::move(message)});
  };
  if (layout.zones.empty() || layout.zones.size() > kMaxZones) {
    add("zones", "must list 1 to " + std::to_string(kMaxZones) + " zones");
  }
  std::set<std::string> zones;
  for (size_t i = 0; i < layout.zones.size(); ++i) {
    const auto& z = layout.zones[i];
    const std::string field = "zones[" + std::to_string(i) + "]";
    if (!catalog::is_valid_key_word(z)) add(field, "must be 1-32 characters of a-z, 0-9 and _");
    if (!zones.insert(z).second) add(field, "is listed twice");
  }
  if (layout.lanes.empty() || layout.lanes.size() > kMaxLanes) {
    add("lanes", "must list 1 to " + std::to_string(kMaxLanes) + " lanes");
  }
  std::set<std::string> lane_ids, served;
  for (size_t i = 0; i < layout.lanes.size(); ++i) {
    const auto& lane = layout.lanes[i];
    const std::string at = "lanes[" + std::to_string(i) + "]";
    if (!core::is_valid_id(lane.lane_id)) add(at + ".lane_id", "must be 1-64 of A-Z a-z 0-9 _ -");
    if (!lane_ids.insert(lane.lane_id).second) add(at + ".lane_id", "is used twice");
    if (lane.capacity < 1 || lane.capacity > kMaxLaneCapacity) {
      add(at + ".capacity", "must be from 1 to " + std::to_string(kMaxLaneCapacity));
    }
    if (lane.transit.count() < 0 || lane.transit.count() > kMaxTransitSeconds) {
      add(at + ".transit_seconds", "must be from 0 to " + std::to_string(kMaxTransitSeconds));
    }
    if (lane.zones.empty()) add(at + ".zones", "must name at least one zone");
    for (size_t j = 0; j < lane.zones.size(); ++j) {
      if (!zones.count(lane.zones[j])) {
        add(at + ".zones[" + std::to_string(j) + "]", "is not one of the layout's zones");
      }
      served.insert(lane.zones[j]);
    }
  }
  for (const auto& z : layout.zones) {
    if (zones.count(z) && !served.count(z)) add("zones", "no lane serves zone " + z);
  }
  if (layout.pick_deadline.count() < 60 || layout.pick_deadline.count() > 7200) {
    add("pick_deadline_seconds", "must be from 60 to 7200");
  }
  if (layout.max_bags_per_trip < 1 || layout.max_bags_per_trip > kMaxBagsPerTrip) {
    add("max_bags_per_trip", "must be from 1 to " + std::to_string(kMaxBagsPerTrip));
  }
  if (layout.small_task_units < 1 || layout.small_task_units > 100) {
    add("small_task_units", "must be from 1 to 100");
  }
  if (layout.picker_timeout.count() < 30 || layout.picker_timeout.count() > 3600) {
    add("picker_timeout_seconds", "must be from 30 to 3600");
  }
  return errors;
}

}  // namespace freshlane::picking
