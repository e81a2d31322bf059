#include "freshlane/sim/stock.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numbers>
#include <span>

#include "freshlane/fresh/forecast.hpp"
#include "freshlane/fresh/replenishment.hpp"
#include "random.hpp"

namespace freshlane::sim {

namespace {

constexpr int kWeek = 7;
constexpr int kParts = 4;
constexpr std::array<int, kParts> kPartHour = {8, 12, 16, 19};
constexpr std::array<double, kParts> kPartShare = {0.20, 0.25, 0.30, 0.25};
constexpr int kDeliveryHour = 6;
constexpr int kUtcOffsetMinutes = 480;
constexpr std::array<double, kWeek> kWeekday = {0.90, 0.88, 0.93, 0.97, 1.07, 1.18, 1.12};
// The level's drift: AR(1) on its logarithm.
constexpr double kLevelPhi = 0.95;
constexpr double kLevelStepSd = 0.03;

// ---- Randomness (src/sim/random.hpp).
using detail::Rng;
using detail::splitmix64;

// One stream per seed, SKU and purpose, so drawing more of one never shifts another.
enum Stream : std::uint64_t { kCatalog = 1, kBaseDemand = 2, kBargains = 3 };
Rng stream(std::uint64_t seed, int sku, Stream purpose) {
  std::uint64_t s = seed * 0x100000001B3ull ^ (static_cast<std::uint64_t>(sku) << 8) ^ purpose;
  splitmix64(s);
  return Rng(splitmix64(s));
}

// Poisson by inversion: the same uniform gives at least as many for a larger mean (a deeper
// markdown never draws in fewer bargain hunters on the same day).
std::int64_t poisson(double u, double mean) {
  if (!(mean > 0)) return 0;
  mean = std::min(mean, 700.0);  // exp(-700) is still a double; parts of days stay far below
  double p = std::exp(-mean), cdf = p;
  std::int64_t k = 0;
  while (u > cdf && k < 100000) {
    ++k;
    p *= mean / static_cast<double>(k);
    cdf += p;
    if (p < 1e-300 && static_cast<double>(k) > mean) break;  // rounding left u above the total
  }
  return k;
}

int weekday_of(int day) { return ((day % kWeek) + kWeek) % kWeek; }

// ---- The catalog.

struct Kind {
  const char* name;
  int life_lo, life_hi;
  double rate_lo, rate_hi;  // a fast mover's base demand a day
  Money price_lo, price_hi;
  int pack;
};
constexpr Kind kKinds[] = {
    {"leafy greens", 1, 1, 15, 60, 290, 890, 10}, {"daily-fresh milk", 1, 1, 20, 70, 590, 1290, 12},
    {"bakery", 1, 2, 8, 40, 690, 1990, 6},        {"fish on ice", 1, 2, 5, 25, 2990, 8900, 4},
    {"tofu", 2, 3, 10, 40, 290, 690, 10},         {"cut fruit", 2, 3, 8, 30, 990, 2990, 6},
    {"berries", 3, 4, 5, 30, 1990, 4990, 6},      {"mushrooms", 3, 5, 6, 30, 590, 1590, 8},
    {"chilled meat", 3, 5, 5, 30, 1990, 6990, 4}, {"fresh noodles", 5, 7, 4, 20, 690, 1990, 6},
    {"tomatoes", 5, 8, 8, 40, 490, 1290, 8},      {"fruit", 6, 10, 5, 40, 990, 3990, 8},
    {"sausages", 8, 12, 3, 15, 1590, 3990, 6},    {"root vegetables", 8, 14, 3, 20, 290, 990, 10},
    {"yogurt", 10, 14, 3, 30, 590, 1590, 12},     {"eggs", 12, 14, 5, 30, 1290, 2990, 6},
    {"cheese", 11, 14, 1, 8, 2990, 8900, 4},
};

// ---- What a policy sees and does.

struct Lot {
  int arrival_day = 0, last_day = 0;
  std::int64_t units = 0;
  Money price = 0;
  int percent_off = 0;
  bool priced = false;  // lot_price has set `price` (current_minor)
  int trace = -1;       // index into StockRun::lots
};

// Everything about one SKU's customers, drawn before any policy runs.
struct Customers {
  int first_day = 0;  // -history days
  std::vector<std::array<std::int64_t, kParts>> base;
  std::vector<std::array<double, kParts>> mean;
  std::vector<std::array<double, kParts>> bargain_u;
  const std::array<std::int64_t, kParts>& base_on(int day) const { return base[day - first_day]; }
  double mean_on(int day, int part) const { return mean[day - first_day][part]; }
  double day_base(int day) const {
    double sum = 0;
    for (auto n : base_on(day)) sum += static_cast<double>(n);
    return sum;
  }
};

Customers draw_customers(const StockSku& sku, int sku_index, std::uint64_t seed, int first_day,
                         int days) {
  Customers c;
  c.first_day = first_day;
  Rng demand = stream(seed, sku_index, kBaseDemand);
  Rng bargains = stream(seed, sku_index, kBargains);
  const double stationary_sd = kLevelStepSd / std::sqrt(1 - kLevelPhi * kLevelPhi);
  double x = stationary_sd * demand.normal();
  const double shape = 1 / (sku.noise_cv * sku.noise_cv);
  for (int day = first_day; day < first_day + days; ++day) {
    x = kLevelPhi * x + kLevelStepSd * demand.normal();
    const double level = std::exp(x - stationary_sd * stationary_sd / 2);
    const double noise = demand.gamma(shape) / shape;
    const double day_mean = sku.daily_rate *
                            sku.weekday_factor[static_cast<std::size_t>(weekday_of(day))] * level *
                            noise;
    std::array<std::int64_t, kParts> base{};
    std::array<double, kParts> mean{}, u{};
    for (int p = 0; p < kParts; ++p) {
      mean[p] = day_mean * kPartShare[p];
      base[p] = poisson(demand.uniform(), mean[p]);
      u[p] = bargains.uniform();
    }
    c.base.push_back(base);
    c.mean.push_back(mean);
    c.bargain_u.push_back(u);
  }
  return c;
}

core::Timestamp local_time(int day, int hour) {
  // Day 0 is Monday 2026-03-02 in the store's time zone (UTC+8).
  using namespace std::chrono;
  const sys_seconds day0 = sys_days{year{2026} / March / 2} - minutes(kUtcOffsetMinutes);
  return day0 + days(day) + hours(hour);
}

// The mean of the same weekday over the last four weeks of `records` for the day `ahead` days
// after them (the ordinary store's forecast).
double same_weekday_mean(std::span<const double> records, int ahead) {
  const int n = static_cast<int>(records.size());
  double sum = 0;
  int count = 0;
  for (int w = 1; w <= 4; ++w) {
    const int i = n + ahead - w * kWeek;
    if (i >= 0 && i < n) {
      sum += records[static_cast<std::size_t>(i)];
      ++count;
    }
  }
  if (count == 0) {
    for (double r : records) sum += r;
    return records.empty() ? 0 : sum / static_cast<double>(records.size());
  }
  return sum / count;
}

// That forecast's own one-day error over the last four weeks (each day forecast from the
// weeks before it).
double same_weekday_sd(std::span<const double> records) {
  const int n = static_cast<int>(records.size());
  double squares = 0;
  int count = 0;
  for (int d = std::max(kWeek, n - 4 * kWeek); d < n; ++d) {
    const double f = same_weekday_mean(records.first(static_cast<std::size_t>(d)), 0);
    squares +=
        (records[static_cast<std::size_t>(d)] - f) * (records[static_cast<std::size_t>(d)] - f);
    ++count;
  }
  return count > 0 ? std::sqrt(squares / count) : 0;
}

// 1234567 fen as "12,345.67": thousands grouped for reading at a glance.
std::string yuan(Money minor) {
  const auto v = static_cast<unsigned long long>(minor < 0 ? -minor : minor);
  const std::string whole = std::to_string(v / 100);
  std::string out = minor < 0 ? "-" : "";
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  const auto cents = static_cast<int>(v % 100);
  out += '.';
  out += static_cast<char>('0' + cents / 10);
  out += static_cast<char>('0' + cents % 10);
  return out;
}

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

// ---- Public pieces.

std::vector<StockSku> stock_catalog(int skus, std::uint64_t seed) {
  std::vector<StockSku> out;
  Rng rng = stream(seed, 0, kCatalog);
  for (int i = 0; i < skus; ++i) {
    const int life = 1 + i % 14;
    std::vector<const Kind*> fits;
    for (const auto& k : kKinds) {
      if (life >= k.life_lo && life <= k.life_hi) fits.push_back(&k);
    }
    const Kind& kind = *fits[static_cast<std::size_t>(rng.pick(static_cast<int>(fits.size())))];
    StockSku s;
    char name[64];
    std::snprintf(name, sizeof name, "%s %02d", kind.name, i + 1);
    s.name = name;
    s.shelf_life_days = life;
    s.daily_rate = rng.log_between(kind.rate_lo, kind.rate_hi);
    const bool slow = life >= 3 && rng.uniform() < 0.25;
    if (slow) s.daily_rate = rng.log_between(0.3, 3);
    s.regular_minor =
        static_cast<Money>(std::lround(rng.log_between(static_cast<double>(kind.price_lo),
                                                       static_cast<double>(kind.price_hi)) /
                                       10)) *
        10;
    s.unit_cost_minor = static_cast<Money>(
        std::lround(static_cast<double>(s.regular_minor) * rng.between(0.55, 0.70)));
    // The DC ships packs no larger than a quarter of what sells over the shelf life.
    const int most = static_cast<int>(std::floor(s.daily_rate * life / 4));
    s.pack_size = std::clamp(most, 1, kind.pack);
    s.lead_days = life >= 7 && rng.uniform() < 0.2 ? 2 : 1;
    double sum = 0;
    for (int d = 0; d < kWeek; ++d) {
      s.weekday_factor.push_back(kWeekday[static_cast<std::size_t>(d)] *
                                 std::exp(0.05 * rng.normal()));
      sum += s.weekday_factor.back();
    }
    for (auto& f : s.weekday_factor) f *= kWeek / sum;
    s.noise_cv = rng.between(0.10, 0.25);
    s.elasticity = rng.between(1.5, 3.0);
    out.push_back(std::move(s));
  }
  return out;
}

std::string_view to_string(StockPolicy p) {
  switch (p) {
    case StockPolicy::kOrderUpTo:
      return "(a) order-up-to, no markdown";
    case StockPolicy::kOrderUpToLastDayOff:
      return "(b) order-up-to, 40% off last day";
    case StockPolicy::kFreshlane:
      return "(c) freshlane";
  }
  return "?";
}

fresh::MarkdownPolicy freshlane_markdown(int shelf_life_days) {
  // Tuned on seeds that are never reported (2001-2002, with calibration on 1001-1002) among a
  // dozen shapes: early and middle steps cost more margin on units that would have sold at the
  // regular price than they save in waste; the deep step belongs in the evening.
  fresh::MarkdownPolicy p;
  if (shelf_life_days >= 4) p.steps.push_back({shelf_life_days * 24 / 5, 10});
  if (shelf_life_days >= 2) p.steps.push_back({16, 15});
  p.steps.push_back({5, 50});
  p.floor_percent_of_cost = 60;
  p.floor_percent_of_regular = 30;
  p.one_day = shelf_life_days == 1;  // Daily Fresh
  return p;
}

double price_lift(double percent_off, double elasticity) {
  if (!(percent_off > 0)) return 1;
  return std::pow(1 - std::min(percent_off, 99.0) / 100, -elasticity);
}

double StockFigures::availability() const {
  return base_demand > 0 ? static_cast<double>(base_served) / static_cast<double>(base_demand) : 1;
}
double StockFigures::waste_percent() const {
  return sales_value > 0
             ? 100.0 * static_cast<double>(waste_at_regular) / static_cast<double>(sales_value)
             : 0;
}
Money StockFigures::gross_margin() const { return sales_value - cost_sold - waste_at_cost; }
double StockFigures::wape() const {
  return forecast_actual > 0 ? forecast_abs_error / forecast_actual : 0;
}
double StockFigures::naive_wape() const {
  return forecast_actual > 0 ? naive_abs_error / forecast_actual : 0;
}
StockFigures& StockFigures::operator+=(const StockFigures& o) {
  base_demand += o.base_demand;
  base_served += o.base_served;
  bargain_units += o.bargain_units;
  sold_units += o.sold_units;
  marked_down_units += o.marked_down_units;
  received_units += o.received_units;
  wasted_units += o.wasted_units;
  sales_value += o.sales_value;
  sales_at_regular += o.sales_at_regular;
  cost_sold += o.cost_sold;
  waste_at_regular += o.waste_at_regular;
  waste_at_cost += o.waste_at_cost;
  forecast_abs_error += o.forecast_abs_error;
  naive_abs_error += o.naive_abs_error;
  forecast_actual += o.forecast_actual;
  return *this;
}

// ---- One policy, one seed.

namespace {

class SkuRun {
 public:
  SkuRun(StockPolicy policy, const StockSettings& settings, const StockSku& sku, int index,
         const Customers& customers, StockRun& run)
      : policy_(policy),
        settings_(settings),
        sku_(sku),
        index_(index),
        customers_(customers),
        run_(run),
        markdown_(freshlane_markdown(sku.shelf_life_days)),
        days_((settings.warmup_weeks + settings.weeks) * kWeek),
        measured_from_(settings.warmup_weeks * kWeek),
        arriving_(static_cast<std::size_t>(days_ + sku.lead_days + 1), 0) {
    // The store's records before day 0: what sold, with no stock-outs and no markdowns.
    for (int d = -settings.history_weeks * kWeek; d < 0; ++d) {
      records_.push_back(customers.day_base(d));
    }
  }

