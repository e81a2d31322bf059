#include "freshlane/fresh/forecast.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

using namespace freshlane::fresh;

namespace {

constexpr double kWeekPattern[] = {20, 22, 25, 30, 45, 60, 40};  // Mon..Sun, a busy weekend

std::vector<double> weekly(int days, double slope = 0) {
  std::vector<double> y;
  for (int i = 0; i < days; ++i) y.push_back(kWeekPattern[i % 7] + slope * i);
  return y;
}

// Noise from mt19937's raw output, which the standard fixes, so the series are the same with
// every standard library: roughly normal, sd about `sd`.
class Noise {
 public:
  explicit Noise(std::uint32_t seed) : engine_(seed) {}
  double operator()(double sd) {
    double sum = 0;
    for (int i = 0; i < 3; ++i) sum += uniform() * 2 - 1;
    return sum * sd;  // the sum of three U(-1, 1) has sd 1
  }
  double uniform() { return static_cast<double>(engine_()) / 4294967296.0; }

 private:
  std::mt19937 engine_;
};

std::vector<double> noisy_weekly(int days, double sd, std::uint32_t seed) {
  Noise noise(seed);
  std::vector<double> y = weekly(days);
  for (double& v : y) v = std::max(0.0, v + noise(sd));
  return y;
}

// A slow mover: a sale of 2-6 units every 1-3 days, about half the days silent.
std::vector<double> sparse(int days, std::uint32_t seed) {
  Noise noise(seed);
  std::vector<double> y(static_cast<std::size_t>(days), 0.0);
  for (int i = 1; i < days; i += 1 + static_cast<int>(noise.uniform() * 3)) {
    y[static_cast<std::size_t>(i)] = 2 + static_cast<int>(noise.uniform() * 5);
  }
  return y;
}

std::vector<double> every_third_day(int days, double size) {
  std::vector<double> y(static_cast<std::size_t>(days), 0.0);
  for (int i = 2; i < days; i += 3) y[static_cast<std::size_t>(i)] = size;
  return y;
}

}  // namespace

TEST(Forecast, SeasonalNaiveRepeatsLastWeekExactly) {
  std::vector<double> y = weekly(21);
  y[14] = 7;  // last week's Monday was odd: the naive repeats it anyway
  const auto f = forecast(Method::kSeasonalNaive, y, 10);
  ASSERT_EQ(f.size(), 10u);
  for (int h = 0; h < 10; ++h) EXPECT_EQ(f[h], y[14 + h % 7]) << h;
}

TEST(Forecast, ShortOrEmptyHistoryFallsBackToItsMean) {
  const std::vector<double> y{2, 4, 6};
  for (Method m : kAllMethods) {
    EXPECT_EQ(forecast(m, y, 3), (std::vector<double>{4, 4, 4})) << to_string(m);
    EXPECT_EQ(forecast(m, {}, 2), (std::vector<double>{0, 0})) << to_string(m);
    EXPECT_TRUE(forecast(m, y, 0).empty());
  }
}

TEST(Forecast, SmoothingForecastsAPureWeeklyPattern) {
  const auto y = weekly(56);
  const auto f = forecast(Method::kSmoothing, y, 14);
  for (int h = 0; h < 14; ++h) EXPECT_NEAR(f[h], kWeekPattern[(56 + h) % 7], 0.01) << h;
}

TEST(Forecast, SmoothingFollowsALinearTrend) {
  std::vector<double> y;
  for (int i = 0; i < 60; ++i) y.push_back(10 + 0.5 * i);
  const auto f = forecast(Method::kSmoothing, y, 7);
  // The trend is damped, so the forecast falls a little more short of the line each day.
  for (int h = 0; h < 7; ++h) EXPECT_NEAR(f[h], 10 + 0.5 * (60 + h), 0.25 + 0.15 * h) << h;
  EXPECT_GT(f[6], f[0] + 2);  // still rising
}

