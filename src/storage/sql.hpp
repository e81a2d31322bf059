#pragma once
// Private to storage/: running named statements with $n parameters, and the one way to open a
// transaction.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/core/error.hpp"
#include "freshlane/core/time.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

using Tx = pqxx::transaction_base;

// Runs `q` in `tx`: as a statement prepared once per connection, or (behind a transaction
// pooler) with its text each time, in one round trip either way.
template <typename... Args>
pqxx::result exec(Session& session, Tx& tx, const Query& q, Args&&... args) {
  if (!session.prepares_statements()) return tx.exec_params(q.sql, std::forward<Args>(args)...);
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

// A product's unit as stored (the column's CHECK admits only the known ones).
inline catalog::Unit unit_of(const pqxx::field& f) {
  return catalog::parse_unit(f.as<std::string>()).value_or(catalog::Unit::kEach);
}

// A text[] literal for `$n::text[]` parameters (values are quoted and escaped); where `null`
// says so, the element is NULL instead.
inline std::string text_array(const std::vector<std::string>& values,
                              const std::vector<bool>& null = {}) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if (i < null.size() && null[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// Marks `tx` as the session's open transaction while it lives, so repositories called inside
// join it; runs the session's after-commit work once it committed, drops it otherwise.
class TransactionScope {
 public:
  TransactionScope(Session& s, Tx& tx) : s_(s) { s_.open_ = &tx; }
  ~TransactionScope() {
    s_.open_ = nullptr;
    s_.after_commit_.clear();
  }
  TransactionScope(const TransactionScope&) = delete;
  TransactionScope& operator=(const TransactionScope&) = delete;
  void committed() {
    s_.open_ = nullptr;
    auto work = std::move(s_.after_commit_);
    s_.after_commit_.clear();
    for (auto& f : work) f();
  }
  static Tx* open(Session& s) { return s.open_; }

 private:
  Session& s_;
};

namespace detail {
// `f(tx)` in a new transaction of type T, committed when `f` returns; run again whole when
// PostgreSQL aborted it for a serialization failure or a deadlock (at most five times).
template <typename T, typename F>
auto in_new_transaction(Session& s, F& f) {
  for (int attempt = 1;; ++attempt) {
    try {
      T tx(s.connection());
      TransactionScope scope(s, tx);
      if constexpr (std::is_void_v<std::invoke_result_t<F&, Tx&>>) {
        f(static_cast<Tx&>(tx));
        tx.commit();
        scope.committed();
        return;
      } else {
        auto result = f(static_cast<Tx&>(tx));
        tx.commit();
        scope.committed();
        return result;
      }
    } catch (const pqxx::transaction_rollback&) {
      if (attempt >= 5) throw;
    }
  }
}
}  // namespace detail

// Runs `f(tx)` in the transaction open on the session, when a caller opened one (its unit of
// work then commits or rolls back everything together), or else in a new read-write
// transaction of its own. Only the outermost transaction commits and retries.
template <typename F>
auto write(Session& s, F&& f) {
  if (Tx* open = TransactionScope::open(s)) return f(*open);
  return detail::in_new_transaction<pqxx::work>(s, f);
}

// A write that throws `Stale` when a row it expected had moved on (nothing of it holds once
// its transaction rolls back). Run alone, its caller may run it again. Inside a caller's
// transaction what it wrote before cannot be undone here, so `Stale` becomes a 409 conflict
// that fails the caller's whole transaction instead of this write running again in it.
template <typename Stale, typename F>
auto write_or_conflict(Session& s, F&& f) {
  const bool joined = TransactionScope::open(s) != nullptr;
  try {
    return write(s, std::forward<F>(f));
  } catch (const Stale& e) {
    if (joined) throw core::Error(core::ErrorKind::kConflict, e.what());
    throw;
  }
}

// The same for reads of several statements (a read-only transaction).
template <typename F>
auto read(Session& s, F&& f) {
  if (Tx* open = TransactionScope::open(s)) return f(*open);
  return detail::in_new_transaction<pqxx::read_transaction>(s, f);
}

// Reads of several statements from one snapshot of the database (repeatable read).
template <typename F>
auto snapshot(Session& s, F&& f) {
  if (Tx* open = TransactionScope::open(s)) return f(*open);
  return detail::in_new_transaction<
      pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only>>(
      s, f);
}

// One statement on its own: autocommitted, no BEGIN/COMMIT round trips (or in the open
// transaction).
template <typename F>
auto single(Session& s, F&& f) {
  if (Tx* open = TransactionScope::open(s)) return f(*open);
  pqxx::nontransaction tx(s.connection());
  return f(static_cast<Tx&>(tx));
}

// Rows a sweep deletes in one statement: each batch its own short transaction, so a sweep of
// a busy day's leftovers holds no lock for long.
inline constexpr long long kDeleteBatch = 10'000;

// Runs the DELETE `q` with `args` and then kDeleteBatch (its LIMIT, the last parameter) until
// one deletes fewer than that, at most `max_batches` times.
template <typename... Args>
void delete_in_batches(Session& s, const Query& q, int max_batches, const Args&... args) {
  for (int batch = 0; batch < max_batches; ++batch) {
    const auto deleted = single(s, [&](Tx& tx) {
      return static_cast<long long>(exec(s, tx, q, args..., kDeleteBatch).affected_rows());
    });
    if (deleted < kDeleteBatch) break;
  }
}

}  // namespace freshlane::storage
