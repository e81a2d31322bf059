#include "freshlane/reco/reco.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace freshlane::reco {

namespace {

constexpr double kDaySeconds = 86400.0;
constexpr double kDefaultVisitDays = 7.0;  // a customer with one basket so far

double days_between(core::Timestamp from, core::Timestamp to) {
  return static_cast<double>((to - from).count()) / kDaySeconds;
}

// P(gap <= x) for a gap lognormal around `interval` days.
double gap_cdf(double x, double interval) {
  if (x <= 0) return 0;
  return 0.5 * std::erfc(-std::log(x / interval) / (kGapSpread * std::sqrt(2.0)));
}

void best_first(std::vector<Suggestion>& out) {
  std::stable_sort(out.begin(), out.end(), [](const Suggestion& a, const Suggestion& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.sku < b.sku;
  });
}

}  // namespace

std::vector<Suggestion> buy_again(const Shopper& shopper, core::Timestamp now) {
  const double visit = shopper.baskets >= 2 ? std::max(days_between(shopper.first, shopper.last) /
                                                           static_cast<double>(shopper.baskets - 1),
                                                       1.0 / 24)
                                            : kDefaultVisitDays;
  std::vector<Suggestion> out;
  out.reserve(shopper.items.size());
  for (const auto& item : shopper.items) {
    if (item.times <= 0) continue;
    Suggestion s;
    s.sku = item.sku;
    s.why = Why::kDue;
    s.times = item.times;
    s.since_days = std::max(0.0, days_between(item.last, now));
    s.last = item.last;
    const double share =
        std::min(1.0, static_cast<double>(item.times) / std::max(shopper.baskets, item.times));
    double p = share;
    if (item.times >= 2) {
      // Bought the same day (or within an hour) throughout: an interval of an hour, not zero.
      s.every_days = std::max(days_between(item.first, item.last) / (item.times - 1), 1.0 / 24);
      const double from = std::max(0.0, s.since_days - visit / 2);
      const double to = s.since_days + visit / 2;
      const double survive = 1 - gap_cdf(from, s.every_days);
      double hazard = survive <= 1e-9 ? 1.0 : (gap_cdf(to, s.every_days) - (1 - survive)) / survive;
      const double overdue = s.since_days / s.every_days;
      if (overdue > kStaleAfter) hazard *= std::exp(-(overdue - kStaleAfter));
      const double confidence = static_cast<double>(item.times - 1) / (item.times + 1);
      p = confidence * hazard + (1 - confidence) * share;
    }
    s.score = p;
    out.push_back(std::move(s));
  }
  best_first(out);
  return out;
}

std::vector<Suggestion> together(const std::vector<std::string>& basket,
                                 const std::map<std::string, int>& baskets_with,
                                 const std::vector<Pair>& pairs) {
  const std::set<std::string> in_basket(basket.begin(), basket.end());
  std::map<std::string, Suggestion> by_sku;
  std::map<std::string, double> best_part;  // the largest single contribution to each
  for (const auto& pair : pairs) {
    if (!in_basket.count(pair.sku) || in_basket.count(pair.other) ||
        pair.baskets < kMinPairBaskets) {
      continue;
    }
    const auto with = baskets_with.find(pair.sku);
    // Never fewer baskets with i than with i and j (counts read a moment apart, or none).
    const int base =
        with == baskets_with.end() ? pair.baskets : std::max(with->second, pair.baskets);
    const double part = static_cast<double>(pair.baskets) / (base + 1);
    auto& s = by_sku[pair.other];
    s.sku = pair.other;
    s.why = Why::kOftenWith;
    s.score += part;
    auto& best = best_part[pair.other];
    if (part > best || (part == best && (s.with_sku.empty() || pair.sku < s.with_sku))) {
      best = part;
      s.with_sku = pair.sku;
      s.times = pair.baskets;
    }
  }
  std::vector<Suggestion> out;
  out.reserve(by_sku.size());
  for (auto& [sku, s] : by_sku) out.push_back(std::move(s));
  best_first(out);
  return out;
}

std::vector<Suggestion> favourites(const std::vector<std::pair<std::string, int>>& popular) {
  std::vector<Suggestion> out;
  out.reserve(popular.size());
  for (const auto& [sku, baskets] : popular) {
    Suggestion s;
    s.sku = sku;
    s.score = baskets;
    s.times = baskets;
    out.push_back(std::move(s));
  }
  best_first(out);
  return out;
}

std::vector<Suggestion> for_you(const std::vector<Suggestion>& due,
                                const std::vector<Suggestion>& with_them,
                                const std::vector<Suggestion>& favourite) {
  std::vector<Suggestion> out;
  std::set<std::string> taken;
  auto take = [&](const std::vector<Suggestion>& from, std::size_t& at) {
    while (at < from.size()) {
      const auto& s = from[at++];
      if (taken.insert(s.sku).second) {
        out.push_back(s);
        return true;
      }
    }
    return false;
  };
  std::size_t d = 0, w = 0, f = 0;
  auto other = [&] { return take(with_them, w) || take(favourite, f); };
  for (;;) {
    const bool a = take(due, d);
    const bool b = take(due, d);
    const bool c = other();
    if (!a && !b && !c) break;
  }
  return out;
}

