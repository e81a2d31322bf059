#pragma once
#include <exception>

#include "freshlane/core/error.hpp"

namespace freshlane::storage {

// Maps an exception that escaped database work to an error kind by its SQLSTATE: lost
// connections, timeouts and an overloaded server become kUnavailable (503 + Retry-After);
// anything unexpected becomes kInternal. core::Error passes through unchanged.
core::Error to_error(std::exception_ptr e);

}  // namespace freshlane::storage
