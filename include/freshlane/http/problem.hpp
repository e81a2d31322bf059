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

}  // namespace freshlane::http
