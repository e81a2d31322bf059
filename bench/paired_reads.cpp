// Times several reads that take turns one request at a time, so that whatever slows the machine
// for a moment (a checkpoint, another process's burst, the scheduler) lands on all of them alike
// instead of on whichever read happened to run in that second. bench/chain uses it to hold a
// read on a year of data to the same read on day 1.
//
//   paired_reads HOST SECONDS [HEADER]... < reads
//
// Each line of `reads` is "NAME PORT PATH": one keep-alive connection each. A turn sends one GET
// to every read in the order given and waits for each answer; turns repeat until SECONDS have
// passed. Any answer but 200 ends the run. Prints one line per read:
//
//   NAME REQUESTS P50_MS P99_MS P99_PART1 ... P99_PART5
//
// where the parts are the run's five fifths (consecutive turns): the same five stretches of time
// for every read, so two reads' parts can be compared pair by pair.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "raw_http.hpp"

namespace {

constexpr const char* kTool = "paired_reads";
constexpr std::size_t kParts = 5;

struct Read {
  std::string name, request;
  int fd = -1;
  std::vector<double> ms;  // one per turn, in order
};

// The q-th quantile of `v` by nearest rank (v is copied and sorted).
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: paired_reads HOST SECONDS [HEADER]... < reads (NAME PORT PATH)\n");
    return 2;
  }
  const std::string host = argv[1];
  const double seconds = std::atof(argv[2]);
  std::string headers;
  for (int i = 3; i < argc; ++i) headers += std::string(argv[i]) + "\r\n";

  std::vector<Read> reads;
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream in(line);
    Read r;
    int port = 0;
    std::string path;
    if (!(in >> r.name >> port >> path)) continue;
    r.request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + headers + "\r\n";
    r.fd = bench::connect_to(kTool, host, port);
    reads.push_back(std::move(r));
  }
  if (reads.empty()) {
    std::fprintf(stderr, "paired_reads: no reads on stdin\n");
    return 2;
  }

  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  do {
    for (Read& r : reads) {
      const auto t0 = Clock::now();
      bench::send_all(kTool, r.fd, r.request);
      const int status = bench::read_response(kTool, r.fd);
      const std::chrono::duration<double, std::milli> took = Clock::now() - t0;
      if (status != 200) {
        std::fprintf(stderr, "paired_reads: %s answered %d\n", r.name.c_str(), status);
        return 1;
      }
      r.ms.push_back(took.count());
    }
  } while (Clock::now() < until);

  for (const Read& r : reads) {
    std::printf("%s %zu %.2f %.2f", r.name.c_str(), r.ms.size(), quantile(r.ms, 0.5),
                quantile(r.ms, 0.99));
    for (std::size_t i = 0; i < kParts; ++i) {
      const auto from = static_cast<std::ptrdiff_t>(i * r.ms.size() / kParts);
      const auto to = static_cast<std::ptrdiff_t>((i + 1) * r.ms.size() / kParts);
      std::printf(" %.2f", quantile({r.ms.begin() + from, r.ms.begin() + to}, 0.99));
    }
    std::printf("\n");
    ::close(r.fd);
  }
  return 0;
}
