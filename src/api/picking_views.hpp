#pragma once
// Private to api/: the picking floor on the wire, and the engine's refusals as errors.
#include <map>
#include <nlohmann/json.hpp>

#include "freshlane/picking/engine.hpp"
#include "freshlane/storage/lot_repository.hpp"

namespace freshlane::api {

// Throws the error a refusal means to the caller (nothing for kOk), as store::Refused: in a
// decision on the floor, the floor's own progress is still recorded.
void throw_if_refused(picking::Refusal r, const std::string& detail);

nlohmann::json to_json(const picking::PickTask& t, core::Timestamp now);
// The same with the lots each line holds (line number → lots, earliest expiry first): which
// to take next, and how many were taken from each.
nlohmann::json to_json(const picking::PickTask& t, core::Timestamp now,
                       const std::map<int, std::vector<storage::LineLot>>& lots);
nlohmann::json to_json(const picking::Layout& l);
nlohmann::json lanes_board(const picking::Engine& e, core::Timestamp now);
nlohmann::json picking_board(const picking::Engine& e, core::Timestamp now);
nlohmann::json packing_board(const picking::Engine& e);

}  // namespace freshlane::api
