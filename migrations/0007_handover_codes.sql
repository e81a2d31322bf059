-- Door and counter codes (issue 14): no code is kept in plain text any more, and wrong codes
-- are counted per order and per person offering them, in the database (any process may serve
-- any store: the count is the same for all of them).
--
-- A new order's code is derived from its id under the server's key (HMAC-SHA-256, six digits),
-- so nothing of it is stored: the customer's app derives it again on every read. Orders still
-- open now were shown a random code that cannot be derived; for them the SHA-256 of a random
-- per-order salt and that code is kept, so that code still opens their hand-over (as does the
-- derived one their app shows from now on). Finished orders keep nothing.
ALTER TABLE orders ADD COLUMN handover_code_salt bytea;
ALTER TABLE orders ADD COLUMN handover_code_hash bytea;
-- How the order's code is checked: 'derived' (under the server key) or 'salted_sha256' (also
-- the code of an order placed before 0007).
ALTER TABLE orders ADD COLUMN handover_code_scheme text NOT NULL DEFAULT 'derived'
  CHECK (handover_code_scheme IN ('derived', 'salted_sha256'));

UPDATE orders SET handover_code_salt = uuid_send(gen_random_uuid()),
                  handover_code_scheme = 'salted_sha256'
WHERE handover_code IS NOT NULL
  AND status NOT IN ('delivered', 'collected', 'completed', 'cancelled', 'expired');
UPDATE orders SET handover_code_hash = sha256(handover_code_salt || convert_to(handover_code, 'UTF8'))
WHERE handover_code_salt IS NOT NULL;
ALTER TABLE orders DROP COLUMN handover_code;
ALTER TABLE orders ADD CONSTRAINT orders_handover_code_kept CHECK (
  (handover_code_scheme = 'salted_sha256') =
  (handover_code_salt IS NOT NULL AND handover_code_hash IS NOT NULL));

-- The order's answer kept under its idempotency key held the code too: blanked (a replay
-- derives it again).
UPDATE idempotency_keys
SET response_body = regexp_replace(response_body, '"handover_code":"[^"]*"', '"handover_code":null')
WHERE status = 201 AND response_body LIKE '%"handover_code":"%';

-- Wrong codes, per order and per courier or staff member offering them. Past the limit that
-- person is locked out of the order's hand-over until a manager of the store unlocks it
-- (which deletes the order's rows here).
CREATE TABLE handover_code_attempts (
  order_id       text NOT NULL REFERENCES orders ON DELETE CASCADE,
  actor_id       text NOT NULL,
  store_id       text NOT NULL REFERENCES stores,
  kind           text NOT NULL CHECK (kind IN ('door', 'counter')),
  failures       integer NOT NULL CHECK (failures > 0),
  last_failed_at timestamptz NOT NULL,
  PRIMARY KEY (order_id, actor_id)
);
