-- Every primary key, unique key and foreign key among a store's tables names store_id. A
-- database sharded by store (docs/scaling.md, section 7) requires it: a distributed table's
-- unique keys include the column it is distributed by, and a foreign key between two such tables
-- includes it on both sides. The store is appended to each key, so a lookup by the id alone
-- (an order URL, a lot label) still walks the key's index.
--
-- A row's store must now be its parent's: an order line in another store than its order, a
-- picker's task or shift in another store than the picker's, a trip of another store's courier,
-- a stop of another store's trip or order are refused by the database, not only by the code.
--
-- Ids (random, or from a sequence) stay unique chain-wide in practice; the database now holds
-- them unique within a store.
--
-- Rolling upgrade: the previous release's statements name conflict targets without the store
-- (ON CONFLICT (order_id), (lot_id), (event_id), ...), and so does 0014's basket count. Those
-- unique indexes stay, as `*_previous_release`, and `orders` keeps its primary key on order_id
-- (below), until the release after this one drops them and rewrites that function. Its inserts
-- without store_id still get it from 0018's triggers, which run before the foreign keys are
-- checked.
--
-- Each key's index is built again inside this migration's transaction, which holds the tables
-- locked: fine up to a few million rows (docs/scaling.md, section 7, has the online way).
LOCK TABLE orders, order_lines, order_line_lots, payment_events, pick_tasks, pick_task_lines,
           picker_shifts, courier_shifts, couriers, staff, trips, trip_stops, refunds,
           handover_code_attempts, lots, lot_price_changes, lot_trace_events, write_offs,
           counted_baskets, pick_events, delivery_events IN ACCESS EXCLUSIVE MODE;

-- The foreign keys go first: each names a key that is about to change.
ALTER TABLE lot_price_changes DROP CONSTRAINT lot_price_changes_lot_id_fkey;
ALTER TABLE lot_trace_events DROP CONSTRAINT lot_trace_events_lot_id_fkey;
ALTER TABLE order_line_lots DROP CONSTRAINT order_line_lots_lot_id_fkey,
                            DROP CONSTRAINT order_line_lots_order_id_line_no_fkey;
ALTER TABLE write_offs DROP CONSTRAINT write_offs_lot_id_fkey;
ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_fkey;
ALTER TABLE payment_events DROP CONSTRAINT payment_events_order_id_fkey;
ALTER TABLE pick_tasks DROP CONSTRAINT pick_tasks_order_id_fkey,
                       DROP CONSTRAINT pick_tasks_picker_id_fkey;
ALTER TABLE pick_task_lines DROP CONSTRAINT pick_task_lines_task_id_fkey;
ALTER TABLE picker_shifts DROP CONSTRAINT picker_shifts_staff_id_fkey;
ALTER TABLE courier_shifts DROP CONSTRAINT courier_shifts_courier_id_fkey;
ALTER TABLE trips DROP CONSTRAINT trips_courier_id_fkey;
ALTER TABLE trip_stops DROP CONSTRAINT trip_stops_order_id_fkey,
                       DROP CONSTRAINT trip_stops_trip_id_fkey;
ALTER TABLE refunds DROP CONSTRAINT refunds_order_id_fkey;
ALTER TABLE handover_code_attempts DROP CONSTRAINT handover_code_attempts_order_id_fkey;

-- The keys, store appended. The previous release's conflict targets stay for it, unique alone.
-- An order keeps its primary key on the id alone for now: the previous release's statements
-- group by it (GROUP BY o.order_id, the other columns following from the key), which only a
-- primary key allows. The key its children name carries the store.
ALTER TABLE orders ADD CONSTRAINT orders_order_id_store_id_key UNIQUE (order_id, store_id);
ALTER TABLE order_lines DROP CONSTRAINT order_lines_pkey,
                        ADD PRIMARY KEY (order_id, line_no, store_id);
CREATE UNIQUE INDEX order_line_lots_previous_release ON order_line_lots (order_id, line_no, lot_id);
ALTER TABLE order_line_lots DROP CONSTRAINT order_line_lots_pkey,
                            ADD PRIMARY KEY (order_id, line_no, lot_id, store_id);
CREATE UNIQUE INDEX payment_events_previous_release ON payment_events (event_id);
ALTER TABLE payment_events DROP CONSTRAINT payment_events_pkey,
                           ADD PRIMARY KEY (event_id, store_id);
ALTER TABLE pick_tasks DROP CONSTRAINT pick_tasks_pkey, ADD PRIMARY KEY (task_id, store_id),
                       DROP CONSTRAINT pick_tasks_order_id_zone_key,
                       ADD UNIQUE (order_id, zone, store_id);
ALTER TABLE pick_task_lines DROP CONSTRAINT pick_task_lines_pkey,
                            ADD PRIMARY KEY (task_id, line_no, store_id);
ALTER TABLE staff DROP CONSTRAINT staff_pkey, ADD PRIMARY KEY (staff_id, store_id);
ALTER TABLE picker_shifts DROP CONSTRAINT picker_shifts_pkey, ADD PRIMARY KEY (shift_id, store_id);
ALTER INDEX picker_shifts_open RENAME TO picker_shifts_open_previous_release;
CREATE UNIQUE INDEX picker_shifts_open ON picker_shifts (staff_id, store_id)
  WHERE clocked_out_at IS NULL;
