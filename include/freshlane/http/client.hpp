#pragma once
// A small outbound HTTP/1.1 client for calls the server makes itself (refunds to the payment
// provider): one POST per call on a fresh connection, with a deadline over connect, write and
// read. Plain http:// only (a provider on another network is reached through the operator's
// TLS-terminating egress proxy). Throws std::runtime_error on a bad URL, a refused connection,
// a timeout or an unreadable answer.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace freshlane::http {

struct ClientResponse {
  int status = 0;
  std::string body;
};

ClientResponse post_json(const std::string& url, const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::chrono::milliseconds timeout);

}  // namespace freshlane::http
