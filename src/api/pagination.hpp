#pragma once
// Private to api/: `?limit=` (default 50, max 200) and opaque `?cursor=` tokens.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "freshlane/http/message.hpp"

namespace freshlane::api {

inline constexpr int kDefaultLimit = 50;
inline constexpr int kMaxLimit = 200;

// Throws validation_failed (field "limit") for anything but an integer 1..200.
int page_limit(const http::Request& req);

// A cursor wraps a position (a key or an offset) so clients treat it as opaque.
std::string encode_cursor(const std::string& position);
// The position inside ?cursor=, or "" without one; validation_failed when it is not ours.
std::string cursor_position(const http::Request& req);

// A cursor whose position is how many items came before (lists paged by offset): 0 without
// one; validation_failed when it is not a count up to kMaxOffset.
inline constexpr int kMaxOffset = 1'000'000;
int cursor_offset(const http::Request& req);

nlohmann::json page(nlohmann::json items, const std::optional<std::string>& next_position);

}  // namespace freshlane::api
