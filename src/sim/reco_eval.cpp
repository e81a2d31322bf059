#include "freshlane/sim/reco_eval.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "freshlane/reco/reco.hpp"
#include "random.hpp"

namespace freshlane::sim {

namespace {

using detail::Rng;

// The first k SKUs of `ranked`, then of `fill`, skipping `exclude` and repeats.
std::vector<std::string> first_k(const std::vector<reco::Suggestion>& ranked,
                                 const std::vector<reco::Suggestion>& fill,
                                 const std::set<std::string>& exclude, std::size_t k) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto* list : {&ranked, &fill}) {
    for (const auto& s : *list) {
      if (out.size() == k) return out;
      if (exclude.count(s.sku) || !seen.insert(s.sku).second) continue;
      out.push_back(s.sku);
    }
  }
  return out;
}

// The variants' scores (see reco_eval.hpp), as suggestions best first.
std::vector<reco::Suggestion> variant(const reco::StoreModel& model,
                                      const std::vector<std::string>& basket, bool lift) {
  std::map<std::string, double> score;
  for (const auto& i : basket) {
    const auto* partners = model.partners(i);
    if (!partners) continue;
    const double ni = model.baskets_with(i);
    for (const auto& [j, pair] : *partners) {
      const double nj = model.baskets_with(j);
      if (lift) {
        if (pair >= 3) score[j] += pair * model.baskets() / (ni * nj);
      } else {
        score[j] += pair / std::sqrt(ni * nj);
      }
    }
  }
  std::vector<reco::Suggestion> out;
  for (const auto& [sku, v] : score) {
    reco::Suggestion s;
    s.sku = sku;
    s.score = v;
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.score != b.score ? a.score > b.score : a.sku < b.sku;
  });
  return out;
}

bool among(const std::vector<std::string>& ranked, const std::string& sku, std::size_t k) {
  return std::find(ranked.begin(), ranked.begin() + std::min(k, ranked.size()), sku) !=
         ranked.begin() + std::min(k, ranked.size());
}

RecallF1 score(const std::vector<std::string>& ranked, const std::set<std::string>& truth, int k) {
  int hits = 0;
  for (std::size_t i = 0; i < ranked.size() && i < static_cast<std::size_t>(k); ++i) {
    hits += truth.count(ranked[i]) ? 1 : 0;
  }
  RecallF1 r;
  r.recall = truth.empty() ? 0 : static_cast<double>(hits) / truth.size();
  r.precision = static_cast<double>(hits) / k;
  r.f1 = hits == 0 ? 0 : 2 * r.recall * r.precision / (r.recall + r.precision);
  return r;
}

}  // namespace

