#pragma once
// What the manager's wall board shows beside the live floor: today's figures (the store's local
// day), who is on shift, the staffing a plan recommends, and refused delivery orders.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct DayFigures {
  std::string day;  // YYYY-MM-DD, local
  int minute_of_day = 0;
  std::int64_t on_conveyor = 0;  // orders whose last bag reached packing today
  std::optional<double> paid_to_conveyor_p50_s, paid_to_conveyor_p95_s;
  std::int64_t delivered = 0, delivered_on_time = 0;
  std::int64_t paid_orders = 0;                 // placed today and paid (any fulfilment)
  std::int64_t refused = 0;                     // delivery orders refused today (store_busy)
  double labour_hours = 0;                      // pickers' and couriers' shifts today, to now
  std::map<std::string, int> pickers_on_shift;  // by zone
  int couriers_on_shift = 0;
};

class BoardRepository {
 public:
  explicit BoardRepository(Session& session) : session_(session) {}

  // `timezone`: an IANA name PostgreSQL knows ("Asia/Shanghai").
  DayFigures today(const std::string& store_id, const std::string& timezone);
  // One more refused delivery order today, and a store event saying so.
  void count_refusal(const std::string& store_id, const std::string& timezone);

  // The staffing a plan recommends (a JSON object), nullopt when none was stored.
  std::optional<std::string> staffing_plan(const std::string& store_id);
  void put_staffing_plan(const std::string& store_id, const std::string& plan_json);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
