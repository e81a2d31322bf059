#include "freshlane/http/router.hpp"

#include <stdexcept>

#include "freshlane/http/url.hpp"

namespace freshlane::http {

namespace {
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_param(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}
}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  Route r{std::move(method), std::move(pattern), {}, std::move(handler)};
  for (auto seg : split_path(r.pattern)) r.segments.emplace_back(seg);
  if (r.segments.empty()) throw std::invalid_argument("route pattern must start with '/'");
  routes_.push_back(std::move(r));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  const auto segments = split_path(path);
  if (segments.empty()) return result;
  const Route* head_as_get = nullptr;  // HEAD is answered by the GET route of the path
  Fields head_params;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    Fields params;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      if (is_param(r.segments[i])) {
        auto value = percent_decode(segments[i], false);
        if (!value || value->empty()) {
          ok = false;
        } else {
          params.emplace_back(r.segments[i].substr(1, r.segments[i].size() - 2), std::move(*value));
        }
      } else {
        ok = r.segments[i] == segments[i];
      }
    }
    if (!ok) continue;
    if (r.method == method) {
      result.outcome = Match::Outcome::kFound;
      result.handler = &r.handler;
      result.route = r.pattern;
      result.params = std::move(params);
      return result;
    }
    if (method == "HEAD" && r.method == "GET" && !head_as_get) {
      head_as_get = &r;  // unless a route answers HEAD itself
      head_params = std::move(params);
    }
    auto allow = [&result](std::string_view m) {
      if (result.allow.find(m) != std::string::npos) return;
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += m;
    };
    allow(r.method);
    if (r.method == "GET") allow("HEAD");
    result.outcome = Match::Outcome::kMethodNotAllowed;
    result.route = r.pattern;
  }
  if (head_as_get) {
    result = Match{};
    result.outcome = Match::Outcome::kFound;
    result.handler = &head_as_get->handler;
    result.route = head_as_get->pattern;
    result.params = std::move(head_params);
  }
  return result;
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

}  // namespace freshlane::http
