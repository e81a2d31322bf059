#pragma once
// Method + path pattern → handler. Patterns are literal segments and `{name}` parameters:
// "/v1/stores/{store_id}/products/{sku}". Knows nothing of sockets.
#include <string>
#include <string_view>
#include <vector>

#include "freshlane/http/message.hpp"

namespace freshlane::http {

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);

  struct Match {
    enum class Outcome { kFound, kNotFound, kMethodNotAllowed } outcome = Outcome::kNotFound;
    const Handler* handler = nullptr;
    std::string route;  // the matched pattern
    Fields params;      // decoded path parameters
    std::string allow;  // for kMethodNotAllowed: "GET, PUT"
  };

  // `path` is the raw request path (percent-encoded, no query). HEAD finds the GET route of
  // the path (the server sends its headers without the body), and every "Allow" that lists
  // GET lists HEAD too.
  Match match(std::string_view method, std::string_view path) const;

  // Every (method, pattern) registered, in order: for documentation checks.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{x}" marks a parameter
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace freshlane::http
