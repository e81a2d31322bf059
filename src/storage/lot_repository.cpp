#include "freshlane/storage/lot_repository.hpp"

#include <algorithm>

#include "sql.hpp"

namespace freshlane::storage {

namespace {
const Query kRecipients{"lot_recipients", R"sql(
  SELECT o.order_id, o.customer_id, c.name, c.phone, o.status, o.fulfillment,
         sum(oll.quantity)::integer, sum(oll.picked)::integer,
         extract(epoch FROM o.created_at)::bigint, extract(epoch FROM o.handed_over_at)::bigint
  FROM order_line_lots oll JOIN orders o ON o.store_id = $2 AND o.order_id = oll.order_id
  JOIN customers c ON c.customer_id = o.customer_id
  WHERE oll.store_id = $2 AND oll.lot_id = $1 AND o.status NOT IN ('cancelled', 'expired')
  GROUP BY o.order_id, o.store_id, c.customer_id ORDER BY o.created_at, o.order_id)sql"};

const Query kRecall{"lot_recall", R"sql(
  UPDATE lots SET recalled_at = COALESCE(recalled_at, now()),
                  recall_reason = COALESCE(recall_reason, $2)
  WHERE store_id = $3 AND lot_id = $1)sql"};

const Query kLineLotsOfOrders{"lot_line_lots_of_orders", R"sql(
  SELECT oll.order_id, oll.line_no, oll.lot_id, oll.quantity, oll.picked,
         extract(epoch FROM l.expires_at)::bigint
  FROM order_line_lots oll JOIN lots l ON l.lot_id = oll.lot_id
  WHERE oll.store_id = $2 AND oll.order_id = ANY($1::text[]) AND l.store_id = $2
  ORDER BY oll.order_id, oll.line_no, l.expires_at, l.lot_id)sql"};

// The line's lots, locked in the global lot order (sku, expires_at, lot_id) with their rows.
const Query kLockLine{"lot_lock_line", R"sql(
  SELECT oll.lot_id, oll.quantity, oll.picked,
         l.recalled_at IS NULL AND l.expires_at > to_timestamp($3)
  FROM order_line_lots oll JOIN lots l ON l.lot_id = oll.lot_id
  WHERE oll.store_id = $4 AND oll.order_id = $1 AND oll.line_no = $2
  ORDER BY l.sku, l.expires_at, l.lot_id FOR UPDATE OF oll, l)sql"};
// The scanned lot: its free units, and whether it may still be sold at $2.
const Query kLockLot{"lot_lock_scanned", R"sql(
  SELECT quantity_on_hand - quantity_reserved, expires_at > to_timestamp($2), recalled_at IS NULL,
         sku
  FROM lots WHERE store_id = $3 AND lot_id = $1 FOR UPDATE)sql"};
const Query kMarkPicked{"lot_line_picked", R"sql(
  UPDATE order_line_lots SET picked = picked + $4
  WHERE store_id = $5 AND order_id = $1 AND line_no = $2 AND lot_id = $3
    AND picked + $4 <= quantity)sql"};
const Query kLineLotShrink{"lot_line_shrink", R"sql(
  UPDATE order_line_lots SET quantity = quantity - $4
  WHERE store_id = $5 AND order_id = $1 AND line_no = $2 AND lot_id = $3
    AND quantity - $4 >= picked)sql"};
const Query kLineLotDrop{"lot_line_drop", R"sql(
  DELETE FROM order_line_lots WHERE store_id = $5 AND order_id = $1 AND line_no = $2
    AND lot_id = $3 AND quantity = $4 AND picked = 0)sql"};
const Query kLineLotGrow{"lot_line_grow", R"sql(
  INSERT INTO order_line_lots (order_id, line_no, lot_id, quantity, store_id)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (order_id, line_no, lot_id, store_id)
  DO UPDATE SET quantity = order_line_lots.quantity + EXCLUDED.quantity)sql"};
const Query kReserve{"lot_reserve_more", R"sql(
  UPDATE lots SET quantity_reserved = quantity_reserved + $2
  WHERE store_id = $3 AND lot_id = $1 AND quantity_reserved + $2 <= quantity_on_hand
  RETURNING sku)sql"};
const Query kUnreserve{"lot_reserve_less", R"sql(
  UPDATE lots SET quantity_reserved = quantity_reserved - $2
  WHERE store_id = $3 AND lot_id = $1 AND quantity_reserved >= $2)sql"};
const Query kUnpickTask{"lot_unpick_task", R"sql(
  UPDATE order_line_lots oll SET picked = 0 FROM pick_tasks t, pick_task_lines ptl
  WHERE t.store_id = $2 AND t.task_id = $1 AND ptl.store_id = $2 AND ptl.task_id = t.task_id
    AND oll.store_id = $2 AND oll.order_id = t.order_id AND oll.line_no = ptl.line_no
    AND oll.picked > 0)sql"};

void expect_one(const pqxx::result& r, const char* what) {
  if (r.affected_rows() != 1) throw core::Error(core::ErrorKind::kConflict, what);
}
}  // namespace

std::vector<LotRecipient> LotRepository::recipients(const std::string& store_id,
                                                    const std::string& lot_id) {
  return read(session_, [&](Tx& tx) {
    std::vector<LotRecipient> out;
    for (const auto& r : exec(session_, tx, kRecipients, lot_id, store_id)) {
      LotRecipient x;
      x.order_id = r[0].as<std::string>();
      x.customer_id = r[1].as<std::string>();
      x.customer_name = r[2].as<std::string>();
      x.customer_phone = r[3].as<std::string>();
      x.status = r[4].as<std::string>();
      x.fulfillment = r[5].as<std::string>();
      x.quantity = r[6].as<int>();
      x.picked = r[7].as<int>();
      x.ordered_at = from_epoch(r[8]);
      x.handed_over_at = optional_time(r[9]);
      out.push_back(std::move(x));
    }
    return out;
  });
}

bool LotRepository::recall(const std::string& store_id, const std::string& lot_id,
                           const std::string& reason) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kRecall, lot_id, reason, store_id).affected_rows() == 1;
  });
}

