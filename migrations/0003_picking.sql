-- The picking floor: store layouts and conveyor lanes, pick tasks (one bag per zone of a paid
-- order) with their lines, picker shifts, and the log of everything the engine decided.
CREATE TABLE store_layouts (
  store_id               text PRIMARY KEY REFERENCES stores,
  zones                  text[] NOT NULL,
  pick_deadline_seconds  integer NOT NULL,
  max_bags_per_trip      integer NOT NULL,
  small_task_units       integer NOT NULL,
  picker_timeout_seconds integer NOT NULL,
  updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conveyor_lanes (
  store_id        text NOT NULL REFERENCES store_layouts ON DELETE CASCADE,
  lane_id         text NOT NULL,
  position        integer NOT NULL,
  capacity        integer NOT NULL CHECK (capacity > 0),
  transit_seconds integer NOT NULL CHECK (transit_seconds >= 0),
  zones           text[] NOT NULL,
  PRIMARY KEY (store_id, lane_id)
);

CREATE TABLE pick_tasks (
  task_id     text PRIMARY KEY,
  order_id    text NOT NULL REFERENCES orders,
  store_id    text NOT NULL REFERENCES stores,
  zone        text NOT NULL,
  state       text NOT NULL CHECK (state IN ('open', 'assigned', 'waiting', 'on_lane', 'arrived',
                                             'packed', 'cancelled')),
  paid_at     timestamptz NOT NULL,
  deadline    timestamptz NOT NULL,
  picker_id   text REFERENCES staff,
  assigned_at timestamptz,
  finished_at timestamptz,
  lane_id     text,
  loaded_at   timestamptz,
  arrives_at  timestamptz,
  UNIQUE (order_id, zone)
);
-- What the engine loads after a restart.
CREATE INDEX pick_tasks_live ON pick_tasks (store_id) WHERE state NOT IN ('packed', 'cancelled');

CREATE TABLE pick_task_lines (
  task_id  text NOT NULL REFERENCES pick_tasks ON DELETE CASCADE,
  line_no  integer NOT NULL,
  sku      text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  picked   integer NOT NULL DEFAULT 0 CHECK (picked >= 0),
  missing  integer NOT NULL DEFAULT 0 CHECK (missing >= 0),
  name     text NOT NULL,
  shelf    text NOT NULL,
  CHECK (picked + missing <= quantity),
  PRIMARY KEY (task_id, line_no)
);

CREATE TABLE picker_shifts (
  shift_id       bigserial PRIMARY KEY,
  store_id       text NOT NULL REFERENCES stores,
  staff_id       text NOT NULL REFERENCES staff,
  zone           text NOT NULL,
  clocked_in_at  timestamptz NOT NULL,
  clocked_out_at timestamptz,
  ended_by       text CHECK (ended_by IN ('clock_out', 'timeout'))
);
CREATE UNIQUE INDEX picker_shifts_open ON picker_shifts (staff_id) WHERE clocked_out_at IS NULL;

-- Append-only: every decision of the engine, for audits and order tracking.
CREATE TABLE pick_events (
  event_id  bigserial PRIMARY KEY,
  store_id  text NOT NULL,
  at        timestamptz NOT NULL,
  kind      text NOT NULL,
  order_id  text,
  task_id   text,
  picker_id text,
  lane_id   text,
  sku       text,
  quantity  integer
);
CREATE INDEX pick_events_by_order ON pick_events (order_id, event_id);

-- Short picks shrink a line (down to nothing) and owe the customer the difference.
ALTER TABLE order_lines DROP CONSTRAINT order_lines_quantity_check;
ALTER TABLE order_lines ADD CHECK (quantity >= 0);
ALTER TABLE order_lines ADD COLUMN short_quantity integer NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN refund_minor bigint NOT NULL DEFAULT 0;
-- The code the customer shows at hand-over (pickup counter, or the courier at the door).
ALTER TABLE orders ADD COLUMN handover_code text;
ALTER TABLE orders ADD COLUMN packed_at timestamptz;
ALTER TABLE orders ADD COLUMN handed_over_at timestamptz;
