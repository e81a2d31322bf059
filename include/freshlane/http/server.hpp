#pragma once
// The HTTP/1.1 server: accepts, reads with limits and timeouts, dispatches through the router,
// writes, keeps alive. Beast and Asio stay inside server.cpp.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // Event streams (http/event_stream.hpp): a comment line after this long without an event,
  // so proxies and clients see the stream alive; the stream ends after `stream_lifetime` (the
  // client reconnects, resumes from its last event, and its token is checked again).
  std::chrono::milliseconds stream_heartbeat{15000};
  std::chrono::milliseconds stream_lifetime{3600000};
  std::size_t max_connections = 10000;  // beyond → 503 and close
  // Open connections from one client address (an IPv6 client's /64) beyond → 503 and close,
  // to that client only; 0 = no such cap (behind a load balancer that is the one client).
  std::size_t max_connections_per_client = 256;
  // File descriptors kept for everything but client connections (database connections, log
  // files): max_connections is lowered to fit the process's RLIMIT_NOFILE less these. Past the
  // limit all the same, a reserve descriptor still lets each new client be told 503.
  std::size_t reserved_fds = 64;
  // Peers (addresses or CIDR blocks) whose X-Forwarded-For is believed: behind them a
  // request's client is the rightmost forwarded address that is not itself one of them. Empty:
  // the client is the peer, whatever headers say.
  std::vector<std::string> trusted_proxies;
  // Called on SIGHUP (on an I/O thread; it must not block): e.g. reopen log files. SIGHUP
  // never stops or drains the server.
  std::function<void()> on_hangup;
};

// Why `text` is not an IP address or CIDR block ("10.0.0.0/8", "::1"); nullopt when it is.
std::optional<std::string> network_problem(std::string_view text);

// One answered request, for the access log.
struct AccessRecord {
  std::string_view request_id;
  std::string_view client;    // the peer's address
  std::string_view method;    // as sent
  std::string_view route;     // the matched pattern, "unmatched" when none
  std::string_view path;      // as sent, without the query
  std::string_view trace_id;  // from a valid traceparent, else empty
  int status = 0;
  std::size_t bytes = 0;  // of the response body (0 for HEAD)
  std::chrono::nanoseconds duration{0};
};
using AccessLog = std::function<void(const AccessRecord&)>;

class Server {
 public:
  // Binds at once (throws if the address is taken). `router` and `metrics` must outlive it.
  // `log` gets the server's own lines; `access` one call per answered request (when empty, a
  // text line goes to `log`).
  Server(ServerConfig config, const Router& router, Metrics& metrics,
         std::shared_ptr<spdlog::logger> log, AccessLog access = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  unsigned short port() const;

  // Serves until SIGINT/SIGTERM; then stops accepting, lets in-flight requests finish within
  // shutdown_grace, and returns. Handlers still running after that answer into the void.
  void run();

  // Client connections being served (those refused with 503 are not counted).
  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace freshlane::http
