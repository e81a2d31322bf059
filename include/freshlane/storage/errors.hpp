#pragma once
#include <exception>
#include <optional>
#include <string>

#include "freshlane/core/error.hpp"

namespace freshlane::storage {

// Maps an exception that escaped database work to an error kind by its SQLSTATE: lost
// connections, timeouts and an overloaded server become kUnavailable (503 + Retry-After);
// anything unexpected becomes kInternal. core::Error passes through unchanged.
core::Error to_error(std::exception_ptr e);

// libpq's own reading of a connection URL or `key=value` string: nullopt when it reads, else
// why not (one line, never echoing the password).
std::optional<std::string> database_url_problem(const std::string& url);

// One connection attempt, told apart the way ops must act on it: a server that is not there
// (wait, or fix host and port) from one that refuses who we are or names nothing we know
// (fix the credentials or the database name: waiting will not help).
struct DatabaseProbe {
  enum class Outcome { kReachable, kUnreachable, kRefusedCredentials, kNoSuchDatabase };
  Outcome outcome;
  std::string reason;  // libpq's words on one line ("" when reachable)
};
DatabaseProbe probe_database(const std::string& url);
DatabaseProbe::Outcome classify_connect_failure(const std::string& libpq_message);

}  // namespace freshlane::storage
