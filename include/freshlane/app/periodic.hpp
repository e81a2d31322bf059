#pragma once
// Work that runs by the clock, shared by every server process.
//
// Periodic runs a job on the database pool every `interval` until stopped. The fleet's jobs
// (a store's floor clock and dispatch rounds, the chain's expiry sweep) poll for claims every
// fraction of their period, so each store's job runs once per period across all processes
// (storage/job_repository.hpp) and a stopped or paused process's stores are taken over one
// period later. The change feed is polled by every process for its own cache.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "freshlane/storage/job_repository.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::app {

// Whether the database's schema is the one this binary was built for. Periodic work waits for
// it: a server started before `freshlane migrate` must not query half-made tables (nor hold
// their locks while a migration waits for them). Once current, it is not asked again.
class SchemaCurrent {
 public:
  bool operator()(storage::Session& session);

 private:
  std::atomic<bool> known_{false};
};

class Periodic {
 public:
  // A job that throws is logged under `name` and runs again next time. Jobs run only once
  // the schema is current.
  Periodic(storage::Pool& pool, std::string name, std::chrono::milliseconds interval,
           std::function<void(storage::Session&)> job);
  ~Periodic();
  void stop();

 private:
  storage::Pool& pool_;
  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void(storage::Session&)> job_;
  SchemaCurrent schema_current_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool running_ = false;  // a run is queued or under way: the next one waits its turn
  std::thread thread_;
};

// Polls for `job` claims every quarter period (50 ms to 1 s) and runs each claim it wins with
// `work(session, store_id)` inside the claim's checked transaction. Counts runs and claims
// found void (taken over while waiting) in `runs` / `voided`.
class ClaimedJob {
 public:
  using Work = std::function<void(storage::Session&, const std::string& store_id)>;
  ClaimedJob(storage::Pool& pool, storage::Job job, std::chrono::milliseconds period, Work work);
  void stop() { poller_.stop(); }
  std::uint64_t runs() const { return runs_; }
  std::uint64_t voided() const { return voided_; }

 private:
  void poll(storage::Session& s);
  storage::Job job_;
  std::chrono::milliseconds period_;
  Work work_;
  std::atomic<std::uint64_t> runs_{0}, voided_{0};
  Periodic poller_;  // last: it starts polling at once
};

// The expiry sweep's work: unpaid orders expire, idempotency keys and store events older than
// 24 h go, and so do change-feed rows older than a minute; the floor and delivery event logs
// keep `retention_months` whole months (and three ahead) as partitions.
void sweep_expired(storage::Session& session, int retention_months);

}  // namespace freshlane::app
