#include "freshlane/http/server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <limits>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "beast_pch.hpp"
#include "freshlane/http/event_stream.hpp"
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

// Rejected connections (503 at a cap) that may linger at once, reading what the client still
// sends so the answer is not reset under it; beyond, they are closed as soon as answered.
constexpr int kMaxLingering = 256;

const std::string kUnmatched = "unmatched";  // the route label of requests no route matched

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
// drops its responder yields 500 (its reason logged here, never sent) rather than a hung
// connection.
template <typename Token>
auto async_handle(const Handler& handler, Request req, spdlog::logger& log, Token&& token) {
  return asio::async_initiate<Token, void(Response)>(
      [&handler, &log](auto completion, Request req) {
        using Completion = decltype(completion);
        struct Pending {
          Completion completion;
          asio::any_io_executor executor;
          spdlog::logger& log;
          std::string id;
          std::atomic<bool> answered{false};
          void answer(Response r) {
            if (answered.exchange(true)) return;
            asio::post(executor, [c = std::move(completion), r = std::move(r)]() mutable {
              std::move(c)(std::move(r));
            });
          }
          ~Pending() {
            if (!answered) {
              log.error("handler dropped its request without an answer id={}", id);
              answer(problem(core::ErrorKind::kInternal, "the request was dropped"));
            }
          }
        };
        auto ex = asio::get_associated_executor(completion);
        auto pending = std::make_shared<Pending>(std::move(completion), ex, log, req.request_id);
        try {
          handler(std::move(req), [pending](Response r) { pending->answer(std::move(r)); });
        } catch (const std::exception& e) {
          log.error("handler failed: {} id={}", e.what(), pending->id);
          pending->answer(problem(core::ErrorKind::kInternal, "unexpected error"));
        } catch (...) {
          log.error("handler failed id={}", pending->id);
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
// For HEAD (`head_only`) the same head, Content-Length included, without the body.
std::string serialize(const Response& r, unsigned version, bool keep_alive, const std::string& id,
                      bool head_only = false) {
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
    if (!head_only) out += r.body;
  } else {
    out += "\r\n";
  }
  return out;
}

// A problem with its instance, ready to send on a connection that closes after it.
std::string closing_problem(Response r, const std::string& id) {
  add_instance(r, id);
  return serialize(r, 11, false, id);
}

// The head of a stream of server-sent events: no length, the body runs until the connection
// closes (so the connection is not kept alive), and no proxy may buffer or cache it.
std::string stream_head(const Response& r, const std::string& id) {
  std::string out = "HTTP/1.1 200 OK\r\nServer: freshlane\r\nContent-Type: text/event-stream\r\n";
  out += "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n";
  for (const auto& [k, v] : r.headers) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "X-Request-Id: ";
  out += id;
  out += "\r\nConnection: close\r\n\r\n";
  return out;
}

// Our own words for a request Beast could not parse: its messages are a library's, not ours.
std::string parse_failure(const boost::system::error_code& ec) {
  using E = bhttp::error;
  if (ec == E::bad_method) return "malformed request method";
  if (ec == E::bad_target) return "malformed request target";
  if (ec == E::bad_version) return "malformed or unsupported HTTP version";
  if (ec == E::bad_field || ec == E::bad_value) return "malformed header field";
  if (ec == E::bad_content_length) return "malformed Content-Length";
  if (ec == E::bad_transfer_encoding) {
    return "conflicting or repeated Transfer-Encoding and Content-Length";
  }
  if (ec == E::bad_chunk || ec == E::bad_chunk_extension) return "malformed chunked body";
  if (ec == E::bad_line_ending) return "malformed line ending";
  if (ec == E::bad_obs_fold) return "obsolete header line folding is not accepted";
  return "malformed HTTP request";
}

// The Transfer-Encoding a request declares is "chunked" alone, or there is none: any other
// coding, such as "gzip, chunked" or "chunked, chunked", is one this server does not decode.
bool only_chunked_or_none(const bhttp::request_parser<bhttp::string_body>::value_type& req) {
  int codings = 0;
  bool chunked = false;
  bool declared = false;
  for (const auto& f : req) {
    if (f.name() != bhttp::field::transfer_encoding) continue;
    declared = true;
    for (const auto& coding : bhttp::token_list{f.value()}) {
      ++codings;
      chunked = beast::iequals(coding, "chunked");
    }
  }
  return !declared || (codings == 1 && chunked);
}

// Connections are counted per client address; an IPv6 client per /64, the block one
// subscriber is usually given.
std::string client_key(const asio::ip::address& a) {
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  auto b = a.to_v6().to_bytes();
  for (std::size_t i = 8; i < b.size(); ++i) b[i] = 0;
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

asio::ip::address plain_address(asio::ip::address a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

// An address block: the address and how many leading bits of it count.
struct Block {
  asio::ip::address address;
  unsigned prefix;
};

std::optional<Block> parse_block(std::string_view text) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(text.substr(0, slash)), ec);
  if (ec) return std::nullopt;
  const unsigned bits = address.is_v4() ? 32 : 128;
  unsigned prefix = bits;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || err != std::errc() || end != digits.data() + digits.size() ||
        prefix > bits) {
      return std::nullopt;
    }
  }
  return Block{plain_address(address), prefix};
}

bool in_block(const asio::ip::address& a, const Block& b) {
  if (a.is_v4() != b.address.is_v4()) return false;
  const auto bytes_of = [](const asio::ip::address& x) {
    std::array<unsigned char, 16> out{};
    if (x.is_v4()) {
      const auto v4 = x.to_v4().to_bytes();
      std::copy(v4.begin(), v4.end(), out.begin());
    } else {
      out = x.to_v6().to_bytes();
    }
    return out;
  };
  const auto x = bytes_of(a), y = bytes_of(b.address);
  for (unsigned bit = 0; bit < b.prefix; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((x[bit / 8] & mask) != (y[bit / 8] & mask)) return false;
  }
  return true;
}

std::size_t descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return std::numeric_limits<std::size_t>::max();
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

}  // namespace

