-- Any number of server processes share this database, and any of them may serve any store.
-- Each store's floor has a version that every decision about it checks under the row's lock
-- and moves on (the fence), and a clock that never runs back; periodic work is claimed per
-- store and period with a token that the work checks again; caches in every process learn of
-- changed store products from a feed.

CREATE TABLE store_floors (
  store_id text PRIMARY KEY REFERENCES stores,
  version  bigint NOT NULL DEFAULT 0,
  clock    timestamptz NOT NULL DEFAULT to_timestamp(0)
);

-- floor: bags arrive, silent pickers time out; dispatch: a round plans trips; expiry: unpaid
-- orders expire (chain-wide, store_id ''). A claim moves due_at one period on and bumps the
-- token; the claimed work is void unless the token is still the same when it runs.
CREATE TABLE store_jobs (
  job      text NOT NULL CHECK (job IN ('floor', 'dispatch', 'expiry')),
  store_id text NOT NULL,
  due_at   timestamptz NOT NULL DEFAULT '-infinity',
  token    bigint NOT NULL DEFAULT 0,
  runs     bigint NOT NULL DEFAULT 0,
  ran_at   timestamptz,
  PRIMARY KEY (job, store_id)
);
CREATE INDEX store_jobs_due ON store_jobs (job, due_at);

INSERT INTO store_floors (store_id) SELECT store_id FROM stores;
INSERT INTO store_jobs (job, store_id)
  SELECT job, store_id FROM stores CROSS JOIN unnest(ARRAY['floor', 'dispatch']) AS job;
INSERT INTO store_jobs (job, store_id) VALUES ('expiry', '');

-- Every store has its floor and its jobs from the start, however it was made.
CREATE FUNCTION store_floor_and_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO store_floors (store_id) VALUES (NEW.store_id);
  INSERT INTO store_jobs (job, store_id) VALUES ('floor', NEW.store_id), ('dispatch', NEW.store_id);
  RETURN NULL;
END $$;
CREATE TRIGGER stores_floor_and_jobs AFTER INSERT ON stores
  FOR EACH ROW EXECUTE FUNCTION store_floor_and_jobs();

-- A picker's last sign of life is part of the floor: any process may time them out.
ALTER TABLE picker_shifts ADD COLUMN last_seen_at timestamptz;
UPDATE picker_shifts SET last_seen_at = COALESCE(clocked_out_at, now());
ALTER TABLE picker_shifts ALTER COLUMN last_seen_at SET NOT NULL;

-- When an event was written, beside when it happened: how late the floor's clock ran.
ALTER TABLE pick_events ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();

-- A customer's unpaid orders, kept on their row: an order takes one only while under the limit
-- (a compare-and-set in the order's own statement); leaving pending_payment gives it back.
ALTER TABLE customers ADD COLUMN pending_orders integer NOT NULL DEFAULT 0;
UPDATE customers c SET pending_orders = (SELECT count(*) FROM orders o
                                         WHERE o.customer_id = c.customer_id
                                           AND o.status = 'pending_payment');
CREATE FUNCTION order_left_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customers SET pending_orders = greatest(pending_orders - 1, 0)
  WHERE customer_id = OLD.customer_id;
  RETURN NULL;
END $$;
CREATE TRIGGER orders_left_pending AFTER UPDATE OF status ON orders
  FOR EACH ROW WHEN (OLD.status = 'pending_payment' AND NEW.status <> 'pending_payment')
  EXECUTE FUNCTION order_left_pending();
CREATE TRIGGER orders_deleted_pending AFTER DELETE ON orders
  FOR EACH ROW WHEN (OLD.status = 'pending_payment') EXECUTE FUNCTION order_left_pending();

-- An order is planned from a read without locks and written by one statement that reserves
-- only units still there: when a lot no longer has them, this undoes the statement.
CREATE FUNCTION freshlane_stock_moved(moved boolean) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF moved THEN
    RAISE EXCEPTION 'a lot no longer holds the units the order was planned with'
      USING ERRCODE = 'FL001';
  END IF;
  RETURN false;
END $$;

-- An idempotency key is written with its answer, in the order's own transaction.
DELETE FROM idempotency_keys WHERE status IS NULL;
ALTER TABLE idempotency_keys ALTER COLUMN status SET NOT NULL;
ALTER TABLE idempotency_keys ALTER COLUMN response_body SET NOT NULL;

-- Store products whose price, listing or stock changed, by the transaction that changed them:
-- each process reads the rows that became visible since its last look and drops its cached
-- answers about them. Unlogged: losing it in a crash only means answers live out their TTL.
CREATE UNLOGGED TABLE catalog_changes (
  xid      xid8 NOT NULL DEFAULT pg_current_xact_id(),
  store_id text NOT NULL,  -- '': the SKU in every store
  sku      text NOT NULL,
  at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX catalog_changes_by_xid ON catalog_changes (xid);
CREATE INDEX catalog_changes_by_age ON catalog_changes (at);

CREATE FUNCTION note_store_product_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_changes (store_id, sku) SELECT DISTINCT store_id, sku FROM changed;
  RETURN NULL;
END $$;
CREATE FUNCTION note_product_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_changes (store_id, sku) SELECT DISTINCT '', sku FROM changed;
  RETURN NULL;
END $$;

CREATE TRIGGER lots_inserted AFTER INSERT ON lots REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_store_product_change();
CREATE TRIGGER lots_updated AFTER UPDATE ON lots REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_store_product_change();
CREATE TRIGGER lots_deleted AFTER DELETE ON lots REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_store_product_change();
CREATE TRIGGER store_products_inserted AFTER INSERT ON store_products
  REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_store_product_change();
CREATE TRIGGER store_products_updated AFTER UPDATE ON store_products
  REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_store_product_change();
CREATE TRIGGER store_products_deleted AFTER DELETE ON store_products
  REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_store_product_change();
CREATE TRIGGER products_updated AFTER UPDATE ON products REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_product_change();
CREATE TRIGGER product_ratings_inserted AFTER INSERT ON product_ratings
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_product_change();
CREATE TRIGGER product_ratings_updated AFTER UPDATE ON product_ratings
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_product_change();
