#pragma once
// Idempotency keys of order creation, scoped per customer. A key is written with its answer in
// the order's own transaction (OrderRepository::place); here they are only pruned.
#include <chrono>

#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

class IdempotencyRepository {
 public:
  explicit IdempotencyRepository(Session& session) : session_(session) {}

  // Deletes keys older than `age`; returns how many.
  long long prune(std::chrono::seconds age);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
