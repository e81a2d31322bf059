#include "freshlane/storage/fresh_repository.hpp"

#include <charconv>

#include "sql.hpp"

namespace freshlane::storage {

namespace {

// What `q` stock units come to at `price` per priced unit (pieces; per kg or per 500 g for
// goods counted in grams), as catalog::line_amount rounds it. $unit is the product's unit.
#define FRESHLANE_AMOUNT(q, price, unit)              \
  "(CASE " unit " WHEN 'each' THEN (" q ") * (" price \
  ") "                                                \
  "WHEN 'kg' THEN round((" q ") * (" price            \
  ") / 1000.0) "                                      \
  "ELSE round((" q ") * (" price ") / 500.0) END)::bigint"

const Query kPolicies{"markdown_policies", R"sql(
  SELECT scope,
         (SELECT COALESCE(string_agg((e->>'hours_before') || ':' || (e->>'percent_off'), ','
                                     ORDER BY n), '')
          FROM jsonb_array_elements(steps) WITH ORDINALITY AS x(e, n)),
         floor_percent_of_cost, floor_percent_of_regular, one_day,
         extract(epoch FROM updated_at)::bigint, updated_by
  FROM markdown_policies ORDER BY scope)sql"};

const Query kPutPolicy{"markdown_policy_put", R"sql(
  INSERT INTO markdown_policies (scope, steps, floor_percent_of_cost, floor_percent_of_regular,
                                 one_day, updated_at, updated_by)
  VALUES ($1, $2::jsonb, $3, $4, $5, now(), $6)
  ON CONFLICT (scope) DO UPDATE SET steps = EXCLUDED.steps,
    floor_percent_of_cost = EXCLUDED.floor_percent_of_cost,
    floor_percent_of_regular = EXCLUDED.floor_percent_of_regular, one_day = EXCLUDED.one_day,
    updated_at = now(), updated_by = EXCLUDED.updated_by)sql"};

const Query kDeletePolicy{"markdown_policy_delete",
                          "DELETE FROM markdown_policies WHERE scope = $1 AND scope <> 'default'"};

// What the markdown round prices: a store's lots with free units, soonest to expire first.
#define FRESHLANE_LOTS_TO_PRICE(expiring)                                                 \
  "SELECT l.lot_id, l.sku, p.name, p.category, p.storage, sp.price_minor, "               \
  "sp.markdown_price_minor, extract(epoch FROM sp.markdown_until)::bigint, "              \
  "extract(epoch FROM sp.markdown_from)::bigint, l.unit_cost_minor, l.price_minor, "      \
  "extract(epoch FROM l.received_at)::bigint, extract(epoch FROM l.expires_at)::bigint, " \
  "l.quantity_on_hand - l.quantity_reserved "                                             \
  "FROM lots l JOIN store_products sp ON sp.store_id = l.store_id AND sp.sku = l.sku "    \
  "JOIN products p ON p.sku = l.sku "                                                     \
  "WHERE l.store_id = $1 " expiring                                                       \
  "AND l.recalled_at IS NULL "                                                            \
  "AND l.quantity_on_hand > l.quantity_reserved ORDER BY l.expires_at, l.lot_id"
const Query kLotsToPrice{"markdown_lots", FRESHLANE_LOTS_TO_PRICE("")};
// Only those expiring by $2 (lots_store_expiry finds them).
const Query kLotsToPriceBy{"markdown_lots_by",
                           FRESHLANE_LOTS_TO_PRICE("AND l.expires_at <= to_timestamp($2) ")};
#undef FRESHLANE_LOTS_TO_PRICE

// $1 lot, $2 price expected (NULL: none), $3 new price, $4 the price charged before, $5 regular,
// $6 reason, $7 actor, $8 now, $9 the lot's store.
const Query kSetLotPrice{"lot_price_set", R"sql(
  WITH changed AS (
    UPDATE lots SET price_minor = $3::bigint
    WHERE store_id = $9 AND lot_id = $1 AND price_minor IS NOT DISTINCT FROM $2::bigint
      AND $3::bigint < $4::bigint
    RETURNING lot_id, store_id, sku)
  INSERT INTO lot_price_changes (store_id, sku, lot_id, at, old_price_minor, price_minor,
                                 regular_minor, reason, actor)
  SELECT store_id, sku, lot_id, to_timestamp($8), $4::bigint, $3::bigint, $5::bigint, $6,
         $7 FROM changed
  RETURNING sku)sql"};

// $1 lot, $2 units (NULL: every free unit; more than are free: nothing), $3 regular price per
// priced unit, $4 reason, $5 actor, $6 note, $7 now, $8 the lot's store. Returns store, sku,
// units written off, cost, retail, and the units that were free.
const Query kWriteOff{"lot_write_off", R"sql(
  WITH lot AS (
    SELECT l.lot_id, l.store_id, l.sku, p.unit, l.unit_cost_minor,
           l.quantity_on_hand - l.quantity_reserved AS free,
           CASE WHEN $2::integer IS NULL THEN l.quantity_on_hand - l.quantity_reserved
                WHEN $2 <= l.quantity_on_hand - l.quantity_reserved THEN $2
                ELSE 0 END AS q
    FROM lots l JOIN products p ON p.sku = l.sku
    WHERE l.store_id = $8 AND l.lot_id = $1 FOR UPDATE OF l),
  off AS (
    UPDATE lots l SET quantity_on_hand = l.quantity_on_hand - lot.q FROM lot
    WHERE l.store_id = $8 AND l.lot_id = lot.lot_id AND lot.q > 0 RETURNING l.lot_id),
  rec AS (
    INSERT INTO write_offs (store_id, sku, lot_id, at, quantity, cost_minor, retail_minor, reason,
                            actor, note)
    SELECT store_id, sku, lot_id, to_timestamp($7), q,
           )sql" FRESHLANE_AMOUNT("q", "COALESCE(unit_cost_minor, $3::bigint)", "unit") R"sql(,
           )sql" FRESHLANE_AMOUNT("q", "$3::bigint", "unit") R"sql(, $4, $5, $6
    FROM lot WHERE q > 0 RETURNING quantity, cost_minor, retail_minor)
  SELECT lot.store_id, lot.sku, COALESCE(rec.quantity, 0), COALESCE(rec.cost_minor, 0),
         COALESCE(rec.retail_minor, 0), lot.free
  FROM lot LEFT JOIN rec ON true)sql"};

const Query kPriceChanges{"lot_price_changes", R"sql(
  SELECT c.change_id, c.lot_id, c.sku, p.name, extract(epoch FROM c.at)::bigint,
         extract(epoch FROM l.expires_at)::bigint, c.old_price_minor, c.price_minor,
         c.regular_minor, c.reason, c.actor
  FROM lot_price_changes c JOIN products p ON p.sku = c.sku JOIN lots l ON l.lot_id = c.lot_id
  WHERE c.store_id = $1 AND c.change_id > $2
    AND c.xid < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY c.change_id LIMIT $3)sql"};

// $1 store, $2 first day, $3 last day, $4 time zone.
const Query kWaste{"waste_report", R"sql(
  WITH bounds AS (
    SELECT ($2::date)::timestamp AT TIME ZONE $4 AS lo,
           ($3::date + 1)::timestamp AT TIME ZONE $4 AS hi),
  wo AS (
    SELECT (w.at AT TIME ZONE $4)::date AS day, p.category, sum(w.quantity)::bigint AS u,
           sum(w.cost_minor)::bigint AS c, sum(w.retail_minor)::bigint AS r
    FROM write_offs w JOIN products p ON p.sku = w.sku, bounds
    WHERE w.store_id = $1 AND w.at >= bounds.lo AND w.at < bounds.hi
    GROUP BY 1, 2),
  lines AS (
    SELECT (o.handed_over_at AT TIME ZONE $4)::date AS day, p.category, l.quantity,
           )sql" FRESHLANE_AMOUNT("l.quantity", "l.unit_price_minor", "l.unit") R"sql( AS value,
           l.unit_price_minor < COALESCE(l.list_price_minor, l.unit_price_minor) AS marked_down
    FROM orders o JOIN order_lines l ON l.order_id = o.order_id
         JOIN products p ON p.sku = l.sku, bounds
    WHERE o.store_id = $1 AND o.handed_over_at >= bounds.lo AND o.handed_over_at < bounds.hi
      AND l.quantity > 0),
  sold AS (
    SELECT day, category,
           COALESCE(sum(quantity) FILTER (WHERE marked_down), 0)::bigint AS mu,
           COALESCE(sum(value) FILTER (WHERE marked_down), 0)::bigint AS mv,
           COALESCE(sum(quantity) FILTER (WHERE NOT marked_down), 0)::bigint AS fu,
           COALESCE(sum(value) FILTER (WHERE NOT marked_down), 0)::bigint AS fv
    FROM lines GROUP BY 1, 2)
  SELECT COALESCE(wo.day, sold.day)::text, COALESCE(wo.category, sold.category),
         COALESCE(wo.u, 0), COALESCE(wo.c, 0), COALESCE(wo.r, 0), COALESCE(sold.mu, 0),
         COALESCE(sold.mv, 0), COALESCE(sold.fu, 0), COALESCE(sold.fv, 0)
  FROM wo FULL JOIN sold ON sold.day = wo.day AND sold.category = wo.category
  ORDER BY 1, 2)sql"};

// A store's local day of a moment, and the first moment of a local day ($4: its UTC offset).
#define FRESHLANE_LOCAL_DAY(at) \
  "((" at " AT TIME ZONE 'UTC' + make_interval(mins => $4::integer))::date)"
#define FRESHLANE_DAY_START(day) \
  "((" day ")::timestamp AT TIME ZONE 'UTC' - make_interval(mins => $4::integer))"
// The days that are over: those that ended more than an hour before now ($5), so no hand-over
// still in flight can land in one.
#define FRESHLANE_FIRST_OPEN_DAY FRESHLANE_LOCAL_DAY("(to_timestamp($5) - interval '1 hour')")

// $1 store, $2 the day after the last, $3 days, $4 the store's UTC offset in minutes, $5 now,
// $6 days at most. Sums the first $6 days of the window that are over and not summed yet into
// sales_days, once: a day another process sums at the same time waits for it and then adds
// nothing. Answers how many such days it found (fewer than $6: none are left).
const Query kSumSalesDays{"sales_days_sum", R"sql(
  WITH over AS (
    SELECT d::date AS day
    FROM generate_series($2::date - $3::integer,
                         LEAST($2::date, )sql" FRESHLANE_FIRST_OPEN_DAY R"sql() - 1,
                         interval '1 day') AS d
    WHERE NOT EXISTS (SELECT 1 FROM sales_days_summed s WHERE s.store_id = $1
                        AND s.utc_offset_minutes = $4 AND s.day = d::date)
    ORDER BY 1 LIMIT $6),
  summed AS (
    INSERT INTO sales_days_summed (store_id, utc_offset_minutes, day)
    SELECT $1, $4, day FROM over ON CONFLICT DO NOTHING RETURNING day),
  sums AS (
    INSERT INTO sales_days (store_id, utc_offset_minutes, day, sku, units)
    SELECT $1, $4, )sql" FRESHLANE_LOCAL_DAY("o.handed_over_at") R"sql(, l.sku, sum(l.quantity)
    FROM orders o JOIN order_lines l ON l.order_id = o.order_id
    WHERE o.store_id = $1
      AND o.handed_over_at >= )sql" FRESHLANE_DAY_START("(SELECT min(day) FROM summed)") R"sql(
      AND o.handed_over_at < )sql" FRESHLANE_DAY_START("(SELECT max(day) + 1 FROM summed)") R"sql(
      AND )sql" FRESHLANE_LOCAL_DAY("o.handed_over_at") R"sql( IN (SELECT day FROM summed)
    GROUP BY 3, 4
    ON CONFLICT DO NOTHING)
  SELECT count(*)::integer FROM over)sql"};
// Days summed in one statement (and transaction): a busy store's week is well inside the
// statement timeout, and a process summing the same days waits for at most a week's sum.
constexpr int kDaysSummedAtOnce = 7;

// $1 store, $2 the day after the last, $3 days, $4 the store's UTC offset in minutes, $5 now,
// $6 SKUs: the days that are over from sales_days, the rest (today, a day ahead) from the orders.
// sales_days is read one index range a SKU, whatever the planner believes of a table just
// filled: the LIMIT (a day a row) keeps the subquery from being flattened into a join.
const Query kDailySales{"daily_sales",
                        R"sql(
  SELECT k.sku, (s.day - $2::date + $3::integer)::integer, s.units
  FROM unnest($6::text[]) AS k(sku) CROSS JOIN LATERAL (
    SELECT day, units FROM sales_days
    WHERE store_id = $1 AND utc_offset_minutes = $4 AND sku = k.sku
      AND day >= $2::date - $3::integer
      AND day < LEAST($2::date, )sql" FRESHLANE_FIRST_OPEN_DAY R"sql()
    ORDER BY day LIMIT $3::integer) AS s
  UNION ALL
  SELECT l.sku, ()sql" FRESHLANE_LOCAL_DAY(
                            "o.handed_over_at") R"sql( - $2::date + $3::integer)::integer,
         sum(l.quantity)::bigint
  FROM orders o JOIN order_lines l ON l.order_id = o.order_id
  WHERE o.store_id = $1 AND l.sku = ANY($6::text[])
    AND o.handed_over_at >= )sql" FRESHLANE_DAY_START("GREATEST($2::date - "
                                                      "$3::integer, " FRESHLANE_FIRST_OPEN_DAY
                                                      ")") R"sql(
    AND o.handed_over_at < )sql" FRESHLANE_DAY_START("$2::date") R"sql(
  GROUP BY 1, 2)sql"};
