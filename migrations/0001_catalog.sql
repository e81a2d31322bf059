-- Stores, products, store listings, lots with their trace, and ratings.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE stores (
  store_id          text PRIMARY KEY,
  name              text NOT NULL,
  lat               double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lon               double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  delivery_radius_m integer NOT NULL CHECK (delivery_radius_m > 0),
  promise_minutes   integer NOT NULL CHECK (promise_minutes > 0),
  currency          char(3) NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
  sku        text PRIMARY KEY,
  name       text NOT NULL,
  category   text NOT NULL,
  unit       text NOT NULL CHECK (unit IN ('each', '500g', 'kg')),
  storage    text NOT NULL CHECK (storage IN ('ambient', 'chilled', 'frozen', 'live')),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Substring search in any script (帝王蟹, king crab) stays index-backed.
CREATE INDEX products_name_trgm ON products USING gin (name gin_trgm_ops);

CREATE TABLE store_products (
  store_id             text NOT NULL REFERENCES stores,
  sku                  text NOT NULL REFERENCES products,
  price_minor          bigint NOT NULL CHECK (price_minor >= 0),
  markdown_price_minor bigint CHECK (markdown_price_minor >= 0),
  markdown_until       timestamptz,
  zone                 text NOT NULL,
  shelf                text NOT NULL,
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, sku),
  CHECK ((markdown_price_minor IS NULL) = (markdown_until IS NULL))
);

CREATE TABLE lots (
  lot_id            text PRIMARY KEY,
  store_id          text NOT NULL,
  sku               text NOT NULL,
  quantity_received integer NOT NULL CHECK (quantity_received > 0),
  quantity_on_hand  integer NOT NULL CHECK (quantity_on_hand >= 0),
  quantity_reserved integer NOT NULL DEFAULT 0
                    CHECK (quantity_reserved >= 0 AND quantity_reserved <= quantity_on_hand),
  origin            text NOT NULL,
  produced_at       timestamptz NOT NULL,
  received_at       timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  FOREIGN KEY (store_id, sku) REFERENCES store_products (store_id, sku)
);
-- Availability and first-expiring-first reservation walk a store's lots of one SKU by expiry.
CREATE INDEX lots_store_sku_expiry ON lots (store_id, sku, expires_at);

CREATE TABLE lot_trace_events (
  lot_id   text NOT NULL REFERENCES lots ON DELETE CASCADE,
  position integer NOT NULL,
  at       timestamptz NOT NULL,
  event    text NOT NULL,
  place    text NOT NULL,
  PRIMARY KEY (lot_id, position)
);

CREATE TABLE product_ratings (
  sku        text NOT NULL REFERENCES products,
  rater_id   text NOT NULL,
  stars      smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sku, rater_id)
);
