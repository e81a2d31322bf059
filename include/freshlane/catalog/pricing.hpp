#pragma once
// The price a customer pays now. The app, the shelf label and the checkout all call this one
// function, so the price is identical everywhere.
#include <cstdint>
#include <optional>

#include "freshlane/catalog/product.hpp"

namespace freshlane::catalog {

struct PriceNow {
  Money price_minor;          // what the customer pays now
  Money regular_price_minor;  // the list price
  bool marked_down;
};

// A markdown applies while now < until and only if it is below the regular price.
PriceNow price_now(const Listing& listing, core::Timestamp now);

// What one unit of a lot sells at now: the listing's price now, or the lot's own markdown
// when it is lower. Catalog, scan, order charge and shelf label all use it.
inline Money lot_price_now(Money listing_price_now, std::optional<Money> lot_price) {
  return lot_price && *lot_price < listing_price_now ? *lot_price : listing_price_now;
}

// What `quantity` costs at `unit_price` per unit: pieces of goods sold each; grams of goods sold
// by weight (rounded to the nearest minor unit, halves up).
Money line_amount(Unit unit, std::int64_t quantity, Money unit_price);

// Weighed goods: the scale decides. A line ordered as `grams` may be weighed at up to
// kWeighTolerancePercent more (a crab is not cut to size); its payment authorises the price of
// that much, and what the weighed piece does not cost is given back (refund reason
// weight_adjustment).
inline constexpr int kWeighTolerancePercent = 10;
inline std::int64_t max_weighed_grams(std::int64_t grams) {
  return grams * (100 + kWeighTolerancePercent) / 100;
}

}  // namespace freshlane::catalog
