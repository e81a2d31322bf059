-- Goods sold by weight (issue 15): products priced per kg or per 500 g are counted in grams
-- wherever stock moves (lots, order lines and the lots they take, pick-task lines). A customer
-- orders grams; the order holds that much stock and its payment authorises the price of up to
-- 10% more (catalog::kWeighTolerancePercent); the picker's scale sets the grams when the bag is
-- finished, and what the weighed piece does not cost is given back (refund reason
-- weight_adjustment).

-- Stock that was counted in priced units is counted in grams from now on.
CREATE FUNCTION grams_per_unit(unit text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE unit WHEN 'kg' THEN 1000 WHEN '500g' THEN 500 ELSE 1 END
$$;
UPDATE lots l SET quantity_received = l.quantity_received * grams_per_unit(p.unit),
                  quantity_on_hand = l.quantity_on_hand * grams_per_unit(p.unit),
                  quantity_reserved = l.quantity_reserved * grams_per_unit(p.unit)
FROM products p WHERE p.sku = l.sku AND p.unit <> 'each';

-- An order line says how it is counted. Lines sold by weight keep the grams ordered and what
-- their payment authorised; `weighed` once the scale's grams are the line's quantity.
ALTER TABLE order_lines
  ADD COLUMN unit text NOT NULL DEFAULT 'each' CHECK (unit IN ('each', '500g', 'kg')),
  ADD COLUMN ordered_grams integer CHECK (ordered_grams > 0),
  ADD COLUMN authorized_minor bigint CHECK (authorized_minor >= 0),
  ADD COLUMN weighed boolean NOT NULL DEFAULT false,
  ADD CHECK ((unit = 'each') = (ordered_grams IS NULL)),
  ADD CHECK ((unit = 'each') = (authorized_minor IS NULL));
-- Lines placed before: their units become grams, and (as they were paid as ordered) what they
-- authorised is what they cost; the lots they take are counted in grams too. A line whose
-- picking has not begun (its order unpaid, or paid with its pick line untouched) is weighed when
-- picked (a heavier piece costs the customer no more than was paid); the others are final as
-- they are.
UPDATE order_line_lots oll SET quantity = oll.quantity * grams_per_unit(p.unit),
                               picked = oll.picked * grams_per_unit(p.unit)
FROM order_lines ol JOIN products p ON p.sku = ol.sku
WHERE ol.order_id = oll.order_id AND ol.line_no = oll.line_no AND p.unit <> 'each';
UPDATE order_lines ol SET unit = p.unit,
                          ordered_grams = (ol.quantity + ol.short_quantity) * grams_per_unit(p.unit),
                          authorized_minor = ol.quantity * ol.unit_price_minor,
                          quantity = ol.quantity * grams_per_unit(p.unit),
                          short_quantity = ol.short_quantity * grams_per_unit(p.unit),
                          weighed = NOT (o.status = 'pending_payment' AND o.fulfillment <> 'in_store')
                                    AND NOT EXISTS (
                            SELECT 1 FROM pick_tasks t JOIN pick_task_lines ptl
                              ON ptl.task_id = t.task_id
                            WHERE t.order_id = ol.order_id AND ptl.line_no = ol.line_no
                              AND t.finished_at IS NULL AND t.state <> 'cancelled'
                              AND ptl.picked = 0 AND ptl.missing = 0)
FROM products p, orders o
WHERE p.sku = ol.sku AND p.unit <> 'each' AND o.order_id = ol.order_id;

-- A weighed line is picked as one piece: its picked grams may pass the grams ordered (up to
-- the tolerance), and it is short whole or not at all.
ALTER TABLE pick_task_lines ADD COLUMN weighed boolean NOT NULL DEFAULT false;
UPDATE pick_task_lines ptl SET quantity = ptl.quantity * grams_per_unit(p.unit),
                               picked = ptl.picked * grams_per_unit(p.unit),
                               missing = ptl.missing * grams_per_unit(p.unit),
                               weighed = ptl.picked = 0 AND ptl.missing = 0
FROM products p WHERE p.sku = ptl.sku AND p.unit <> 'each';
ALTER TABLE pick_task_lines DROP CONSTRAINT pick_task_lines_check;
ALTER TABLE pick_task_lines ADD CHECK (weighed OR picked + missing <= quantity);
DROP FUNCTION grams_per_unit(text);

-- What weighed pieces did not cost, owed back when their bags are finished.
ALTER TABLE orders ADD COLUMN weight_release_minor bigint NOT NULL DEFAULT 0
  CHECK (weight_release_minor >= 0);
ALTER TABLE refunds DROP CONSTRAINT refunds_reason_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_reason_check
  CHECK (reason IN ('short_pick', 'cancelled_after_payment', 'paid_after_expiry',
                    'weight_adjustment'));

CREATE OR REPLACE FUNCTION owe_on_order_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.refund_minor > OLD.refund_minor THEN
    INSERT INTO refunds (refund_id, order_id, store_id, amount_minor, currency, reason)
    VALUES (new_refund_id(), NEW.order_id, NEW.store_id, NEW.refund_minor - OLD.refund_minor,
            NEW.currency, 'short_pick');
  END IF;
  IF NEW.weight_release_minor > OLD.weight_release_minor THEN
    INSERT INTO refunds (refund_id, order_id, store_id, amount_minor, currency, reason)
    VALUES (new_refund_id(), NEW.order_id, NEW.store_id,
            NEW.weight_release_minor - OLD.weight_release_minor, NEW.currency, 'weight_adjustment');
  END IF;
  IF NEW.status = 'cancelled' AND OLD.status <> 'cancelled' AND OLD.payment_status = 'paid'
     AND NEW.total_minor - NEW.refund_minor - NEW.weight_release_minor > 0 THEN
    INSERT INTO refunds (refund_id, order_id, store_id, amount_minor, currency, reason)
    VALUES (new_refund_id(), NEW.order_id, NEW.store_id,
            NEW.total_minor - NEW.refund_minor - NEW.weight_release_minor, NEW.currency,
            'cancelled_after_payment');
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER orders_owe ON orders;
CREATE TRIGGER orders_owe AFTER UPDATE OF refund_minor, status, weight_release_minor ON orders
  FOR EACH ROW EXECUTE FUNCTION owe_on_order_change();
