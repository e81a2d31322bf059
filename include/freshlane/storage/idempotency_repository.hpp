#pragma once
// Idempotency keys for order creation, scoped per customer. The first request claims the key
// (committed at once, so a concurrent twin sees it in progress), then stores its response.
#include <chrono>
#include <string>

#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct IdempotencyClaim {
  enum class Outcome { kClaimed, kInProgress, kReusedWithOtherBody, kReplay } outcome;
  int status = 0;    // kReplay
  std::string body;  // kReplay
};

class IdempotencyRepository {
 public:
  explicit IdempotencyRepository(Session& session) : session_(session) {}

  IdempotencyClaim claim(const std::string& customer_id, const std::string& key,
                         const std::string& request_hash);
  void complete(const std::string& customer_id, const std::string& key, int status,
                const std::string& body);
  // Forgets a claim whose request failed in a way worth retrying (5xx).
  void release(const std::string& customer_id, const std::string& key);
  // Deletes keys older than `age`; returns how many.
  long long prune(std::chrono::seconds age);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
