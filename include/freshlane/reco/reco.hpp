#pragma once
// Recommendations from purchase counts: "buy it again" from a customer's own baskets, "bought
// together" from the store's. Pure: no I/O, time is a parameter.
//
// What is counted. A basket is one paid order, as its set of distinct SKUs. A store counts, per
// SKU, the baskets holding it, and per ordered pair of SKUs the baskets holding both (each pair
// in both directions). A customer's history at a store counts their baskets (first and last)
// and, per SKU, the baskets holding it (first and last). The server keeps these counts in
// PostgreSQL, updated in the payment's own transaction (storage/reco_repository.cpp);
// `StoreModel` and `learn` keep the very same counts in memory for the offline evaluation.
//
// Buy again: when is an item due? An item bought n >= 2 times, first at t1 and last at tn, has
// the customer's usual interval g = (tn - t1) / (n - 1). The customer's repurchase gap is taken
// as lognormal around g (log sd kGapSpread). At `now`, e days after tn, the chance the item is in
// this basket is the hazard of that gap over the window of one visit [e - v/2, e + v/2] (v the
// customer's usual time between baskets): P(gap in window | gap > e - v/2). An item long overdue
// (e beyond kStaleAfter intervals) fades: the customer may have stopped buying it. The estimate is
// blended with the item's share of the customer's baskets (n / baskets) by the confidence
// (n - 1) / (n + 1) that g means something; an item bought once has only its share.
//
// Bought together: for a basket B, a candidate j scores the sum over i in B of
// P(j | i) = pair(i, j) / (baskets with i + 1), and is explained by the i adding the most. Only
// pairs seen in kMinPairBaskets baskets or more count, and of each i's partners only the
// kPartnersPerSku most bought with it.
#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "freshlane/core/time.hpp"

namespace freshlane::reco {

// One SKU in one customer's history at one store.
struct Bought {
  std::string sku;
  int times = 0;  // baskets it was in
  core::Timestamp first{};
  core::Timestamp last{};
};

// One customer's history at one store.
struct Shopper {
  int baskets = 0;
  core::Timestamp first{};
  core::Timestamp last{};
  std::vector<Bought> items;
};

// Baskets at a store holding both `sku` and `other`.
struct Pair {
  std::string sku;
  std::string other;
  int baskets = 0;
};

enum class Why { kDue, kOftenWith, kFavourite };

struct Suggestion {
  std::string sku;
  double score = 0;
  Why why = Why::kFavourite;
  double every_days = 0;   // kDue: the customer's usual interval for it (0: bought once)
  double since_days = 0;   // kDue: days since it was last bought
  int times = 0;           // kDue: baskets it was in; kOftenWith/kFavourite: baskets counted
  std::string with_sku;    // kOftenWith: the basket's item it goes with best
  core::Timestamp last{};  // kDue: when it was last bought
};

inline constexpr double kGapSpread = 0.35;  // log sd of a repurchase gap around its interval
inline constexpr double kStaleAfter = 3.0;  // intervals overdue after which an item fades
// A pair seen in fewer baskets is never shown: one customer's basket is not for others to see.
inline constexpr int kMinPairBaskets = 2;
// Per basket item, the partners read (the most bought with it first): the server's and the
// evaluation's alike.
inline constexpr int kPartnersPerSku = 30;

// The customer's items, the most likely to be in their basket `now` first.
std::vector<Suggestion> buy_again(const Shopper& shopper, core::Timestamp now);

// Items to add to `basket` (SKUs), from the store's counts: `baskets_with` holds the count of
// baskets with each SKU of the basket (others may be there too) and `pairs` every pair whose
// `sku` is in the basket. Items of the basket are never suggested. Best first.
std::vector<Suggestion> together(const std::vector<std::string>& basket,
                                 const std::map<std::string, int>& baskets_with,
                                 const std::vector<Pair>& pairs);

// The store's most bought items (SKU, baskets), as suggestions in that order.
std::vector<Suggestion> favourites(const std::vector<std::pair<std::string, int>>& popular);

// The home screen: what is due, then what goes with it, then the store's favourites,
// interleaved two due to one other while both last, each SKU once.
std::vector<Suggestion> for_you(const std::vector<Suggestion>& due,
                                const std::vector<Suggestion>& with_them,
                                const std::vector<Suggestion>& favourite);

// Adds one basket (distinct SKUs) bought at `at` to a customer's history, as the server does.
void learn(Shopper& shopper, const std::vector<std::string>& basket, core::Timestamp at);

// The ordered pairs one basket adds to a store's counts (distinct SKUs, both directions).
std::vector<std::pair<std::string, std::string>> basket_pairs(std::vector<std::string> basket);

// A store's counts in memory, for the offline evaluation and the benchmark.
class StoreModel {
 public:
  void add_basket(const std::vector<std::string>& basket);
  std::vector<Suggestion> together(const std::vector<std::string>& basket) const;
  std::vector<Suggestion> favourites() const;
  int baskets() const { return baskets_; }
  int baskets_with(const std::string& sku) const;
  // The SKUs bought with `sku` and in how many baskets (nullptr: none).
  const std::unordered_map<std::string, int>* partners(const std::string& sku) const;
  std::size_t pairs() const;
  // Bytes held by the counts (keys, counters and hash-table overhead), estimated.
  std::size_t memory_bytes() const;

 private:
  int baskets_ = 0;
  std::unordered_map<std::string, int> items_;
  std::unordered_map<std::string, std::unordered_map<std::string, int>> pairs_;
};

}  // namespace freshlane::reco
