#include "freshlane/storage/reco_repository.hpp"

#include "sql.hpp"

namespace freshlane::storage {

namespace {

const Query kPersonalisedForShare{"reco_personalised_for_share",
                                  "SELECT personalised FROM customers WHERE customer_id = $1 "
                                  "FOR SHARE"};
const Query kCount{"reco_count", "SELECT freshlane_count_baskets($1::text[])"};
const Query kUncount{"reco_uncount", "SELECT freshlane_uncount_baskets($1::text[])"};
const Query kCountPersonalised{"reco_count_personalised", R"sql(
  SELECT freshlane_count_baskets(ARRAY(
    SELECT o.order_id FROM orders o JOIN customers c ON c.customer_id = o.customer_id
    WHERE o.order_id = ANY($1::text[]) AND c.personalised)))sql"};

// The customer's switch and, when on, their history at the store: one row at least (for a
// customer who exists), one per SKU they bought there.
const Query kShopper{"reco_shopper", R"sql(
  SELECT c.personalised, s.baskets, extract(epoch FROM s.first_at)::bigint,
         extract(epoch FROM s.last_at)::bigint, i.sku, i.baskets,
         extract(epoch FROM i.first_at)::bigint, extract(epoch FROM i.last_at)::bigint
  FROM customers c
  LEFT JOIN shopper_stores s ON s.customer_id = c.customer_id AND s.store_id = $2 AND c.personalised
  LEFT JOIN shopper_items i ON i.customer_id = s.customer_id AND i.store_id = s.store_id
  WHERE c.customer_id = $1)sql"};
const Query kFavourites{"reco_favourites", R"sql(
  SELECT sku, baskets FROM basket_items WHERE store_id = $1 AND baskets > 0
  ORDER BY baskets DESC, sku LIMIT $2)sql"};
// Per SKU asked about: its baskets, and its partners seen in $4 baskets or more, at most $3.
const Query kTogether{"reco_together", R"sql(
  SELECT s.sku, COALESCE(bi.baskets, 0), p.other_sku, p.baskets
  FROM unnest($2::text[]) AS s(sku)
  LEFT JOIN basket_items bi ON bi.store_id = $1 AND bi.sku = s.sku
  LEFT JOIN LATERAL (SELECT other_sku, baskets FROM basket_pairs
                     WHERE store_id = $1 AND sku = s.sku AND baskets >= $4
                     ORDER BY baskets DESC, other_sku LIMIT $3) p ON true)sql"};

const Query kPersonalised{"reco_personalised",
                          "SELECT personalised FROM customers WHERE customer_id = $1"};
const Query kSwitch{"reco_switch", R"sql(
  UPDATE customers SET personalised = $2 WHERE customer_id = $1 AND personalised <> $2
  RETURNING 1)sql"};
// Switched on: every paid order of theirs (counting skips the counted and the cancelled).
const Query kPaidOrdersOf{"reco_paid_orders_of", R"sql(
  SELECT ARRAY(SELECT order_id FROM orders WHERE customer_id = $1 AND paid_at IS NOT NULL
               ORDER BY order_id))sql"};
// Switched off: every basket of theirs that is counted.
const Query kCountedOf{"reco_counted_of", R"sql(
  SELECT ARRAY(SELECT order_id FROM counted_baskets WHERE customer_id = $1 ORDER BY order_id))sql"};

}  // namespace

void RecoRepository::learn_paid_order(const std::string& order_id, const std::string& customer_id) {
  write(session_, [&](Tx& tx) {
    const auto r = exec(session_, tx, kPersonalisedForShare, customer_id);
    if (r.empty() || !r[0][0].as<bool>()) return;
    exec(session_, tx, kCount, text_array({order_id}));
  });
}

ShopperHistory RecoRepository::shopper(const std::string& customer_id,
                                       const std::string& store_id) {
  return single(session_, [&](Tx& tx) {
    ShopperHistory out;
    for (const auto& row : exec(session_, tx, kShopper, customer_id, store_id)) {
      out.personalised = row[0].as<bool>();
      if (row[1].is_null()) continue;
      auto& s = out.shopper;
      s.baskets = row[1].as<int>();
      s.first = from_epoch(row[2]);
      s.last = from_epoch(row[3]);
      if (row[4].is_null()) continue;
      s.items.push_back(reco::Bought{row[4].as<std::string>(), row[5].as<int>(), from_epoch(row[6]),
                                     from_epoch(row[7])});
    }
    return out;
  });
}

std::vector<std::pair<std::string, int>> RecoRepository::favourites(const std::string& store_id,
                                                                    int limit) {
  return single(session_, [&](Tx& tx) {
    std::vector<std::pair<std::string, int>> out;
    for (const auto& row : exec(session_, tx, kFavourites, store_id, limit)) {
      out.emplace_back(row[0].as<std::string>(), row[1].as<int>());
    }
    return out;
  });
}

StoreCounts RecoRepository::together(const std::string& store_id,
                                     const std::vector<std::string>& skus) {
  return single(session_, [&](Tx& tx) {
    StoreCounts out;
    for (const auto& row : exec(session_, tx, kTogether, store_id, text_array(skus),
                                reco::kPartnersPerSku, reco::kMinPairBaskets)) {
      const auto sku = row[0].as<std::string>();
      out.baskets_with[sku] = row[1].as<int>();
      if (row[2].is_null()) continue;
      out.pairs.push_back(reco::Pair{sku, row[2].as<std::string>(), row[3].as<int>()});
    }
    return out;
  });
}

bool RecoRepository::personalised(const std::string& customer_id) {
  return single(session_, [&](Tx& tx) {
    const auto r = exec(session_, tx, kPersonalised, customer_id);
    return !r.empty() && r[0][0].as<bool>();
  });
}

int RecoRepository::set_personalised(const std::string& customer_id, bool on) {
  return write(session_, [&](Tx& tx) {
    // First the switch: a payment counting a basket holds the customer's row until it commits,
    // and each statement below sees what committed before it (read committed).
    if (exec(session_, tx, kSwitch, customer_id, on).empty()) return 0;
    const auto orders =
        exec(session_, tx, on ? kPaidOrdersOf : kCountedOf, customer_id)[0][0].as<std::string>();
    return exec(session_, tx, on ? kCount : kUncount, orders)[0][0].as<int>();
  });
}

void RecoRepository::forget_order(const std::string& order_id) {
  write(session_, [&](Tx& tx) { exec(session_, tx, kUncount, text_array({order_id})); });
}

int RecoRepository::learn_orders(const std::vector<std::string>& order_ids) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kCountPersonalised, text_array(order_ids))[0][0].as<int>();
  });
}

}  // namespace freshlane::storage
