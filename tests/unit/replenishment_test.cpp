#include "freshlane/fresh/replenishment.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace freshlane::fresh;

namespace {

ReplenishmentInput steady(double per_day, int days = 14) {
  ReplenishmentInput in;
  in.daily_forecast.assign(static_cast<std::size_t>(days), per_day);
  in.service_level = 0.5;  // no safety unless a test asks for it
  return in;
}

}  // namespace

TEST(StockLeft, SellsEarliestExpiryFirstAndLosesWhatExpires) {
  // Listed later-expiring first: the answer still comes back in this order.
  const std::vector<StockBatch> on_hand{{20, 5}, {10, 1}};
  const std::vector<double> forecast(8, 3.0);
  EXPECT_EQ(stock_left_at(on_hand, forecast, 0), (std::vector<double>{20, 10}));
  EXPECT_EQ(stock_left_at(on_hand, forecast, 1), (std::vector<double>{20, 7}));
  // The short-dated batch sold 6 by the end of day 1; its other 4 are lost.
  EXPECT_EQ(stock_left_at(on_hand, forecast, 2), (std::vector<double>{20, 0}));
  EXPECT_EQ(stock_left_at(on_hand, forecast, 4), (std::vector<double>{14, 0}));
  // Day 6: the long batch's last day (5) is over with 8 unsold.
  EXPECT_EQ(stock_left_at(on_hand, forecast, 6), (std::vector<double>{0, 0}));
}

TEST(StockLeft, ABatchAlreadyPastCountsNothingAndEmptyIsEmpty) {
  const std::vector<StockBatch> on_hand{{5, -1}, {4, 0}};
  EXPECT_EQ(stock_left_at(on_hand, std::vector<double>{1}, 0), (std::vector<double>{0, 4}));
  EXPECT_TRUE(stock_left_at({}, std::vector<double>{1, 2}, 1).empty());
  // Past the forecast nothing sells, but expiry still happens.
  EXPECT_EQ(stock_left_at(on_hand, {}, 1), (std::vector<double>{0, 0}));
}

TEST(NormalQuantile, KnownValues) {
  EXPECT_NEAR(normal_quantile(0.5), 0, 1e-12);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963985, 1e-8);
  EXPECT_NEAR(normal_quantile(0.05), -1.644853627, 1e-8);
  EXPECT_NEAR(normal_quantile(0.999), 3.090232306, 1e-8);
  EXPECT_NEAR(normal_quantile(1e-6), -4.753424309, 1e-7);
  EXPECT_NEAR(normal_quantile(0.3) + normal_quantile(0.7), 0, 1e-12);
  EXPECT_TRUE(std::isinf(normal_quantile(0)));
  EXPECT_TRUE(std::isinf(normal_quantile(1)));
}

TEST(NewsvendorRatio, MarginOverMarginPlusLossClamped) {
  EXPECT_DOUBLE_EQ(newsvendor_ratio(10, 2, 1), 8.0 / 9.0);
  EXPECT_EQ(newsvendor_ratio(10, 6, 0), 0.5);   // 0.4: a thin margin still orders the mean
  EXPECT_EQ(newsvendor_ratio(10, 0, 0), 0.99);  // free goods: not quite certainty
  EXPECT_EQ(newsvendor_ratio(10, 5, 10), 0.5);  // salvage at the price: no answer, even bet
  EXPECT_EQ(newsvendor_ratio(10, 12, 0), 0.5);  // sold at a loss
}

TEST(SuggestOrder, UnitsThatExpireBeforeTheySellDoNotCount) {
  auto in = steady(5);
  in.on_hand = {{30, 2}};  // good through day 2
  in.lead_days = 1;
  in.cover_days = 3;
  in.shelf_life_days = 4;
  const auto s = suggest_order(in);
  EXPECT_DOUBLE_EQ(s.demand_until_arrival, 5);
  // 25 left at arrival; days 1 and 2 sell 10 of them, 15 expire.
  EXPECT_DOUBLE_EQ(s.usable_at_arrival, 10);
  EXPECT_DOUBLE_EQ(s.expiring_unsold, 15);
  EXPECT_DOUBLE_EQ(s.demand_over_cover, 15);
  EXPECT_EQ(s.order_units, 5);  // counting all 25 would order nothing
}

TEST(SuggestOrder, StockGoodBeyondTheCoverCountsInFull) {
  auto in = steady(5);
  in.on_hand = {{10, 1}, {40, 9}};
  in.lead_days = 1;
  in.cover_days = 2;
  const auto s = suggest_order(in);
  // Days 0 and 1 sell the short batch out: nothing lost; the long batch is whole.
  EXPECT_DOUBLE_EQ(s.usable_at_arrival, 45);
  EXPECT_DOUBLE_EQ(s.expiring_unsold, 0);
  EXPECT_EQ(s.order_units, 0);
  EXPECT_EQ(s.packs, 0);
}

