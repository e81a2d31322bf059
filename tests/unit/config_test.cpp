#include "freshlane/app/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

using namespace freshlane::app;

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
std::map<std::string, std::string> serve_minimum() {
  return {{"FRESHLANE_DATABASE_URL", "postgresql://x@127.0.0.1/db"},
          {"FRESHLANE_ADMIN_TOKEN", "0123456789abcdef"},
          {"FRESHLANE_QR_SECRET", "0123456789abcdef"},
          {"FRESHLANE_PAYMENT_WEBHOOK_SECRET", "0123456789abcdef"}};
}
std::string error_of(std::map<std::string, std::string> vars, Purpose p = Purpose::kServe) {
  try {
    load_config(env_of(std::move(vars)), p);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, DefaultsAreSane) {
  const Config c = load_config(env_of(serve_minimum()), Purpose::kServe);
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 8080);
  EXPECT_EQ(c.body_limit_bytes, 1024u * 1024u);
  EXPECT_GT(c.threads, 0);
  EXPECT_GT(c.db_pool_size, 0);
  EXPECT_EQ(c.log_level, "info");
}

TEST(Config, ReadsEverySetting) {
  auto vars = serve_minimum();
  vars["FRESHLANE_LISTEN"] = "0.0.0.0:9090";
  vars["FRESHLANE_THREADS"] = "4";
  vars["FRESHLANE_DB_POOL_SIZE"] = "16";
  vars["FRESHLANE_LOG_LEVEL"] = "warn";
  vars["FRESHLANE_BODY_LIMIT_BYTES"] = "2048";
  const Config c = load_config(env_of(vars), Purpose::kServe);
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 9090);
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.db_pool_size, 16);
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.body_limit_bytes, 2048u);
}

TEST(Config, MissingRequiredSettingIsNamed) {
  auto vars = serve_minimum();
  vars.erase("FRESHLANE_QR_SECRET");
  EXPECT_EQ(error_of(vars), "FRESHLANE_QR_SECRET: required but not set");
  vars = serve_minimum();
  vars.erase("FRESHLANE_DATABASE_URL");
  EXPECT_EQ(error_of(vars), "FRESHLANE_DATABASE_URL: required but not set");
}

TEST(Config, MalformedSettingIsNamedWithItsValue) {
  auto vars = serve_minimum();
  vars["FRESHLANE_THREADS"] = "many";
  EXPECT_EQ(error_of(vars), "FRESHLANE_THREADS: expected an integer from 1 to 64, got 'many'");
  vars["FRESHLANE_THREADS"] = "0";
  EXPECT_NE(error_of(vars).find("FRESHLANE_THREADS"), std::string::npos);
  vars = serve_minimum();
  vars["FRESHLANE_LISTEN"] = "8080";
  EXPECT_NE(error_of(vars).find("FRESHLANE_LISTEN"), std::string::npos);
  vars["FRESHLANE_LISTEN"] = "127.0.0.1:99999";
  EXPECT_NE(error_of(vars).find("FRESHLANE_LISTEN"), std::string::npos);
  vars = serve_minimum();
  vars["FRESHLANE_LOG_LEVEL"] = "loud";
  EXPECT_NE(error_of(vars).find("FRESHLANE_LOG_LEVEL"), std::string::npos);
}

TEST(Config, ShortSecretsAreRefused) {
  auto vars = serve_minimum();
  vars["FRESHLANE_ADMIN_TOKEN"] = "short";
  EXPECT_NE(error_of(vars).find("FRESHLANE_ADMIN_TOKEN: must be at least 16"), std::string::npos);
}

TEST(Config, MigrateNeedsOnlyTheDatabase) {
  EXPECT_EQ(error_of({{"FRESHLANE_DATABASE_URL", "postgresql://x@h/db"}}, Purpose::kDatabaseOnly),
            "");
}

TEST(Config, EverySettingIsDocumented) {
  for (const auto& s : settings()) {
    EXPECT_EQ(std::string(s.name).rfind("FRESHLANE_", 0), 0u);
    EXPECT_GT(std::string(s.description).size(), 5u);
  }
}

