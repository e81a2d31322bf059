#pragma once
// What a product is found by: its name as written, the name's pinyin in full and by initials
// (帝王蟹 → "diwangxie", "dwx"), and its SKU. Pure; the table covers the 6,763 hanzi of GB 2312
// with each one's most common reading (src/catalog/pinyin_table.inc, scripts/gen-pinyin).
#include <string>
#include <string_view>

#include "freshlane/catalog/product.hpp"

namespace freshlane::catalog {

// The toneless pinyin of one hanzi ("xie"), or empty when the table does not have it.
std::string_view pinyin_of(char32_t hanzi);

// One line of lower-case words for matching: the name, the pinyin of each run of hanzi in full
// and by initials, and the SKU. "帝王蟹 King Crab" / KINGCRAB-M →
// "帝王蟹 king crab diwangxie dwx kingcrab-m".
std::string search_text(const Product& p);

}  // namespace freshlane::catalog