TEST(SuggestOrder, RoundsUpToWholePacks) {
  auto in = steady(5.5);
  in.lead_days = 1;
  in.cover_days = 2;
  in.pack_size = 10;
  auto s = suggest_order(in);
  EXPECT_DOUBLE_EQ(s.target_units, 11);
  EXPECT_EQ(s.order_units, 20);
  EXPECT_EQ(s.packs, 2);

  in = steady(10);  // exactly two packs: not a third
  in.cover_days = 2;
  in.pack_size = 10;
  s = suggest_order(in);
  EXPECT_EQ(s.order_units, 20);
  EXPECT_EQ(s.packs, 2);

  in.pack_size = 0;  // treated as 1
  EXPECT_EQ(suggest_order(in).order_units, 20);
}

TEST(SuggestOrder, SafetyGrowsWithTheServiceLevel) {
  auto in = steady(10);
  in.daily_sd = 3;
  in.cover_days = 2;
  double last_safety = -1;
  int last_order = -1;
  for (double level : {0.5, 0.8, 0.9, 0.95, 0.99}) {
    in.service_level = level;
    const auto s = suggest_order(in);
    EXPECT_GT(s.safety_units, last_safety) << level;
    EXPECT_GE(s.order_units, last_order) << level;
    last_safety = s.safety_units;
    last_order = s.order_units;
  }
  in.service_level = 0.95;
  EXPECT_NEAR(suggest_order(in).safety_units, 1.644853627 * 3 * std::sqrt(2.0), 1e-6);
  EXPECT_EQ(suggest_order(in).order_units, 27);  // 20 + 6.98, up

  in.service_level = 2;  // clamped to 0.999
  EXPECT_NEAR(suggest_order(in).safety_units, 3.090232306 * 3 * std::sqrt(2.0), 1e-6);
  in.service_level = 0.1;  // clamped to 0.5: no safety, never negative
  EXPECT_EQ(suggest_order(in).safety_units, 0);
}

TEST(SuggestOrder, AShelfLifeShorterThanTheCoverCapsIt) {
  auto in = steady(4);
  in.daily_forecast = {4, 4, 5, 6, 7, 8, 9, 10};
  in.lead_days = 1;
  in.cover_days = 5;
  in.shelf_life_days = 2;
  const auto s = suggest_order(in);
  EXPECT_EQ(s.cover_days_used, 2);
  EXPECT_DOUBLE_EQ(s.demand_over_cover, 4 + 5);
  EXPECT_EQ(s.order_units, 9);
  EXPECT_EQ(s.reasoning[2],
            "cover 2 days (not the 5 days to the next delivery after: it keeps 2 "
            "days): 9.0 units");
}

TEST(SuggestOrder, ExplainsEachStepWithItsNumbers) {
  ReplenishmentInput in;
  in.daily_forecast = {11, 12.4, 12, 12.1, 13};
  in.daily_sd = 3.1;
  in.on_hand = {{10, 0}, {20, 3}};
  in.lead_days = 2;
  in.cover_days = 2;
  in.shelf_life_days = 3;
  in.pack_size = 10;
  in.service_level = 0.95;
  const auto s = suggest_order(in);
  // Day 0: 10 from the batch ending today, 1 from the other; day 1: 12.4. Left at arrival 6.6,
  // all sold on day 2.
  ASSERT_EQ(s.reasoning.size(), 6u);
  EXPECT_EQ(s.reasoning[0], "forecast until the delivery arrives (2 days): 23.4 units");
  EXPECT_EQ(s.reasoning[1], "on hand that will still sell after it arrives: 6.6 of 30.0");
  EXPECT_EQ(s.reasoning[2],
            "cover 2 days (the next delivery after; shelf life 3 days): 24.1 units");
  // The 6.6 left at arrival may be more or nothing, as the two days until then sell: the safety
  // covers part of their uncertainty too (between sqrt(2) and sqrt(4) days' worth).
  EXPECT_EQ(s.reasoning[3],
            "safety for a 95% service level: z 1.64 x sd 3.1 x sqrt(3.6) = 9.6 (2 days of cover, "
            "and the 2 days until it arrives as far as they change what is left then)");
  EXPECT_EQ(s.reasoning[4], "target 33.7 less 6.6 usable: 27.1 short");
  EXPECT_EQ(s.reasoning[5], "order 30 units = 3 packs of 10");
  EXPECT_EQ(s.order_units, 30);
}

