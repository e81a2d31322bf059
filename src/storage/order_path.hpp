#pragma once
// Private to storage/: every statement one order placement runs, in the order it runs them.
// Each round trip counts. The token and the store are single reads (and the server keeps both
// in memory for a few seconds); the order is one transaction of four statements between BEGIN
// and COMMIT, the idempotency key's answer included, so an order costs one commit and a retry
// after any failure finds either that answer or no order at all.
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage::order_path {

// 1. Who is calling: the bearer token's hash → role, subject, store, job.
inline const Query kFindToken{"token_find", R"sql(
  SELECT role, subject_id, COALESCE(store_id, ''), COALESCE(job, '') FROM api_tokens
  WHERE token_hash = $1)sql"};

// 2. The store (the server keeps stores in memory for a few seconds; see api/).
inline const Query kFindStore{"store_find", R"sql(
  SELECT store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency
  FROM stores WHERE store_id = $1)sql"};

// 3. BEGIN; the idempotency key: what it already holds, and a lock on it for this transaction
// (false: a twin request with the same key is running now).
inline const Query kKey{"idempotency_key", R"sql(
  SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0)), k.request_hash,
         k.status, k.response_body
  FROM (VALUES (1)) AS one LEFT JOIN idempotency_keys k ON k.customer_id = $1 AND k.key = $2)sql"};

// 4. One order at a time per customer.
inline const Query kLockCustomer{"order_lock_customer", R"sql(
  SELECT 1 FROM customers WHERE customer_id = $1 FOR UPDATE)sql"};

// 5. Every lot the order could take from, locked in the one global order (sku, expiry, lot),
// and the listings of the ordered SKUs, each with the customer's unpaid orders (counted after
// the customer's lock, so a concurrent order of theirs is seen). Lots come first ('L'), then
// listings ('S').
inline const Query kListingsAndLots{"order_listings_lots", R"sql(
  WITH candidates AS (
    SELECT lot_id, sku, expires_at, quantity_on_hand - quantity_reserved AS available FROM lots
    WHERE store_id = $1 AND sku = ANY($2::text[]) AND expires_at > to_timestamp($4)
      AND quantity_on_hand > quantity_reserved
    ORDER BY sku, expires_at, lot_id
    FOR UPDATE)
  SELECT 'L', lot_id, sku, extract(epoch FROM expires_at)::bigint, available, NULL::bigint, NULL,
         NULL::integer
  FROM candidates
  UNION ALL
  SELECT 'S', sp.sku, p.name, sp.price_minor, sp.markdown_price_minor,
         extract(epoch FROM sp.markdown_until)::bigint, NULL,
         (SELECT count(*)::integer FROM orders o
          WHERE o.customer_id = $3 AND o.status = 'pending_payment'
            AND o.payment_expires_at > to_timestamp($4))
  FROM store_products sp JOIN products p ON p.sku = sp.sku
  WHERE sp.store_id = $1 AND sp.sku = ANY($2::text[]))sql"};

// 6. The order, its lines, the lots each line takes, the lots' reservations and the answer
// kept under the idempotency key, at once. Then COMMIT: one commit for the order.
// Lines: $14 line numbers, $15 SKUs, $16 names, $17 quantities, $18 unit prices.
// Takes: $19 line numbers, $20 lot ids, $21 quantities. Key: $22 key, $23 request hash,
// $24 status, $25 answer.
inline const Query kWriteOrder{"order_write", R"sql(
  WITH new_order AS (
    INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency, total_minor,
                        created_at, payment_status, payment_expires_at, delivery_lat, delivery_lon,
                        delivery_address, delivery_distance_m, handover_code)
    VALUES ($1, $2, $3, $4, 'pending_payment', $5, $6, to_timestamp($7), 'pending',
            to_timestamp($8), $9, $10, $11, $12, $13)),
  new_lines AS (
    INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price_minor)
    SELECT $1, * FROM unnest($14::integer[], $15::text[], $16::text[], $17::integer[],
                             $18::bigint[])),
  takes AS (
    INSERT INTO order_line_lots (order_id, line_no, lot_id, quantity)
    SELECT $1, * FROM unnest($19::integer[], $20::text[], $21::integer[])),
  answer AS (
    INSERT INTO idempotency_keys (customer_id, key, request_hash, status, response_body)
    VALUES ($2, $22, $23, $24, $25))
  UPDATE lots l SET quantity_reserved = l.quantity_reserved + t.quantity
  FROM (SELECT lot_id, sum(quantity)::integer AS quantity
        FROM unnest($20::text[], $21::integer[]) AS u(lot_id, quantity) GROUP BY lot_id) t
  WHERE l.lot_id = t.lot_id)sql"};

// 6'. An order refused for good (out of stock, unknown SKU): only the answer is kept.
inline const Query kKeepAnswer{"idempotency_keep", R"sql(
  INSERT INTO idempotency_keys (customer_id, key, request_hash, status, response_body)
  VALUES ($1, $2, $3, $4, $5))sql"};

}  // namespace freshlane::storage::order_path
