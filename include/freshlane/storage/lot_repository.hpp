#pragma once
// Lots as the trace follows them: which orders (and customers) took units of a lot, a recall
// that stops its sale, and which lot a picker really took for an order line.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/core/time.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

// An order that holds or received units of a lot.
struct LotRecipient {
  std::string order_id;
  std::string customer_id;
  std::string customer_name;
  std::string customer_phone;
  std::string status;
  std::string fulfillment;
  int quantity = 0;  // units of the lot on the order's lines
  int picked = 0;    // of them, scanned by the picker
  core::Timestamp ordered_at;
  std::optional<core::Timestamp> handed_over_at;
};

// A lot a line holds, as the picker is told to take it.
struct LineLot {
  std::string lot_id;
  int quantity = 0;
  int picked = 0;
  core::Timestamp expires_at;
};

class LotRepository {
 public:
  explicit LotRepository(Session& session) : session_(session) {}

  // Every order with units of the lot (of `store_id`), except orders that ended without them
  // (cancelled, expired), oldest first.
  std::vector<LotRecipient> recipients(const std::string& store_id, const std::string& lot_id);
  // Stops the lot's sale from now on (idempotent: the first recall's time and reason stay).
  // false when `store_id` has no such lot.
  bool recall(const std::string& store_id, const std::string& lot_id, const std::string& reason);

  // The lots each line holds, earliest expiry first, by line number; of several orders of the
  // store at once (a picker's trip), by order id.
  using LinesLots = std::map<int, std::vector<LineLot>>;
  std::map<std::string, LinesLots> line_lots(const std::string& store_id,
                                             const std::vector<std::string>& order_ids);

  // The picker took `quantity` units for the line: from `lot_id` when a lot code was scanned
  // (the line's reservation moves to it from lots not yet taken when it held fewer of it:
  // 409 lot_unusable when that lot is expired, recalled or has no free units), else (a shelf
  // label) from the lots the line holds, earliest expiry first. A `weighed` piece may weigh
  // more than the line holds: the extra grams are reserved first (422 exceeds_line when the
  // shelf count has none). In the caller's transaction; `store_id` is the order's store.
  void record_pick(const std::string& store_id, const std::string& order_id, int line_no,
                   const std::optional<std::string>& lot_id, int quantity, bool weighed,
                   core::Timestamp now);
  // A released bag is picked again from the start.
  void unpick_task(const std::string& store_id, const std::string& task_id);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
