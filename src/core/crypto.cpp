#include "freshlane/core/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <string>

namespace freshlane::core {

Digest hmac_sha256(std::string_view key, std::string_view message) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
  return out;
}

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string webhook_v1(std::string_view secret, std::string_view t, std::string_view body) {
  std::string message(t);
  message += '.';
  message += body;
  return to_hex(hmac_sha256(secret, message));
}

std::string to_hex(const std::uint8_t* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 15];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}
}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kB64[(acc << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero, so every byte string has exactly one encoding.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("the system random generator failed");
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

Digest salted_code_hash(std::string_view salt, std::string_view code) {
  std::string message;
  message.reserve(salt.size() + code.size());
  message.append(salt).append(code);
  return sha256(message);
}

namespace {
constexpr std::string_view kCodeKeyLabel = "freshlane handover codes v1";
}  // namespace

HandoverCodeKey::HandoverCodeKey() : key_(random_bytes(32)) {}

HandoverCodeKey HandoverCodeKey::from_secret(std::string_view secret) {
  const Digest k = hmac_sha256(secret, kCodeKeyLabel);
  return HandoverCodeKey(std::string(reinterpret_cast<const char*>(k.data()), k.size()));
}

std::string HandoverCodeKey::code_of(std::string_view order_id) const {
  std::string message = "order:";
  message.append(order_id);
  const Digest d = hmac_sha256(key_, message);
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = n << 8 | d[i];
  std::string digits = std::to_string(n % 1'000'000);
  return std::string(6 - digits.size(), '0') + digits;
}

bool HandoverCodeKey::opens(std::string_view order_id, std::string_view offered,
                            const std::optional<KeptCodeHash>& kept) const {
  const bool derived = constant_time_equal(offered, code_of(order_id));
  bool earlier = false;
  if (kept) {
    const auto salt = from_hex(kept->salt_hex);
    const bool same =
        constant_time_equal(to_hex(salted_code_hash(salt.value_or(""), offered)), kept->hash_hex);
    earlier = same && salt.has_value();
  }
  return derived || earlier;
}

}  // namespace freshlane::core
