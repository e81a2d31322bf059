-- Customers, staff, couriers and their tokens; orders with the lots each line reserved;
-- idempotency keys; payment events.
CREATE TABLE customers (
  customer_id text PRIMARY KEY,
  phone       text NOT NULL UNIQUE,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff (
  staff_id   text PRIMARY KEY,
  store_id   text NOT NULL REFERENCES stores,
  name       text NOT NULL,
  job        text NOT NULL CHECK (job IN ('picker', 'packer', 'manager')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE couriers (
  courier_id text PRIMARY KEY,
  store_id   text NOT NULL REFERENCES stores,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a token is stored; the token itself is shown once, at creation.
CREATE TABLE api_tokens (
  token_hash text PRIMARY KEY,
  role       text NOT NULL CHECK (role IN ('customer', 'staff', 'courier')),
  subject_id text NOT NULL,
  store_id   text REFERENCES stores,
  job        text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  order_id            text PRIMARY KEY,
  customer_id         text NOT NULL REFERENCES customers,
  store_id            text NOT NULL REFERENCES stores,
  fulfillment         text NOT NULL CHECK (fulfillment IN ('delivery', 'pickup', 'in_store')),
  status              text NOT NULL,
  currency            char(3) NOT NULL,
  total_minor         bigint NOT NULL CHECK (total_minor >= 0),
  created_at          timestamptz NOT NULL,
  promised_at         timestamptz,
  payment_status      text NOT NULL DEFAULT 'pending',
  payment_expires_at  timestamptz NOT NULL,
  paid_at             timestamptz,
  delivery_lat        double precision,
  delivery_lon        double precision,
  delivery_address    text,
  delivery_distance_m integer,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, order_id DESC);
CREATE INDEX orders_awaiting_payment ON orders (payment_expires_at) WHERE status = 'pending_payment';

CREATE TABLE order_lines (
  order_id         text NOT NULL REFERENCES orders ON DELETE CASCADE,
  line_no          integer NOT NULL,
  sku              text NOT NULL,
  name             text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
  PRIMARY KEY (order_id, line_no)
);

-- Which lots each line holds. While the order is live these units are counted in
-- lots.quantity_reserved; they are released on cancel or expiry and consumed on hand-over.
CREATE TABLE order_line_lots (
  order_id text NOT NULL,
  line_no  integer NOT NULL,
  lot_id   text NOT NULL REFERENCES lots,
  quantity integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, line_no, lot_id),
  FOREIGN KEY (order_id, line_no) REFERENCES order_lines ON DELETE CASCADE
);
CREATE INDEX order_line_lots_by_lot ON order_line_lots (lot_id);

CREATE TABLE idempotency_keys (
  customer_id   text NOT NULL REFERENCES customers,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  status        integer,  -- NULL while the first request is still running
  response_body text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

CREATE TABLE payment_events (
  event_id     text PRIMARY KEY,
  order_id     text NOT NULL REFERENCES orders,
  status       text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  amount_minor bigint NOT NULL,
  refund_due   boolean NOT NULL DEFAULT false,  -- money taken for an order that cannot use it
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_events_by_order ON payment_events (order_id);
