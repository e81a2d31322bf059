#pragma once
// The store-day simulation report as one page a store manager can open offline or print.
#include <nlohmann/json.hpp>

#include <string>

namespace freshlane::sim {

// Renders a simulation report (the JSON the simulator writes) as one self-contained HTML page:
// headline figures coloured against the targets (on-time >= 98%, refused <= 2%, paid->conveyor
// p95 within the pick deadline), inline SVG charts and a table of totals. No script, no fonts,
// images or anything fetched. Every string from the report is HTML-escaped; a missing or
// malformed key shows as "–" or leaves its chart out, never throws. Pure: the same report gives
// the same bytes.
std::string render_html(const nlohmann::json& report);

}  // namespace freshlane::sim
