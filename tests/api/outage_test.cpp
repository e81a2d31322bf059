// PostgreSQL goes away and comes back: 503 with Retry-After meanwhile, never a hang or a crash,
// and recovery without a restart. This test runs its own PostgreSQL so it can stop it.
#include <cstdlib>
#include <thread>

#include "api/api_fixture.hpp"

using namespace freshlane::testing;
using namespace std::chrono_literals;

namespace {

std::string shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[512];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = p ? ::pclose(p) : -1;
  if (status != 0) throw std::runtime_error("failed: " + cmd + "\n" + out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

class PrivatePostgres {
 public:
  PrivatePostgres() {
    char tmpl[] = "/tmp/freshlane-outage-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ::chmod(dir_.c_str(), 0755);
    url_ = shell(script() + " start " + dir_);
    port_ = shell("cat " + dir_ + "/port");
  }
  ~PrivatePostgres() {
    try {
      shell(script() + " stop " + dir_);
      shell("rm -rf " + dir_);
    } catch (...) {
    }
  }
  void stop() { shell(script() + " stop " + dir_); }
  void start() { shell(script() + " start " + dir_ + " " + port_); }
  std::string url(const std::string& db) const { return with_database(url_, db); }
  const std::string& admin_url() const { return url_; }

 private:
  static std::string script() {
    return std::string("bash ") + FRESHLANE_SOURCE_DIR + "/scripts/pg";
  }
  std::string dir_, url_, port_;
};

}  // namespace

TEST(Outage, PostgresStoppedGives503ThenRecoversWithoutARestart) {
  PrivatePostgres pg;
  {
    pqxx::connection c(pg.admin_url());
    pqxx::nontransaction tx(c);
    tx.exec("CREATE DATABASE shop");
  }
  const std::string url = pg.url("shop");
  migrate_database(url);
  ServerProcess server(url, {{"FRESHLANE_STATEMENT_TIMEOUT_MS", "2000"}});
  ASSERT_EQ(server
                .admin("POST", "/v1/stores",
                       R"({"store_id": "s1", "name": "S", "lat": 31.2, "lon": 121.5})")
                .status,
            201);
  ASSERT_EQ(server.get("/v1/stores/s1").status, 200);

  pg.stop();
  for (int i = 0; i < 5; ++i) {  // every pooled connection notices, none hangs
    const auto start = std::chrono::steady_clock::now();
    const auto r = server.get("/v1/stores/s1");
    EXPECT_TRUE(is_problem(r, 503, "unavailable")) << r.status << " " << r.body;
    EXPECT_TRUE(r.header("retry-after").has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  }
  EXPECT_TRUE(is_problem(server.get("/readyz"), 503, "unavailable"));
  EXPECT_EQ(server.get("/healthz").status, 200);  // the process itself is fine
  // A forged QR code is refused without the database, so even now it is a 404, not a 503.
  EXPECT_TRUE(
      is_problem(server.get("/v1/scan/FL1.L.LABCDEFGHJKMN.AAAAAAAAAAAAAAAA"), 404, "unknown_code"));

  pg.start();
  // Each pooled connection finds out that its server went away the first time it is used
  // again (a 503 then, and a new connection after), so the first answers may still be 503s.
  const auto recovers = [&](const std::string& target) {
    for (int i = 0; i < 100; ++i) {
      if (server.get(target).status == 200) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  EXPECT_TRUE(recovers("/v1/stores/s1"));
  EXPECT_TRUE(recovers("/readyz"));
  EXPECT_TRUE(server.running());
  EXPECT_EQ(server.stop(), 0) << server.log();  // what the server said, if it stopped badly
}