  void run() {
    for (int day = 0; day < days_; ++day) {
      receive(day);
      order(day);
      sell(day);
      write_off(day);
    }
    SkuBooks& b = run_.books[static_cast<std::size_t>(index_)];
    for (const auto& lot : lots_) b.on_hand_at_end += lot.units;
  }

 private:
  bool measured(int day) const { return day >= measured_from_; }
  StockFigures& figures() { return run_.per_sku[static_cast<std::size_t>(index_)]; }

  void receive(int day) {
    const std::int64_t units = arriving_[static_cast<std::size_t>(day)];
    if (units <= 0) return;
    Lot lot;
    lot.arrival_day = day;
    lot.last_day = day + sku_.shelf_life_days - 1;
    lot.units = units;
    lot.price = sku_.regular_minor;
    if (settings_.trace) {
      lot.trace = static_cast<int>(run_.lots.size());
      run_.lots.push_back({index_, day, lot.last_day, units, 0, 0, -1, {}});
    }
    // Lots arrive in order and live equally long, so appending keeps earliest expiry first.
    lots_.push_back(lot);
    run_.books[static_cast<std::size_t>(index_)].received += units;
    if (measured(day)) figures().received_units += units;
  }

  void order(int day) {
    const int lead = sku_.lead_days;
    std::int64_t units = 0;
    if (policy_ == StockPolicy::kFreshlane) {
      const int horizon = lead + sku_.shelf_life_days + 1;
      const auto f = fresh::forecast_series(records_, horizon);
      fresh::ReplenishmentInput in;
      in.daily_forecast = f.values;
      in.daily_sd = f.residual_sd;
      for (const auto& lot : lots_) {
        in.on_hand.push_back({static_cast<double>(lot.units), lot.last_day - day});
      }
      // Deliveries already ordered (lead 2) are on order: they sell from their arrival day.
      for (int d = day + 1; d < day + lead; ++d) {
        const auto u = arriving_[static_cast<std::size_t>(d)];
        if (u > 0) {
          in.on_order.push_back(
              {static_cast<double>(u), d - day, d + sku_.shelf_life_days - 1 - day});
        }
      }
      in.lead_days = lead;
      in.cover_days = 1;
      in.shelf_life_days = sku_.shelf_life_days;
      in.pack_size = sku_.pack_size;
      in.service_level = settings_.service_level;
      units = fresh::suggest_order(in).order_units;
      if (day + lead < days_ && measured(day + lead)) {
        const double actual = customers_.day_base(day + lead);
        const auto naive = fresh::forecast(fresh::Method::kSeasonalNaive, records_, lead + 1);
        figures().forecast_abs_error +=
            std::fabs(actual - f.values[static_cast<std::size_t>(lead)]);
        figures().naive_abs_error += std::fabs(actual - naive[static_cast<std::size_t>(lead)]);
        figures().forecast_actual += actual;
      }
    } else {
      // What the delivery must cover: its own day, plus whatever of the days before it the
      // stock on hand cannot, less what on hand will still be good and left when it comes.
      double before = 0, expiring = 0, good = 0;
      for (int k = 0; k < lead; ++k) before += same_weekday_mean(records_, k);
      for (const auto& lot : lots_) {
        (lot.last_day < day + lead ? expiring : good) += static_cast<double>(lot.units);
      }
      for (int d = day + 1; d < day + lead; ++d) {
        good += static_cast<double>(arriving_[static_cast<std::size_t>(d)]);
      }
      const double left = std::max(0.0, good - std::max(0.0, before - expiring));
      const double level = same_weekday_mean(records_, lead) + settings_.order_up_to_z *
                                                                   same_weekday_sd(records_) *
                                                                   std::sqrt(lead + 1.0);
      const double short_by = level - left;
      if (short_by > 0) {
        units =
            static_cast<std::int64_t>(std::ceil(short_by / sku_.pack_size - 1e-9)) * sku_.pack_size;
      }
    }
    // What would arrive after the run ends is never received and never counted.
    if (day + lead < days_) arriving_[static_cast<std::size_t>(day + lead)] += units;
  }

