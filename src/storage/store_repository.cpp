#include "freshlane/storage/store_repository.hpp"

#include <tuple>

#include "order_path.hpp"
#include "sql.hpp"

namespace freshlane::storage {

namespace {
const Query kInsertStore{"store_insert", R"sql(
  INSERT INTO stores (store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency,
                      address, phone, opens, closes, utc_offset_minutes)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
  ON CONFLICT (store_id) DO NOTHING)sql"};

const Query kAllStores{"store_all", R"sql(
  SELECT store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency, address, phone,
         opens, closes, utc_offset_minutes, delivery_paused_reason
  FROM stores ORDER BY store_id)sql"};

// Only the members a manager sent change (NULL: keep); hours and the pause are set or cleared
// as a whole ($8/$11: whether they were sent). The row as it is after the change comes back.
const Query kUpdateStore{"store_update", R"sql(
  UPDATE stores SET
    name = COALESCE($2, name), delivery_radius_m = COALESCE($3, delivery_radius_m),
    promise_minutes = COALESCE($4, promise_minutes), address = COALESCE($5, address),
    phone = COALESCE($6, phone), utc_offset_minutes = COALESCE($7, utc_offset_minutes),
    opens = CASE WHEN $8 THEN $9 ELSE opens END,
    closes = CASE WHEN $8 THEN $10 ELSE closes END,
    delivery_paused_reason = CASE WHEN $11 THEN $12 ELSE delivery_paused_reason END,
    delivery_paused_at = CASE WHEN NOT $11 THEN delivery_paused_at
                              WHEN $12::text IS NULL THEN NULL
                              ELSE COALESCE(delivery_paused_at, now()) END
  WHERE store_id = $1
  RETURNING store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency, address, phone,
            opens, closes, utc_offset_minutes, delivery_paused_reason)sql"};

catalog::Store read_store(const pqxx::row& r) {
  catalog::Store s;
  s.store_id = r[0].as<std::string>();
  s.name = r[1].as<std::string>();
  s.location = {r[2].as<double>(), r[3].as<double>()};
  s.delivery_radius_m = r[4].as<int>();
  s.promise_minutes = r[5].as<int>();
  s.currency = r[6].as<std::string>();
  s.address = r[7].as<std::string>();
  s.phone = r[8].as<std::string>();
  if (!r[9].is_null()) {
    s.opens = r[9].as<std::string>();
    s.closes = r[10].as<std::string>();
  }
  s.utc_offset_minutes = r[11].as<int>();
  if (!r[12].is_null()) s.delivery_paused_reason = r[12].as<std::string>();
  return s;
}
}  // namespace

bool StoreRepository::insert(const catalog::Store& s) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kInsertStore, s.store_id, s.name, s.location.lat, s.location.lon,
                s.delivery_radius_m, s.promise_minutes, s.currency, s.address, s.phone, s.opens,
                s.closes, s.utc_offset_minutes)
               .affected_rows() == 1;
  });
}

std::optional<catalog::Store> StoreRepository::update(const std::string& store_id,
                                                      const StoreChange& c) {
  return write(session_, [&](Tx& tx) -> std::optional<catalog::Store> {
    std::optional<std::string> opens, closes, pause;
    if (c.hours && *c.hours) std::tie(opens, closes) = **c.hours;
    if (c.pause) pause = *c.pause;
    const auto r = exec(session_, tx, kUpdateStore, store_id, c.name, c.delivery_radius_m,
                        c.promise_minutes, c.address, c.phone, c.utc_offset_minutes,
                        c.hours.has_value(), opens, closes, c.pause.has_value(), pause);
    if (r.empty()) return std::nullopt;
    return read_store(r[0]);
  });
}

std::optional<catalog::Store> StoreRepository::find(const std::string& store_id) {
  return single(session_, [&](Tx& tx) -> std::optional<catalog::Store> {
    const auto r = exec(session_, tx, order_path::kFindStore, store_id);
    if (r.empty()) return std::nullopt;
    return read_store(r[0]);
  });
}

std::vector<catalog::Store> StoreRepository::all() {
  return single(session_, [&](Tx& tx) {
    std::vector<catalog::Store> out;
    for (const auto& row : exec(session_, tx, kAllStores)) out.push_back(read_store(row));
    return out;
  });
}

}  // namespace freshlane::storage
