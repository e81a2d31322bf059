#include "freshlane/storage/order_repository.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "freshlane/catalog/pricing.hpp"
#include "freshlane/core/crypto.hpp"
#include "freshlane/core/error.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/storage/reco_repository.hpp"
#include "order_path.hpp"
#include "sql.hpp"

namespace freshlane::storage {

using orders::Order;
using orders::Status;

namespace {

#define FRESHLANE_ORDER_COLUMNS                                                                  \
  "order_id, customer_id, store_id, fulfillment, status, currency, "                             \
  "extract(epoch FROM created_at)::bigint, extract(epoch FROM promised_at)::bigint, "            \
  "payment_status, extract(epoch FROM payment_expires_at)::bigint, delivery_lat, delivery_lon, " \
  "delivery_address, delivery_distance_m, total_minor, refund_minor + weight_release_minor, "    \
  "extract(epoch FROM paid_at)::bigint, extract(epoch FROM packed_at)::bigint, "                 \
  "extract(epoch FROM redelivery_after)::bigint, delivery_notes, cancelled_by, cancel_reason, "  \
  "extract(epoch FROM handed_over_at)::bigint "
const Query kFindOrder{"order_find",
                       "SELECT " FRESHLANE_ORDER_COLUMNS "FROM orders WHERE order_id = $1"};
const Query kListOrders{"order_list_customer", "SELECT " FRESHLANE_ORDER_COLUMNS
                                               "FROM orders WHERE customer_id = $1 AND (NOT $2 OR "
                                               "(created_at, order_id) < (to_timestamp($3), $4)) "
                                               "ORDER BY created_at DESC, order_id DESC LIMIT $5"};
// $2 status, $3 fulfillment ('' any); $4 text ('' none): the order id, $5 phone digits
// ('' none) the phone's end, $6 ids (hand-over codes); $7 after?, $8/$9 position, $10 limit.
// `among` narrows the store's orders before they are filtered and sorted.
#define FRESHLANE_STORE_ORDERS(direction, before, among)                                       \
  "SELECT " FRESHLANE_ORDER_COLUMNS                                                            \
  ", customer_name, customer_phone FROM (SELECT o.*, c.name AS customer_name, "                \
  "c.phone AS customer_phone FROM orders o JOIN customers c ON c.customer_id = o.customer_id " \
  "WHERE o.store_id = $1 " among                                                               \
  ") AS orders "                                                                               \
  "WHERE ($2 = '' OR status = $2) AND ($3 = '' OR fulfillment = $3) "                          \
  "AND ($4 = '' OR order_id = $4 OR ($5 <> '' AND customer_phone LIKE '%' || $5) "             \
  "     OR order_id = ANY($6::text[])) "                                                       \
  "AND (NOT $7 OR (created_at, order_id) " before                                              \
  " (to_timestamp($8), $9)) "                                                                  \
  "ORDER BY created_at " direction ", order_id " direction " LIMIT $10"
// A search starts from what it can match (the id, the hand-over codes' orders, the orders of
// the customers whose phone ends in the digits, found by the end of their number read
// backwards, at most a page of each in the page's order), not from the store's newest order:
// a customer's orders among a year's are found without walking the year, or theirs.
#define FRESHLANE_FOUND(direction, before)                                                      \
  "AND o.order_id IN (SELECT $4 UNION ALL SELECT unnest($6::text[]) UNION ALL "                 \
  "  SELECT f.order_id FROM customers fc CROSS JOIN LATERAL ("                                  \
  "    SELECT order_id FROM orders f WHERE f.store_id = $1 AND f.customer_id = fc.customer_id " \
  "      AND ($2 = '' OR status = $2) AND ($3 = '' OR fulfillment = $3) "                       \
  "      AND (NOT $7 OR (created_at, order_id) " before                                         \
  " (to_timestamp($8), $9)) "                                                                   \
  "    ORDER BY created_at " direction ", order_id " direction                                  \
  " LIMIT $10) f "                                                                              \
  "  WHERE $5 <> '' "                                                                           \
  "    AND reverse(fc.phone) COLLATE \"C\" >= reverse($5) "                                     \
  "    AND reverse(fc.phone) COLLATE \"C\" < left(reverse($5), -1) "                            \
  "                                          || chr(ascii(right(reverse($5), 1)) + 1))"
const Query kStoreOrdersNewest{"order_list_store", FRESHLANE_STORE_ORDERS("DESC", "<", "")};
const Query kStoreOrdersOldest{"order_list_store_oldest", FRESHLANE_STORE_ORDERS("ASC", ">", "")};
const Query kStoreOrdersFoundNewest{
    "order_find_store", FRESHLANE_STORE_ORDERS("DESC", "<", FRESHLANE_FOUND("DESC", "<"))};
const Query kStoreOrdersFoundOldest{
    "order_find_store_oldest", FRESHLANE_STORE_ORDERS("ASC", ">", FRESHLANE_FOUND("ASC", ">"))};
#undef FRESHLANE_FOUND
#undef FRESHLANE_STORE_ORDERS
#undef FRESHLANE_ORDER_COLUMNS
const Query kAwaitingHandover{"order_awaiting_handover", R"sql(
  SELECT order_id FROM orders
  WHERE store_id = $1 AND status IN ('ready_for_pickup', 'packed', 'out_for_delivery'))sql"};
const Query kExitCheck{"order_exit_check", R"sql(
  UPDATE orders SET exit_checked_at = now()
  WHERE store_id = $2 AND order_id = $1 AND exit_checked_at IS NULL)sql"};
const Query kNoteCancelledBy{"order_note_cancelled_by", R"sql(
  UPDATE orders SET cancelled_by = $2, cancel_reason = $3 WHERE store_id = $4 AND order_id = $1)sql"};
const Query kLinesOf{"order_lines_of", R"sql(
  SELECT order_id, line_no, sku, name, quantity, unit_price_minor, short_quantity, unit,
         ordered_grams, weighed, authorized_minor, COALESCE(list_price_minor, unit_price_minor)
  FROM order_lines
  WHERE store_id = ANY($2::text[]) AND order_id = ANY($1::text[])
  ORDER BY order_id, line_no)sql"};
const Query kLotsOf{"order_line_lots_of", R"sql(
  SELECT order_id, line_no, lot_id, quantity FROM order_line_lots
  WHERE store_id = ANY($2::text[]) AND order_id = ANY($1::text[])
  ORDER BY order_id, line_no, lot_id)sql"};
const Query kPickingOf{"order_picking_of", R"sql(
  SELECT order_id, count(*)::integer, count(finished_at)::integer,
         count(*) FILTER (WHERE state = 'on_lane')::integer,
         count(*) FILTER (WHERE state IN ('arrived', 'packed'))::integer,
         extract(epoch FROM max(deadline))::bigint
  FROM pick_tasks
  WHERE store_id = ANY($2::text[]) AND order_id = ANY($1::text[]) AND state <> 'cancelled'
  GROUP BY order_id)sql"};

const Query kLockOrder{"order_lock", R"sql(
  SELECT o.status, o.fulfillment, o.customer_id, o.total_minor, s.promise_minutes, o.store_id
  FROM orders o JOIN stores s ON s.store_id = o.store_id
  WHERE o.order_id = $1 FOR UPDATE OF o)sql"};
const Query kStoreOf{"order_store_of",
                     "SELECT store_id, fulfillment FROM orders WHERE order_id = $1"};
const Query kSetCancelled{"order_set_cancelled", R"sql(
  UPDATE orders SET status = 'cancelled', updated_at = now(),
    payment_status = CASE WHEN payment_status = 'paid' THEN 'refunded' ELSE payment_status END
  WHERE store_id = $2 AND order_id = $1)sql"};
const Query kExpireDue{"order_expire_due", R"sql(
  WITH due AS (
    SELECT order_id FROM orders
    WHERE status = 'pending_payment' AND payment_expires_at <= to_timestamp($1)
    ORDER BY payment_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
  UPDATE orders o SET status = 'expired', updated_at = now() FROM due
  WHERE o.order_id = due.order_id RETURNING o.order_id, o.store_id)sql"};

// Lots held by orders ($1) of the stores $2, locked in the same global order the reservation uses.
const Query kLockLotsOfOrders{"order_lock_held_lots", R"sql(
  SELECT l.lot_id FROM lots l
  WHERE l.store_id = ANY($2::text[])
    AND l.lot_id IN (SELECT lot_id FROM order_line_lots
                     WHERE store_id = ANY($2::text[]) AND order_id = ANY($1::text[]))
  ORDER BY l.sku, l.expires_at, l.lot_id FOR UPDATE)sql"};
const Query kReleaseLots{"order_release_lots", R"sql(
  UPDATE lots l SET quantity_reserved = l.quantity_reserved - x.q
  FROM (SELECT lot_id, sum(quantity)::integer AS q FROM order_line_lots
        WHERE store_id = ANY($2::text[]) AND order_id = ANY($1::text[]) GROUP BY lot_id) x
  WHERE l.store_id = ANY($2::text[]) AND l.lot_id = x.lot_id
  RETURNING l.store_id, l.sku)sql"};
// The customer takes the goods: reserved units leave the shelf for good.
const Query kConsumeLots{"order_consume_lots", R"sql(
  UPDATE lots l SET quantity_reserved = l.quantity_reserved - x.q,
                    quantity_on_hand = l.quantity_on_hand - x.q
  FROM (SELECT lot_id, sum(quantity)::integer AS q FROM order_line_lots
        WHERE store_id = ANY($2::text[]) AND order_id = ANY($1::text[]) GROUP BY lot_id) x
  WHERE l.store_id = ANY($2::text[]) AND l.lot_id = x.lot_id)sql"};

const Query kFindPaymentEvent{"payment_event_find",
                              "SELECT 1 FROM payment_events WHERE event_id = $1"};
const Query kInsertPaymentEvent{"payment_event_insert", R"sql(
  INSERT INTO payment_events (event_id, order_id, status, amount_minor, store_id)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT DO NOTHING)sql"};
const Query kMarkRefundDue{"payment_event_refund_due", R"sql(
  UPDATE payment_events SET refund_due = true WHERE store_id = $2 AND event_id = $1)sql"};
const Query kSetPaid{"order_set_paid", R"sql(
  UPDATE orders SET status = $2, payment_status = 'paid', paid_at = to_timestamp($3),
    -- Bought in the aisle: the goods are the customer's at the till (a sale of that day).
    handed_over_at = CASE WHEN $2 = 'completed' THEN to_timestamp($3) END,
    promised_at = CASE WHEN fulfillment = 'delivery' THEN to_timestamp($3) + make_interval(mins => $4)
                       ELSE NULL END,
    updated_at = now()
  WHERE store_id = $5 AND order_id = $1)sql"};
const Query kLockCustomer{"order_lock_customer",
                          "SELECT 1 FROM customers WHERE customer_id = $1 FOR NO KEY UPDATE"};
const Query kSetPaymentFailed{"order_set_payment_failed", R"sql(
  UPDATE orders SET payment_status = 'failed', updated_at = now()
  WHERE store_id = $2 AND order_id = $1)sql"};

Order read_order(const pqxx::row& r) {
  Order o;
  o.order_id = r[0].as<std::string>();
  o.customer_id = r[1].as<std::string>();
  o.store_id = r[2].as<std::string>();
  o.fulfillment = *orders::parse_fulfillment(r[3].as<std::string>());
  o.status = *orders::parse_status(r[4].as<std::string>());
  o.currency = r[5].as<std::string>();
  o.created_at = from_epoch(r[6]);
  o.promised_at = optional_time(r[7]);
  o.payment_status = *orders::parse_payment_status(r[8].as<std::string>());
  o.payment_expires_at = from_epoch(r[9]);
  if (!r[10].is_null()) {
    o.delivery = orders::Delivery{{r[10].as<double>(), r[11].as<double>()},
                                  r[12].as<std::string>(),
                                  r[13].as<int>(),
                                  r[19].is_null() ? std::string() : r[19].as<std::string>()};
  }
  o.charged_minor = r[14].as<long long>();
  o.refund_minor = r[15].as<long long>();
  // handover_code stays empty: it is derived for the customer (api), never stored.
  o.paid_at = optional_time(r[16]);
  o.packed_at = optional_time(r[17]);
  o.redelivery_after = optional_time(r[18]);
  if (!r[20].is_null()) o.cancelled_by = r[20].as<std::string>();
  if (!r[21].is_null()) o.cancel_reason = r[21].as<std::string>();
  o.handed_over_at = optional_time(r[22]);
  return o;
}

// How a new order's hand-over code is checked (orders.handover_code_scheme): derived from the
// order id under the server's key (core::HandoverCodeKey), so nothing of it is stored.
const std::string kCodeDerived = "derived";

// Fills lines, their lots and picking progress for `orders` (three queries for any number of
// orders), read at the orders' stores.
void load_lines(Session& s, Tx& tx, std::vector<Order>& orders) {
  if (orders.empty()) return;
  std::vector<std::string> ids;
  std::set<std::string> stores;
  std::map<std::string, Order*> by_id;
  for (auto& o : orders) {
    ids.push_back(o.order_id);
    stores.insert(o.store_id);
    by_id[o.order_id] = &o;
  }
  const std::string array = text_array(ids);
  const std::string store_ids = text_array(std::vector<std::string>(stores.begin(), stores.end()));
  for (const auto& r : exec(s, tx, kLinesOf, array, store_ids)) {
    orders::Line line;
    line.sku = r[2].as<std::string>();
    line.name = r[3].as<std::string>();
    line.quantity = r[4].as<long long>();
    line.unit_price_minor = r[5].as<long long>();
    line.short_quantity = r[6].as<long long>();
    line.unit = unit_of(r[7]);
    line.ordered_grams = r[8].is_null() ? 0 : r[8].as<long long>();
    line.weighed = r[9].as<bool>();
    line.authorized_minor = r[10].is_null() ? 0 : r[10].as<long long>();
    line.list_price_minor = r[11].as<long long>();
    by_id[r[0].as<std::string>()]->lines.push_back(std::move(line));
  }
  for (const auto& r : exec(s, tx, kLotsOf, array, store_ids)) {
    auto& lines = by_id[r[0].as<std::string>()]->lines;
    const auto line_no = r[1].as<size_t>();
    if (line_no < lines.size()) {
      lines[line_no].lots.push_back({r[2].as<std::string>(), r[3].as<long long>()});
    }
  }
  for (const auto& r : exec(s, tx, kPickingOf, array, store_ids)) {
    by_id[r[0].as<std::string>()]->picking = orders::PickingProgress{
        r[1].as<int>(), r[2].as<int>(), r[3].as<int>(), r[4].as<int>(), from_epoch(r[5])};
  }
}

std::optional<Order> find_in(Session& s, Tx& tx, const std::string& id) {
  const auto r = exec(s, tx, kFindOrder, id);
  if (r.empty()) return std::nullopt;
  std::vector<Order> one{read_order(r[0])};
  load_lines(s, tx, one);
  return std::move(one[0]);
}

// The lots held by the orders `ids`, of the stores `store_ids` (each order's store among them).
void release_or_consume(Session& s, Tx& tx, const std::vector<std::string>& ids,
                        const std::vector<std::string>& store_ids, bool consume) {
  const std::string array = text_array(ids);
  const std::string stores = text_array(store_ids);
  exec(s, tx, kLockLotsOfOrders, array, stores);
  if (consume) {
    // On hand and reserved fall together: availability stays.
    exec(s, tx, kConsumeLots, array, stores);
    return;
  }
  for (const auto& r : exec(s, tx, kReleaseLots, array, stores)) {
    s.changed(catalog::ProductKey::in_place(r[0].as<std::string>(), r[1].as<std::string>()));
  }
}

// What an order starts from (order_path::kOrderRead).
struct OrderRead {
  std::optional<StoredAnswer> answer;  // the key's, with the hash it was kept under
  std::string answered_hash;
  struct Priced {
    std::string name;
    catalog::Money price_minor = 0;  // the listing's price now (its hand markdown included)
    catalog::Unit unit = catalog::Unit::kEach;
    catalog::Money regular_minor = 0;
  };
  std::map<std::string, Priced> priced;  // by SKU
  std::vector<orders::LotStock> stock;
};

OrderRead read_order(Session& s, const OrderRequest& req, const std::string& sku_array,
                     const IdempotencyKey& key) {
  return single(s, [&](Tx& tx) {
    OrderRead in;
    for (const auto& r : exec(s, tx, order_path::kOrderRead, req.store.store_id, sku_array,
                              req.customer_id, epoch(req.now), key.key)) {
      const auto kind = r[0].as<std::string>();
      if (kind == "K") {
        in.answered_hash = r[1].as<std::string>();
        in.answer = StoredAnswer{r[3].as<int>(), r[2].as<std::string>()};
      } else if (kind == "S") {
        catalog::Listing l;
        l.price_minor = r[3].as<long long>();
        if (!r[4].is_null()) l.markdown = catalog::Markdown{r[4].as<long long>(), from_epoch(r[5])};
        in.priced[r[1].as<std::string>()] = {r[2].as<std::string>(),
                                             catalog::price_now(l, req.now).price_minor,
                                             unit_of(r[6]), l.price_minor};
      } else {
        in.stock.push_back(
            {r[1].as<std::string>(), r[2].as<std::string>(), from_epoch(r[3]), r[4].as<long long>(),
             r[5].is_null() ? std::nullopt : std::optional<catalog::Money>(r[5].as<long long>())});
      }
    }
    return in;
  });
}

// What the payment of a new order is for: its lines, weighed goods at their most.
catalog::Money authorized_minor(const Order& o) {
  catalog::Money sum = 0;
  for (const auto& l : o.lines) sum += l.authorized();
  return sum;
}

long long held_units(const Order& o) {
  long long units = 0;
  for (const auto& l : o.lines) units += orders::held_units(l);
  return units;
}

Order order_of(const OrderRequest& req, OrderRead& in, orders::Allocation& allocation) {
  Order o;
  o.order_id = core::new_id("ord_", 14);
  o.customer_id = req.customer_id;
  o.store_id = req.store.store_id;
  o.fulfillment = req.fulfillment;
  o.currency = req.store.currency;
  o.created_at = req.now;
  o.payment_expires_at = req.now + req.payment_window;
  o.delivery = req.delivery;
  for (const auto& [sku, qty] : req.lines) {
    const auto& p = in.priced[sku];
    auto line_of = [&](std::int64_t quantity, catalog::Money price,
                       std::vector<orders::LotTake> takes) {
      orders::Line line{sku, p.name, quantity, price, std::move(takes)};
      line.list_price_minor = p.regular_minor;
      line.unit = p.unit;
      if (line.by_weight()) {
        line.ordered_grams = quantity;
        // In the aisle the customer weighed the piece on the store's scale: the grams are final.
        line.weighed = req.fulfillment == orders::Fulfillment::kInStore;
        line.authorized_minor = line.authorized();
      }
      o.lines.push_back(std::move(line));
    };
    auto& takes = allocation[sku];
    auto price_of = [&](const orders::LotTake& t) {
      return catalog::lot_price_now(p.price_minor, t.lot_price_minor);
    };
    if (takes.empty()) {
      line_of(qty, p.price_minor, takes);
      continue;
    }
    // Units (or grams) of lots priced apart are lines apart, earliest expiry first as taken:
    // each is charged at its lot's price, and the receipt shows what was marked down.
    std::vector<orders::LotTake> run;
    std::int64_t units = 0;
    for (size_t i = 0; i < takes.size(); ++i) {
      run.push_back(takes[i]);
      units += takes[i].quantity;
      if (i + 1 == takes.size() || price_of(takes[i + 1]) != price_of(takes[i])) {
        line_of(units, price_of(takes[i]), std::move(run));
        run.clear();
        units = 0;
      }
    }
  }
  o.charged_minor = authorized_minor(o);
  return o;
}

// The order's one statement. Throws StockMoved when a lot no longer had the planned units
// (nothing was written: plan again).
struct StockMoved {};
struct Written {
  bool key_locked = false;
  bool placed = false;
  int unpaid = 0;  // the customer's unpaid orders, and what they hold in them, before this one
  long long held_units = 0, held_value_minor = 0;
};
Written write_order(Session& s, const OrderRequest& req, const Order& o, const IdempotencyKey& key,
                    const StoredAnswer& answer) {
  std::optional<double> lat, lon;
  std::optional<std::string> address;
  std::optional<int> distance;
  std::optional<std::string> notes;
  if (o.delivery) {
    if (!o.delivery->notes.empty()) notes = o.delivery->notes;
    lat = o.delivery->location.lat;
    lon = o.delivery->location.lon;
    address = o.delivery->address;
    distance = o.delivery->distance_m;
  }
  std::vector<std::string> line_nos, line_skus, names, quantities, prices, units, weighed,
      authorized, take_lines, lots, takes, take_prices, list_prices;
  std::vector<bool> each;      // which lines have no authorised amount (NULL)
  std::vector<bool> unpriced;  // which takes are of lots with no price of their own (NULL)
  for (size_t i = 0; i < o.lines.size(); ++i) {
    const auto& line = o.lines[i];
    line_nos.push_back(std::to_string(i));
    line_skus.push_back(line.sku);
    names.push_back(line.name);
    quantities.push_back(std::to_string(line.quantity));
    prices.push_back(std::to_string(line.unit_price_minor));
    units.emplace_back(catalog::to_string(line.unit));
    weighed.push_back(line.weighed ? "true" : "false");
    authorized.push_back(line.by_weight() ? std::to_string(line.authorized_minor) : "");
    each.push_back(!line.by_weight());
    list_prices.push_back(std::to_string(line.list_price_minor));
    for (const auto& take : line.lots) {
      take_lines.push_back(std::to_string(i));
      lots.push_back(take.lot_id);
      takes.push_back(std::to_string(take.quantity));
      take_prices.push_back(take.lot_price_minor ? std::to_string(*take.lot_price_minor) : "");
      unpriced.push_back(!take.lot_price_minor);
    }
  }
  try {
    return single(s, [&](Tx& tx) {
      const auto r = exec(
          s, tx, order_path::kWriteOrder, o.order_id, o.customer_id, o.store_id,
          std::string(orders::to_string(o.fulfillment)), o.currency, o.charged_minor,
          epoch(req.now), epoch(o.payment_expires_at), lat, lon, address, distance, kCodeDerived,
          text_array(line_nos), text_array(line_skus), text_array(names), text_array(quantities),
          text_array(prices), text_array(take_lines), text_array(lots), text_array(takes), key.key,
          key.request_hash, answer.status, answer.body, req.max_pending_orders, req.max_held_units,
          req.max_held_value_minor, notes, held_units(o), text_array(units), text_array(weighed),
          text_array(authorized, each), text_array(take_prices, unpriced), text_array(list_prices));
      return Written{r[0][0].as<bool>(), !r[0][1].is_null() && r[0][1].as<bool>(),
                     r[0][2].is_null() ? 0 : r[0][2].as<int>(),
                     r[0][3].is_null() ? 0 : r[0][3].as<long long>(),
                     r[0][4].is_null() ? 0 : r[0][4].as<long long>()};
    });
  } catch (const pqxx::unique_violation&) {
    throw;
  } catch (const pqxx::transaction_rollback&) {
    throw;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "FL001") throw StockMoved{};
    throw;
  }
}

}  // namespace

PlaceOutcome OrderRepository::place(const OrderRequest& req, const IdempotencyKey& key,
                                    const PlaceSteps& steps) {
  std::vector<std::string> skus;
  std::map<std::string, std::int64_t> requested;
  for (const auto& [sku, qty] : req.lines) {
    skus.push_back(sku);
    requested[sku] += qty;
  }
  const std::string sku_array = text_array(skus);
  // Each round: one read, one statement (a delivery order: its admission too, in one
  // transaction under the store's admission lock). Another round only when the stock moved
  // between the two, or a twin with the same key committed in between (its answer is then
  // found).
  for (int round = 1;; ++round) {
    OrderRead in = read_order(session_, req, sku_array, key);
    if (in.answer) {
      if (in.answered_hash != key.request_hash) return KeyReused{};
      return Replayed{*in.answer};
    }
    // What the read says, as one statement (joining the admission's transaction if any);
    // nullopt: read again.
    auto decide = [&]() -> std::optional<PlaceOutcome> {
      // Refused for good: only the answer is kept (unless a twin kept one first: see above).
      auto refuse = [&](CreateOrderOutcome outcome) -> std::optional<PlaceOutcome> {
        auto answer = steps.answer(outcome);
        if (answer && single(session_, [&](Tx& tx) {
                        return exec(session_, tx, order_path::kKeepAnswer, req.customer_id, key.key,
                                    key.request_hash, answer->status, answer->body)
                            .affected_rows();
                      }) == 0) {
          return std::nullopt;
        }
        return Placed{std::move(outcome), std::move(answer)};
      };
      UnknownSkus unknown;
      for (const auto& sku : skus) {
        if (!in.priced.count(sku)) unknown.skus.push_back(sku);
      }
      if (!unknown.skus.empty()) return refuse(unknown);
      WrongMeasure wrong;
      for (const auto& sku : skus) {
        const bool by_weight = catalog::sold_by_weight(in.priced[sku].unit);
        if (by_weight != (req.in_grams.count(sku) > 0)) {
          (by_weight ? wrong.by_weight : wrong.each).push_back(sku);
        }
      }
      if (!wrong.by_weight.empty() || !wrong.each.empty()) return refuse(wrong);
      auto plan = orders::plan_reservation(requested, in.stock, req.now);
      if (auto* shortages = std::get_if<std::vector<orders::Shortage>>(&plan)) {
        return refuse(*shortages);
      }
      const Order o = order_of(req, in, std::get<orders::Allocation>(plan));
      auto answer = steps.answer(o);
      if (!answer) throw std::logic_error("a placed order's answer is final");
      const Written written = write_order(session_, req, o, key, *answer);
      if (!written.key_locked) return KeyInUse{};
      if (written.placed) {
        for (const auto& line : o.lines) {
          session_.changed(catalog::ProductKey::in_place(o.store_id, line.sku));
        }
        return Placed{o, std::move(answer)};
      }
      // The customer's limits on unpaid orders: not final, nothing kept. Which one refused, as
      // the statement's snapshot saw the customer's row; when neither explains the refusal, an
      // order of theirs committed meanwhile (the row was checked again as it left it): read
      // again.
      if (written.unpaid >= req.max_pending_orders) {
        return Placed{TooManyPendingOrders{written.unpaid}, std::nullopt};
      }
      const long long units = held_units(o);
      if (written.held_units + units > req.max_held_units ||
          written.held_value_minor + o.charged_minor > req.max_held_value_minor) {
        return Placed{
            HoldLimitExceeded{written.held_units, written.held_value_minor, units, o.charged_minor},
            std::nullopt};
      }
      return std::nullopt;
    };
    std::optional<PlaceOutcome> outcome;
    try {
      if (steps.admit) {
        outcome = write(session_, [&](Tx& tx) -> std::optional<PlaceOutcome> {
          exec(session_, tx, order_path::kAdmissionLock, req.store.store_id);
          if (!steps.admit()) return NotAdmitted{};
          return decide();
        });
      } else {
        outcome = decide();
      }
    } catch (const StockMoved&) {
      // A lot no longer had the planned units: nothing was written; plan again.
    } catch (const pqxx::unique_violation&) {
      // A twin with this key committed since the read: its answer is found next round.
    } catch (const pqxx::transaction_rollback&) {
      // A deadlock or serialization failure: nothing was written; once more.
    }
    if (outcome) return std::move(*outcome);
    if (round >= 5)
      throw core::Error(core::ErrorKind::kUnavailable, "the store is busy; try again");
  }
}

std::optional<Order> OrderRepository::find(const std::string& order_id) {
  return read(session_, [&](Tx& tx) { return find_in(session_, tx, order_id); });
}

std::optional<std::pair<std::string, orders::Fulfillment>> OrderRepository::store_of(
    const std::string& order_id) {
  return single(session_,
                [&](Tx& tx) -> std::optional<std::pair<std::string, orders::Fulfillment>> {
                  const auto r = exec(session_, tx, kStoreOf, order_id);
                  if (r.empty()) return std::nullopt;
                  return std::pair{r[0][0].as<std::string>(),
                                   *orders::parse_fulfillment(r[0][1].as<std::string>())};
                });
}

std::optional<OrderPosition> parse_order_position(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 18 || colon + 1 == text.size()) {
    return std::nullopt;
  }
  OrderPosition p;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, p.created_epoch);
  if (ec != std::errc() || end != text.data() + colon) return std::nullopt;
  p.order_id = text.substr(colon + 1);
  return p;
}

