#pragma once
// Customers who come back: weeks of baskets from customers with their own habits, for the demo's
// order history and the offline evaluation of recommendations (sim/reco_eval.hpp). Deterministic
// for a seed.
//
// A customer shops every v days (v log-uniform in 2-9 days; each gap v x lognormal noise, log sd
// 0.3, at least half a day), between 09:00 and 21:00 of the start's clock (a day's
// fraction mapped onto those hours). They have 4-20
// staples, drawn by the store's popularity (weight 1 / (rank + 5)); each staple has its own
// interval, v times a factor log-uniform in 1-6, and is next due that interval (x lognormal
// noise, log sd 0.25) after it was last bought. A trip takes each staple that is due, nine times
// in ten (else it stays due). An item taken brings its partner (a fixed other SKU of the store)
// one time in three (partners spread over the whole catalog). Then a few impulse items:
// Poisson(1.5) more, by popularity.
#include <cstdint>
#include <string>
#include <vector>

#include "freshlane/core/time.hpp"

namespace freshlane::sim {

struct ShopperConfig {
  int customers = 200;
  int days = 84;
  std::uint64_t seed = 1;
};

struct Trip {
  int customer = 0;  // 0 .. customers - 1
  core::Timestamp at{};
  std::vector<std::string> skus;  // distinct
};

// Every trip of every customer from `start` for config.days, in time order. `skus`: the store's
// catalog, the most popular first (at least two).
std::vector<Trip> generate_trips(const ShopperConfig& config, const std::vector<std::string>& skus,
                                 core::Timestamp start);

// The SKU a staple brings along (the partner above).
std::size_t partner_of(std::size_t index, std::size_t catalog_size);

}  // namespace freshlane::sim
