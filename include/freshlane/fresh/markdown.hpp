#pragma once
// Markdowns by policy: how the price of one lot falls as its sell-by time nears. Small steps
// early rather than one cliff on the last day; never below a floor set from the lot's unit cost;
// never up again. Pure: time is a parameter.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "freshlane/core/time.hpp"

namespace freshlane::fresh {

using Money = std::int64_t;  // minor units

// From `hours_before` hours before the lot's sell-by time on, the price is at least
// `percent_off` below the regular price.
struct MarkdownStep {
  int hours_before = 0;
  int percent_off = 0;
  bool operator==(const MarkdownStep&) const = default;
};

struct MarkdownPolicy {
  // Steps by hours_before, descending; percent_off strictly rises with each (validate()).
  std::vector<MarkdownStep> steps;
  // The lowest price a step may set, as a percentage of the lot's unit cost (100: at cost; 60:
  // sell at 40% below cost rather than throw it away). Lots with no known cost: of the regular
  // price instead, percent_off capped at (100 - floor_percent_of_regular).
  int floor_percent_of_cost = 100;
  int floor_percent_of_regular = 30;
  // Hema's "Daily Fresh": sold only on the day it was received (the store's local day); at
  // the end of that day it is written off whatever its expiry says.
  bool one_day = false;
  bool operator==(const MarkdownPolicy&) const = default;
};

// How long before its expiry a lot under `policy` can first need the policy to act (its
// deepest step's hours: a lot expiring later keeps its price and stays on sale), or nullopt
// when that does not depend on the expiry alone (one_day: the day it was received counts).
std::optional<std::chrono::hours> acts_within(const MarkdownPolicy& policy);

// Empty when the policy is usable, else what is wrong with it, for a 422's detail.
std::optional<std::string> validate(const MarkdownPolicy& p);

// The policy a store runs when none is set for a product's category or storage class.
MarkdownPolicy default_policy();

struct LotForPricing {
  Money regular_minor = 0;               // the listing's price now (a hand markdown included)
  std::optional<Money> unit_cost_minor;  // from receiving
  std::optional<Money> current_minor;    // the price the lot carries now, if it was ever set
  core::Timestamp received_at;
  core::Timestamp expires_at;
  int utc_offset_minutes = 480;  // the store's, for the one-day rule
};

struct LotPrice {
  Money price_minor = 0;
  int percent_off = 0;      // of the regular price, as charged
  core::Timestamp sell_by;  // expiry, or the end of the receiving day under the one-day rule
  bool floored = false;     // the step wanted lower; the floor held it
  bool changed = false;     // differs from current_minor (or from regular when none)
  std::string reason;       // "3 h before sell-by: 30% off", "floor: 100% of cost"
};

// The lot's price at `now` under `policy`: the deepest step reached, not below the floor, and
// never above the price the lot already carries.
LotPrice lot_price(const MarkdownPolicy& policy, const LotForPricing& lot, core::Timestamp now);

// The one-day rule's sell-by: the end (24:00 local) of the day `received_at` falls on.
core::Timestamp end_of_local_day(core::Timestamp t, int utc_offset_minutes);

}  // namespace freshlane::fresh
