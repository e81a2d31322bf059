#pragma once
// Pure cryptographic helpers (OpenSSL's libcrypto underneath; no I/O).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace freshlane::core {

using Digest = std::array<std::uint8_t, 32>;

Digest hmac_sha256(std::string_view key, std::string_view message);
Digest sha256(std::string_view data);
std::string to_hex(const std::uint8_t* data, size_t size);
inline std::string to_hex(const Digest& d) { return to_hex(d.data(), d.size()); }

// Webhook signatures, both ways (the provider's webhooks in, our refund calls out):
// `X-Freshlane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
std::string webhook_v1(std::string_view secret, std::string_view t, std::string_view body);
inline std::string webhook_signature(std::string_view secret, std::string_view t,
                                     std::string_view body) {
  return "t=" + std::string(t) + ",v1=" + webhook_v1(secret, t, body);
}

// Compares in time that depends only on the lengths, never on where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

// Unpadded base64url (RFC 4648 §5); decode rejects any other character or padding.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Bytes from the operating system's CSPRNG (OpenSSL RAND_bytes).
std::string random_bytes(size_t n);

// Lower- or upper-case hex to bytes; none for an odd length or a character that is not hex.
std::optional<std::string> from_hex(std::string_view hex);

// What a code of an order placed before codes were derived was kept as (migration 0007): the
// SHA-256 of a per-order random salt followed by the code, both hex.
struct KeptCodeHash {
  std::string salt_hex;
  std::string hash_hex;
};
// SHA-256(salt || code), as migration 0007 computed it with PostgreSQL's sha256().
Digest salted_code_hash(std::string_view salt, std::string_view code);

// The six-digit code a customer shows at the door (courier) or the counter (pickup). It is
// derived from the order id under a server key and never stored: the customer's app reads it
// again at any time, and the database holds nothing it could be read back from (nor guessed
// from, offline: without the key every order id maps to an unknown code).
class HandoverCodeKey {
 public:
  // A random key of this process alone: for tests and tools; a server fleet must share one.
  HandoverCodeKey();
  // The key from a server secret, kept apart from the secret's other uses by a label (the
  // secret itself never keys a code).
  static HandoverCodeKey from_secret(std::string_view secret);

  // HMAC-SHA-256(key, "order:" + order id), its first 8 bytes as a big-endian number modulo
  // 10^6, zero-padded to six digits (the modulo's bias is below 10^-13).
  std::string code_of(std::string_view order_id) const;
  // Whether `offered` opens the order's hand-over: its code, or, for an order placed before
  // codes were derived, the code the customer was shown then (`kept`). The comparisons take
  // the same time wherever the codes differ, and both are always made.
  bool opens(std::string_view order_id, std::string_view offered,
             const std::optional<KeptCodeHash>& kept) const;

 private:
  explicit HandoverCodeKey(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace freshlane::core