const Query kForgetSalesDays{"sales_days_forget", R"sql(
  WITH summed AS (DELETE FROM sales_days_summed WHERE store_id = ANY($1::text[]))
  DELETE FROM sales_days WHERE store_id = ANY($1::text[]))sql"};
// Summed days older than $1 days, a batch of $2 (markers first: a day read again after is summed
// again from the orders, which keep it, and the rows left of it are the same sums).
const Query kPruneSalesDays{"sales_days_prune", R"sql(
  WITH summed AS (DELETE FROM sales_days_summed WHERE day < current_date - $1::integer)
  DELETE FROM sales_days WHERE (store_id, utc_offset_minutes, sku, day) IN (
    SELECT store_id, utc_offset_minutes, sku, day FROM sales_days
    WHERE day < current_date - $1::integer LIMIT $2))sql"};
#undef FRESHLANE_FIRST_OPEN_DAY
#undef FRESHLANE_DAY_START
#undef FRESHLANE_LOCAL_DAY

const Query kSupplyItems{"supply_items", R"sql(
  SELECT sp.sku, p.name, p.unit, sp.price_minor,
         (SELECT l.unit_cost_minor FROM lots l WHERE l.store_id = sp.store_id AND l.sku = sp.sku
            AND l.unit_cost_minor IS NOT NULL ORDER BY l.received_at DESC LIMIT 1),
         COALESCE(t.pack_size, 1), COALESCE(t.lead_days, 1), t.shelf_life_days,
         (SELECT avg(extract(epoch FROM l.expires_at - l.received_at) / 86400)::float8 FROM lots l
          WHERE l.store_id = sp.store_id AND l.sku = sp.sku
            AND l.received_at > to_timestamp($5) - interval '60 days'),
         t.sku IS NOT NULL, p.category, p.storage
  FROM store_products sp JOIN products p ON p.sku = sp.sku
       LEFT JOIN supply_terms t ON t.store_id = sp.store_id AND t.sku = sp.sku
  WHERE sp.store_id = $1 AND sp.delisted_at IS NULL AND sp.sku > $2 AND ($3 = '' OR sp.sku = $3)
  ORDER BY sp.sku LIMIT $4)sql"};

