#pragma once
// A whole chain generated in the database for scale measurements (`freshlane seed-demo --stores
// N --skus M --days D`, bench/chain): stores over a city's districts, a catalog of M products
// made from a few hundred base products, listings (the flagship lists all, every other store a
// shared core and some of its own), one lot per listing, customers, and D days of completed
// orders with their lines, payments and floor and delivery events. Every table is filled by
// set-based statements run inside PostgreSQL (no row crosses the wire, none is inserted one at
// a time), so 500 stores x 100k SKUs x 30 days take minutes. Deterministic: ids and amounts
// come from hashes, and running it again adds only what is missing (a longer history, more
// stores).
#include <string>
#include <vector>

#include "freshlane/core/time.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

// The products every chain SKU is a variant of (the demo's 210).
struct ChainBase {
  std::vector<std::string> sku, name, category, unit, storage, search_text, origin, zone;
  std::vector<long long> price_minor;
  std::vector<int> shelf_days;
};

struct ChainDistricts {
  std::vector<std::string> name;
  std::vector<double> lat, lon;
};

struct ChainSize {
  int stores = 500;
  int skus = 100000;
  int days = 30;
  int orders_per_day = 100;  // online and aisle orders a store takes on an average day
  int core_skus = 6000;      // listed at every store
  int own_skus = 1500;       // drawn per store from the rest of the catalog
  int customers_per_store = 200;
};

class ChainRepository {
 public:
  explicit ChainRepository(Session& session) : session_(session) {}

  long long seed_stores(const ChainSize& size, const ChainDistricts& districts);
  long long seed_products(const ChainSize& size, const ChainBase& base);
  long long seed_listings(const ChainSize& size, const ChainBase& base);
  long long seed_lots(const ChainSize& size, const ChainBase& base, core::Timestamp now);
  long long seed_customers(const ChainSize& size);
  // The orders of the store-local day `days_ago` days before now's (1: yesterday) at every
  // chain store, with lines, payments, pick and delivery events; returns the orders added.
  long long seed_day(const ChainSize& size, const ChainBase& base, int days_ago,
                     core::Timestamp now);
  void analyze();
  // Whether this connection may switch per-row triggers off (a superuser's).
  bool may_write_without_triggers();

  // The chain's store ids: ch-0001 (the flagship) ... ch-NNNN.
  static std::string store_id(int n);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
