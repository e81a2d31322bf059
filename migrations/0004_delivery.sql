-- Delivery: courier shifts and positions, trips with their stops in visiting order, and the log
-- of everything that happened to a delivery (for tracking and audits).
CREATE TABLE courier_shifts (
  shift_id       bigserial PRIMARY KEY,
  store_id       text NOT NULL REFERENCES stores,
  courier_id     text NOT NULL REFERENCES couriers,
  clocked_in_at  timestamptz NOT NULL,
  clocked_out_at timestamptz
);
CREATE UNIQUE INDEX courier_shifts_open ON courier_shifts (courier_id) WHERE clocked_out_at IS NULL;

-- The last position a courier's app reported.
ALTER TABLE couriers ADD COLUMN lat double precision;
ALTER TABLE couriers ADD COLUMN lon double precision;
ALTER TABLE couriers ADD COLUMN position_at timestamptz;

-- assigned: planned, no bag taken yet; en_route: bags taken; done: every stop delivered or
-- failed (the courier rides back, due at returns_at); cancelled: the courier clocked out before
-- taking any bag.
CREATE TABLE trips (
  trip_id     text PRIMARY KEY,
  store_id    text NOT NULL REFERENCES stores,
  courier_id  text NOT NULL REFERENCES couriers,
  state       text NOT NULL CHECK (state IN ('assigned', 'en_route', 'done', 'cancelled')),
  planned_at  timestamptz NOT NULL,
  departs_at  timestamptz NOT NULL,
  left_at     timestamptz,
  returns_at  timestamptz NOT NULL,
  finished_at timestamptz,
  distance_m  integer NOT NULL CHECK (distance_m >= 0)
);
-- A courier has at most one live trip.
CREATE UNIQUE INDEX trips_live_per_courier ON trips (courier_id)
  WHERE state IN ('assigned', 'en_route');
CREATE INDEX trips_by_store ON trips (store_id, state);
CREATE INDEX trips_by_courier ON trips (courier_id, planned_at DESC);

CREATE TABLE trip_stops (
  trip_id     text NOT NULL REFERENCES trips,
  seq         integer NOT NULL CHECK (seq >= 1),
  order_id    text NOT NULL REFERENCES orders,
  lat         double precision NOT NULL,
  lon         double precision NOT NULL,
  eta         timestamptz NOT NULL,
  promised_at timestamptz NOT NULL,
  state       text NOT NULL CHECK (state IN ('planned', 'picked_up', 'delivered', 'failed',
                                             'cancelled')),
  done_at     timestamptz,
  reason      text,
  PRIMARY KEY (trip_id, seq)
);
-- An order rides on at most one live trip: two dispatch rounds can never both take it.
CREATE UNIQUE INDEX trip_stops_live_order ON trip_stops (order_id)
  WHERE state IN ('planned', 'picked_up');
CREATE INDEX trip_stops_by_order ON trip_stops (order_id);

-- Append-only: courier_assigned, picked_up, delivered, delivery_failed, trip_cancelled,
-- clocked_in, clocked_out.
CREATE TABLE delivery_events (
  event_id   bigserial PRIMARY KEY,
  store_id   text NOT NULL,
  at         timestamptz NOT NULL,
  kind       text NOT NULL,
  order_id   text,
  trip_id    text,
  courier_id text,
  detail     text
);
CREATE INDEX delivery_events_by_order ON delivery_events (order_id, event_id);

-- What each dispatch round reads: packed delivery orders of a store.
CREATE INDEX orders_awaiting_courier ON orders (store_id)
  WHERE status = 'packed' AND fulfillment = 'delivery';
