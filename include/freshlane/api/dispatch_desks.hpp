#pragma once
// The dispatch desks this process runs: one per store, each behind its own lock so two rounds
// of one store never plan at once. A round reads the store's packed delivery orders and its
// couriers from PostgreSQL, lets the pure dispatcher plan, and writes the trips in one
// transaction (the database also refuses an order or a courier on two live trips). Nothing is
// held in memory between rounds, so a restart loses nothing.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "freshlane/api/picking_floors.hpp"
#include "freshlane/catalog/product.hpp"
#include "freshlane/dispatch/eta.hpp"
#include "freshlane/http/metrics.hpp"
#include "freshlane/orders/order.hpp"

namespace freshlane::api {

class DispatchDesks {
 public:
  // Registers the delivery metrics.
  DispatchDesks(http::Metrics& metrics, PickingFloors& floors, dispatch::Params params,
                std::chrono::seconds packing);

  const dispatch::Params& params() const { return params_; }

  // Plans trips for the store's packed delivery orders now; returns how many were planned.
  int run_round(storage::Session& s, const catalog::Store& store, core::Timestamp now);
  // A round for every store with couriers on shift, and the courier gauges.
  void tick(storage::Session& s, core::Timestamp now);
  // What stands between now and a customer's door: the picking floor and the couriers.
  dispatch::StoreLoad load(storage::Session& s, const catalog::Store& store, core::Timestamp now);
  // Counts a delivery (on time or not, paid-to-door minutes) once it is stored.
  void delivered(const orders::Order& o, core::Timestamp now);

 private:
  struct Utilization {
    int on_shift = 0;
    int on_trip = 0;
  };
  std::mutex& desk(const std::string& store_id);

  http::Metrics& metrics_;
  PickingFloors& floors_;
  dispatch::Params params_;
  std::chrono::seconds packing_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> desks_;
  std::mutex stats_mu_;
  std::map<std::string, Utilization> utilization_;
  double delivered_ = 0, on_time_ = 0;
};

}  // namespace freshlane::api
