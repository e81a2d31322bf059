#include "freshlane/http/url.hpp"

#include "freshlane/core/utf8.hpp"

namespace freshlane::http {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Fields parse_query(std::string_view query) {
  Fields out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(start, amp - start);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq), true);
      auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
      if (key && value) out.emplace_back(std::move(*key), std::move(*value));
    }
    start = amp + 1;
  }
  return out;
}

namespace {
// What is wrong with one decoded piece of a target, if anything.
std::optional<std::string> text_problem(const std::optional<std::string>& decoded,
                                        std::string_view where) {
  if (!decoded) return "the " + std::string(where) + " has a broken percent-escape";
  if (decoded->find('\0') != std::string::npos) {
    return "the " + std::string(where) + " contains a NUL byte";
  }
  if (!core::is_utf8(*decoded)) return "the " + std::string(where) + " is not valid UTF-8";
  return std::nullopt;
}
}  // namespace

std::optional<std::string> target_problem(std::string_view path, std::string_view query) {
  if (auto p = text_problem(percent_decode(path, false), "path")) return p;
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(start, amp - start);
    const std::size_t eq = pair.find('=');
    if (auto p = text_problem(percent_decode(pair.substr(0, eq), true), "query")) return p;
    if (eq != std::string_view::npos) {
      if (auto p = text_problem(percent_decode(pair.substr(eq + 1), true), "query")) return p;
    }
    start = amp + 1;
  }
  return std::nullopt;
}

}  // namespace freshlane::http
