#pragma once
// Fresh stock over weeks on a virtual calendar: does freshlane's forecast, order suggestion and
// markdown policy waste less and earn more than a store's ordinary practice, at the same
// availability? Every policy meets the very same customers (common random numbers per seed and
// SKU), so the difference between them is the policy's alone.
//
// The store. A catalog of `skus` fresh SKUs drawn per seed from shop kinds (leafy greens and
// Daily Fresh milk at 1 day, tofu and fish at 2-3, chilled meat and berries at 3-5, noodles,
// tomatoes and fruit at 5-10, roots, yogurt, eggs and cheese at 8-14): shelf lives cycle
// through 1..14 days; regular prices 2.90-89.00 CNY (minor units, fen), unit cost 55-70% of price;
// a quarter of the SKUs with 3+ days of life are slow movers (0.3-3 a day); the DC ships packs no
// larger than a quarter of what the SKU sells over its shelf life; lead time 1 day (2 days for a
// fifth of the SKUs living 7+ days).
//
// A day (local time, UTC+8; day 0 is a Monday). 06:00 the delivery ordered `lead` days earlier
// arrives as one lot, sellable through the end (24:00) of day arrival + life - 1; then the
// morning order is placed (history through yesterday) for the delivery `lead` days ahead. The
// store is open 08:00-22:00 in four parts starting 08:00, 12:00, 16:00 and 19:00 with 20%, 25%,
// 30% and 25% of the day's customers. At the start of each part the policy prices every lot.
// Customers then buy: those who would buy at the regular price first, earliest expiry first
// (the store's rule), paying each lot's price; then the bargain hunters a markdown draws in,
// from marked-down lots only. At 22:00 lots on their last day are written off.
//
// Demand. Base demand (what customers would buy at the regular price) on day t in part s is
// Poisson(rate x weekday factor x level_t x noise_t x share_s): weekday factors Mon..Sun 0.90,
// 0.88, 0.93, 0.97, 1.07, 1.18, 1.12 each jittered per SKU; level_t a slow AR(1) drift of the
// log level (phi 0.95, step sd 0.03: the trend); noise_t gamma with mean 1 and a per-SKU CV of
// 0.10-0.25 (demand is gamma-Poisson). A markdown of d% on the deepest-marked lot on the shelf
// draws in Poisson(base mean x ((1 - d)^-e - 1)) more buyers (the price response; elasticity e
// per SKU, 1.5-3.0), who take only marked-down units. Base counts, noise and the bargain
// hunters' uniforms are drawn before any policy runs, so all policies face the same customers
// and a deeper markdown draws in at least as many.
//
// What the store knows. Each policy forecasts from the store's own records, never from the
// simulated demand: sales per day, with markdown sales divided by the lift the store assumes
// (elasticity 2.0, not the SKU's true one) and a sold-out day scaled up by the share of the day
// the shelf was empty (known from the last sale's time). Four weeks of records exist before day
// 0; then two weeks of warm-up; then the measured weeks.
//
// Policies.
//  (a) Order-up-to, no markdown, as a store manager works it out each morning: the delivery
//      must bring the stock up to the forecast of its own day + z x sd x sqrt(lead + 1), less
//      what will be left of on hand (and of deliveries already ordered) when it arrives: stock
//      good on that day minus whatever of the forecast until then the stock expiring before it
//      cannot cover. Whole packs, rounded up. The forecast is the mean of the same weekday
//      over the last four weeks; sd is that forecast's own one-day error over the last four
//      weeks. Beyond "what expires before the delivery is gone", the stock's age is ignored.
//      (Counting all on-hand stock, as a textbook order-up-to level does, was tried and is a
//      strawman here: a 1-day good's stock, dead by tonight, cuts tomorrow's order, and no z
//      reaches 97% availability.)
//  (b) (a) plus 40% off each lot's last day, all day (a 1-day good's only day: from 19:00).
//  (c) freshlane: fresh::forecast_series on the records (method chosen by backtest),
//      fresh::suggest_order (age-aware on-hand, deliveries already ordered as on order from
//      their arrival day (lead 2), lead, one day's cover, shelf life, packs, the forecast's
//      backtest residual sd, safety over lead and cover) at a service level, and
//      fresh::lot_price under `freshlane_markdown(life)` at each part of the day.
// Safety factors are not hand-picked: compare_stock_policies sets z for (a) and (b) and the
// service level for (c) each to the smallest value on its grid that reaches the availability
// target + 0.5 point on calibration seeds that are not reported.
//
// Figures (the measured weeks only; pooled over SKUs and seeds).
//  availability     base units served / base units demanded (stock-outs lose base demand).
//  sales value      revenue: what customers paid, markdowns included (net fresh sales).
//  waste units      units written off; waste value at the regular price and at cost.
//  waste %          waste value at the regular price / sales value.
//  gross margin     sales value - cost of units sold - cost of units written off, i.e. the cost
//                   of everything received adjusted by the change of stock on hand over the
//                   measured weeks (a policy is not charged for stock it leaves on the shelf).
//  forecast WAPE    for (c) the forecast made each morning for the day its order arrives
//                   (lead days ahead), against that day's base demand: sum |a - f| / sum a,
//                   beside fresh::forecast(kSeasonalNaive) from the same records.
//
// Deterministic: the same options give the same figures (own PRNG and samplers, no std::
// distributions, whose output differs between standard libraries). Pure: no I/O.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshlane/fresh/markdown.hpp"

