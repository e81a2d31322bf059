#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "freshlane/http/message.hpp"

namespace freshlane::http {

// Percent-decoding; `plus_is_space` for query strings. nullopt on a broken escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

// "a=1&b=%E8%9F%B9" → {{"a","1"},{"b","蟹"}}; pairs that do not decode are dropped.
Fields parse_query(std::string_view query);

}  // namespace freshlane::http
