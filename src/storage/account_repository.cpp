#include "freshlane/storage/account_repository.hpp"

#include "order_path.hpp"
#include "sql.hpp"

namespace freshlane::storage {

namespace {
const Query kInsertCustomer{"customer_insert", R"sql(
  INSERT INTO customers (customer_id, phone, name) VALUES ($1, $2, $3)
  ON CONFLICT (phone) DO NOTHING)sql"};
const Query kInsertStaff{"staff_insert", R"sql(
  INSERT INTO staff (staff_id, store_id, name, job) VALUES ($1, $2, $3, $4))sql"};
const Query kInsertCourier{"courier_insert", R"sql(
  INSERT INTO couriers (courier_id, store_id, name) VALUES ($1, $2, $3))sql"};
const Query kInsertToken{"token_insert", R"sql(
  INSERT INTO api_tokens (token_hash, role, subject_id, store_id, job) VALUES ($1, $2, $3, $4, $5))sql"};

// Staff and couriers of a store, with the zone of an open shift (couriers: '').
const Query kStaffList{"staff_list", R"sql(
  SELECT s.staff_id, s.name, s.job, extract(epoch FROM s.created_at)::bigint,
         extract(epoch FROM s.deactivated_at)::bigint, ps.zone
  FROM staff s LEFT JOIN picker_shifts ps ON ps.staff_id = s.staff_id AND ps.clocked_out_at IS NULL
  WHERE s.store_id = $1 AND s.staff_id > $2 AND ($4 = '' OR s.staff_id = $4) ORDER BY s.staff_id LIMIT $3)sql"};
const Query kCourierList{"courier_list", R"sql(
  SELECT c.courier_id, c.name, '', extract(epoch FROM c.created_at)::bigint,
         extract(epoch FROM c.deactivated_at)::bigint, CASE WHEN cs.shift_id IS NULL THEN NULL ELSE '' END
  FROM couriers c
  LEFT JOIN courier_shifts cs ON cs.courier_id = c.courier_id AND cs.clocked_out_at IS NULL
  WHERE c.store_id = $1 AND c.courier_id > $2 AND ($4 = '' OR c.courier_id = $4)
  ORDER BY c.courier_id LIMIT $3)sql"};

// The person's row, locked while their tokens change: (deactivated?).
const Query kLockStaff{"staff_lock", R"sql(
  SELECT deactivated_at IS NOT NULL, job FROM staff WHERE store_id = $1 AND staff_id = $2
  FOR UPDATE)sql"};
const Query kLockCourier{"courier_lock", R"sql(
  SELECT deactivated_at IS NOT NULL FROM couriers WHERE store_id = $1 AND courier_id = $2
  FOR UPDATE)sql"};
const Query kDeactivateStaff{"staff_deactivate", R"sql(
  UPDATE staff SET deactivated_at = COALESCE(deactivated_at, now())
  WHERE store_id = $2 AND staff_id = $1)sql"};
const Query kDeactivateCourier{"courier_deactivate", R"sql(
  UPDATE couriers SET deactivated_at = COALESCE(deactivated_at, now())
  WHERE store_id = $2 AND courier_id = $1)sql"};
const Query kDeleteTokens{"tokens_delete", R"sql(
  DELETE FROM api_tokens WHERE subject_id = $1 AND role = $2 RETURNING token_hash)sql"};

// Shifts of pickers and couriers overlapping [$2, $3), newest first. $4: one person or ''.
const Query kShifts{"shifts_of_store", R"sql(
  SELECT * FROM (
    SELECT staff_id AS person, 'picker' AS role, zone, extract(epoch FROM clocked_in_at)::bigint AS s,
           extract(epoch FROM clocked_out_at)::bigint AS e, COALESCE(ended_by, '') AS by, shift_id
    FROM picker_shifts
    WHERE store_id = $1 AND clocked_in_at < to_timestamp($3)
      AND (clocked_out_at IS NULL OR clocked_out_at >= to_timestamp($2))
      AND ($4 = '' OR staff_id = $4)
    UNION ALL
    SELECT courier_id, 'courier', '', extract(epoch FROM clocked_in_at)::bigint,
           extract(epoch FROM clocked_out_at)::bigint,
           CASE WHEN clocked_out_at IS NULL THEN '' ELSE 'clock_out' END, shift_id
    FROM courier_shifts
    WHERE store_id = $1 AND clocked_in_at < to_timestamp($3)
      AND (clocked_out_at IS NULL OR clocked_out_at >= to_timestamp($2))
      AND ($4 = '' OR courier_id = $4)) x
  ORDER BY s DESC, person, shift_id DESC LIMIT 1000)sql"};

std::vector<std::string> hashes(const pqxx::result& r) {
  std::vector<std::string> out;
  for (const auto& row : r) out.push_back(row[0].as<std::string>());
  return out;
}
}  // namespace

bool AccountRepository::create_customer(const std::string& customer_id, const std::string& phone,
                                        const std::string& name, const std::string& token_hash) {
  return write(session_, [&](Tx& tx) {
    if (exec(session_, tx, kInsertCustomer, customer_id, phone, name).affected_rows() == 0) {
      return false;
    }
    exec(session_, tx, kInsertToken, token_hash, "customer", customer_id, nullptr, nullptr);
    return true;
  });
}

void AccountRepository::create_staff(const std::string& staff_id, const std::string& store_id,
                                     const std::string& name, const std::string& job,
                                     const std::string& token_hash) {
  write(session_, [&](Tx& tx) {
    exec(session_, tx, kInsertStaff, staff_id, store_id, name, job);
    exec(session_, tx, kInsertToken, token_hash, "staff", staff_id, store_id, job);
  });
}

void AccountRepository::create_courier(const std::string& courier_id, const std::string& store_id,
                                       const std::string& name, const std::string& token_hash) {
  write(session_, [&](Tx& tx) {
    exec(session_, tx, kInsertCourier, courier_id, store_id, name);
    exec(session_, tx, kInsertToken, token_hash, "courier", courier_id, store_id, nullptr);
  });
}

std::optional<TokenOwner> AccountRepository::find_token(const std::string& token_hash) {
  return single(session_, [&](Tx& tx) -> std::optional<TokenOwner> {
    const auto r = exec(session_, tx, order_path::kFindToken, token_hash);
    if (r.empty()) return std::nullopt;
    return TokenOwner{r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                      r[0][2].as<std::string>(), r[0][3].as<std::string>()};
  });
}

std::vector<Person> AccountRepository::people(PersonKind kind, const std::string& store_id,
                                              const std::string& after_id, int limit,
                                              const std::string& only_id) {
  return single(session_, [&](Tx& tx) {
    std::vector<Person> out;
    const auto& q = kind == PersonKind::kStaff ? kStaffList : kCourierList;
    for (const auto& r : exec(session_, tx, q, store_id, after_id, limit, only_id)) {
      Person p;
      p.id = r[0].as<std::string>();
      p.name = r[1].as<std::string>();
      p.job = r[2].as<std::string>();
      p.created_at = from_epoch(r[3]);
      p.deactivated_at = optional_time(r[4]);
      if (!r[5].is_null()) p.on_shift_zone = r[5].as<std::string>();
      out.push_back(std::move(p));
    }
    return out;
  });
}

std::optional<std::vector<std::string>> AccountRepository::replace_tokens(
    PersonKind kind, const std::string& store_id, const std::string& person_id,
    const std::string& new_hash) {
  return write(session_, [&](Tx& tx) -> std::optional<std::vector<std::string>> {
    const bool staff = kind == PersonKind::kStaff;
    const auto row = exec(session_, tx, staff ? kLockStaff : kLockCourier, store_id, person_id);
    if (row.empty()) return std::nullopt;
    if (row[0][0].as<bool>()) {
      throw core::Error(core::ErrorKind::kDeactivated,
                        person_id + " is deactivated; create a new account instead");
    }
    auto gone = hashes(exec(session_, tx, kDeleteTokens, person_id, staff ? "staff" : "courier"));
    if (staff) {
      const auto job = row[0][1].as<std::string>();
      exec(session_, tx, kInsertToken, new_hash, "staff", person_id, store_id, job);
    } else {
      exec(session_, tx, kInsertToken, new_hash, "courier", person_id, store_id, nullptr);
    }
    return gone;
  });
}

std::optional<std::vector<std::string>> AccountRepository::deactivate(
    PersonKind kind, const std::string& store_id, const std::string& person_id) {
  return write(session_, [&](Tx& tx) -> std::optional<std::vector<std::string>> {
    const bool staff = kind == PersonKind::kStaff;
    if (exec(session_, tx, staff ? kLockStaff : kLockCourier, store_id, person_id).empty()) {
      return std::nullopt;
    }
    exec(session_, tx, staff ? kDeactivateStaff : kDeactivateCourier, person_id, store_id);
    return hashes(exec(session_, tx, kDeleteTokens, person_id, staff ? "staff" : "courier"));
  });
}

std::vector<Shift> AccountRepository::shifts(const std::string& store_id, core::Timestamp from,
                                             core::Timestamp to, const std::string& person_id) {
  return single(session_, [&](Tx& tx) {
    std::vector<Shift> out;
    for (const auto& r : exec(session_, tx, kShifts, store_id, epoch(from), epoch(to), person_id)) {
      Shift s;
      s.person_id = r[0].as<std::string>();
      s.role = r[1].as<std::string>();
      s.zone = r[2].as<std::string>();
      s.started_at = from_epoch(r[3]);
      s.ended_at = optional_time(r[4]);
      s.ended_by = r[5].as<std::string>();
      out.push_back(std::move(s));
    }
    return out;
  });
}

}  // namespace freshlane::storage
