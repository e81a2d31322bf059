#pragma once
// Plain request/response values. The server converts Beast messages to and from these, so
// nothing above this layer depends on Boost.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace freshlane::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string path;  // raw, without the query
  Fields headers;    // names in lower case
  std::string body;
  std::string request_id;
  Fields path_params;   // decoded, filled by the router
  Fields query_params;  // decoded, filled by the server

  std::optional<std::string_view> header(std::string_view lower_name) const;
  const std::string& param(std::string_view name) const;  // a path parameter the route declares
  std::optional<std::string> query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Fields headers;

  static Response json(int status, std::string body) {
    return Response{status, "application/json", std::move(body), {}};
  }
};

// Called exactly once with the answer, from any thread.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Responder)>;

}  // namespace freshlane::http