TogetherEvaluation evaluate_together(const std::vector<std::vector<std::string>>& baskets,
                                     std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::size_t> order(baskets.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (std::size_t i = order.size(); i > 1; --i) {  // Fisher-Yates
    std::swap(order[i - 1], order[static_cast<std::size_t>(rng.pick(static_cast<int>(i)))]);
  }
  const std::size_t held_out = baskets.size() / 5;
  reco::StoreModel model;
  for (std::size_t i = held_out; i < order.size(); ++i) model.add_basket(baskets[order[i]]);

  TogetherEvaluation out;
  out.train_baskets = model.baskets();
  const auto favourites = model.favourites();
  int model5 = 0, model10 = 0, popular5 = 0, popular10 = 0;
  int variant5[2] = {0, 0}, variant10[2] = {0, 0};
  for (std::size_t i = 0; i < held_out; ++i) {
    std::vector<std::string> basket = baskets[order[i]];
    std::sort(basket.begin(), basket.end());
    basket.erase(std::unique(basket.begin(), basket.end()), basket.end());
    if (basket.size() < 2) continue;
    const std::size_t hide = static_cast<std::size_t>(rng.pick(static_cast<int>(basket.size())));
    const std::string hidden = basket[hide];
    basket.erase(basket.begin() + static_cast<std::ptrdiff_t>(hide));
    const std::set<std::string> rest(basket.begin(), basket.end());
    const auto ranked = first_k(model.together(basket), favourites, rest, 10);
    const auto popular = first_k(favourites, {}, rest, 10);
    ++out.cases;
    model5 += among(ranked, hidden, 5);
    model10 += among(ranked, hidden, 10);
    popular5 += among(popular, hidden, 5);
    popular10 += among(popular, hidden, 10);
    for (int v = 0; v < 2; ++v) {
      const auto other = first_k(variant(model, basket, v == 1), favourites, rest, 10);
      variant5[v] += among(other, hidden, 5);
      variant10[v] += among(other, hidden, 10);
    }
  }
  if (out.cases > 0) {
    const double n = out.cases;
    out.model = {model5 / n, model10 / n};
    out.popular = {popular5 / n, popular10 / n};
    out.variants = {{"cosine", {variant5[0] / n, variant10[0] / n}},
                    {"lift (pairs seen 3+ times)", {variant5[1] / n, variant10[1] / n}}};
  }
  out.items = favourites.size();
  out.pairs = model.pairs();
  out.model_bytes = model.memory_bytes();
  return out;
}

BuyAgainEvaluation evaluate_buy_again(const std::vector<Trip>& trips, int k) {
  std::map<int, std::vector<const Trip*>> by_customer;
  for (const auto& t : trips) by_customer[t.customer].push_back(&t);
  BuyAgainEvaluation out;
  out.trips = static_cast<int>(trips.size());
  RecallF1 model_sum, frequent_sum;
  for (auto& [customer, own] : by_customer) {
    if (own.size() < 3) continue;
    std::stable_sort(own.begin(), own.end(),
                     [](const Trip* a, const Trip* b) { return a->at < b->at; });
    reco::Shopper history;
    for (std::size_t i = 0; i + 1 < own.size(); ++i) reco::learn(history, own[i]->skus, own[i]->at);
    const Trip& last = *own.back();
    const std::set<std::string> truth(last.skus.begin(), last.skus.end());

    std::vector<std::string> model;
    for (const auto& s : reco::buy_again(history, last.at)) model.push_back(s.sku);
    auto items = history.items;
    std::stable_sort(items.begin(), items.end(), [](const reco::Bought& a, const reco::Bought& b) {
      if (a.times != b.times) return a.times > b.times;
      if (a.last != b.last) return a.last > b.last;
      return a.sku < b.sku;
    });
    std::vector<std::string> frequent;
    for (const auto& b : items) frequent.push_back(b.sku);

    const auto m = score(model, truth, k);
    const auto f = score(frequent, truth, k);
    model_sum = {model_sum.recall + m.recall, model_sum.precision + m.precision,
                 model_sum.f1 + m.f1};
    frequent_sum = {frequent_sum.recall + f.recall, frequent_sum.precision + f.precision,
                    frequent_sum.f1 + f.f1};
    ++out.customers;
  }
  if (out.customers > 0) {
    const double n = out.customers;
    out.model = {model_sum.recall / n, model_sum.precision / n, model_sum.f1 / n};
    out.frequent = {frequent_sum.recall / n, frequent_sum.precision / n, frequent_sum.f1 / n};
  }
  return out;
}

std::vector<std::vector<std::string>> parse_baskets(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::vector<std::string> basket;
    std::set<std::string> seen;
    std::size_t from = at;
    while (from <= end) {
      std::size_t comma = text.find(',', from);
      if (comma == std::string::npos || comma > end) comma = end;
      std::string item = text.substr(from, comma - from);
      const auto first = item.find_first_not_of(" \t\r");
      const auto last = item.find_last_not_of(" \t\r");
      item = first == std::string::npos ? "" : item.substr(first, last - first + 1);
      if (!item.empty() && seen.insert(item).second) basket.push_back(item);
      from = comma + 1;
    }
    if (!basket.empty()) out.push_back(std::move(basket));
    at = end + 1;
  }
  return out;
}

}  // namespace freshlane::sim
