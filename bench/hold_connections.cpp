// Opens N keep-alive connections to an HTTP server, makes one GET on each (so each is a real,
// used keep-alive connection), then holds them all open and idle for SECONDS. Prints "holding N"
// once every connection has had its answer, so a script can read the server's resident size at that
// moment.
//
//   hold_connections HOST PORT PATH N SECONDS
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "hold_connections: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// Reads one response (head + Content-Length body) and returns its status code.
int read_response(int fd) {
  std::string in;
  char buf[16384];
  std::size_t head_end = std::string::npos;
  std::size_t need = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) fail("read");
    in.append(buf, static_cast<std::size_t>(n));
    if (head_end == std::string::npos) {
      head_end = in.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      std::size_t length = 0;
      std::string lower = in.substr(0, head_end);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const auto at = lower.find("content-length:");
      if (at != std::string::npos) length = std::strtoul(lower.c_str() + at + 15, nullptr, 10);
      need = head_end + 4 + length;
    }
    if (in.size() >= need) break;
  }
  return std::atoi(in.c_str() + 9);  // "HTTP/1.1 200 ..."
}

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

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) fail("bad host " + host);
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: keep-alive\r\n\r\n";

  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail("socket");
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("connect");
    if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      fail("write");
    }
    const int status = read_response(fd);
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
