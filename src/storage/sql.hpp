#pragma once
// Private to storage/: running named statements with $n parameters.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

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
inline std::optional<core::Timestamp> optional_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return from_epoch(f);
}

}  // namespace freshlane::storage

namespace freshlane::storage {

// A text[] literal for `$n::text[]` parameters (values are quoted and escaped).
inline std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// Runs `f` (one whole transaction) again when PostgreSQL aborted it for a serialization
// failure or a deadlock, so such errors never reach a client unless they persist.
template <typename F>
auto with_retry(F&& f) {
  for (int attempt = 1;; ++attempt) {
    try {
      return f();
    } catch (const pqxx::transaction_rollback&) {
      if (attempt >= 5) throw;
    }
  }
}

}  // namespace freshlane::storage
