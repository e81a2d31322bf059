#pragma once
// A store's picking floor: its zones, the conveyor lanes that carry bags from the zones to the
// packing area, and the rules the engine plans with. Managers set it; demo stores ship one.
#include <chrono>
#include <string>
#include <vector>

#include "freshlane/core/error.hpp"

namespace freshlane::picking {

struct ConveyorLane {
  std::string lane_id;
  int capacity = 12;                 // bags in transit at once
  std::chrono::seconds transit{90};  // loading point → packing
  std::vector<std::string> zones;    // zones whose loading points feed this lane
  bool operator==(const ConveyorLane&) const = default;
};

struct Layout {
  std::vector<std::string> zones;
  std::vector<ConveyorLane> lanes;
  std::chrono::seconds pick_deadline{600};   // paid → every bag on a lane
  int max_bags_per_trip = 3;                 // a picker carries at most this many bags at once
  int small_task_units = 5;                  // only tasks this small are carried together
  std::chrono::seconds picker_timeout{300};  // no sign of life this long: tasks go back
  // Pick-time estimate used for batching: a fixed walk per task plus a time per unit.
  std::chrono::seconds seconds_per_task{60};
  std::chrono::seconds seconds_per_unit{10};

  bool has_zone(const std::string& zone) const;
  const ConveyorLane* lane(const std::string& lane_id) const;
  bool operator==(const Layout&) const = default;
};

// What a store uses until its manager sets a layout: the six standard zones and four lanes.
Layout default_layout();

// Every way `layout` is unusable (empty: it is fine): ids, bounds, lanes that name unknown
// zones, zones no lane serves. Field names follow the JSON body (`lanes[1].capacity`).
std::vector<core::FieldError> validate(const Layout& layout);

// Limits a layout must respect.
inline constexpr size_t kMaxZones = 32;
inline constexpr size_t kMaxLanes = 64;
inline constexpr int kMaxLaneCapacity = 500;
inline constexpr int kMaxTransitSeconds = 3600;
inline constexpr int kMaxBagsPerTrip = 10;

}  // namespace freshlane::picking
