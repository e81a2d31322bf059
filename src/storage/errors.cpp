#include "freshlane/storage/errors.hpp"

#include <pqxx/pqxx>

#include "freshlane/storage/delivery_repository.hpp"
#include "freshlane/store/floors.hpp"

namespace freshlane::storage {

namespace {
bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
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
