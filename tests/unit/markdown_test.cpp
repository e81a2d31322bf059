#include "freshlane/fresh/markdown.hpp"

#include <gtest/gtest.h>

using namespace freshlane;
using fresh::LotForPricing;
using fresh::MarkdownPolicy;
using std::chrono::hours;

namespace {

core::Timestamp at(const char* text) { return *core::parse_rfc3339(text); }

LotForPricing crab() {
  LotForPricing lot;
  lot.regular_minor = 10000;
  lot.unit_cost_minor = 6000;
  lot.received_at = at("2026-11-20T01:00:00Z");
  lot.expires_at = at("2026-11-24T04:00:00Z");
  return lot;
}

const MarkdownPolicy kSteps{{{72, 10}, {48, 20}, {24, 30}, {6, 50}}, 100, 30, false};

}  // namespace

TEST(Markdown, StepsDeepenAsTheSellByNearsAndNeverRise) {
  auto lot = crab();
  fresh::Money last = lot.regular_minor;
  for (auto now = lot.received_at; now < lot.expires_at; now += hours(1)) {
    const auto p = fresh::lot_price(kSteps, lot, now);
    EXPECT_LE(p.price_minor, last) << core::format_rfc3339(now);
    if (p.changed) lot.current_minor = p.price_minor;
    last = p.price_minor;
  }
  EXPECT_EQ(fresh::lot_price(kSteps, crab(), lot.expires_at - hours(80)).price_minor, 10000);
  EXPECT_EQ(fresh::lot_price(kSteps, crab(), lot.expires_at - hours(72)).price_minor, 9000);
  EXPECT_EQ(fresh::lot_price(kSteps, crab(), lot.expires_at - hours(30)).price_minor, 8000);
  EXPECT_EQ(fresh::lot_price(kSteps, crab(), lot.expires_at - hours(24)).price_minor, 7000);
}

TEST(Markdown, TheFloorHoldsAtCost) {
  const auto p = fresh::lot_price(kSteps, crab(), crab().expires_at - hours(2));
  EXPECT_EQ(p.price_minor, 6000);  // 50% off would be 5000, below the 6000 it cost
  EXPECT_TRUE(p.floored);
  EXPECT_NE(p.reason.find("floor"), std::string::npos) << p.reason;

  auto below_cost = kSteps;
  below_cost.floor_percent_of_cost = 80;  // sell at a loss rather than throw away
  EXPECT_EQ(fresh::lot_price(below_cost, crab(), crab().expires_at - hours(2)).price_minor, 5000);

  auto no_cost = crab();
  no_cost.unit_cost_minor.reset();
  auto deep = kSteps;
  deep.steps.push_back({1, 90});
  EXPECT_EQ(fresh::lot_price(deep, no_cost, no_cost.expires_at - hours(1)).price_minor, 3000);
}

TEST(Markdown, APriceAlreadyLowerIsKept) {
  auto lot = crab();
  lot.current_minor = 6500;  // a manager's override, deeper than the first step
  const auto p = fresh::lot_price(kSteps, lot, lot.expires_at - hours(60));
  EXPECT_EQ(p.price_minor, 6500);
  EXPECT_FALSE(p.changed);
  // The list price lowered by hand beneath the lot's: the lower one is charged.
  lot.regular_minor = 6000;
  EXPECT_EQ(fresh::lot_price(kSteps, lot, lot.expires_at - hours(60)).price_minor, 6000);
}

TEST(Markdown, OneDayGoodsAreSoldOnTheirDayOnly) {
  auto policy = kSteps;
  policy.one_day = true;
  auto lot = crab();
  lot.received_at = at("2026-11-20T00:30:00Z");                              // 08:30 in Shanghai
  const auto p = fresh::lot_price(policy, lot, at("2026-11-20T11:00:00Z"));  // 19:00 local
  EXPECT_EQ(p.sell_by, at("2026-11-20T16:00:00Z"));                          // local midnight
  EXPECT_EQ(p.price_minor, 6000);  // 5 h left: the 50% step, floored at cost
  EXPECT_EQ(fresh::lot_price(policy, lot, at("2026-11-20T16:00:00Z")).reason,
            "past its day (one-day rule)");
  EXPECT_EQ(fresh::end_of_local_day(at("2026-11-20T15:59:59Z"), 480), at("2026-11-20T16:00:00Z"));
  EXPECT_EQ(fresh::end_of_local_day(at("2026-11-20T16:00:00Z"), 480), at("2026-11-21T16:00:00Z"));
}

// A lot expiring beyond every step keeps its price: the round need not read it. A one-day
// policy goes by the day of receiving, whatever the expiry says.
TEST(Markdown, APolicyActsWithinItsDeepestStep) {
  EXPECT_EQ(fresh::acts_within(kSteps), std::chrono::hours(kSteps.steps.front().hours_before));
  EXPECT_EQ(fresh::acts_within(fresh::default_policy()), std::chrono::hours(16));
  EXPECT_EQ(fresh::acts_within(fresh::MarkdownPolicy{}), std::chrono::hours(0));
  auto one_day = kSteps;
  one_day.one_day = true;
  EXPECT_EQ(fresh::acts_within(one_day), std::nullopt);
  // Just beyond the deepest step: the regular price, nothing to do.
  const auto lot = crab();
  const auto beyond = lot.expires_at - *fresh::acts_within(kSteps) - std::chrono::seconds(1);
  EXPECT_FALSE(fresh::lot_price(kSteps, lot, beyond).changed);
  EXPECT_TRUE(fresh::lot_price(kSteps, lot, beyond + std::chrono::seconds(1)).changed);
}

TEST(Markdown, PoliciesAreValidated) {
  EXPECT_FALSE(fresh::validate(kSteps));
  EXPECT_FALSE(fresh::validate(fresh::default_policy()));
  auto rising = kSteps;
  rising.steps[1].percent_off = 5;
  EXPECT_TRUE(fresh::validate(rising));
  auto unordered = kSteps;
  std::swap(unordered.steps[0], unordered.steps[1]);
  EXPECT_TRUE(fresh::validate(unordered));
  auto too_deep = kSteps;
  too_deep.steps.back().percent_off = 95;
  EXPECT_TRUE(fresh::validate(too_deep));
}
