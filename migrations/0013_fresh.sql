-- Fresh without waste: lot prices set by markdown policies (logged, never rising) and write-offs.

-- A lot's unit cost comes from receiving; its own price is set by the markdown job or a
-- manager (NULL: the listing's price). The lower of the lot's and the listing's is charged.
ALTER TABLE lots
  ADD COLUMN unit_cost_minor bigint CHECK (unit_cost_minor >= 0),
  ADD COLUMN price_minor bigint CHECK (price_minor >= 0);

-- Which policy a product follows: its category's, else its storage class's, else 'default'.
CREATE TABLE markdown_policies (
  scope                    text PRIMARY KEY
                           CHECK (scope = 'default' OR scope ~ '^(category|storage):[a-z0-9_]{1,32}$'),
  steps                    jsonb NOT NULL,
  floor_percent_of_cost    integer NOT NULL,
  floor_percent_of_regular integer NOT NULL,
  one_day                  boolean NOT NULL,
  updated_at               timestamptz NOT NULL DEFAULT now(),
  updated_by               text NOT NULL
);
-- The default is the shape the stock simulation proved for goods of a few days' life
-- (sim/stock.cpp, freshlane_markdown): 15% off on the last day, half off in its last evening,
-- down to 60% of cost rather than into the bin.
INSERT INTO markdown_policies VALUES
  ('default', '[{"hours_before":16,"percent_off":15},{"hours_before":5,"percent_off":50}]', 60, 30,
   false, now(), 'migration');

-- Every change of a lot's price, with its reason; the shelf labels' feed reads it by change_id.
CREATE TABLE lot_price_changes (
  change_id       bigserial PRIMARY KEY,
  store_id        text NOT NULL,
  sku             text NOT NULL,
  lot_id          text NOT NULL REFERENCES lots ON DELETE CASCADE,
  at              timestamptz NOT NULL,
  old_price_minor bigint NOT NULL,
  price_minor     bigint NOT NULL CHECK (price_minor < old_price_minor),
  regular_minor   bigint NOT NULL,
  reason          text NOT NULL,
  actor           text NOT NULL,  -- 'policy', or the staff member who overrode it
  -- The writing transaction: the feed hands out a change only once every transaction that
  -- could still commit a lower change_id has ended (as the change feed does).
  xid             xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX lot_price_changes_by_store ON lot_price_changes (store_id, change_id);

-- Units taken off sale for good: past expiry (or past their day under the one-day rule), or
-- damaged. Valued at the lot's unit cost where known, and at the regular price.
CREATE TABLE write_offs (
  write_off_id  bigserial PRIMARY KEY,
  store_id      text NOT NULL,
  sku           text NOT NULL,
  lot_id        text NOT NULL REFERENCES lots ON DELETE CASCADE,
  at            timestamptz NOT NULL,
  quantity      integer NOT NULL CHECK (quantity > 0),
  cost_minor    bigint NOT NULL,
  retail_minor  bigint NOT NULL,
  reason        text NOT NULL CHECK (reason IN ('expired', 'one_day', 'damaged')),
  actor         text NOT NULL,
  note          text
);
CREATE INDEX write_offs_by_store ON write_offs (store_id, at);

-- What a line was listed at when ordered: a line charged below it was sold at markdown.
ALTER TABLE order_lines ADD COLUMN list_price_minor bigint;

-- Bought in the aisle: handed over at the till (a sale of that day for forecasts and reports).
UPDATE orders SET handed_over_at = paid_at
WHERE fulfillment = 'in_store' AND status = 'completed' AND handed_over_at IS NULL;

-- Each store's markdown and write-off round, claimed like its other jobs.
ALTER TABLE store_jobs DROP CONSTRAINT store_jobs_job_check;
ALTER TABLE store_jobs ADD CONSTRAINT store_jobs_job_check
  CHECK (job IN ('floor', 'dispatch', 'expiry', 'markdown'));
INSERT INTO store_jobs (job, store_id) SELECT 'markdown', store_id FROM stores;
CREATE OR REPLACE FUNCTION store_floor_and_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO store_floors (store_id) VALUES (NEW.store_id);
  INSERT INTO store_jobs (job, store_id)
    VALUES ('floor', NEW.store_id), ('dispatch', NEW.store_id), ('markdown', NEW.store_id);
  RETURN NULL;
END $$;

-- How a store orders a product from its supplier: whole packs, days from order to delivery, and
-- the shelf life a delivery arrives with (NULL: judged from the lots received lately).
CREATE TABLE supply_terms (
  store_id        text NOT NULL,
  sku             text NOT NULL,
  pack_size       integer NOT NULL CHECK (pack_size BETWEEN 1 AND 10000),
  lead_days       integer NOT NULL CHECK (lead_days BETWEEN 0 AND 14),
  shelf_life_days integer CHECK (shelf_life_days BETWEEN 1 AND 365),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, sku),
  FOREIGN KEY (store_id, sku) REFERENCES store_products (store_id, sku)
);

-- An accepted order suggestion: what the store expects in the delivery of that day.
CREATE TABLE expected_receipts (
  store_id    text NOT NULL,
  sku         text NOT NULL,
  delivery_on date NOT NULL,
  quantity    integer NOT NULL CHECK (quantity > 0),
  packs       integer NOT NULL CHECK (packs > 0),
  suggestion  jsonb NOT NULL,
  accepted_at timestamptz NOT NULL,
  accepted_by text NOT NULL,
  PRIMARY KEY (store_id, sku, delivery_on),
  FOREIGN KEY (store_id, sku) REFERENCES store_products (store_id, sku)
);

-- Daily sales for forecasts: lines of orders handed over (delivered, collected, bought in the
-- aisle), by the store's local day.
CREATE INDEX orders_sold_by_store ON orders (store_id, handed_over_at)
  WHERE handed_over_at IS NOT NULL;