TEST(Forecast, SmoothingFollowsATrendUnderAWeeklyPattern) {
  const auto y = weekly(63, 0.3);
  const auto f = forecast(Method::kSmoothing, y, 7);
  for (int h = 0; h < 7; ++h) EXPECT_NEAR(f[h], kWeekPattern[(63 + h) % 7] + 0.3 * (63 + h), 1.0);
}

TEST(Forecast, EveryMethodForecastsAConstantSeriesAsThatConstant) {
  const std::vector<double> y(40, 12.0);
  for (Method m : kAllMethods) {
    for (double v : forecast(m, y, 7))
      EXPECT_NEAR(v, m == Method::kSba ? 12 * 0.95 : 12, 1e-9) << to_string(m);
  }
}

TEST(Forecast, NeverNegative) {
  std::vector<double> y;  // falling fast to zero: a trend would run below it
  for (int i = 0; i < 28; ++i) y.push_back(std::max(0.0, 50 - 3.0 * i));
  for (Method m : kAllMethods) {
    for (double v : forecast(m, y, 14)) EXPECT_GE(v, 0) << to_string(m);
  }
}

TEST(Forecast, CrostonForecastsSizeOverInterval) {
  const auto y = every_third_day(60, 6);
  const auto f = forecast(Method::kCroston, y, 5);
  for (double v : f) EXPECT_NEAR(v, 2.0, 0.05);
}

TEST(Forecast, SbaIsCrostonLessTheBiasCorrection) {
  const auto y = sparse(90, 3);
  const double croston = forecast(Method::kCroston, y, 1)[0];
  const double sba = forecast(Method::kSba, y, 1)[0];
  EXPECT_GT(croston, 0);
  EXPECT_NEAR(sba, croston * (1 - 0.1 / 2), 1e-12);
}

TEST(Forecast, TsbFadesInALongSilenceAndCrostonDoesNot) {
  auto y = every_third_day(60, 6);
  const double tsb_before = forecast(Method::kTsb, y, 1)[0];
  y.insert(y.end(), 40, 0.0);  // the item stopped selling
  const double croston = forecast(Method::kCroston, y, 1)[0];
  const double tsb = forecast(Method::kTsb, y, 1)[0];
  EXPECT_NEAR(tsb_before, 2.0, 0.3);
  EXPECT_LT(tsb, 0.05 * tsb_before);
  EXPECT_NEAR(croston, 2.0, 0.05);
}

TEST(Forecast, IntermittentMethodsForecastZeroWithoutSales) {
  const std::vector<double> y(20, 0.0);
  for (Method m : {Method::kCroston, Method::kSba, Method::kTsb}) {
    EXPECT_EQ(forecast(m, y, 3), (std::vector<double>{0, 0, 0})) << to_string(m);
  }
}

TEST(Accuracy, WapeKnownValues) {
  const std::vector<double> a{10, 0, 5, 5};
  const std::vector<double> f{8, 1, 5, 8};
  EXPECT_DOUBLE_EQ(wape(a, f), (2.0 + 1 + 0 + 3) / 20);
  EXPECT_EQ(wape(std::vector<double>{0, 0}, std::vector<double>{0, 0}), 0);
  EXPECT_EQ(wape(std::vector<double>{0, 0}, std::vector<double>{1, 0}), 1);
  EXPECT_EQ(wape({}, {}), 0);
}

TEST(Accuracy, MaseScalesByTheInSampleSeasonalNaive) {
  // In sample: day 7 vs day 0 differs by 4, day 8 vs day 1 by 2: scale 3.
  const std::vector<double> history{1, 2, 3, 4, 5, 6, 7, 5, 4};
  const std::vector<double> a{10, 10};
  const std::vector<double> f{7, 13};
  EXPECT_DOUBLE_EQ(mase(a, f, history), 3.0 / 3.0);
  EXPECT_DOUBLE_EQ(mase(a, std::vector<double>{10, 4}, history), 3.0 / 3.0);
  EXPECT_DOUBLE_EQ(mase(a, std::vector<double>{9, 10}, history), 0.5 / 3.0);
  // A history that repeats every week gives a scale of zero.
  const std::vector<double> repeating = weekly(14);
  EXPECT_EQ(mase(a, a, repeating), 0);
  EXPECT_EQ(mase(a, f, repeating), 1);
  EXPECT_EQ(mase(a, f, std::vector<double>{1, 2}), 1);  // no scale at all: too short
}

