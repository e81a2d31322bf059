#include "freshlane/storage/pool.hpp"

#include <pqxx/pqxx>

#include <algorithm>

#include "freshlane/core/error.hpp"
#include "freshlane/storage/errors.hpp"

namespace freshlane::storage {

using Clock = std::chrono::steady_clock;

struct Session::Connection {
  explicit Connection(const std::string& url) : conn(url) {}
  pqxx::connection conn;
};

Session::Session(Pool& pool) : pool_(pool) {}
Session::~Session() = default;

namespace {
// What every connection runs with, derived from the statement timeout (behind a transaction
// pooler, its connect_query says the same: scripts/pgbouncer-config).
std::vector<std::string> session_settings(std::chrono::milliseconds statement_timeout) {
  const auto ms = statement_timeout.count();
  // A lock held longer than this belongs to a stuck or paused process: give up (503) rather
  // than let its store's requests fill every worker. A transaction left idle that long is
  // ended by the server, which frees its locks; its process's writes are then void.
  // Statements are keyed lookups whose best plan does not depend on the values: planned once
  // per connection, not again for every execution (an order's read took 0.4 ms to plan).
  // No JIT: a store-scoped read's estimated cost grows with a year of history (its generic plan
  // sums every month's partition) past jit_above_cost, and then compiling it took 55 ms of a
  // 56 ms answer (bench/chain, section 6). No parallel workers: a generic plan sized for a
  // busy store's year is a parallel one, and starting its workers took 60-80 ms of a forecast
  // whose range held nothing; two cores serving many requests gain nothing from them.
  return {"SET statement_timeout = " + std::to_string(ms),
          "SET lock_timeout = " + std::to_string(std::max<long long>(ms / 2, 1)),
          "SET idle_in_transaction_session_timeout = " + std::to_string(ms),
          "SET plan_cache_mode = force_generic_plan",
          "SET jit = off",
          "SET max_parallel_workers_per_gather = 0"};
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}
}  // namespace

Pool::Pool(PoolConfig config) : config_(std::move(config)) {
  // libpq reads these when the URL does not say: never wait long for an unreachable server.
  setenv("PGCONNECT_TIMEOUT", "3", 0);
  setenv("PGAPPNAME", "freshlane", 0);
  for (int i = 0; i < config_.size; ++i) workers_.emplace_back([this] { worker(); });
}

Pool::~Pool() { stop(); }

std::size_t Pool::waiting() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

bool Pool::submit(std::function<void(Session&)> run, std::function<void()> reject) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < config_.max_queue) {
      queue_.push_back({std::move(run), std::move(reject), Clock::now()});
      cv_.notify_one();
      return true;
    }
  }
  reject();
  return false;
}

void Pool::run_here(const std::function<void(Session&)>& run) {
  Session session(*this);
  run(session);
  session.publish_changes();
}

void Pool::stop() {
  std::deque<Job> rejected;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    rejected.swap(queue_);
    cv_.notify_all();
  }
  for (auto& job : rejected) job.reject();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void Pool::on_timings(Timings timings) {
  std::lock_guard lock(mu_);
  timings_ = std::make_shared<const Timings>(std::move(timings));
}

void Pool::worker() {
  Session session(*this);
  for (;;) {
    Job job;
    std::shared_ptr<const Timings> timings;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      job = std::move(queue_.front());
      queue_.pop_front();
      timings = timings_;
    }
    const auto taken = Clock::now();
    if (timings && timings->waited) timings->waited(taken - job.queued_at);
    if (taken - job.queued_at > config_.queue_timeout) {
      job.reject();  // the client has likely given up; do not spend a connection on it
      continue;
    }
    ++busy_;
    job.run(session);
    if (timings && timings->held) timings->held(Clock::now() - taken);
    session.publish_changes();
    --busy_;
    session.drop_if_broken();
  }
}

std::unique_ptr<Session::Connection> Pool::connect() {
  if (now_ns() < down_until_ns_.load()) {
    throw core::Error(core::ErrorKind::kUnavailable, "the database is unreachable");
  }
  try {
    auto conn = std::make_unique<Session::Connection>(config_.url);
    if (config_.prepare) {  // behind a transaction pooler its connect_query says these
      pqxx::nontransaction setup(conn->conn);
      for (const auto& set : session_settings(config_.statement_timeout)) setup.exec(set);
      setup.commit();
    }
    return conn;
  } catch (const std::exception& e) {
    down_until_ns_.store(
        now_ns() +
        std::chrono::duration_cast<std::chrono::nanoseconds>(config_.reconnect_backoff).count());
    // /readyz tells ops which it is: a refusal will not pass by waiting.
    switch (classify_connect_failure(e.what())) {
      case DatabaseProbe::Outcome::kRefusedCredentials:
        throw core::Error(core::ErrorKind::kUnavailable,
                          "the database refused freshlane's credentials");
      case DatabaseProbe::Outcome::kNoSuchDatabase:
        throw core::Error(core::ErrorKind::kUnavailable,
                          "the database or role in FRESHLANE_DATABASE_URL does not exist");
      default:
        throw core::Error(core::ErrorKind::kUnavailable, "the database is unreachable");
    }
  }
}

pqxx::connection_base& Session::connection() {
  drop_if_broken();
  if (!conn_) conn_ = pool_.connect();
  return conn_->conn;
}

bool Session::prepares_statements() const { return pool_.config_.prepare; }

void Session::after_commit(std::function<void()> f) {
  if (open_) {
    after_commit_.push_back(std::move(f));
  } else {
    f();
  }
}

void Session::prepare(const Query& q) {
  auto& c = connection();
  if (prepared_.insert(q.name).second) c.prepare(q.name, q.sql);
}

void Session::changed(catalog::ProductKey key) {
  if (std::find(changes_.begin(), changes_.end(), key) == changes_.end()) {
    changes_.push_back(std::move(key));
  }
}

void Session::publish_changes() {
  if (changes_.empty()) return;
  if (pool_.listener_) pool_.listener_(changes_);
  changes_.clear();
}

void Session::drop_if_broken() {
  if (conn_ && !conn_->conn.is_open()) {
    conn_.reset();
    prepared_.clear();
  }
}

}  // namespace freshlane::storage
