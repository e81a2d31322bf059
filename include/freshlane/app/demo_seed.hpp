#pragma once
// Demo data for three Shanghai stores: 200+ products, listings, lots with trace, ratings.
// Deterministic ids, so running it twice changes nothing.
#include <cstddef>
#include <string>

#include "freshlane/core/time.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::app {

struct SeedSummary {
  std::size_t stores = 0, products = 0, listings = 0, lots = 0, ratings = 0;
  int history_days = 0;     // store-days of past sales added
  int regular_baskets = 0;  // regular customers' past baskets added
  std::string example_store, example_sku, example_lot;
};

SeedSummary seed_demo(storage::Session& session, core::Timestamp now);

}  // namespace freshlane::app