const Query kStockOnHand{"stock_on_hand", R"sql(
  SELECT sku, quantity_on_hand - quantity_reserved, extract(epoch FROM expires_at)::bigint
  FROM lots
  WHERE store_id = $1 AND sku = ANY($2::text[]) AND recalled_at IS NULL
    AND quantity_on_hand > quantity_reserved AND expires_at > to_timestamp($3)
  ORDER BY sku, expires_at)sql"};

const Query kPutSupplyTerms{"supply_terms_put", R"sql(
  INSERT INTO supply_terms (store_id, sku, pack_size, lead_days, shelf_life_days)
  SELECT store_id, sku, $3, $4, $5 FROM store_products WHERE store_id = $1 AND sku = $2
  ON CONFLICT (store_id, sku) DO UPDATE SET pack_size = EXCLUDED.pack_size,
    lead_days = EXCLUDED.lead_days, shelf_life_days = EXCLUDED.shelf_life_days,
    updated_at = now())sql"};

const Query kExpectedReceipts{"expected_receipts", R"sql(
  SELECT sku, delivery_on::text, quantity, packs, suggestion::text,
         extract(epoch FROM accepted_at)::bigint, accepted_by
  FROM expected_receipts
  WHERE store_id = $1 AND delivery_on >= $2::date
    AND (cardinality($3::text[]) = 0 OR sku = ANY($3::text[]))
  ORDER BY delivery_on, sku)sql"};