  void price(Lot& lot, int day, int part) {
    switch (policy_) {
      case StockPolicy::kOrderUpTo:
        break;
      case StockPolicy::kOrderUpToLastDayOff:
        // A 1-day good's last day is its only one: the sticker goes on for the evening.
        if (lot.last_day == day && (sku_.shelf_life_days > 1 || part == kParts - 1)) {
          const auto off = settings_.last_day_percent_off;
          lot.price = static_cast<Money>(
              std::lround(static_cast<double>(sku_.regular_minor) * (100 - off) / 100));
          lot.percent_off = static_cast<int>(std::lround(off));
        }
        break;
      case StockPolicy::kFreshlane: {
        fresh::LotForPricing p;
        p.regular_minor = sku_.regular_minor;
        p.unit_cost_minor = sku_.unit_cost_minor;
        if (lot.priced) p.current_minor = lot.price;
        p.received_at = local_time(lot.arrival_day, kDeliveryHour);
        p.expires_at = local_time(lot.last_day + 1, 0);  // the end of its last day
        p.utc_offset_minutes = kUtcOffsetMinutes;
        const auto got = fresh::lot_price(markdown_, p, local_time(day, kPartHour[part]));
        lot.price = got.price_minor;
        lot.percent_off = got.percent_off;
        lot.priced = true;
        break;
      }
    }
  }

