-- What a store's screens follow live (GET /v1/stores/{id}/events and the courier's and the
-- customer's streams): one numbered log per store, written by triggers in the very transaction
-- that changed the floor, a delivery or an order, whichever process ran it.
--
-- The numbers come from the store's floor row (store_floors.event_seq), taken under that row's
-- lock, so within a store they are gap-free and in commit order: a reader that has seen event n
-- has seen every event before it, and a client resuming after n (Last-Event-ID) misses none.
-- Floor decisions hold that lock already; a delivery or an order's status written elsewhere
-- waits for the floor's current decision, which is short.

ALTER TABLE store_floors ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE store_events (
  store_id   text NOT NULL,
  seq        bigint NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  kind       text NOT NULL,
  order_id   text,
  courier_id text,
  data       jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (store_id, seq)
);
-- Retention (the expiry sweep keeps a day) and a customer's resume within their order.
CREATE INDEX store_events_by_time ON store_events (at);
CREATE INDEX store_events_by_order ON store_events (order_id, seq) WHERE order_id IS NOT NULL;

CREATE FUNCTION store_event(p_store text, p_kind text, p_order text, p_courier text, p_data jsonb)
  RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  UPDATE store_floors SET event_seq = event_seq + 1 WHERE store_id = p_store
    RETURNING event_seq INTO n;
  IF n IS NULL THEN
    RETURN;  -- no such store: nothing to follow
  END IF;
  INSERT INTO store_events (store_id, seq, kind, order_id, courier_id, data)
  VALUES (p_store, n, p_kind, p_order, p_courier, jsonb_strip_nulls(p_data));
END $$;

-- The floor's decisions, but not a picker's every sign of life.
CREATE FUNCTION store_event_of_pick() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.kind <> 'picker_seen' THEN
    PERFORM store_event(NEW.store_id, 'pick.' || NEW.kind, NEW.order_id, NULL,
                        jsonb_build_object('task_id', NEW.task_id, 'picker_id', NEW.picker_id,
                                           'lane_id', NEW.lane_id, 'sku', NEW.sku,
                                           'quantity', NEW.quantity, 'at', NEW.at));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER pick_events_to_store AFTER INSERT ON pick_events
  FOR EACH ROW EXECUTE FUNCTION store_event_of_pick();

CREATE FUNCTION store_event_of_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM store_event(NEW.store_id, 'delivery.' || NEW.kind, NEW.order_id, NEW.courier_id,
                      jsonb_build_object('trip_id', NEW.trip_id, 'detail', NEW.detail,
                                         'at', NEW.at));
  RETURN NULL;
END $$;
CREATE TRIGGER delivery_events_to_store AFTER INSERT ON delivery_events
  FOR EACH ROW EXECUTE FUNCTION store_event_of_delivery();

-- An order's status once it is paid (unpaid orders come and expire unseen by the floor).
CREATE FUNCTION store_event_of_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status NOT IN ('pending_payment', 'expired') THEN
    PERFORM store_event(NEW.store_id, 'order.' || NEW.status, NEW.order_id, NULL,
                        jsonb_build_object('status', NEW.status, 'previous', OLD.status,
                                           'fulfillment', NEW.fulfillment));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER orders_to_store_events AFTER UPDATE OF status ON orders
  FOR EACH ROW EXECUTE FUNCTION store_event_of_order();

-- Where a courier on shift is, for the board's map.
CREATE FUNCTION store_event_of_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.position_at IS DISTINCT FROM OLD.position_at AND NEW.store_id IS NOT NULL THEN
    PERFORM store_event(NEW.store_id, 'courier.position', NULL, NEW.courier_id,
                        jsonb_build_object('lat', NEW.lat, 'lon', NEW.lon, 'at', NEW.position_at));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER couriers_to_store_events AFTER UPDATE OF position_at ON couriers
  FOR EACH ROW EXECUTE FUNCTION store_event_of_position();

-- The staffing a plan recommends for a store (freshlane plan --store ... writes it), by hour
-- of the day: what the manager's board shows against who is on shift.
CREATE TABLE staffing_plans (
  store_id   text PRIMARY KEY REFERENCES stores,
  plan       jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Delivery orders a store refused because it could not keep its promise (409 store_busy), per
-- local day: the board's refusals, whichever process refused them.
CREATE TABLE store_refusals (
  store_id text NOT NULL REFERENCES stores,
  day      date NOT NULL,
  refused  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (store_id, day)
);
