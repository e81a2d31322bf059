#include "freshlane/storage/change_feed.hpp"

#include <algorithm>

#include "sql.hpp"

namespace freshlane::storage {

namespace {
const Query kNow{"changes_now", "SELECT pg_current_snapshot()::text"};
// The statement's own snapshot is the one returned: the rows it sees are exactly those
// visible in it, and of those only the ones the previous snapshot did not see are new.
const Query kSince{"changes_since", R"sql(
  SELECT pg_current_snapshot()::text,
         COALESCE(string_agg(store_id || '/' || sku, ',' ORDER BY xid), '')
  FROM catalog_changes
  WHERE xid >= pg_snapshot_xmin($1::pg_snapshot)
    AND NOT pg_visible_in_snapshot(xid, $1::pg_snapshot))sql"};
const Query kPrune{"changes_prune", R"sql(
  DELETE FROM catalog_changes WHERE at < now() - make_interval(secs => $1))sql"};
}  // namespace

std::vector<catalog::ProductKey> ChangeFeed::poll(Session& session) {
  return single(session, [&](Tx& tx) {
    std::vector<catalog::ProductKey> out;
    if (seen_.empty()) {
      seen_ = exec(session, tx, kNow)[0][0].as<std::string>();
      return out;
    }
    const auto r = exec(session, tx, kSince, seen_);
    seen_ = r[0][0].as<std::string>();
    const auto list = r[0][1].as<std::string>();
    size_t start = 0;
    while (start < list.size()) {
      size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      const auto item = list.substr(start, comma - start);
      const auto slash = item.find('/');
      if (slash != std::string::npos) {
        catalog::ProductKey key{item.substr(0, slash), item.substr(slash + 1)};
        if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(std::move(key));
      }
      start = comma + 1;
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