namespace freshlane::sim {

using Money = std::int64_t;  // minor units (fen)

struct StockSku {
  std::string name;  // "yogurt 07"
  int shelf_life_days = 1;
  int lead_days = 1;
  int pack_size = 1;
  Money regular_minor = 0;
  Money unit_cost_minor = 0;
  double daily_rate = 0;               // base demand on an average day
  std::vector<double> weekday_factor;  // Mon..Sun, mean 1
  double noise_cv = 0.15;
  double elasticity = 2;
};

// The seed's catalog; SKU i has a shelf life of 1 + i % 14 days.
std::vector<StockSku> stock_catalog(int skus, std::uint64_t seed);

enum class StockPolicy {
  kOrderUpTo,            // (a)
  kOrderUpToLastDayOff,  // (b)
  kFreshlane,            // (c)
};
std::string_view to_string(StockPolicy p);  // "(a) order-up-to, no markdown", ...

// The markdown policy (c) runs for a shelf life: 10% off from a fifth of the life before the
// end of the sell-by day (lives of 4+ days), 15% from 16 h before (the last day's opening; lives
// of 2+ days), 50% from 5 h before (19:00 on the last day); floor 60% of cost (a loss beats a
// write-off); 1-day goods under the one-day rule.
fresh::MarkdownPolicy freshlane_markdown(int shelf_life_days);

// Multiplier on demand when the deepest markdown on the shelf is `percent_off`:
// (1 - percent_off/100)^-elasticity.
double price_lift(double percent_off, double elasticity);

struct StockSettings {
  int skus = 60;
  int history_weeks = 4;             // records before day 0
  int warmup_weeks = 2;              // simulated, not measured
  int weeks = 8;                     // measured
  double order_up_to_z = 1.5;        // (a), (b)
  double service_level = 0.9;        // (c)
  double last_day_percent_off = 40;  // (b)
  double assumed_elasticity = 2;     // what the store divides markdown sales by
  bool trace = false;                // keep lots and parts of days in StockRun (tests)
};

struct StockFigures {
  std::int64_t base_demand = 0;  // units customers wanted at the regular price
  std::int64_t base_served = 0;
  std::int64_t bargain_units = 0;  // sold to buyers the markdowns drew in
  std::int64_t sold_units = 0;
  std::int64_t marked_down_units = 0;  // sold below the regular price
  std::int64_t received_units = 0;
  std::int64_t wasted_units = 0;
  Money sales_value = 0;       // revenue
  Money sales_at_regular = 0;  // the same units at the regular price
  Money cost_sold = 0;
  Money waste_at_regular = 0;
  Money waste_at_cost = 0;
  double forecast_abs_error = 0;  // (c) only
  double naive_abs_error = 0;
  double forecast_actual = 0;

  double availability() const;
  double waste_percent() const;  // of sales value, 0..100
  Money gross_margin() const;
  double wape() const;
  double naive_wape() const;
  StockFigures& operator+=(const StockFigures& o);
};

// Over the whole run (records before day 0 excluded): received = sold + wasted + on hand.
struct SkuBooks {
  std::int64_t received = 0, sold = 0, wasted = 0, on_hand_at_end = 0;
};

struct LotTrace {
  int sku = 0;
  int arrival_day = 0, last_day = 0;
  std::int64_t units = 0, sold = 0, wasted = 0;
  int last_sale_day = -1;
  std::vector<Money> prices;  // at each part of each day it was on the shelf, in order
};

struct PartTrace {
  int sku = 0, day = 0, part = 0;
  int percent_off = 0;  // deepest on the shelf
  double base_mean = 0;
  std::int64_t base_demand = 0, bargain_demand = 0;
};

struct StockRun {
  StockFigures figures;
  std::vector<StockFigures> per_sku;
  std::vector<SkuBooks> books;
  std::vector<LotTrace> lots;    // with settings.trace
  std::vector<PartTrace> parts;  // with settings.trace
};

// One policy on one seed's catalog and customers.
StockRun run_stock(StockPolicy policy, const StockSettings& settings, std::uint64_t seed);

struct StockComparisonOptions {
  int weeks = 8;
  int skus = 60;
  int seeds = 5;  // seeds first_seed, first_seed + 1, ...
  std::uint64_t first_seed = 1;
  int calibration_seeds = 2;  // from calibration_first_seed; never reported
  std::uint64_t calibration_first_seed = 1001;
  double availability_target = 0.97;
};

struct TargetCheck {
  std::string name;      // "(c) waste <= 2% of fresh sales value"
  std::string measured;  // "1.62%"
  bool holds = false;
};

struct StockComparison {
  StockSettings settings;  // as calibrated
  double z_a = 0, z_b = 0, service_level_c = 0;
  StockFigures a, b, c;
  std::vector<TargetCheck> targets;
  nlohmann::json report;
};

StockComparison compare_stock_policies(const StockComparisonOptions& options);

// The comparison as the command prints it: one row per policy, then each target.
std::string format_stock_table(const StockComparison& c);

}  // namespace freshlane::sim
