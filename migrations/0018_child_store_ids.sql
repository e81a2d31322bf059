-- Every row of a store's data names its store: the six tables that found it only through their
-- parent (an order's lines and their lots, a task's lines, a trip's stops, a lot's trace, an
-- order's payment events) carry store_id too. A database sharded by store (docs/scaling.md,
-- section 7) places each row by it; a statement that names it goes to that store's shard alone.
--
-- Servers write it from this release on. During a rolling upgrade the previous release's servers
-- still insert rows without it: a trigger fills it from the parent for them, only when it is
-- missing. The release after this one drops the triggers (a sharded database refuses them).
--
-- The backfill is one statement per table inside this migration's transaction, which holds each
-- table locked while it runs: fine up to a few million rows (docs/scaling.md, section 7, has the
-- time measured on a year of a busy chain, and the batched way for a chain's database).
CREATE FUNCTION freshlane_child_store_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  CASE TG_TABLE_NAME
    WHEN 'order_lines', 'order_line_lots', 'payment_events' THEN
      SELECT store_id INTO NEW.store_id FROM orders WHERE order_id = NEW.order_id;
    WHEN 'pick_task_lines' THEN
      SELECT store_id INTO NEW.store_id FROM pick_tasks WHERE task_id = NEW.task_id;
    WHEN 'trip_stops' THEN
      SELECT store_id INTO NEW.store_id FROM trips WHERE trip_id = NEW.trip_id;
    WHEN 'lot_trace_events' THEN
      SELECT store_id INTO NEW.store_id FROM lots WHERE lot_id = NEW.lot_id;
  END CASE;
  RETURN NEW;
END $$;

-- All six locked first: a lock that cannot be had (within migrate's 5 s) fails the migration
-- before any backfill, not after minutes of it.
LOCK TABLE order_lines, order_line_lots, payment_events, pick_task_lines, trip_stops,
           lot_trace_events IN ACCESS EXCLUSIVE MODE;

ALTER TABLE order_lines ADD COLUMN store_id text;
UPDATE order_lines c SET store_id = p.store_id FROM orders p WHERE p.order_id = c.order_id;
ALTER TABLE order_lines ALTER COLUMN store_id SET NOT NULL;
CREATE TRIGGER order_lines_store_id BEFORE INSERT ON order_lines
  FOR EACH ROW WHEN (NEW.store_id IS NULL) EXECUTE FUNCTION freshlane_child_store_id();

ALTER TABLE order_line_lots ADD COLUMN store_id text;
UPDATE order_line_lots c SET store_id = p.store_id FROM orders p WHERE p.order_id = c.order_id;
ALTER TABLE order_line_lots ALTER COLUMN store_id SET NOT NULL;
CREATE TRIGGER order_line_lots_store_id BEFORE INSERT ON order_line_lots
  FOR EACH ROW WHEN (NEW.store_id IS NULL) EXECUTE FUNCTION freshlane_child_store_id();

ALTER TABLE payment_events ADD COLUMN store_id text;
UPDATE payment_events c SET store_id = p.store_id FROM orders p WHERE p.order_id = c.order_id;
ALTER TABLE payment_events ALTER COLUMN store_id SET NOT NULL;
CREATE TRIGGER payment_events_store_id BEFORE INSERT ON payment_events
  FOR EACH ROW WHEN (NEW.store_id IS NULL) EXECUTE FUNCTION freshlane_child_store_id();

ALTER TABLE pick_task_lines ADD COLUMN store_id text;
UPDATE pick_task_lines c SET store_id = p.store_id FROM pick_tasks p WHERE p.task_id = c.task_id;
ALTER TABLE pick_task_lines ALTER COLUMN store_id SET NOT NULL;
CREATE TRIGGER pick_task_lines_store_id BEFORE INSERT ON pick_task_lines
  FOR EACH ROW WHEN (NEW.store_id IS NULL) EXECUTE FUNCTION freshlane_child_store_id();

ALTER TABLE trip_stops ADD COLUMN store_id text;
UPDATE trip_stops c SET store_id = p.store_id FROM trips p WHERE p.trip_id = c.trip_id;
ALTER TABLE trip_stops ALTER COLUMN store_id SET NOT NULL;
CREATE TRIGGER trip_stops_store_id BEFORE INSERT ON trip_stops
  FOR EACH ROW WHEN (NEW.store_id IS NULL) EXECUTE FUNCTION freshlane_child_store_id();

ALTER TABLE lot_trace_events ADD COLUMN store_id text;
UPDATE lot_trace_events c SET store_id = p.store_id FROM lots p WHERE p.lot_id = c.lot_id;
ALTER TABLE lot_trace_events ALTER COLUMN store_id SET NOT NULL;
CREATE TRIGGER lot_trace_events_store_id BEFORE INSERT ON lot_trace_events
  FOR EACH ROW WHEN (NEW.store_id IS NULL) EXECUTE FUNCTION freshlane_child_store_id();
