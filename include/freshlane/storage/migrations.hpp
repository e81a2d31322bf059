#pragma once
// Schema migrations: migrations/NNNN_name.sql, compiled into the binary, applied in order, each
// in its own transaction, recorded in schema_migrations with a SHA-256 checksum. Runs are
// serialized by an advisory lock, so concurrent `migrate` processes are safe.
#include <stdexcept>
#include <string>
#include <vector>

namespace freshlane::storage {

class Session;

struct Migration {
  int version;
  std::string name;  // file name
  std::string sql;
  std::string checksum;  // hex SHA-256 of the file
};

// The migrations bundled in this binary, by version. Throws on a misnamed or duplicate file.
const std::vector<Migration>& bundled_migrations();

// Thrown when the database's history disagrees with the bundle: an applied file was edited, or
// the database has a migration this binary does not know. Start-up must stop.
class MigrationMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SchemaStatus {
  std::vector<int> pending;  // bundled, not yet applied
};

// Applies pending migrations; returns the names applied (empty when up to date).
std::vector<std::string> migrate(Session& session);

// Compares the database with the bundle without changing anything. Throws MigrationMismatch.
SchemaStatus check_schema(Session& session);

}  // namespace freshlane::storage
