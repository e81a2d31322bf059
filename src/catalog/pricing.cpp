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

}  // namespace freshlane::catalog
