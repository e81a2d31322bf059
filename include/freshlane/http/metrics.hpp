#pragma once
// Prometheus metrics: request counts and latency histograms by route, method and status, plus
// gauges read at scrape time (pool in use / waiting) and build info. Thread-safe.
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace freshlane::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> kLatencyBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  // `route` is the matched pattern (bounded cardinality), never the raw path.
  void observe_request(const std::string& route, const std::string& method, int status,
                       std::chrono::nanoseconds elapsed);
  void add_gauge(std::string name, std::string help, std::function<double()> read);
  void set_build_info(std::string version, std::string commit);

  std::string render() const;  // text exposition format 0.0.4

 private:
  struct Series {
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_ns{0};
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets{};
  };
  struct Gauge {
    std::string name, help;
    std::function<double()> read;
  };
  mutable std::mutex mu_;
  // std::less<> lets a request look its series up by string_view: no allocation per request.
  std::map<std::tuple<std::string, std::string, int>, std::unique_ptr<Series>, std::less<>> series_;
  std::vector<Gauge> gauges_;
  std::string version_ = "unknown", commit_ = "unknown";
};

}  // namespace freshlane::http
