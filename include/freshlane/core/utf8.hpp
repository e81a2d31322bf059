#pragma once
// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
#include <cstddef>
#include <string_view>

namespace freshlane::core {

// The length of the well-formed sequence that starts at s[i] (1 for ASCII), or 0 when none
// does: a stray continuation byte, an impossible lead byte, or a sequence cut short.
std::size_t utf8_sequence(std::string_view s, std::size_t i);

bool is_utf8(std::string_view s);

}  // namespace freshlane::core
