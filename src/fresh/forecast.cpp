#include "freshlane/fresh/forecast.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

namespace freshlane::fresh {

namespace {

constexpr int kWeek = 7;

// Intermittent smoothing constants, fixed rather than fitted: a slow mover has too few sales to
// fit them without overfitting, and 0.1 sits in the 0.05-0.2 range Syntetos and Boylan found
// to work.
constexpr double kIntermittentAlpha = 0.1;  // sizes and intervals (Croston, SBA), sizes (TSB)
constexpr double kTsbBeta = 0.1;            // TSB's demand probability

// A backtest origin needs two weeks before it: one to seed the weekday pattern, one to see a
// trend and to scale MASE.
constexpr int kMinTraining = 2 * kWeek;

double mean(std::span<const double> xs) {
  if (xs.empty()) return 0;
  double sum = 0;
  for (double x : xs) sum += x;
  return sum / static_cast<double>(xs.size());
}

std::vector<double> flat(double value, int horizon) {
  return std::vector<double>(static_cast<std::size_t>(std::max(0, horizon)), std::max(0.0, value));
}

std::vector<double> seasonal_naive(std::span<const double> y, int horizon) {
  const std::size_t n = y.size();
  std::vector<double> out(static_cast<std::size_t>(horizon));
  for (std::size_t h = 0; h < out.size(); ++h) out[h] = std::max(0.0, y[n - kWeek + h % kWeek]);
  return out;
}

// Additive Holt-Winters with a damped trend and a season of seven days.
struct Smoothing {
  double level = 0;
  double trend = 0;
  std::array<double, kWeek> season{};
};

struct SmoothingParams {
  double alpha, beta, gamma, phi;
};

// Level, trend and weekday pattern from the first week or two. The level is the one of day -1,
// so the first update is a real one-step forecast. A week's mean sits on its middle day (3).
Smoothing seed(std::span<const double> y, bool with_trend) {
  const int weeks = y.size() >= static_cast<std::size_t>(2 * kWeek) ? 2 : 1;
  std::array<double, 2> week_mean{};
  for (int w = 0; w < weeks; ++w) week_mean[w] = mean(y.subspan(w * kWeek, kWeek));
  Smoothing s;
  if (with_trend && weeks == 2) s.trend = (week_mean[1] - week_mean[0]) / kWeek;
  const double base = with_trend ? week_mean[0] : (week_mean[0] + week_mean[weeks - 1]) / 2;
  for (int day = 0; day < kWeek; ++day) {
    double deviation = 0;
    for (int w = 0; w < weeks; ++w) {
      const double line = (with_trend ? week_mean[w] : base) + (day - 3) * s.trend;
      deviation += y[w * kWeek + day] - line;
    }
    s.season[day] = deviation / weeks;
  }
  s.level = base - 4 * s.trend;
  return s;
}

// Runs the smoothing over the whole series; returns the sum of squared one-step errors.
double run(std::span<const double> y, const SmoothingParams& p, Smoothing& s) {
  double sse = 0;
  for (std::size_t t = 0; t < y.size(); ++t) {
    double& season = s.season[t % kWeek];
    const double expected = s.level + p.phi * s.trend;
    const double error = y[t] - (expected + season);
    sse += error * error;
    const double level = p.alpha * (y[t] - season) + (1 - p.alpha) * expected;
    s.trend = p.beta * (level - s.level) + (1 - p.beta) * p.phi * s.trend;
    season = p.gamma * (y[t] - level) + (1 - p.gamma) * season;
    s.level = level;
  }
  return sse;
}

// The smoothing constants are picked from a small grid by in-sample one-step squared error: 60
// runs over the series, cheap next to anything that reads a database. Trend options: none, a
// slow one barely damped, a quicker one damped hard (a trend seldom lasts in a shop's week).
std::vector<double> smoothing(std::span<const double> y, int horizon) {
  static constexpr double kAlphas[] = {0.05, 0.1, 0.2, 0.3, 0.5};
  static constexpr double kGammas[] = {0.05, 0.1, 0.2, 0.3};
  struct TrendOption {
    bool on;
    double beta, phi;
  };
  static constexpr TrendOption kTrends[] = {{false, 0, 0}, {true, 0.1, 0.98}, {true, 0.15, 0.9}};

  const Smoothing flat_seed = seed(y, false);
  const Smoothing trend_seed = seed(y, true);
  double best_sse = std::numeric_limits<double>::infinity();
  Smoothing best;
  SmoothingParams best_params{};
  for (const auto& trend : kTrends) {
    for (double alpha : kAlphas) {
      for (double gamma : kGammas) {
        const SmoothingParams p{alpha, trend.beta, gamma, trend.phi};
        Smoothing s = trend.on ? trend_seed : flat_seed;
        const double sse = run(y, p, s);
        if (sse < best_sse) {  // strict: the first (simplest, steadiest) of equals stays
          best_sse = sse;
          best = s;
          best_params = p;
        }
      }
    }
  }
  std::vector<double> out(static_cast<std::size_t>(horizon));
  double damping = 0, phi_h = 1;
  for (std::size_t h = 0; h < out.size(); ++h) {
    phi_h *= best_params.phi;
    damping += phi_h;
    const double f = best.level + damping * best.trend + best.season[(y.size() + h) % kWeek];
    out[h] = std::max(0.0, f);
  }
  return out;
}

// Average size of the days with sales and the share of days with any: where TSB starts from,
// so the first sale alone does not set it.
struct Sparse {
  double size = 0;
  double share = 0;
};
Sparse sparse(std::span<const double> y) {
  double sum = 0;
  int days = 0;
  for (double v : y) {
    if (v > 0) {
      sum += v;
      ++days;
    }
  }
  if (days == 0) return {};
  return {sum / days, static_cast<double>(days) / static_cast<double>(y.size())};
}

// Croston: sizes and the intervals between sales smoothed apart, updated only on days with a
// sale. The forecast is size / interval per day.
double croston_rate(std::span<const double> y) {
  // Starting interval: the days through the last sale over the sales, so that a silence at the
  // end (which Croston leaves alone) does not stretch it either.
  int sales = 0;
  std::size_t through_last_sale = 0;
  double sizes = 0;
  for (std::size_t t = 0; t < y.size(); ++t) {
    if (y[t] > 0) {
      ++sales;
      sizes += y[t];
      through_last_sale = t + 1;
    }
  }
  if (sales == 0) return 0;
  double size = sizes / sales, interval = static_cast<double>(through_last_sale) / sales;
  int since = 0;  // days since the last sale, counting today
  for (double v : y) {
    ++since;
    if (v <= 0) continue;
    size += kIntermittentAlpha * (v - size);
    interval += kIntermittentAlpha * (since - interval);
    since = 0;
  }
  return size / interval;
}

// TSB: the probability of a sale is smoothed every day, so it fades in a long silence.
double tsb_rate(std::span<const double> y) {
  const Sparse start = sparse(y);
  double size = start.size, share = start.share;
  for (double v : y) {
    if (v > 0) {
      size += kIntermittentAlpha * (v - size);
      share += kTsbBeta * (1 - share);
    } else {
      share -= kTsbBeta * share;
    }
  }
  return size * share;
}

bool slow_mover(std::span<const double> y) {
  const auto silent = std::count_if(y.begin(), y.end(), [](double v) { return v <= 0; });
  return 3 * silent > static_cast<std::ptrdiff_t>(y.size());
}

}  // namespace

std::string_view to_string(Method m) {
  switch (m) {
    case Method::kSeasonalNaive:
      return "seasonal_naive";
    case Method::kSmoothing:
      return "smoothing";
    case Method::kCroston:
      return "croston";
    case Method::kSba:
      return "sba";
    case Method::kTsb:
      return "tsb";
  }
  return "unknown";
}

std::vector<double> forecast(Method m, std::span<const double> history, int horizon) {
  if (horizon <= 0) return {};
  if (history.size() < static_cast<std::size_t>(kWeek)) return flat(mean(history), horizon);
  switch (m) {
    case Method::kSeasonalNaive:
      return seasonal_naive(history, horizon);
    case Method::kSmoothing:
      return smoothing(history, horizon);
    case Method::kCroston:
      return flat(croston_rate(history), horizon);
    case Method::kSba:
      return flat((1 - kIntermittentAlpha / 2) * croston_rate(history), horizon);
    case Method::kTsb:
      return flat(tsb_rate(history), horizon);
  }
  return flat(mean(history), horizon);
}

double wape(std::span<const double> actual, std::span<const double> predicted) {
  const std::size_t n = std::min(actual.size(), predicted.size());
  double error = 0, total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    error += std::fabs(actual[i] - predicted[i]);
    total += actual[i];
  }
  if (total <= 0) return error > 0 ? 1 : 0;
  return error / total;
}

