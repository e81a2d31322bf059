#pragma once
// The picking floor in PostgreSQL: layouts, pick tasks, shifts, and the record of every engine
// decision. The engine decides; this records it, together with what the decision means for
// orders and stock (a short pick shrinks a line and corrects the lots, a finished bag takes
// its units off the shelf, a packed order moves on). After a restart load_floor() gives back
// everything the engine needs to carry on.
#include <optional>
#include <string>
#include <vector>

#include "freshlane/picking/engine.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct FloorRecords {
  std::optional<picking::Layout> layout;  // nullopt: the store uses the default layout
  std::vector<picking::PickTask> tasks;   // live tasks of orders still paid or picking
  std::vector<picking::Picker> pickers;   // open shifts, with the tasks each holds
};

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
  void save_layout(const std::string& store_id, const picking::Layout& layout);

  FloorRecords load_floor(const std::string& store_id, core::Timestamp now);
  // Live tasks of one order (after its payment created them), with the order's store.
  std::vector<StoredTask> live_tasks_of(const std::string& order_id);
  std::optional<StoredTask> find_task(const std::string& task_id);
  std::vector<std::string> stores_with_live_tasks();

  // Records `events` of `store_id` and their effects in one transaction. Throws when the
  // database disagrees (e.g. packing an order that is not picking): nothing is then written.
  void record(const std::string& store_id, const std::vector<picking::Event>& events);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
