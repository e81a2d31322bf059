#include "freshlane/app/periodic.hpp"

#include <spdlog/spdlog.h>

#include "freshlane/storage/idempotency_repository.hpp"
#include "freshlane/storage/order_repository.hpp"

namespace freshlane::app {

Periodic::Periodic(storage::Pool& pool, std::string name, std::chrono::milliseconds interval,
                   std::function<void(storage::Session&)> job)
    : pool_(pool),
      name_(std::move(name)),
      interval_(interval),
      job_(std::move(job)),
      thread_([this] {
        std::unique_lock lock(mu_);
        while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
          if (running_) continue;  // a slow database: never pile runs up in the pool's queue
          running_ = true;
          auto done = [this] {
            std::lock_guard l(mu_);
            running_ = false;
          };
          lock.unlock();  // a rejected job calls `done` right here
          pool_.submit(
              [this, done](storage::Session& s) {
                try {
                  job_(s);
                } catch (const std::exception& e) {
                  spdlog::warn("{}: {}", name_, e.what());
                }
                done();
              },
              done);
          lock.lock();
        }
      }) {}

Periodic::~Periodic() { stop(); }

void Periodic::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void sweep_expired(storage::Session& s) {
  const int expired = storage::OrderRepository(s).expire_due(core::system_now());
  if (expired > 0) spdlog::info("expired {} unpaid order(s)", expired);
  storage::IdempotencyRepository(s).prune(std::chrono::hours(24));
}

}  // namespace freshlane::app
