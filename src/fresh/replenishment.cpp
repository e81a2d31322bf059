#include "freshlane/fresh/replenishment.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>

namespace freshlane::fresh {

namespace {

double at_least_zero(double x) { return std::isfinite(x) && x > 0 ? x : 0; }

// A batch on the shelf from the start of day `first_day` (0: on hand), sellable through the end
// of day `last_day`.
struct Batch {
  double units = 0;
  int first_day = 0;
  int last_day = 0;
};

// Sells batches earliest-expiry first against the demand, each from its first day; `left` and
// `lost` are per batch in input order. reset() starts again from day 0 with other demand.
class Shelf {
 public:
  explicit Shelf(std::vector<Batch> batches)
      : batches_(std::move(batches)),
        fefo_(batches_.size()),
        left_(batches_.size()),
        lost_(batches_.size()) {
    std::iota(fefo_.begin(), fefo_.end(), std::size_t{0});
    std::stable_sort(fefo_.begin(), fefo_.end(), [&](std::size_t a, std::size_t b) {
      return batches_[a].last_day < batches_[b].last_day;
    });
  }

  void reset(std::span<const double> demand) {
    demand_ = demand;
    day_ = 0;
    for (std::size_t i = 0; i < batches_.size(); ++i) {
      left_[i] = at_least_zero(batches_[i].units);
      lost_[i] = 0;
    }
  }

  // Days [day_, until) pass; days past the demand sell nothing. Returns the units lost: those
  // left on a batch once its last day is over, through the start of day `until`.
  double sell_until(int until) {
    double lost = throw_out_expired();
    while (day_ < until) {
      double wanted = day_ >= 0 && static_cast<std::size_t>(day_) < demand_.size()
                          ? at_least_zero(demand_[static_cast<std::size_t>(day_)])
                          : 0;
      for (std::size_t i : fefo_) {
        if (wanted <= 0) break;
        if (batches_[i].first_day > day_) continue;  // not here yet
        const double sold = std::min(wanted, left_[i]);
        left_[i] -= sold;
        wanted -= sold;
      }
      ++day_;
      lost += throw_out_expired();
    }
    return lost;
  }

  const std::vector<Batch>& batches() const { return batches_; }
  const std::vector<double>& left() const { return left_; }
  const std::vector<double>& lost() const { return lost_; }

 private:
  double throw_out_expired() {
    double lost = 0;
    for (std::size_t i = 0; i < batches_.size(); ++i) {
      if (batches_[i].last_day < day_ && left_[i] > 0) {
        lost += left_[i];
        lost_[i] += left_[i];
        left_[i] = 0;
      }
    }
    return lost;
  }

