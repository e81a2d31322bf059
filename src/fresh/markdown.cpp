#include "freshlane/fresh/markdown.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace freshlane::fresh {

namespace {

std::string percent(int p) { return std::to_string(p) + "%"; }

}  // namespace

std::optional<std::string> validate(const MarkdownPolicy& p) {
  if (p.steps.size() > 12) return "a policy has at most 12 steps";
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const auto& s = p.steps[i];
    if (s.hours_before < 0 || s.hours_before > 24 * 30) {
      return "steps[" + std::to_string(i) + "].hours_before must be 0 to 720";
    }
    if (s.percent_off < 1 || s.percent_off > 90) {
      return "steps[" + std::to_string(i) + "].percent_off must be 1 to 90";
    }
    if (i > 0 && !(s.hours_before < p.steps[i - 1].hours_before &&
                   s.percent_off > p.steps[i - 1].percent_off)) {
      return "steps must go from the most hours before sell-by to the fewest, each deeper than "
             "the one before";
    }
  }
  if (p.floor_percent_of_cost < 0 || p.floor_percent_of_cost > 300) {
    return "floor_percent_of_cost must be 0 to 300";
  }
  if (p.floor_percent_of_regular < 10 || p.floor_percent_of_regular > 100) {
    return "floor_percent_of_regular must be 10 to 100";
  }
  return std::nullopt;
}

MarkdownPolicy default_policy() {
  // What the stock simulation proved for goods of a few days' life (sim/stock.cpp): 15% off on
  // the last day, half off in its last evening, down to 60% of cost rather than into the bin.
  // Steps further out cost more margin on units that would have sold anyway than they save.
  return MarkdownPolicy{{{16, 15}, {5, 50}}, 60, 30, false};
}

std::optional<std::chrono::hours> acts_within(const MarkdownPolicy& policy) {
  if (policy.one_day) return std::nullopt;
  std::chrono::hours out{0};  // no step: only written off once expired
  for (const auto& s : policy.steps) out = std::max(out, std::chrono::hours(s.hours_before));
  return out;
}

core::Timestamp end_of_local_day(core::Timestamp t, int utc_offset_minutes) {
  const auto offset = std::chrono::minutes(utc_offset_minutes);
  const auto local_day = std::chrono::floor<std::chrono::days>(t + offset);
  return std::chrono::time_point_cast<std::chrono::seconds>(local_day + std::chrono::days(1) -
                                                            offset);
}

LotPrice lot_price(const MarkdownPolicy& policy, const LotForPricing& lot, core::Timestamp now) {
  LotPrice out;
  out.sell_by = lot.expires_at;
  if (policy.one_day) {
    out.sell_by = std::min(out.sell_by, end_of_local_day(lot.received_at, lot.utc_offset_minutes));
  }
  const Money regular = std::max<Money>(lot.regular_minor, 0);
  const Money before = lot.current_minor ? std::min(*lot.current_minor, regular) : regular;

  // The deepest step the lot has reached by now.
  const auto left = out.sell_by - now;
  const MarkdownStep* reached = nullptr;
  for (const auto& s : policy.steps) {
    if (left <= std::chrono::hours(s.hours_before) &&
        (!reached || s.percent_off > reached->percent_off)) {
      reached = &s;
    }
  }
  Money wanted = regular;
  if (reached) {
    // Rounded to the nearest minor unit, halves down (the customer's side).
    wanted = (regular * (100 - reached->percent_off) * 2 + 99) / 200;
    Money floor = 0;
    if (lot.unit_cost_minor) {
      floor = (*lot.unit_cost_minor * policy.floor_percent_of_cost + 99) / 100;
    } else {
      floor = (regular * policy.floor_percent_of_regular + 99) / 100;
    }
    floor = std::min(floor, regular);
    if (wanted < floor) {
      wanted = floor;
      out.floored = true;
    }
  }
  out.price_minor = std::min(wanted, before);
  out.changed = out.price_minor != before;
  out.percent_off =
      regular > 0
          ? static_cast<int>(std::lround(100.0 * static_cast<double>(regular - out.price_minor) /
                                         static_cast<double>(regular)))
          : 0;
  if (now >= out.sell_by) {
    out.reason = policy.one_day && out.sell_by < lot.expires_at ? "past its day (one-day rule)"
                                                                : "past sell-by";
  } else if (out.price_minor < wanted) {
    out.reason = "kept at " + percent(out.percent_off) + " off (a price never rises)";
  } else if (!reached) {
    out.reason = "regular price";
  } else {
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(left).count();
    out.reason = std::to_string(hours) + " h to sell-by: " + percent(reached->percent_off) +
                 " off (the step from " + std::to_string(reached->hours_before) + " h)";
    if (out.floored) {
      out.reason +=
          lot.unit_cost_minor
              ? ", held at the floor (" + percent(policy.floor_percent_of_cost) + " of cost)"
              : ", held at the floor (" + percent(policy.floor_percent_of_regular) +
                    " of the regular price)";
    }
  }
  return out;
}

}  // namespace freshlane::fresh
