#include "freshlane/catalog/qr_code.hpp"

#include <vector>

#include "freshlane/core/crypto.hpp"
#include "freshlane/core/ids.hpp"

namespace freshlane::catalog {

namespace {
constexpr std::string_view kPrefix = "FL1";
constexpr size_t kSignatureBytes = 12;
constexpr size_t kMaxCodeLength = 256;

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}
}  // namespace

std::string QrCodec::sign(std::string_view payload) const {
  const core::Digest mac = core::hmac_sha256(secret_, payload);
  return core::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(mac.data()), kSignatureBytes));
}

std::string QrCodec::lot_code(std::string_view lot_id) const {
  std::string payload = std::string(kPrefix) + ".L." + std::string(lot_id);
  return payload + "." + sign(payload);
}

std::string QrCodec::shelf_code(std::string_view store_id, std::string_view sku) const {
  std::string payload =
      std::string(kPrefix) + ".S." + std::string(store_id) + "." + std::string(sku);
  return payload + "." + sign(payload);
}

DecodedCode QrCodec::decode(std::string_view code) const {
  if (code.size() > kMaxCodeLength) return NotACode{};
  const auto parts = split_dots(code);
  if (parts.size() < 4 || parts[0] != kPrefix) return NotACode{};
  const bool is_lot = parts[1] == "L" && parts.size() == 4;
  const bool is_shelf = parts[1] == "S" && parts.size() == 5;
  if (!is_lot && !is_shelf) return NotACode{};
  for (size_t i = 2; i + 1 < parts.size(); ++i) {
    if (!core::is_valid_id(parts[i])) return NotACode{};
  }
  const std::string_view signature = parts.back();
  const auto raw = core::base64url_decode(signature);
  if (!raw || raw->size() != kSignatureBytes) return NotACode{};
  const std::string_view payload = code.substr(0, code.size() - signature.size() - 1);
  if (!core::constant_time_equal(sign(payload), signature)) return ForgedCode{};
  if (is_lot) return LotCode{std::string(parts[2])};
  return ShelfCode{std::string(parts[2]), std::string(parts[3])};
}

}  // namespace freshlane::catalog
