#include "freshlane/catalog/pricing.hpp"

namespace freshlane::catalog {

PriceNow price_now(const Listing& listing, core::Timestamp now) {
  const auto& md = listing.markdown;
  if (md && now < md->until && (!md->from || *md->from <= now) &&
      md->price_minor < listing.price_minor) {
    return {md->price_minor, listing.price_minor, true};
  }
  return {listing.price_minor, listing.price_minor, false};
}

Money line_amount(Unit unit, std::int64_t quantity, Money unit_price) {
  const Money grams = grams_per_unit(unit);
  if (grams == 0) return unit_price * quantity;
  return (unit_price * quantity * 2 + grams) / (2 * grams);
}

}  // namespace freshlane::catalog
