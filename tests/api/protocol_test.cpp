// HTTP behaviour every client meets: limits, timeouts, keep-alive, errors, request ids, stop.
#include <thread>

#include "api/api_fixture.hpp"

using namespace freshlane::testing;
using namespace std::chrono_literals;

namespace {

class Protocol : public ApiTest {
 protected:
  static void SetUpTestSuite() {
    db_ = new TestDatabase();
    migrate_database(db_->url());
    server_ = new ServerProcess(
        db_->url(), {{"FRESHLANE_IDLE_TIMEOUT_MS", "1000"}, {"FRESHLANE_IO_TIMEOUT_MS", "1000"}});
  }
};

std::string admin_header() { return std::string("Authorization: Bearer ") + kAdminToken + "\r\n"; }

}  // namespace

TEST_F(Protocol, MalformedJsonIsAProblemNotACrash) {
  const auto r = server().admin("POST", "/v1/stores", "{\"name\": \"x\",");
  EXPECT_TRUE(is_problem(r, 400, "malformed_json")) << r.body;
  EXPECT_TRUE(is_problem(server().admin("POST", "/v1/stores", ""), 400, "malformed_json"));
  EXPECT_TRUE(is_problem(server().admin("POST", "/v1/stores", "\"just a string\""), 400,
                         "validation_failed"));
  EXPECT_TRUE(is_problem(
      server().admin("POST", "/v1/stores", "{\"name\": \"\xff\xfe\", \"lat\": 1, \"lon\": 1}"), 400,
      "malformed_json"));
  EXPECT_TRUE(server().running());
}

TEST_F(Protocol, UnknownMembersAndWrongTypesAreListed) {
  const auto r = server().admin(
      "POST", "/v1/products",
      R"({"sku": 7, "name": ["x"], "category": "seafood", "unit": "kg", "storage": "live", "price": 5})");
  ASSERT_TRUE(is_problem(r, 400, "validation_failed"));
  const auto errors = r.json()["errors"];
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0]["field"], "sku");
  EXPECT_EQ(errors[1]["field"], "name");
  EXPECT_EQ(errors[2]["field"], "price");
}

TEST_F(Protocol, TwoMebibyteBodyIs413) {
  const std::string big(2 * 1024 * 1024, 'x');
  Connection c(server().port());
  c.send(build_request("POST", "/v1/stores", big,
                       {{"Authorization", std::string("Bearer ") + kAdminToken}}, true));
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_TRUE(is_problem(*r, 413, "payload_too_large")) << r->body;
  EXPECT_TRUE(c.closed_within(3s));
}

TEST_F(Protocol, ChunkedBodyOverTheLimitIs413) {
  Connection c(server().port());
  std::string req = "POST /v1/stores HTTP/1.1\r\nHost: x\r\n" + admin_header() +
                    "Transfer-Encoding: chunked\r\n\r\n";
  c.send(req);
  const std::string chunk(64 * 1024, 'y');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  for (int i = 0; i < 20 && c.send(size_line + chunk + "\r\n"); ++i) {
  }
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_TRUE(is_problem(*r, 413, "payload_too_large"));
}

TEST_F(Protocol, TenKibibyteHeaderIs431) {
  const auto r = server().get("/healthz", {{"X-Padding", std::string(10 * 1024, 'h')}});
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
}

TEST_F(Protocol, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  EXPECT_TRUE(is_problem(server().get("/v1/nothing-here"), 404, "not_found"));
  EXPECT_TRUE(is_problem(server().get("/"), 404, "not_found"));
  const auto r = server().send("DELETE", "/v1/stores/jq", "");
  EXPECT_TRUE(is_problem(r, 405, "method_not_allowed"));
  EXPECT_EQ(r.header("allow"), "GET");
  EXPECT_EQ(server().send("PATCH", "/v1/stores", "").header("allow"), "POST, GET");
}

TEST_F(Protocol, GarbageRequestLineIs400) {
  Connection c(server().port());
  c.send("THIS IS NOT HTTP\r\n\r\n");
  const auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_TRUE(is_problem(*r, 400, "bad_request"));
}

