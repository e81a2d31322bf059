#pragma once
// A store's markdown round: every lot with free units is priced by the markdown policy of its
// product (category, else storage class, else the default) at `now`; lower prices are set
// compare-and-set and logged; lots past their sell-by are written off. Run by the store's
// `markdown` job in whichever process claims it, and on demand by a manager.
#include <cstdint>
#include <string>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/fresh/markdown.hpp"
#include "freshlane/storage/fresh_repository.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::api {

struct MarkdownDecision {
  storage::PricedLot lot;
  std::string scope;             // the policy's
  catalog::Money charged_minor;  // what the lot sells at now
  fresh::LotPrice next;          // what the policy says
  enum class Action { kNone, kMarkDown, kWriteOff } action = Action::kNone;
};

// What a round would do now (the preview), from the stored lots and policies.
std::vector<MarkdownDecision> plan_markdowns(storage::Session& session, const catalog::Store& store,
                                             core::Timestamp now);

struct MarkdownRound {
  int marked_down = 0;
  int moved = 0;  // lots whose price or stock changed under the round (left for the next one)
  std::vector<storage::WriteOff> written_off;
};
MarkdownRound run_markdowns(storage::Session& session, const catalog::Store& store,
                            core::Timestamp now);

}  // namespace freshlane::api
