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
#include <string_view>
#include <tuple>
#include <vector>

namespace freshlane::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> kLatencyBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  // `route` is the matched pattern (bounded cardinality), never the raw path. `method` is
  // labelled as it is when it is one of HTTP's standard methods and as "OTHER" when not, so
  // no client can add a series by inventing methods.
  void observe_request(const std::string& route, const std::string& method, int status,
                       std::chrono::nanoseconds elapsed);
  // The label a request method gets: GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE,
  // PATCH as they are; anything else "OTHER".
  static std::string_view method_label(std::string_view method);
  void add_gauge(std::string name, std::string help, std::function<double()> read);

  // A gauge with labels, read at scrape time: one sample per label set.
  struct Sample {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
  };
  void add_gauge_family(std::string name, std::string help,
                        std::function<std::vector<Sample>()> read);
  // The same for a counter kept elsewhere (read at scrape time, only ever growing).
  void add_counter_family(std::string name, std::string help,
                          std::function<std::vector<Sample>()> read);

  // A histogram without labels (e.g. seconds from payment to the last bag on a lane).
  void add_histogram(std::string name, std::string help, std::vector<double> buckets);
  void observe(std::string_view name, double value);  // ignored for an unknown name
  // A counter without labels.
  void add_counter(std::string name, std::string help);
  // By name without building a string: cheap enough for a request's hot path.
  void increment(std::string_view name, double by = 1);
  void set_build_info(std::string version, std::string commit);
  // The standard process metrics, read from /proc/self at scrape time: process_cpu_seconds_total,
  // process_open_fds, process_max_fds, process_virtual_memory_bytes,
  // process_resident_memory_bytes, process_start_time_seconds.
  void add_process_metrics();

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
  struct GaugeFamily {
    std::string name, help;
    std::function<std::vector<Sample>()> read;
    const char* type = "gauge";
  };
  struct Histogram {
    std::string help;
    std::vector<double> buckets;
    std::vector<std::uint64_t> counts;  // non-cumulative, one per bucket
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct Counter {
    std::string help;
    double value = 0;
  };
  mutable std::mutex mu_;
  // std::less<> lets a request look its series up by string_view: no allocation per request.
  std::map<std::tuple<std::string, std::string, int>, std::unique_ptr<Series>, std::less<>> series_;
  std::vector<Gauge> gauges_;
  std::vector<GaugeFamily> families_;
  std::map<std::string, Histogram, std::less<>> histograms_;
  std::map<std::string, Counter, std::less<>> counters_;
  std::string version_ = "unknown", commit_ = "unknown";
  bool process_metrics_ = false;
};

}  // namespace freshlane::http
