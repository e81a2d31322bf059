#pragma once
// Plain request/response values. The server converts Beast messages to and from these, so
// nothing above this layer depends on Boost.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace freshlane::http {

class EventStream;  // http/event_stream.hpp

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string path;  // raw, without the query
  Fields headers;    // names in lower case
  std::string body;
  std::string request_id;
  std::string client;    // the peer's address, "127.0.0.1"
  std::string trace_id;  // from a valid W3C traceparent header, else empty
  Fields path_params;    // decoded, filled by the router
  Fields query_params;   // decoded, filled by the server

  std::optional<std::string_view> header(std::string_view lower_name) const;
  const std::string& param(std::string_view name) const;  // a path parameter the route declares
  std::optional<std::string> query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Fields headers;
  // Set (with status 200): the body is this stream of server-sent events, written as it comes
  // until it ends (http/event_stream.hpp); `body` is then ignored.
  std::shared_ptr<EventStream> stream{};

  static Response json(int status, std::string body) {
    return Response{status, "application/json", std::move(body), {}, {}};
  }
};

// The trace id (32 lower-case hex digits) of a W3C Trace Context `traceparent` header
// ("00-<trace-id>-<parent-id>-<flags>"), or nullopt when the header is not valid: wrong length
// or case, version ff, an all-zero trace or parent id, or a version 00 header with more after
// the flags. A later version may append fields after the flags ("-..."), which are ignored.
std::optional<std::string> trace_id_of(std::string_view traceparent);

// Called exactly once with the answer, from any thread.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Responder)>;

}  // namespace freshlane::http