const Query kAccept{"expected_receipt_accept", R"sql(
  INSERT INTO expected_receipts (store_id, sku, delivery_on, quantity, packs, suggestion,
                                 accepted_at, accepted_by)
  VALUES ($1, $2, $3::date, $4, $5, $6::jsonb, to_timestamp($7), $8)
  ON CONFLICT (store_id, sku, delivery_on) DO UPDATE SET quantity = EXCLUDED.quantity,
    packs = EXCLUDED.packs, suggestion = EXCLUDED.suggestion,
    accepted_at = EXCLUDED.accepted_at, accepted_by = EXCLUDED.accepted_by
  RETURNING xmax = 0)sql"};

const Query kFreshToday{"fresh_today", R"sql(
  WITH day AS (SELECT date_trunc('day', to_timestamp($3) AT TIME ZONE $2) AT TIME ZONE $2 AS start)
  SELECT (SELECT count(*) FROM lot_price_changes c, day
          WHERE c.store_id = $1 AND c.at >= day.start)::bigint,
         (SELECT count(DISTINCT c.lot_id) FROM lot_price_changes c, day
          WHERE c.store_id = $1 AND c.at >= day.start)::bigint,
         COALESCE(sum(w.quantity), 0)::bigint, COALESCE(sum(w.cost_minor), 0)::bigint,
         COALESCE(sum(w.retail_minor), 0)::bigint
  FROM day LEFT JOIN write_offs w ON w.store_id = $1 AND w.at >= day.start)sql"};

// The walk-in shopper stands for a day of anonymous aisle sales: no person's basket, so not
// personalised (nothing of it is counted for recommendations).
const Query kHistoryShopper{"demo_history_shopper", R"sql(
  INSERT INTO customers (customer_id, phone, name, personalised)
  VALUES ('cus_demo_aisle', '+8600000000000', '门店散客 Walk-in shoppers', false)
  ON CONFLICT DO NOTHING)sql"};

