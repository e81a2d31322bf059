#pragma once
// Customers, staff and couriers, and the tokens that authenticate them (stored as SHA-256).
#include <optional>
#include <string>

#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct TokenOwner {
  std::string role;  // customer, staff, courier
  std::string subject_id;
  std::string store_id;  // staff and couriers
  std::string job;       // staff
};

class AccountRepository {
 public:
  explicit AccountRepository(Session& session) : session_(session) {}

  // false when the phone number is taken.
  bool create_customer(const std::string& customer_id, const std::string& phone,
                       const std::string& name, const std::string& token_hash);
  void create_staff(const std::string& staff_id, const std::string& store_id,
                    const std::string& name, const std::string& job, const std::string& token_hash);
  void create_courier(const std::string& courier_id, const std::string& store_id,
                      const std::string& name, const std::string& token_hash);
  std::optional<TokenOwner> find_token(const std::string& token_hash);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