void learn(Shopper& shopper, const std::vector<std::string>& basket, core::Timestamp at) {
  const std::set<std::string> distinct(basket.begin(), basket.end());
  if (distinct.empty()) return;
  if (shopper.baskets == 0 || at < shopper.first) shopper.first = at;
  if (shopper.baskets == 0 || at > shopper.last) shopper.last = at;
  ++shopper.baskets;
  for (const auto& sku : distinct) {
    auto it = std::find_if(shopper.items.begin(), shopper.items.end(),
                           [&](const Bought& b) { return b.sku == sku; });
    if (it == shopper.items.end()) {
      shopper.items.push_back(Bought{sku, 1, at, at});
      continue;
    }
    ++it->times;
    it->first = std::min(it->first, at);
    it->last = std::max(it->last, at);
  }
}

std::vector<std::pair<std::string, std::string>> basket_pairs(std::vector<std::string> basket) {
  std::sort(basket.begin(), basket.end());
  basket.erase(std::unique(basket.begin(), basket.end()), basket.end());
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(basket.size() * (basket.size() - (basket.empty() ? 0 : 1)));
  for (const auto& a : basket) {
    for (const auto& b : basket) {
      if (a != b) out.emplace_back(a, b);
    }
  }
  return out;
}

void StoreModel::add_basket(const std::vector<std::string>& basket) {
  const auto pairs = basket_pairs(basket);
  std::set<std::string> distinct(basket.begin(), basket.end());
  if (distinct.empty()) return;
  ++baskets_;
  for (const auto& sku : distinct) ++items_[sku];
  for (const auto& [a, b] : pairs) ++pairs_[a][b];
}

std::vector<Suggestion> StoreModel::together(const std::vector<std::string>& basket) const {
  std::map<std::string, int> with;
  std::vector<Pair> pairs;
  for (const auto& sku : std::set<std::string>(basket.begin(), basket.end())) {
    const auto n = items_.find(sku);
    if (n != items_.end()) with[sku] = n->second;
    const auto row = pairs_.find(sku);
    if (row == pairs_.end()) continue;
    // As the server reads them: the kPartnersPerSku most bought with it, of those seen enough.
    std::vector<Pair> partners;
    for (const auto& [other, count] : row->second) {
      if (count >= kMinPairBaskets) partners.push_back(Pair{sku, other, count});
    }
    std::sort(partners.begin(), partners.end(), [](const Pair& a, const Pair& b) {
      return a.baskets != b.baskets ? a.baskets > b.baskets : a.other < b.other;
    });
    if (partners.size() > static_cast<std::size_t>(kPartnersPerSku)) {
      partners.resize(static_cast<std::size_t>(kPartnersPerSku));
    }
    pairs.insert(pairs.end(), partners.begin(), partners.end());
  }
  return reco::together(basket, with, pairs);
}

std::vector<Suggestion> StoreModel::favourites() const {
  return reco::favourites({items_.begin(), items_.end()});
}

int StoreModel::baskets_with(const std::string& sku) const {
  const auto it = items_.find(sku);
  return it == items_.end() ? 0 : it->second;
}

const std::unordered_map<std::string, int>* StoreModel::partners(const std::string& sku) const {
  const auto it = pairs_.find(sku);
  return it == pairs_.end() ? nullptr : &it->second;
}

std::size_t StoreModel::pairs() const {
  std::size_t n = 0;
  for (const auto& [sku, row] : pairs_) n += row.size();
  return n;
}

std::size_t StoreModel::memory_bytes() const {
  // A node of an unordered_map<std::string, V>: the pair, the next pointer and the cached hash;
  // a bucket: one pointer. Keys longer than the small-string buffer own a heap block as well.
  auto key_heap = [](const std::string& s) { return s.size() > 15 ? s.capacity() + 1 : 0; };
  std::size_t bytes = sizeof(*this);
  bytes += items_.bucket_count() * sizeof(void*);
  for (const auto& [sku, n] : items_) {
    bytes += sizeof(std::pair<const std::string, int>) + 2 * sizeof(void*) + key_heap(sku);
  }
  bytes += pairs_.bucket_count() * sizeof(void*);
  for (const auto& [sku, row] : pairs_) {
    bytes += sizeof(std::pair<const std::string, std::unordered_map<std::string, int>>) +
             2 * sizeof(void*) + key_heap(sku) + row.bucket_count() * sizeof(void*);
    for (const auto& [other, n] : row) {
      bytes += sizeof(std::pair<const std::string, int>) + 2 * sizeof(void*) + key_heap(other);
    }
  }
  return bytes;
}

}  // namespace freshlane::reco