TEST_F(Protocol, RequestIdIsEchoedOrGenerated) {
  EXPECT_EQ(server().get("/healthz", {{"X-Request-Id", "trace-abc-123"}}).header("x-request-id"),
            "trace-abc-123");
  const auto generated = server().get("/healthz").header("x-request-id");
  ASSERT_TRUE(generated);
  EXPECT_GE(generated->size(), 8u);
  EXPECT_NE(server().get("/healthz").header("x-request-id"), generated);
  // An id with control characters or absurd length is replaced, not echoed.
  EXPECT_NE(server()
                .get("/healthz", {{"X-Request-Id", std::string(300, 'a')}})
                .header("x-request-id")
                ->size(),
            300u);
}

TEST_F(Protocol, RequestsAreLoggedWithStatusTimeAndId) {
  server().get("/healthz", {{"X-Request-Id", "log-me-please"}});
  std::this_thread::sleep_for(1500ms);  // lines are written every 100 ms, flushed every second
  const std::string log = server().log();
  EXPECT_NE(log.find("GET /healthz 200"), std::string::npos);
  EXPECT_NE(log.find("id=log-me-please"), std::string::npos);
}

TEST_F(Protocol, KeepAliveServesManyRequestsOnOneConnection) {
  Connection c(server().port());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.send(build_request("GET", "/healthz", "", {}, true)));
    const auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
  }
}

TEST_F(Protocol, PipelinedRequestsAreAnsweredInOrder) {
  Connection c(server().port());
  c.send(build_request("GET", "/healthz", "", {{"X-Request-Id", "one"}}, true) +
         build_request("GET", "/v1/nothing", "", {{"X-Request-Id", "two"}}, true));
  const auto first = c.read_response();
  const auto second = c.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->header("x-request-id"), "one");
  EXPECT_EQ(second->status, 404);
  EXPECT_EQ(second->header("x-request-id"), "two");
}

TEST_F(Protocol, AClientTricklingItsHeadIsCutOff) {
  Connection c(server().port());
  const auto start = std::chrono::steady_clock::now();
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  bool cut = false;
  for (size_t i = 0; i < 40 && !cut; ++i) {  // one byte every 250 ms: 10 s if never cut
    if (!c.send(std::string(1, i < head.size() ? head[i] : 'a')))
      cut = true;
    else
      cut = c.closed_within(250ms);
  }
  EXPECT_TRUE(cut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // idle timeout is 1 s here
}

TEST_F(Protocol, AClientTricklingItsBodyIsCutOff) {
  Connection c(server().port());
  c.send("POST /v1/stores HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n" + admin_header() +
         "\r\n{");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(4s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(Protocol, AnIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  Connection c(server().port());
  c.send(build_request("GET", "/healthz", "", {}, true));
  ASSERT_TRUE(c.read_response());
  EXPECT_TRUE(c.closed_within(3s));
}

TEST(ProtocolLimits, ConnectionsBeyondTheCapGet503WithRetryAfter) {
  TestDatabase db;
  migrate_database(db.url());
  ServerProcess server(db.url(), {{"FRESHLANE_MAX_CONNECTIONS", "3"}});
  std::vector<std::unique_ptr<Connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<Connection>(server.port()));
    held.back()->send(build_request("GET", "/healthz", "", {}, true));
    ASSERT_TRUE(held.back()->read_response());
  }
  Connection extra(server.port());
  extra.send(build_request("GET", "/healthz", "", {}, true));
  const auto r = extra.read_response();
  ASSERT_TRUE(r);
  EXPECT_TRUE(is_problem(*r, 503, "unavailable"));
  EXPECT_EQ(r->header("retry-after"), "1");
  held.clear();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.get("/healthz").status, 200);  // capacity comes back
}

TEST(ProtocolLimits, SigtermStopsGracefullyWithExitZeroDespiteIdleConnections) {
  TestDatabase db;
  migrate_database(db.url());
  ServerProcess server(db.url());
  Connection idle(server.port());
  idle.send(build_request("GET", "/healthz", "", {}, true));
  ASSERT_TRUE(idle.read_response());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_NE(server.log().find("stopped"), std::string::npos);
  EXPECT_THROW(request(server.port(), "GET", "/healthz"), std::runtime_error);
}
