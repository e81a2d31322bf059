#pragma once
// Refunds owed to customers (migration 0010 writes them where the money becomes owed) and their
// way to the payment provider: claimed for one attempt at a time (fenced by the attempt count,
// so two processes never both count one attempt), then recorded as requested, retried later or
// failed; the provider's webhook settles them.
#include <optional>
#include <string>
#include <vector>

#include "freshlane/core/time.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct Refund {
  std::string refund_id;
  std::string order_id;
  std::string store_id;
  long long amount_minor = 0;
  std::string currency;
  std::string reason;  // short_pick, weight_adjustment, cancelled_after_payment, paid_after_expiry
  std::string state;   // owed, requested, refunded, failed
  int attempts = 0;
  core::Timestamp next_attempt_at;
  std::string last_error;
  std::string provider_ref;
  // The provider's event that took the money ("" if none is known); read for claims only.
  std::string payment_ref;
  core::Timestamp created_at;
};

class RefundRepository {
 public:
  explicit RefundRepository(Session& session) : session_(session) {}

  // Owed refunds whose attempt is due at `now`, at most `limit`: each one's attempt count goes
  // up by one and its next attempt moves to `now + lease` (a process that dies mid-call leaves
  // it to be tried again then). Returned with the new count.
  std::vector<Refund> claim_due(core::Timestamp now, std::chrono::seconds lease, int limit);
  // The attempt `attempt` reached the provider: requested. false when the refund moved on.
  bool mark_requested(const std::string& refund_id, int attempt, const std::string& provider_ref);
  // The attempt failed: try again at `next` (or give up: failed). false when it moved on.
  bool mark_retry(const std::string& refund_id, int attempt, const std::string& error,
                  core::Timestamp next, bool give_up);
  // The provider's word: refunded or failed. nullopt: no such refund; false: it was settled
  // before (nothing changes).
  std::optional<bool> settle(const std::string& refund_id, bool refunded);

  std::vector<Refund> of_order(const std::string& order_id);
  // A store's refunds, newest first, in one state or all (""), skipping the first `offset`.
  std::vector<Refund> of_store(const std::string& store_id, const std::string& state, int limit,
                               int offset);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
