#pragma once
// Daily demand forecasts for one store and SKU. Pure: a series of daily sales in, numbers out.
// Day i of a series is `i` days after its first day; the weekly season is i % 7 relative to it.
#include <span>
#include <string_view>
#include <vector>

namespace freshlane::fresh {

enum class Method {
  kSeasonalNaive,  // the same weekday last week (the baseline every method is measured against)
  kSmoothing,      // exponential smoothing: level, damped trend and a weekday pattern
  kCroston,        // intermittent demand: sizes and intervals smoothed apart
  kSba,            // Croston with the Syntetos-Boylan bias correction
  kTsb,            // Teunter-Syntetos-Babai: a demand probability that decays in silence
};
std::string_view to_string(Method m);
inline constexpr Method kAllMethods[] = {Method::kSeasonalNaive, Method::kSmoothing,
                                         Method::kCroston, Method::kSba, Method::kTsb};

// The next `horizon` days after `history` (oldest first, one value per day, >= 0). Never
// negative. A history shorter than a week falls back to its mean.
std::vector<double> forecast(Method m, std::span<const double> history, int horizon);

// Accuracy over days with actuals. WAPE: sum |a - f| / sum a (0 when both are all zero; 1 when
// only the actuals are). MASE: mean |a - f| over the mean absolute error of the seasonal naive
// forecast (lag 7) within `history`; 1 when that scale is zero and the error is not.
double wape(std::span<const double> actual, std::span<const double> predicted);
double mase(std::span<const double> actual, std::span<const double> predicted,
            std::span<const double> history);

struct BacktestOptions {
  int horizon = 7;  // days forecast from each origin
  int origins = 4;  // rolling origins, each `step` days apart, the last ending at the series' end
  int step = 7;
};

// The chosen method for one series, chosen by a rolling-origin backtest: each candidate
// forecasts `horizon` days from each origin using only the days before it; the lowest total
// absolute error wins (ties: the simpler method, seasonal naive first). Slow movers (more than
// a third of days without sales) are offered the intermittent methods; others smoothing; the
// seasonal naive is always a candidate. A series too short for one origin gets seasonal naive
// (or its mean, under a week) and backtest figures of 0 with `origins_used` 0.
struct SeriesForecast {
  Method method = Method::kSeasonalNaive;
  std::vector<double> values;  // the next `horizon` days after the whole history
  double backtest_wape = 0;    // the chosen method's
  double backtest_mase = 0;
  double naive_wape = 0;           // the seasonal naive's over the same origins
  double residual_sd = 0;          // sd of the chosen method's one-day errors in the backtest
  double backtest_actual_sum = 0;  // what WAPE divides by (to pool WAPE across series)
  double backtest_abs_error = 0;
  double naive_abs_error = 0;
  int origins_used = 0;
};
SeriesForecast forecast_series(std::span<const double> history, int horizon,
                               const BacktestOptions& options = {});

}  // namespace freshlane::fresh
