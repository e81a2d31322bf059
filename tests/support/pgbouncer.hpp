#pragma once
// Debian's pgbouncer in transaction mode in front of the test PostgreSQL, on a free port: what
// ops put between a fleet of servers and the database. Started by the test, stopped by PID.
#include <sys/types.h>

#include <string>

namespace freshlane::testing {

class Pgbouncer {
 public:
  // `postgres_url`: postgresql://user:password@127.0.0.1:port/anydb of the server behind.
  explicit Pgbouncer(const std::string& postgres_url);
  ~Pgbouncer();
  Pgbouncer(const Pgbouncer&) = delete;
  Pgbouncer& operator=(const Pgbouncer&) = delete;

  // The same database, reached through pgbouncer.
  std::string url(const std::string& postgres_url) const;
  unsigned short port() const { return port_; }

 private:
  std::string dir_;
  unsigned short port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace freshlane::testing
