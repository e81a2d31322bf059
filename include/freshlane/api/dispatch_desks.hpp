#pragma once
// The stores' dispatch desks and what the quote reads.
//
// A dispatch round reads a store's packed delivery orders and its couriers, lets the pure
// dispatcher plan, and writes the trips, all in one transaction that first locks the store's
// dispatch desk in PostgreSQL: two rounds of one store never plan at once, in any process, and
// a round whose plan met a courier or an order that had moved on writes nothing and is planned
// once more. Nothing is held in memory between rounds.
//
// The load a quote sums (the floor's backlog, the couriers) is read without joining any
// decision: from a copy published by this process when it is fresher than `fresh_for`, else
// from the database, once for all the requests that want it meanwhile; so a flood of quotes
// costs one database read per store and period, never a worker each.
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/dispatch/eta.hpp"
#include "freshlane/http/metrics.hpp"
#include "freshlane/orders/order.hpp"
#include "freshlane/storage/pool.hpp"
#include "freshlane/store/floors.hpp"

namespace freshlane::api {

class DispatchDesks {
 public:
  // Registers the delivery metrics; forgets a store's published load when a decision on its
  // floor commits.
  DispatchDesks(http::Metrics& metrics, store::Floors& floors, dispatch::Params params,
                std::chrono::seconds packing, std::chrono::milliseconds fresh_for);

  const dispatch::Params& params() const { return params_; }

  // Plans trips for the store's packed delivery orders now; returns how many were planned.
  int run_round(storage::Session& s, const catalog::Store& store, core::Timestamp now);
  // What stands between now and a customer's door, read from the database now.
  dispatch::StoreLoad load(storage::Session& s, const catalog::Store& store, core::Timestamp now);

  // A store with the load published for it.
  struct Published {
    catalog::Store store;
    dispatch::StoreLoad load;
  };
  using PublishedPtr = std::shared_ptr<const Published>;
  // The store's published load while fresh, else null.
  PublishedPtr fresh(const std::string& store_id) const;
  // Calls `use` with the store's load: the published one while fresh, else one read for all the
  // callers that ask meanwhile; `read` (given the store id) reads it on a database worker and
  // is called once per refresh. `use` gets null and the error when the read failed.
  using Use = std::function<void(PublishedPtr, std::exception_ptr)>;
  using Reader = std::function<void(std::function<void(PublishedPtr, std::exception_ptr)>)>;
  void with_load(const std::string& store_id, Use use, const Reader& read);
  // A write of this process changed the store's load: the next quote reads it anew.
  void forget(const std::string& store_id);
  // On a database worker: the published load while fresh, else read now and published.
  PublishedPtr load_for_reading(storage::Session& s, const catalog::Store& store,
                                core::Timestamp now);

  // Counts a delivery (on time or not, paid-to-door minutes) once it is stored.
  void delivered(const orders::Order& o, core::Timestamp now);

 private:
  using Clock = std::chrono::steady_clock;
  struct Utilization {  // as of this process's latest round of the store
    int on_shift = 0;
    int on_trip = 0;
    Clock::time_point at;
  };
  struct Slot {
    PublishedPtr published;
    Clock::time_point at;
    std::vector<Use> waiting;  // non-empty while a read is in flight
  };
  void publish(const std::string& store_id, PublishedPtr published, std::exception_ptr error);

  http::Metrics& metrics_;
  store::Floors& floors_;
  dispatch::Params params_;
  std::chrono::seconds packing_;
  std::chrono::milliseconds fresh_for_;
  mutable std::mutex mu_;
  std::map<std::string, Slot> loads_;
  std::map<std::string, Utilization> utilization_;
  double delivered_ = 0, on_time_ = 0;
};

}  // namespace freshlane::api