struct Server::Impl {
  ServerConfig cfg;
  const Router& router;
  Metrics& metrics;
  std::shared_ptr<spdlog::logger> log;
  AccessLog access;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::size_t max_connections;  // cfg.max_connections, lowered to fit the descriptor limit
  std::atomic<std::size_t> connections{0};  // admitted ones
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::vector<Block> trusted_blocks;  // from cfg.trusted_proxies
  std::atomic<int> lingering{0};
  std::mutex clients_mu;
  std::unordered_map<std::string, std::size_t> per_client;  // open connections by client key
  int reserve_fd = -1;  // /dev/null, given up to answer 503 when descriptors run out
  std::atomic<std::uint64_t> refused_per_client{0}, refused_total{0}, refused_fd_limit{0};

  Impl(ServerConfig c, const Router& r, Metrics& m, std::shared_ptr<spdlog::logger> l, AccessLog a)
      : cfg(std::move(c)),
        router(r),
        metrics(m),
        log(std::move(l)),
        access(std::move(a)),
        ioc(std::max(1, cfg.threads)),
        acceptor(ioc),
        signals(ioc, SIGINT, SIGTERM, SIGHUP),
        max_connections(cfg.max_connections) {
    for (const auto& text : cfg.trusted_proxies) {
      const auto block = parse_block(text);
      if (!block) throw std::invalid_argument("not an address or CIDR block: " + text);
      trusted_blocks.push_back(*block);
    }
    const tcp::endpoint ep(asio::ip::make_address(cfg.host), cfg.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(asio::socket_base::max_listen_connections);
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const std::size_t fds = descriptor_limit();
    const std::size_t fit = fds > cfg.reserved_fds + 1 ? fds - cfg.reserved_fds : 1;
    if (fit < max_connections) {
      log->info(
          "serving at most {} connections: the file-descriptor limit is {} and {} are kept for "
          "the rest (raise `ulimit -n` for more)",
          fit, fds, cfg.reserved_fds);
      max_connections = fit;
    }
    metrics.add_counter_family(
        "freshlane_http_connections_refused_total",
        "Connections answered 503 and closed at once: too many open from the client's address "
        "(per_client), from everyone (total), or no file descriptor left (fd_limit).",
        [this] {
          return std::vector<Metrics::Sample>{
              {{{"reason", "per_client"}}, double(refused_per_client.load())},
              {{{"reason", "total"}}, double(refused_total.load())},
              {{{"reason", "fd_limit"}}, double(refused_fd_limit.load())}};
        });
  }

  ~Impl() {
    if (reserve_fd >= 0) ::close(reserve_fd);
  }

  // --- admission -------------------------------------------------------------------------

  enum class Refusal { kNone, kPerClient, kTotal };

  // Counts an open connection from `key`, or says which cap refuses it.
  Refusal admit(const std::string& key) {
    std::lock_guard lock(clients_mu);
    if (cfg.max_connections_per_client > 0) {
      const auto it = per_client.find(key);
      if (it != per_client.end() && it->second >= cfg.max_connections_per_client) {
        return Refusal::kPerClient;
      }
    }
    if (connections >= max_connections) return Refusal::kTotal;
    if (cfg.max_connections_per_client > 0) ++per_client[key];
    ++connections;
    return Refusal::kNone;
  }

  void release(const std::string& key) {
    std::lock_guard lock(clients_mu);
    if (cfg.max_connections_per_client > 0) {
      const auto it = per_client.find(key);
      if (it != per_client.end() && --it->second == 0) per_client.erase(it);
    }
    --connections;
  }

  // --- accepting ---------------------------------------------------------------------------

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
        if (ec.category() == boost::system::system_category() &&
            (ec.value() == EMFILE || ec.value() == ENFILE)) {
          if (answer_at_descriptor_limit() > 0) continue;
          if (reserve_fd >= 0) {
            // Linux refuses accept() while the table is full even with nobody waiting: wait
            // for a client to come, then answer it at once.
            co_await acceptor.async_wait(tcp::acceptor::wait_read,
                                         asio::redirect_error(use_awaitable, ec));
            continue;
          }
        }
        // Out of file descriptors with no reserve, and the like: back off instead of spinning.
        asio::steady_timer t(ioc, std::chrono::milliseconds(50));
        co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      asio::co_spawn(socket.get_executor(), session(beast::tcp_stream(std::move(socket))),
                     asio::detached);
    }
  }

  // No descriptor is left for a new connection: give up the reserve one, and with it accept
  // each waiting client, tell it 503 and close; then take the reserve back. So clients are
  // told to come back rather than left waiting in the backlog. Returns how many were answered.
  int answer_at_descriptor_limit() {
    if (reserve_fd >= 0) {
      ::close(reserve_fd);
      reserve_fd = -1;
    }
    const int listener = acceptor.native_handle();
    int answered = 0;
    for (; answered < 64; ++answered) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) break;  // never block the I/O thread
      const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      char sink[4096];
      for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, 0) > 0; ++i) {
      }
      const std::string out = closing_problem(
          problem(core::ErrorKind::kUnavailable, "the server has no room for more connections"),
          make_request_id());
      [[maybe_unused]] const auto sent = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      ::shutdown(fd, SHUT_WR);
      ::close(fd);
      ++refused_fd_limit;
    }
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return answered;
  }

  // --- answering ---------------------------------------------------------------------------

  // The access line and the metrics of one answered request.
  void record(const Request& req, const std::string& method, const std::string& route, int status,
              std::size_t bytes, Clock::duration elapsed) {
    metrics.observe_request(route, method, status, elapsed);
    if (access) {
      access(AccessRecord{req.request_id, req.client, method, route, req.path, req.trace_id, status,
                          bytes, elapsed});
    } else {
      log->info("{} {} {} {}us id={}", method, req.path, status,
                std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count(),
                req.request_id);
    }
  }

  // Writes a response that ends the connection. With `linger`, reads and drops what the
  // client is still sending for a moment, so the kernel does not answer with a reset that
  // would destroy the response in flight; without, drops only what has already arrived.
  awaitable<void> write_and_close(beast::tcp_stream& stream, const std::string& out, bool linger) {
    boost::system::error_code ec;
    stream.expires_after(cfg.io_timeout);
    co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    std::array<char, 16384> sink;
    if (linger && lingering.fetch_add(1) < kMaxLingering) {
      std::size_t total = 0;
      stream.expires_after(std::chrono::seconds(2));
      while (total < 16 * 1024 * 1024) {
        const std::size_t n = co_await stream.async_read_some(
            asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        total += n;
      }
      --lingering;
      co_return;
    }
    if (linger) --lingering;
    for (int i = 0; i < 4 && stream.socket().available(ec) > 0 && !ec; ++i) {
      stream.socket().read_some(asio::buffer(sink), ec);
    }
  }

  // A request that could not be read whole: 431, 413 or 400, or silence for a client that
  // went away or timed out.
  awaitable<void> reject_read(beast::tcp_stream& stream, boost::system::error_code ec,
                              const bhttp::request_parser<bhttp::string_body>& parser, Request& req,
                              Clock::time_point started) {
    Response r;
    bool linger = true;
    if (ec == bhttp::error::header_limit) {
      r = problem(core::ErrorKind::kHeadersTooLarge,
                  "request headers exceed " + std::to_string(cfg.header_limit) + " bytes");
    } else if (ec == bhttp::error::body_limit) {
      r = problem(core::ErrorKind::kPayloadTooLarge,
                  "request body exceeds " + std::to_string(cfg.body_limit) + " bytes");
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
               ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      r = problem(core::ErrorKind::kBadRequest, parse_failure(ec));
      linger = false;
    } else {
      co_return;  // timeouts, resets and clients that simply went away: close without a word
    }
    std::string method = "OTHER";
    if (parser.is_header_done()) {
      method = std::string(parser.get().method_string());
      req.path = std::string(parser.get().target().substr(0, parser.get().target().find('?')));
    }
    if (req.request_id.empty()) req.request_id = make_request_id();
    record(req, method, kUnmatched, r.status, r.body.size(), Clock::now() - started);
    co_await write_and_close(stream, closing_problem(std::move(r), req.request_id), linger);
  }

  void fill_request(Request& req, const bhttp::request<bhttp::string_body>& breq,
                    std::string body) {
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
    if (const auto tp = req.header("traceparent")) {
      if (auto trace = trace_id_of(*tp)) req.trace_id = std::move(*trace);
    }
    if (!trusted_blocks.empty()) {
      // Several X-Forwarded-For fields are one list (a proxy may add its own below the
      // client's): read them joined, in order.
      std::string forwarded;
      for (const auto& [name, value] : req.headers) {
        if (name != "x-forwarded-for") continue;
        if (!forwarded.empty()) forwarded += ',';
        forwarded += value;
      }
      if (!forwarded.empty()) req.client = forwarded_client(req.client, forwarded);
    }
  }

  bool trusted(const asio::ip::address& a) const {
    for (const auto& b : trusted_blocks) {
      if (in_block(a, b)) return true;
    }
    return false;
  }

  // Behind trusted proxies the client is the rightmost forwarded hop that is not one of them
  // (hops further left were written by the client and prove nothing).
  std::string forwarded_client(const std::string& peer, std::string_view forwarded) const {
    boost::system::error_code ec;
    const auto peer_address = asio::ip::make_address(peer, ec);
    if (ec || !trusted(peer_address)) return peer;
    std::string client = peer;
    while (!forwarded.empty()) {
      const auto comma = forwarded.rfind(',');
      std::string_view hop =
          comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1);
      forwarded = comma == std::string_view::npos ? std::string_view{} : forwarded.substr(0, comma);
      while (!hop.empty() && (hop.front() == ' ' || hop.front() == '\t')) hop.remove_prefix(1);
      while (!hop.empty() && (hop.back() == ' ' || hop.back() == '\t')) hop.remove_suffix(1);
      const auto address = asio::ip::make_address(std::string(hop), ec);
      if (ec) return client;  // garbage: believe nothing further left
      client = plain_address(address).to_string();
      if (!trusted(plain_address(address))) return client;
    }
    return client;
  }

  // `route` receives the matched pattern (or "unmatched") for metrics and the access log.
  awaitable<Response> dispatch(Request req, std::string_view query, std::string& route) {
    route = kUnmatched;
    if (const auto why = target_problem(req.path, query)) {
      co_return problem(core::ErrorKind::kBadRequest, *why);
    }
    auto match = router.match(req.method, req.path);
    using Outcome = Router::Match::Outcome;
    if (match.outcome == Outcome::kNotFound) {
      co_return problem(core::ErrorKind::kNotFound, "no resource at " + req.path);
    }
    route = match.route;
    if (match.outcome == Outcome::kMethodNotAllowed) {
      Response r = problem(
          core::ErrorKind::kMethodNotAllowed,
          std::string(Metrics::method_label(req.method)) + " is not allowed on " + match.route);
      r.headers.emplace_back("Allow", match.allow);
      co_return r;
    }
    req.path_params = std::move(match.params);
    co_return co_await async_handle(*match.handler, std::move(req), *log, use_awaitable);
  }

  awaitable<void> session(beast::tcp_stream stream) {
    boost::system::error_code ec;
    const auto peer = stream.socket().remote_endpoint(ec);
    if (ec) co_return;  // gone already
    const auto address = plain_address(peer.address());
    const std::string key = client_key(address);
    const Refusal refusal = admit(key);
    struct Release {
      Impl* impl;
      const std::string& key;
      ~Release() {
        if (impl) impl->release(key);
      }
    } release{refusal == Refusal::kNone ? this : nullptr, key};
    try {
      if (refusal != Refusal::kNone) {
        ++(refusal == Refusal::kPerClient ? refused_per_client : refused_total);
        // Lingering close: the client's request may still be arriving, and closing on unread
        // bytes would reset the connection under the 503 before the client reads it.
        co_await write_and_close(
            stream,
            closing_problem(problem(core::ErrorKind::kUnavailable,
                                    refusal == Refusal::kPerClient
                                        ? "too many open connections from your address"
                                        : "too many open connections"),
                            make_request_id()),
            true);
        co_return;
      }
      const std::string client = address.to_string();
      beast::flat_buffer buffer;
      while (!stopping) {
        bhttp::request_parser<bhttp::string_body> parser;  // fresh per request
        parser.header_limit(static_cast<std::uint32_t>(cfg.header_limit));
        parser.body_limit(cfg.body_limit);
        Request req;
        req.client = client;
        stream.expires_after(cfg.idle_timeout);
        co_await bhttp::async_read_header(stream, buffer, parser,
                                          asio::redirect_error(use_awaitable, ec));
        const auto started = Clock::now();
        if (ec) {
          co_await reject_read(stream, ec, parser, req, started);
          co_return;
        }
        if (!only_chunked_or_none(parser.get())) {
          // The body's framing is not one we can read: answer and close.
          fill_request(req, parser.get(), {});
          Response r = problem(core::ErrorKind::kNotImplemented,
                               "Transfer-Encoding other than chunked is not implemented");
          record(req, req.method, kUnmatched, r.status, r.body.size(), Clock::now() - started);
          co_await write_and_close(stream, closing_problem(std::move(r), req.request_id), true);
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
            co_await reject_read(stream, ec, parser, req, started);
            co_return;
          }
        }
        ++in_flight;
        auto& breq = parser.get();
        fill_request(req, breq, std::move(breq.body()));
        const std::string_view target = breq.target();
        const std::string_view query =
            target.find('?') == std::string_view::npos ? "" : target.substr(target.find('?') + 1);
        // What the access line needs once the request has moved into its handler.
        Request seen;
        seen.request_id = req.request_id;
        seen.client = req.client;  // behind a trusted proxy: the forwarded client
        seen.path = req.path;
        seen.trace_id = req.trace_id;
        const std::string method = req.method;
        std::string route;
        Response res = co_await dispatch(std::move(req), query, route);
        if (res.stream && res.status == 200 && method == "GET") {
          record(seen, method, route, res.status, 0, Clock::now() - started);
          --in_flight;  // a stream is not waited for on stop
          co_await serve_stream(stream, res.stream, stream_head(res, seen.request_id));
          co_return;
        }
        if (res.stream) res.stream->ended();
        add_instance(res, seen.request_id);
        const bool head_only = method == "HEAD";
        const bool keep_alive = breq.keep_alive() && !stopping;
        const std::string out =
            serialize(res, breq.version(), keep_alive, seen.request_id, head_only);
        // Recorded before the write, so a client never sees an answer its metrics lack.
        record(seen, method, route, res.status, head_only ? 0 : res.body.size(),
               Clock::now() - started);
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

  // --- event streams ----------------------------------------------------------------------

  // Writes `events` as it comes until it ends, the client goes away (a read on the socket sees
  // its end), a write cannot finish within io_timeout, the stream's lifetime is over or the
  // server stops; a heartbeat comment after each quiet stream_heartbeat. Producers wake the
  // writer through a post to this connection's executor, which also runs this coroutine, so a
  // wake can never fall between looking at the queue and starting to wait.
  awaitable<void> serve_stream(beast::tcp_stream& stream, std::shared_ptr<EventStream> events,
                               const std::string& head) {
    struct End {
      EventStream& events;
      std::shared_ptr<bool> alive;
      ~End() {
        *alive = false;
        events.ended();
      }
    } end{*events, std::make_shared<bool>(true)};
    const auto ex = stream.get_executor();
    auto timer = std::make_shared<asio::steady_timer>(ex);
    events->set_waker([ex, weak = std::weak_ptr<asio::steady_timer>(timer)] {
      asio::post(ex, [weak] {
        if (auto t = weak.lock()) t->cancel();
      });
    });
    watch_for_end(stream.socket(), events, end.alive, std::make_shared<std::array<char, 512>>());
    boost::system::error_code ec;
    stream.expires_after(cfg.io_timeout);
    co_await asio::async_write(stream, asio::buffer(head), asio::redirect_error(use_awaitable, ec));
    const auto deadline = Clock::now() + cfg.stream_lifetime;
    while (!ec && !stopping) {
      bool ended = false;
      std::string out = events->take(ended);
      if (out.empty() && !ended) {
        const auto left = deadline - Clock::now();
        timer->expires_after(std::min<Clock::duration>(cfg.stream_heartbeat, left));
        co_await timer->async_wait(asio::redirect_error(use_awaitable, ec));
        ec = {};
        out = events->take(ended);
        if (out.empty() && !ended) {
          if (Clock::now() >= deadline) break;
          out = ": heartbeat\n\n";
        }
      }
      if (!out.empty()) {
        stream.expires_after(cfg.io_timeout);
        co_await asio::async_write(stream, asio::buffer(out),
                                   asio::redirect_error(use_awaitable, ec));
      }
      if (ended) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Reads (and drops) whatever the client of a stream sends until its end or an error, then
  // ends the stream. `alive` turns false when the session is over: then the socket is gone.
  static void watch_for_end(tcp::socket& socket, const std::shared_ptr<EventStream>& events,
                            const std::shared_ptr<bool>& alive,
                            const std::shared_ptr<std::array<char, 512>>& buf) {
    socket.async_read_some(
        asio::buffer(*buf),
        [&socket, events, alive, buf](const boost::system::error_code& ec, std::size_t) {
          if (ec || !*alive) {
            events->close();
            return;
          }
          watch_for_end(socket, events, alive, buf);
        });
  }

  // --- signals and stopping ---------------------------------------------------------------

  void wait_for_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        if (cfg.on_hangup) cfg.on_hangup();
        log->info("SIGHUP: log files reopened; serving on");
        wait_for_signal();
        return;
      }
      begin_shutdown();
    });
  }

  void begin_shutdown() {
    if (stopping.exchange(true)) return;
    boost::system::error_code ec;
    acceptor.close(ec);
    signals.cancel(ec);  // a SIGHUP while draining is still caught (and ignored)
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
               std::shared_ptr<spdlog::logger> log, AccessLog access)
    : impl_(std::make_unique<Impl>(std::move(config), router, metrics, std::move(log),
                                   std::move(access))) {}

Server::~Server() = default;

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }

std::size_t Server::open_connections() const { return impl_->connections.load(); }

void Server::run() {
  Impl& s = *impl_;
  s.wait_for_signal();
  asio::co_spawn(s.ioc, s.accept_loop(), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < s.cfg.threads; ++i) threads.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : threads) t.join();
}

std::optional<std::string> network_problem(std::string_view text) {
  if (parse_block(text)) return std::nullopt;
  return "'" + std::string(text.substr(0, 64)) + "' is not an IP address or CIDR block";
}

}  // namespace freshlane::http
