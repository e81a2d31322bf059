#pragma once
// What the shop sells and where: stores, products, a store's listing of a product, and lots.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "freshlane/core/geo.hpp"
#include "freshlane/core/time.hpp"

namespace freshlane::catalog {

using Money = std::int64_t;  // minor units (fen for CNY)

struct Store {
  std::string store_id;
  std::string name;
  core::LatLon location;
  int delivery_radius_m = 3000;
  int promise_minutes = 30;
  std::string currency = "CNY";
  // For customers: where to find the store and when it is open (local "HH:MM", both or none).
  std::string address{};
  std::string phone{};
  std::optional<std::string> opens{}, closes{};
  int utc_offset_minutes = 480;
  // Set while a manager has paused delivery (a storm, a broken van): why, for customers.
  std::optional<std::string> delivery_paused_reason{};
  // The one radius rule (stores nearby, orders, the quote): the edge itself is inside.
  bool delivers_within(double distance_m) const { return distance_m <= delivery_radius_m; }
};

enum class Unit { kEach, k500g, kKg };
enum class Storage { kAmbient, kChilled, kFrozen, kLive };
inline constexpr Unit kAllUnits[] = {Unit::kEach, Unit::k500g, Unit::kKg};
inline constexpr Storage kAllStorages[] = {Storage::kAmbient, Storage::kChilled, Storage::kFrozen,
                                           Storage::kLive};

// Goods sold by weight (priced per kg or per 500 g) are counted in grams: their lots, order
// lines and picks. Grams in one priced unit; 0 for goods sold each.
int grams_per_unit(Unit u);
inline bool sold_by_weight(Unit u) { return u != Unit::kEach; }

std::string_view to_string(Unit u);
std::string_view to_string(Storage s);
std::optional<Unit> parse_unit(std::string_view s);
std::optional<Storage> parse_storage(std::string_view s);

struct Product {
  std::string sku;
  std::string name;
  std::string category;
  Unit unit = Unit::kEach;
  Storage storage = Storage::kAmbient;
};

// A markdown (e.g. the evening discount on today's fresh food) valid until `until`.
struct Markdown {
  Money price_minor = 0;
  core::Timestamp until;
  std::optional<core::Timestamp> from{};  // none: from when it was set
};

// A product as one store sells it.
struct Listing {
  std::string store_id;
  std::string sku;
  Money price_minor = 0;  // regular (list) price
  std::optional<Markdown> markdown;
  std::string zone;
  std::string shelf;
};

struct TraceEvent {
  core::Timestamp at;
  std::string event;
  std::string place;
};

struct Lot {
  std::string lot_id;
  std::string store_id;
  std::string sku;
  std::int64_t quantity_received = 0;
  std::string origin;
  core::Timestamp produced_at;
  core::Timestamp received_at;
  core::Timestamp expires_at;
  std::vector<TraceEvent> trace;
  // Live state, when read back: the lot's own units, and a recall that stopped its sale.
  std::int64_t quantity_on_hand = 0;
  std::int64_t quantity_available = 0;  // on hand minus reserved by orders
  std::optional<core::Timestamp> recalled_at;
  std::string recall_reason;
  // Fresh without waste: what one unit cost the store (from receiving), and the lot's own
  // price once a markdown (by policy or by a manager) set one. The lower of it and the
  // listing's price now is what the lot sells at (catalog::lot_price_now).
  std::optional<Money> unit_cost_minor;
  std::optional<Money> price_minor;
};

// Units of a store product that sell below its listing's price: the lowest-priced lot's price
// and how many units carry it.
struct LotOffer {
  Money price_minor = 0;
  std::int64_t units = 0;
};

// A listing joined with its product and the store's live stock of it.
struct StoreProduct {
  Product product;
  Listing listing;
  std::int64_t available = 0;          // unexpired, unrecalled lots' on-hand minus reserved
  bool listed = true;                  // false once delisted: not shown in lists, not sold
  std::optional<LotOffer> lowest_lot;  // the cheapest marked-down lot with units free, if any
};

// Names what a change touched: one store's listing of one product, or with an empty store_id
// the product in every store (a rating, say). Cached answers about it must be dropped.
struct ProductKey {
  std::string store_id;
  std::string sku;
  // Whether the change may move the product onto, off or within its store's catalog pages
  // (listed, delisted, renamed, put in another category): then every page of the store goes.
  // A change of stock, price, markdown or rating alone (made with `in_place`) drops only the
  // pages that show the product, so a busy store's orders leave its other pages cached.
  bool moves_pages = true;
  static ProductKey in_place(std::string store_id, std::string sku) {
    return {std::move(store_id), std::move(sku), false};
  }
  bool operator==(const ProductKey&) const = default;
};

struct Rating {
  double average = 0;  // 0 when there are no ratings
  std::int64_t count = 0;
};

// Names used as keys: categories and zones are lower-case words ("live_seafood"), 1–32 chars.
bool is_valid_key_word(std::string_view s);

}  // namespace freshlane::catalog
