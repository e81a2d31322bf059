-- Honest promises. A failed delivery's bags ride back with the courier before the order can be
-- planned again (status 'returning' until they are handed back at the store); the customer may
-- choose a redelivery time, before which no round plans the order; an order whose live ETA
-- passes its promise is flagged once, fleet-wide (a compare-and-set on late_flagged_at).

-- When the bags of a failed stop were back at the store (NULL: still with its courier).
ALTER TABLE trip_stops ADD COLUMN returned_at timestamptz;
-- Failed stops before this migration already put their orders back to 'packed'.
UPDATE trip_stops SET returned_at = COALESCE(done_at, now()) WHERE state = 'failed';
-- The bags couriers still carry back: few rows, looked up by courier when one is at the store.
CREATE INDEX trip_stops_bags_out ON trip_stops (trip_id) WHERE state = 'failed' AND returned_at IS NULL;

-- The customer's redelivery: not planned before this time (the promise counts from it).
ALTER TABLE orders ADD COLUMN redelivery_after timestamptz;
-- The first time the order's live ETA was seen past its promise (reset by a new promise).
ALTER TABLE orders ADD COLUMN late_flagged_at timestamptz;

-- What a store's desk, its quote and its admission read: every open delivery order.
CREATE INDEX orders_open_delivery ON orders (store_id)
  WHERE fulfillment = 'delivery'
    AND status IN ('pending_payment', 'paid', 'picking', 'packed', 'out_for_delivery', 'returning');