TEST(Config, DeliverySettingsBecomeTheDispatcherParams) {
  auto vars = serve_minimum();
  EXPECT_EQ(delivery_params(load_config(env_of(vars), Purpose::kServe)).max_orders_per_trip, 3);
  vars["FRESHLANE_MAX_ORDERS_PER_TRIP"] = "5";
  vars["FRESHLANE_COURIER_SPEED_KMH"] = "18";
  vars["FRESHLANE_DETOUR_PERCENT"] = "140";
  vars["FRESHLANE_DISPATCH_INTERVAL_MS"] = "2000";
  vars["FRESHLANE_PACKING_SECONDS"] = "90";
  vars["FRESHLANE_BATCH_WAIT_SECONDS"] = "0";
  const Config c = load_config(env_of(vars), Purpose::kServe);
  const auto p = delivery_params(c);
  EXPECT_EQ(p.max_orders_per_trip, 5);
  EXPECT_DOUBLE_EQ(p.courier_speed_mps, 5.0);
  EXPECT_DOUBLE_EQ(p.detour_factor, 1.4);
  EXPECT_EQ(c.dispatch_interval_ms, 2000);
  EXPECT_EQ(c.packing_seconds, 90);
  EXPECT_EQ(p.batch_wait, std::chrono::seconds(0));
  vars["FRESHLANE_BATCH_WAIT_SECONDS"] = "-1";
  EXPECT_NE(error_of(vars).find("FRESHLANE_BATCH_WAIT_SECONDS"), std::string::npos);
  vars.erase("FRESHLANE_BATCH_WAIT_SECONDS");
  vars["FRESHLANE_DETOUR_PERCENT"] = "90";  // streets are never shorter than the straight line
  EXPECT_NE(error_of(vars).find("FRESHLANE_DETOUR_PERCENT"), std::string::npos);
}

TEST(Config, AnswerCacheLivesAtMostOneSecond) {
  auto vars = serve_minimum();
  EXPECT_EQ(load_config(env_of(vars), Purpose::kServe).answer_cache_ms, 500);
  vars["FRESHLANE_ANSWER_CACHE_MS"] = "0";
  EXPECT_EQ(load_config(env_of(vars), Purpose::kServe).answer_cache_ms, 0);
  vars["FRESHLANE_ANSWER_CACHE_MS"] = "1001";  // a sold-out item would look available too long
  EXPECT_NE(error_of(vars).find("FRESHLANE_ANSWER_CACHE_MS"), std::string::npos);
  vars = serve_minimum();
  EXPECT_EQ(load_config(env_of(vars), Purpose::kServe).page_cache_ms, 5000);
  vars["FRESHLANE_PAGE_CACHE_MS"] = "60001";
  EXPECT_NE(error_of(vars).find("FRESHLANE_PAGE_CACHE_MS"), std::string::npos);
}

