#pragma once
// Private to storage/: every statement one order placement runs, in the order it runs them.
// Each round trip counts. The token and the store are single reads (and the server keeps both
// in memory for a few seconds). Then an order is two round trips: one read of everything it
// starts from, and one statement that writes it whole, with the idempotency key's answer, or
// nothing: one commit, and a retry after any failure finds either that answer or no order.
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage::order_path {

// 1. Who is calling: the bearer token's hash → role, subject, store, job.
inline const Query kFindToken{"token_find", R"sql(
  SELECT role, subject_id, COALESCE(store_id, ''), COALESCE(job, '') FROM api_tokens
  WHERE token_hash = $1)sql"};

// 2. The store (the server keeps stores in memory for a few seconds; see api/).
inline const Query kFindStore{"store_find", R"sql(
  SELECT store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency, address, phone,
         opens, closes, utc_offset_minutes, delivery_paused_reason
  FROM stores WHERE store_id = $1)sql"};

// 3. What the order starts from, in one read (no transaction, no lock), as rows of (kind, two
// texts, three numbers, a text): the idempotency key's answer if it has one ('K': request hash,
// answer, status), the listings of the ordered SKUs ('S': sku, name, price, markdown price,
// markdown until, unit) and every lot they could take from ('L': lot, sku, expires, available:
// grams for goods sold by weight, the lot's own price or NULL).
// $1 store, $2 SKUs, $3 customer, $4 now, $5 key.
inline const Query kOrderRead{"order_read", R"sql(
  SELECT 'K', k.request_hash, k.response_body, k.status::bigint, NULL::bigint, NULL::bigint,
         NULL::text
  FROM idempotency_keys k WHERE k.customer_id = $3 AND k.key = $5
  UNION ALL
  SELECT 'S', sp.sku, p.name, sp.price_minor,
         CASE WHEN sp.markdown_from IS NULL OR sp.markdown_from <= to_timestamp($4)
              THEN sp.markdown_price_minor END,
         extract(epoch FROM sp.markdown_until)::bigint, p.unit
  FROM store_products sp JOIN products p ON p.sku = sp.sku
  WHERE sp.store_id = $1 AND sp.sku = ANY($2::text[]) AND sp.delisted_at IS NULL
  UNION ALL
  SELECT 'L', lot_id, sku, extract(epoch FROM expires_at)::bigint,
         quantity_on_hand - quantity_reserved, price_minor, NULL
  FROM lots
  WHERE store_id = $1 AND sku = ANY($2::text[]) AND expires_at > to_timestamp($4)
    AND recalled_at IS NULL
    AND quantity_on_hand > quantity_reserved)sql"};

// 3'. A delivery order only: the store's admission, taken first in the transaction that
// checks the store's load and writes the order (steps 4 and 4'), so that delivery orders of one
// store are admitted one at a time in every process and none is admitted on a load that another
// admitted order has already changed. A transaction-scoped advisory lock in its own key space
// (two int4 keys), so it never blocks the dispatch desk's rounds nor the jobs' claims; a store
// whose id shares a hash with another only waits a little longer. $1 store.
inline const Query kAdmissionLock{"order_admission_lock", R"sql(
  SELECT pg_advisory_xact_lock(hashtext('freshlane admission'), hashtext($1)))sql"};

// 4. The order, one statement and so one transaction and one commit: a lock on the key for this
// transaction (none: a twin request with the key is running now, nothing is written); one more
// unpaid order for the customer, with its units and value, only while the customer stays within
// the limits on unpaid orders and on what they hold in them (the customer's row is the one place
// these are counted: a concurrent order of the same customer, in any process, waits on it and is
// then checked against the row as that order left it); the planned lots reserved only where the
// units are still there; and, when every lot gave its units, the order, its lines, the lots
// each line takes and the key's answer. When some lot no longer had them,
// freshlane_stock_moved() undoes the statement (SQLSTATE FL001) and the order is planned again
// from a new read (so are the rare deadlocks of two orders taking the same lots in turn).
// Returns: key locked, placed, the customer's unpaid orders, units and value held in them (as
// the statement began: what a refusal reports).
// $1 order id, $2 customer, $3 store, $4 fulfillment, $5 currency, $6 total, $7 now,
// $8 payment expires, $9-$12 delivery, $13 how the hand-over code is checked. Lines: $14 line
// numbers, $15 SKUs, $16 names, $17 quantities (grams ordered, for goods sold by weight),
// $18 unit prices, $31 units, $32 weighed already (an in-store line was weighed by the customer
// at the aisle's scale: its grams are final), $33 amounts authorised (NULL for goods sold each).
// Takes: $19 line numbers, $20 lot ids, $21 quantities. Key: $22 key, $23 request hash, $24 status,
// $25 answer. Limits: $26 most unpaid orders, $27 most units held, $28 most value held. $29
// delivery notes (or NULL), $30 the units the order holds (orders::held_units). $34 each take's
// lot price as planned (NULL: none; a lot marked down since is not taken: planned again), $35 each
// line's list price.
inline const Query kWriteOrder{"order_write", R"sql(
  WITH gate AS (
    SELECT pg_try_advisory_xact_lock(hashtextextended($2 || ' ' || $22, 0)) AS got),
  ordered AS (SELECT $30::bigint AS units),
  unpaid AS (
    UPDATE customers c SET pending_orders = c.pending_orders + 1,
                           held_units = c.held_units + ordered.units,
                           held_value_minor = c.held_value_minor + $6
    FROM gate, ordered
    WHERE gate.got AND c.customer_id = $2 AND c.pending_orders < $26
      AND c.held_units + ordered.units <= $27 AND c.held_value_minor + $6 <= $28
    RETURNING 1),
  wanted AS (
    SELECT lot_id, sum(quantity)::integer AS quantity, min(price) AS price
    FROM unnest($20::text[], $21::integer[], $34::bigint[]) AS u(lot_id, quantity, price)
    GROUP BY lot_id),
  -- The lots are locked in one order (by id) before any is changed, so two orders taking the
  -- same lots never wait on each other in a circle.
  locked AS MATERIALIZED (
    SELECT l.lot_id FROM lots l
    WHERE EXISTS (SELECT 1 FROM unpaid) AND l.lot_id IN (SELECT lot_id FROM wanted)
    ORDER BY l.lot_id FOR UPDATE),
  taken AS (
    UPDATE lots l SET quantity_reserved = l.quantity_reserved + w.quantity
    FROM wanted w JOIN locked k ON k.lot_id = w.lot_id
    WHERE EXISTS (SELECT 1 FROM unpaid) AND l.lot_id = w.lot_id
      AND l.quantity_on_hand - l.quantity_reserved >= w.quantity
      AND l.price_minor IS NOT DISTINCT FROM w.price
      AND l.expires_at > to_timestamp($7) AND l.recalled_at IS NULL
    RETURNING 1),
  placed AS (
    SELECT CASE WHEN EXISTS (SELECT 1 FROM unpaid)
                THEN NOT freshlane_stock_moved((SELECT count(*) FROM taken) <>
                                               (SELECT count(*) FROM wanted))
                ELSE false END AS ok),
  new_order AS (
    INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency, total_minor,
                        created_at, payment_status, payment_expires_at, delivery_lat, delivery_lon,
                        delivery_address, delivery_distance_m, handover_code_scheme, units,
                        delivery_notes)
    SELECT $1, $2, $3, $4, 'pending_payment', $5, $6, to_timestamp($7), 'pending',
           to_timestamp($8), $9, $10, $11, $12, $13, ordered.units, $29
    FROM placed, ordered WHERE ok),
  new_lines AS (
    INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, unit_price_minor,
                             unit, ordered_grams, authorized_minor, weighed, list_price_minor)
    SELECT $1, $3, u.line_no, u.sku, u.name, u.quantity, u.price, u.unit,
           CASE WHEN u.unit <> 'each' THEN u.quantity END, u.authorized, u.weighed, u.list_price
    FROM placed, unnest($14::integer[], $15::text[], $16::text[], $17::integer[], $18::bigint[],
                        $31::text[], $32::boolean[], $33::bigint[], $35::bigint[])
                 AS u(line_no, sku, name, quantity, price, unit, weighed, authorized, list_price)
    WHERE ok),
  takes AS (
    INSERT INTO order_line_lots (order_id, store_id, line_no, lot_id, quantity)
    SELECT $1, $3, u.* FROM placed, unnest($19::integer[], $20::text[], $21::integer[]) AS u
    WHERE ok),
  answer AS (
    INSERT INTO idempotency_keys (customer_id, key, request_hash, status, response_body)
    SELECT $2, $22, $23, $24, $25 FROM placed WHERE ok)
  SELECT (SELECT got FROM gate), (SELECT ok FROM placed), c.pending_orders, c.held_units,
         c.held_value_minor
  FROM (SELECT 1) one LEFT JOIN customers c ON c.customer_id = $2)sql"};

// 4'. An order refused for good (out of stock, unknown SKU): only the answer is kept, unless a
// twin kept one first.
inline const Query kKeepAnswer{"idempotency_keep", R"sql(
  INSERT INTO idempotency_keys (customer_id, key, request_hash, status, response_body)
  VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING)sql"};

}  // namespace freshlane::storage::order_path
