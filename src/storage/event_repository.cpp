#include "freshlane/storage/event_repository.hpp"

#include "sql.hpp"

namespace freshlane::storage {

namespace {

#define FRESHLANE_EVENT_COLUMNS                                                             \
  "e.store_id, e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), " \
  "e.kind, COALESCE(e.order_id, ''), COALESCE(e.courier_id, ''), e.data::text"

const Query kHead{"events_head",
                  "SELECT f.event_seq, COALESCE((SELECT min(seq) FROM store_events e "
                  "WHERE e.store_id = $1), 0) FROM store_floors f WHERE f.store_id = $1"};
const Query kAfter{"events_after",
                   "SELECT " FRESHLANE_EVENT_COLUMNS
                   " FROM store_events e WHERE e.store_id = $1 AND e.seq > $2 "
                   "AND ($3 = '' OR e.order_id = $3) AND ($4 = '' OR e.courier_id = $4) "
                   "ORDER BY e.seq LIMIT $5"};
const Query kAfterEach{"events_after_each",
                       "SELECT " FRESHLANE_EVENT_COLUMNS
                       " FROM unnest($1::text[], $2::bigint[]) AS c(store_id, after) "
                       "JOIN store_events e ON e.store_id = c.store_id AND e.seq > c.after "
                       "ORDER BY e.store_id, e.seq LIMIT $3"};
#undef FRESHLANE_EVENT_COLUMNS
const Query kPrune{"events_prune", R"sql(
  DELETE FROM store_events WHERE (store_id, seq) IN (
    SELECT store_id, seq FROM store_events WHERE at < now() - make_interval(secs => $1)
    LIMIT $2))sql"};

// Months of the floor's and the couriers' event logs (migrations/0015_event_partitions.sql).
const Query kKeepMonths{"events_keep_months", "SELECT freshlane_event_partitions($1)"};

StoreEvent event_of(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::int64_t>(), r[2].as<std::string>(),
          r[3].as<std::string>(), r[4].as<std::string>(),  r[5].as<std::string>(),
          r[6].as<std::string>()};
}

}  // namespace

std::optional<EventRepository::Head> EventRepository::head(const std::string& store_id) {
  return single(session_, [&](Tx& tx) -> std::optional<Head> {
    const auto r = exec(session_, tx, kHead, store_id);
    if (r.empty()) return std::nullopt;
    return Head{r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>()};
  });
}

std::vector<StoreEvent> EventRepository::after(const std::string& store_id, std::int64_t after,
                                               const EventFilter& filter, int limit) {
  return single(session_, [&](Tx& tx) {
    std::vector<StoreEvent> out;
    for (const auto& r :
         exec(session_, tx, kAfter, store_id, after, filter.order_id, filter.courier_id, limit)) {
      out.push_back(event_of(r));
    }
    return out;
  });
}

std::vector<StoreEvent> EventRepository::after_each(const std::vector<std::string>& stores,
                                                    const std::vector<std::int64_t>& cursors,
                                                    int limit) {
  std::string numbers = "{";
  for (std::size_t i = 0; i < cursors.size(); ++i) {
    if (i) numbers += ',';
    numbers += std::to_string(cursors[i]);
  }
  numbers += '}';
  return single(session_, [&](Tx& tx) {
    std::vector<StoreEvent> out;
    for (const auto& r : exec(session_, tx, kAfterEach, text_array(stores), numbers, limit)) {
      out.push_back(event_of(r));
    }
    return out;
  });
}

void EventRepository::prune(std::chrono::seconds keep) {
  // At most a million a sweep: a chain on its busiest day writes more than 10,000 every five
  // seconds.
  delete_in_batches(session_, kPrune, 100, static_cast<double>(keep.count()));
}

int EventRepository::keep_months(int months) {
  return write(session_, [&](Tx& tx) {
    // Creating or dropping a partition locks its table: wait a second at most behind a long
    // reader, and try again at the next sweep (months are made three ahead).
    tx.exec("SET LOCAL lock_timeout = '1s'");
    return exec(session_, tx, kKeepMonths, months)[0][0].as<int>();
  });
}

}  // namespace freshlane::storage