TEST(Config, SecretsMayComeFromFiles) {
  const std::string path = ::testing::TempDir() + "/freshlane_config_test_secret";
  std::ofstream(path) << "from-a-file-0123456789\n";
  auto vars = serve_minimum();
  vars.erase("FRESHLANE_QR_SECRET");
  vars["FRESHLANE_QR_SECRET_FILE"] = path;
  EXPECT_EQ(load_config(env_of(vars), Purpose::kServe).qr_secret, "from-a-file-0123456789");

  vars["FRESHLANE_QR_SECRET"] = "0123456789abcdef";
  EXPECT_NE(error_of(vars).find("FRESHLANE_QR_SECRET and FRESHLANE_QR_SECRET_FILE are both set"),
            std::string::npos);
  vars.erase("FRESHLANE_QR_SECRET");
  vars["FRESHLANE_QR_SECRET_FILE"] = path + ".missing";
  EXPECT_NE(error_of(vars).find("FRESHLANE_QR_SECRET_FILE: cannot read"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Config, AMalformedDatabaseUrlIsRefused) {
  auto vars = serve_minimum();
  for (const char* bad : {"host=x port", "postgresql://x@127.0.0.1/x?nosuchoption=1"}) {
    vars["FRESHLANE_DATABASE_URL"] = bad;
    EXPECT_NE(error_of(vars).find("FRESHLANE_DATABASE_URL: not a connection URL"),
              std::string::npos)
        << bad;
  }
  vars["FRESHLANE_DATABASE_URL"] = "host=127.0.0.1 port=5432 dbname=x user=y";
  EXPECT_EQ(error_of(vars), "");
}

TEST(Config, AbuseLimitsHaveDefaultsAndCanBeTurnedOff) {
  auto vars = serve_minimum();
  Config c = load_config(env_of(vars), Purpose::kServe);
  EXPECT_EQ(c.max_held_units, 200);
  EXPECT_EQ(c.max_held_value_minor, 500000);
  EXPECT_EQ(c.rate_signups_per_minute, 10);
  EXPECT_EQ(c.rate_signup_burst, 20);
  EXPECT_EQ(c.rate_failed_auth_per_minute, 20);
  EXPECT_EQ(c.rate_quotes_per_minute, 120);
  EXPECT_EQ(c.rate_orders_per_minute, 30);
  vars["FRESHLANE_RATE_QUOTES_PER_MINUTE"] = "0";  // off
  vars["FRESHLANE_MAX_HELD_VALUE_MINOR"] = "10000000000";
  c = load_config(env_of(vars), Purpose::kServe);
  EXPECT_EQ(c.rate_quotes_per_minute, 0);
  EXPECT_EQ(c.max_held_value_minor, 10'000'000'000LL);
  vars["FRESHLANE_RATE_SIGNUP_BURST"] = "0";  // a bucket holds one request at least
  EXPECT_NE(error_of(vars).find("FRESHLANE_RATE_SIGNUP_BURST"), std::string::npos);
  vars.erase("FRESHLANE_RATE_SIGNUP_BURST");
  vars["FRESHLANE_MAX_HELD_UNITS"] = "0";
  EXPECT_NE(error_of(vars).find("FRESHLANE_MAX_HELD_UNITS"), std::string::npos);
}

TEST(Config, LogFormatFileAndPerClientConnectionCap) {
  const Config d = load_config(env_of(serve_minimum()), Purpose::kServe);
  EXPECT_EQ(d.log_format, "text");
  EXPECT_EQ(d.log_file, "");
  EXPECT_EQ(d.max_connections_per_client, 256u);
  auto vars = serve_minimum();
  vars["FRESHLANE_LOG_FORMAT"] = "json";
  vars["FRESHLANE_LOG_FILE"] = "/var/log/freshlane.log";
  vars["FRESHLANE_MAX_CONNECTIONS_PER_CLIENT"] = "0";
  const Config c = load_config(env_of(vars), Purpose::kServe);
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.log_file, "/var/log/freshlane.log");
  EXPECT_EQ(c.max_connections_per_client, 0u);
  vars["FRESHLANE_LOG_FORMAT"] = "xml";
  EXPECT_EQ(error_of(vars), "FRESHLANE_LOG_FORMAT: expected text or json, got 'xml'");
}

TEST(Config, TrustedProxiesAreAddressesOrBlocks) {
  auto vars = serve_minimum();
  vars["FRESHLANE_TRUSTED_PROXIES"] = "10.0.0.0/8, 192.168.1.10,fd00::/8";
  EXPECT_EQ(load_config(env_of(vars), Purpose::kServe).trusted_proxies,
            (std::vector<std::string>{"10.0.0.0/8", "192.168.1.10", "fd00::/8"}));
  vars["FRESHLANE_TRUSTED_PROXIES"] = "10.0.0.0/33";
  EXPECT_NE(error_of(vars).find("FRESHLANE_TRUSTED_PROXIES: '10.0.0.0/33' is not"),
            std::string::npos);
  vars["FRESHLANE_TRUSTED_PROXIES"] = "haproxy";
  EXPECT_NE(error_of(vars).find("FRESHLANE_TRUSTED_PROXIES"), std::string::npos);
}