// $1 store, $2 days, $3 now. Deterministic: quantities come from hashes of SKU and date.
const Query kSeedHistory{"demo_history_seed", R"sql(
  WITH store AS (SELECT utc_offset_minutes AS m FROM stores WHERE store_id = $1),
  days AS (  -- the store's local days before today, each sale between 10:00 and 20:00 there
    SELECT d, day,
           (day + time '10:00' + make_interval(mins => abs(hashtext($1 || d::text)) % 600)
            - make_interval(mins => store.m)) AT TIME ZONE 'UTC' AS at
    FROM store, generate_series(1, $2::integer) AS d,
         LATERAL (SELECT ((to_timestamp($3) AT TIME ZONE 'UTC') + make_interval(mins => store.m))::date
                         - d AS day) x),
  new_orders AS (
    INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency,
                        total_minor, created_at, payment_status, payment_expires_at, paid_at,
                        handed_over_at)
    SELECT 'ord_hist_' || $1 || '_' || to_char(day, 'YYYYMMDD'), 'cus_demo_aisle', $1,
           'in_store', 'completed', s.currency, 0, at, 'paid', at, at, at
    FROM days CROSS JOIN stores s WHERE s.store_id = $1
    ON CONFLICT (order_id, store_id) DO NOTHING
    RETURNING order_id, handed_over_at),
  wanted AS (
    SELECT o.order_id, sp.sku, p.name, p.unit, sp.price_minor,
           -- units a day: a base rate per product, more at the weekend, noise per day
           floor((CASE WHEN abs(hashtext(sp.sku)) % 5 = 0 THEN 0.5
                       ELSE 2 + abs(hashtext(sp.sku || 'rate')) % 14 END)
                 * (CASE extract(isodow FROM (o.handed_over_at AT TIME ZONE 'UTC')
                                             + make_interval(mins => store.m))
                         WHEN 6 THEN 1.35 WHEN 7 THEN 1.3
                         WHEN 5 THEN 1.15 ELSE 0.92 END)
                 * (0.6 + (abs(hashtext(sp.sku || o.order_id)) % 80) / 100.0)
                 + (abs(hashtext(o.order_id || sp.sku)) % 100) / 100.0)::integer AS units
    FROM store, new_orders o JOIN store_products sp ON sp.store_id = $1 AND sp.delisted_at IS NULL
         JOIN products p ON p.sku = sp.sku),
  new_lines AS (
    INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, unit_price_minor,
                             unit, ordered_grams, authorized_minor, weighed, list_price_minor)
    SELECT order_id, $1, (row_number() OVER (PARTITION BY order_id ORDER BY sku))::integer - 1, sku,
           name, CASE WHEN unit = 'each' THEN units ELSE units * 500 END, price_minor, unit,
           CASE WHEN unit = 'each' THEN NULL ELSE units * 500 END,
           CASE WHEN unit = 'each' THEN NULL
                ELSE )sql" FRESHLANE_AMOUNT("units * 500", "price_minor", "unit") R"sql( END,
           unit <> 'each', price_minor
    FROM wanted WHERE units > 0
    RETURNING order_id)
  SELECT order_id FROM new_orders)sql"};

// The orders' totals from their lines ($1: order ids, $2: their store). Apart from the statement
// that inserts them: a statement's parts see the tables as they were when it began, not each
// other's rows.
const Query kSeedTotals{"demo_seed_totals", R"sql(
  UPDATE orders o SET total_minor = t.total
  FROM (SELECT order_id, sum()sql" FRESHLANE_AMOUNT("quantity", "unit_price_minor",
                                                    "unit") R"sql()::bigint AS total
        FROM order_lines WHERE store_id = $2 AND order_id = ANY($1::text[]) GROUP BY order_id) t
  WHERE o.store_id = $2 AND o.order_id = t.order_id)sql"};

// The demo's regular customers and their past baskets (sim/shoppers.hpp), bought in the aisle:
// $1 store, $2 customer ids, $3 names, $4 phones; $5 order ids, $6 their customers, $7 their
// times (epoch seconds); $8 and $9 each line's order and SKU (one unit, or 500 g). Returns the
// orders made (none again on a second run); kSeedTotals then sums them.
const Query kSeedTrips{"demo_trips_seed", R"sql(
  WITH new_customers AS (
    INSERT INTO customers (customer_id, name, phone)
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[])
    ON CONFLICT DO NOTHING RETURNING 1),
  new_orders AS (
    INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency,
                        total_minor, created_at, payment_status, payment_expires_at, paid_at,
                        handed_over_at)
    SELECT t.order_id, t.customer_id, $1, 'in_store', 'completed', s.currency, 0,
           to_timestamp(t.at), 'paid', to_timestamp(t.at), to_timestamp(t.at), to_timestamp(t.at)
    FROM unnest($5::text[], $6::text[], $7::bigint[]) AS t(order_id, customer_id, at)
    CROSS JOIN stores s
    WHERE s.store_id = $1
    ON CONFLICT (order_id, store_id) DO NOTHING
    RETURNING order_id),
  new_lines AS (
    INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, unit_price_minor,
                             unit, ordered_grams, authorized_minor, weighed, list_price_minor)
    SELECT o.order_id, $1, (row_number() OVER (PARTITION BY o.order_id ORDER BY sp.sku))::integer - 1,
           sp.sku, p.name, CASE WHEN p.unit = 'each' THEN 1 ELSE 500 END, sp.price_minor, p.unit,
           CASE WHEN p.unit = 'each' THEN NULL ELSE 500 END,
           CASE WHEN p.unit = 'each' THEN NULL
                ELSE )sql" FRESHLANE_AMOUNT("500", "sp.price_minor", "p.unit") R"sql( END,
           p.unit <> 'each', sp.price_minor
    FROM unnest($8::text[], $9::text[]) AS l(order_id, sku)
    JOIN new_orders o ON o.order_id = l.order_id
    JOIN store_products sp ON sp.store_id = $1 AND sp.sku = l.sku
    JOIN products p ON p.sku = sp.sku
    RETURNING order_id)
  SELECT order_id FROM new_orders)sql"};

