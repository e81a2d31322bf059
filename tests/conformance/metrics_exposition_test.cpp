// /metrics, after some traffic, passes Prometheus' own linter (`promtool check metrics`, from
// Debian's prometheus package): valid exposition format, HELP and TYPE on every family, units
// in base units (`_seconds`, `_bytes`), counters ending in `_total`.
#include <gtest/gtest.h>

#include <unistd.h>
#include <array>
#include <cstdio>
#include <fstream>

#include "api/api_fixture.hpp"

namespace freshlane::testing {
namespace {

class MetricsExposition : public ApiTest {};

// Runs `command` through the shell; returns its exit status and stdout+stderr.
int run(const std::string& command, std::string& output) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) output.append(buf.data(), n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(MetricsExposition, PassesPromtoolCheckMetrics) {
  std::string version;
  ASSERT_EQ(run("promtool --version", version), 0)
      << "promtool is missing (Debian package prometheus; scripts/install-deps installs it)";
  // Traffic of every kind the metrics label: success, client errors, unknown paths, methods.
  server().get("/healthz");
  server().get("/readyz");
  server().get("/v1/stores");
  server().get("/v1/no-such-path");
  server().send("DELETE", "/v1/stores", "");
  server().send("POST", "/v1/customers", "{not json");
  admin("POST", "/v1/stores", nlohmann::json{{"id", "promtool-store"}});

  const auto metrics = server().get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("content-type").value_or("").rfind("text/plain", 0), 0u);
  const std::string path = "/tmp/freshlane-metrics-" + std::to_string(::getpid()) + ".txt";
  std::ofstream(path) << metrics.body;
  std::string output;
  const int code = run("promtool check metrics < " + path, output);
  ::unlink(path.c_str());
  EXPECT_EQ(code, 0) << "promtool check metrics:\n" << output;
  EXPECT_EQ(output, "") << "promtool check metrics:\n" << output;
}

}  // namespace
}  // namespace freshlane::testing
