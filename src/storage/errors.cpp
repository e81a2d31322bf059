#include "freshlane/storage/errors.hpp"

#include <pqxx/pqxx>

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
    return {ErrorKind::kInternal, "unexpected database error"};
  } catch (const std::exception&) {
    return {ErrorKind::kInternal, "unexpected error"};
  } catch (...) {
    return {ErrorKind::kInternal, "unexpected error"};
  }
}

}  // namespace freshlane::storage
