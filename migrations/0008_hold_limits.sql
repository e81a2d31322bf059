-- What one customer holds in unpaid orders (issue 14: one unverified account reserved a whole
-- store's stock for the 15 minutes of the payment window).
--
-- Kept on the customer's row beside pending_orders (0005), and by the same means: an order adds
-- its units and value only while both stay within the limits, a compare-and-set in the order's
-- own statement (storage/order_path.hpp), so two orders of one customer placed at once, through
-- any processes, queue on that row and the second one sees the first. Leaving pending_payment
-- (paid, cancelled, expired) gives them back.

-- The units an order was placed with (its lines' quantities), beside total_minor, its value.
ALTER TABLE orders ADD COLUMN units integer NOT NULL DEFAULT 0 CHECK (units >= 0);
UPDATE orders o SET units = l.units
FROM (SELECT order_id, sum(quantity)::integer AS units FROM order_lines GROUP BY order_id) l
WHERE l.order_id = o.order_id;

ALTER TABLE customers ADD COLUMN held_units bigint NOT NULL DEFAULT 0,
                      ADD COLUMN held_value_minor bigint NOT NULL DEFAULT 0;
UPDATE customers c SET held_units = h.units, held_value_minor = h.value
FROM (SELECT customer_id, sum(units) AS units, sum(total_minor) AS value FROM orders
      WHERE status = 'pending_payment' GROUP BY customer_id) h
WHERE h.customer_id = c.customer_id;

-- The triggers of 0005 (orders_left_pending, orders_deleted_pending) call this function.
CREATE OR REPLACE FUNCTION order_left_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customers SET pending_orders = greatest(pending_orders - 1, 0),
                       held_units = greatest(held_units - OLD.units, 0),
                       held_value_minor = greatest(held_value_minor - OLD.total_minor, 0)
  WHERE customer_id = OLD.customer_id;
  RETURN NULL;
END $$;
