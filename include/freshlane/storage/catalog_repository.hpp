#pragma once
// Products, store listings, lots and ratings. Every method is one transaction.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct ListingQuery {
  std::string store_id;
  // Words that must each be in the name, its pinyin (full or initials) or the SKU, in any
  // order; the closest first (pages by `offset`). Empty = all, by SKU (pages by `after_sku`).
  std::string text;
  std::string category;   // exact; empty = all
  std::string after_sku;  // keyset cursor; empty = from the start
  int limit = 50;
  int offset = 0;  // searches
};

enum class LotInsert { kCreated, kDuplicateId, kNotListed };

class CatalogRepository {
 public:
  explicit CatalogRepository(Session& session) : session_(session) {}

  bool insert_product(const catalog::Product& product);  // false: SKU taken
  std::optional<catalog::Product> find_product(const std::string& sku);

  // Creates or replaces a listing. Store and product must exist (callers check first).
  void upsert_listing(const catalog::Listing& listing);  // listing again undoes a delisting
  // Stops showing and selling the listing (its lots and orders stay); false: no such listing.
  bool delist(const std::string& store_id, const std::string& sku);
  // The categories the store lists products in, with how many each.
  std::vector<std::pair<std::string, int>> categories(const std::string& store_id);
  // Computes the search text of products written before it existed; how many.
  int fill_search_text();
  // The storage class of each SKU that exists (packing: live crab and milk go in other bags).
  std::map<std::string, catalog::Storage> storage_of(const std::vector<std::string>& skus);
  // Changes name, category and storage (what is set); the product as it is then, or nullopt.
  std::optional<catalog::Product> update_product(const std::string& sku,
                                                 const std::optional<std::string>& name,
                                                 const std::optional<std::string>& category,
                                                 const std::optional<std::string>& storage);
  std::optional<catalog::StoreProduct> find_store_product(const std::string& store_id,
                                                          const std::string& sku,
                                                          core::Timestamp now);
  // The listed (not delisted) ones of `skus`, by SKU.
  std::map<std::string, catalog::StoreProduct> find_store_products(
      const std::string& store_id, const std::vector<std::string>& skus, core::Timestamp now);
  std::vector<catalog::StoreProduct> list_store_products(const ListingQuery& query,
                                                         core::Timestamp now);

  LotInsert insert_lot(const catalog::Lot& lot);
  std::optional<catalog::Lot> find_lot(const std::string& lot_id);

  catalog::Rating rating(const std::string& sku);
  void rate(const std::string& sku, const std::string& rater_id, int stars);

 private:
  Session& session_;
};

// For bulk loads (demo data): commits on this session stop waiting for the disk flush.
void relax_durability_for_bulk_load(Session& session);

// Escapes LIKE wildcards in user text and wraps it as a substring pattern.
std::string like_substring_pattern(const std::string& text);

}  // namespace freshlane::storage
