#pragma once
// Offline evaluation of recommendations (reco/reco.hpp) against honest baselines. Pure: the
// baskets come in as values; `freshlane evaluate-reco` reads the file and prints.
//
// Bought together. The baskets are shuffled (seeded) and split 80/20. The store's counts learn
// the 80%; in each held-out basket with two or more distinct items one item, chosen uniformly
// (seeded), is hidden and the rest is the basket the customer has. The model ranks
// `together(rest)` and, past its candidates, the store's favourites; the baseline ranks the
// favourites alone (most bought first). Neither proposes what is already in the basket. A hit at
// k: the hidden item is among the first k.
//
// Buy again. Each customer with three or more trips: the history is every trip but the last,
// the truth the last trip's items. The model ranks `buy_again(history, at the last trip's
// time)`: it knows when the customer shops, as the app does when they open it to shop; the
// baseline ranks the customer's items by how many trips held them (latest last bought first on
// ties), as the issue asks. recall@k = hits / items in the last trip, precision@k = hits / k, F1
// from the two, each averaged over customers. Mind that the generator (sim/shoppers.hpp) draws
// repurchase gaps lognormal around each item's interval, the very shape `buy_again` assumes:
// the margin over the baseline is a model's on data of its own kind, not a field result.
#include <cstdint>
#include <string>
#include <vector>

#include "freshlane/sim/shoppers.hpp"

namespace freshlane::sim {

struct HitRates {
  double at5 = 0;
  double at10 = 0;
};

// Other scores for a candidate j given the basket B, tried on the same cases for the record
// (not served): the sum over i in B of cosine pair(i,j) / sqrt(n_i n_j), and of lift
// pair(i,j) N / (n_i n_j) with pairs seen fewer than 3 times left out.
struct Variant {
  std::string name;
  HitRates rates;
};

struct TogetherEvaluation {
  int train_baskets = 0;
  int cases = 0;  // held-out baskets with two or more items
  HitRates model;
  HitRates popular;
  std::vector<Variant> variants;  // cosine, lift
  std::size_t items = 0;
  std::size_t pairs = 0;
  std::size_t model_bytes = 0;  // StoreModel::memory_bytes of the trained counts
};

TogetherEvaluation evaluate_together(const std::vector<std::vector<std::string>>& baskets,
                                     std::uint64_t seed);

struct RecallF1 {
  double recall = 0;
  double precision = 0;
  double f1 = 0;
};

struct BuyAgainEvaluation {
  int customers = 0;  // evaluated (three or more trips)
  int trips = 0;
  RecallF1 model;
  RecallF1 frequent;
};

BuyAgainEvaluation evaluate_buy_again(const std::vector<Trip>& trips, int k = 10);

// One basket per line, items separated by commas (the Groceries file's format); blank lines
// are skipped, an item's surrounding spaces dropped, repeats within a basket counted once.
std::vector<std::vector<std::string>> parse_baskets(const std::string& text);

}  // namespace freshlane::sim
