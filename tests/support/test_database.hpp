#pragma once
// A fresh, empty database per test on the PostgreSQL that scripts/test started, dropped after.
// FRESHLANE_TEST_DATABASE_URL points at that server's `postgres` database.
#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <pqxx/pqxx>
#include <string>

namespace freshlane::testing {

inline std::string admin_database_url() {
  const char* url = std::getenv("FRESHLANE_TEST_DATABASE_URL");
  if (!url || !*url) {
    ADD_FAILURE() << "FRESHLANE_TEST_DATABASE_URL is not set: run the suite with scripts/test";
    throw std::runtime_error("FRESHLANE_TEST_DATABASE_URL is not set");
  }
  return url;
}

// "postgresql://u:p@h:port/postgres" → same server, database `name`.
inline std::string with_database(const std::string& url, const std::string& name) {
  const auto slash = url.rfind('/');
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

class TestDatabase {
 public:
  TestDatabase() {
    static std::atomic<int> counter{0};
    name_ = "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(std::rand() % 100000);
    admin_url_ = admin_database_url();
    pqxx::connection c(admin_url_);
    pqxx::nontransaction tx(c);
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
    url_ = with_database(admin_url_, name_);
  }
  ~TestDatabase() {
    try {
      pqxx::connection c(admin_url_);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
    } catch (...) {
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string admin_url_, url_, name_;
};

}  // namespace freshlane::testing