  std::vector<Batch> batches_;
  std::span<const double> demand_;
  std::vector<std::size_t> fefo_;  // batch indices, earliest last day first
  std::vector<double> left_, lost_;
  int day_ = 0;
};

// Per batch: what is left at the start of day `lead` and still sells in [lead, lead + cover)
// (or, for a batch arriving inside the cover, what of it sells there), and what is lost through
// the start of day lead + cover.
struct Flow {
  std::vector<double> usable, lost;
  double total_usable = 0;
};

Flow run_flow(Shelf& shelf, std::span<const double> demand, int lead, int cover) {
  shelf.reset(demand);
  shelf.sell_until(lead);
  Flow f;
  f.usable = shelf.left();
  const std::vector<double> lost_by_arrival = shelf.lost();
  shelf.sell_until(lead + cover);
  f.lost = shelf.lost();
  for (std::size_t i = 0; i < f.usable.size(); ++i) {
    f.usable[i] -= f.lost[i] - lost_by_arrival[i];
    f.total_usable += f.usable[i];
  }
  return f;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

std::string fixed(double x, int decimals = 1) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, decimals);
  std::string s(buf, r.ptr);
  if (s == "-0.0" || s == "-0") s.erase(0, 1);
  return s;
}

std::string days(int n) { return std::to_string(n) + (n == 1 ? " day" : " days"); }

// 0.95 as "95", 0.975 as "97.5".
std::string percent(double p) {
  std::string s = fixed(p * 100, 1);
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

// The forecast over `needed` days: a short one goes on repeating its last week (or its last
// day), so a caller's short forecast orders something sensible rather than nothing.
std::vector<double> demand_for(const std::vector<double>& forecast, std::size_t needed) {
  std::vector<double> demand(std::max(forecast.size(), needed));
  for (std::size_t d = 0; d < demand.size(); ++d) {
    if (d < forecast.size()) {
      demand[d] = at_least_zero(forecast[d]);
    } else {
      demand[d] = forecast.size() >= 7 ? demand[d - 7] : demand[d - 1];
    }
  }
  return demand;
}

}  // namespace

std::vector<double> stock_left_at(std::span<const StockBatch> on_hand,
                                  std::span<const double> daily_forecast, int day) {
  std::vector<Batch> batches;
  for (const auto& b : on_hand) batches.push_back({b.units, 0, b.last_day});
  Shelf shelf(std::move(batches));
  shelf.reset(daily_forecast);
  shelf.sell_until(day);
  return shelf.left();
}

// Acklam's rational approximation (relative error 1.15e-9), then one Halley step on erfc.
double normal_quantile(double p) {
  if (std::isnan(p)) return p;
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * std::acos(-1.0)) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double newsvendor_ratio(double price, double unit_cost, double salvage) {
  const double ratio = (price - unit_cost) / (price - salvage);
  // Also a price at or below salvage, or anything not a number: the even bet.
  if (!(price - salvage > 0) || std::isnan(ratio)) return 0.5;
  return std::clamp(ratio, 0.5, 0.99);
}

Suggestion suggest_order(const ReplenishmentInput& in) {
  Suggestion s;
  if (in.daily_forecast.empty()) {
    s.reasoning.push_back("no forecast for this item yet: order nothing");
    return s;
  }
  const int pack = std::max(1, in.pack_size);
  const double service =
      std::isnan(in.service_level) ? 0.95 : std::clamp(in.service_level, 0.5, 0.999);
  // A year either way is beyond any delivery plan; the cap keeps absurd input from allocating.
  constexpr int kMaxDays = 366;
  const int lead = std::clamp(in.lead_days, 0, kMaxDays);
  const int asked_cover = std::clamp(in.cover_days, 1, kMaxDays);
  const int shelf_life = std::clamp(in.shelf_life_days, 1, kMaxDays);
  const int cover = std::min(asked_cover, shelf_life);
  const double sd = at_least_zero(in.daily_sd);
  const std::vector<double> demand =
      demand_for(in.daily_forecast, static_cast<std::size_t>(lead + cover));

  for (int d = 0; d < lead; ++d) s.demand_until_arrival += demand[static_cast<std::size_t>(d)];
  s.reasoning.push_back("forecast until the delivery arrives (" + days(lead) +
                        "): " + fixed(s.demand_until_arrival) + " units");

  // On hand sells first (it expires before what arrives); what is still left of a batch when
  // its last day ends inside the cover was never going to sell. Batches good beyond the cover
  // count in full: they are there if the days run busier than forecast. Deliveries on order
  // join the shelf on their arrival day; those arriving after the cover are for later.
  std::vector<Batch> batches;
  double on_hand = 0;
  for (const auto& b : in.on_hand) {
    batches.push_back({b.units, 0, b.last_day});
    on_hand += at_least_zero(b.units);
  }
  const std::size_t hand_batches = batches.size();
  std::string on_order_parts;
  for (const auto& a : in.on_order) {
    const double units = at_least_zero(a.units);
    if (units <= 0) continue;
    const int arrival = std::max(0, a.arrival_day);
    const bool in_time = arrival < lead + cover;
    if (in_time) {
      batches.push_back({units, arrival, a.last_day});
      s.on_order_units += units;
    }
    if (!on_order_parts.empty()) on_order_parts += ", ";
    on_order_parts += fixed(units) + " on day " + std::to_string(arrival);
    if (!in_time) on_order_parts += " after the cover, not counted";
  }
  Shelf shelf(std::move(batches));
  const Flow expected = run_flow(shelf, demand, lead, cover);
  double expiring_on_order = 0;
  for (std::size_t i = 0; i < expected.usable.size(); ++i) {
    if (i < hand_batches) {
      s.usable_at_arrival += expected.usable[i];
      s.expiring_unsold += expected.lost[i];
    } else {
      s.usable_on_order += expected.usable[i];
      expiring_on_order += expected.lost[i];
    }
  }
  if (on_hand > 0) {
    std::string line =
        "on hand that will still sell after it arrives: " + fixed(s.usable_at_arrival) + " of " +
        fixed(on_hand);
    if (s.expiring_unsold > 0) line += " (" + fixed(s.expiring_unsold) + " expire first)";
    s.reasoning.push_back(line);
  } else {
    s.reasoning.push_back("nothing on hand to count against the order");
  }
  if (!in.on_order.empty()) {
    if (on_order_parts.empty()) {
      s.reasoning.push_back("nothing on order to count against the order");
    } else {
      std::string line =
          "on order that will still sell after it arrives: " + fixed(s.usable_on_order) + " of " +
          fixed(s.on_order_units) + " (" + on_order_parts;
      if (expiring_on_order > 0) line += "; " + fixed(expiring_on_order) + " expire first";
      s.reasoning.push_back(line + ")");
    }
  }

  s.cover_days_used = cover;
  for (int d = lead; d < lead + cover; ++d) {
    s.demand_over_cover += demand[static_cast<std::size_t>(d)];
  }
  const std::string why_cover =
      cover < asked_cover ? "not the " + days(asked_cover) +
                                " to the next delivery after: it keeps " + days(shelf_life)
                          : "the next delivery after; shelf life " + days(shelf_life);
  s.reasoning.push_back("cover " + days(cover) + " (" + why_cover +
                        "): " + fixed(s.demand_over_cover) + " units");

  // The safety (the model in the header): Q with P(D_cover - usable(D_lead) <= Q) = service,
  // usable taken on a grid of the lead-time demand's standard score u, the mixture's quantile
  // by bisection.
  const double z = normal_quantile(service);
  const double sd_cover = sd * std::sqrt(static_cast<double>(cover));
  const double usable = s.usable_at_arrival + s.usable_on_order;
  const double expected_short = s.demand_over_cover - usable;
  double needed = expected_short + z * sd_cover;
  bool lead_matters = false;
  if (sd > 0 && lead > 0) {
    constexpr int kSteps = 50;  // u in [-5, 5], steps of 0.1
    std::vector<double> weight, usable_at;
    std::vector<double> shifted = demand;
    double weights = 0, least = usable, most = usable;
    for (int k = -kSteps; k <= kSteps; ++k) {
      const double u = k / 10.0;
      // D_lead = its forecast + u x sd x sqrt(lead), spread evenly over the days.
      const double per_day = u * sd / std::sqrt(static_cast<double>(lead));
      for (int d = 0; d < lead; ++d) {
        shifted[static_cast<std::size_t>(d)] =
            std::max(0.0, demand[static_cast<std::size_t>(d)] + per_day);
      }
      const double x = k == 0 ? usable : run_flow(shelf, shifted, lead, cover).total_usable;
      weight.push_back(std::exp(-u * u / 2));
      usable_at.push_back(x);
      weights += weight.back();
      least = std::min(least, x);
      most = std::max(most, x);
    }
    lead_matters = most - least > 1e-9;
    if (lead_matters) {
      auto below = [&](double q) {  // P(D_cover - usable <= q)
        double p = 0;
        for (std::size_t i = 0; i < weight.size(); ++i) {
          p += weight[i] * normal_cdf((q + usable_at[i] - s.demand_over_cover) / sd_cover);
        }
        return p / weights;
      };
      // The mixture's quantile lies between those of its extreme parts.
      double lo = s.demand_over_cover - most + z * sd_cover;
      double hi = s.demand_over_cover - least + z * sd_cover;
      for (int i = 0; i < 100 && hi - lo > 1e-9 * (1 + std::fabs(hi)); ++i) {
        const double mid = (lo + hi) / 2;
        (below(mid) < service ? lo : hi) = mid;
      }
      needed = (lo + hi) / 2;
    }
  }
  s.safety_units = std::max(0.0, needed - expected_short);
  if (z * sd > 0) s.safety_days = std::pow(s.safety_units / (z * sd), 2);
  if (!lead_matters) {
    s.reasoning.push_back("safety for a " + percent(service) + "% service level: z " + fixed(z, 2) +
                          " x sd " + fixed(sd) + " x sqrt(" + std::to_string(cover) +
                          ") = " + fixed(s.safety_units));
  } else {
    const std::string why = " (" + days(cover) + " of cover, and the " + days(lead) +
                            " until it arrives as far as they change what is left then)";
    if (z * sd > 0) {
      s.reasoning.push_back("safety for a " + percent(service) + "% service level: z " +
                            fixed(z, 2) + " x sd " + fixed(sd) + " x sqrt(" + fixed(s.safety_days) +
                            ") = " + fixed(s.safety_units) + why);
    } else {
      s.reasoning.push_back("safety for a " + percent(service) +
                            "% service level: " + fixed(s.safety_units) + why);
    }
  }

  s.target_units = s.demand_over_cover + s.safety_units;
  const double short_by = s.target_units - usable;
  const std::string usable_text = s.on_order_units > 0
                                      ? fixed(s.usable_at_arrival) + " usable on hand and " +
                                            fixed(s.usable_on_order) + " on order"
                                      : fixed(s.usable_at_arrival) + " usable";
  if (short_by > 1e-9) {
    // Up to whole packs; the tolerance keeps 20.0000001 from becoming another pack.
    const double packs = std::ceil(short_by / pack - 1e-9);
    const int most_packs = std::numeric_limits<int>::max() / pack;  // whole packs that fit an int
    s.packs = packs < static_cast<double>(most_packs) ? static_cast<int>(packs) : most_packs;
    s.order_units = s.packs * pack;
    s.reasoning.push_back("target " + fixed(s.target_units) + " less " + usable_text + ": " +
                          fixed(short_by) + " short");
    std::string line = "order " + std::to_string(s.order_units) + " units";
    if (pack > 1) {
      line += " = " + std::to_string(s.packs) + (s.packs == 1 ? " pack" : " packs") + " of " +
              std::to_string(pack);
    }
    s.reasoning.push_back(line);
  } else {
    s.reasoning.push_back("target " + fixed(s.target_units) + " is within the " + usable_text +
                          ": order nothing");
  }
  return s;
}

}  // namespace freshlane::fresh
