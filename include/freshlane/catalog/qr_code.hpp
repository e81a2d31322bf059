#pragma once
// QR codes printed on lot labels and shelf labels.
//
//   lot:   FL1.L.<lot_id>.<signature>
//   shelf: FL1.S.<store_id>.<sku>.<signature>
//
// The signature is the first 12 bytes of HMAC-SHA256(secret, everything before the last '.'),
// base64url (16 characters): short enough for a small label, and a forged or mangled code is
// refused without touching the database.
#include <string>
#include <string_view>
#include <variant>

namespace freshlane::catalog {

struct LotCode {
  std::string lot_id;
};
struct ShelfCode {
  std::string store_id;
  std::string sku;
};
// Looks like one of our codes, but the signature does not match.
struct ForgedCode {};
// Not a freshlane code at all.
struct NotACode {};

using DecodedCode = std::variant<LotCode, ShelfCode, ForgedCode, NotACode>;

class QrCodec {
 public:
  explicit QrCodec(std::string secret) : secret_(std::move(secret)) {}

  std::string lot_code(std::string_view lot_id) const;
  std::string shelf_code(std::string_view store_id, std::string_view sku) const;
  DecodedCode decode(std::string_view code) const;

 private:
  std::string sign(std::string_view payload) const;
  std::string secret_;
};

}  // namespace freshlane::catalog