OrderPage OrderRepository::list_for_customer(const std::string& customer_id,
                                             const std::optional<OrderPosition>& after, int limit) {
  return read(session_, [&](Tx& tx) {
    OrderPage page;
    for (const auto& r : exec(session_, tx, kListOrders, customer_id, after.has_value(),
                              after ? after->created_epoch : 0LL,
                              after ? after->order_id : std::string(), limit + 1)) {
      page.orders.push_back(read_order(r));
    }
    if (page.orders.size() > static_cast<size_t>(limit)) {
      page.orders.pop_back();
      const auto& last = page.orders.back();
      page.next = std::to_string(epoch(last.created_at)) + ":" + last.order_id;
    }
    load_lines(session_, tx, page.orders);
    return page;
  });
}

namespace {
// `customer_id` empty: any customer's (staff cancel for them, `by` and `reason` noted).
CancelOutcome cancel_in(Session& session, Tx& tx, const std::string& order_id,
                        const std::string& customer_id, const std::string& by,
                        const std::string& reason) {
  const auto r = exec(session, tx, kLockOrder, order_id);
  if (r.empty() || (!customer_id.empty() && r[0][2].as<std::string>() != customer_id)) {
    return OrderNotFound{};
  }
  const Status status = *orders::parse_status(r[0][0].as<std::string>());
  const auto fulfillment = *orders::parse_fulfillment(r[0][1].as<std::string>());
  if (!orders::can_cancel(fulfillment, status)) return InvalidTransition{status};
  const auto store_id = r[0][5].as<std::string>();
  // Its trigger takes the customer's row: before any lot.
  exec(session, tx, kSetCancelled, order_id, store_id);
  // A paid order: the customer's row too, as a payment and a switch of personalisation take it
  // (order, customer, lots, counts), so its basket leaves the counts in line with them.
  if (status != Status::kPendingPayment) {
    exec(session, tx, kLockCustomer, r[0][2].as<std::string>());
  }
  if (!by.empty()) exec(session, tx, kNoteCancelledBy, order_id, by, reason, store_id);
  release_or_consume(session, tx, {order_id}, {store_id}, false);
  // A paid basket that was cancelled teaches nothing: it leaves the recommendations' counts.
  if (status != Status::kPendingPayment) RecoRepository(session).forget_order(order_id);
  return std::move(*find_in(session, tx, order_id));
}
}  // namespace

