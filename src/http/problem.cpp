#include "freshlane/http/problem.hpp"

#include <cctype>

namespace freshlane::http {

Response problem(core::ErrorKind kind, std::string_view detail, const nlohmann::json& extensions,
                 int retry_after) {
  const core::ErrorInfo& info = core::error_info(kind);
  nlohmann::json body = {
      {"type", "https://freshlane.dev/problems/" + std::string(info.code)},
      {"title", info.title},
      {"status", info.status},
      {"code", info.code},
      {"detail", detail},
  };
  if (extensions.is_object()) {
    for (const auto& [key, value] : extensions.items()) {
      if (!body.contains(key)) body[key] = value;  // never replace type/title/status/code/detail
    }
  }
  Response r{info.status,
             "application/problem+json",
             body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
             {}};
  if (info.retry_after_seconds > 0) {
    r.headers.emplace_back(
        "Retry-After", std::to_string(retry_after > 0 ? retry_after : info.retry_after_seconds));
  }
  if (kind == core::ErrorKind::kUnauthorized) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return r;
}

Response problem(const core::Error& error) {
  nlohmann::json ext = nullptr;
  if (!error.field_errors().empty()) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& fe : error.field_errors()) {
      errors.push_back({{"field", fe.field}, {"message", fe.message}});
    }
    ext = {{"errors", std::move(errors)}};
  }
  return problem(error.kind(), error.detail(), ext);
}

std::string problem_instance(std::string_view request_id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "urn:request:";
  for (const char c : request_id) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain =
        std::isalnum(u) || std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos;
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

void add_instance(Response& r, std::string_view request_id) {
  if (r.content_type != "application/problem+json" || request_id.empty()) return;
  // A problem body is a compact object from problem(), perhaps kept under an idempotency key
  // with its own instance already: the member goes in before the closing brace, without
  // parsing the body again. Quotes inside strings are escaped, so `"instance":"` can only be
  // the member itself; problem_instance() writes neither quotes nor backslashes.
  if (r.body.size() < 2 || r.body.front() != '{' || r.body.back() != '}') return;
  if (r.body.find("\"instance\":\"") != std::string::npos) return;
  std::string member = r.body.size() > 2 ? ",\"instance\":\"" : "\"instance\":\"";
  member += problem_instance(request_id);
  member += '"';
  r.body.insert(r.body.size() - 1, member);
}

}  // namespace freshlane::http
