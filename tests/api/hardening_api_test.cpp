// What any client may send and what ops tools read: no 500s, bounded work, logs, signals (issue
// 14).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "api/api_fixture.hpp"
#include "api/shop_fixture.hpp"
#include "app/logging.hpp"

using namespace freshlane::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

class Hardening : public ApiTest {
 protected:
  static void SetUpTestSuite() { start_suite({{"FRESHLANE_LOG_FORMAT", "json"}}); }
};

std::string admin_auth() { return std::string("Bearer ") + kAdminToken; }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// A client socket from `source` (any 127/8 address: Linux routes all of them to lo) to the
// server on 127.0.0.1; -1 when it cannot connect.
int connect_from(const char* source, unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` from `source` and reads until the server closes or `timeout` passes: all the
// bytes that came ("" when nothing did).
std::string exchange_from(const char* source, unsigned short port, const std::string& request,
                          std::chrono::milliseconds timeout) {
  const int fd = connect_from(source, port);
  if (fd < 0) return "";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string got;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    got.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return got;
}

int status_of(const std::string& raw) {
  return raw.size() > 12 && raw.rfind("HTTP/1.", 0) == 0 ? std::stoi(raw.substr(9, 3)) : 0;
}

std::string body_of(const std::string& raw) {
  const auto at = raw.find("\r\n\r\n");
  return at == std::string::npos ? "" : raw.substr(at + 4);
}

std::string get_request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
}

// The instance a problem answer must carry: its own request id.
void expect_instance_is_request_id(const HttpResponse& r) {
  const auto id = r.header("x-request-id");
  ASSERT_TRUE(id);
  EXPECT_EQ(r.json().value("instance", ""), "urn:request:" + *id) << r.body;
}

// The process's soft limit on open files lowered while a server is started, so the server
// inherits it; the test process gets its own limit back at once.
class LowFileLimit {
 public:
  explicit LowFileLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit low = saved_;
    low.rlim_cur = soft;
    ::setrlimit(RLIMIT_NOFILE, &low);
  }
  ~LowFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

}  // namespace

// ---- /metrics labels come only from known routes and methods ----------------------------

TEST_F(Hardening, TenThousandInventedMethodsLeaveMetricsSmall) {
  server().get("/healthz");
  const std::size_t before = server().get("/metrics").body.size();
  // 10,000 requests with methods nobody uses, pipelined on ten keep-alive connections.
  constexpr int kConnections = 10, kEach = 1000;
  for (int c = 0; c < kConnections; ++c) {
    Connection conn(server().port());
    std::string burst;
    for (int i = 0; i < kEach; ++i) {
      const std::string method = "XINVENTED" + std::to_string(c * kEach + i);
      burst += build_request(method, i % 2 ? "/v1/stores" : "/nowhere", "", {}, true);
    }
    ASSERT_TRUE(conn.send(burst));
    for (int i = 0; i < kEach; ++i) {
      const auto r = conn.read_response(10s);
      ASSERT_TRUE(r) << "response " << i << " on connection " << c;
      ASSERT_EQ(r->status, i % 2 ? 405 : 404);
    }
  }
  const std::string after = server().get("/metrics").body;
  std::printf("/metrics: %zu bytes before, %zu after 10,000 invented methods\n", before,
              after.size());
  EXPECT_EQ(after.find("XINVENTED"), std::string::npos);
  EXPECT_LT(after.size(), before + 8 * 1024);  // two more series (404 and 405), not 10,000
  EXPECT_NE(after.find("freshlane_http_requests_total{route=\"unmatched\",method=\"OTHER\","
                       "status=\"404\"} 5000"),
            std::string::npos);
  EXPECT_NE(after.find("freshlane_http_requests_total{route=\"/v1/stores\",method=\"OTHER\","
                       "status=\"405\"} 5000"),
            std::string::npos);
}

// ---- No 500 for anything a client sends ---------------------------------------------------

TEST_F(Hardening, InvalidUtf8AndNulInPathOrQueryAre400) {
  const std::vector<Header> admin{{"Authorization", admin_auth()}};
  for (const char* target :
       {"/v1/orders/%FF", "/v1/orders/%C0%AF", "/v1/stores/a%00b", "/v1/stores?q=%FF",
        "/v1/stores/jq/products?q=%FF", "/v1/stores/jq/products?q=king%00crab",
        "/v1/stores/jq/products?%FF=1", "/v1/stores/jq/products?q=%E5%B8"}) {
    const auto r = server().get(target, admin);
    EXPECT_TRUE(is_problem(r, 400, "bad_request")) << target << " → " << r.status << " " << r.body;
    expect_instance_is_request_id(r);
  }
  // Raw bytes that are not UTF-8 are refused the same way.
  const std::string raw = exchange_from(
      "127.0.0.1", server().port(),
      "GET /v1/orders/\xff\xfe HTTP/1.1\r\nHost: x\r\nAuthorization: " + admin_auth() +
          "\r\nConnection: close\r\n\r\n",
      5s);
  EXPECT_EQ(status_of(raw), 400) << raw;
  // Well-formed text still goes through.
  EXPECT_EQ(server().get("/v1/stores?q=%E5%B8%9D").status, 200);
}

TEST_F(Hardening, UnknownTransferCodingsAre501) {
  for (const char* coding : {"gzip, chunked", "foo", "chunked, chunked", "identity"}) {
    const std::string raw = exchange_from(
        "127.0.0.1", server().port(),
        std::string("POST /v1/stores HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: ") +
            coding + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        5s);
    EXPECT_EQ(status_of(raw), 501) << coding << ": " << raw;
    const auto body = nlohmann::json::parse(body_of(raw), nullptr, false);
    EXPECT_EQ(body.value("code", ""), "not_implemented") << coding;
    EXPECT_EQ(body.value("instance", "").rfind("urn:request:", 0), 0u) << coding;
  }
  // Chunked alone is read as ever.
  const std::string raw =
      exchange_from("127.0.0.1", server().port(),
                    "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: "
                    "close\r\n\r\n0\r\n\r\n",
                    5s);
  EXPECT_EQ(status_of(raw), 200) << raw;
}

TEST_F(Hardening, ProblemsCarryTheRequestIdAndNoLibraryText) {
  const auto r = server().get("/v1/nothing", {{"X-Request-Id", "find-me-42"}});
  ASSERT_TRUE(is_problem(r, 404, "not_found"));
  EXPECT_EQ(r.json()["instance"], "urn:request:find-me-42");
  expect_instance_is_request_id(server().send("DELETE", "/v1/stores", ""));
  // A request the HTTP parser refuses: our words, not the parser's, and an instance.
  for (const char* garbage :
       {"THIS IS NOT HTTP\r\n\r\n", "GET / HTTP/1.1 x\r\n\r\n", "GET / HTTP/1.1\r\nHost x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"}) {
    const std::string raw = exchange_from("127.0.0.1", server().port(), garbage, 5s);
    ASSERT_EQ(status_of(raw), 400) << garbage;
    const auto body = nlohmann::json::parse(body_of(raw), nullptr, false);
    const std::string detail = body.value("detail", "");
    EXPECT_EQ(detail.find("bad "), std::string::npos) << detail;  // Beast says "bad method"...
    EXPECT_EQ(detail.find("beast"), std::string::npos) << detail;
    EXPECT_EQ(body.value("instance", "").rfind("urn:request:", 0), 0u) << raw;
  }
}

// ---- HEAD on every GET route ----------------------------------------------------------------

TEST_F(Hardening, HeadAnswersTheGetsHeadersWithoutTheBody) {
  for (const char* target : {"/healthz", "/openapi.yaml", "/v1/stores", "/v1/stores/nope"}) {
    const auto get = server().get(target);
    const std::string raw = exchange_from(
        "127.0.0.1", server().port(),
        std::string("HEAD ") + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5s);
    EXPECT_EQ(status_of(raw), get.status) << target;
    EXPECT_EQ(body_of(raw), "") << target;  // the head, and nothing after it
    EXPECT_NE(raw.find("Content-Length: " + std::to_string(get.body.size()) + "\r\n"),
              std::string::npos)
        << target << ": " << raw;
    EXPECT_NE(raw.find("Content-Type: " + *get.header("content-type")), std::string::npos);
  }
  // On a keep-alive connection the next answer follows the head directly.
  const std::string two =
      exchange_from("127.0.0.1", server().port(),
                    "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + get_request("/healthz"), 5s);
  const auto head_end = two.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << two;
  EXPECT_EQ(two.substr(head_end + 4, 15), "HTTP/1.1 200 OK") << two;
  // A path with no GET still lists what it allows.
  const std::string post_only = exchange_from(
      "127.0.0.1", server().port(),
      "HEAD /v1/orders/o1/pickup HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5s);
  EXPECT_EQ(status_of(post_only), 405) << post_only;
  EXPECT_NE(post_only.find("Allow: POST"), std::string::npos) << post_only;
  EXPECT_EQ(body_of(post_only), "");
}

// ---- Logs: one JSON object per line, UTC, route templates, trace ids ----------------------

TEST_F(Hardening, JsonLogsAreOneObjectPerLineWithTheAccessFields) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  server().get(
      "/v1/stores/nope-secret-path",
      {{"X-Request-Id", "json-log-1"}, {"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  server().get("/healthz", {{"X-Request-Id", "json-log-2"}, {"traceparent", "00-zz-bad-01"}});
  std::this_thread::sleep_for(1500ms);  // lines are written every 100 ms, flushed every second
  const std::regex utc_ms(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  bool saw_first = false, saw_second = false, saw_app = false;
  for (const auto& line : lines_of(server().log())) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    ASSERT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
    EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(), utc_ms)) << line;
    if (j.value("type", "") != "access") {
      saw_app = true;
      continue;
    }
    if (j.value("request_id", "") == "json-log-1") {
      saw_first = true;
      EXPECT_EQ(j["route"], "/v1/stores/{store_id}");
      EXPECT_EQ(j["method"], "GET");
      EXPECT_EQ(j["status"], 404);
      EXPECT_EQ(j["client"], "127.0.0.1");
      EXPECT_GT(j["bytes"].get<int>(), 0);
      EXPECT_TRUE(j["duration_ms"].is_number());
      EXPECT_EQ(j["trace_id"], trace);
      EXPECT_EQ(line.find("nope-secret-path"), std::string::npos);  // the template, not the path
    }
    if (j.value("request_id", "") == "json-log-2") {
      saw_second = true;
      EXPECT_FALSE(j.contains("trace_id"));  // an invalid traceparent is ignored
    }
  }
  EXPECT_TRUE(saw_first && saw_second && saw_app) << server().log();
}

TEST(HardeningLogs, MultiLineMessagesStayOnOneLineInEitherFormat) {
  namespace app = freshlane::app;
  const std::string path = "/tmp/freshlane-log-test-" + std::to_string(::getpid()) + ".log";
  ::unlink(path.c_str());
  auto wait_for_lines = [&](const std::string& file, std::size_t n) {
    const auto deadline = Clock::now() + 5s;
    while (lines_of(read_text(file)).size() < n && Clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    return lines_of(read_text(file));
  };
  {
    auto log = app::setup_logging("info", "json", path);
    log->error("ERROR:  invalid byte sequence\nLINE 1: SELECT \"x\" \xff\tend");
    freshlane::http::AccessRecord r;
    r.request_id = "r\"1";
    r.client = "127.0.0.1";
    r.method = "GET";
    r.route = "/v1/orders/{order_id}";
    r.path = "/v1/orders/o1";
    r.status = 200;
    r.bytes = 12;
    r.duration = 1500us;
    app::access_log()(r);
    log->flush();
    const auto lines = wait_for_lines(path, 2);
    ASSERT_EQ(lines.size(), 2u) << read_text(path);
    const auto app_line = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(app_line["level"], "error");
    EXPECT_EQ(app_line["msg"],
              "ERROR:  invalid byte sequence\nLINE 1: SELECT \"x\" \xef\xbf\xbd\tend");
    const auto access = nlohmann::json::parse(lines[1]);
    EXPECT_EQ(access["request_id"], "r\"1");
    EXPECT_EQ(access["route"], "/v1/orders/{order_id}");
    EXPECT_EQ(access["duration_ms"], 1.5);
    EXPECT_EQ(access["msg"], "GET /v1/orders/{order_id} 200");
    // SIGHUP's work: after the file was moved away, lines go to a new file by the old name.
    ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
    app::reopen_logs();
    log->info("after the move");
    log->flush();
    const auto moved = wait_for_lines(path, 1);
    ASSERT_EQ(moved.size(), 1u);
    EXPECT_NE(moved[0].find("after the move"), std::string::npos);
    EXPECT_EQ(lines_of(read_text(path + ".1")).size(), 2u);
  }
  ::unlink(path.c_str());
  ::unlink((path + ".1").c_str());
  {
    auto log = app::setup_logging("info", "text", path);
    log->warn("first line\nsecond line\r\nthird");
    log->flush();
    const auto lines = wait_for_lines(path, 1);
    ASSERT_EQ(lines.size(), 1u) << read_text(path);
    EXPECT_TRUE(std::regex_search(
        lines[0],
        std::regex(
            R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z warning first line\\nsecond line\\r\\nthird$)")))
        << lines[0];
  }
  ::unlink(path.c_str());
}

// ---- Connections: one client cannot lock the others out -----------------------------------

TEST(HardeningConnections, OneClientsIdleSocketsDoNotLockOthersOut) {
  TestDatabase db;
  migrate_database(db.url());
  ServerProcess server(db.url(), {{"FRESHLANE_MAX_CONNECTIONS", "100"},
                                  {"FRESHLANE_MAX_CONNECTIONS_PER_CLIENT", "50"}});
  // One client (127.0.0.1) opens 300 sockets and sends nothing.
  std::vector<int> held;
  for (int i = 0; i < 300; ++i) {
    const int fd = connect_from("127.0.0.1", server.port());
    ASSERT_GE(fd, 0) << "socket " << i;
    held.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);  // the server has taken them all in
  // Another client still gets its answer.
  const auto start = Clock::now();
  const std::string other = exchange_from("127.0.0.2", server.port(), get_request("/healthz"), 5s);
  const auto waited = Clock::now() - start;
  std::printf("other client while one holds 300 sockets: %s in %lld ms\n",
              other.substr(0, other.find("\r\n")).c_str(),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()));
  EXPECT_EQ(status_of(other), 200) << other;
  // The greedy client itself is told 503, with a problem and Retry-After.
  const std::string greedy = exchange_from("127.0.0.1", server.port(), get_request("/healthz"), 5s);
  EXPECT_EQ(status_of(greedy), 503) << greedy;
  EXPECT_NE(greedy.find("Retry-After: "), std::string::npos);
  EXPECT_NE(greedy.find("application/problem+json"), std::string::npos);
  EXPECT_NE(body_of(greedy).find("from your address"), std::string::npos);
  const std::string metrics =
      exchange_from("127.0.0.2", server.port(), get_request("/metrics"), 5s);
  // 300 sockets against a cap of 50, and the greedy request: at least 251 refused.
  EXPECT_GE(
      metric_value(metrics, "freshlane_http_connections_refused_total{reason=\"per_client\"}"),
      251);
  for (const int fd : held) ::close(fd);
  // Its capacity comes back once it lets go.
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(status_of(exchange_from("127.0.0.1", server.port(), get_request("/healthz"), 5s)), 200);
}

TEST(HardeningConnections, AtTheFileDescriptorLimitNewClientsGet503NotSilence) {
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan, beside another suite (ctest -j2), new clients once got no answer within 5 s at
  // 128 descriptors; the plain build's run of this test is the one that counts until that is
  // understood (issue 14's note).
  GTEST_SKIP() << "not meaningful under AddressSanitizer yet";
#endif
  TestDatabase db;
  migrate_database(db.url());
  std::unique_ptr<ServerProcess> server;
  {
    const LowFileLimit low(128);
    server = std::make_unique<ServerProcess>(
        db.url(),
        std::map<std::string, std::string>{{"FRESHLANE_MAX_CONNECTIONS_PER_CLIENT", "0"}});
  }
  // A flood of idle sockets, more than the server has descriptors for.
  std::vector<int> held;
  for (int i = 0; i < 300; ++i) {
    const int fd = connect_from("127.0.0.1", server->port());
    if (fd >= 0) held.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);
  for (const char* source : {"127.0.0.2", "127.0.0.3", "127.0.0.1"}) {
    const auto start = Clock::now();
    const std::string r = exchange_from(source, server->port(), get_request("/healthz"), 5s);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    std::printf("new client %s at the descriptor limit: %s in %lld ms\n", source,
                r.empty() ? "(nothing)" : r.substr(0, r.find("\r\n")).c_str(),
                static_cast<long long>(ms));
    EXPECT_EQ(status_of(r), 503) << source << ": " << r;
    EXPECT_LT(ms, 2000) << source;
    EXPECT_NE(r.find("Retry-After: "), std::string::npos);
  }
  EXPECT_TRUE(server->running());
  for (const int fd : held) ::close(fd);
  // Serving again once the flood is gone (rejected sockets linger at most 2 s).
  std::string r;
  const auto deadline = Clock::now() + 10s;
  while (status_of(r) != 200 && Clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    r = exchange_from("127.0.0.2", server->port(), get_request("/healthz"), 2s);
  }
  EXPECT_EQ(status_of(r), 200) << r;
}

// ---- Signals: SIGHUP reopens the log file and drops nothing ------------------------------

TEST(HardeningSignals, SighupUnderLoadReopensTheLogFileAndDropsNoRequest) {
  TestDatabase db;
  migrate_database(db.url());
  const std::string log_path = "/tmp/freshlane-sighup-" + std::to_string(::getpid()) + ".log";
  ::unlink(log_path.c_str());
  ::unlink((log_path + ".1").c_str());
  ServerProcess server(db.url(), {{"FRESHLANE_LOG_FILE", log_path}});
  std::atomic<int> answered{0}, failed{0}, running{4};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      Connection c(server.port());
      for (int i = 0; i < 1000; ++i) {
        const auto r = c.send(build_request("GET", "/healthz", "", {}, true)) ? c.read_response(5s)
                                                                              : std::nullopt;
        if (!r || r->status != 200) {
          ++failed;
          break;
        }
        ++answered;
      }
      --running;
    });
  }
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(std::rename(log_path.c_str(), (log_path + ".1").c_str()), 0);  // logrotate's move
  int hangups_under_load = 0;
  while (running > 0) {
    ::kill(server.pid(), SIGHUP);
    ++hangups_under_load;
    std::this_thread::sleep_for(10ms);
  }
  for (auto& t : clients) t.join();
  std::printf("%d SIGHUPs while 4 clients sent 4,000 requests: %d answered, %d failed\n",
              hangups_under_load, answered.load(), failed.load());
  EXPECT_GE(hangups_under_load, 2);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(answered.load(), 4 * 1000);
  EXPECT_TRUE(server.running());
  EXPECT_EQ(server.get("/healthz").status, 200);
  std::this_thread::sleep_for(1500ms);
  const std::string fresh = read_text(log_path);
  EXPECT_NE(fresh.find("SIGHUP"), std::string::npos) << fresh;
  EXPECT_NE(fresh.find("GET /healthz 200"), std::string::npos);
  EXPECT_NE(read_text(log_path + ".1").find("listening on"), std::string::npos);
  // Every request is in one file or the other.
  const std::string all = read_text(log_path + ".1") + fresh;
  std::size_t access_lines = 0;
  for (std::size_t at = 0; (at = all.find("GET /healthz 200", at)) != std::string::npos; ++at) {
    ++access_lines;
  }
  EXPECT_GE(access_lines, 4u * 1000u);
  EXPECT_EQ(server.stop(), 0);
  ::unlink(log_path.c_str());
  ::unlink((log_path + ".1").c_str());
}

// ---- Metrics for ops: process, database timing, names promtool accepts ---------------------

TEST_F(Hardening, MetricsCarryProcessAndDatabaseTiming) {
  ASSERT_EQ(server().get("/readyz").status, 200);  // a database job
  // The pool records a job's time after the job has answered, so a scrape may come first.
  std::string text;
  for (int tries = 0; tries < 50; ++tries) {
    text = server().get("/metrics").body;
    if (metric_value(text, "freshlane_db_job_duration_seconds_count") >= 1) break;
    std::this_thread::sleep_for(20ms);
  }
  for (const char* name :
       {"process_start_time_seconds ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_max_fds ", "process_cpu_seconds_total ", "freshlane_db_pool_wait_seconds_count ",
        "freshlane_db_job_duration_seconds_count ",
        "freshlane_delivery_paid_to_door_seconds_count ",
        "freshlane_picking_paid_to_conveyor_seconds_count "}) {
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name;
  }
  const auto at = text.find("\nfreshlane_db_job_duration_seconds_count ");
  EXPECT_GE(std::stoi(text.substr(at + 41)), 1);
  EXPECT_EQ(text.find("_minutes"), std::string::npos);
  // Every family has HELP and TYPE, and every counter's name ends in _total.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream words(line.substr(7));
    std::string name, type;
    words >> name >> type;
    EXPECT_NE(text.find("# HELP " + name + " "), std::string::npos) << name;
    if (type == "counter") {
      EXPECT_TRUE(name.ends_with("_total")) << name;
    }
  }
}

// Behind a trusted load balancer the client is the rightmost forwarded hop it did not write
// itself; from anyone else X-Forwarded-For proves nothing.
TEST(HardeningProxies, TheClientBehindATrustedProxyIsItsRightmostForwardedHop) {
  TestDatabase db;
  migrate_database(db.url());
  ServerProcess server(db.url(), {{"FRESHLANE_LOG_FORMAT", "json"},
                                  {"FRESHLANE_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"}});
  server.get("/healthz", {{"X-Request-Id", "xff-1"}, {"X-Forwarded-For", "6.6.6.6, 203.0.113.7"}});
  // A client's own header first, the proxy's below it: one list.
  server.get("/healthz", {{"X-Request-Id", "xff-2"},
                          {"X-Forwarded-For", "1.2.3.4"},
                          {"X-Forwarded-For", "203.0.113.9, 10.1.2.3"}});
  server.get("/healthz", {{"X-Request-Id", "xff-3"}, {"X-Forwarded-For", "not-an-address"}});
  ServerProcess untrusting(db.url(), {{"FRESHLANE_LOG_FORMAT", "json"}});
  untrusting.get("/healthz", {{"X-Request-Id", "xff-4"}, {"X-Forwarded-For", "203.0.113.7"}});
  std::this_thread::sleep_for(1500ms);
  std::map<std::string, std::string> client_of;
  for (const auto& text : {server.log(), untrusting.log()}) {
    for (const auto& line : lines_of(text)) {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("type", "") == "access") {
        client_of[j.value("request_id", "")] = j.value("client", "");
      }
    }
  }
  EXPECT_EQ(client_of["xff-1"], "203.0.113.7");
  EXPECT_EQ(client_of["xff-2"], "203.0.113.9");
  EXPECT_EQ(client_of["xff-3"], "127.0.0.1");
  EXPECT_EQ(client_of["xff-4"], "127.0.0.1");
}
