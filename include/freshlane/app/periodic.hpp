#pragma once
// Runs a job on the database pool every `interval` until stopped: the expiry sweeper (unpaid
// orders expire, idempotency keys older than 24 h go) and the picking floors' clock.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "freshlane/storage/pool.hpp"

namespace freshlane::app {

class Periodic {
 public:
  // A job that throws is logged under `name` and runs again next time.
  Periodic(storage::Pool& pool, std::string name, std::chrono::milliseconds interval,
           std::function<void(storage::Session&)> job);
  ~Periodic();
  void stop();

 private:
  storage::Pool& pool_;
  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void(storage::Session&)> job_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool running_ = false;  // a run is queued or under way: the next one waits its turn
  std::thread thread_;
};

// The expiry sweeper's job.
void sweep_expired(storage::Session& session);

}  // namespace freshlane::app
