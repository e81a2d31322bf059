#pragma once
// One migrated database and one running `freshlane serve` per test suite.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>

#include "support/server_process.hpp"
#include "support/test_database.hpp"

namespace freshlane::testing {

inline void migrate_database(const std::string& url) {
  std::string out;
  const int code = run_freshlane({"migrate"}, {{"FRESHLANE_DATABASE_URL", url}}, &out);
  if (code != 0) throw std::runtime_error("freshlane migrate failed: " + out);
}

// For suites that sign up dozens of customers from 127.0.0.1 within seconds, more than the
// per-address sign-up limit lets one client do (tests/api/abuse_api_test.cpp covers that limit).
inline const std::map<std::string, std::string> kManySignUps{
    {"FRESHLANE_RATE_SIGNUPS_PER_MINUTE", "0"}};

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { start_suite({}); }
  // A suite's database and server, with `env` added to the server's (see ServerProcess).
  static void start_suite(const std::map<std::string, std::string>& env) {
    db_ = new TestDatabase();
    migrate_database(db_->url());
    server_ = new ServerProcess(db_->url(), env);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete db_;
  }
  static ServerProcess& server() { return *server_; }
  static const std::string& database_url() { return db_->url(); }

  static HttpResponse admin(const std::string& method, const std::string& target,
                            const nlohmann::json& body) {
    return server_->admin(method, target, body.is_null() ? "" : body.dump());
  }

  inline static TestDatabase* db_ = nullptr;
  inline static ServerProcess* server_ = nullptr;
};

inline bool is_problem(const HttpResponse& r, int status, const std::string& code) {
  if (r.status != status) return false;
  if (r.header("content-type") != "application/problem+json") return false;
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  return j.is_object() && j.value("code", "") == code && j.value("status", 0) == status &&
         j.contains("title") && j.contains("type") && j.contains("detail");
}

}  // namespace freshlane::testing
