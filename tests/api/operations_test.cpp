// Health, readiness, metrics, the served API description, and how start-up refuses bad states.
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "api/api_fixture.hpp"

using namespace freshlane::testing;

namespace {
class Operations : public ApiTest {};
}  // namespace

TEST_F(Operations, HealthAndReadiness) {
  EXPECT_EQ(server().get("/healthz").status, 200);
  const auto r = server().get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["status"], "ready");
}

TEST_F(Operations, MetricsSpeakPrometheus) {
  server().get("/healthz");
  server().get("/v1/stores/none");
  const auto r = server().get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type")->rfind("text/plain; version=0.0.4", 0), 0u);
  for (const char* expected :
       {"# TYPE freshlane_http_requests_total counter",
        "freshlane_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}",
        "freshlane_http_requests_total{route=\"/v1/stores/"
        "{store_id}\",method=\"GET\",status=\"404\"}",
        "# TYPE freshlane_http_request_duration_seconds histogram",
        "freshlane_http_request_duration_seconds_bucket{route=\"/"
        "healthz\",method=\"GET\",status=\"200\",le=\"+Inf\"}",
        "freshlane_db_pool_in_use ", "freshlane_db_pool_waiting ",
        "freshlane_build_info{version=\""}) {
    EXPECT_NE(r.body.find(expected), std::string::npos) << expected;
  }
}

