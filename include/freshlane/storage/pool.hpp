#pragma once
// The database pool: N worker threads, each owning one libpqxx connection. Blocking database
// work runs here, never on the HTTP I/O threads. A full queue or an unreachable server is
// answered at once (the caller turns it into 503), never with a hang.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "freshlane/catalog/product.hpp"

namespace pqxx {
class connection_base;
class transaction_base;
}  // namespace pqxx

namespace freshlane::storage {

struct PoolConfig {
  std::string url;
  int size = 4;                                       // connections = worker threads
  std::size_t max_queue = 1024;                       // waiting jobs beyond → rejected
  std::chrono::milliseconds statement_timeout{5000};  // per SQL statement
  // Named statements prepared once per connection. Off behind a pooler in transaction mode
  // (pgbouncer), where a connection's server-side state does not survive the transaction:
  // every statement then travels with its text, and the session settings below are left to
  // the pooler's connect_query.
  bool prepare = true;
  std::chrono::milliseconds queue_timeout{5000};     // a job older than this is rejected
  std::chrono::milliseconds reconnect_backoff{500};  // after a failed connect
};

// A named SQL statement, prepared once per connection on first use and planned once (the
// connections run with generic plans).
struct Query {
  const char* name;
  const char* sql;
};

class Pool;

// One worker's connection, lent to one job at a time.
class Session {
 public:
  ~Session();
  // Connects on first use; throws core::Error(kUnavailable) when the server cannot be reached.
  pqxx::connection_base& connection();
  // Prepares `q` on this connection unless it already is.
  void prepare(const Query& q);

  // Repositories call this when a job changes a store product's price, listing or stock (or,
  // with an empty store_id, the product everywhere): whatever cached answers about it must go.
  void changed(catalog::ProductKey key);
  // Hands the changes recorded so far to the pool's listener and forgets them. The pool does
  // it after every job; a handler does it before its response leaves, so the client's next
  // read sees its own write.
  void publish_changes();

  // Runs `f` once the transaction open on this session commits, and never if it rolls back;
  // at once when no transaction is open. Memory that mirrors what a transaction writes is
  // updated this way, so it never runs ahead of the database.
  void after_commit(std::function<void()> f);

  bool prepares_statements() const;

 private:
  friend class Pool;
  friend class TransactionScope;  // storage/sql.hpp: opens and closes the session's transaction
  struct Connection;  // owns the pqxx::connection (an alias, so it cannot be forward-declared)
  explicit Session(Pool& pool);
  void drop_if_broken();
  Pool& pool_;
  std::unique_ptr<Connection> conn_;
  std::set<std::string> prepared_;
  std::vector<catalog::ProductKey> changes_;
  pqxx::transaction_base* open_ = nullptr;  // the transaction repositories join, if any
  std::vector<std::function<void()>> after_commit_;
};

class Pool {
 public:
  explicit Pool(PoolConfig config);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Queues `run` for a worker. When the job cannot run (queue full, waited too long, pool
  // stopping) `reject` is called instead, on some thread. Returns false if rejected at once.
  bool submit(std::function<void(Session&)> run, std::function<void()> reject);

  // Runs `run` on the calling thread with a fresh session (commands, tests).
  void run_here(const std::function<void(Session&)>& run);

  // Who hears of changed store products (see Session::changed). Set before submitting jobs.
  using ChangeListener = std::function<void(const std::vector<catalog::ProductKey>&)>;
  void on_catalog_change(ChangeListener listener) { listener_ = std::move(listener); }

  // How long jobs wait for a connection and how long they hold one (their transactions and
  // queries), for whoever measures it (metrics: storage knows nothing of them). Called on the
  // worker thread, once per job taken from the queue: `waited` from submit to a worker taking
  // it (a job then found too old is counted too), `held` for the run of one that runs.
  struct Timings {
    std::function<void(std::chrono::nanoseconds)> waited;
    std::function<void(std::chrono::nanoseconds)> held;
  };
  void on_timings(Timings timings);

  // Rejects what is still queued, finishes running jobs, closes connections.
  void stop();

  std::size_t in_use() const { return busy_.load(); }
  std::size_t waiting() const;
  const PoolConfig& config() const { return config_; }

 private:
  friend class Session;
  struct Job {
    std::function<void(Session&)> run;
    std::function<void()> reject;
    std::chrono::steady_clock::time_point queued_at;
  };
  void worker();
  std::unique_ptr<Session::Connection> connect();

  PoolConfig config_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::atomic<std::size_t> busy_{0};
  std::atomic<std::int64_t> down_until_ns_{0};  // steady clock; no connect attempts before it
  std::vector<std::thread> workers_;
  ChangeListener listener_;
  std::shared_ptr<const Timings> timings_;  // under mu_; read by workers as they take a job
};

}  // namespace freshlane::storage
