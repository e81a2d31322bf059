#include "freshlane/http/metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>

namespace freshlane::http {

std::string_view Metrics::method_label(std::string_view method) {
  static constexpr std::string_view kStandard[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                   "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (const auto m : kStandard) {
    if (m == method) return m;
  }
  return "OTHER";
}

void Metrics::observe_request(const std::string& route, const std::string& method, int status,
                              std::chrono::nanoseconds elapsed) {
  const std::string_view label = method_label(method);
  Series* s;
  {
    std::lock_guard lock(mu_);
    auto it =
        series_.find(std::tuple<std::string_view, std::string_view, int>(route, label, status));
    if (it == series_.end()) {
      it =
          series_.emplace(std::tuple(route, std::string(label), status), std::make_unique<Series>())
              .first;
    }
    s = it->second.get();  // series are never removed, so the pointer stays valid
  }
  const double seconds = std::chrono::duration<double>(elapsed).count();
  s->count.fetch_add(1, std::memory_order_relaxed);
  s->sum_ns.fetch_add(static_cast<std::uint64_t>(elapsed.count()), std::memory_order_relaxed);
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      s->buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;  // buckets are stored non-cumulative and summed at render time
    }
  }
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

void Metrics::add_gauge_family(std::string name, std::string help,
                               std::function<std::vector<Sample>()> read) {
  std::lock_guard lock(mu_);
  families_.push_back({std::move(name), std::move(help), std::move(read), "gauge"});
}

void Metrics::add_counter_family(std::string name, std::string help,
                                 std::function<std::vector<Sample>()> read) {
  std::lock_guard lock(mu_);
  families_.push_back({std::move(name), std::move(help), std::move(read), "counter"});
}

void Metrics::add_histogram(std::string name, std::string help, std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  const size_t n = buckets.size();
  histograms_[std::move(name)] =
      Histogram{std::move(help), std::move(buckets), std::vector<std::uint64_t>(n, 0), 0, 0};
}

void Metrics::observe(std::string_view name, double value) {
  std::lock_guard lock(mu_);
  const auto it = histograms_.find(name);
  if (it == histograms_.end()) return;
  Histogram& h = it->second;
  ++h.count;
  h.sum += value;
  for (size_t i = 0; i < h.buckets.size(); ++i) {
    if (value <= h.buckets[i]) {
      ++h.counts[i];
      break;
    }
  }
}

void Metrics::add_counter(std::string name, std::string help) {
  std::lock_guard lock(mu_);
  counters_[std::move(name)] = Counter{std::move(help), 0};
}

void Metrics::increment(std::string_view name, double by) {
  std::lock_guard lock(mu_);
  const auto it = counters_.find(name);
  if (it != counters_.end()) it->second.value += by;
}

void Metrics::set_build_info(std::string version, std::string commit) {
  std::lock_guard lock(mu_);
  version_ = std::move(version);
  commit_ = std::move(commit);
}

void Metrics::add_process_metrics() {
  std::lock_guard lock(mu_);
  process_metrics_ = true;
}

