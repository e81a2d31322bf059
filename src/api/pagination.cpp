#include "pagination.hpp"

#include <charconv>

#include "freshlane/core/crypto.hpp"
#include "json_body.hpp"

namespace freshlane::api {

int page_limit(const http::Request& req) {
  const auto text = req.query("limit");
  if (!text) return kDefaultLimit;
  int n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < 1 || n > kMaxLimit) {
    invalid_parameter("limit", "must be an integer from 1 to " + std::to_string(kMaxLimit));
  }
  return n;
}

std::string encode_cursor(const std::string& position) {
  return core::base64url_encode("c1:" + position);
}

std::string cursor_position(const http::Request& req) {
  const auto text = req.query("cursor");
  if (!text || text->empty()) return "";
  const auto raw = core::base64url_decode(*text);
  if (!raw || raw->rfind("c1:", 0) != 0) invalid_parameter("cursor", "is not a valid cursor");
  return raw->substr(3);
}

int cursor_offset(const http::Request& req) {
  const std::string position = cursor_position(req);
  if (position.empty()) return 0;
  int offset = 0;
  const auto [end, ec] =
      std::from_chars(position.data(), position.data() + position.size(), offset);
  if (ec != std::errc() || end != position.data() + position.size() || offset < 0 ||
      offset > kMaxOffset) {
    invalid_parameter("cursor", "is not a valid cursor");
  }
  return offset;
}

nlohmann::json page(nlohmann::json items, const std::optional<std::string>& next_position) {
  return {{"items", std::move(items)},
          {"next_cursor",
           next_position ? nlohmann::json(encode_cursor(*next_position)) : nlohmann::json()}};
}

}  // namespace freshlane::api
