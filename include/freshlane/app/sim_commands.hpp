#pragma once
// `freshlane simulate` and `freshlane plan`: a store's day on a virtual clock, and the staffing
// that keeps its promise. No database, no configuration: a scenario file in, figures out.
// `freshlane simulate-stock`: fresh stock over weeks under three ordering and markdown
// policies (sim/stock.hpp), its targets printed beside the figures. `freshlane evaluate-reco`:
// recommendations measured offline against their baselines (sim/reco_eval.hpp).
#include <optional>
#include <string>
#include <vector>

#include "freshlane/storage/chain_repository.hpp"

namespace freshlane::app {

// `args` are the command's own arguments (after the command's name). Return the exit code.
int simulate_command(const std::vector<std::string>& args);
int plan_command(const std::vector<std::string>& args);
int simulate_stock_command(const std::vector<std::string>& args);
int evaluate_reco_command(const std::vector<std::string>& args);

// `seed-demo`'s arguments: none (the demo shop) or a chain's size (--stores --skus --days
// --orders-per-day --core-skus --own-skus --customers). Throws std::invalid_argument.
std::optional<storage::ChainSize> chain_size(const std::vector<std::string>& args);

}  // namespace freshlane::app
