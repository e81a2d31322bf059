// A payment provider's refund endpoint, as its own process for the refund tests (no mock inside
// the server): listens on 127.0.0.1:<port>, answers the first --fail-first requests 503 (a
// provider having a bad minute), then 200 {"provider_ref": "pr_<n>"}; appends every request it
// got to --log as one JSON line (path, Idempotency-Key, X-Freshlane-Signature, body). Stops on
// SIGTERM. Usage: provider_stub --port N --log FILE [--fail-first K]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

std::string header_value(const std::string& head, const std::string& name) {
  std::string lower = head;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  auto begin = at + name.size() + 3;
  while (begin < head.size() && head[begin] == ' ') ++begin;
  return head.substr(begin, head.find("\r\n", begin) - begin);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, fail_first = 0;
  std::string log_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--port") port = std::atoi(argv[i + 1]);
    if (flag == "--log") log_path = argv[i + 1];
    if (flag == "--fail-first") fail_first = std::atoi(argv[i + 1]);
  }
  if (port <= 0 || log_path.empty()) {
    std::fprintf(stderr, "usage: provider_stub --port N --log FILE [--fail-first K]\n");
    return 2;
  }
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 16) != 0) {
    std::perror("provider_stub: bind");
    return 1;
  }
  for (int served = 0;;) {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    std::string data;
    char buf[4096];
    size_t body_at = std::string::npos, length = 0;
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      if (body_at == std::string::npos && (body_at = data.find("\r\n\r\n")) != std::string::npos) {
        body_at += 4;
        length = std::strtoul(header_value(data.substr(0, body_at), "content-length").c_str(),
                              nullptr, 10);
      }
      if (body_at != std::string::npos && data.size() >= body_at + length) break;
    }
    if (body_at == std::string::npos) {
      ::close(fd);
      continue;
    }
    ++served;
    const std::string head = data.substr(0, body_at);
    std::ofstream(log_path, std::ios::app)
        << nlohmann::json{{"request_line", head.substr(0, head.find("\r\n"))},
                          {"idempotency_key", header_value(head, "idempotency-key")},
                          {"signature", header_value(head, "x-freshlane-signature")},
                          {"body", data.substr(body_at, length)},
                          {"answered", served <= fail_first ? 503 : 200}}
               .dump()
        << "\n";
    const std::string body =
        served <= fail_first
            ? R"({"error": "try later"})"
            : nlohmann::json{{"provider_ref", "pr_" + std::to_string(served)}}.dump();
    const std::string response =
        std::string(served <= fail_first ? "HTTP/1.1 503 Service Unavailable" : "HTTP/1.1 200 OK") +
        "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    (void)!::write(fd, response.data(), response.size());
    ::close(fd);
  }
}
