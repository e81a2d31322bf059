#pragma once
// A deliberately small blocking HTTP/1.1 client on raw sockets, so tests can also send what
// real clients should not: oversized headers, trickled bytes, broken framing.
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace freshlane::testing {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::optional<std::string> header(const std::string& lower_name) const;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

class Connection {
 public:
  explicit Connection(unsigned short port);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Writes everything; false if the peer closed or reset.
  bool send(const std::string& bytes);
  // Reads one response; nullopt when the connection closed first or `timeout` passed.
  std::optional<HttpResponse> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server closed the connection within `timeout` (reads and discards data).
  bool closed_within(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string buffer_;
  // For FRESHLANE_RECORD_RESPONSES: the bytes sent and not yet parsed into request heads, and
  // the (method, target) of each request whose response has not been read yet.
  std::string sent_;
  std::deque<std::pair<std::string, std::string>> pending_;
};

struct Header {
  std::string name, value;
};

// One request on a fresh connection.
HttpResponse request(unsigned short port, const std::string& method, const std::string& target,
                     const std::string& body = "", const std::vector<Header>& headers = {});

std::string build_request(const std::string& method, const std::string& target,
                          const std::string& body, const std::vector<Header>& headers,
                          bool keep_alive);

}  // namespace freshlane::testing
