#pragma once
// Several `freshlane serve` processes on one database, and a client that spreads requests over
// them the way a load balancer does: each request to the next process in turn, a process that
// does not answer skipped (the request goes to the next one).
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "api/shop_fixture.hpp"

namespace freshlane::testing {

class Fleet {
 public:
  Fleet(const std::string& database_url, int size, std::map<std::string, std::string> env) {
    for (int i = 0; i < size; ++i) {
      servers_.push_back(std::make_unique<ServerProcess>(database_url, env));
      down_.push_back(std::make_unique<std::atomic<bool>>(false));
    }
  }

  ServerProcess& server(int i) { return *servers_[i]; }
  int size() const { return static_cast<int>(servers_.size()); }

  // One request to the next process in turn that answers.
  HttpResponse send(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::vector<Header>& headers = {}) {
    for (int tries = 0; tries < 4 * size(); ++tries) {
      const int i = static_cast<int>(next_++ % servers_.size());
      if (*down_[i]) continue;
      try {
        HttpResponse r = request(servers_[i]->port(), method, target, body, headers);
        note(r, method + " " + target);
        return r;
      } catch (const std::exception&) {
        ++unanswered_;  // killed or paused under the request: the balancer tries another
      }
    }
    throw std::runtime_error("no server answered " + method + " " + target);
  }
  HttpResponse get(const std::string& target, const std::vector<Header>& headers = {}) {
    return send("GET", target, "", headers);
  }

  // SIGKILL: the process dies with whatever it was doing; the balancer stops sending to it.
  void kill(int i) {
    *down_[i] = true;
    servers_[i]->stop(true);
  }
  void take_out(int i, bool out) { *down_[i] = out; }

  // Answers with a status of 500 or more other than 503 (which says "try again"), with bodies.
  std::vector<std::string> failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }
  std::map<int, int> statuses() const {
    std::lock_guard lock(mu_);
    return statuses_;
  }
  int unanswered() const { return unanswered_; }

 private:
  void note(const HttpResponse& r, const std::string& what) {
    std::lock_guard lock(mu_);
    ++statuses_[r.status];
    if (r.status >= 500 && r.status != 503) failures_.push_back(what + " → " + r.body);
  }
  std::vector<std::unique_ptr<ServerProcess>> servers_;
  std::vector<std::unique_ptr<std::atomic<bool>>> down_;
  std::atomic<unsigned> next_{0};
  std::atomic<int> unanswered_{0};
  mutable std::mutex mu_;
  std::map<int, int> statuses_;
  std::vector<std::string> failures_;
};

// Two `serve` processes on one fresh, migrated database; the shop is set up through the first.
struct TwoServers {
  explicit TwoServers(const std::map<std::string, std::string>& env) : TwoServers(env, env) {}
  TwoServers(std::map<std::string, std::string> env_a, std::map<std::string, std::string> env_b)
      : migrated((migrate_database(db.url()), true)),
        a(db.url(), std::move(env_a)),
        b(db.url(), std::move(env_b)) {}
  TestDatabase db;
  bool migrated;
  ServerProcess a, b;
  Shop shop{a};
};

// Reads a number from the test database.
inline long long db_number(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  const auto r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<long long>();
}

}  // namespace freshlane::testing
