// Opens N keep-alive connections to an HTTP server, makes one GET on each (so each is a real,
// used keep-alive connection), then holds them all open and idle for SECONDS. Prints "holding N"
// once every connection has had its answer, so a script can read the server's resident size at that
// moment.
//
//   hold_connections HOST PORT PATH N SECONDS
#include <poll.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "raw_http.hpp"

namespace {
constexpr const char* kTool = "hold_connections";
}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: hold_connections HOST PORT PATH N SECONDS\n");
    return 2;
  }
  const std::string host = argv[1], path = argv[3];
  const int port = std::atoi(argv[2]), n = std::atoi(argv[4]), seconds = std::atoi(argv[5]);

  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < static_cast<rlim_t>(n + 64)) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, static_cast<rlim_t>(n + 64));
    setrlimit(RLIMIT_NOFILE, &lim);
  }

  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: keep-alive\r\n\r\n";

  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int fd = bench::connect_to(kTool, host, port);
    bench::send_all(kTool, fd, request);
    const int status = bench::read_response(kTool, fd);
    if (status != 200) {
      std::fprintf(stderr, "hold_connections: connection %d got status %d\n", i + 1, status);
      return 1;
    }
    fds.push_back(fd);
  }
  std::printf("holding %d\n", n);
  std::fflush(stdout);

  // Idle until the time is up; a connection the server closed meanwhile is not counted.
  ::sleep(static_cast<unsigned>(seconds));
  int still_open = 0;
  for (int fd : fds) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) ++still_open;  // nothing to read: not closed by the server
    ::close(fd);
  }
  std::printf("still open at the end %d\n", still_open);
  return 0;
}
