#pragma once
// Runs `freshlane serve` (the real binary) on a free port against a test database.
#include <sys/types.h>
#include <map>
#include <string>

#include "support/http_client.hpp"

namespace freshlane::testing {

inline constexpr const char* kAdminToken = "test-admin-token-0123456789";
inline constexpr const char* kQrSecret = "test-qr-secret-0123456789";

// A port nothing listens on, below the range the kernel gives outgoing connections.
unsigned short free_port();

// Called in a child just forked by `parent` (after any change of user): the child is killed
// when the thread that forked it ends, so a test killed or crashed midway leaves no process
// behind, not even one it had paused.
void die_with_parent(pid_t parent);

// Runs `freshlane <args>` to completion with the given extra environment; returns exit code and
// captures stderr+stdout into `output`.
int run_freshlane(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env, std::string* output = nullptr);

class ServerProcess {
 public:
  // Starts the server and waits until /healthz answers. `env` adds to or overrides the defaults
  // (database URL, secrets, port, small timeouts).
  explicit ServerProcess(const std::string& database_url,
                         std::map<std::string, std::string> env = {});
  ~ServerProcess();

  unsigned short port() const { return port_; }
  // SIGTERM (or SIGKILL: a crash), then waits; returns the exit code (or -signal).
  int stop(bool crash = false);
  bool running();
  // SIGSTOP / SIGCONT: a process that stops answering without dying (a long GC pause, a
  // hung VM), then carries on as if nothing happened.
  void pause();
  void resume();
  pid_t pid() const { return pid_; }
  std::string log() const;

  HttpResponse get(const std::string& target, const std::vector<Header>& headers = {}) const {
    return request(port_, "GET", target, "", headers);
  }
  HttpResponse send(const std::string& method, const std::string& target, const std::string& body,
                    const std::vector<Header>& headers = {}) const {
    return request(port_, method, target, body, headers);
  }
  HttpResponse admin(const std::string& method, const std::string& target,
                     const std::string& body) const {
    return request(port_, method, target, body,
                   {{"Authorization", std::string("Bearer ") + kAdminToken}});
  }

 private:
  // Spawns the server and waits for /healthz: false if it could not bind its port.
  bool start(const std::map<std::string, std::string>& env);

  pid_t pid_ = -1;
  unsigned short port_ = 0;
  std::string log_path_;
};

}  // namespace freshlane::testing
