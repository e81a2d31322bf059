#include "freshlane/http/metrics.hpp"

#include <gtest/gtest.h>

using freshlane::http::Metrics;

TEST(Metrics, CountsAndHistogramsByRouteMethodStatus) {
  Metrics m;
  m.observe_request("/v1/stores/{store_id}", "GET", 200, std::chrono::microseconds(700));
  m.observe_request("/v1/stores/{store_id}", "GET", 200, std::chrono::milliseconds(30));
  m.observe_request("/v1/stores/{store_id}", "GET", 404, std::chrono::microseconds(100));
  const std::string text = m.render();
  EXPECT_NE(text.find("freshlane_http_requests_total{route=\"/v1/stores/"
                      "{store_id}\",method=\"GET\",status=\"200\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("status=\"404\"} 1"), std::string::npos);
  // Cumulative buckets: 0.7 ms is within 1 ms; 30 ms only from 50 ms.
  EXPECT_NE(text.find("status=\"200\",le=\"0.001\"} 1"), std::string::npos);
  EXPECT_NE(text.find("status=\"200\",le=\"0.05\"} 2"), std::string::npos);
  EXPECT_NE(text.find("status=\"200\",le=\"+Inf\"} 2"), std::string::npos);
}

TEST(Metrics, GaugesAreReadAtScrapeTime) {
  Metrics m;
  int in_use = 3;
  m.add_gauge("freshlane_db_pool_in_use", "help", [&] { return in_use; });
  EXPECT_NE(m.render().find("freshlane_db_pool_in_use 3"), std::string::npos);
  in_use = 5;
  EXPECT_NE(m.render().find("freshlane_db_pool_in_use 5"), std::string::npos);
}

TEST(Metrics, BuildInfo) {
  Metrics m;
  m.set_build_info("1.2.3", "abc123");
  EXPECT_NE(m.render().find("freshlane_build_info{version=\"1.2.3\",commit=\"abc123\"} 1"),
            std::string::npos);
}

TEST(Metrics, LabelledGaugesHistogramsAndCounters) {
  Metrics m;
  m.add_gauge_family("freshlane_lane_bags", "help", [] {
    return std::vector<Metrics::Sample>{{{{"store", "s1"}, {"lane", "L\"1"}}, 3}};
  });
  m.add_histogram("freshlane_paid_to_lane_seconds", "help", {60, 300, 600});
  m.observe("freshlane_paid_to_lane_seconds", 45);
  m.observe("freshlane_paid_to_lane_seconds", 400);
  m.observe("freshlane_paid_to_lane_seconds", 900);
  m.observe("no_such_histogram", 1);
  m.add_counter("freshlane_orders_packed_total", "help");
  m.increment("freshlane_orders_packed_total");
  m.increment("freshlane_orders_packed_total", 2);
  const std::string text = m.render();
  EXPECT_NE(text.find("freshlane_lane_bags{store=\"s1\",lane=\"L\\\"1\"} 3"), std::string::npos);
  EXPECT_NE(text.find("freshlane_paid_to_lane_seconds_bucket{le=\"60\"} 1"), std::string::npos);
  EXPECT_NE(text.find("freshlane_paid_to_lane_seconds_bucket{le=\"300\"} 1"), std::string::npos);
  EXPECT_NE(text.find("freshlane_paid_to_lane_seconds_bucket{le=\"600\"} 2"), std::string::npos);
  EXPECT_NE(text.find("freshlane_paid_to_lane_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("freshlane_paid_to_lane_seconds_sum 1345"), std::string::npos);
  EXPECT_NE(
      text.find("# TYPE freshlane_orders_packed_total counter\nfreshlane_orders_packed_total 3"),
      std::string::npos);
  EXPECT_EQ(text.find("no_such_histogram"), std::string::npos);
}

TEST(Metrics, InventedMethodsShareOneSeries) {
  Metrics m;
  m.observe_request("/healthz", "GET", 200, std::chrono::microseconds(100));
  const std::size_t one_series = m.render().size();
  for (int i = 0; i < 10'000; ++i) {
    m.observe_request("unmatched", "XMETHOD" + std::to_string(i), 404,
                      std::chrono::microseconds(100));
  }
  const std::string text = m.render();
  EXPECT_EQ(text.find("XMETHOD"), std::string::npos);
  EXPECT_NE(text.find("freshlane_http_requests_total{route=\"unmatched\",method=\"OTHER\","
                      "status=\"404\"} 10000"),
            std::string::npos);
  EXPECT_LT(text.size(), 2 * one_series + 512);  // one more series, not ten thousand
  for (const char* standard : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
    EXPECT_EQ(Metrics::method_label(standard), standard);
  }
  EXPECT_EQ(Metrics::method_label("get"), "OTHER");  // methods are case-sensitive
  EXPECT_EQ(Metrics::method_label(""), "OTHER");
}

TEST(Metrics, ProcessMetricsAreReadAtScrapeTime) {
  Metrics m;
  EXPECT_EQ(m.render().find("process_"), std::string::npos);  // only when asked for
  m.add_process_metrics();
  const std::string text = m.render();
  for (const char* name :
       {"process_cpu_seconds_total", "process_start_time_seconds", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds", "process_max_fds"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
    EXPECT_NE(text.find(std::string("\n") + name + " "), std::string::npos) << name;
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  // The start time is a Unix time in the recent past, not seconds since boot.
  const auto at = text.find("\nprocess_start_time_seconds ");
  const double started = std::stod(text.substr(at + 28));
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(started, now + 1);
  EXPECT_GT(started, now - 24 * 3600);
  const auto rss_at = text.find("\nprocess_resident_memory_bytes ");
  EXPECT_GT(std::stod(text.substr(rss_at + 31)), 1e6);
}