  // Sells up to `wanted` units earliest expiry first, from marked-down lots only if asked.
  // Returns the units sold; adds to the day's record estimate.
  std::int64_t serve(std::int64_t wanted, bool marked_only, int day) {
    std::int64_t sold = 0;
    for (auto& lot : lots_) {
      if (wanted <= 0) break;
      if (lot.units <= 0 || (marked_only && lot.percent_off <= 0)) continue;
      const std::int64_t take = std::min(wanted, lot.units);
      lot.units -= take;
      wanted -= take;
      sold += take;
      run_.books[static_cast<std::size_t>(index_)].sold += take;
      record_estimate_ +=
          static_cast<double>(take) / price_lift(lot.percent_off, settings_.assumed_elasticity);
      if (lot.trace >= 0) {
        auto& t = run_.lots[static_cast<std::size_t>(lot.trace)];
        t.sold += take;
        t.last_sale_day = day;
      }
      if (measured(day)) {
        auto& f = figures();
        f.sold_units += take;
        f.sales_value += take * lot.price;
        f.sales_at_regular += take * sku_.regular_minor;
        f.cost_sold += take * sku_.unit_cost_minor;
        if (lot.price < sku_.regular_minor) f.marked_down_units += take;
      }
    }
    return sold;
  }

  std::int64_t on_shelf() const {
    std::int64_t n = 0;
    for (const auto& lot : lots_) n += lot.units;
    return n;
  }

