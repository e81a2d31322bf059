#include "freshlane/orders/order.hpp"

#include <algorithm>

#include "freshlane/core/names.hpp"

namespace freshlane::orders {

std::string_view to_string(Fulfillment f) {
  switch (f) {
    case Fulfillment::kDelivery:
      return "delivery";
    case Fulfillment::kPickup:
      return "pickup";
    case Fulfillment::kInStore:
      return "in_store";
  }
  return "delivery";
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kPendingPayment:
      return "pending_payment";
    case Status::kPaid:
      return "paid";
    case Status::kPicking:
      return "picking";
    case Status::kPacked:
      return "packed";
    case Status::kOutForDelivery:
      return "out_for_delivery";
    case Status::kReturning:
      return "returning";
    case Status::kDelivered:
      return "delivered";
    case Status::kReadyForPickup:
      return "ready_for_pickup";
    case Status::kCollected:
      return "collected";
    case Status::kCompleted:
      return "completed";
    case Status::kCancelled:
      return "cancelled";
    case Status::kExpired:
      return "expired";
  }
  return "pending_payment";
}

std::string_view to_string(PaymentStatus s) {
  switch (s) {
    case PaymentStatus::kPending:
      return "pending";
    case PaymentStatus::kPaid:
      return "paid";
    case PaymentStatus::kFailed:
      return "failed";
    case PaymentStatus::kRefunded:
      return "refunded";
  }
  return "pending";
}

std::optional<Fulfillment> parse_fulfillment(std::string_view s) {
  return core::parse_name(s, kAllFulfillments);
}

std::optional<Status> parse_status(std::string_view s) { return core::parse_name(s, kAllStatuses); }

std::optional<PaymentStatus> parse_payment_status(std::string_view s) {
  return core::parse_name(s, kAllPaymentStatuses);
}

namespace {
struct Transition {
  Status from, to;
  bool delivery, pickup, in_store;
};

// The whole lifecycle (API.md, Orders). `cancelled` and `expired` end an order never picked.
constexpr Transition kTransitions[] = {
    {Status::kPendingPayment, Status::kPaid, true, true, false},
    {Status::kPendingPayment, Status::kCompleted, false, false, true},  // paid in the aisle
    {Status::kPendingPayment, Status::kCancelled, true, true, true},
    {Status::kPendingPayment, Status::kExpired, true, true, true},
    {Status::kPaid, Status::kCancelled, true, true, false},
    {Status::kPaid, Status::kPicking, true, true, false},
    {Status::kPicking, Status::kPacked, true, true, false},
    {Status::kPacked, Status::kOutForDelivery, true, false, false},
    {Status::kOutForDelivery, Status::kDelivered, true, false, false},
    // A failed delivery: the bags ride back with the courier, and only once they are handed
    // back at the store is the order packed again (and so planned again).
    {Status::kOutForDelivery, Status::kReturning, true, false, false},
    {Status::kReturning, Status::kPacked, true, false, false},
    {Status::kPacked, Status::kReadyForPickup, false, true, false},
    {Status::kReadyForPickup, Status::kCollected, false, true, false},
};
}  // namespace

bool can_transition(Fulfillment f, Status from, Status to) {
  for (const auto& t : kTransitions) {
    if (t.from != from || t.to != to) continue;
    switch (f) {
      case Fulfillment::kDelivery:
        return t.delivery;
      case Fulfillment::kPickup:
        return t.pickup;
      case Fulfillment::kInStore:
        return t.in_store;
    }
  }
  return false;
}

catalog::Money Line::total() const {
  return catalog::line_amount(unit, quantity, unit_price_minor);
}

catalog::Money Line::authorized() const {
  if (!by_weight() || weighed) return total();
  return catalog::line_amount(unit, catalog::max_weighed_grams(quantity), unit_price_minor);
}

std::int64_t held_units(const Line& line) {
  const int half_kg = catalog::grams_per_unit(catalog::Unit::k500g);
  return line.by_weight() ? (line.quantity + half_kg - 1) / half_kg : line.quantity;
}

bool Order::estimated() const {
  return std::any_of(lines.begin(), lines.end(),
                     [](const Line& l) { return l.by_weight() && !l.weighed && l.quantity > 0; });
}

catalog::Money Order::total_minor() const {
  catalog::Money sum = 0;
  for (const auto& l : lines) sum += l.total();
  return sum;
}

}  // namespace freshlane::orders
