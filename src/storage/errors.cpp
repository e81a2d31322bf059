#include "freshlane/storage/errors.hpp"

#include <libpq-fe.h>

#include <cstdlib>

#include <pqxx/pqxx>

#include "freshlane/storage/delivery_repository.hpp"
#include "freshlane/store/floors.hpp"

namespace freshlane::storage {

namespace {
bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// libpq's messages span lines ("connection to server ... failed: FATAL:  ...\n"): one line.
std::string one_line(std::string text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}
}  // namespace

core::Error to_error(std::exception_ptr e) {
  using core::ErrorKind;
  try {
    std::rethrow_exception(e);
  } catch (const core::Error& err) {
    return err;
  } catch (const store::StaleFloor&) {
    return {ErrorKind::kConflict, "the store's floor changed while deciding; try again"};
  } catch (const StaleRound&) {
    return {ErrorKind::kConflict,
            "couriers or orders changed during the dispatch round; try again"};
  } catch (const pqxx::broken_connection&) {
    return {ErrorKind::kUnavailable, "the database connection was lost"};
  } catch (const pqxx::in_doubt_error&) {
    return {ErrorKind::kUnavailable, "the database connection was lost mid-commit"};
  } catch (const pqxx::sql_error& err) {
    const std::string& state = err.sqlstate();
    if (state == "57014") return {ErrorKind::kUnavailable, "the database took too long"};
    if (starts_with(state, "08") || starts_with(state, "53") || starts_with(state, "57P")) {
      return {ErrorKind::kUnavailable, "the database is unavailable"};
    }
    if (state == "40001" || state == "40P01") {
      return {ErrorKind::kUnavailable, "the database is busy; try again"};
    }
    if (state == "25P03") {  // this process sat idle in a transaction (paused): it was ended
      return {ErrorKind::kUnavailable, "the database ended a stalled transaction; try again"};
    }
    if (state == "55P03") {  // lock_timeout: another process holds what this needs too long
      return {ErrorKind::kUnavailable, "the store is busy with another request; try again"};
    }
    if (state == "23505") {  // an expected race lost to a concurrent request
      return {ErrorKind::kConflict, "a concurrent request changed this first; try again"};
    }
    return {ErrorKind::kInternal, "unexpected database error"};
  } catch (const std::exception&) {
    return {ErrorKind::kInternal, "unexpected error"};
  } catch (...) {
    return {ErrorKind::kInternal, "unexpected error"};
  }
}

}  // namespace freshlane::storage

namespace freshlane::storage {

std::optional<std::string> database_url_problem(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options) {
    PQconninfoFree(options);
    return std::nullopt;
  }
  std::string why = error ? one_line(error) : "libpq cannot read it";
  if (error) PQfreemem(error);
  return why;
}

DatabaseProbe::Outcome classify_connect_failure(const std::string& message) {
  using Outcome = DatabaseProbe::Outcome;
  // SQLSTATE 28P01/28000 and 3D000 do not reach a client that failed to connect; libpq's
  // words for them are stable across versions.
  for (const char* refused :
       {"password authentication failed", "no password supplied", "authentication failed",
        "no pg_hba.conf entry", "SCRAM authentication", "password is required"}) {
    if (message.find(refused) != std::string::npos) return Outcome::kRefusedCredentials;
  }
  if (message.find("does not exist") != std::string::npos) return Outcome::kNoSuchDatabase;
  return Outcome::kUnreachable;
}

DatabaseProbe probe_database(const std::string& url) {
  setenv("PGCONNECT_TIMEOUT", "3", 0);  // as the pool does: never wait long for a lost host
  try {
    pqxx::connection c(url);
    return {DatabaseProbe::Outcome::kReachable, ""};
  } catch (const std::exception& e) {
    const std::string reason = one_line(e.what());
    return {classify_connect_failure(reason), reason};
  }
}

}  // namespace freshlane::storage
