#include "support/server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace freshlane::testing {

namespace {
// The kernel hands out ports for outgoing connections from ip_local_port_range (32768-60999 by
// default), so a port found free there may be taken by a client socket of a test running
// beside this one before the server binds it. Test servers listen below that range instead.
int ephemeral_low() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  in >> low;
  return low;
}

bool bindable(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

unsigned short free_port() {
  static std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  const int low = 10000;
  const int high = std::max(low + 1000, ephemeral_low()) - 1;
  std::uniform_int_distribution<int> pick(low, high);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<unsigned short>(pick(random));
    if (bindable(port)) return port;
  }
  throw std::runtime_error("no free port below the ephemeral range");
}

void die_with_parent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent was gone before the call
}

namespace {
pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& log_path) {
  std::vector<std::string> argv_s{FRESHLANE_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    die_with_parent(parent);
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string temp_log_path() {
  static int n = 0;
  return "/tmp/freshlane-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".log";
}
}  // namespace

int run_freshlane(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env, std::string* output) {
  const std::string log = temp_log_path();
  const pid_t pid = spawn(args, env, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (output) *output = read_file(log);
  ::unlink(log.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

ServerProcess::ServerProcess(const std::string& database_url,
                             std::map<std::string, std::string> env) {
  std::map<std::string, std::string> full{
      {"FRESHLANE_DATABASE_URL", database_url},
      {"FRESHLANE_ADMIN_TOKEN", kAdminToken},
      {"FRESHLANE_QR_SECRET", kQrSecret},
      {"FRESHLANE_PAYMENT_WEBHOOK_SECRET", "test-payment-secret-0123456789"},
      {"FRESHLANE_THREADS", "2"},
      {"FRESHLANE_DB_POOL_SIZE", "4"},
      {"FRESHLANE_SHUTDOWN_GRACE_MS", "3000"},
      // Prices stay as listed unless a suite about markdowns turns the stores' round on.
      {"FRESHLANE_MARKDOWN_INTERVAL_MS", "0"},
  };
  for (auto& [k, v] : env) full[k] = v;
  // Another test's server (or pgbouncer) may still take the port between the check and the
  // bind: then the server says so at once, and it starts again on another port.
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    full["FRESHLANE_LISTEN"] = "127.0.0.1:" + std::to_string(port_);
    if (start(full)) return;
    if (attempt == 3) throw std::runtime_error("freshlane serve found no port to bind:\n" + log());
  }
}

bool ServerProcess::start(const std::map<std::string, std::string>& env) {
  if (!log_path_.empty()) ::unlink(log_path_.c_str());
  log_path_ = temp_log_path();
  pid_ = spawn({"serve"}, env, log_path_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) {
      const std::string output = log();
      if (output.find("Address already in use") != std::string::npos) return false;
      throw std::runtime_error("freshlane serve exited at start:\n" + output);
    }
    try {
      if (request(port_, "GET", "/healthz").status == 200) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  throw std::runtime_error("freshlane serve did not answer /healthz:\n" + log());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(log_path_.c_str());
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int ServerProcess::stop(bool crash) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, crash ? SIGKILL : SIGTERM);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -SIGKILL;
}

// Returns once every thread of the process is stopped: SIGSTOP is only sent by kill(), and a
// thread on another core (or woken by its socket on a loaded machine) may still run a little.
void ServerProcess::pause() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGSTOP);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid_) + "/task";
  for (;;) {
    bool all_stopped = true;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
      const std::string stat = read_file((task.path() / "stat").string());
      const auto end_of_name = stat.rfind(')');  // "pid (name) state ..."
      if (end_of_name != std::string::npos && end_of_name + 2 < stat.size() &&
          stat[end_of_name + 2] != 'T' && stat[end_of_name + 2] != 't') {
        all_stopped = false;
      }
    }
    if (all_stopped || ec || std::chrono::steady_clock::now() > deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void ServerProcess::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::string ServerProcess::log() const { return read_file(log_path_); }

}  // namespace freshlane::testing
