#include "freshlane/storage/store_repository.hpp"

#include "order_path.hpp"
#include "sql.hpp"

namespace freshlane::storage {

namespace {
const Query kInsertStore{"store_insert", R"sql(
  INSERT INTO stores (store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (store_id) DO NOTHING)sql"};

const Query kAllStores{"store_all", R"sql(
  SELECT store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency
  FROM stores ORDER BY store_id)sql"};

catalog::Store read_store(const pqxx::row& r) {
  catalog::Store s;
  s.store_id = r[0].as<std::string>();
  s.name = r[1].as<std::string>();
  s.location = {r[2].as<double>(), r[3].as<double>()};
  s.delivery_radius_m = r[4].as<int>();
  s.promise_minutes = r[5].as<int>();
  s.currency = r[6].as<std::string>();
  return s;
}
}  // namespace

bool StoreRepository::insert(const catalog::Store& s) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kInsertStore, s.store_id, s.name, s.location.lat, s.location.lon,
                s.delivery_radius_m, s.promise_minutes, s.currency)
               .affected_rows() == 1;
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
