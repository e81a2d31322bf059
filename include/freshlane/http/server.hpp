#pragma once
// The HTTP/1.1 server: accepts, reads with limits and timeouts, dispatches through the router,
// writes, keeps alive. Beast and Asio stay inside server.cpp.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "freshlane/http/metrics.hpp"
#include "freshlane/http/router.hpp"

namespace spdlog {
class logger;
}

namespace freshlane::http {

struct ServerConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0 = any free port; see Server::port()
  int threads = 2;
  std::size_t header_limit = 8 * 1024;              // larger → 431
  std::size_t body_limit = 1024 * 1024;             // larger → 413
  std::chrono::milliseconds idle_timeout{30000};    // to receive a whole request head
  std::chrono::milliseconds io_timeout{10000};      // to receive a body / send a response
  std::chrono::milliseconds shutdown_grace{10000};  // for in-flight requests on stop
  std::size_t max_connections = 10000;              // beyond → 503 and close
};

class Server {
 public:
  // Binds at once (throws if the address is taken). `router` and `metrics` must outlive it.
  Server(ServerConfig config, const Router& router, Metrics& metrics,
         std::shared_ptr<spdlog::logger> access_log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  unsigned short port() const;

  // Serves until SIGINT/SIGTERM; then stops accepting, lets in-flight requests finish within
  // shutdown_grace, and returns. Handlers still running after that answer into the void.
  void run();

  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace freshlane::http