CancelOutcome OrderRepository::cancel(const std::string& order_id, const std::string& customer_id) {
  return write(session_,
               [&](Tx& tx) { return cancel_in(session_, tx, order_id, customer_id, "", ""); });
}

CancelOutcome OrderRepository::cancel_for_customer(const std::string& order_id,
                                                   const std::string& staff_id,
                                                   const std::string& reason) {
  return write(session_,
               [&](Tx& tx) { return cancel_in(session_, tx, order_id, "", staff_id, reason); });
}

OrderPage OrderRepository::list_for_store(const StoreOrderQuery& q) {
  return read(session_, [&](Tx& tx) {
    OrderPage page;
    std::string digits;
    if (q.text.size() >= 4 &&
        std::all_of(q.text.begin(), q.text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      digits = q.text;
    }
    const Query& query = q.text.empty()
                             ? (q.oldest_first ? kStoreOrdersOldest : kStoreOrdersNewest)
                             : (q.oldest_first ? kStoreOrdersFoundOldest : kStoreOrdersFoundNewest);
    for (const auto& r :
         exec(session_, tx, query, q.store_id, q.status, q.fulfillment, q.text, digits,
              text_array(q.ids), q.after.has_value(), q.after ? q.after->created_epoch : 0LL,
              q.after ? q.after->order_id : std::string(), q.limit + 1)) {
      page.orders.push_back(read_order(r));
      page.contacts.push_back({r[23].as<std::string>(), r[24].as<std::string>()});
    }
    if (page.orders.size() > static_cast<size_t>(q.limit)) {
      page.orders.pop_back();
      page.contacts.pop_back();
      const auto& last = page.orders.back();
      page.next = std::to_string(epoch(last.created_at)) + ":" + last.order_id;
    }
    load_lines(session_, tx, page.orders);
    return page;
  });
}

bool OrderRepository::check_exit(const std::string& store_id, const std::string& order_id) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kExitCheck, order_id, store_id).affected_rows() == 1;
  });
}

