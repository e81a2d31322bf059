#pragma once
// The order and its lifecycle. The allowed transitions are one table (order.cpp), tested pair
// by pair; everything that moves an order asks can_transition() first.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "freshlane/catalog/pricing.hpp"
#include "freshlane/catalog/product.hpp"
#include "freshlane/core/geo.hpp"
#include "freshlane/core/time.hpp"

namespace freshlane::orders {

enum class Fulfillment { kDelivery, kPickup, kInStore };
enum class Status {
  kPendingPayment,
  kPaid,
  kPicking,
  kPacked,
  kOutForDelivery,
  kReturning,  // a failed delivery's bags ride back to the store with the courier
  kDelivered,
  kReadyForPickup,
  kCollected,
  kCompleted,
  kCancelled,
  kExpired,
};
enum class PaymentStatus { kPending, kPaid, kFailed, kRefunded };
inline constexpr Fulfillment kAllFulfillments[] = {Fulfillment::kDelivery, Fulfillment::kPickup,
                                                   Fulfillment::kInStore};
inline constexpr PaymentStatus kAllPaymentStatuses[] = {
    PaymentStatus::kPending, PaymentStatus::kPaid, PaymentStatus::kFailed,
    PaymentStatus::kRefunded};

inline constexpr Status kAllStatuses[] = {
    Status::kPendingPayment, Status::kPaid,      Status::kPicking,   Status::kPacked,
    Status::kOutForDelivery, Status::kReturning, Status::kDelivered, Status::kReadyForPickup,
    Status::kCollected,      Status::kCompleted, Status::kCancelled, Status::kExpired};

std::string_view to_string(Fulfillment f);
std::string_view to_string(Status s);
std::string_view to_string(PaymentStatus s);
std::optional<Fulfillment> parse_fulfillment(std::string_view s);
std::optional<Status> parse_status(std::string_view s);
std::optional<PaymentStatus> parse_payment_status(std::string_view s);

// Whether an order of this fulfillment may move from `from` to `to`.
bool can_transition(Fulfillment f, Status from, Status to);

// Cancelling is possible until picking starts.
inline bool can_cancel(Fulfillment f, Status s) { return can_transition(f, s, Status::kCancelled); }

struct LotTake {
  std::string lot_id;
  std::int64_t quantity = 0;
  // When planned: the lot's own (marked-down) price as read, if it has one. The order is
  // written only while the lot still carries it (a markdown in between: planned again).
  std::optional<catalog::Money> lot_price_minor{};
};

struct Line {
  std::string sku;
  std::string name;
  // What the customer gets: ordered minus short. Pieces, or grams of goods sold by weight
  // (the grams ordered until the picker's scale sets the weighed grams).
  std::int64_t quantity = 0;
  catalog::Money unit_price_minor = 0;  // per piece, per kg or per 500 g
  std::vector<LotTake> lots;
  // The listing's price when ordered; above unit_price_minor when the line's lot was marked
  // down (a line holds units of one price: units of lots priced apart are lines apart).
  catalog::Money list_price_minor = 0;
  std::int64_t short_quantity = 0;  // could not be found when picking; refunded
  catalog::Unit unit = catalog::Unit::kEach;
  std::int64_t ordered_grams = 0;       // sold by weight: what the customer asked for
  bool weighed = false;                 // sold by weight: quantity is what the scale said
  catalog::Money authorized_minor = 0;  // sold by weight: what the payment holds (authorized())
  catalog::Money total() const;
  // What a payment must hold for this line as it stands: its total, or for goods not yet
  // weighed the price of the most the scale may say (catalog::max_weighed_grams).
  catalog::Money authorized() const;
  bool by_weight() const { return catalog::sold_by_weight(unit); }
};

// What a customer's unpaid orders hold, counted against their limit: pieces, and for goods
// sold by weight each 500 g begun.
std::int64_t held_units(const Line& line);

struct Delivery {
  core::LatLon location;
  std::string address;
  int distance_m = 0;
  std::string notes;  // for the courier: "ring twice, the dog is friendly"
};

// How far the order's bags have come (delivery and pickup orders, once paid).
struct PickingProgress {
  int bags = 0;
  int finished = 0;     // closed by their picker
  int on_conveyor = 0;  // riding a lane now
  int arrived = 0;      // at packing
  core::Timestamp deadline;
};

struct Order {
  std::string order_id;
  std::string customer_id;
  std::string store_id;
  Fulfillment fulfillment = Fulfillment::kDelivery;
  Status status = Status::kPendingPayment;
  std::vector<Line> lines;
  std::string currency;
  core::Timestamp created_at;
  std::optional<core::Timestamp> promised_at;
  PaymentStatus payment_status = PaymentStatus::kPending;
  core::Timestamp payment_expires_at;
  std::optional<Delivery> delivery;
  catalog::Money charged_minor = 0;  // the amount the payment is for (total when ordered)
  // Owed back from picking: short picks, and what weighed goods came to less than was paid.
  catalog::Money refund_minor = 0;
  std::string handover_code;  // shown to the customer, asked for at hand-over
  std::optional<core::Timestamp> paid_at, packed_at, handed_over_at;
  // After a failed delivery, the customer's choice: not on its way before then (the promise
  // counts from it).
  std::optional<core::Timestamp> redelivery_after;
  std::optional<PickingProgress> picking;
  // Cancelled for the customer by the store's staff: who, and why.
  std::optional<std::string> cancelled_by, cancel_reason;

  catalog::Money total_minor() const;
  // Some line sold by weight is not weighed yet: the total is an estimate.
  bool estimated() const;
};

// Limits on one order.
inline constexpr size_t kMaxLines = 100;
inline constexpr std::int64_t kMaxQuantity = 999;
inline constexpr std::int64_t kMinGrams = 50, kMaxGrams = 20'000;  // one line sold by weight

}  // namespace freshlane::orders
