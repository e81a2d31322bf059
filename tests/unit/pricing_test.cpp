#include "freshlane/catalog/pricing.hpp"

#include <gtest/gtest.h>

using namespace freshlane::catalog;
using freshlane::core::Timestamp;

namespace {
const Timestamp kNow{std::chrono::seconds{1'800'000'000}};
Listing listing(Money price, std::optional<Markdown> md = std::nullopt) {
  Listing l;
  l.price_minor = price;
  l.markdown = md;
  return l;
}
}  // namespace

TEST(Pricing, RegularPriceWithoutMarkdown) {
  const auto p = price_now(listing(3990), kNow);
  EXPECT_EQ(p.price_minor, 3990);
  EXPECT_EQ(p.regular_price_minor, 3990);
  EXPECT_FALSE(p.marked_down);
}

TEST(Pricing, MarkdownAppliesUntilItsEnd) {
  const auto l = listing(3990, Markdown{2790, kNow + std::chrono::hours(2)});
  EXPECT_EQ(price_now(l, kNow).price_minor, 2790);
  EXPECT_EQ(price_now(l, kNow).regular_price_minor, 3990);
  EXPECT_EQ(price_now(l, kNow + std::chrono::hours(2)).price_minor, 3990);
}

TEST(Pricing, AMarkdownAboveTheListPriceIsIgnored) {
  EXPECT_EQ(
      price_now(listing(1000, Markdown{1200, kNow + std::chrono::hours(1)}), kNow).price_minor,
      1000);
}

TEST(Pricing, WeighedGoodsCostTheirGramsAtThePricePerUnitToTheNearestFen) {
  EXPECT_EQ(line_amount(Unit::kEach, 3, 600), 1800);
  EXPECT_EQ(line_amount(Unit::kKg, 1000, 39790), 39790);
  EXPECT_EQ(line_amount(Unit::kKg, 1420, 39790), 56502);  // 56,501.8
  EXPECT_EQ(line_amount(Unit::kKg, 1650, 39790), 65654);  // 65,653.5: halves up
  EXPECT_EQ(line_amount(Unit::k500g, 750, 1290), 1935);   // 1.5 × 1,290
  EXPECT_EQ(line_amount(Unit::kKg, 0, 39790), 0);
  EXPECT_EQ(max_weighed_grams(1500), 1650);
  EXPECT_EQ(max_weighed_grams(55), 60);  // 60.5: the scale may not pass it
  EXPECT_EQ(grams_per_unit(Unit::kEach), 0);
  EXPECT_TRUE(sold_by_weight(Unit::k500g));
}
