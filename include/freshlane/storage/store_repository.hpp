#pragma once
#include <optional>
#include <string>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

class StoreRepository {
 public:
  explicit StoreRepository(Session& session) : session_(session) {}

  // false when the id is taken.
  bool insert(const catalog::Store& store);
  std::optional<catalog::Store> find(const std::string& store_id);
  std::vector<catalog::Store> all();

 private:
  Session& session_;
};

}  // namespace freshlane::storage
