#include "support/pgbouncer.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <stdexcept>
#include <thread>

#include "support/server_process.hpp"

namespace freshlane::testing {

namespace {
struct UrlParts {
  std::string user, password, host, port, database;
};
UrlParts parse(const std::string& url) {
  static const std::regex re(R"(postgresql://([^:]+):([^@]+)@([^:/]+):(\d+)/([^?]+).*)");
  std::smatch m;
  if (!std::regex_match(url, m, re)) throw std::runtime_error("cannot read the URL " + url);
  return {m[1], m[2], m[3], m[4], m[5]};
}
}  // namespace

Pgbouncer::Pgbouncer(const std::string& postgres_url) {
  const UrlParts pg = parse(postgres_url);
  char tmpl[] = "/tmp/freshlane-pgbouncer.XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  port_ = free_port();
  // The configuration the Docker fleet runs too: one script for both.
  const std::string script = std::string(FRESHLANE_SOURCE_DIR) + "/scripts/pgbouncer-config";
  const std::string write = "PGBOUNCER_POOL_SIZE=16 bash '" + script + "' '" + dir_ + "' " +
                            pg.host + " " + pg.port + " '" + pg.user + "' '" + pg.password +
                            "' 127.0.0.1 " + std::to_string(port_);
  if (std::system(write.c_str()) != 0) throw std::runtime_error("pgbouncer: " + write);
  // pgbouncer will not run as root: as root, it runs as `postgres`.
  const bool root = ::geteuid() == 0;
  const passwd* pw = root ? ::getpwnam("postgres") : nullptr;
  if (root && !pw) throw std::runtime_error("pgbouncer: no postgres user to run as");
  if (pw) {
    for (const char* f : {"", "/pgbouncer.ini", "/users.txt"}) {
      if (::chown((dir_ + f).c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        throw std::runtime_error("pgbouncer: cannot hand its folder over");
      }
    }
  }
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    if (pw && (::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0)) ::_exit(126);
    die_with_parent(parent);
    const std::string ini = dir_ + "/pgbouncer.ini";
    ::execl("/usr/sbin/pgbouncer", "pgbouncer", "-q", ini.c_str(), nullptr);
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("pgbouncer exited at start (is Debian's pgbouncer installed?)");
    }
    if (std::system(
            ("psql -qAtX -c 'SELECT 1' '" + url(postgres_url) + "' >/dev/null 2>&1").c_str()) ==
        0) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  throw std::runtime_error("pgbouncer did not come up on port " + std::to_string(port_));
}

Pgbouncer::~Pgbouncer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::system(("rm -rf '" + dir_ + "'").c_str());
}

std::string Pgbouncer::url(const std::string& postgres_url) const {
  const UrlParts pg = parse(postgres_url);
  return "postgresql://" + pg.user + ":" + pg.password + "@127.0.0.1:" + std::to_string(port_) +
         "/" + pg.database;
}

}  // namespace freshlane::testing
