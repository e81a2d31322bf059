#include "freshlane/http/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <random>
#include <thread>

#include "beast_pch.hpp"
#include "freshlane/http/problem.hpp"
#include "freshlane/http/url.hpp"

namespace freshlane::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

std::string make_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string id(16, '0');
  for (int i = 0; i < 16; ++i) id[i] = kHex[(v >> (i * 4)) & 15];
  return id;
}

bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// Runs a handler that may answer from another thread and resumes the session coroutine on its
// own executor with the answer. The answer is delivered exactly once: a handler that throws or
// drops its responder yields 500 rather than a hung connection.
template <typename Token>
auto async_handle(const Handler& handler, Request req, Token&& token) {
  return asio::async_initiate<Token, void(Response)>(
      [&handler](auto completion, Request req) {
        using Completion = decltype(completion);
        struct Pending {
          Completion completion;
          asio::any_io_executor executor;
          std::atomic<bool> answered{false};
          void answer(Response r) {
            if (answered.exchange(true)) return;
            asio::post(executor, [c = std::move(completion), r = std::move(r)]() mutable {
              std::move(c)(std::move(r));
            });
          }
          ~Pending() {
            if (!answered) answer(problem(core::ErrorKind::kInternal, "the request was dropped"));
          }
        };
        auto ex = asio::get_associated_executor(completion);
        auto pending = std::make_shared<Pending>(std::move(completion), ex);
        try {
          handler(std::move(req), [pending](Response r) { pending->answer(std::move(r)); });
        } catch (const std::exception& e) {
          pending->answer(problem(core::ErrorKind::kInternal, "unexpected error"));
        }
      },
      token, std::move(req));
}

bool has_no_body(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

// The whole response, head and body, in one buffer for one write: what Beast's serializer
// would send (status line, Server, Content-Type, the handler's headers, X-Request-Id,
// Connection as the version needs, Content-Length), at a fraction of its cost per request.
std::string serialize(const Response& r, unsigned version, bool keep_alive, const std::string& id) {
  std::size_t size = r.body.size() + r.content_type.size() + id.size() + 128;
  for (const auto& [k, v] : r.headers) size += k.size() + v.size() + 4;
  std::string out;
  out.reserve(size);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: freshlane\r\nContent-Type: ";
  out += r.content_type;
  out += "\r\n";
  for (const auto& [k, v] : r.headers) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (!id.empty()) {
    out += "X-Request-Id: ";
    out += id;
    out += "\r\n";
  }
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) out += "Connection: close\r\n";
  if (!has_no_body(r.status)) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n\r\n";
    out += r.body;
  } else {
    out += "\r\n";
  }
  return out;
}

}  // namespace

struct Server::Impl {
  ServerConfig cfg;
  const Router& router;
  Metrics& metrics;
  std::shared_ptr<spdlog::logger> log;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> stopping{false};

  Impl(ServerConfig c, const Router& r, Metrics& m, std::shared_ptr<spdlog::logger> l)
      : cfg(std::move(c)),
        router(r),
        metrics(m),
        log(std::move(l)),
        ioc(std::max(1, cfg.threads)),
        acceptor(ioc),
        signals(ioc, SIGINT, SIGTERM) {
    const tcp::endpoint ep(asio::ip::make_address(cfg.host), cfg.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      // A session is one coroutine; with several I/O threads its stream's timers need a strand,
      // with one they cannot race and the strand would only cost.
      const asio::any_io_executor ex = cfg.threads > 1
                                           ? asio::any_io_executor(asio::make_strand(ioc))
                                           : asio::any_io_executor(ioc.get_executor());
      tcp::socket socket =
          co_await acceptor.async_accept(ex, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open() || stopping) co_return;
        // Out of file descriptors and the like: back off instead of spinning.
        asio::steady_timer t(ioc, std::chrono::milliseconds(50));
        co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      asio::co_spawn(socket.get_executor(), session(beast::tcp_stream(std::move(socket))),
                     asio::detached);
    }
  }

