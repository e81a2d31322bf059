#pragma once
// Expires unpaid orders whose payment window has closed (releasing their stock) and prunes
// idempotency keys older than 24 h, every `interval`, on the database pool.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "freshlane/storage/pool.hpp"

namespace freshlane::app {

class Sweeper {
 public:
  Sweeper(storage::Pool& pool, std::chrono::milliseconds interval);
  ~Sweeper();
  void stop();

 private:
  storage::Pool& pool_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace freshlane::app
