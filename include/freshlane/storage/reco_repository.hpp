#pragma once
// Recommendations as stored: the counts each paid basket adds (migrations/0014: functions
// freshlane_count_baskets and freshlane_uncount_baskets, the one definition of what is counted,
// with counted_baskets recording each basket counted), read back for ranking (reco/reco.hpp),
// and the customer's switch.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "freshlane/core/time.hpp"
#include "freshlane/reco/reco.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct StoreCounts {
  std::map<std::string, int> baskets_with;  // per SKU asked about
  std::vector<reco::Pair> pairs;            // every pair whose `sku` was asked about
};

struct ShopperHistory {
  bool personalised = false;
  reco::Shopper shopper;  // no baskets: none yet, or personalisation off
};

class RecoRepository {
 public:
  explicit RecoRepository(Session& session) : session_(session) {}

  // Counts a just-paid order's basket, in the payment's own transaction, when its customer has
  // personalisation on (their row is share-locked, so a switch waits for it, and it for a switch).
  void learn_paid_order(const std::string& order_id, const std::string& customer_id);

  // Whether the customer has personalisation on and, when on, their history at the store.
  ShopperHistory shopper(const std::string& customer_id, const std::string& store_id);
  // The store's most bought SKUs with their basket counts, at most `limit`.
  std::vector<std::pair<std::string, int>> favourites(const std::string& store_id, int limit);
  // Counts for ranking what goes with `skus`: per SKU its partners seen in
  // reco::kMinPairBaskets baskets or more, the reco::kPartnersPerSku most bought with it.
  StoreCounts together(const std::string& store_id, const std::vector<std::string>& skus);

  bool personalised(const std::string& customer_id);
  // Switches it; when it changes, the customer's every paid basket leaves (or joins again) the
  // counts in the same transaction. The baskets moved, or 0 when it was already so.
  int set_personalised(const std::string& customer_id, bool on);

  // A cancelled order's basket leaves the counts (in the cancellation's transaction), exactly
  // as it was counted; nothing when it was not counted.
  void forget_order(const std::string& order_id);

  // Counts these paid orders' baskets, of personalised customers only (the demo's history,
  // once inserted; an order already counted is not counted again). How many.
  int learn_orders(const std::vector<std::string>& order_ids);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