#undef FRESHLANE_AMOUNT

int number(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// "72:10,48:15" as stored (kPolicies) → steps.
std::vector<fresh::MarkdownStep> steps_of(const std::string& text) {
  std::vector<fresh::MarkdownStep> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find(',', at);
    if (end == std::string::npos) end = text.size();
    const std::string_view item(text.data() + at, end - at);
    const size_t colon = item.find(':');
    out.push_back({number(item.substr(0, colon)), number(item.substr(colon + 1))});
    at = end + 1;
  }
  return out;
}

std::string steps_json(const std::vector<fresh::MarkdownStep>& steps) {
  std::string out = "[";
  for (const auto& s : steps) {
    if (out.size() > 1) out += ',';
    out += "{\"hours_before\":" + std::to_string(s.hours_before) +
           ",\"percent_off\":" + std::to_string(s.percent_off) + "}";
  }
  return out + "]";
}

std::optional<catalog::Money> optional_money(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<long long>();
}

}  // namespace

std::vector<StoredPolicy> FreshRepository::policies() {
  return single(session_, [&](Tx& tx) {
    std::vector<StoredPolicy> out;
    for (const auto& r : exec(session_, tx, kPolicies)) {
      StoredPolicy p;
      p.scope = r[0].as<std::string>();
      p.policy.steps = steps_of(r[1].as<std::string>());
      p.policy.floor_percent_of_cost = r[2].as<int>();
      p.policy.floor_percent_of_regular = r[3].as<int>();
      p.policy.one_day = r[4].as<bool>();
      p.updated_at = from_epoch(r[5]);
      p.updated_by = r[6].as<std::string>();
      out.push_back(std::move(p));
    }
    return out;
  });
}

void FreshRepository::put_policy(const std::string& scope, const fresh::MarkdownPolicy& policy,
                                 const std::string& actor) {
  write(session_, [&](Tx& tx) {
    exec(session_, tx, kPutPolicy, scope, steps_json(policy.steps), policy.floor_percent_of_cost,
         policy.floor_percent_of_regular, policy.one_day, actor);
  });
}

bool FreshRepository::delete_policy(const std::string& scope) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kDeletePolicy, scope).affected_rows() > 0;
  });
}

std::vector<PricedLot> FreshRepository::lots_to_price(const std::string& store_id,
                                                      std::optional<core::Timestamp> expiring_by) {
  return single(session_, [&](Tx& tx) {
    std::vector<PricedLot> out;
    const auto rows = expiring_by
                          ? exec(session_, tx, kLotsToPriceBy, store_id, epoch(*expiring_by))
                          : exec(session_, tx, kLotsToPrice, store_id);
    for (const auto& r : rows) {
      PricedLot l;
      l.lot_id = r[0].as<std::string>();
      l.sku = r[1].as<std::string>();
      l.name = r[2].as<std::string>();
      l.category = r[3].as<std::string>();
      l.storage =
          catalog::parse_storage(r[4].as<std::string>()).value_or(catalog::Storage::kAmbient);
      l.listing_price_minor = r[5].as<long long>();
      if (!r[6].is_null()) {
        l.listing_markdown =
            catalog::Markdown{r[6].as<long long>(), from_epoch(r[7]), optional_time(r[8])};
      }
      l.unit_cost_minor = optional_money(r[9]);
      l.price_minor = optional_money(r[10]);
      l.received_at = from_epoch(r[11]);
      l.expires_at = from_epoch(r[12]);
      l.free_units = r[13].as<long long>();
      out.push_back(std::move(l));
    }
    return out;
  });
}

bool FreshRepository::set_lot_price(const std::string& store_id, const std::string& lot_id,
                                    std::optional<catalog::Money> expected, catalog::Money price,
                                    catalog::Money regular, const std::string& reason,
                                    const std::string& actor, core::Timestamp now) {
  const catalog::Money before = expected && *expected < regular ? *expected : regular;
  return write(session_, [&](Tx& tx) {
    const auto r = exec(session_, tx, kSetLotPrice, lot_id, expected, price, before, regular,
                        reason, actor, epoch(now), store_id);
    if (r.empty()) return false;
    session_.changed(catalog::ProductKey::in_place(store_id, r[0][0].as<std::string>()));
    return true;
  });
}

