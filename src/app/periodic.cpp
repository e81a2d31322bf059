#include "freshlane/app/periodic.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "freshlane/storage/change_feed.hpp"
#include "freshlane/storage/event_repository.hpp"
#include "freshlane/storage/fresh_repository.hpp"
#include "freshlane/storage/idempotency_repository.hpp"
#include "freshlane/storage/migrations.hpp"
#include "freshlane/storage/order_repository.hpp"

namespace freshlane::app {

bool SchemaCurrent::operator()(storage::Session& session) {
  if (known_) return true;
  try {
    known_ = storage::check_schema(session).pending.empty();
  } catch (const std::exception&) {
    return false;  // not migrated yet, or the database is away: /readyz says which
  }
  return known_;
}

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
                  if (schema_current_(s)) job_(s);
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

namespace {
// Summed sales days kept: a forecast reads at most 365 days of history (forecasts.cpp) before
// the day it is for, and a day or two ahead of today.
constexpr int kSalesDaysKept = 400;

std::chrono::milliseconds poll_interval(std::chrono::milliseconds period) {
  return std::clamp(period / 4, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
}
}  // namespace

ClaimedJob::ClaimedJob(storage::Pool& pool, storage::Job job, std::chrono::milliseconds period,
                       Work work)
    : job_(job),
      period_(period),
      work_(std::move(work)),
      poller_(pool, std::string(storage::to_string(job)) + " job", poll_interval(period),
              [this](storage::Session& s) { poll(s); }) {}

void ClaimedJob::poll(storage::Session& s) {
  // Claims in batches while whole batches come back, so a process serving hundreds of stores
  // runs every due one in this poll (one batch a poll capped it at 64 stores a quarter period),
  // but never longer than a period: jobs that come due again meanwhile wait for the next poll,
  // and the fleet's other processes claim what this one cannot reach.
  constexpr int kBatch = 64;
  storage::JobRepository jobs(s);
  const auto until = std::chrono::steady_clock::now() + period_;
  for (;;) {
    const auto claims = jobs.claim(job_, period_, kBatch);
    for (const auto& claim : claims) {
      try {
        if (jobs.run(claim, [&] { work_(s, claim.store_id); })) {
          ++runs_;
        } else {
          ++voided_;
        }
      } catch (const std::exception& e) {
        spdlog::warn("{} job of store '{}': {}", storage::to_string(job_), claim.store_id,
                     e.what());
      }
    }
    if (claims.size() < kBatch || std::chrono::steady_clock::now() >= until) break;
  }
}

void sweep_expired(storage::Session& s, int retention_months) {
  const int expired = storage::OrderRepository(s).expire_due(core::system_now());
  if (expired > 0) spdlog::info("expired {} unpaid order(s)", expired);
  // The housekeeping runs once the claim's transaction has committed, each part in
  // transactions of its own: a long prune holds nothing of the expiry's, and a part that fails
  // (a partition's DDL waiting on a lock) neither undoes the expiry nor stops the other parts.
  s.after_commit([&s, retention_months] {
    const auto part = [](const char* what, auto&& f) {
      try {
        f();
      } catch (const std::exception& e) {
        spdlog::warn("expiry sweep, {}: {}", what, e.what());
      }
    };
    part("idempotency keys",
         [&] { storage::IdempotencyRepository(s).prune(std::chrono::hours(24)); });
    part("change feed", [&] { storage::ChangeFeed::prune(s, std::chrono::seconds(60)); });
    part("store events", [&] { storage::EventRepository(s).prune(std::chrono::hours(24)); });
    part("sales days", [&] { storage::FreshRepository(s).prune_sales_days(kSalesDaysKept); });
    part("event log months", [&] {
      if (const int changed = storage::EventRepository(s).keep_months(retention_months)) {
        spdlog::info("event logs: {} monthly partition(s) added or dropped", changed);
      }
    });
  });
}

}  // namespace freshlane::app
