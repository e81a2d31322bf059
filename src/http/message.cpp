#include "freshlane/http/message.hpp"

namespace freshlane::http {

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return std::string_view(v);
  }
  return std::nullopt;
}

const std::string& Request::param(std::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  static const std::string kEmpty;
  return kEmpty;
}

std::optional<std::string> Request::query(std::string_view name) const {
  for (const auto& [k, v] : query_params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

}  // namespace freshlane::http
