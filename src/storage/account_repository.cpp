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

}  // namespace freshlane::storage
