#include "freshlane/storage/board_repository.hpp"

#include "sql.hpp"

namespace freshlane::storage {

namespace {

// $1 store, $2 time zone.
const Query kToday{"board_today", R"sql(
  WITH day AS (SELECT date_trunc('day', now() AT TIME ZONE $2) AT TIME ZONE $2 AS start),
  conveyor AS (
    SELECT count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY quantity) AS p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY quantity) AS p95
    FROM pick_events, day
    WHERE store_id = $1 AND kind = 'order_on_conveyor' AND at >= day.start),
  delivered AS (
    SELECT count(*) AS n, count(*) FILTER (WHERE s.done_at <= s.promised_at) AS on_time
    FROM trip_stops s JOIN trips t USING (trip_id), day
    WHERE t.store_id = $1 AND s.state = 'delivered' AND s.done_at >= day.start),
  paid AS (
    SELECT count(*) AS n FROM orders, day
    WHERE store_id = $1 AND created_at >= day.start AND paid_at IS NOT NULL),
  refused AS (
    SELECT COALESCE(sum(refused), 0) AS n FROM store_refusals, day
    WHERE store_id = $1 AND store_refusals.day = (day.start AT TIME ZONE $2)::date),
  shifts AS (
    SELECT clocked_in_at, clocked_out_at FROM picker_shifts WHERE store_id = $1
    UNION ALL
    SELECT clocked_in_at, clocked_out_at FROM courier_shifts WHERE store_id = $1),
  labour AS (
    SELECT COALESCE(sum(extract(epoch FROM COALESCE(clocked_out_at, now())
                                           - greatest(clocked_in_at, day.start))), 0) / 3600.0
           AS hours
    FROM shifts, day WHERE COALESCE(clocked_out_at, now()) > day.start)
  SELECT to_char(day.start AT TIME ZONE $2, 'YYYY-MM-DD'),
         (extract(hour FROM now() AT TIME ZONE $2) * 60
          + extract(minute FROM now() AT TIME ZONE $2))::int,
         conveyor.n, conveyor.p50, conveyor.p95, delivered.n, delivered.on_time, paid.n,
         refused.n, labour.hours,
         (SELECT count(*) FROM courier_shifts WHERE store_id = $1 AND clocked_out_at IS NULL)
  FROM day, conveyor, delivered, paid, refused, labour)sql"};
const Query kPickersOnShift{"board_pickers_on_shift", R"sql(
  SELECT zone, count(*) FROM picker_shifts WHERE store_id = $1 AND clocked_out_at IS NULL
  GROUP BY zone)sql"};
const Query kCountRefusal{"board_count_refusal", R"sql(
  WITH counted AS (
    INSERT INTO store_refusals (store_id, day, refused)
    VALUES ($1, (now() AT TIME ZONE $2)::date, 1)
    ON CONFLICT (store_id, day) DO UPDATE SET refused = store_refusals.refused + 1)
  SELECT store_event($1, 'order.refused', NULL, NULL, '{"reason": "store_busy"}'::jsonb))sql"};
const Query kPlan{"staffing_plan_find",
                  "SELECT plan::text FROM staffing_plans WHERE store_id = $1"};
const Query kPutPlan{"staffing_plan_put", R"sql(
  INSERT INTO staffing_plans (store_id, plan) VALUES ($1, $2::jsonb)
  ON CONFLICT (store_id) DO UPDATE SET plan = EXCLUDED.plan, updated_at = now())sql"};

std::optional<double> optional_number(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

}  // namespace

DayFigures BoardRepository::today(const std::string& store_id, const std::string& timezone) {
  return read(session_, [&](Tx& tx) {
    DayFigures d;
    const auto r = exec(session_, tx, kToday, store_id, timezone)[0];
    d.day = r[0].as<std::string>();
    d.minute_of_day = r[1].as<int>();
    d.on_conveyor = r[2].as<std::int64_t>();
    d.paid_to_conveyor_p50_s = optional_number(r[3]);
    d.paid_to_conveyor_p95_s = optional_number(r[4]);
    d.delivered = r[5].as<std::int64_t>();
    d.delivered_on_time = r[6].as<std::int64_t>();
    d.paid_orders = r[7].as<std::int64_t>();
    d.refused = r[8].as<std::int64_t>();
    d.labour_hours = r[9].as<double>();
    d.couriers_on_shift = r[10].as<int>();
    for (const auto& z : exec(session_, tx, kPickersOnShift, store_id)) {
      d.pickers_on_shift[z[0].as<std::string>()] = z[1].as<int>();
    }
    return d;
  });
}

void BoardRepository::count_refusal(const std::string& store_id, const std::string& timezone) {
  single(session_, [&](Tx& tx) { exec(session_, tx, kCountRefusal, store_id, timezone); });
}

std::optional<std::string> BoardRepository::staffing_plan(const std::string& store_id) {
  return single(session_, [&](Tx& tx) -> std::optional<std::string> {
    const auto r = exec(session_, tx, kPlan, store_id);
    if (r.empty()) return std::nullopt;
    return r[0][0].as<std::string>();
  });
}

void BoardRepository::put_staffing_plan(const std::string& store_id, const std::string& plan_json) {
  single(session_, [&](Tx& tx) { exec(session_, tx, kPutPlan, store_id, plan_json); });
}

}  // namespace freshlane::storage
