#pragma once
// Enums travel as names ("chilled", "pending_payment"). Each enum has a to_string() beside it
// and an array of all its values; parse_name() inverts to_string() for any of them.
#include <cstddef>
#include <optional>
#include <string_view>

namespace freshlane::core {

template <typename E, std::size_t N>
std::optional<E> parse_name(std::string_view name, const E (&values)[N]) {
  for (E v : values) {
    if (to_string(v) == name) return v;  // to_string is found in E's namespace
  }
  return std::nullopt;
}

}  // namespace freshlane::core
