#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "freshlane/http/message.hpp"

namespace freshlane::http {

// Percent-decoding; `plus_is_space` for query strings. nullopt on a broken escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

// "a=1&b=%E8%9F%B9" → {{"a","1"},{"b","蟹"}}; pairs that do not decode are dropped (the server
// refuses such a query before it gets here: see target_problem).
Fields parse_query(std::string_view query);

// Why a request's path or query cannot be served as text, or nullopt when it can: a broken
// percent-escape, bytes that are not UTF-8 or a NUL byte, once decoded. Such a request is a
// client error (400), never something the database gets to refuse.
std::optional<std::string> target_problem(std::string_view path, std::string_view query);

}  // namespace freshlane::http
