#pragma once
#include "freshlane/api/context.hpp"
#include "freshlane/http/router.hpp"

namespace freshlane::api {

// Every endpoint of the service, in one place.
void register_routes(http::Router& router, Context& ctx);

}  // namespace freshlane::api