  awaitable<void> write_and_close(beast::tcp_stream& stream, Response r, std::string id,
                                  bool drain_input) {
    boost::system::error_code ec;
    const std::string out = serialize(r, 11, false, id);
    stream.expires_after(cfg.io_timeout);
    co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (drain_input && !ec) {
      // Lingering close: read and drop what the client is still sending for a moment, so the
      // kernel does not answer with a reset that would destroy our response in flight.
      std::array<char, 16384> sink;
      std::size_t total = 0;
      stream.expires_after(std::chrono::seconds(2));
      while (total < 16 * 1024 * 1024) {
        const std::size_t n = co_await stream.async_read_some(
            asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        total += n;
      }
    }
  }

  awaitable<void> reject_read(beast::tcp_stream& stream, boost::system::error_code ec) {
    if (ec == bhttp::error::header_limit) {
      co_await write_and_close(
          stream,
          problem(core::ErrorKind::kHeadersTooLarge,
                  "request headers exceed " + std::to_string(cfg.header_limit) + " bytes"),
          make_request_id(), true);
    } else if (ec == bhttp::error::body_limit) {
      co_await write_and_close(
          stream,
          problem(core::ErrorKind::kPayloadTooLarge,
                  "request body exceeds " + std::to_string(cfg.body_limit) + " bytes"),
          make_request_id(), true);
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      co_await write_and_close(
          stream, problem(core::ErrorKind::kBadRequest, "malformed HTTP request: " + ec.message()),
          make_request_id(), false);
    }
    // Timeouts, resets and clients that simply went away: close without a word.
  }

  static Request to_request(const bhttp::request<bhttp::string_body>& breq, std::string body) {
    Request req;
    req.method = std::string(breq.method_string());
    const std::string_view target = breq.target();
    const std::size_t q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query_params = parse_query(target.substr(q + 1));
    req.headers.reserve(16);
    for (const auto& f : breq) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req.body = std::move(body);
    const auto given = req.header("x-request-id");
    req.request_id =
        given && acceptable_request_id(*given) ? std::string(*given) : make_request_id();
    return req;
  }

  // `route` receives the matched pattern (or "unmatched") for metrics.
  awaitable<Response> dispatch(Request req, std::string& route) {
    auto match = router.match(req.method, req.path);
    using Outcome = Router::Match::Outcome;
    route = match.outcome == Outcome::kNotFound ? std::string("unmatched") : match.route;
    if (match.outcome == Outcome::kNotFound) {
      co_return problem(core::ErrorKind::kNotFound, "no resource at " + req.path);
    }
    if (match.outcome == Outcome::kMethodNotAllowed) {
      Response r = problem(core::ErrorKind::kMethodNotAllowed,
                           req.method + " is not allowed on " + match.route);
      r.headers.emplace_back("Allow", match.allow);
      co_return r;
    }
    req.path_params = std::move(match.params);
    co_return co_await async_handle(*match.handler, std::move(req), use_awaitable);
  }

  awaitable<void> session(beast::tcp_stream stream) {
    struct Count {
      std::atomic<std::size_t>& n;
      explicit Count(std::atomic<std::size_t>& c) : n(c) { ++n; }
      ~Count() { --n; }
    } count(connections);
    try {
      if (connections > cfg.max_connections) {
        // Lingering close: the client's request may still be arriving, and closing on unread
        // bytes would reset the connection under the 503 before the client reads it.
        co_await write_and_close(
            stream, problem(core::ErrorKind::kUnavailable, "too many open connections"), "", true);
        co_return;
      }
      beast::flat_buffer buffer;
      boost::system::error_code ec;
      while (!stopping) {
        bhttp::request_parser<bhttp::string_body> parser;  // fresh per request
        parser.header_limit(static_cast<std::uint32_t>(cfg.header_limit));
        parser.body_limit(cfg.body_limit);
        stream.expires_after(cfg.idle_timeout);
        co_await bhttp::async_read_header(stream, buffer, parser,
                                          asio::redirect_error(use_awaitable, ec));
        if (ec) {
          co_await reject_read(stream, ec);
          co_return;
        }
        if (parser.get()[bhttp::field::expect] == "100-continue") {
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
          stream.expires_after(cfg.io_timeout);
          co_await bhttp::async_write(stream, cont, asio::redirect_error(use_awaitable, ec));
          if (ec) co_return;
        }
        if (!parser.is_done()) {  // a body follows the head
          stream.expires_after(cfg.io_timeout);
          co_await bhttp::async_read(stream, buffer, parser,
                                     asio::redirect_error(use_awaitable, ec));
          if (ec) {
            co_await reject_read(stream, ec);
            co_return;
          }
        }
        const auto started = Clock::now();
        ++in_flight;
        auto& breq = parser.get();
        Request req = to_request(breq, std::move(breq.body()));
        const std::string method = req.method, path = req.path, id = req.request_id;
        std::string route;
        Response res = co_await dispatch(std::move(req), route);
        const int status = res.status;
        const bool keep_alive = breq.keep_alive() && !stopping;
        const std::string out = serialize(res, breq.version(), keep_alive, id);
        const auto elapsed = Clock::now() - started;
        // Recorded before the write, so a client never sees an answer its metrics lack.
        metrics.observe_request(route, method, status, elapsed);
        log->info("{} {} {} {}us id={}", method, path, status,
                  std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count(), id);
        stream.expires_after(cfg.io_timeout);
        co_await asio::async_write(stream, asio::buffer(out),
                                   asio::redirect_error(use_awaitable, ec));
        --in_flight;
        if (ec || !keep_alive) break;
      }
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    } catch (const std::exception& e) {
      log->error("session error: {}", e.what());
    }
  }

  void begin_shutdown() {
    if (stopping.exchange(true)) return;
    boost::system::error_code ec;
    acceptor.close(ec);
    signals.cancel(ec);
    asio::co_spawn(ioc, drain(), asio::detached);
  }

  awaitable<void> drain() {
    const auto deadline = Clock::now() + cfg.shutdown_grace;
    asio::steady_timer t(ioc);
    while (in_flight > 0 && Clock::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(20));
      boost::system::error_code ec;
      co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    if (in_flight > 0) log->warn("stopping with {} requests still in flight", in_flight.load());
    ioc.stop();
  }
};

Server::Server(ServerConfig config, const Router& router, Metrics& metrics,
               std::shared_ptr<spdlog::logger> access_log)
    : impl_(std::make_unique<Impl>(std::move(config), router, metrics, std::move(access_log))) {}

Server::~Server() = default;

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }

std::size_t Server::open_connections() const { return impl_->connections.load(); }

void Server::run() {
  Impl& s = *impl_;
  s.signals.async_wait([&s](const boost::system::error_code& ec, int) {
    if (!ec) s.begin_shutdown();
  });
  asio::co_spawn(s.ioc, s.accept_loop(), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < s.cfg.threads; ++i) threads.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : threads) t.join();
}

}  // namespace freshlane::http
