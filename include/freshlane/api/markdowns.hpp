#pragma once
// A store's markdown round: every lot with free units is priced by the markdown policy of its
// product (category, else storage class, else the default) at `now`; lower prices are set
// compare-and-set and logged; lots past their sell-by are written off. Run by the store's
// `markdown` job in whichever process claims it, and on demand by a manager.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/fresh/markdown.hpp"
#include "freshlane/storage/fresh_repository.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::api {

// The chain's markdown policies by scope; `of` finds the one a product follows: its
// category's, else its storage class's, else the default (fresh::default_policy() if none is
// stored), with that scope.
struct PolicyBook {
  std::map<std::string, fresh::MarkdownPolicy> by_scope;
  std::pair<std::string, const fresh::MarkdownPolicy*> of(const std::string& category,
                                                          catalog::Storage storage) const;
  // The longest any of them acts before a lot's expiry (fresh::acts_within), nullopt if one
  // does not go by the expiry alone.
  std::optional<std::chrono::hours> acts_within() const;
};
PolicyBook load_policies(storage::Session& session);

struct MarkdownDecision {
  storage::PricedLot lot;
  std::string scope;             // the policy's
  catalog::Money charged_minor;  // what the lot sells at now
  fresh::LotPrice next;          // what the policy says
  enum class Action { kNone, kMarkDown, kWriteOff } action = Action::kNone;
};

// What a round would do now (the preview), from the stored lots and policies. With
// `only_actions`, lots that no policy can act on yet (expiring beyond every policy's deepest
// step) are not even read: the round's own plan, at a 100k-SKU store a few hundred lots of
// its 100k.
std::vector<MarkdownDecision> plan_markdowns(storage::Session& session, const catalog::Store& store,
                                             core::Timestamp now, bool only_actions = false);

struct MarkdownRound {
  int marked_down = 0;
  int moved = 0;  // lots whose price or stock changed under the round (left for the next one)
  std::vector<storage::WriteOff> written_off;
};
MarkdownRound run_markdowns(storage::Session& session, const catalog::Store& store,
                            core::Timestamp now);

}  // namespace freshlane::api
