#pragma once
// Identifiers: strings of [A-Za-z0-9_-], at most 64 characters, never containing '.', so they
// can be joined with '.' inside QR codes and appear in paths without escaping.
#include <string>
#include <string_view>

namespace freshlane::core {

inline constexpr size_t kMaxIdLength = 64;

bool is_valid_id(std::string_view id);

// `prefix` followed by `random_chars` characters of Crockford base32 from the CSPRNG.
std::string new_id(std::string_view prefix, size_t random_chars = 12);

}  // namespace freshlane::core
