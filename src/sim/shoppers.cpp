#include "freshlane/sim/shoppers.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <set>

#include "random.hpp"

namespace freshlane::sim {

namespace {

using detail::Rng;
using std::chrono::seconds;

constexpr double kDay = 86400.0;

struct Staple {
  std::size_t sku = 0;
  double interval_days = 0;
  double due_days = 0;  // from the start
};

// An index by popularity: weight 1 / (rank + 5).
class Popularity {
 public:
  explicit Popularity(std::size_t n) {
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) cumulative_.push_back(total += 1.0 / (i + 5.0));
  }
  std::size_t draw(Rng& rng) const {
    const double u = rng.uniform() * cumulative_.back();
    return static_cast<std::size_t>(std::lower_bound(cumulative_.begin(), cumulative_.end(), u) -
                                    cumulative_.begin());
  }

 private:
  std::vector<double> cumulative_;
};

int poisson(Rng& rng, double mean) {
  const double limit = std::exp(-mean);
  double p = rng.uniform();
  int k = 0;
  while (p > limit && k < 100) {
    p *= rng.uniform();
    ++k;
  }
  return k;
}

}  // namespace

std::size_t partner_of(std::size_t index, std::size_t catalog_size) {
  if (catalog_size < 2) return index;
  // A multiplier prime to the catalog's size: every SKU is some SKU's partner, once.
  std::size_t step = 7;
  while (std::gcd(step, catalog_size) != 1) step += 2;
  const std::size_t p = (index * step + 3) % catalog_size;
  return p == index ? (index + 1) % catalog_size : p;
}

std::vector<Trip> generate_trips(const ShopperConfig& config, const std::vector<std::string>& skus,
                                 core::Timestamp start) {
  std::vector<Trip> trips;
  if (skus.size() < 2 || config.customers <= 0 || config.days <= 0) return trips;
  const Popularity popularity(skus.size());
  for (int c = 0; c < config.customers; ++c) {
    std::uint64_t state = config.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(c);
    Rng rng(detail::splitmix64(state));
    const double visit = rng.log_between(2, 9);
    const int staple_count = 4 + rng.pick(17);
    std::vector<Staple> staples;
    std::set<std::size_t> chosen;
    for (int tries = 0; static_cast<int>(staples.size()) < staple_count && tries < 1000; ++tries) {
      const std::size_t sku = popularity.draw(rng);
      if (!chosen.insert(sku).second) continue;
      const double interval = visit * rng.log_between(1, 6);
      staples.push_back(Staple{sku, interval, rng.uniform() * interval});
    }
    double day = rng.uniform() * visit;
    while (day < config.days) {
      std::set<std::size_t> basket;
      for (auto& s : staples) {
        if (s.due_days > day || rng.uniform() >= 0.9) continue;
        basket.insert(s.sku);
        s.due_days = day + s.interval_days * std::exp(0.25 * rng.normal());
      }
      for (const std::size_t sku : std::set<std::size_t>(basket)) {
        if (rng.uniform() < 1.0 / 3) basket.insert(partner_of(sku, skus.size()));
      }
      for (int n = poisson(rng, 1.5); n > 0; --n) basket.insert(popularity.draw(rng));
      if (!basket.empty()) {
        // Between 09:00 and 21:00 of the day, later trips of a day later in it.
        const double at = std::floor(day) * kDay + (9 + 12 * (day - std::floor(day))) * 3600;
        Trip trip{c, start + seconds(static_cast<long long>(at)), {}};
        for (const std::size_t sku : basket) trip.skus.push_back(skus[sku]);
        trips.push_back(std::move(trip));
      }
      day += std::max(0.5, visit * std::exp(0.3 * rng.normal()));
    }
  }
  std::stable_sort(trips.begin(), trips.end(),
                   [](const Trip& a, const Trip& b) { return a.at < b.at; });
  return trips;
}

}  // namespace freshlane::sim
