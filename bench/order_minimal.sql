-- bench/orders' baseline: the least one order must do, as one pgbench transaction. A random
-- customer and SKU (with its one lot) are drawn from bench_pick; then, in one transaction, the
-- lot's stock is reserved only if it is there (a conditional update), the order and its line
-- are written with the lot the line takes (an Order's lines carry their lots: what a recall
-- reads), and the idempotency key with its answer. One commit, no reads inside.
\set n random(1, :picks)
\set id random(1, 999999999999999)
SELECT customer_id AS cust, sku, lot_id AS lot, name, price FROM bench_pick WHERE n = :n \gset
BEGIN;
UPDATE lots SET quantity_reserved = quantity_reserved + 1
  WHERE lot_id = :lot AND quantity_on_hand - quantity_reserved >= 1 AND expires_at > now();
INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency, total_minor,
                    created_at, payment_status, payment_expires_at)
  VALUES ('ordb' || :id, :cust, :store, 'pickup', 'pending_payment', 'CNY', :price, now(),
          'pending', now() + interval '15 minutes');
INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, unit_price_minor)
  VALUES ('ordb' || :id, :store, 0, :sku, :name, 1, :price);
INSERT INTO order_line_lots (order_id, store_id, line_no, lot_id, quantity)
  VALUES ('ordb' || :id, :store, 0, :lot, 1);
INSERT INTO idempotency_keys (customer_id, key, request_hash, status, response_body)
  VALUES (:cust, 'kb' || :id, 'h', 201, :body);
COMMIT;
