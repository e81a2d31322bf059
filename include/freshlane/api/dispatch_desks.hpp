#pragma once
// The stores' dispatch desks and what the quote reads.
//
// A dispatch round reads a store's packed delivery orders and its couriers, lets the pure
// dispatcher plan, and writes the trips, all in one transaction that first locks the store's
// dispatch desk in PostgreSQL: two rounds of one store never plan at once, in any process, and
// a round whose plan met a courier or an order that had moved on writes nothing and is planned
// once more (a round by the clock, inside its claim's transaction, instead fails that period:
// 409, and the next period plans anew). Nothing is held in memory between rounds.
//
// The load a quote sums (the floor's backlog, the couriers) is read without joining any
// decision: from a copy published by this process when it is fresher than `fresh_for`, else
// from the database, once for all the requests that want it meanwhile; so a flood of quotes
// costs one database read per store and period, never a worker each. The same copy carries
// every open delivery order's live ETA (store/promise.hpp), which tracking reads.
//
// Each round also watches the store's promises: every open delivery order whose live ETA is
// past its promise (or that nobody on shift can pick or ride) is counted in a per-store gauge
// and flagged once in the database (the first process to see it counts it).
#include <chrono>
#include <cstdint>
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
#include "freshlane/store/promise.hpp"

namespace freshlane::api {

class DispatchDesks {
 public:
  // Registers the delivery metrics; forgets a store's published load when a decision on its
  // floor commits.
  DispatchDesks(http::Metrics& metrics, store::Floors& floors, dispatch::Params params,
                std::chrono::seconds packing, std::chrono::milliseconds fresh_for);

  const dispatch::Params& params() const { return params_; }

  // Plans trips for the store's packed delivery orders now, then flags the store's open
  // delivery orders that will miss their promise; returns how many trips were planned.
  int run_round(storage::Session& s, const catalog::Store& store, core::Timestamp now);

  // A store's desk as it stands now, read from the database: what a round starts from, the
  // load a quote sums, and every open delivery order's live ETA.
  struct Snapshot {
    store::DeskInput input;
    dispatch::StoreLoad load;
    std::vector<store::LiveEta> etas;  // store::live_etas' order
  };
  Snapshot snapshot(storage::Session& s, const catalog::Store& store, core::Timestamp now);
  // The floor's part of the load, read alone: admission takes it before it locks the store.
  store::FloorLoad floor_load(storage::Session& s, const std::string& store_id,
                              core::Timestamp now);
  // What stands between now and a customer's door: `floor` with the store's orders and
  // couriers read now (in the caller's transaction, if any).
  dispatch::StoreLoad load(storage::Session& s, const catalog::Store& store,
                           const store::FloorLoad& floor, core::Timestamp now);

  // A store with the load published for it, and its open delivery orders' live ETAs.
  struct Published {
    catalog::Store store;
    dispatch::StoreLoad load;
    std::map<std::string, store::LiveEta> etas;  // by order id
  };
  using PublishedPtr = std::shared_ptr<const Published>;
  // Calls `use` with the store's load: the published one while fresh, else one read on a
  // worker of `pool` for all the callers that ask meanwhile. `use` gets null and the error when
  // the read failed (404 for an unknown store, remembered as long as a load is).
  using Use = std::function<void(PublishedPtr, std::exception_ptr)>;
  void with_load(storage::Pool& pool, const std::string& store_id, Use use);
  // On a database worker: the published load while fresh, else read now and published.
  PublishedPtr load_for_reading(storage::Session& s, const std::string& store_id);
  // A write of this process changed the store's load: the next quote reads it anew, and a read
  // begun before is not published.
  void forget(const std::string& store_id);

  // Counts a delivery (on time or not, paid-to-door minutes) once it is stored.
  void delivered(const orders::Order& o, core::Timestamp now);

 private:
  using Clock = std::chrono::steady_clock;
  struct Utilization {  // as of this process's latest round of the store
    int on_shift = 0;
    int on_trip = 0;
    int late = 0;  // open delivery orders that will miss their promise
    Clock::time_point at;
  };
  struct Slot {
    PublishedPtr published;
    std::exception_ptr missing;  // no such store
    Clock::time_point at;
    std::uint64_t generation = 0;  // moved on by forget(): older reads are not kept
    std::vector<Use> waiting;      // non-empty while a read is in flight
  };
  // Reads the store and its load (throws 404 for an unknown store).
  PublishedPtr read_published(storage::Session& s, const std::string& store_id);
  bool fresh(const Slot& slot, Clock::time_point now) const;
  store::QuoteParams quote_params() const;
  void publish(const std::string& store_id, std::uint64_t generation, PublishedPtr published,
               std::exception_ptr error);

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
