#pragma once
// Private to storage/ (and bench/order_sql, which writes pgbench's script from these very
// constants, so the benchmark cannot drift from the server): every statement one order
// placement runs, in the order it runs them. Each round trip counts: the single reads and the
// idempotency key are one statement each, outside a transaction; the order itself is one
// transaction of four statements between BEGIN and COMMIT.
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage::order_path {

// 1. Who is calling: the bearer token's hash → role, subject, store, job.
inline const Query kFindToken{"token_find", R"sql(
  SELECT role, subject_id, COALESCE(store_id, ''), COALESCE(job, '') FROM api_tokens
  WHERE token_hash = $1)sql"};

// 2. The idempotency key: (customer, key, request hash). Taken: the caller replays or waits.
inline const Query kClaim{"idempotency_claim", R"sql(
  INSERT INTO idempotency_keys (customer_id, key, request_hash) VALUES ($1, $2, $3)
  ON CONFLICT (customer_id, key) DO NOTHING)sql"};

// 3. The store.
inline const Query kFindStore{"store_find", R"sql(
  SELECT store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency
  FROM stores WHERE store_id = $1)sql"};

// 4. BEGIN; one order at a time per customer.
inline const Query kLockCustomer{"order_lock_customer", R"sql(
  SELECT 1 FROM customers WHERE customer_id = $1 FOR UPDATE)sql"};

// 5. Listings of the ordered SKUs, each row with the customer's unpaid orders (counted after
// the customer's lock, so a concurrent order of theirs is seen).
inline const Query kListingsAndPending{"order_listings", R"sql(
  SELECT sp.sku, p.name, sp.price_minor, sp.markdown_price_minor,
         extract(epoch FROM sp.markdown_until)::bigint,
         (SELECT count(*) FROM orders o
          WHERE o.customer_id = $3 AND o.status = 'pending_payment'
            AND o.payment_expires_at > to_timestamp($4))
  FROM store_products sp JOIN products p ON p.sku = sp.sku
  WHERE sp.store_id = $1 AND sp.sku = ANY($2::text[]))sql"};

// 6. Locks, in the one global order, every lot the order could take from.
inline const Query kLockLots{"order_lock_lots", R"sql(
  SELECT lot_id, sku, extract(epoch FROM expires_at)::bigint, quantity_on_hand - quantity_reserved
  FROM lots
  WHERE store_id = $1 AND sku = ANY($2::text[]) AND expires_at > to_timestamp($3)
    AND quantity_on_hand > quantity_reserved
  ORDER BY sku, expires_at, lot_id
  FOR UPDATE)sql"};

// 7. The order, its lines, the lots each line takes and the lots' reservations, at once.
// Lines: $14 line numbers, $15 SKUs, $16 names, $17 quantities, $18 unit prices.
// Takes: $19 line numbers, $20 lot ids, $21 quantities. Then COMMIT.
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
    SELECT $1, * FROM unnest($19::integer[], $20::text[], $21::integer[]))
  UPDATE lots l SET quantity_reserved = l.quantity_reserved + t.quantity
  FROM (SELECT lot_id, sum(quantity)::integer AS quantity
        FROM unnest($20::text[], $21::integer[]) AS u(lot_id, quantity) GROUP BY lot_id) t
  WHERE l.lot_id = t.lot_id)sql"};

// 8. The answer, kept under the idempotency key.
inline const Query kComplete{"idempotency_complete", R"sql(
  UPDATE idempotency_keys SET status = $3, response_body = $4
  WHERE customer_id = $1 AND key = $2)sql"};

}  // namespace freshlane::storage::order_path