TEST(SuggestOrder, SaysWhatExpiresFirst) {
  auto in = steady(5);
  in.on_hand = {{30, 2}};
  in.lead_days = 1;
  in.cover_days = 3;
  in.shelf_life_days = 4;
  EXPECT_EQ(suggest_order(in).reasoning[1],
            "on hand that will still sell after it arrives: 10.0 of 30.0 (15.0 expire first)");
}

TEST(SuggestOrder, NothingAbsurdCrashes) {
  ReplenishmentInput in;  // no forecast
  auto s = suggest_order(in);
  EXPECT_EQ(s.order_units, 0);
  ASSERT_EQ(s.reasoning.size(), 1u);
  EXPECT_EQ(s.reasoning[0], "no forecast for this item yet: order nothing");

  in = steady(3, 2);  // shorter than lead + cover: repeats its last day
  in.lead_days = 1;
  in.cover_days = 3;
  EXPECT_DOUBLE_EQ(suggest_order(in).demand_over_cover, 9);

  in.lead_days = -4;
  in.cover_days = -1;
  in.shelf_life_days = 0;
  in.daily_sd = std::nan("");
  in.service_level = std::nan("");
  in.on_hand = {{-5, 3}, {std::nan(""), 1}};
  s = suggest_order(in);
  EXPECT_EQ(s.cover_days_used, 1);
  EXPECT_EQ(s.order_units, 3);

  in.lead_days = 1'000'000'000;
  in.cover_days = 2'000'000'000;
  EXPECT_GE(suggest_order(in).order_units, 0);
}

TEST(SuggestOrder, UnitsOnOrderReduceTheOrder) {
  auto in = steady(5);
  in.lead_days = 2;
  in.cover_days = 2;
  in.shelf_life_days = 5;
  EXPECT_EQ(suggest_order(in).order_units, 10);
  // 12 arrive tomorrow, good through day 4: 5 sell on day 1, 7 are left for the cover.
  in.on_order = {{12, 1, 4}};
  const auto s = suggest_order(in);
  EXPECT_DOUBLE_EQ(s.on_order_units, 12);
  EXPECT_DOUBLE_EQ(s.usable_on_order, 7);
  EXPECT_DOUBLE_EQ(s.usable_at_arrival, 0);  // on hand only, as before
  EXPECT_EQ(s.order_units, 3);
  ASSERT_EQ(s.reasoning.size(), 7u);
  EXPECT_EQ(s.reasoning[1], "nothing on hand to count against the order");
  EXPECT_EQ(s.reasoning[2],
            "on order that will still sell after it arrives: 7.0 of 12.0 (12.0 on day 1)");
  EXPECT_EQ(s.reasoning[3],
            "cover 2 days (the next delivery after; shelf life 5 days): 10.0 units");
  EXPECT_EQ(s.reasoning[5], "target 10.0 less 0.0 usable on hand and 7.0 on order: 3.0 short");
  EXPECT_EQ(s.reasoning[6], "order 3 units");
}

TEST(SuggestOrder, UnitsOnOrderCountOnlyFromTheirArrivalDay) {
  auto in = steady(5);
  in.lead_days = 3;
  in.cover_days = 1;
  in.shelf_life_days = 5;
  // Nothing on hand: days 0 and 1 sell nothing (no stock, those sales are lost), day 2 sells 5 of
  // the 15 arriving then, and 10 are left for the cover. Counted as on hand from today, days 0-2
  // would have sold all 15.
  in.on_order = {{15, 2, 8}};
  auto s = suggest_order(in);
  EXPECT_DOUBLE_EQ(s.usable_on_order, 10);
  EXPECT_EQ(s.order_units, 0);
  in.on_hand = {{15, 8}};
  in.on_order.clear();
  EXPECT_EQ(suggest_order(in).order_units, 5);

  // Sold earliest expiry first among what is on the shelf that day: the delivery on order
  // expires first, yet the on-hand batch sells alone until it comes.
  in.on_hand = {{20, 9}};
  in.on_order = {{8, 2, 3}};
  s = suggest_order(in);
  // Days 0, 1: 10 from on hand; day 2: 5 of the arrival; day 3: its other 3, then 2 from on hand.
  EXPECT_DOUBLE_EQ(s.usable_on_order, 3);
  EXPECT_DOUBLE_EQ(s.usable_at_arrival, 10);
  EXPECT_DOUBLE_EQ(s.expiring_unsold, 0);

  // A delivery on order that arrives after the cover is for later days: not counted.
  in.on_hand.clear();
  in.on_order = {{50, 4, 9}};
  s = suggest_order(in);
  EXPECT_DOUBLE_EQ(s.on_order_units, 0);
  EXPECT_EQ(s.order_units, 5);
  EXPECT_EQ(s.reasoning[2],
            "on order that will still sell after it arrives: 0.0 of 0.0 (50.0 on day 4 after the "
            "cover, not counted)");
}

