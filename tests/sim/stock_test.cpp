#include "freshlane/sim/stock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace freshlane;
using sim::StockPolicy;

namespace {

constexpr StockPolicy kPolicies[] = {StockPolicy::kOrderUpTo, StockPolicy::kOrderUpToLastDayOff,
                                     StockPolicy::kFreshlane};

// Small enough for a test, long enough that every shelf life turns over.
sim::StockSettings small(bool trace = false) {
  sim::StockSettings s;
  s.skus = 28;
  s.warmup_weeks = 1;
  s.weeks = 3;
  s.trace = trace;
  return s;
}

bool same(const sim::StockFigures& x, const sim::StockFigures& y) {
  return x.base_demand == y.base_demand && x.base_served == y.base_served &&
         x.bargain_units == y.bargain_units && x.sold_units == y.sold_units &&
         x.received_units == y.received_units && x.wasted_units == y.wasted_units &&
         x.sales_value == y.sales_value && x.cost_sold == y.cost_sold &&
         x.waste_at_regular == y.waste_at_regular && x.forecast_abs_error == y.forecast_abs_error &&
         x.naive_abs_error == y.naive_abs_error;
}

}  // namespace

TEST(StockSim, TheCatalogSpansEveryShelfLifeAtFreshFoodCosts) {
  const auto catalog = sim::stock_catalog(60, 3);
  std::set<int> lives;
  for (const auto& s : catalog) {
    lives.insert(s.shelf_life_days);
    EXPECT_GE(s.unit_cost_minor * 100, s.regular_minor * 55 - 100) << s.name;
    EXPECT_LE(s.unit_cost_minor * 100, s.regular_minor * 70 + 100) << s.name;
    EXPECT_GE(s.pack_size, 1);
    EXPECT_GT(s.daily_rate, 0);
  }
  EXPECT_EQ(lives.size(), 14u);
  EXPECT_EQ(*lives.begin(), 1);
  EXPECT_EQ(*lives.rbegin(), 14);
}

TEST(StockSim, TheSameSeedGivesTheSameFigures) {
  for (StockPolicy p : kPolicies) {
    const auto x = sim::run_stock(p, small(), 7);
    const auto y = sim::run_stock(p, small(), 7);
    EXPECT_TRUE(same(x.figures, y.figures)) << to_string(p);
    const auto other = sim::run_stock(p, small(), 8);
    EXPECT_FALSE(same(x.figures, other.figures)) << to_string(p);
  }
}

TEST(StockSim, EveryPolicysBooksBalancePerSku) {
  for (StockPolicy p : kPolicies) {
    const auto run = sim::run_stock(p, small(), 11);
    ASSERT_EQ(run.books.size(), 28u);
    std::int64_t wasted = 0;
    for (std::size_t i = 0; i < run.books.size(); ++i) {
      const auto& b = run.books[i];
      EXPECT_GT(b.received, 0) << to_string(p) << " sku " << i;
      EXPECT_GE(b.on_hand_at_end, 0);
      EXPECT_EQ(b.received, b.sold + b.wasted + b.on_hand_at_end) << to_string(p) << " sku " << i;
      wasted += run.per_sku[i].wasted_units;
    }
    EXPECT_EQ(wasted, run.figures.wasted_units);
    // Served never exceeds demanded; what sold is base served plus bargain hunters.
    EXPECT_LE(run.figures.base_served, run.figures.base_demand);
    EXPECT_EQ(run.figures.sold_units, run.figures.base_served + run.figures.bargain_units);
  }
}

TEST(StockSim, NoSaleFromAnExpiredLot) {
  for (StockPolicy p : kPolicies) {
    const auto run = sim::run_stock(p, small(true), 5);
    ASSERT_FALSE(run.lots.empty());
    const int last_day = (small().warmup_weeks + small().weeks) * 7 - 1;
    for (const auto& lot : run.lots) {
      if (lot.sold > 0) {
        EXPECT_GE(lot.last_sale_day, lot.arrival_day);
        EXPECT_LE(lot.last_sale_day, lot.last_day) << to_string(p) << " sku " << lot.sku;
      }
      EXPECT_LE(lot.sold + lot.wasted, lot.units);
      // A lot whose life ended inside the run left nothing behind: sold or written off.
      if (lot.last_day <= last_day) {
        EXPECT_EQ(lot.sold + lot.wasted, lot.units);
      }
    }
  }
}

