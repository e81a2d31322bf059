#include "freshlane/storage/idempotency_repository.hpp"

#include "sql.hpp"

namespace freshlane::storage {

namespace {
const Query kPrune{"idempotency_prune", R"sql(
  DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1))sql"};
}  // namespace

long long IdempotencyRepository::prune(std::chrono::seconds age) {
  return single(session_, [&](Tx& tx) {
    return static_cast<long long>(
        exec(session_, tx, kPrune, static_cast<double>(age.count())).affected_rows());
  });
}

}  // namespace freshlane::storage
