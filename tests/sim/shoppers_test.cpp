#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "freshlane/sim/reco_eval.hpp"
#include "freshlane/sim/shoppers.hpp"

namespace freshlane::sim {
namespace {

const core::Timestamp kStart{std::chrono::seconds{1'800'000'000}};

std::vector<std::string> catalog(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("SKU" + std::to_string(i));
  return out;
}

TEST(Shoppers, TripsAreDeterministicOrderedAndInsideTheWeeks) {
  ShopperConfig c;
  c.customers = 50;
  c.days = 28;
  const auto a = generate_trips(c, catalog(60), kStart);
  const auto b = generate_trips(c, catalog(60), kStart);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_GT(a.size(), 50u * 2);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].skus, b[i].skus);
    EXPECT_EQ(a[i].at, b[i].at);
    EXPECT_GE(a[i].at, kStart);
    EXPECT_LT(a[i].at, kStart + std::chrono::days(c.days));
    if (i > 0) {
      EXPECT_GE(a[i].at, a[i - 1].at);
    }
    EXPECT_EQ(std::set<std::string>(a[i].skus.begin(), a[i].skus.end()).size(), a[i].skus.size());
  }
  c.seed = 2;
  EXPECT_NE(generate_trips(c, catalog(60), kStart).size(), 0u);
  EXPECT_TRUE(generate_trips(c, catalog(1), kStart).empty());
}

// Habits, not chance: an item a customer buys again comes back at its own steady interval
// (gaps that vary little, where items drawn at random would come back at random), and a
// customer's items keep different intervals (not everything on every trip).
TEST(Shoppers, EachItemComesBackAtItsOwnSteadyInterval) {
  ShopperConfig c;
  c.customers = 100;
  const auto trips = generate_trips(c, catalog(200), kStart);
  std::map<std::pair<int, std::string>, std::vector<double>> bought;  // days
  for (const auto& t : trips) {
    for (const auto& sku : t.skus) {
      bought[{t.customer, sku}].push_back(static_cast<double>((t.at - kStart).count()) / 86400);
    }
  }
  std::vector<double> spreads;                     // gaps' sd / mean, per repeated item
  std::map<int, std::pair<double, double>> range;  // per customer: shortest, longest mean gap
  for (const auto& [key, days] : bought) {
    if (days.size() < 4) continue;
    double mean = 0, var = 0;
    for (std::size_t i = 1; i < days.size(); ++i) mean += days[i] - days[i - 1];
    mean /= static_cast<double>(days.size() - 1);
    for (std::size_t i = 1; i < days.size(); ++i) {
      var += (days[i] - days[i - 1] - mean) * (days[i] - days[i - 1] - mean);
    }
    spreads.push_back(std::sqrt(var / static_cast<double>(days.size() - 1)) / mean);
    auto [it, fresh] = range.try_emplace(key.first, mean, mean);
    it->second = {std::min(it->second.first, mean), std::max(it->second.second, mean)};
  }
  ASSERT_GT(spreads.size(), 500u);
  std::sort(spreads.begin(), spreads.end());
  EXPECT_LT(spreads[spreads.size() / 2], 0.45);  // random returns: about 1
  int varied = 0;
  for (const auto& [customer, r] : range) varied += r.second >= 2 * r.first;
  EXPECT_GT(varied, static_cast<int>(range.size()) / 2);
}

TEST(RecoEvaluation, BuyAgainBeatsMostFrequentOnHabitualCustomers) {
  ShopperConfig c;
  c.customers = 400;
  const auto e = evaluate_buy_again(generate_trips(c, catalog(200), kStart));
  EXPECT_GT(e.customers, 300);
  EXPECT_GT(e.frequent.recall, 0.2);
  EXPECT_GT(e.model.recall, e.frequent.recall * 1.05);
  EXPECT_GT(e.model.f1, e.frequent.f1 * 1.05);
}

TEST(RecoEvaluation, TogetherFindsPartnersPopularityCannot) {
  // Half the baskets pair an item with its partner; popular items fill the rest.
  std::vector<std::vector<std::string>> baskets;
  for (int i = 0; i < 2000; ++i) {
    const int k = i % 40;
    baskets.push_back({"P" + std::to_string(k), "Q" + std::to_string(k), "MILK"});
    baskets.push_back({"MILK", "BREAD", "EGGS"});
  }
  const auto e = evaluate_together(baskets, 7);
  EXPECT_EQ(e.train_baskets, 3200);
  EXPECT_EQ(e.cases, 800);
  EXPECT_GT(e.model.at10, 0.95);
  EXPECT_LT(e.popular.at10, 0.75);
  EXPECT_GT(e.model_bytes, 0u);
}

TEST(RecoEvaluation, BasketsParseAsTheGroceriesFileWritesThem) {
  const auto b =
      parse_baskets("citrus fruit,semi-finished bread, margarine\n\nwhole milk,whole milk\r\n");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], (std::vector<std::string>{"citrus fruit", "semi-finished bread", "margarine"}));
  EXPECT_EQ(b[1], (std::vector<std::string>{"whole milk"}));
}

}  // namespace
}  // namespace freshlane::sim
