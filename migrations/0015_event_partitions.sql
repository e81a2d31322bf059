-- The floor's and the couriers' event logs grow with every order (about eight rows each), for
-- ever. They become tables partitioned by month of `at`: a month's rows are one partition, a
-- month past the retention (FRESHLANE_EVENT_RETENTION_MONTHS) is dropped whole, with no
-- DELETE, no bloat and no vacuum debt; each month's indexes stay the size of a month. Rows
-- outside every month (far past or future clocks) land in a default partition, never lost.
-- freshlane_event_partitions() keeps the months in place; the expiry sweep calls it.

CREATE FUNCTION freshlane_event_partitions(p_keep_months integer, p_now timestamptz DEFAULT now())
  RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  t text;
  m date;
  -- Months of UTC, whatever the session's time zone: every process cuts the same months.
  first_month date := date_trunc('month', (p_now AT TIME ZONE 'UTC')
                                          - make_interval(months => p_keep_months))::date;
  last_month date := date_trunc('month', (p_now AT TIME ZONE 'UTC') + interval '3 months')::date;
  changed integer := 0;
  part record;
BEGIN
  FOREACH t IN ARRAY ARRAY['pick_events', 'delivery_events'] LOOP
    -- Every month from the oldest kept to three ahead has its partition.
    m := first_month;
    WHILE m <= last_month LOOP
      IF to_regclass(format('%I_%s', t, to_char(m, 'YYYY_MM'))) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       format('%s_%s', t, to_char(m, 'YYYY_MM')), t,
                       m::timestamp AT TIME ZONE 'UTC',
                       (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
        changed := changed + 1;
      END IF;
      m := (m + interval '1 month')::date;
    END LOOP;
    -- Months past the retention go whole.
    FOR part IN
      SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = t::regclass AND c.relname ~ '_\d{4}_\d{2}$'
        AND to_date(right(c.relname, 7), 'YYYY_MM') < first_month
    LOOP
      EXECUTE format('DROP TABLE %I', part.relname);
      changed := changed + 1;
    END LOOP;
    -- And what the default partition holds from before the oldest kept month.
    EXECUTE format('DELETE FROM %I WHERE at < %L', t || '_default',
                   first_month::timestamp AT TIME ZONE 'UTC');
  END LOOP;
  RETURN changed;
END $$;

ALTER TABLE pick_events RENAME TO pick_events_unpartitioned;
ALTER TABLE delivery_events RENAME TO delivery_events_unpartitioned;
ALTER INDEX pick_events_by_order RENAME TO pick_events_unpartitioned_by_order;
ALTER INDEX delivery_events_by_order RENAME TO delivery_events_unpartitioned_by_order;
DROP TRIGGER pick_events_to_store ON pick_events_unpartitioned;
DROP TRIGGER delivery_events_to_store ON delivery_events_unpartitioned;

CREATE TABLE pick_events (
  event_id    bigint NOT NULL DEFAULT nextval('pick_events_event_id_seq'),
  store_id    text NOT NULL,
  at          timestamptz NOT NULL,
  kind        text NOT NULL,
  order_id    text,
  task_id     text,
  picker_id   text,
  lane_id     text,
  sku         text,
  quantity    integer,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE pick_events_event_id_seq OWNED BY pick_events.event_id;
CREATE TABLE pick_events_default PARTITION OF pick_events DEFAULT;
CREATE INDEX pick_events_by_order ON pick_events (order_id, event_id);
-- A store's day on its board (bags on the conveyor today): a range of one store's rows.
CREATE INDEX pick_events_by_store ON pick_events (store_id, at);

CREATE TABLE delivery_events (
  event_id   bigint NOT NULL DEFAULT nextval('delivery_events_event_id_seq'),
  store_id   text NOT NULL,
  at         timestamptz NOT NULL,
  kind       text NOT NULL,
  order_id   text,
  trip_id    text,
  courier_id text,
  detail     text,
  PRIMARY KEY (event_id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE delivery_events_event_id_seq OWNED BY delivery_events.event_id;
CREATE TABLE delivery_events_default PARTITION OF delivery_events DEFAULT;
CREATE INDEX delivery_events_by_order ON delivery_events (order_id, event_id);
CREATE INDEX delivery_events_by_store ON delivery_events (store_id, at);

-- Thirteen months back (the default retention) and three ahead; then the rows move over.
SELECT freshlane_event_partitions(13);
INSERT INTO pick_events SELECT event_id, store_id, at, kind, order_id, task_id, picker_id,
                               lane_id, sku, quantity, recorded_at
                        FROM pick_events_unpartitioned;
INSERT INTO delivery_events SELECT event_id, store_id, at, kind, order_id, trip_id, courier_id,
                                   detail
                            FROM delivery_events_unpartitioned;
DROP TABLE pick_events_unpartitioned;
DROP TABLE delivery_events_unpartitioned;

CREATE TRIGGER pick_events_to_store AFTER INSERT ON pick_events
  FOR EACH ROW EXECUTE FUNCTION store_event_of_pick();
CREATE TRIGGER delivery_events_to_store AFTER INSERT ON delivery_events
  FOR EACH ROW EXECUTE FUNCTION store_event_of_delivery();
