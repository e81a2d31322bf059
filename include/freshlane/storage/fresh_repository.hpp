#pragma once
// Fresh without waste, as stored: markdown policies, lot prices and their log (the shelf
// labels' feed), write-offs, the waste report's sums, and what forecasts and order suggestions
// read: daily sales, supply terms, stock by expiry and expected receipts.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/core/time.hpp"
#include "freshlane/fresh/markdown.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct DemoShopper {
  std::string customer_id, name, phone;
};
struct DemoTrip {
  int customer = 0;  // index into the shoppers
  core::Timestamp at{};
  std::vector<std::string> skus;
};

struct StoredPolicy {
  std::string scope;  // "default", "category:seafood", "storage:chilled"
  fresh::MarkdownPolicy policy;
  core::Timestamp updated_at;
  std::string updated_by;
};

// A lot with free units as the markdown round sees it.
struct PricedLot {
  std::string lot_id, sku, name, category;
  catalog::Storage storage = catalog::Storage::kAmbient;
  catalog::Money listing_price_minor = 0;  // regular
  std::optional<catalog::Markdown> listing_markdown;
  std::optional<catalog::Money> unit_cost_minor, price_minor;
  core::Timestamp received_at, expires_at;
  std::int64_t free_units = 0;  // on hand minus reserved
};

struct PriceChange {
  std::int64_t change_id = 0;
  std::string lot_id, sku, name;
  core::Timestamp at, expires_at;
  catalog::Money old_price_minor = 0, price_minor = 0, regular_minor = 0;
  std::string reason, actor;
};

struct WriteOff {
  std::string lot_id, sku;
  std::int64_t quantity = 0;
  catalog::Money cost_minor = 0, retail_minor = 0;
  std::string reason;
};

// One day and category of the waste report (quantities in stock units: grams for goods sold by
// weight).
struct WasteRow {
  std::string day, category;
  std::int64_t written_off_units = 0;
  catalog::Money written_off_cost_minor = 0, written_off_retail_minor = 0;
  std::int64_t markdown_units = 0;
  catalog::Money markdown_value_minor = 0;
  std::int64_t full_price_units = 0;
  catalog::Money full_price_value_minor = 0;
};

// A listed product as the order suggestions see it.
struct SupplyItem {
  std::string sku, name, category;
  catalog::Storage storage = catalog::Storage::kAmbient;
  catalog::Unit unit = catalog::Unit::kEach;
  catalog::Money price_minor = 0;                 // the listing's regular price
  std::optional<catalog::Money> unit_cost_minor;  // of the lot received last
  int pack_size = 1, lead_days = 1;
  std::optional<int> shelf_life_days;    // as set in the supply terms
  std::optional<double> lots_life_days;  // mean life of the lots received in the last 60 days
  bool terms_set = false;
};

// Free units of a lot, and units expected in an accepted delivery.
struct StockOnHand {
  std::string sku;
  std::int64_t units = 0;
  core::Timestamp expires_at;
};
struct ExpectedReceipt {
  std::string sku, delivery_on;  // YYYY-MM-DD
  int quantity = 0, packs = 0;
  std::string suggestion_json;
  core::Timestamp accepted_at;
  std::string accepted_by;
};

// The store's local day so far, for the manager's board.
struct FreshToday {
  std::int64_t price_changes = 0, lots_marked_down = 0;
  std::int64_t written_off_units = 0;
  catalog::Money written_off_cost_minor = 0, written_off_retail_minor = 0;
};

class FreshRepository {
 public:
  explicit FreshRepository(Session& session) : session_(session) {}

  std::vector<StoredPolicy> policies();
  void put_policy(const std::string& scope, const fresh::MarkdownPolicy& policy,
                  const std::string& actor);
  bool delete_policy(const std::string& scope);