TEST(ForecastSeries, ChoosesSmoothingForANoisyWeeklySeriesAndBeatsTheNaive) {
  const auto y = noisy_weekly(120, 4, 17);
  const auto s = forecast_series(y, 7);
  EXPECT_EQ(s.method, Method::kSmoothing);
  EXPECT_EQ(s.origins_used, 4);
  EXPECT_LT(s.backtest_wape, s.naive_wape);
  EXPECT_LT(s.backtest_abs_error, s.naive_abs_error);
  EXPECT_LT(s.backtest_mase, 1);
  EXPECT_NEAR(s.backtest_wape, s.backtest_abs_error / s.backtest_actual_sum, 1e-12);
  double actual = 0;  // the last four weeks
  for (int i = 120 - 28; i < 120; ++i) actual += y[i];
  EXPECT_NEAR(s.backtest_actual_sum, actual, 1e-9);
  EXPECT_GT(s.residual_sd, 1);  // noise sd 4: errors of about that size, not zero
  EXPECT_LT(s.residual_sd, 8);
  ASSERT_EQ(s.values.size(), 7u);
  for (int h = 0; h < 7; ++h) EXPECT_NEAR(s.values[h], kWeekPattern[(120 + h) % 7], 6) << h;
}

TEST(ForecastSeries, ChoosesAnIntermittentMethodForASlowMover) {
  const auto y = sparse(120, 5);
  const auto s = forecast_series(y, 7, {.horizon = 7, .origins = 8, .step = 7});
  EXPECT_TRUE(s.method == Method::kCroston || s.method == Method::kSba || s.method == Method::kTsb)
      << to_string(s.method);
  EXPECT_LT(s.backtest_abs_error, s.naive_abs_error);
  EXPECT_EQ(s.origins_used, 8);
}

TEST(ForecastSeries, TheChoiceIsDeterministic) {
  const auto y = noisy_weekly(200, 6, 99);
  const auto a = forecast_series(y, 14);
  const auto b = forecast_series(y, 14);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.backtest_abs_error, b.backtest_abs_error);
}

TEST(ForecastSeries, APureWeeklyPatternTiesAndKeepsTheSeasonalNaive) {
  const auto s = forecast_series(weekly(56), 7);
  EXPECT_EQ(s.method, Method::kSeasonalNaive);  // both exact: the simpler wins
  EXPECT_EQ(s.backtest_abs_error, 0);
  EXPECT_EQ(s.backtest_wape, 0);
}

TEST(ForecastSeries, TooShortForOneOriginGetsTheNaiveAndNoFigures) {
  const auto y = weekly(16);  // an origin needs two weeks before its seven test days
  const auto s = forecast_series(y, 7);
  EXPECT_EQ(s.method, Method::kSeasonalNaive);
  EXPECT_EQ(s.origins_used, 0);
  EXPECT_EQ(s.backtest_wape, 0);
  EXPECT_EQ(s.residual_sd, 0);
  for (int h = 0; h < 7; ++h) EXPECT_EQ(s.values[h], y[9 + h]);

  const auto tiny = forecast_series(std::vector<double>{3, 5}, 2);
  EXPECT_EQ(tiny.values, (std::vector<double>{4, 4}));
  EXPECT_TRUE(forecast_series({}, 3).values == (std::vector<double>{0, 0, 0}));
}

TEST(ForecastSeries, UsesOnlyTheOriginsThatFit) {
  const auto s = forecast_series(weekly(30), 7);  // origins at 23 and 16; 9 is too early
  EXPECT_EQ(s.origins_used, 2);
}
