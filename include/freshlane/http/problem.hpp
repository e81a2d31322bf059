#pragma once
// RFC 9457 problem details, the one way every error leaves the server.
#include <nlohmann/json.hpp>

#include "freshlane/core/error.hpp"
#include "freshlane/http/message.hpp"

namespace freshlane::http {

// `extensions` (an object or null) adds members such as "lines" or "distance_m".
// `retry_after` (> 0) replaces the kind's default Retry-After, in seconds.
Response problem(core::ErrorKind kind, std::string_view detail,
                 const nlohmann::json& extensions = nullptr, int retry_after = 0);

// Includes "errors": [{"field","message"}] for validation failures.
Response problem(const core::Error& error);

// The `instance` member every problem leaves with: "urn:request:<request id>", the id the
// response's X-Request-Id carries (characters a URI does not allow percent-encoded), so a
// client's report of a failure leads to its lines in the server's log.
std::string problem_instance(std::string_view request_id);
// Adds `instance` to `r` when it is a problem+json answer without one; other answers pass as
// they are.
void add_instance(Response& r, std::string_view request_id);

}  // namespace freshlane::http
