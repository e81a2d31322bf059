#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "freshlane/reco/reco.hpp"

namespace freshlane::reco {
namespace {

using std::chrono::days;
using std::chrono::hours;

const core::Timestamp kStart{std::chrono::seconds{1'800'000'000}};

std::vector<std::string> skus_of(const std::vector<Suggestion>& list) {
  std::vector<std::string> out;
  for (const auto& s : list) out.push_back(s.sku);
  return out;
}

// Milk every visit (3 days), crab every ~12 days, bread bought once.
Shopper regular() {
  Shopper s;
  for (int d = 0; d <= 36; d += 3) {
    std::vector<std::string> basket{"MILK"};
    if (d % 12 == 0) basket.push_back("CRAB");
    if (d == 3) basket.push_back("BREAD");
    learn(s, basket, kStart + days(d));
  }
  return s;
}

TEST(Reco, LearnCountsBasketsFirstAndLast) {
  Shopper s;
  learn(s, {"A", "B", "A"}, kStart + days(2));
  learn(s, {"A"}, kStart);
  learn(s, {}, kStart + days(9));  // an empty basket is no basket
  EXPECT_EQ(s.baskets, 2);
  EXPECT_EQ(s.first, kStart);
  EXPECT_EQ(s.last, kStart + days(2));
  ASSERT_EQ(s.items.size(), 2u);
  EXPECT_EQ(s.items[0].sku, "A");
  EXPECT_EQ(s.items[0].times, 2);
  EXPECT_EQ(s.items[0].first, kStart);
  EXPECT_EQ(s.items[0].last, kStart + days(2));
  EXPECT_EQ(s.items[1].times, 1);
}

TEST(Reco, AnItemIsDueAroundItsOwnInterval) {
  const Shopper s = regular();  // last basket day 36, crab last on day 36
  // Three days on: milk is due, crab (every 12 days) is not.
  auto ranked = buy_again(s, kStart + days(39));
  ASSERT_FALSE(ranked.empty());
  EXPECT_EQ(ranked[0].sku, "MILK");
  EXPECT_NEAR(ranked[0].every_days, 3, 1e-9);
  const auto crab = std::find_if(ranked.begin(), ranked.end(),
                                 [](const Suggestion& x) { return x.sku == "CRAB"; });
  ASSERT_NE(crab, ranked.end());
  EXPECT_NEAR(crab->every_days, 12, 1e-9);
  EXPECT_NEAR(crab->since_days, 3, 1e-9);
  const double crab_early = crab->score;
  // Twelve days on, crab is due and now scores far higher than it did.
  ranked = buy_again(s, kStart + days(48));
  const auto crab_due = std::find_if(ranked.begin(), ranked.end(),
                                     [](const Suggestion& x) { return x.sku == "CRAB"; });
  EXPECT_GT(crab_due->score, crab_early * 2);
  // Bread, bought once, keeps only its share of the baskets.
  const auto bread = std::find_if(ranked.begin(), ranked.end(),
                                  [](const Suggestion& x) { return x.sku == "BREAD"; });
  EXPECT_EQ(bread->every_days, 0);
  EXPECT_NEAR(bread->score, 1.0 / s.baskets, 1e-9);
  EXPECT_EQ(ranked.back().sku, "BREAD");
}

TEST(Reco, AnItemLongOverdueFades) {
  const Shopper s = regular();
  const auto due = buy_again(s, kStart + days(48));
  const auto stale = buy_again(s, kStart + days(36 + 12 * 6));
  auto score = [](const std::vector<Suggestion>& list, const std::string& sku) {
    for (const auto& x : list) {
      if (x.sku == sku) return x.score;
    }
    return -1.0;
  };
  EXPECT_LT(score(stale, "CRAB"), score(due, "CRAB") * 0.5);
}

TEST(Reco, TogetherRanksByConditionalShareAndNamesTheReason) {
  StoreModel m;
  for (int i = 0; i < 10; ++i) m.add_basket({"CRAB", "LEMON"});
  for (int i = 0; i < 3; ++i) m.add_basket({"CRAB", "BUTTER"});
  for (int i = 0; i < 40; ++i) m.add_basket({"MILK", "BREAD"});
  m.add_basket({"CRAB", "MILK"});
  const auto ranked = m.together({"CRAB"});
  // Milk was bought with crab once: one customer's basket is shown to nobody.
  ASSERT_EQ(skus_of(ranked), (std::vector<std::string>{"LEMON", "BUTTER"}));
  EXPECT_EQ(ranked[0].why, Why::kOftenWith);
  EXPECT_EQ(ranked[0].with_sku, "CRAB");
  EXPECT_EQ(ranked[0].times, 10);
  EXPECT_NEAR(ranked[0].score, 10.0 / 15, 1e-9);  // 14 baskets with crab, plus one
  // Never what the basket holds; the strongest partner explains a candidate.
  const auto two = m.together({"CRAB", "MILK"});
  for (const auto& s : two) {
    EXPECT_NE(s.sku, "CRAB");
    EXPECT_NE(s.sku, "MILK");
  }
  EXPECT_EQ(two[0].sku, "BREAD");
  EXPECT_EQ(two[0].with_sku, "MILK");
  EXPECT_EQ(m.favourites()[0].sku, "MILK");
  EXPECT_EQ(m.baskets(), 54);
  EXPECT_EQ(m.pairs(), 8u);
  EXPECT_GT(m.memory_bytes(), 8u * 32);
}

TEST(Reco, OnlyTheMostBoughtPartnersAreRead) {
  StoreModel m;
  for (int partner = 0; partner < kPartnersPerSku + 5; ++partner) {
    for (int n = 0; n < 2 + partner; ++n)
      m.add_basket({"HUB", "P" + std::to_string(100 + partner)});
  }
  const auto ranked = m.together({"HUB"});
  ASSERT_EQ(ranked.size(), static_cast<std::size_t>(kPartnersPerSku));
  EXPECT_EQ(ranked.front().sku, "P" + std::to_string(100 + kPartnersPerSku + 4));
  EXPECT_EQ(ranked.back().sku, "P105");  // the five bought least are not read
  // The same rule over stored counts: a pair below the minimum never counts.
  EXPECT_TRUE(together({"A"}, {{"A", 5}}, {Pair{"A", "B", kMinPairBaskets - 1}}).empty());
  EXPECT_EQ(together({"A"}, {{"A", 5}}, {Pair{"A", "B", kMinPairBaskets}}).size(), 1u);
}

TEST(Reco, BasketPairsAreDistinctAndBothWays) {
  const auto pairs = basket_pairs({"B", "A", "B", "C"});
  EXPECT_EQ(pairs.size(), 6u);
  EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"A", "B"}));
  EXPECT_TRUE(basket_pairs({"A"}).empty());
  EXPECT_TRUE(basket_pairs({}).empty());
}

TEST(Reco, ForYouInterleavesDueWithOthersOnce) {
  auto make = [](std::vector<std::string> skus, Why why) {
    std::vector<Suggestion> out;
    for (auto& sku : skus) {
      Suggestion s;
      s.sku = sku;
      s.score = 1;
      s.why = why;
      out.push_back(std::move(s));
    }
    return out;
  };
  const auto mixed =
      for_you(make({"D1", "D2", "D3", "X"}, Why::kDue), make({"X", "T1"}, Why::kOftenWith),
              make({"F1", "D1"}, Why::kFavourite));
  EXPECT_EQ(skus_of(mixed), (std::vector<std::string>{"D1", "D2", "X", "D3", "T1", "F1"}));
  EXPECT_EQ(mixed[2].why, Why::kOftenWith);  // X came as a partner before its due turn
  // A new customer: favourites only.
  EXPECT_EQ(skus_of(for_you({}, {}, make({"F1", "F2"}, Why::kFavourite))),
            (std::vector<std::string>{"F1", "F2"}));
}

TEST(Reco, NothingKnownGivesNothing) {
  EXPECT_TRUE(buy_again(Shopper{}, kStart).empty());
  EXPECT_TRUE(together({"A"}, {}, {}).empty());
  EXPECT_TRUE(StoreModel().together({"A"}).empty());
  // Bought twice in the same hour: an interval of an hour, not a division by zero.
  Shopper s;
  learn(s, {"A"}, kStart);
  learn(s, {"A"}, kStart);
  const auto r = buy_again(s, kStart + hours(2));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(std::isfinite(r[0].score));
}

}  // namespace
}  // namespace freshlane::reco
