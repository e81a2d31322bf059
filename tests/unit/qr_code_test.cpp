#include "freshlane/catalog/qr_code.hpp"

#include <gtest/gtest.h>

using namespace freshlane::catalog;

namespace {
const QrCodec kCodec("test-secret-0123456789");
}

TEST(QrCode, LotCodeDecodesToItsLot) {
  const std::string code = kCodec.lot_code("L0123456789AB");
  const auto decoded = kCodec.decode(code);
  ASSERT_TRUE(std::holds_alternative<LotCode>(decoded));
  EXPECT_EQ(std::get<LotCode>(decoded).lot_id, "L0123456789AB");
}

TEST(QrCode, ShelfCodeDecodesToStoreAndSku) {
  const auto decoded = kCodec.decode(kCodec.shelf_code("sh-jinqiao", "KINGCRAB-M"));
  ASSERT_TRUE(std::holds_alternative<ShelfCode>(decoded));
  EXPECT_EQ(std::get<ShelfCode>(decoded).store_id, "sh-jinqiao");
  EXPECT_EQ(std::get<ShelfCode>(decoded).sku, "KINGCRAB-M");
}

TEST(QrCode, IsShortEnoughForASmallLabel) {
  EXPECT_LE(kCodec.lot_code("L0123456789AB").size(), 40u);
}

TEST(QrCode, AnyChangedCharacterIsRefused) {
  const std::string code = kCodec.lot_code("L0123456789AB");
  for (size_t i = 0; i < code.size(); ++i) {
    std::string mangled = code;
    mangled[i] = mangled[i] == 'A' ? 'B' : 'A';
    const auto decoded = kCodec.decode(mangled);
    EXPECT_FALSE(std::holds_alternative<LotCode>(decoded)) << mangled;
  }
}

TEST(QrCode, ACodeSignedWithAnotherSecretIsForged) {
  const QrCodec other("another-secret-0123456789");
  EXPECT_TRUE(std::holds_alternative<ForgedCode>(kCodec.decode(other.lot_code("L0123456789AB"))));
  // Moving a valid signature onto another lot id does not work either.
  const std::string good = kCodec.lot_code("L0123456789AB");
  const std::string moved = "FL1.L.L0123456789AC" + good.substr(good.rfind('.'));
  EXPECT_TRUE(std::holds_alternative<ForgedCode>(kCodec.decode(moved)));
}

TEST(QrCode, WhatIsNotACodeIsSaidSo) {
  for (const char* bad : {"", "hello", "FL1", "FL1.L.abc", "FL2.L.L0123.AAAAAAAAAAAAAAAA",
                          "FL1.X.L0123.AAAAAAAAAAAAAAAA", "FL1.L.L0/23.AAAAAAAAAAAAAAAA",
                          "FL1.L.L0123.short", "FL1.S.store.AAAAAAAAAAAAAAAA"}) {
    EXPECT_TRUE(std::holds_alternative<NotACode>(kCodec.decode(bad))) << bad;
  }
  EXPECT_TRUE(std::holds_alternative<NotACode>(kCodec.decode(std::string(1000, 'A'))));
}