std::map<std::string, LotRepository::LinesLots> LotRepository::line_lots(
    const std::string& store_id, const std::vector<std::string>& order_ids) {
  return single(session_, [&](Tx& tx) {
    std::map<std::string, LinesLots> out;
    for (const auto& r : exec(session_, tx, kLineLotsOfOrders, text_array(order_ids), store_id)) {
      out[r[0].as<std::string>()][r[1].as<int>()].push_back(
          {r[2].as<std::string>(), r[3].as<int>(), r[4].as<int>(), from_epoch(r[5])});
    }
    return out;
  });
}

void LotRepository::record_pick(const std::string& store_id, const std::string& order_id,
                                int line_no, const std::optional<std::string>& lot_id, int quantity,
                                bool weighed, core::Timestamp now) {
  write(session_, [&](Tx& tx) {
    struct Held {
      std::string lot_id;
      int quantity, picked;
      bool usable;  // neither recalled nor past its expiry
    };
    std::vector<Held> held;
    for (const auto& r : exec(session_, tx, kLockLine, order_id, line_no, epoch(now), store_id)) {
      held.push_back({r[0].as<std::string>(), r[1].as<int>(), r[2].as<int>(), r[3].as<bool>()});
    }
    // A weighed piece heavier than the grams held: the extra grams are reserved first, on the
    // scanned lot or the first usable one held (the scale proves they were on the shelf, but
    // the count must still hold them).
    int held_free = 0;
    for (const auto& h : held) held_free += h.quantity - h.picked;
    if (weighed && quantity > held_free) {
      const auto first_usable =
          std::find_if(held.begin(), held.end(), [](const Held& h) { return h.usable; });
      const std::string onto =
          lot_id ? *lot_id : (first_usable == held.end() ? "" : first_usable->lot_id);
      const int extra = quantity - held_free;
      const auto reserved =
          onto.empty() ? pqxx::result() : exec(session_, tx, kReserve, onto, extra, store_id);
      if (reserved.size() != 1) {
        throw core::Error(core::ErrorKind::kExceedsLine,
                          "the shelf count has no " + std::to_string(extra) +
                              " more grams: weigh a piece of at most " + std::to_string(held_free) +
                              " g");
      }
      session_.changed(catalog::ProductKey::in_place(store_id, reserved[0][0].as<std::string>()));
      exec(session_, tx, kLineLotGrow, order_id, line_no, onto, extra, store_id);
      const auto it =
          std::find_if(held.begin(), held.end(), [&](const Held& h) { return h.lot_id == onto; });
      if (it != held.end()) {
        it->quantity += extra;
      } else {
        held.push_back({onto, extra, 0, true});  // a scanned lot: checked below
      }
    }
    int left = quantity;
    if (!lot_id) {  // a shelf label: the planned lots, earliest expiry first
      for (const auto& h : held) {
        const int take = std::min(left, h.quantity - h.picked);
        if (take <= 0) continue;
        if (!h.usable) {
          throw core::Error(core::ErrorKind::kLotUnusable,
                            "the planned lot " + h.lot_id +
                                " is recalled or past its expiry: scan the label of another lot");
        }
        expect_one(exec(session_, tx, kMarkPicked, order_id, line_no, h.lot_id, take, store_id),
                   "the line's lot changed meanwhile");
        left -= take;
        if (left == 0) break;
      }
      return;
    }
    const auto lot = exec(session_, tx, kLockLot, *lot_id, epoch(now), store_id);
    if (lot.empty()) throw core::Error(core::ErrorKind::kUnknownCode, "no lot " + *lot_id);
    // The lot the picker should take instead, for the answer.
    std::string planned;
    for (const auto& h : held) {
      if (h.lot_id != *lot_id && h.quantity > h.picked) {
        planned = h.lot_id;
        break;
      }
    }
    const std::string instead = planned.empty() ? "" : "; take lot " + planned;
    if (!lot[0][1].as<bool>()) {
      throw core::Error(core::ErrorKind::kLotUnusable,
                        "lot " + *lot_id + " is past its expiry" + instead);
    }
    if (!lot[0][2].as<bool>()) {
      throw core::Error(core::ErrorKind::kLotUnusable, "lot " + *lot_id + " is recalled" + instead);
    }
    const auto mine =
        std::find_if(held.begin(), held.end(), [&](const Held& h) { return h.lot_id == *lot_id; });
    const int free_here = mine == held.end() ? 0 : mine->quantity - mine->picked;
    const int move = std::max(0, quantity - free_here);
    if (move > 0) {
      if (lot[0][0].as<long long>() < move) {
        throw core::Error(core::ErrorKind::kLotUnusable,
                          "lot " + *lot_id + " has " + std::to_string(lot[0][0].as<long long>()) +
                              " free units, " + std::to_string(move) + " needed" + instead);
      }
      // The units move off lots not yet taken from, latest expiry first.
      int to_move = move;
      for (auto h = held.rbegin(); h != held.rend() && to_move > 0; ++h) {
        if (h->lot_id == *lot_id) continue;
        const int m = std::min(to_move, h->quantity - h->picked);
        if (m <= 0) continue;
        expect_one(
            m == h->quantity
                ? exec(session_, tx, kLineLotDrop, order_id, line_no, h->lot_id, m, store_id)
                : exec(session_, tx, kLineLotShrink, order_id, line_no, h->lot_id, m, store_id),
            "the line's lot changed meanwhile");
        expect_one(exec(session_, tx, kUnreserve, h->lot_id, m, store_id),
                   "the lot holds fewer units");
        to_move -= m;
      }
      if (to_move > 0) {
        throw core::Error(core::ErrorKind::kExceedsLine, "the line holds no more units to take");
      }
      expect_one(exec(session_, tx, kReserve, *lot_id, move, store_id),
                 "the lot has no free units");
      exec(session_, tx, kLineLotGrow, order_id, line_no, *lot_id, move, store_id);
      // The lots' free units changed (the SKU's total did not, but a lot's scan shows its own).
      session_.changed(catalog::ProductKey::in_place(store_id, lot[0][3].as<std::string>()));
    }
    expect_one(exec(session_, tx, kMarkPicked, order_id, line_no, *lot_id, quantity, store_id),
               "the line's lot changed meanwhile");
  });
}

void LotRepository::unpick_task(const std::string& store_id, const std::string& task_id) {
  write(session_, [&](Tx& tx) { exec(session_, tx, kUnpickTask, task_id, store_id); });
}

}  // namespace freshlane::storage
