#pragma once
// Private to storage/: reading a floor's rows, shared by the floor records and the picking
// repository.
#include <optional>
#include <string>
#include <vector>

#include "freshlane/picking/engine.hpp"
#include "freshlane/storage/picking_repository.hpp"
#include "sql.hpp"

namespace freshlane::storage {

// The store's layout as stored; nullopt while it uses the default one.
std::optional<picking::Layout> read_layout(Session& s, Tx& tx, const std::string& store_id);
// One pick task by id, with its lines and store.
std::optional<StoredTask> read_task(Session& s, Tx& tx, const std::string& task_id);

}  // namespace freshlane::storage