TEST(StockSim, TheLastDayMarkdownWastesLessThanNone) {
  std::int64_t a = 0, b = 0;
  for (std::uint64_t seed : {1, 2}) {
    a += sim::run_stock(StockPolicy::kOrderUpTo, small(), seed).figures.waste_at_regular;
    b += sim::run_stock(StockPolicy::kOrderUpToLastDayOff, small(), seed).figures.waste_at_regular;
  }
  EXPECT_LT(b, a * 0.7) << "(a) " << a << ", (b) " << b;
}

TEST(StockSim, FreshlaneMarkdownsNeverRiseWithinALotNorFallBelowTheFloor) {
  const auto catalog = sim::stock_catalog(small().skus, 9);
  const auto run = sim::run_stock(StockPolicy::kFreshlane, small(true), 9);
  int marked_lots = 0;
  for (const auto& lot : run.lots) {
    const auto& sku = catalog[static_cast<std::size_t>(lot.sku)];
    ASSERT_FALSE(lot.prices.empty());
    EXPECT_LE(lot.prices.front(), sku.regular_minor);
    for (std::size_t i = 1; i < lot.prices.size(); ++i) {
      EXPECT_LE(lot.prices[i], lot.prices[i - 1]) << sku.name << " lot of day " << lot.arrival_day;
    }
    EXPECT_GE(lot.prices.back() * 100, sku.unit_cost_minor * 60);
    if (lot.prices.back() < sku.regular_minor) ++marked_lots;
  }
  EXPECT_GT(marked_lots, 10);  // the policy did act
}

TEST(StockSim, MarkdownsDrawInBuyersPerThePriceResponse) {
  EXPECT_DOUBLE_EQ(sim::price_lift(0, 2.5), 1);
  EXPECT_DOUBLE_EQ(sim::price_lift(50, 2), 4);
  EXPECT_NEAR(sim::price_lift(40, 2.5), 3.586, 1e-3);

  auto settings = small(true);
  settings.skus = 42;
  const auto catalog = sim::stock_catalog(settings.skus, 4);
  const auto run = sim::run_stock(StockPolicy::kOrderUpToLastDayOff, settings, 4);
  double expected = 0, drawn = 0, base_expected = 0, base_drawn = 0;
  int marked = 0;
  for (const auto& part : run.parts) {
    base_expected += part.base_mean;
    base_drawn += static_cast<double>(part.base_demand);
    if (part.percent_off == 0) {
      EXPECT_EQ(part.bargain_demand, 0);
      continue;
    }
    ++marked;
    const double lift =
        sim::price_lift(part.percent_off, catalog[static_cast<std::size_t>(part.sku)].elasticity);
    expected += part.base_mean * lift;
    drawn += static_cast<double>(part.base_demand + part.bargain_demand);
  }
  ASSERT_GT(marked, 100);
  EXPECT_NEAR(drawn / expected, 1, 0.08) << drawn << " drawn, " << expected << " expected";
  EXPECT_NEAR(base_drawn / base_expected, 1, 0.03);
}

TEST(StockSim, AShortComparisonKeepsShelvesFullWithLittleWaste) {
  sim::StockComparisonOptions o;
  o.weeks = 3;
  o.skus = 21;
  o.seeds = 1;
  o.calibration_seeds = 1;
  const auto c = sim::compare_stock_policies(o);
  for (const auto* f : {&c.a, &c.b, &c.c}) EXPECT_GT(f->availability(), 0.95);
  EXPECT_LT(c.c.waste_percent(), 3.5);
  EXPECT_LT(c.c.waste_at_regular, c.b.waste_at_regular);
  EXPECT_LT(c.c.wape(), c.c.naive_wape());
  ASSERT_EQ(c.targets.size(), 5u);
  const std::string table = sim::format_stock_table(c);
  EXPECT_NE(table.find("(c) freshlane"), std::string::npos);
  EXPECT_NE(table.find("PASS"), std::string::npos);
}