  void sell(int day) {
    record_estimate_ = 0;
    double open_share = 1;  // of the day the shelf had stock, as the store can tell
    bool sold_out = false;
    double share_before = 0;
    const auto& base = customers_.base_on(day);
    for (int part = 0; part < kParts; ++part) {
      int deepest = 0;
      for (auto& lot : lots_) {
        if (lot.units <= 0) continue;
        price(lot, day, part);
        deepest = std::max(deepest, lot.percent_off);
        if (lot.trace >= 0)
          run_.lots[static_cast<std::size_t>(lot.trace)].prices.push_back(lot.price);
      }
      if (!sold_out && on_shelf() == 0) {
        sold_out = true;
        open_share = share_before;
      }
      const std::int64_t wanted = base[static_cast<std::size_t>(part)];
      const std::int64_t served = serve(wanted, false, day);
      if (!sold_out && served < wanted) {
        // The last sale's time: the served-th of `wanted` customers spread over the part.
        sold_out = true;
        open_share = share_before + kPartShare[static_cast<std::size_t>(part)] *
                                        static_cast<double>(served) /
                                        static_cast<double>(wanted + 1);
      }
      std::int64_t bargains = 0;
      const double mean = customers_.mean_on(day, part);
      if (deepest > 0) {
        bargains =
            poisson(customers_.bargain_u[static_cast<std::size_t>(day - customers_.first_day)]
                                        [static_cast<std::size_t>(part)],
                    mean * (price_lift(deepest, sku_.elasticity) - 1));
      }
      const std::int64_t bargains_served = bargains > 0 ? serve(bargains, true, day) : 0;
      if (measured(day)) {
        auto& f = figures();
        f.base_demand += wanted;
        f.base_served += served;
        f.bargain_units += bargains_served;
      }
      if (settings_.trace) {
        run_.parts.push_back({index_, day, part, deepest, mean, wanted, bargains});
      }
      share_before += kPartShare[static_cast<std::size_t>(part)];
    }
    // The store's record: sales, de-lifted, scaled up for the hours the shelf was empty; a
    // shelf empty nearly all day says nothing, so last week's record stands in.
    double record = record_estimate_;
    if (sold_out) {
      if (open_share >= 0.25) {
        record /= open_share;
      } else if (records_.size() >= static_cast<std::size_t>(kWeek)) {
        record = records_[records_.size() - kWeek];
      }
    }
    records_.push_back(record);
  }

