#pragma once
// The price a customer pays now. The app, the shelf label and the checkout all call this one
// function, so the price is identical everywhere.
#include "freshlane/catalog/product.hpp"

namespace freshlane::catalog {

struct PriceNow {
  Money price_minor;          // what the customer pays now
  Money regular_price_minor;  // the list price
  bool marked_down;
};

// A markdown applies while now < until and only if it is below the regular price.
PriceNow price_now(const Listing& listing, core::Timestamp now);

}  // namespace freshlane::catalog
