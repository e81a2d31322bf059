#pragma once
// The picking floor's reference rows in PostgreSQL: layouts and conveyor lanes, one task as
// stored, and a paid order's lines with the zones they are shelved in. The floor's live state
// (tasks, shifts, the record of every decision) is the floor records' (floor_records.hpp).
#include <optional>
#include <string>
#include <vector>

#include "freshlane/picking/engine.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct StoredTask {
  std::string store_id;
  picking::PickTask task;
};

class PickingRepository {
 public:
  explicit PickingRepository(Session& session) : session_(session) {}

  std::optional<picking::Layout> layout(const std::string& store_id);
  // The store's layout, or the default one.
  picking::Layout layout_or_default(const std::string& store_id);
  // Zones that still have listings in the store but are not in `zones`.
  std::vector<std::string> zones_in_use_outside(const std::string& store_id,
                                                const std::vector<std::string>& zones);
  // Writes the layout's rows (in the caller's floor unit, which records the change).
  void save_layout(const std::string& store_id, const picking::Layout& layout);

  std::optional<StoredTask> find_task(const std::string& task_id);
  // An order's lines with the zone and shelf of each SKU in its store, for splitting it into
  // pick tasks once it is paid.
  std::vector<picking::ZonedLine> zoned_lines(const std::string& store_id,
                                              const std::string& order_id);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
