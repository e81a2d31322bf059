#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

// What a manager changes on a store; an empty member is left as it is. `hours`: set to
// (opens, closes) or, holding nullopt, cleared; `pause`: a reason pauses delivery, nullopt
// resumes it.
struct StoreChange {
  std::optional<std::string> name;
  std::optional<int> delivery_radius_m;
  std::optional<int> promise_minutes;
  std::optional<std::string> address;
  std::optional<std::string> phone;
  std::optional<int> utc_offset_minutes;
  std::optional<std::optional<std::pair<std::string, std::string>>> hours;
  std::optional<std::optional<std::string>> pause;
};

class StoreRepository {
 public:
  explicit StoreRepository(Session& session) : session_(session) {}

  // false when the id is taken.
  bool insert(const catalog::Store& store);
  std::optional<catalog::Store> find(const std::string& store_id);
  // The store as changed; nullopt when there is no such store.
  std::optional<catalog::Store> update(const std::string& store_id, const StoreChange& change);
  std::vector<catalog::Store> all();

 private:
  Session& session_;
};

}  // namespace freshlane::storage
