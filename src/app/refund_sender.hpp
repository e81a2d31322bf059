#pragma once
// Sends owed refunds to the payment provider. Every process runs one; PostgreSQL decides which
// refund each attempt is (RefundRepository::claim_due: one claim per attempt, across the
// fleet). The call is made outside any database job: a claim, the signed POST with the refund
// id as its Idempotency-Key (a retry after a lost answer refunds once), then the outcome
// recorded against that attempt. Failures wait retry_base × 2^(attempt−1), at most 10 minutes;
// after max_attempts, or an answer that says the request itself is wrong (4xx), the refund is
// failed and a manager sees it (GET /v1/stores/{id}/refunds?state=failed).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "freshlane/app/periodic.hpp"
#include "freshlane/http/metrics.hpp"
#include "freshlane/storage/pool.hpp"
#include "freshlane/storage/refund_repository.hpp"

namespace freshlane::app {

// The wait before the attempt after `attempts` failed ones.
std::chrono::milliseconds refund_retry_delay(int attempts, std::chrono::milliseconds base);

class RefundSender {
 public:
  struct Options {
    std::string url;
    std::string secret;  // signs each call as the provider signs its webhooks
    std::chrono::milliseconds retry_base{2000};
    int max_attempts = 12;
    std::chrono::milliseconds poll{500};
    std::chrono::milliseconds timeout{5000};
  };
  RefundSender(storage::Pool& pool, http::Metrics& metrics, Options options);
  ~RefundSender();
  void stop();

 private:
  void loop();
  void send(const storage::Refund& refund);
  template <typename F>
  bool in_pool(F&& f);

  storage::Pool& pool_;
  Options options_;
  SchemaCurrent schema_current_;
  std::atomic<std::uint64_t> requested_{0}, retried_{0}, failed_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace freshlane::app
