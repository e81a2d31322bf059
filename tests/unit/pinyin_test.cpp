// Search text: the name, its pinyin in full and by initials, and the SKU.
#include "freshlane/catalog/pinyin.hpp"

#include <gtest/gtest.h>

namespace freshlane::catalog {
namespace {

Product product(std::string sku, std::string name) {
  Product p;
  p.sku = std::move(sku);
  p.name = std::move(name);
  return p;
}

TEST(Pinyin, EachHanziHasItsCommonReading) {
  EXPECT_EQ(pinyin_of(U'帝'), "di");
  EXPECT_EQ(pinyin_of(U'王'), "wang");
  EXPECT_EQ(pinyin_of(U'蟹'), "xie");
  EXPECT_EQ(pinyin_of(U'A'), "");
}

TEST(Pinyin, SearchTextHoldsNamePinyinInitialsAndSku) {
  EXPECT_EQ(search_text(product("KINGCRAB-M", "帝王蟹 King Crab")),
            "帝王蟹 king crab diwangxie dwx kingcrab-m");
  // Each run of hanzi is its own word; a name without hanzi adds none.
  EXPECT_EQ(search_text(product("MILK-1", "光明 Bright 鲜牛奶")),
            "光明 bright 鲜牛奶 guangming xianniunai gm xnn milk-1");
  EXPECT_EQ(search_text(product("TART", "Egg Tart")), "egg tart tart");
}

}  // namespace
}  // namespace freshlane::catalog
