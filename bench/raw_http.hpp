#pragma once
// The little HTTP/1.1 the bench tools speak on raw sockets: connect, and read one response
// (a head and a Content-Length body). Any failure ends the tool with a message.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bench {

[[noreturn]] inline void fail(const char* tool, const std::string& what) {
  std::fprintf(stderr, "%s: %s: %s\n", tool, what.c_str(), std::strerror(errno));
  std::exit(1);
}

// A connected TCP socket to HOST:PORT (an IPv4 address), Nagle off.
inline int connect_to(const char* tool, const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) fail(tool, "bad host " + host);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail(tool, "socket");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail(tool, "connect");
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

inline void send_all(const char* tool, int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + sent, bytes.size() - sent);
    if (n <= 0) fail(tool, "write");
    sent += static_cast<std::size_t>(n);
  }
}

// Reads one response (head + Content-Length body) and returns its status code.
inline int read_response(const char* tool, int fd) {
  std::string in;
  char buf[16384];
  std::size_t head_end = std::string::npos;
  std::size_t need = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) fail(tool, "read");
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

}  // namespace bench