  void write_off(int day) {
    SkuBooks& b = run_.books[static_cast<std::size_t>(index_)];
    auto it = lots_.begin();
    while (it != lots_.end() && it->last_day <= day) {
      b.wasted += it->units;
      if (it->trace >= 0) run_.lots[static_cast<std::size_t>(it->trace)].wasted = it->units;
      if (measured(day)) {
        auto& f = figures();
        f.wasted_units += it->units;
        f.waste_at_regular += it->units * sku_.regular_minor;
        f.waste_at_cost += it->units * sku_.unit_cost_minor;
      }
      ++it;
    }
    lots_.erase(lots_.begin(), it);
    // Emptied lots leave the shelf too (they have nothing to price).
    std::erase_if(lots_, [](const Lot& l) { return l.units <= 0; });
  }

  StockPolicy policy_;
  const StockSettings& settings_;
  const StockSku& sku_;
  int index_;
  const Customers& customers_;
  StockRun& run_;
  fresh::MarkdownPolicy markdown_;
  int days_, measured_from_;
  std::vector<std::int64_t> arriving_;  // by day
  std::vector<Lot> lots_;               // earliest expiry first
  std::vector<double> records_;         // the store's daily records, oldest first
  double record_estimate_ = 0;
};

}  // namespace

StockRun run_stock(StockPolicy policy, const StockSettings& settings, std::uint64_t seed) {
  StockRun run;
  const auto catalog = stock_catalog(settings.skus, seed);
  run.per_sku.resize(catalog.size());
  run.books.resize(catalog.size());
  const int first_day = -settings.history_weeks * kWeek;
  const int days = (settings.history_weeks + settings.warmup_weeks + settings.weeks) * kWeek;
  for (std::size_t i = 0; i < catalog.size(); ++i) {
    const Customers customers =
        draw_customers(catalog[i], static_cast<int>(i), seed, first_day, days);
    SkuRun(policy, settings, catalog[i], static_cast<int>(i), customers, run).run();
    run.figures += run.per_sku[i];
  }
  return run;
}

// ---- The comparison.

namespace {

StockFigures pooled(StockPolicy policy, const StockSettings& settings, std::uint64_t first_seed,
                    int seeds) {
  StockFigures sum;
  for (int s = 0; s < seeds; ++s) {
    sum += run_stock(policy, settings, first_seed + static_cast<std::uint64_t>(s)).figures;
  }
  return sum;
}

// The smallest value on `grid` (ascending) whose pooled availability on the calibration seeds
// reaches `target`, by bisection (availability rises with the safety stock); the largest if
// none does.
double calibrate(const std::vector<double>& grid, double target,
                 const std::function<double(double)>& availability) {
  std::size_t lo = 0, hi = grid.size() - 1;
  if (availability(grid[hi]) < target) return grid[hi];
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (availability(grid[mid]) >= target) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return grid[lo];
}

nlohmann::json to_json(const StockFigures& f, bool with_forecast) {
  nlohmann::json j{{"availability", f.availability()},
                   {"base_demand_units", f.base_demand},
                   {"base_served_units", f.base_served},
                   {"bargain_units", f.bargain_units},
                   {"sold_units", f.sold_units},
                   {"marked_down_units", f.marked_down_units},
                   {"received_units", f.received_units},
                   {"waste_units", f.wasted_units},
                   {"sales_value_minor", f.sales_value},
                   {"sales_at_regular_minor", f.sales_at_regular},
                   {"cost_sold_minor", f.cost_sold},
                   {"waste_at_regular_minor", f.waste_at_regular},
                   {"waste_at_cost_minor", f.waste_at_cost},
                   {"waste_percent_of_sales_value", f.waste_percent()},
                   {"gross_margin_minor", f.gross_margin()}};
  if (with_forecast) {
    j["forecast_wape"] = f.wape();
    j["seasonal_naive_wape"] = f.naive_wape();
  }
  return j;
}

}  // namespace

StockComparison compare_stock_policies(const StockComparisonOptions& options) {
  StockComparison out;
  StockSettings& s = out.settings;
  s.skus = options.skus;
  s.weeks = options.weeks;
  // Calibrated half a point above the target so seed-to-seed spread does not decide it.
  const double aim = options.availability_target + 0.005;
  auto availability_of = [&](StockPolicy policy, StockSettings trial) {
    return pooled(policy, trial, options.calibration_first_seed, options.calibration_seeds)
        .availability();
  };
  std::vector<double> z_grid;
  for (int i = 0; i <= 40; ++i) z_grid.push_back(i / 10.0);
  std::vector<double> level_grid;
  for (int i = 50; i <= 99; ++i) level_grid.push_back(i / 100.0);
  out.z_a = calibrate(z_grid, aim, [&](double z) {
    StockSettings t = s;
    t.order_up_to_z = z;
    return availability_of(StockPolicy::kOrderUpTo, t);
  });
  out.z_b = calibrate(z_grid, aim, [&](double z) {
    StockSettings t = s;
    t.order_up_to_z = z;
    return availability_of(StockPolicy::kOrderUpToLastDayOff, t);
  });
  out.service_level_c = calibrate(level_grid, aim, [&](double level) {
    StockSettings t = s;
    t.service_level = level;
    return availability_of(StockPolicy::kFreshlane, t);
  });

  StockSettings sa = s, sb = s, sc = s;
  sa.order_up_to_z = out.z_a;
  sb.order_up_to_z = out.z_b;
  sc.service_level = out.service_level_c;
  nlohmann::json per_seed = nlohmann::json::array();
  for (int k = 0; k < options.seeds; ++k) {
    const std::uint64_t seed = options.first_seed + static_cast<std::uint64_t>(k);
    const auto a = run_stock(StockPolicy::kOrderUpTo, sa, seed).figures;
    const auto b = run_stock(StockPolicy::kOrderUpToLastDayOff, sb, seed).figures;
    const auto c = run_stock(StockPolicy::kFreshlane, sc, seed).figures;
    out.a += a;
    out.b += b;
    out.c += c;
    per_seed.push_back({{"seed", seed},
                        {"a", to_json(a, false)},
                        {"b", to_json(b, false)},
                        {"c", to_json(c, true)}});
  }

  const auto& a = out.a;
  const auto& b = out.b;
  const auto& c = out.c;
  const double less_waste = b.waste_at_regular > 0 ? 1 - static_cast<double>(c.waste_at_regular) /
                                                             static_cast<double>(b.waste_at_regular)
                                                   : 0;
  const double more_margin =
      b.gross_margin() != 0
          ? static_cast<double>(c.gross_margin()) / static_cast<double>(b.gross_margin()) - 1
          : 0;
  const double wape_better = c.naive_wape() > 0 ? 1 - c.wape() / c.naive_wape() : 0;
  const double target_pct = 100 * options.availability_target;
  out.targets = {
      {"(c) waste <= 2% of fresh sales value", format("%.2f%%", c.waste_percent()),
       c.waste_percent() <= 2.0},
      {"(c) availability >= " + format("%.0f%%", target_pct),
       format("%.2f%%", 100 * c.availability()), c.availability() >= options.availability_target},
      {"(c) waste value >= 35% below (b)", format("%.1f%% below", 100 * less_waste),
       less_waste >= 0.35},
      {"(c) gross margin >= 3% above (b)", format("%+.2f%%", 100 * more_margin),
       more_margin >= 0.03},
      {"(c) forecast WAPE >= 10% better than seasonal naive",
       format("%.1f%% better", 100 * wape_better), wape_better >= 0.10},
  };

  nlohmann::json targets = nlohmann::json::array();
  for (const auto& t : out.targets) {
    targets.push_back({{"target", t.name}, {"measured", t.measured}, {"holds", t.holds}});
  }
  out.report = {
      {"model", "freshlane::sim stock simulation (include/freshlane/sim/stock.hpp)"},
      {"weeks_measured", s.weeks},
      {"warmup_weeks", s.warmup_weeks},
      {"history_weeks", s.history_weeks},
      {"skus", s.skus},
      {"seeds", options.seeds},
      {"first_seed", options.first_seed},
      {"calibration",
       {{"seeds", options.calibration_seeds},
        {"first_seed", options.calibration_first_seed},
        {"availability_aim", aim},
        {"z_a", out.z_a},
        {"z_b", out.z_b},
        {"service_level_c", out.service_level_c}}},
      {"policies", {{"a", to_json(a, false)}, {"b", to_json(b, false)}, {"c", to_json(c, true)}}},
      {"per_seed", per_seed},
      {"targets", targets},
  };
  return out;
}

std::string format_stock_table(const StockComparison& c) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "fresh stock: %d SKUs (lives 1-14 days), %d measured weeks after %d of warm-up, "
                "seeds pooled: %d\n",
                c.settings.skus, c.settings.weeks, c.settings.warmup_weeks,
                c.report.value("seeds", 0));
  out += line;
  std::snprintf(line, sizeof line,
                "safety set on calibration seeds for %.1f%% availability: (a) z %.2f, (b) z "
                "%.2f, (c) service level %.2f\n\n",
                100 * c.report["calibration"]["availability_aim"].get<double>(), c.z_a, c.z_b,
                c.service_level_c);
  out += line;
  std::snprintf(line, sizeof line, "%-36s %8s %8s %13s %12s %8s %14s %13s %7s\n", "policy",
                "waste %", "waste u", "waste CNY", "at cost CNY", "avail", "sales CNY",
                "margin CNY", "margin%");
  out += line;
  const std::pair<StockPolicy, const StockFigures*> rows[] = {
      {StockPolicy::kOrderUpTo, &c.a},
      {StockPolicy::kOrderUpToLastDayOff, &c.b},
      {StockPolicy::kFreshlane, &c.c}};
  for (const auto& [policy, f] : rows) {
    const double margin_pct = f->sales_value > 0 ? 100.0 * static_cast<double>(f->gross_margin()) /
                                                       static_cast<double>(f->sales_value)
                                                 : 0;
    std::snprintf(line, sizeof line, "%-36s %7.2f%% %8lld %13s %12s %7.2f%% %14s %13s %6.1f%%\n",
                  std::string(to_string(policy)).c_str(), f->waste_percent(),
                  static_cast<long long>(f->wasted_units), yuan(f->waste_at_regular).c_str(),
                  yuan(f->waste_at_cost).c_str(), 100 * f->availability(),
                  yuan(f->sales_value).c_str(), yuan(f->gross_margin()).c_str(), margin_pct);
    out += line;
  }
  out += "\n(c) against (b) seed by seed (margin, waste value):";
  for (const auto& seed : c.report["per_seed"]) {
    const double mb = seed["b"]["gross_margin_minor"].get<double>();
    const double mc = seed["c"]["gross_margin_minor"].get<double>();
    const double wb = seed["b"]["waste_at_regular_minor"].get<double>();
    const double wc = seed["c"]["waste_at_regular_minor"].get<double>();
    std::snprintf(line, sizeof line, "  %llu: %+.1f%%, %+.0f%%",
                  static_cast<unsigned long long>(seed["seed"].get<std::uint64_t>()),
                  mb != 0 ? 100 * (mc / mb - 1) : 0.0, wb != 0 ? 100 * (wc / wb - 1) : 0.0);
    out += line;
  }
  out += "\n";
  std::snprintf(line, sizeof line,
                "(c) forecast WAPE %.3f vs seasonal naive %.3f (same records, same days: the "
                "day each order arrives)\n\n",
                c.c.wape(), c.c.naive_wape());
  out += line;
  for (const auto& t : c.targets) {
    std::snprintf(line, sizeof line, "%-4s %-52s %s\n", t.holds ? "PASS" : "FAIL", t.name.c_str(),
                  t.measured.c_str());
    out += line;
  }
  return out;
}

}  // namespace freshlane::sim
