#include "freshlane/catalog/pinyin.hpp"

#include <algorithm>
#include <iterator>

#include "freshlane/core/utf8.hpp"

namespace freshlane::catalog {

namespace {

struct Reading {
  char32_t hanzi;
  const char* pinyin;
};

constexpr Reading kTable[] = {
#include "pinyin_table.inc"
};

// The code point of the well-formed sequence at s[i] of length n.
char32_t decode(std::string_view s, std::size_t i, std::size_t n) {
  const auto b = [&](std::size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]));
  };
  switch (n) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return out;
}

}  // namespace

std::string_view pinyin_of(char32_t hanzi) {
  const auto it = std::lower_bound(std::begin(kTable), std::end(kTable), hanzi,
                                   [](const Reading& r, char32_t c) { return r.hanzi < c; });
  if (it == std::end(kTable) || it->hanzi != hanzi) return {};
  return it->pinyin;
}

std::string search_text(const Product& p) {
  std::string full, initials, run_full, run_initials;
  const auto end_run = [&] {
    if (run_full.empty()) return;
    full += (full.empty() ? "" : " ") + run_full;
    initials += (initials.empty() ? "" : " ") + run_initials;
    run_full.clear();
    run_initials.clear();
  };
  const std::string_view name = p.name;
  for (std::size_t i = 0; i < name.size();) {
    const std::size_t n = core::utf8_sequence(name, i);
    if (n == 0) {  // not UTF-8 (names are checked on the way in): skip the byte
      ++i;
      continue;
    }
    const auto reading = n == 3 ? pinyin_of(decode(name, i, n)) : std::string_view{};
    if (reading.empty()) {
      end_run();
    } else {
      run_full += reading;
      run_initials += reading.front();
    }
    i += n;
  }
  end_run();
  std::string out = lower_ascii(p.name);
  if (!full.empty()) out += " " + full + " " + initials;
  out += " " + lower_ascii(p.sku);
  return out;
}

}  // namespace freshlane::catalog
