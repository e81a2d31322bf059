#include "freshlane/storage/change_feed.hpp"

#include "sql.hpp"

namespace freshlane::storage {

namespace {
const Query kNow{"changes_now", "SELECT pg_current_snapshot()::text"};
// The statement's own snapshot is the one returned: the rows it sees are exactly those
// visible in it, and of those only the ones the previous snapshot did not see are new. One
// row at least, for the snapshot (its store and SKU null when nothing changed).
const Query kSince{"changes_since", R"sql(
  SELECT pg_current_snapshot()::text, c.store_id, c.sku, c.token_hash, c.moves_pages
  FROM (VALUES (1)) AS one LEFT JOIN (
    SELECT store_id, sku, NULL::text AS token_hash, bool_or(moves_pages) AS moves_pages
    FROM catalog_changes
    WHERE xid >= pg_snapshot_xmin($1::pg_snapshot)
      AND NOT pg_visible_in_snapshot(xid, $1::pg_snapshot)
    GROUP BY store_id, sku
    UNION ALL
    SELECT NULL, NULL, token_hash, NULL FROM token_revocations
    WHERE xid >= pg_snapshot_xmin($1::pg_snapshot)
      AND NOT pg_visible_in_snapshot(xid, $1::pg_snapshot)) c ON true)sql"};
const Query kPrune{"changes_prune", R"sql(
  WITH tokens AS (DELETE FROM token_revocations WHERE at < now() - make_interval(secs => $1))
  DELETE FROM catalog_changes WHERE at < now() - make_interval(secs => $1))sql"};
}  // namespace

Changes ChangeFeed::poll(Session& session) {
  return single(session, [&](Tx& tx) {
    Changes out;
    if (seen_.empty()) {
      seen_ = exec(session, tx, kNow)[0][0].as<std::string>();
      return out;
    }
    const auto r = exec(session, tx, kSince, seen_);
    seen_ = r[0][0].as<std::string>();
    for (const auto& row : r) {
      if (!row[2].is_null()) {
        out.products.push_back(
            {row[1].as<std::string>(), row[2].as<std::string>(), row[4].as<bool>()});
      } else if (!row[3].is_null()) {
        out.revoked_tokens.push_back(row[3].as<std::string>());
      }
    }
    return out;
  });
}

long long ChangeFeed::prune(Session& session, std::chrono::seconds age) {
  return single(session, [&](Tx& tx) {
    return static_cast<long long>(
        exec(session, tx, kPrune, static_cast<double>(age.count())).affected_rows());
  });
}

}  // namespace freshlane::storage