  // The store's lots with free units and not recalled, earliest expiry first (expired ones too:
  // the round writes them off).
  // `expiring_by`: only the lots that expire by then.
  std::vector<PricedLot> lots_to_price(const std::string& store_id,
                                       std::optional<core::Timestamp> expiring_by = std::nullopt);
  // Compare-and-set: the lot's price becomes `price` only while it is still `expected` (nullopt:
  // none set) and `price` is lower; the change is logged. False when the lot moved meanwhile (or
  // is not of `store_id`).
  bool set_lot_price(const std::string& store_id, const std::string& lot_id,
                     std::optional<catalog::Money> expected, catalog::Money price,
                     catalog::Money regular, const std::string& reason, const std::string& actor,
                     core::Timestamp now);
  // Writes off up to `quantity` free units of the lot of `store_id` (all of them when nullopt),
  // valued at its unit cost (else at `retail_minor` per unit as cost too) and at `retail_minor`.
  // Returns what was written off (quantity 0: none free).
  WriteOff write_off(const std::string& store_id, const std::string& lot_id,
                     std::optional<std::int64_t> quantity, catalog::Money retail_minor,
                     const std::string& reason, const std::string& actor,
                     const std::optional<std::string>& note, core::Timestamp now);

  // The labels' feed: price changes after `since`, oldest first.
  std::vector<PriceChange> price_changes(const std::string& store_id, std::int64_t since,
                                         int limit);

  // Days [from, to] (local YYYY-MM-DD in `timezone`), by day and category.
  std::vector<WasteRow> waste(const std::string& store_id, const std::string& from,
                              const std::string& to, const std::string& timezone);

  // Units sold per SKU and local day over the `days` days before `until_day` (exclusive), day 0
  // first: lines of orders handed over (delivered, collected, bought in the aisle), less short.
  // A day that is over (it ended an hour before `now`) is summed from the orders once, into
  // sales_days, and read from there after; the rest of the window is summed from the orders.
  std::map<std::string, std::vector<double>> daily_sales(const std::string& store_id,
                                                         const std::vector<std::string>& skus,
                                                         const std::string& until_day, int days,
                                                         int utc_offset_minutes,
                                                         core::Timestamp now);
  // Listed products after `after_sku` (all, or only `only_sku`), by SKU, at most `limit`; the
  // lots' shelf life from those received in the 60 days before `now`.
  std::vector<SupplyItem> supply_items(const std::string& store_id, const std::string& after_sku,
                                       const std::string& only_sku, int limit, core::Timestamp now);
  // Free units of unexpired, unrecalled lots at `now`, by SKU and expiry.
  std::vector<StockOnHand> stock_on_hand(const std::string& store_id,
                                         const std::vector<std::string>& skus, core::Timestamp now);
  bool put_supply_terms(const std::string& store_id, const std::string& sku, int pack_size,
                        int lead_days, std::optional<int> shelf_life_days);
  // Accepted deliveries from `from_day` on (all SKUs when `skus` is empty).
  std::vector<ExpectedReceipt> expected_receipts(const std::string& store_id,
                                                 const std::string& from_day,
                                                 const std::vector<std::string>& skus);
  // Upserts the store's expected receipt of `sku` on `delivery_on`; true when it is new.
  bool accept(const std::string& store_id, const ExpectedReceipt& receipt);

  // Markdowns and write-offs of the store's local day (`timezone`) so far.
  FreshToday today(const std::string& store_id, const std::string& timezone, core::Timestamp now);

  // Demo data: `days` days of in-aisle sales before `now` for every product the store lists, one
  // completed order per day (ids by date: running it again adds only the days missing). Each
  // product sells at its own rate with a weekend lift and day-to-day noise, a fifth of them
  // slowly (many days without a sale). Returns the days added.
  int seed_sales_history(const std::string& store_id, int days, core::Timestamp now);
  // The demo's regular customers and their baskets (trip.customer indexes `shoppers`), bought
  // in the aisle; the orders made (none again on a second run).
  std::vector<std::string> seed_trips(const std::string& store_id,
                                      const std::vector<DemoShopper>& shoppers,
                                      const std::vector<DemoTrip>& trips);
  // Drops the stores' summed days (daily_sales sums them again from the orders): for whoever
  // writes orders handed over in the past, as the seeds do.
  void forget_sales_days(const std::vector<std::string>& store_ids);
  // Drops summed days older than `keep_days` (in batches, each its own statement): no forecast
  // reads further back than a year.
  void prune_sales_days(int keep_days);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
