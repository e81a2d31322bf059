#pragma once
// Migration 0018 gave six child tables their own store_id, and triggers that fill it for a
// previous release's servers during a rolling upgrade. Tests that run whole flows drop those
// triggers first (this release writes store_id itself: a statement that forgot it fails on
// NOT NULL), then check that every child row names its parent's store.
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace freshlane::testing {

inline const char* const kChildrenOfAStore[][2] = {
    {"order_lines", "orders p ON p.order_id = c.order_id"},
    {"order_line_lots", "orders p ON p.order_id = c.order_id"},
    {"payment_events", "orders p ON p.order_id = c.order_id"},
    {"pick_task_lines", "pick_tasks p ON p.task_id = c.task_id"},
    {"trip_stops", "trips p ON p.trip_id = c.trip_id"},
    {"lot_trace_events", "lots p ON p.lot_id = c.lot_id"}};

inline void drop_store_id_fillers(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  for (const auto& child : kChildrenOfAStore) {
    tx.exec(std::string("DROP TRIGGER IF EXISTS ") + child[0] + "_store_id ON " + child[0]);
  }
  tx.commit();
}

// Per child table: its rows, and those whose store_id is not their parent's.
struct ChildRows {
  std::string table;
  long long rows = 0, off_their_store = 0;
};
inline std::vector<ChildRows> child_rows(const std::string& url) {
  pqxx::connection c(url);
  pqxx::read_transaction tx(c);
  std::vector<ChildRows> out;
  for (const auto& child : kChildrenOfAStore) {
    const auto r = tx.exec1(std::string("SELECT count(*), count(*) FILTER (WHERE c.store_id "
                                        "IS DISTINCT FROM p.store_id) FROM ") +
                            child[0] + " c LEFT JOIN " + child[1]);
    out.push_back({child[0], r[0].as<long long>(), r[1].as<long long>()});
  }
  return out;
}

}  // namespace freshlane::testing
