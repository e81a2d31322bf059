#pragma once
// Private to storage/: running named statements with $n parameters.
#include <pqxx/pqxx>

#include "freshlane/core/time.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

template <typename... Args>
pqxx::result exec(Session& session, pqxx::transaction_base& tx, const Query& q, Args&&... args) {
  session.prepare(q);
  return tx.exec_prepared(q.name, std::forward<Args>(args)...);
}

// Timestamps cross the wire as epoch seconds: to_timestamp($n) in, extract(epoch ...) out.
inline long long epoch(core::Timestamp t) { return t.time_since_epoch().count(); }
inline core::Timestamp from_epoch(const pqxx::field& f) {
  return core::Timestamp{std::chrono::seconds{f.as<long long>()}};
}

inline bool is_unique_violation(const pqxx::sql_error& e) { return e.sqlstate() == "23505"; }

}  // namespace freshlane::storage
