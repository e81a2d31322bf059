-- Money that moves (issue 15): every amount owed back to a customer becomes a refund with a
-- lifecycle, owed → requested → refunded | failed. A refund is sent to the payment provider
-- (a signed, retried, idempotent call: api/refunds, app/refund_sender.cpp) and reconciled by the
-- provider's webhook.
--
-- Refunds are written by triggers in the very transaction that owes the money, whichever process
-- runs it: a short pick (orders.refund_minor grows), a paid order cancelled, money received for
-- an order that could no longer use it (payment_events.refund_due). Nothing owed is lost.
CREATE TABLE refunds (
  refund_id       text PRIMARY KEY,
  order_id        text NOT NULL REFERENCES orders,
  store_id        text NOT NULL,
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  currency        char(3) NOT NULL,
  reason          text NOT NULL CHECK (reason IN ('short_pick', 'cancelled_after_payment',
                                                  'paid_after_expiry')),
  state           text NOT NULL DEFAULT 'owed'
                  CHECK (state IN ('owed', 'requested', 'refunded', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  provider_ref    text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_due ON refunds (next_attempt_at) WHERE state = 'owed';
CREATE INDEX refunds_by_order ON refunds (order_id);
CREATE INDEX refunds_by_store ON refunds (store_id, created_at DESC);

CREATE FUNCTION new_refund_id() RETURNS text LANGUAGE sql AS $$
  SELECT 'rf_' || substr(md5(random()::text || clock_timestamp()::text), 1, 20)
$$;

CREATE FUNCTION owe_on_order_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.refund_minor > OLD.refund_minor THEN
    INSERT INTO refunds (refund_id, order_id, store_id, amount_minor, currency, reason)
    VALUES (new_refund_id(), NEW.order_id, NEW.store_id, NEW.refund_minor - OLD.refund_minor,
            NEW.currency, 'short_pick');
  END IF;
  IF NEW.status = 'cancelled' AND OLD.status <> 'cancelled' AND OLD.payment_status = 'paid'
     AND NEW.total_minor - NEW.refund_minor > 0 THEN
    INSERT INTO refunds (refund_id, order_id, store_id, amount_minor, currency, reason)
    VALUES (new_refund_id(), NEW.order_id, NEW.store_id, NEW.total_minor - NEW.refund_minor,
            NEW.currency, 'cancelled_after_payment');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER orders_owe AFTER UPDATE OF refund_minor, status ON orders
  FOR EACH ROW EXECUTE FUNCTION owe_on_order_change();

CREATE FUNCTION owe_on_late_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.refund_due AND NOT OLD.refund_due AND NEW.status = 'succeeded' AND NEW.amount_minor > 0 THEN
    INSERT INTO refunds (refund_id, order_id, store_id, amount_minor, currency, reason)
    SELECT new_refund_id(), o.order_id, o.store_id, NEW.amount_minor, o.currency,
           'paid_after_expiry'
    FROM orders o WHERE o.order_id = NEW.order_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER payment_events_owe AFTER UPDATE OF refund_due ON payment_events
  FOR EACH ROW EXECUTE FUNCTION owe_on_late_payment();

-- What was owed before this migration is owed still.
INSERT INTO refunds (refund_id, order_id, store_id, amount_minor, currency, reason)
SELECT new_refund_id(), order_id, store_id, refund_minor, currency, 'short_pick'
FROM orders WHERE refund_minor > 0 AND status <> 'cancelled';
INSERT INTO refunds (refund_id, order_id, store_id, amount_minor, currency, reason)
SELECT new_refund_id(), order_id, store_id, total_minor - refund_minor, currency,
       'cancelled_after_payment'
FROM orders WHERE status = 'cancelled' AND payment_status = 'refunded'
  AND total_minor - refund_minor > 0;
INSERT INTO refunds (refund_id, order_id, store_id, amount_minor, currency, reason)
SELECT new_refund_id(), o.order_id, o.store_id, e.amount_minor, o.currency, 'paid_after_expiry'
FROM payment_events e JOIN orders o ON o.order_id = e.order_id
WHERE e.refund_due AND e.status = 'succeeded' AND e.amount_minor > 0;

-- An in-store order's receipt is checked once at the exit (the code on it opens the gate once).
ALTER TABLE orders ADD COLUMN exit_checked_at timestamptz;
