#include "freshlane/storage/refund_repository.hpp"

#include "sql.hpp"

namespace freshlane::storage {

namespace {
// `payment_ref`: the payment a refund goes back to, which only the sender needs ('' in lists).
#define FRESHLANE_REFUND_COLUMNS(payment_ref)                                               \
  "r.refund_id, r.order_id, r.store_id, r.amount_minor, r.currency, r.reason, r.state, "    \
  "r.attempts, extract(epoch FROM r.next_attempt_at)::bigint, COALESCE(r.last_error, ''), " \
  "COALESCE(r.provider_ref, ''), " payment_ref ", extract(epoch FROM r.created_at)::bigint "
#define FRESHLANE_PAYMENT_REF                                                        \
  "COALESCE((SELECT e.event_id FROM payment_events e WHERE e.order_id = r.order_id " \
  "          AND e.status = 'succeeded' ORDER BY e.received_at LIMIT 1), '')"

const Query kClaimDue{"refund_claim_due",
                      "WITH due AS (SELECT refund_id FROM refunds "
                      "  WHERE state = 'owed' AND next_attempt_at <= to_timestamp($1) "
                      "  ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED), "
                      "claimed AS (UPDATE refunds r SET attempts = r.attempts + 1, "
                      "  next_attempt_at = to_timestamp($1) + make_interval(secs => $2), "
                      "  updated_at = now() FROM due WHERE r.refund_id = due.refund_id "
                      "  RETURNING r.*) "
                      "SELECT " FRESHLANE_REFUND_COLUMNS(FRESHLANE_PAYMENT_REF) "FROM claimed r"};
const Query kOfOrder{"refund_of_order", "SELECT " FRESHLANE_REFUND_COLUMNS("''")
                                        "FROM refunds r WHERE r.order_id = $1 "
                                        "ORDER BY r.created_at, r.refund_id"};
const Query kOfStore{"refund_of_store",
                     "SELECT " FRESHLANE_REFUND_COLUMNS("''")
                     "FROM refunds r WHERE r.store_id = $1 AND ($2 = '' OR r.state = $2) "
                     "ORDER BY r.created_at DESC, r.refund_id DESC LIMIT $3 OFFSET $4"};
#undef FRESHLANE_PAYMENT_REF
#undef FRESHLANE_REFUND_COLUMNS

const Query kRequested{"refund_requested", R"sql(
  UPDATE refunds SET state = 'requested', provider_ref = NULLIF($3, ''), last_error = NULL,
                     updated_at = now()
  WHERE refund_id = $1 AND attempts = $2 AND state = 'owed')sql"};
const Query kRetry{"refund_retry", R"sql(
  UPDATE refunds SET state = CASE WHEN $5 THEN 'failed' ELSE 'owed' END, last_error = $3,
                     next_attempt_at = to_timestamp($4), updated_at = now()
  WHERE refund_id = $1 AND attempts = $2 AND state = 'owed')sql"};
const Query kSettle{"refund_settle", R"sql(
  WITH found AS (SELECT refund_id, state FROM refunds WHERE refund_id = $1 FOR UPDATE),
  settled AS (
    UPDATE refunds r SET state = CASE WHEN $2 THEN 'refunded' ELSE 'failed' END,
                         updated_at = now()
    FROM found WHERE r.refund_id = found.refund_id AND found.state IN ('owed', 'requested')
    RETURNING 1)
  SELECT (SELECT count(*) FROM found), (SELECT count(*) FROM settled))sql"};

Refund read_refund(const pqxx::row& r) {
  Refund x;
  x.refund_id = r[0].as<std::string>();
  x.order_id = r[1].as<std::string>();
  x.store_id = r[2].as<std::string>();
  x.amount_minor = r[3].as<long long>();
  x.currency = r[4].as<std::string>();
  x.reason = r[5].as<std::string>();
  x.state = r[6].as<std::string>();
  x.attempts = r[7].as<int>();
  x.next_attempt_at = from_epoch(r[8]);
  x.last_error = r[9].as<std::string>();
  x.provider_ref = r[10].as<std::string>();
  x.payment_ref = r[11].as<std::string>();
  x.created_at = from_epoch(r[12]);
  return x;
}

std::vector<Refund> read_all(const pqxx::result& rows) {
  std::vector<Refund> out;
  for (const auto& r : rows) out.push_back(read_refund(r));
  return out;
}
}  // namespace

std::vector<Refund> RefundRepository::claim_due(core::Timestamp now, std::chrono::seconds lease,
                                                int limit) {
  return write(session_, [&](Tx& tx) {
    return read_all(
        exec(session_, tx, kClaimDue, epoch(now), static_cast<double>(lease.count()), limit));
  });
}

bool RefundRepository::mark_requested(const std::string& refund_id, int attempt,
                                      const std::string& provider_ref) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kRequested, refund_id, attempt, provider_ref).affected_rows() == 1;
  });
}

bool RefundRepository::mark_retry(const std::string& refund_id, int attempt,
                                  const std::string& error, core::Timestamp next, bool give_up) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kRetry, refund_id, attempt, error, epoch(next), give_up)
               .affected_rows() == 1;
  });
}

std::optional<bool> RefundRepository::settle(const std::string& refund_id, bool refunded) {
  return write(session_, [&](Tx& tx) -> std::optional<bool> {
    const auto r = exec(session_, tx, kSettle, refund_id, refunded);
    if (r[0][0].as<int>() == 0) return std::nullopt;
    return r[0][1].as<int>() == 1;
  });
}

std::vector<Refund> RefundRepository::of_order(const std::string& order_id) {
  return single(session_, [&](Tx& tx) { return read_all(exec(session_, tx, kOfOrder, order_id)); });
}

std::vector<Refund> RefundRepository::of_store(const std::string& store_id,
                                               const std::string& state, int limit, int offset) {
  return single(session_, [&](Tx& tx) {
    return read_all(exec(session_, tx, kOfStore, store_id, state, limit, offset));
  });
}

}  // namespace freshlane::storage
