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

// Compares in time that depends only on the lengths, never on where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

// Unpadded base64url (RFC 4648 §5); decode rejects any other character or padding.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Bytes from the operating system's CSPRNG (OpenSSL RAND_bytes).
std::string random_bytes(size_t n);

}  // namespace freshlane::core
