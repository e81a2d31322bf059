#pragma once
// How many units to order for the next delivery: a newsvendor quantity over the demand the
// delivery must cover, less the stock (on hand, and on order before it) that will still be
// sellable when it arrives. Pure.
//
// The model. Days run from today (day 0); the delivery ordered today arrives at the start of day
// lead and must carry the shelf through the cover (days [lead, lead + cover)). Stock on hand
// and deliveries already on order are sold earliest expiry first against the forecast, a
// delivery on order only from its arrival day; sales a shelf cannot serve are lost, not owed
// (a shelf empty before the delivery comes does not make it bring more). What is left of a
// batch past its last day is thrown away. usable = what of that stock is there on day lead (or
// arrives inside the cover) and sells before it expires.
//
// Safety over the whole protection period. Each day's demand is the forecast plus an error of
// sd (independent days). The delivery must bring Q so that
//   P(D_cover <= Q + usable(D_lead)) = service level,
// where D_cover ~ N(demand_over_cover, sd^2 x cover) is the demand over the cover and
// usable(D_lead) is what the stock above leaves for it when the days until arrival sell
// D_lead ~ N(demand_until_arrival, sd^2 x lead) (spread over those days evenly, each day at
// least 0; a day the shelf is empty loses its share of the uncertainty with its sales, where
// independent days would keep a little more). Q is found numerically (usable on a grid of D_lead,
// the mixture's quantile by bisection). safety_units = Q - (demand_over_cover - usable_at_arrival -
// usable_on_order), the part of Q beyond the expected-demand shortfall, and never below 0. Its two
// limits:
//   nothing can be left at arrival (or lead 0)   safety = z x sd x sqrt(cover)
//   stock surely left at arrival, none expiring  safety = z x sd x sqrt(lead + cover)
// with z the service level's normal quantile; in between, stock that may or may not run out
// before the delivery comes gives a safety anywhere from a little below the first to the second.
// safety_units = z x sd x sqrt(safety_days): safety_days are the effective days of uncertainty.
// What expires inside the cover, and the timing of sales within the cover, are taken at the
// forecast.
#include <span>
#include <string>
#include <vector>

namespace freshlane::fresh {

// Units on hand that can be sold through the end of day `last_day` (0: today only).
struct StockBatch {
  double units = 0;
  int last_day = 0;
};

// Units already ordered (in transit, or ordered for a later day): on the shelf from the start of
// day `arrival_day` (1: tomorrow), sellable through the end of day `last_day`. A delivery
// arriving on day lead + cover or later (cover as used: capped by the shelf life) is for demand
// beyond the cover and is not counted; one with arrival_day 0 or earlier sells from today like
// stock on hand (and is still reported as on order).
struct Arrival {
  double units = 0;
  int arrival_day = 1;
  int last_day = 1;
};

struct ReplenishmentInput {
  // Expected demand per day from today (day 0), at least lead_days + cover_days long.
  std::vector<double> daily_forecast;
  double daily_sd = 0;  // one day's forecast error (backtest residual sd)
  std::vector<StockBatch> on_hand;
  int lead_days = 1;              // an order placed today arrives at the start of day lead_days
  int cover_days = 1;             // until the delivery after it arrives
  int shelf_life_days = 3;        // of the incoming stock: sellable on days [arrival, arrival+life)
  int pack_size = 1;              // orders are whole packs
  double service_level = 0.95;    // the newsvendor's quantile, in (0, 1)
  std::vector<Arrival> on_order;  // ordered before and not yet received
};

struct Suggestion {
  int order_units = 0;  // whole packs' worth
  int packs = 0;
  double demand_until_arrival = 0;  // forecast days [0, lead_days)
  double usable_at_arrival = 0;     // on hand that is left at arrival and sells before it expires
  double expiring_unsold = 0;       // on hand expected to expire before it can sell
  double cover_days_used = 0;       // cover_days, capped by the incoming shelf life
  double demand_over_cover = 0;     // expected demand over the covered days
  double safety_units = 0;          // over lead and cover: see the model above
  double target_units = 0;          // demand_over_cover + safety_units
  std::vector<std::string> reasoning;  // one sentence per step, in order, with its number
  // On order: units arriving before the cover ends (those counted), and what of them sells
  // before it expires (counted against the order beside usable_at_arrival).
  double on_order_units = 0;
  double usable_on_order = 0;
  double safety_days = 0;  // safety_units = z x sd x sqrt(safety_days); 0 without safety
};

// Age-aware stock: on hand is sold earliest-expiry first against the forecast day by day;
// what is left of a batch past its last day is lost. Returns, per batch in input order, the units
// expected left at the start of day `day` (0 for batches already past).
std::vector<double> stock_left_at(std::span<const StockBatch> on_hand,
                                  std::span<const double> daily_forecast, int day);

// The normal distribution's quantile (|error| < 1e-6 on (0, 1)).
double normal_quantile(double p);

// The critical ratio of a perishable: (price - cost) / (price - salvage), clamped to [0.5, 0.99].
double newsvendor_ratio(double price, double unit_cost, double salvage);

// The steps, in `reasoning`: the forecast until arrival; on hand; on order (only when
// something is on order); the cover; the safety; the shortfall (or "order nothing"); the order.
Suggestion suggest_order(const ReplenishmentInput& in);

}  // namespace freshlane::fresh