WriteOff FreshRepository::write_off(const std::string& store_id, const std::string& lot_id,
                                    std::optional<std::int64_t> quantity,
                                    catalog::Money retail_minor, const std::string& reason,
                                    const std::string& actor,
                                    const std::optional<std::string>& note, core::Timestamp now) {
  return write(session_, [&](Tx& tx) {
    WriteOff w;
    w.lot_id = lot_id;
    w.reason = reason;
    const auto r = exec(session_, tx, kWriteOff, lot_id, quantity, retail_minor, reason, actor,
                        note, epoch(now), store_id);
    if (r.empty()) return w;
    w.sku = r[0][1].as<std::string>();
    w.quantity = r[0][2].as<long long>();
    w.cost_minor = r[0][3].as<long long>();
    w.retail_minor = r[0][4].as<long long>();
    if (w.quantity > 0) session_.changed(catalog::ProductKey::in_place(store_id, w.sku));
    return w;
  });
}

std::vector<PriceChange> FreshRepository::price_changes(const std::string& store_id,
                                                        std::int64_t since, int limit) {
  return single(session_, [&](Tx& tx) {
    std::vector<PriceChange> out;
    for (const auto& r : exec(session_, tx, kPriceChanges, store_id, since, limit)) {
      PriceChange c;
      c.change_id = r[0].as<long long>();
      c.lot_id = r[1].as<std::string>();
      c.sku = r[2].as<std::string>();
      c.name = r[3].as<std::string>();
      c.at = from_epoch(r[4]);
      c.expires_at = from_epoch(r[5]);
      c.old_price_minor = r[6].as<long long>();
      c.price_minor = r[7].as<long long>();
      c.regular_minor = r[8].as<long long>();
      c.reason = r[9].as<std::string>();
      c.actor = r[10].as<std::string>();
      out.push_back(std::move(c));
    }
    return out;
  });
}

std::vector<WasteRow> FreshRepository::waste(const std::string& store_id, const std::string& from,
                                             const std::string& to, const std::string& timezone) {
  return single(session_, [&](Tx& tx) {
    std::vector<WasteRow> out;
    for (const auto& r : exec(session_, tx, kWaste, store_id, from, to, timezone)) {
      WasteRow w;
      w.day = r[0].as<std::string>();
      w.category = r[1].as<std::string>();
      w.written_off_units = r[2].as<long long>();
      w.written_off_cost_minor = r[3].as<long long>();
      w.written_off_retail_minor = r[4].as<long long>();
      w.markdown_units = r[5].as<long long>();
      w.markdown_value_minor = r[6].as<long long>();
      w.full_price_units = r[7].as<long long>();
      w.full_price_value_minor = r[8].as<long long>();
      out.push_back(std::move(w));
    }
    return out;
  });
}

std::map<std::string, std::vector<double>> FreshRepository::daily_sales(
    const std::string& store_id, const std::vector<std::string>& skus, const std::string& until_day,
    int days, int utc_offset_minutes, core::Timestamp now) {
  // A week at a time, each committed: the first forecast after a long gap (or ever) sums up
  // to a year of days. A statement that found fewer than a week left none.
  const auto sum_a_week = [&](Tx& tx) {
    return exec(session_, tx, kSumSalesDays, store_id, until_day, days, utc_offset_minutes,
                epoch(now), kDaysSummedAtOnce)[0][0]
        .as<int>();
  };
  while (write(session_, sum_a_week) == kDaysSummedAtOnce) continue;
  return single(session_, [&](Tx& tx) {
    std::map<std::string, std::vector<double>> out;
    for (const auto& sku : skus) out[sku].assign(static_cast<size_t>(days), 0.0);
    for (const auto& r : exec(session_, tx, kDailySales, store_id, until_day, days,
                              utc_offset_minutes, epoch(now), text_array(skus))) {
      const int day = r[1].as<int>();
      auto& series = out[r[0].as<std::string>()];
      if (day >= 0 && day < days) series[static_cast<size_t>(day)] = r[2].as<double>();
    }
    return out;
  });
}

std::vector<SupplyItem> FreshRepository::supply_items(const std::string& store_id,
                                                      const std::string& after_sku,
                                                      const std::string& only_sku, int limit,
                                                      core::Timestamp now) {
  return single(session_, [&](Tx& tx) {
    std::vector<SupplyItem> out;
    for (const auto& r :
         exec(session_, tx, kSupplyItems, store_id, after_sku, only_sku, limit, epoch(now))) {
      SupplyItem i;
      i.sku = r[0].as<std::string>();
      i.name = r[1].as<std::string>();
      i.unit = unit_of(r[2]);
      i.price_minor = r[3].as<long long>();
      i.unit_cost_minor = optional_money(r[4]);
      i.pack_size = r[5].as<int>();
      i.lead_days = r[6].as<int>();
      if (!r[7].is_null()) i.shelf_life_days = r[7].as<int>();
      if (!r[8].is_null()) i.lots_life_days = r[8].as<double>();
      i.terms_set = r[9].as<bool>();
      i.category = r[10].as<std::string>();
      i.storage =
          catalog::parse_storage(r[11].as<std::string>()).value_or(catalog::Storage::kAmbient);
      out.push_back(std::move(i));
    }
    return out;
  });
}

