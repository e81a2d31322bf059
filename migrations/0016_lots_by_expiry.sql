-- A store's lots by expiry: the markdown round reads only the lots some policy can act on
-- (those expiring within its deepest step), not every lot of the store (100k at a flagship).
-- Not partial on the free units: reserving a unit must stay a HOT update.
CREATE INDEX lots_store_expiry ON lots (store_id, expires_at);
