#pragma once
// Private to api/: delivery on the wire — quotes, trips, couriers, the dispatch board, tracking.
#include <nlohmann/json.hpp>

#include "freshlane/dispatch/eta.hpp"
#include "freshlane/storage/delivery_repository.hpp"

namespace freshlane::api {

nlohmann::json to_json(const catalog::Store& store, const dispatch::Quote& q);
nlohmann::json to_json(const storage::TripRecord& t);
nlohmann::json to_json(const storage::CourierOnShift& c, core::Timestamp now);
nlohmann::json dispatch_board(const storage::DispatchInput& in,
                              const std::vector<storage::TripRecord>& trips, core::Timestamp now);

// The seven steps from payment to the door, each with the time it was reached (null before).
// A step counts only when reached at or after the one before it, so a failed delivery's
// courier and pick-up do not show after it failed.
nlohmann::json timeline(const orders::Order& o, const storage::TrackingRecord& t);
// Tracking: the timeline, failed attempts, promise and estimate, and the courier (name and last
// position) only while the order is out for delivery.
nlohmann::json tracking_view(const orders::Order& o, const storage::TrackingRecord& t,
                             const std::optional<core::Timestamp>& estimated_at);

}  // namespace freshlane::api