std::vector<StockOnHand> FreshRepository::stock_on_hand(const std::string& store_id,
                                                        const std::vector<std::string>& skus,
                                                        core::Timestamp now) {
  return single(session_, [&](Tx& tx) {
    std::vector<StockOnHand> out;
    for (const auto& r : exec(session_, tx, kStockOnHand, store_id, text_array(skus), epoch(now))) {
      out.push_back({r[0].as<std::string>(), r[1].as<long long>(), from_epoch(r[2])});
    }
    return out;
  });
}

bool FreshRepository::put_supply_terms(const std::string& store_id, const std::string& sku,
                                       int pack_size, int lead_days,
                                       std::optional<int> shelf_life_days) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kPutSupplyTerms, store_id, sku, pack_size, lead_days, shelf_life_days)
               .affected_rows() > 0;
  });
}

std::vector<ExpectedReceipt> FreshRepository::expected_receipts(
    const std::string& store_id, const std::string& from_day,
    const std::vector<std::string>& skus) {
  return single(session_, [&](Tx& tx) {
    std::vector<ExpectedReceipt> out;
    for (const auto& r :
         exec(session_, tx, kExpectedReceipts, store_id, from_day, text_array(skus))) {
      ExpectedReceipt e;
      e.sku = r[0].as<std::string>();
      e.delivery_on = r[1].as<std::string>();
      e.quantity = r[2].as<int>();
      e.packs = r[3].as<int>();
      e.suggestion_json = r[4].as<std::string>();
      e.accepted_at = from_epoch(r[5]);
      e.accepted_by = r[6].as<std::string>();
      out.push_back(std::move(e));
    }
    return out;
  });
}

bool FreshRepository::accept(const std::string& store_id, const ExpectedReceipt& e) {
  return write(session_, [&](Tx& tx) {
    const auto r = exec(session_, tx, kAccept, store_id, e.sku, e.delivery_on, e.quantity, e.packs,
                        e.suggestion_json, epoch(e.accepted_at), e.accepted_by);
    return r[0][0].as<bool>();
  });
}

FreshToday FreshRepository::today(const std::string& store_id, const std::string& timezone,
                                  core::Timestamp now) {
  return single(session_, [&](Tx& tx) {
    const auto r = exec(session_, tx, kFreshToday, store_id, timezone, epoch(now));
    return FreshToday{r[0][0].as<long long>(), r[0][1].as<long long>(), r[0][2].as<long long>(),
                      r[0][3].as<long long>(), r[0][4].as<long long>()};
  });
}

int FreshRepository::seed_sales_history(const std::string& store_id, int days,
                                        core::Timestamp now) {
  return write(session_, [&](Tx& tx) {
    exec(session_, tx, kHistoryShopper);
    std::vector<std::string> made;
    for (const auto& row : exec(session_, tx, kSeedHistory, store_id, days, epoch(now))) {
      made.push_back(row[0].as<std::string>());
    }
    exec(session_, tx, kSeedTotals, text_array(made), store_id);
    forget_sales_days({store_id});
    return static_cast<int>(made.size());
  });
}

std::vector<std::string> FreshRepository::seed_trips(const std::string& store_id,
                                                     const std::vector<DemoShopper>& shoppers,
                                                     const std::vector<DemoTrip>& trips) {
  std::vector<std::string> ids, names, phones, order_ids, order_customers, ats, line_orders,
      line_skus;
  for (const auto& s : shoppers) {
    ids.push_back(s.customer_id);
    names.push_back(s.name);
    phones.push_back(s.phone);
  }
  int n = 0;
  for (const auto& t : trips) {
    if (t.customer < 0 || static_cast<std::size_t>(t.customer) >= shoppers.size()) continue;
    const std::string order_id = "ord_shop_" + store_id + "_" + std::to_string(n++);
    order_ids.push_back(order_id);
    order_customers.push_back(shoppers[static_cast<std::size_t>(t.customer)].customer_id);
    ats.push_back(std::to_string(epoch(t.at)));
    for (const auto& sku : t.skus) {
      line_orders.push_back(order_id);
      line_skus.push_back(sku);
    }
  }
  return write(session_, [&](Tx& tx) {
    std::vector<std::string> made;
    for (const auto& row :
         exec(session_, tx, kSeedTrips, store_id, text_array(ids), text_array(names),
              text_array(phones), text_array(order_ids), text_array(order_customers),
              text_array(ats), text_array(line_orders), text_array(line_skus))) {
      made.push_back(row[0].as<std::string>());
    }
    exec(session_, tx, kSeedTotals, text_array(made), store_id);
    forget_sales_days({store_id});
    return made;
  });
}

void FreshRepository::prune_sales_days(int keep_days) {
  delete_in_batches(session_, kPruneSalesDays, 100, keep_days);
}

void FreshRepository::forget_sales_days(const std::vector<std::string>& store_ids) {
  write(session_, [&](Tx& tx) { exec(session_, tx, kForgetSalesDays, text_array(store_ids)); });
}

}  // namespace freshlane::storage
