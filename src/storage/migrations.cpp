#include "freshlane/storage/migrations.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "freshlane/core/crypto.hpp"
#include "freshlane/storage/embedded_files.hpp"
#include "freshlane/storage/pool.hpp"
#include "sql.hpp"

namespace freshlane::storage {

namespace {
constexpr long long kAdvisoryLockKey = 0x667265736821;  // "fresh!"

const char* const kCreateHistory = R"sql(
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  ))sql";

const Query kHistoryExists{"schema_history_exists",
                           "SELECT to_regclass('schema_migrations') IS NOT NULL"};
const Query kHistory{"schema_history", "SELECT version, name, checksum FROM schema_migrations"};

// Prepared statements: a broken connection then fails on the path libpqxx 6.4 leaks least on
// (see scripts/sanitize.supp); the periodic jobs ask this every poll until it says current.
std::map<int, std::pair<std::string, std::string>> applied_history(Session& s, Tx& tx) {
  std::map<int, std::pair<std::string, std::string>> out;
  if (!exec(s, tx, kHistoryExists)[0][0].as<bool>()) return out;
  for (const auto& row : exec(s, tx, kHistory)) {
    out[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
  }
  return out;
}

SchemaStatus compare(const std::map<int, std::pair<std::string, std::string>>& applied) {
  SchemaStatus status;
  const auto& bundle = bundled_migrations();
  for (const auto& [version, record] : applied) {
    auto it = std::find_if(bundle.begin(), bundle.end(),
                           [&](const Migration& m) { return m.version == version; });
    if (it == bundle.end()) {
      throw MigrationMismatch("the database has migration " + record.first +
                              ", which this binary does not know: run a newer freshlane");
    }
    if (it->checksum != record.second) {
      throw MigrationMismatch("migration " + it->name +
                              " was changed after it was applied (checksum differs): restore "
                              "the original file and add a new migration instead");
    }
  }
  for (const auto& m : bundle) {
    if (!applied.count(m.version)) status.pending.push_back(m.version);
  }
  return status;
}
}  // namespace

const std::vector<Migration>& bundled_migrations() {
  static const std::vector<Migration> migrations = [] {
    std::vector<Migration> out;
    for (const auto& f : embedded_files()) {
      if (f.name.size() < 10 || f.name.substr(f.name.size() - 4) != ".sql") continue;
      const std::string name(f.name);
      if (name[4] != '_' || !std::all_of(name.begin(), name.begin() + 4, ::isdigit)) {
        throw std::logic_error("migration file " + name + " is not named NNNN_name.sql");
      }
      out.push_back({std::stoi(name.substr(0, 4)), name, std::string(f.content),
                     core::to_hex(core::sha256(f.content))});
    }
    std::sort(out.begin(), out.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    for (size_t i = 1; i < out.size(); ++i) {
      if (out[i].version == out[i - 1].version) {
        throw std::logic_error("two migrations share version " + std::to_string(out[i].version));
      }
    }
    return out;
  }();
  return migrations;
}

namespace {

// Applies one migration in its own transaction. Servers may be running (a rolling upgrade):
// a migration that alters a busy table waits at most 5 s for a lock instead of
// queueing every request behind it, and one that loses a deadlock or that wait against their
// transactions is tried again, a few times, after a pause. Once it holds its locks it runs to the
// end: a request's statement timeout would cancel a backfill of a big table (0018's took
// minutes on a year of a busy chain; docs/scaling.md, section 7).
void apply_one(pqxx::connection_base& conn, const Migration& m) {
  constexpr int kAttempts = 6;
  for (int attempt = 1;; ++attempt) {
    try {
      pqxx::work tx(conn);
      tx.exec("SET LOCAL lock_timeout = '5s'");
      tx.exec("SET LOCAL statement_timeout = 0");
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                     m.version, m.name, m.checksum);
      tx.commit();
      return;
    } catch (const pqxx::sql_error& e) {
      const bool contended = e.sqlstate() == "40P01" || e.sqlstate() == "55P03";
      if (!contended || attempt == kAttempts) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    }
  }
}

}  // namespace

std::vector<std::string> migrate(Session& session) {
  pqxx::connection_base& conn = session.connection();
  {
    pqxx::nontransaction lock(conn);
    lock.exec_params("SELECT pg_advisory_lock($1)", kAdvisoryLockKey);
  }
  std::vector<std::string> applied_now;
  try {
    {
      pqxx::work tx(conn);
      tx.exec(kCreateHistory);
      tx.commit();
    }
    std::map<int, std::pair<std::string, std::string>> history;
    {
      pqxx::read_transaction tx(conn);
      history = applied_history(session, tx);
    }
    const SchemaStatus status = compare(history);
    for (const auto& m : bundled_migrations()) {
      if (std::find(status.pending.begin(), status.pending.end(), m.version) ==
          status.pending.end()) {
        continue;
      }
      apply_one(conn, m);
      applied_now.push_back(m.name);
    }
  } catch (...) {
    pqxx::nontransaction unlock(conn);
    unlock.exec_params("SELECT pg_advisory_unlock($1)", kAdvisoryLockKey);
    throw;
  }
  pqxx::nontransaction unlock(conn);
  unlock.exec_params("SELECT pg_advisory_unlock($1)", kAdvisoryLockKey);
  return applied_now;
}

SchemaStatus check_schema(Session& session) {
  // No transaction (the history only grows): no BEGIN round trip, and no BEGIN for libpqxx to
  // leak in when the connection breaks under it.
  return single(session, [&](Tx& tx) { return compare(applied_history(session, tx)); });
}

}  // namespace freshlane::storage
