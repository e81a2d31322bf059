#pragma once
// Customers, staff and couriers, and the tokens that authenticate them (stored as SHA-256).
#include <optional>
#include <string>
#include <vector>

#include "freshlane/core/time.hpp"

#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct TokenOwner {
  std::string role;  // customer, staff, courier
  std::string subject_id;
  std::string store_id;  // staff and couriers
  std::string job;       // staff
};

// A member of a store's staff, or one of its couriers (job empty), as a manager lists them.
struct Person {
  std::string id;
  std::string name;
  std::string job;
  core::Timestamp created_at;
  std::optional<core::Timestamp> deactivated_at;
  std::optional<std::string> on_shift_zone;  // a picker on shift: the zone ("" for a courier)
};

// One shift of a picker or a courier.
struct Shift {
  std::string person_id;
  std::string role;  // picker, courier
  std::string zone;  // pickers
  core::Timestamp started_at;
  std::optional<core::Timestamp> ended_at;
  std::string ended_by;  // clock_out, timeout, "" while open
};

enum class PersonKind { kStaff, kCourier };

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

  // A store's staff or couriers by id, after `after_id`, at most `limit` (only `only_id`'s row
  // when given).
  std::vector<Person> people(PersonKind kind, const std::string& store_id,
                             const std::string& after_id, int limit,
                             const std::string& only_id = "");
  // Replaces every token of an active person of the store with `new_hash`. The hashes that
  // stopped working (every process forgets them through the change feed). nullopt: no such
  // person in the store; throws 409 deactivated for a deactivated one.
  std::optional<std::vector<std::string>> replace_tokens(PersonKind kind,
                                                         const std::string& store_id,
                                                         const std::string& person_id,
                                                         const std::string& new_hash);
  // Deactivates the person (idempotent) and deletes their tokens: the hashes deleted; nullopt
  // when there is no such person in the store.
  std::optional<std::vector<std::string>> deactivate(PersonKind kind, const std::string& store_id,
                                                     const std::string& person_id);
  // The store's shifts that overlap [from, to), newest first; one person's when given.
  std::vector<Shift> shifts(const std::string& store_id, core::Timestamp from, core::Timestamp to,
                            const std::string& person_id);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
