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
