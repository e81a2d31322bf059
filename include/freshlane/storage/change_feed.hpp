#pragma once
// Which store products changed, by any process or by hand in SQL: triggers on lots, listings,
// products and ratings write catalog_changes in the changing transaction; a reader asks for
// the rows that became visible since it last asked (by PostgreSQL snapshot, so a transaction
// that commits late is never skipped, and none is read twice). Each server process polls it
// and drops its cached answers about what changed. Works through a transaction pooler: no
// LISTEN, no session state. Revoked tokens travel the same way (token_revocations), so a token
// a manager revoked stops working in every process within a poll.
#include <chrono>
#include <string>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct Changes {
  std::vector<catalog::ProductKey> products;
  std::vector<std::string> revoked_tokens;  // SHA-256 hashes, hex
};

class ChangeFeed {
 public:
  // What changed since the last poll (nothing on the first: it marks where reading starts).
  Changes poll(Session& session);
  // Forgets changes older than `age` (every reader has long seen them).
  static long long prune(Session& session, std::chrono::seconds age);

 private:
  std::string seen_;  // the snapshot of the last poll, as text
};

}  // namespace freshlane::storage
