#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <regex>
#include <stdexcept>

namespace freshlane::testing {

using Clock = std::chrono::steady_clock;

std::optional<std::string> HttpResponse::header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return std::nullopt;
}

namespace {
// FRESHLANE_RECORD_RESPONSES=<file>: every response read is appended to <file> as one JSON line
// with the request it answers, for tests/conformance/validate.mjs to check against openapi.yaml.
// Test processes run in parallel, so each line is a single write() on an O_APPEND descriptor.
const char* record_path() {
  static const char* path = std::getenv("FRESHLANE_RECORD_RESPONSES");
  return path != nullptr && *path != '\0' ? path : nullptr;
}

// Moves every complete request head (and its Content-Length body) out of `sent` into `pending`;
// stops at bytes that are not a request (tests also send garbage on purpose).
void parse_sent(std::string& sent, std::deque<std::pair<std::string, std::string>>& pending) {
  static const std::regex line(R"(^([A-Z]+) (\S+) HTTP/1\.[01]$)");
  static const std::regex length(R"(\r\ncontent-length:[ \t]*([0-9]+))", std::regex::icase);
  for (;;) {
    const size_t head_end = sent.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    const std::string head = sent.substr(0, head_end + 2);
    std::smatch m;
    const std::string first = head.substr(0, head.find("\r\n"));
    if (!std::regex_match(first, m, line)) {
      sent.clear();
      return;
    }
    size_t body = 0;
    std::smatch lm;
    if (std::regex_search(head, lm, length)) body = std::stoul(lm[1].str());
    if (sent.size() < head_end + 4 + body) return;
    pending.emplace_back(m[1].str(), m[2].str());
    sent.erase(0, head_end + 4 + body);
  }
}

void record(const std::pair<std::string, std::string>& req, const HttpResponse& r) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : r.headers) headers[k] = v;
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const nlohmann::json line = {
      {"test", test != nullptr ? std::string(test->test_suite_name()) + "." + test->name() : ""},
      {"method", req.first},
      {"target", req.second},
      {"status", r.status},
      {"headers", headers},
      {"body", r.body}};
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const int fd = ::open(record_path(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] const ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
}

}  // namespace

Connection::Connection(unsigned short port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

bool Connection::send(const std::string& bytes) {
  if (record_path() != nullptr) {
    sent_ += bytes;
    parse_sent(sent_, pending_);
  }
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

namespace {
// Reads more into `buffer`; false on EOF, error or deadline.
bool read_more(int fd, std::string& buffer, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[65536];
  const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer.append(chunk, static_cast<size_t>(n));
  return true;
}
}  // namespace

std::optional<HttpResponse> Connection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more(fd_, buffer_, deadline)) return std::nullopt;
    }
    HttpResponse r;
    const std::string head = buffer_.substr(0, head_end);
    size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    r.status = std::stoi(status_line.substr(9, 3));
    size_t content_length = 0;
    while (line_end != std::string::npos && line_end < head.size()) {
      const size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(
          line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (name == "content-length") content_length = std::stoul(value);
        r.headers.emplace_back(name, value);
      }
      line_end = next;
    }
    buffer_.erase(0, head_end + 4);
    if (r.status == 100) continue;  // interim response
    while (buffer_.size() < content_length) {
      if (!read_more(fd_, buffer_, deadline)) return std::nullopt;
    }
    r.body = buffer_.substr(0, content_length);
    buffer_.erase(0, content_length);
    if (record_path() != nullptr) {
      std::pair<std::string, std::string> req{"", ""};  // the request could not be parsed
      if (!pending_.empty()) {
        req = pending_.front();
        pending_.pop_front();
      }
      record(req, r);
    }
    return r;
  }
}

bool Connection::closed_within(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return true;
  }
  return false;
}

std::string build_request(const std::string& method, const std::string& target,
                          const std::string& body, const std::vector<Header>& headers,
                          bool keep_alive) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) out += h.name + ": " + h.value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    out +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n" + body;
  return out;
}

HttpResponse request(unsigned short port, const std::string& method, const std::string& target,
                     const std::string& body, const std::vector<Header>& headers) {
  Connection c(port);
  c.send(build_request(method, target, body, headers, false));
  auto r = c.read_response(std::chrono::seconds(15));
  if (!r) throw std::runtime_error("no response to " + method + " " + target);
  return *r;
}

}  // namespace freshlane::testing
