#include "freshlane/storage/idempotency_repository.hpp"

#include "order_path.hpp"
#include "sql.hpp"

namespace freshlane::storage {

namespace {
// A claim still unanswered after a minute belongs to a request that died (order creation is
// bounded by the statement timeout): the next request with the same key and body takes it over.
const Query kTakeOver{"idempotency_take_over", R"sql(
  UPDATE idempotency_keys SET created_at = now()
  WHERE customer_id = $1 AND key = $2 AND request_hash = $3 AND status IS NULL
    AND created_at < now() - interval '60 seconds')sql"};
const Query kFind{"idempotency_find", R"sql(
  SELECT request_hash, status, COALESCE(response_body, '') FROM idempotency_keys
  WHERE customer_id = $1 AND key = $2)sql"};
const Query kRelease{"idempotency_release", R"sql(
  DELETE FROM idempotency_keys WHERE customer_id = $1 AND key = $2 AND status IS NULL)sql"};
const Query kPrune{"idempotency_prune", R"sql(
  DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1))sql"};
}  // namespace

IdempotencyClaim IdempotencyRepository::claim(const std::string& customer_id,
                                              const std::string& key,
                                              const std::string& request_hash) {
  using Outcome = IdempotencyClaim::Outcome;
  // Each statement stands alone (autocommit): the usual claim is one round trip.
  pqxx::nontransaction tx(session_.connection());
  if (exec(session_, tx, order_path::kClaim, customer_id, key, request_hash).affected_rows() == 1) {
    return {Outcome::kClaimed, 0, {}};
  }
  if (exec(session_, tx, kTakeOver, customer_id, key, request_hash).affected_rows() == 1) {
    return {Outcome::kClaimed, 0, {}};
  }
  const auto r = exec(session_, tx, kFind, customer_id, key);
  if (r.empty()) return {Outcome::kInProgress, 0, {}};  // released in between: let the client retry
  if (r[0][0].as<std::string>() != request_hash) return {Outcome::kReusedWithOtherBody, 0, {}};
  if (r[0][1].is_null()) return {Outcome::kInProgress, 0, {}};
  return {Outcome::kReplay, r[0][1].as<int>(), r[0][2].as<std::string>()};
}

void IdempotencyRepository::complete(const std::string& customer_id, const std::string& key,
                                     int status, const std::string& body) {
  pqxx::nontransaction tx(session_.connection());
  exec(session_, tx, order_path::kComplete, customer_id, key, status, body);
}

void IdempotencyRepository::release(const std::string& customer_id, const std::string& key) {
  pqxx::nontransaction tx(session_.connection());
  exec(session_, tx, kRelease, customer_id, key);
}

long long IdempotencyRepository::prune(std::chrono::seconds age) {
  pqxx::work tx(session_.connection());
  const auto r = exec(session_, tx, kPrune, static_cast<double>(age.count()));
  tx.commit();
  return static_cast<long long>(r.affected_rows());
}

}  // namespace freshlane::storage
