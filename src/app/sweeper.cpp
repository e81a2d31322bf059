#include "freshlane/app/sweeper.hpp"

#include <spdlog/spdlog.h>

#include "freshlane/storage/idempotency_repository.hpp"
#include "freshlane/storage/order_repository.hpp"

namespace freshlane::app {

Sweeper::Sweeper(storage::Pool& pool, std::chrono::milliseconds interval)
    : pool_(pool), interval_(interval), thread_([this] {
        std::unique_lock lock(mu_);
        while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
          pool_.submit(
              [](storage::Session& s) {
                try {
                  const int expired = storage::OrderRepository(s).expire_due(core::system_now());
                  if (expired > 0) spdlog::info("expired {} unpaid order(s)", expired);
                  storage::IdempotencyRepository(s).prune(std::chrono::hours(24));
                } catch (const std::exception& e) {
                  spdlog::warn("sweeper: {}", e.what());
                }
              },
              [] {});
        }
      }) {}

Sweeper::~Sweeper() { stop(); }

void Sweeper::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace freshlane::app
