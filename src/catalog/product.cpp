#include "freshlane/catalog/product.hpp"

#include "freshlane/core/names.hpp"

namespace freshlane::catalog {

int grams_per_unit(Unit u) {
  switch (u) {
    case Unit::kEach:
      return 0;
    case Unit::k500g:
      return 500;
    case Unit::kKg:
      return 1000;
  }
  return 0;
}

std::string_view to_string(Unit u) {
  switch (u) {
    case Unit::kEach:
      return "each";
    case Unit::k500g:
      return "500g";
    case Unit::kKg:
      return "kg";
  }
  return "each";
}

std::string_view to_string(Storage s) {
  switch (s) {
    case Storage::kAmbient:
      return "ambient";
    case Storage::kChilled:
      return "chilled";
    case Storage::kFrozen:
      return "frozen";
    case Storage::kLive:
      return "live";
  }
  return "ambient";
}

std::optional<Unit> parse_unit(std::string_view s) { return core::parse_name(s, kAllUnits); }

std::optional<Storage> parse_storage(std::string_view s) {
  return core::parse_name(s, kAllStorages);
}

bool is_valid_key_word(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace freshlane::catalog