TEST_F(Operations, ServesTheApiDescriptionItWasBuiltWith) {
  const auto r = server().get("/openapi.yaml");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/yaml");
  std::ifstream file(std::string(FRESHLANE_SOURCE_DIR) + "/openapi.yaml");
  const std::string on_disk((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
  EXPECT_EQ(r.body, on_disk);
}

// A server started before its migrations waits: not ready, and none of its periodic work
// (floor clock, dispatch, sweep, change feed, refunds) touches half-made tables, where its
// locks would deadlock against the migration. Once migrated, the work starts by itself.
TEST(Startup, NotReadyUntilMigratedAndRunsNoPeriodicWorkUntilThen) {
  TestDatabase db;
  ServerProcess server(db.url(), {{"FRESHLANE_SWEEP_INTERVAL_MS", "100"}});
  const auto r = server.get("/readyz");
  EXPECT_TRUE(is_problem(r, 503, "unavailable"));
  EXPECT_NE(r.json()["detail"].get<std::string>().find("pending"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // five sweeps' worth of polls
  EXPECT_EQ(server.log().find("does not exist"), std::string::npos) << server.log();
  const std::string swept = "freshlane_periodic_runs_total{job=\"expiry\",outcome=\"run\"} 0";
  EXPECT_NE(server.get("/metrics").body.find(swept), std::string::npos);
  migrate_database(db.url());
  EXPECT_EQ(server.get("/readyz").status, 200);
  bool ran = false;
  for (int i = 0; i < 100 && !ran; ++i) {
    ran = server.get("/metrics").body.find(swept) == std::string::npos;
    if (!ran) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(ran) << "the expiry sweep never ran after migrating";
}

TEST(Startup, AnEditedMigrationStopsMigrateAndServe) {
  TestDatabase db;
  migrate_database(db.url());
  {
    pqxx::connection c(db.url());
    pqxx::nontransaction tx(c);
    tx.exec("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
  }
  std::string out;
  EXPECT_EQ(run_freshlane({"migrate"}, {{"FRESHLANE_DATABASE_URL", db.url()}}, &out), 1);
  EXPECT_NE(out.find("0001_catalog.sql was changed after it was applied"), std::string::npos)
      << out;
  EXPECT_EQ(run_freshlane({"serve"},
                          {{"FRESHLANE_DATABASE_URL", db.url()},
                           {"FRESHLANE_ADMIN_TOKEN", kAdminToken},
                           {"FRESHLANE_QR_SECRET", kQrSecret},
                           {"FRESHLANE_PAYMENT_WEBHOOK_SECRET", kQrSecret},
                           {"FRESHLANE_LISTEN", "127.0.0.1:0"}},
                          &out),
            1);
  EXPECT_NE(out.find("was changed after it was applied"), std::string::npos) << out;
}

TEST(Startup, AMissingOrMalformedSettingStopsWithOneLineNamingIt) {
  std::string out;
  EXPECT_EQ(
      run_freshlane({"serve"}, {{"FRESHLANE_DATABASE_URL", "postgresql://x@127.0.0.1:1/x"}}, &out),
      2);
  EXPECT_NE(out.find("FRESHLANE_ADMIN_TOKEN: required but not set"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  EXPECT_EQ(run_freshlane({"migrate"},
                          {{"FRESHLANE_DATABASE_URL", "postgresql://x@127.0.0.1:1/x"},
                           {"FRESHLANE_DB_POOL_SIZE", "lots"}},
                          &out),
            2);
  EXPECT_NE(out.find("FRESHLANE_DB_POOL_SIZE"), std::string::npos) << out;
}

TEST(Startup, HelpListsCommandsAndSettings) {
  std::string out;
  EXPECT_EQ(run_freshlane({"--help"}, {}, &out), 0);
  for (const char* s :
       {"serve", "migrate", "seed-demo", "FRESHLANE_DATABASE_URL", "FRESHLANE_LISTEN",
        "FRESHLANE_THREADS", "FRESHLANE_DB_POOL_SIZE", "FRESHLANE_LOG_LEVEL",
        "FRESHLANE_ADMIN_TOKEN", "FRESHLANE_QR_SECRET", "FRESHLANE_PAYMENT_WEBHOOK_SECRET"}) {
    EXPECT_NE(out.find(s), std::string::npos) << s;
  }
  EXPECT_EQ(run_freshlane({"frobnicate"}, {}, &out), 2);
}

namespace {
std::map<std::string, std::string> serve_env(const std::string& url) {
  return {{"FRESHLANE_DATABASE_URL", url},
          {"FRESHLANE_ADMIN_TOKEN", kAdminToken},
          {"FRESHLANE_QR_SECRET", kQrSecret},
          {"FRESHLANE_PAYMENT_WEBHOOK_SECRET", kQrSecret},
          {"FRESHLANE_LISTEN", "127.0.0.1:0"}};
}
}  // namespace

TEST(Startup, AWrongPasswordIsNamedAndStopsEveryCommand) {
  TestDatabase db;
  std::string url = db.url();
  const auto at = url.find('@');
  const auto colon = url.rfind(':', at);
  ASSERT_NE(at, std::string::npos);
  url.replace(colon + 1, at - colon - 1, "not-the-password");
  std::string out;
  for (const char* command : {"serve", "migrate", "seed-demo"}) {
    EXPECT_EQ(run_freshlane({command}, serve_env(url), &out), 1) << command;
    EXPECT_NE(out.find("the database refused the credentials"), std::string::npos) << out;
    EXPECT_EQ(out.find("not-the-password"), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  }
  std::string missing = db.url();
  missing.replace(missing.rfind('/') + 1, std::string::npos, "no_such_database");
  EXPECT_EQ(run_freshlane({"migrate"}, serve_env(missing), &out), 1);
  EXPECT_NE(out.find("does not exist"), std::string::npos) << out;
}

TEST(Startup, AnUnreachableDatabaseStopsMigrateButNotServe) {
  std::string out;
  const std::string nowhere = "postgresql://x:y@127.0.0.1:1/x";
  EXPECT_EQ(run_freshlane({"migrate"}, serve_env(nowhere), &out), 1);
  EXPECT_NE(out.find("the database is unreachable"), std::string::npos) << out;
  ServerProcess server(nowhere);  // serves 503 until the database is there
  const auto r = server.get("/readyz");
  EXPECT_TRUE(is_problem(r, 503, "unavailable")) << r.body;
  EXPECT_NE(r.json()["detail"].get<std::string>().find("unreachable"), std::string::npos);
}

TEST(Startup, AMalformedDatabaseUrlStopsWithOneLine) {
  std::string out;
  for (const char* bad : {"host=x port", "postgresql://x@127.0.0.1/x?nosuchoption=1"}) {
    EXPECT_EQ(run_freshlane({"serve"}, serve_env(bad), &out), 2) << bad;
    EXPECT_NE(out.find("FRESHLANE_DATABASE_URL: not a connection URL"), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  }
}

TEST(Startup, VersionNamesTheBuild) {
  std::string out;
  EXPECT_EQ(run_freshlane({"--version"}, {}, &out), 0);
  // The version and the commit it was built from (read at configure time), on one line.
  EXPECT_TRUE(std::regex_match(out, std::regex(R"(freshlane \d+\.\d+\.\d+ \([0-9a-f]{7,40}\)\n)")))
      << out;
}

TEST(Startup, SecretsComeFromFilesAndSeedDemoNeverPrintsTheAdminToken) {
  TestDatabase db;
  migrate_database(db.url());
  const std::string dir = ::testing::TempDir();
  const std::string url_file = dir + "/freshlane_url_" + db.name();
  const std::string token_file = dir + "/freshlane_token_" + db.name();
  std::ofstream(url_file) << db.url() << "\n";
  std::ofstream(token_file) << kAdminToken << "\n";
  std::string out;
  EXPECT_EQ(run_freshlane({"seed-demo"},
                          {{"FRESHLANE_DATABASE_URL_FILE", url_file},
                           {"FRESHLANE_ADMIN_TOKEN_FILE", token_file},
                           {"FRESHLANE_QR_SECRET", kQrSecret}},
                          &out),
            0)
      << out;
  EXPECT_NE(out.find("seed-demo:"), std::string::npos) << out;
  EXPECT_EQ(out.find(kAdminToken), std::string::npos) << out;
  std::remove(url_file.c_str());
  std::remove(token_file.c_str());
}
