-- Recommendations learn from paid baskets, at once: a basket is one paid order, as its set of
-- distinct SKUs (reco/reco.hpp says what is counted and how it is ranked). A cancelled order's
-- basket is taken away again.

-- A customer may switch personalisation off: their baskets then leave every count (theirs and
-- the store's) until they switch it on again. The walk-in shopper that stands for the demo's
-- anonymous aisle sales (a day's sales as one order) is no person's basket.
ALTER TABLE customers ADD COLUMN personalised boolean NOT NULL DEFAULT true;
UPDATE customers SET personalised = false WHERE customer_id = 'cus_demo_aisle';

-- Per store: how many baskets hold each SKU, and each ordered pair of SKUs (both directions).
CREATE TABLE basket_items (
  store_id text NOT NULL,
  sku      text NOT NULL,
  baskets  integer NOT NULL,
  PRIMARY KEY (store_id, sku)
);
CREATE INDEX basket_items_most_bought ON basket_items (store_id, baskets DESC, sku);
CREATE TABLE basket_pairs (
  store_id  text NOT NULL,
  sku       text NOT NULL,
  other_sku text NOT NULL,
  baskets   integer NOT NULL,
  PRIMARY KEY (store_id, sku, other_sku)
);
-- A SKU's partners, the most bought with it first: read by every recommendation and product
-- answer (the top kPartnersPerSku), so read in index order rather than sorted each time.
CREATE INDEX basket_pairs_most_bought ON basket_pairs (store_id, sku, baskets DESC, other_sku);

-- Per customer and store: their baskets, and per SKU the baskets holding it, first and last.
CREATE TABLE shopper_stores (
  customer_id text NOT NULL,
  store_id    text NOT NULL,
  baskets     integer NOT NULL,
  first_at    timestamptz NOT NULL,
  last_at     timestamptz NOT NULL,
  PRIMARY KEY (customer_id, store_id)
);
CREATE TABLE shopper_items (
  customer_id text NOT NULL,
  store_id    text NOT NULL,
  sku         text NOT NULL,
  baskets     integer NOT NULL,
  first_at    timestamptz NOT NULL,
  last_at     timestamptz NOT NULL,
  PRIMARY KEY (customer_id, store_id, sku)
);

-- Every basket counted, with what was counted: the one record that makes counting exact. A
-- basket is counted at most once (its order id is the key) and taken away exactly as it was
-- counted, whatever happened to the order since.
CREATE TABLE counted_baskets (
  order_id    text PRIMARY KEY,
  store_id    text NOT NULL,
  customer_id text NOT NULL,
  at          timestamptz NOT NULL,
  skus        text[] NOT NULL
);
CREATE INDEX counted_baskets_by_customer ON counted_baskets (customer_id, store_id);

-- Both functions below write the same tables in the same order (counted_baskets, basket_items,
-- basket_pairs, shopper_stores, shopper_items) and each table's rows in key order, so counting
-- and taking away, of any customers at once, queue on shared rows instead of deadlocking.

-- Counts these orders' baskets (paid, not cancelled, not counted yet): the store's items and
-- pairs, the customer's history. Whether a customer's baskets may be counted at all
-- (personalisation) is the caller's to decide. How many were counted.
CREATE FUNCTION freshlane_count_baskets(p_orders text[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  new counted_baskets[];
BEGIN
  WITH inserted AS (
    INSERT INTO counted_baskets (order_id, store_id, customer_id, at, skus)
    SELECT o.order_id, o.store_id, o.customer_id, o.paid_at,
           array_agg(DISTINCT l.sku ORDER BY l.sku)
    FROM orders o JOIN order_lines l ON l.order_id = o.order_id
    WHERE o.order_id = ANY(p_orders) AND o.paid_at IS NOT NULL AND o.status <> 'cancelled'
    GROUP BY o.order_id
    ORDER BY o.order_id
    ON CONFLICT (order_id) DO NOTHING
    RETURNING *)
  SELECT COALESCE(array_agg(i::counted_baskets ORDER BY i.order_id), '{}') INTO new
  FROM inserted i;
  IF cardinality(new) = 0 THEN
    RETURN 0;
  END IF;
  INSERT INTO basket_items (store_id, sku, baskets)
  SELECT n.store_id, s.sku, count(*) FROM unnest(new) n, unnest(n.skus) s(sku)
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (store_id, sku) DO UPDATE SET baskets = basket_items.baskets + EXCLUDED.baskets;
  INSERT INTO basket_pairs (store_id, sku, other_sku, baskets)
  SELECT n.store_id, a.sku, b.sku, count(*)
  FROM unnest(new) n, unnest(n.skus) a(sku), unnest(n.skus) b(sku)
  WHERE a.sku <> b.sku
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (store_id, sku, other_sku)
    DO UPDATE SET baskets = basket_pairs.baskets + EXCLUDED.baskets;
  INSERT INTO shopper_stores (customer_id, store_id, baskets, first_at, last_at)
  SELECT n.customer_id, n.store_id, count(*), min(n.at), max(n.at) FROM unnest(new) n
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (customer_id, store_id) DO UPDATE SET
    baskets = shopper_stores.baskets + EXCLUDED.baskets,
    first_at = least(shopper_stores.first_at, EXCLUDED.first_at),
    last_at = greatest(shopper_stores.last_at, EXCLUDED.last_at);
  INSERT INTO shopper_items (customer_id, store_id, sku, baskets, first_at, last_at)
  SELECT n.customer_id, n.store_id, s.sku, count(*), min(n.at), max(n.at)
  FROM unnest(new) n, unnest(n.skus) s(sku)
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (customer_id, store_id, sku) DO UPDATE SET
    baskets = shopper_items.baskets + EXCLUDED.baskets,
    first_at = least(shopper_items.first_at, EXCLUDED.first_at),
    last_at = greatest(shopper_items.last_at, EXCLUDED.last_at);
  RETURN cardinality(new);
END $$;

-- Takes these orders' counted baskets away again, exactly as they were counted (a cancelled
-- order; a customer switching personalisation off); the customers' histories at those stores
-- are summed again from what stays counted. Counts that reach zero stay as rows of zero (read as
-- nothing) until counted again. Callers hold the customer's row (FOR NO KEY UPDATE or the
-- switch's UPDATE), so no payment or cancellation of theirs runs alongside. How many were taken
-- away.
CREATE FUNCTION freshlane_uncount_baskets(p_orders text[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  gone counted_baskets[];
BEGIN
  WITH deleted AS (DELETE FROM counted_baskets WHERE order_id = ANY(p_orders) RETURNING *)
  SELECT COALESCE(array_agg(d::counted_baskets ORDER BY d.order_id), '{}') INTO gone
  FROM deleted d;
  IF cardinality(gone) = 0 THEN
    RETURN 0;
  END IF;
  INSERT INTO basket_items (store_id, sku, baskets)
  SELECT g.store_id, s.sku, -count(*) FROM unnest(gone) g, unnest(g.skus) s(sku)
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (store_id, sku) DO UPDATE SET baskets = basket_items.baskets + EXCLUDED.baskets;
  INSERT INTO basket_pairs (store_id, sku, other_sku, baskets)
  SELECT g.store_id, a.sku, b.sku, -count(*)
  FROM unnest(gone) g, unnest(g.skus) a(sku), unnest(g.skus) b(sku)
  WHERE a.sku <> b.sku
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (store_id, sku, other_sku)
    DO UPDATE SET baskets = basket_pairs.baskets + EXCLUDED.baskets;
  DELETE FROM shopper_stores t
  USING (SELECT DISTINCT g.customer_id, g.store_id FROM unnest(gone) g) a
  WHERE t.customer_id = a.customer_id AND t.store_id = a.store_id;
  INSERT INTO shopper_stores (customer_id, store_id, baskets, first_at, last_at)
  SELECT c.customer_id, c.store_id, count(*), min(c.at), max(c.at)
  FROM counted_baskets c
  JOIN (SELECT DISTINCT g.customer_id, g.store_id FROM unnest(gone) g) a
    ON a.customer_id = c.customer_id AND a.store_id = c.store_id
  GROUP BY 1, 2 ORDER BY 1, 2;
  DELETE FROM shopper_items t
  USING (SELECT DISTINCT g.customer_id, g.store_id FROM unnest(gone) g) a
  WHERE t.customer_id = a.customer_id AND t.store_id = a.store_id;
  INSERT INTO shopper_items (customer_id, store_id, sku, baskets, first_at, last_at)
  SELECT c.customer_id, c.store_id, s.sku, count(*), min(c.at), max(c.at)
  FROM counted_baskets c
  JOIN (SELECT DISTINCT g.customer_id, g.store_id FROM unnest(gone) g) a
    ON a.customer_id = c.customer_id AND a.store_id = c.store_id,
  unnest(c.skus) s(sku)
  GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
  RETURN cardinality(gone);
END $$;

-- What was paid before this migration counts too.
SELECT freshlane_count_baskets(ARRAY(
  SELECT o.order_id FROM orders o JOIN customers c ON c.customer_id = o.customer_id
  WHERE o.paid_at IS NOT NULL AND c.personalised));