double mase(std::span<const double> actual, std::span<const double> predicted,
            std::span<const double> history) {
  const std::size_t n = std::min(actual.size(), predicted.size());
  if (n == 0) return 0;
  double error = 0;
  for (std::size_t i = 0; i < n; ++i) error += std::fabs(actual[i] - predicted[i]);
  error /= static_cast<double>(n);
  double scale = 0;
  if (history.size() > static_cast<std::size_t>(kWeek)) {
    for (std::size_t t = kWeek; t < history.size(); ++t) {
      scale += std::fabs(history[t] - history[t - kWeek]);
    }
    scale /= static_cast<double>(history.size() - kWeek);
  }
  if (scale <= 0) return error > 0 ? 1 : 0;
  return error / scale;
}

SeriesForecast forecast_series(std::span<const double> history, int horizon,
                               const BacktestOptions& options) {
  SeriesForecast out;
  const int n = static_cast<int>(history.size());
  const int test_days = std::max(1, options.horizon);
  const int step = std::max(1, options.step);
  // Origins from the latest back; the last test window ends with the series.
  std::vector<int> origins;
  for (int k = 0; k < options.origins; ++k) {
    const int origin = n - test_days - k * step;
    if (origin < kMinTraining) break;
    origins.push_back(origin);
  }
  if (origins.empty()) {
    out.values = forecast(Method::kSeasonalNaive, history, horizon);
    return out;
  }
  std::reverse(origins.begin(), origins.end());

  std::vector<Method> candidates{Method::kSeasonalNaive};
  if (slow_mover(history)) {
    candidates.insert(candidates.end(), {Method::kCroston, Method::kSba, Method::kTsb});
  } else {
    candidates.push_back(Method::kSmoothing);
  }

  std::vector<double> actual;
  for (int origin : origins) {
    actual.insert(actual.end(), history.begin() + origin, history.begin() + origin + test_days);
  }
  auto backtest = [&](Method m) {
    std::vector<double> predicted;
    predicted.reserve(actual.size());
    for (int origin : origins) {
      const auto f = forecast(m, history.first(static_cast<std::size_t>(origin)), test_days);
      predicted.insert(predicted.end(), f.begin(), f.end());
    }
    return predicted;
  };
  auto abs_error = [&](const std::vector<double>& predicted) {
    double sum = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) sum += std::fabs(actual[i] - predicted[i]);
    return sum;
  };

  const std::vector<double> naive = backtest(Method::kSeasonalNaive);
  std::vector<double> best = naive;
  double best_error = abs_error(naive);
  out.naive_abs_error = best_error;
  for (std::size_t c = 1; c < candidates.size(); ++c) {
    std::vector<double> predicted = backtest(candidates[c]);
    const double error = abs_error(predicted);
    // Strictly better beyond rounding, so a tie keeps the simpler method listed first.
    if (error < best_error - 1e-9 * std::max(1.0, best_error)) {
      best_error = error;
      best = std::move(predicted);
      out.method = candidates[c];
    }
  }

  out.values = forecast(out.method, history, horizon);
  out.origins_used = static_cast<int>(origins.size());
  out.backtest_abs_error = best_error;
  for (double a : actual) out.backtest_actual_sum += a;
  out.backtest_wape = wape(actual, best);
  out.naive_wape = wape(actual, naive);
  // Scaled by the naive's in-sample error before the last origin: the most history any
  // origin saw, so the scale is steady.
  out.backtest_mase = mase(actual, best, history.first(static_cast<std::size_t>(origins.back())));
  // About zero, not about the errors' mean: a forecast that runs low needs the safety stock too.
  double squares = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    squares += (actual[i] - best[i]) * (actual[i] - best[i]);
  }
  out.residual_sd = std::sqrt(squares / static_cast<double>(actual.size()));
  return out;
}

}  // namespace freshlane::fresh