namespace {
std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}
std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// The process metrics every Prometheus client library exports, from /proc (Linux).
std::string render_process_metrics() {
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help, double value,
                       const char* format = "%.0f") {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, value);
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + buf + "\n";
  };
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const auto close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f((std::istream_iterator<std::string>(fields)),
                               std::istream_iterator<std::string>());
    // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
    if (f.size() > 21) {
      metric("process_cpu_seconds_total", "counter",
             "Total user and system CPU time spent in seconds.",
             (std::stod(f[11]) + std::stod(f[12])) / ticks, "%.2f");
      // The start is kept in ticks since boot: the wall clock now less the time since then
      // (the boot time in /proc/stat may be off by seconds from today's wall clock).
      timespec boot{}, wall{};
      ::clock_gettime(CLOCK_BOOTTIME, &boot);
      ::clock_gettime(CLOCK_REALTIME, &wall);
      const double since_start =
          double(boot.tv_sec) + double(boot.tv_nsec) / 1e9 - std::stod(f[19]) / ticks;
      metric("process_start_time_seconds", "gauge",
             "Start time of the process since unix epoch in seconds.",
             double(wall.tv_sec) + double(wall.tv_nsec) / 1e9 - since_start, "%.2f");
      metric("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
             std::stod(f[20]));
      metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
             std::stod(f[21]) * page);
    }
  }
  double open_fds = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++open_fds;
    }
    ::closedir(d);
    --open_fds;  // the directory being read
  }
  metric("process_open_fds", "gauge", "Number of open file descriptors.", open_fds);
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    metric("process_max_fds", "gauge", "Maximum number of open file descriptors.",
           limit.rlim_cur == RLIM_INFINITY ? -1.0 : static_cast<double>(limit.rlim_cur));
  }
  return out;
}
}  // namespace

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP freshlane_build_info Version and commit of the running binary.\n";
  out += "# TYPE freshlane_build_info gauge\n";
  out += "freshlane_build_info{version=\"" + escape_label(version_) + "\",commit=\"" +
         escape_label(commit_) + "\"} 1\n";
  out += "# HELP freshlane_http_requests_total HTTP requests answered.\n";
  out += "# TYPE freshlane_http_requests_total counter\n";
  for (const auto& [key, s] : series_) {
    const auto& [route, method, status] = key;
    out += "freshlane_http_requests_total{route=\"" + escape_label(route) + "\",method=\"" +
           method + "\",status=\"" + std::to_string(status) + "\"} " +
           std::to_string(s->count.load()) + "\n";
  }
  out +=
      "# HELP freshlane_http_request_duration_seconds Time from request read to response "
      "ready.\n";
  out += "# TYPE freshlane_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : series_) {
    const auto& [route, method, status] = key;
    const std::string labels = "route=\"" + escape_label(route) + "\",method=\"" + method +
                               "\",status=\"" + std::to_string(status) + "\"";
    std::uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += s->buckets[i].load();
      out += "freshlane_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             number(kLatencyBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    const auto count = s->count.load();
    out += "freshlane_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(count) + "\n";
    out += "freshlane_http_request_duration_seconds_sum{" + labels + "} " +
           number(static_cast<double>(s->sum_ns.load()) / 1e9) + "\n";
    out += "freshlane_http_request_duration_seconds_count{" + labels + "} " +
           std::to_string(count) + "\n";
  }
  for (const auto& g : gauges_) {
    out += "# HELP " + g.name + " " + g.help + "\n# TYPE " + g.name + " gauge\n";
    out += g.name + " " + number(g.read()) + "\n";
  }
  for (const auto& f : families_) {
    out += "# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n";
    for (const auto& sample : f.read()) {
      std::string labels;
      for (const auto& [k, v] : sample.labels) {
        labels += (labels.empty() ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
      }
      out += f.name + "{" + labels + "} " + number(sample.value) + "\n";
    }
  }
  for (const auto& [name, c] : counters_) {
    out += "# HELP " + name + " " + c.help + "\n# TYPE " + name + " counter\n";
    out += name + " " + number(c.value) + "\n";
  }
  for (const auto& [name, h] : histograms_) {
    out += "# HELP " + name + " " + h.help + "\n# TYPE " + name + " histogram\n";
    std::uint64_t cumulative = 0;
    for (size_t i = 0; i < h.buckets.size(); ++i) {
      cumulative += h.counts[i];
      out += name + "_bucket{le=\"" + number(h.buckets[i]) + "\"} " + std::to_string(cumulative) +
             "\n";
    }
    out += name + "_bucket{le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += name + "_sum " + number(h.sum) + "\n";
    out += name + "_count " + std::to_string(h.count) + "\n";
  }
  if (process_metrics_) out += render_process_metrics();
  return out;
}

}  // namespace freshlane::http