std::vector<std::string> OrderRepository::awaiting_handover(const std::string& store_id) {
  return single(session_, [&](Tx& tx) {
    std::vector<std::string> ids;
    for (const auto& r : exec(session_, tx, kAwaitingHandover, store_id)) {
      ids.push_back(r[0].as<std::string>());
    }
    return ids;
  });
}

int OrderRepository::expire_due(core::Timestamp now, int limit) {
  return write(session_, [&](Tx& tx) {
    std::vector<std::string> ids;
    std::set<std::string> stores;
    for (const auto& r : exec(session_, tx, kExpireDue, epoch(now), limit)) {
      ids.push_back(r[0].as<std::string>());
      stores.insert(r[1].as<std::string>());
    }
    if (!ids.empty()) release_or_consume(session_, tx, ids, {stores.begin(), stores.end()}, false);
    return static_cast<int>(ids.size());
  });
}

namespace {
// The event under the order's row lock, taken first (before the event's row, the customer's
// row or any lot). nullopt when `may_pay` is false and the event would move the order to paid
// or completed: nothing is written then.
std::optional<PaymentOutcome> apply_payment_in(Session& session, Tx& tx, const PaymentEvent& e,
                                               core::Timestamp now, bool may_pay) {
  // Twins of one event, or two events of one order, queue here on the order's lock.
  const auto r = exec(session, tx, kLockOrder, e.order_id);
  if (r.empty()) return PaymentOutcome::kUnknownOrder;
  if (!exec(session, tx, kFindPaymentEvent, e.event_id).empty()) {
    return PaymentOutcome::kDuplicate;
  }
  const Status status = *orders::parse_status(r[0][0].as<std::string>());
  const auto fulfillment = *orders::parse_fulfillment(r[0][1].as<std::string>());
  const auto store_id = r[0][5].as<std::string>();
  if (r[0][3].as<long long>() != e.amount_minor) return PaymentOutcome::kAmountMismatch;
  const Status next =
      fulfillment == orders::Fulfillment::kInStore ? Status::kCompleted : Status::kPaid;
  const bool pays = e.succeeded && orders::can_transition(fulfillment, status, next);
  if (pays && !may_pay) return std::nullopt;
  if (exec(session, tx, kInsertPaymentEvent, e.event_id, e.order_id,
           e.succeeded ? "succeeded" : "failed", e.amount_minor, store_id)
          .affected_rows() == 0) {
    return PaymentOutcome::kDuplicate;  // the same id for another order
  }
  if (!e.succeeded) {
    if (status == Status::kPendingPayment) {
      exec(session, tx, kSetPaymentFailed, e.order_id, store_id);
    }
    return PaymentOutcome::kApplied;
  }
  if (!pays) {
    exec(session, tx, kMarkRefundDue, e.event_id, store_id);
    return PaymentOutcome::kRecordedForRefund;
  }
  exec(session, tx, kSetPaid, e.order_id, std::string(orders::to_string(next)), epoch(now),
       r[0][4].as<int>(), store_id);
  if (next == Status::kCompleted) release_or_consume(session, tx, {e.order_id}, {store_id}, true);
  // What the basket teaches recommendations counts from this commit on (no nightly retrain).
  RecoRepository(session).learn_paid_order(e.order_id, r[0][2].as<std::string>());
  return PaymentOutcome::kApplied;
}
}  // namespace

PaymentOutcome OrderRepository::apply_payment(const PaymentEvent& e, core::Timestamp now) {
  return write(session_, [&](Tx& tx) { return *apply_payment_in(session_, tx, e, now, true); });
}

std::optional<PaymentOutcome> OrderRepository::apply_payment_unless_it_pays(const PaymentEvent& e,
                                                                            core::Timestamp now) {
  return write(session_, [&](Tx& tx) { return apply_payment_in(session_, tx, e, now, false); });
}

}  // namespace freshlane::storage
