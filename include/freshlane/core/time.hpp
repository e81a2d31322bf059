#pragma once
// Time is whole seconds, UTC. Pure code never reads a clock: callers pass `now`.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace freshlane::core {

using Timestamp = std::chrono::sys_seconds;

// "2026-11-22T09:30:00Z"
std::string format_rfc3339(Timestamp t);

// Accepts RFC 3339 date-times with `Z` or a numeric offset and optional fractional seconds
// (dropped). Returns nullopt for anything else, including impossible dates.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

// The local date ("2026-11-22") at `t` for a place `utc_offset_minutes` east of UTC.
std::string local_date(Timestamp t, int utc_offset_minutes);
// The same local date as a day count (for days between two times on a place's calendar).
std::chrono::sys_days local_day(Timestamp t, int utc_offset_minutes);

// Reads the system clock, truncated to seconds. Only the edges (API, commands) call this.
Timestamp system_now();

}  // namespace freshlane::core