ALTER TABLE couriers DROP CONSTRAINT couriers_pkey, ADD PRIMARY KEY (courier_id, store_id);
ALTER TABLE courier_shifts DROP CONSTRAINT courier_shifts_pkey,
                           ADD PRIMARY KEY (shift_id, store_id);
DROP INDEX courier_shifts_open;
CREATE UNIQUE INDEX courier_shifts_open ON courier_shifts (courier_id, store_id)
  WHERE clocked_out_at IS NULL;
ALTER TABLE trips DROP CONSTRAINT trips_pkey, ADD PRIMARY KEY (trip_id, store_id);
DROP INDEX trips_live_per_courier;
CREATE UNIQUE INDEX trips_live_per_courier ON trips (courier_id, store_id)
  WHERE state IN ('assigned', 'en_route');
ALTER TABLE trip_stops DROP CONSTRAINT trip_stops_pkey, ADD PRIMARY KEY (trip_id, seq, store_id);
DROP INDEX trip_stops_live_order;
CREATE UNIQUE INDEX trip_stops_live_order ON trip_stops (order_id, store_id)
  WHERE state IN ('planned', 'picked_up');
ALTER TABLE refunds DROP CONSTRAINT refunds_pkey, ADD PRIMARY KEY (refund_id, store_id);
CREATE UNIQUE INDEX handover_code_attempts_previous_release
  ON handover_code_attempts (order_id, actor_id);
ALTER TABLE handover_code_attempts DROP CONSTRAINT handover_code_attempts_pkey,
                                   ADD PRIMARY KEY (order_id, actor_id, store_id);
CREATE UNIQUE INDEX lots_previous_release ON lots (lot_id);
ALTER TABLE lots DROP CONSTRAINT lots_pkey, ADD PRIMARY KEY (lot_id, store_id);
ALTER TABLE lot_price_changes DROP CONSTRAINT lot_price_changes_pkey,
                              ADD PRIMARY KEY (change_id, store_id);
ALTER TABLE lot_trace_events DROP CONSTRAINT lot_trace_events_pkey,
                             ADD PRIMARY KEY (lot_id, position, store_id);
ALTER TABLE write_offs DROP CONSTRAINT write_offs_pkey, ADD PRIMARY KEY (write_off_id, store_id);
CREATE UNIQUE INDEX counted_baskets_previous_release ON counted_baskets (order_id);
ALTER TABLE counted_baskets DROP CONSTRAINT counted_baskets_pkey,
                            ADD PRIMARY KEY (order_id, store_id);
-- The event logs' keys, on every month's partition.
ALTER TABLE pick_events DROP CONSTRAINT pick_events_pkey1, ADD PRIMARY KEY (event_id, at, store_id);
ALTER TABLE delivery_events DROP CONSTRAINT delivery_events_pkey1,
                            ADD PRIMARY KEY (event_id, at, store_id);

-- The foreign keys again, each through the store.
ALTER TABLE order_lines ADD FOREIGN KEY (order_id, store_id)
  REFERENCES orders (order_id, store_id) ON DELETE CASCADE;
ALTER TABLE order_line_lots ADD FOREIGN KEY (order_id, line_no, store_id)
  REFERENCES order_lines (order_id, line_no, store_id) ON DELETE CASCADE;
ALTER TABLE order_line_lots ADD FOREIGN KEY (lot_id, store_id) REFERENCES lots (lot_id, store_id);
ALTER TABLE payment_events ADD FOREIGN KEY (order_id, store_id)
  REFERENCES orders (order_id, store_id);
ALTER TABLE pick_tasks ADD FOREIGN KEY (order_id, store_id) REFERENCES orders (order_id, store_id);
ALTER TABLE pick_tasks ADD FOREIGN KEY (picker_id, store_id) REFERENCES staff (staff_id, store_id);
ALTER TABLE pick_task_lines ADD FOREIGN KEY (task_id, store_id)
  REFERENCES pick_tasks (task_id, store_id) ON DELETE CASCADE;
ALTER TABLE picker_shifts ADD FOREIGN KEY (staff_id, store_id)
  REFERENCES staff (staff_id, store_id);
ALTER TABLE courier_shifts ADD FOREIGN KEY (courier_id, store_id)
  REFERENCES couriers (courier_id, store_id);
ALTER TABLE trips ADD FOREIGN KEY (courier_id, store_id) REFERENCES couriers (courier_id, store_id);
ALTER TABLE trip_stops ADD FOREIGN KEY (trip_id, store_id) REFERENCES trips (trip_id, store_id);
ALTER TABLE trip_stops ADD FOREIGN KEY (order_id, store_id) REFERENCES orders (order_id, store_id);
ALTER TABLE refunds ADD FOREIGN KEY (order_id, store_id) REFERENCES orders (order_id, store_id);
ALTER TABLE handover_code_attempts ADD FOREIGN KEY (order_id, store_id)
  REFERENCES orders (order_id, store_id) ON DELETE CASCADE;
ALTER TABLE lot_price_changes ADD FOREIGN KEY (lot_id, store_id)
  REFERENCES lots (lot_id, store_id) ON DELETE CASCADE;
ALTER TABLE lot_trace_events ADD FOREIGN KEY (lot_id, store_id)
  REFERENCES lots (lot_id, store_id) ON DELETE CASCADE;
ALTER TABLE write_offs ADD FOREIGN KEY (lot_id, store_id)
  REFERENCES lots (lot_id, store_id) ON DELETE CASCADE;
