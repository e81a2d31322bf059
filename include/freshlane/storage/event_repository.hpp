#pragma once
// The store's numbered event log (migration 0012): written by triggers in the transactions
// that change a floor, a delivery or an order; read here by the processes that stream it.
// Within a store the numbers are gap-free and in commit order.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct StoreEvent {
  std::string store_id;
  std::int64_t seq = 0;
  std::string at;  // RFC 3339, when it was written
  std::string kind;
  std::string order_id;    // "" when none
  std::string courier_id;  // "" when none
  std::string data;        // a JSON object
};

// Which of a store's events a reader follows: all, one order's, or one courier's.
struct EventFilter {
  std::string order_id;
  std::string courier_id;
  bool matches(const StoreEvent& e) const {
    return (order_id.empty() || e.order_id == order_id) &&
           (courier_id.empty() || e.courier_id == courier_id);
  }
};

class EventRepository {
 public:
  explicit EventRepository(Session& session) : session_(session) {}

  // The number of the store's latest event (0 before the first) and of its oldest one still
  // kept (0 when none is), nullopt for no such store.
  struct Head {
    std::int64_t latest = 0, oldest_kept = 0;
  };
  std::optional<Head> head(const std::string& store_id);
  // The store's events after `after` that match, oldest first, at most `limit`.
  std::vector<StoreEvent> after(const std::string& store_id, std::int64_t after,
                                const EventFilter& filter, int limit);
  // Every event after each store's cursor, by store and number, at most `limit` in all.
  std::vector<StoreEvent> after_each(const std::vector<std::string>& stores,
                                     const std::vector<std::int64_t>& cursors, int limit);
  // Forgets events older than `keep` (the expiry sweep), 10,000 a transaction, at most a
  // million per call.
  void prune(std::chrono::seconds keep);
  // The floor's and the couriers' event logs keep `months` whole months before this one (and
  // three ahead) as monthly partitions: missing ones are made, older ones dropped. Returns how
  // many partitions it made or dropped.
  int keep_months(int months);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
