#pragma once
// Planning a reservation: which lots give how much to each requested SKU, earliest-expiring
// first (FEFO). All or nothing: when any SKU is short, the plan lists every short SKU instead.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "freshlane/core/time.hpp"
#include "freshlane/orders/order.hpp"

namespace freshlane::orders {

struct LotStock {
  std::string lot_id;
  std::string sku;
  core::Timestamp expires_at;
  std::int64_t available = 0;                   // on hand minus reserved
  std::optional<catalog::Money> price_minor{};  // the lot's own markdown, if any
};

struct Shortage {
  std::string sku;
  std::int64_t requested = 0;
  std::int64_t available = 0;
  bool operator==(const Shortage&) const = default;
};

using Allocation = std::map<std::string, std::vector<LotTake>>;  // by SKU
using ReservationPlan = std::variant<Allocation, std::vector<Shortage>>;

// `requested`: quantity per SKU (lines naming the same SKU already summed). `lots`: any order.
// Lots expired at `now` and lots with nothing available are never used.
ReservationPlan plan_reservation(const std::map<std::string, std::int64_t>& requested,
                                 std::vector<LotStock> lots, core::Timestamp now);

}  // namespace freshlane::orders
