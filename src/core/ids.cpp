#include "freshlane/core/ids.hpp"

#include "freshlane/core/crypto.hpp"

namespace freshlane::core {

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string new_id(std::string_view prefix, size_t random_chars) {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const std::string bytes = random_bytes(random_chars);
  std::string out(prefix);
  for (unsigned char b : bytes) out.push_back(kCrockford[b & 31]);
  return out;
}

}  // namespace freshlane::core
