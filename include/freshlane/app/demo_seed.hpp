#pragma once
// Demo data for three Shanghai stores: 200+ products, listings, lots with trace, ratings.
// Deterministic ids, so running it twice changes nothing.
#include <cstddef>
#include <functional>
#include <string>

#include "freshlane/core/time.hpp"
#include "freshlane/storage/chain_repository.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::app {

struct SeedSummary {
  std::size_t stores = 0, products = 0, listings = 0, lots = 0, ratings = 0;
  int history_days = 0;     // store-days of past sales added
  int regular_baskets = 0;  // regular customers' past baskets added
  std::string example_store, example_sku, example_lot;
};

SeedSummary seed_demo(storage::Session& session, core::Timestamp now);

// A chain of `size.stores` stores for scale measurements (storage/chain_repository.hpp), made
// from the demo's products; `say` hears each step with its rows and seconds.
struct ChainSummary {
  long long stores = 0, products = 0, listings = 0, lots = 0, customers = 0, orders = 0;
  double seconds = 0;
};
ChainSummary seed_chain(storage::Session& session, const storage::ChainSize& size,
                        core::Timestamp now, const std::function<void(const std::string&)>& say);

}  // namespace freshlane::app