TEST(SuggestOrder, UnitsOnOrderThatExpireUnsoldDoNotCount) {
  auto in = steady(5);
  in.lead_days = 1;
  in.cover_days = 2;
  in.shelf_life_days = 3;
  in.on_order = {{20, 1, 1}, {3, 0, 5}};  // 20 good for one day only; 3 arrive today
  const auto s = suggest_order(in);
  // Day 0 sells the 3 arriving today (and loses 2 sales); day 1 sells 5 of the 20, 15 expire.
  EXPECT_DOUBLE_EQ(s.on_order_units, 23);
  EXPECT_DOUBLE_EQ(s.usable_on_order, 5);
  EXPECT_EQ(s.order_units, 5);
  EXPECT_EQ(s.reasoning[2],
            "on order that will still sell after it arrives: 5.0 of 23.0 (20.0 on day 1, 3.0 on "
            "day 0; 15.0 expire first)");
}

TEST(SuggestOrder, LeadTimeUncertaintyRaisesTheSafetyWhenStockIsLeftAtArrival) {
  auto in = steady(10);
  in.daily_sd = 3;
  in.lead_days = 2;
  in.cover_days = 1;
  in.shelf_life_days = 5;
  in.service_level = 0.95;
  const double z = 1.644853627;
  // Nothing on hand: what the two days until arrival sell changes nothing.
  auto s = suggest_order(in);
  EXPECT_NEAR(s.safety_units, z * 3, 1e-6);
  EXPECT_DOUBLE_EQ(s.safety_days, 1);
  EXPECT_EQ(s.reasoning[3], "safety for a 95% service level: z 1.64 x sd 3.0 x sqrt(1) = 4.9");

  // Plenty on hand that keeps: what is left at arrival is uncertain by sd x sqrt(2), so the
  // delivery's safety spans all three days.
  in.on_hand = {{40, 9}};
  s = suggest_order(in);
  EXPECT_DOUBLE_EQ(s.usable_at_arrival, 20);
  EXPECT_NEAR(s.safety_units, z * 3 * std::sqrt(3.0), 1e-3);
  EXPECT_NEAR(s.safety_days, 3, 1e-3);
  EXPECT_NEAR(s.target_units, 10 + z * 3 * std::sqrt(3.0), 1e-3);
  EXPECT_EQ(s.order_units, 0);  // 20 usable still cover it
  // 25 on hand: 5 left at arrival, or nothing if the two days run busy. The delivery must cover
  // D_cover - max(0, 25 - D_lead) at 95%: 12.35 (Monte Carlo, 1,000,000 draws). One day's
  // safety alone would order 10 + 4.9 - 5, up: 10.
  in.on_hand = {{25, 9}};
  s = suggest_order(in);
  EXPECT_NEAR(s.target_units - s.usable_at_arrival, 12.35, 0.05);
  EXPECT_EQ(s.order_units, 13);

  // The same holds for a delivery on order that arrives before it: 25 tomorrow, 15 left at
  // arrival. Day 0's sales are lost (nothing on the shelf), so only day 1's share of the two
  // days' uncertainty moves what is left: half of it.
  in.on_hand.clear();
  in.on_order = {{25, 1, 9}};
  s = suggest_order(in);
  EXPECT_DOUBLE_EQ(s.usable_on_order, 15);
  EXPECT_NEAR(s.safety_days, 1.5, 1e-3);
  EXPECT_GT(s.safety_units, z * 3 + 1);
}

TEST(SuggestOrder, TheSafetyMeetsTheServiceLevelOfTheShortfall) {
  // D_lead, D_cover ~ N(20, 18); 20 on hand keep: the delivery must cover
  // D_cover - max(0, 20 - D_lead) at 95%, i.e. 26.07 units (Monte Carlo, 600,000 draws).
  auto in = steady(10);
  in.daily_sd = 3;
  in.lead_days = 2;
  in.cover_days = 2;
  in.shelf_life_days = 5;
  in.service_level = 0.95;
  in.on_hand = {{20, 9}};
  const auto s = suggest_order(in);
  EXPECT_NEAR(s.target_units - s.usable_at_arrival, 26.07, 0.05);
  // Less than the textbook's 20 + z x 3 x sqrt(2) = 26.98 with nothing on hand: half the time
  // something is left.
  EXPECT_LT(s.safety_units, 1.644853627 * 3 * std::sqrt(2.0));
}
