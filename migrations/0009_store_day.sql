-- A store's working day (issue 15): stores people can find and managers can steer, staff and
-- couriers who can be listed, revoked and deactivated, orders staff can find and cancel for a
-- customer, couriers who know whom they deliver to, listings that can be delisted, and lots
-- that can be recalled.

-- Where and when a store is, and whether it delivers today. A delivery pause is its reason
-- (NULL: delivering); opening hours are local "HH:MM" with the store's UTC offset.
ALTER TABLE stores ADD COLUMN address text NOT NULL DEFAULT '',
                   ADD COLUMN phone text NOT NULL DEFAULT '',
                   ADD COLUMN opens text CHECK (opens ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
                   ADD COLUMN closes text CHECK (closes ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
                   ADD COLUMN utc_offset_minutes integer NOT NULL DEFAULT 480
                     CHECK (utc_offset_minutes BETWEEN -720 AND 840),
                   ADD COLUMN delivery_paused_reason text,
                   ADD COLUMN delivery_paused_at timestamptz,
                   ADD CHECK ((opens IS NULL) = (closes IS NULL)),
                   ADD CHECK ((delivery_paused_reason IS NULL) = (delivery_paused_at IS NULL));

-- People leave: a deactivated account keeps its history and loses every token.
ALTER TABLE staff ADD COLUMN deactivated_at timestamptz;
ALTER TABLE couriers ADD COLUMN deactivated_at timestamptz;
CREATE INDEX api_tokens_by_subject ON api_tokens (subject_id);

-- A token that stops working must stop in every process at once, not when a process's few
-- seconds of memory of it run out: deleting a token notes its hash here, and each process reads
-- the new rows with the change feed (storage/change_feed.cpp), as it does catalog_changes.
CREATE UNLOGGED TABLE token_revocations (
  xid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
  token_hash text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX token_revocations_by_xid ON token_revocations (xid);
CREATE INDEX token_revocations_by_age ON token_revocations (at);
CREATE FUNCTION note_token_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO token_revocations (token_hash) SELECT token_hash FROM gone;
  RETURN NULL;
END $$;
CREATE TRIGGER api_tokens_deleted AFTER DELETE ON api_tokens REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION note_token_revocation();

-- What the courier needs at the door, and who cancelled an order for its customer and why.
ALTER TABLE orders ADD COLUMN delivery_notes text,
                   ADD COLUMN cancelled_by text,
                   ADD COLUMN cancel_reason text;
-- Staff find a store's orders newest first, by status.
CREATE INDEX orders_by_store ON orders (store_id, created_at DESC, order_id DESC);

-- A delisted listing is no longer shown or sold; listing it again brings it back.
ALTER TABLE store_products ADD COLUMN delisted_at timestamptz;

-- A recalled lot sells no more units, from the moment of the recall, in every process.
ALTER TABLE lots ADD COLUMN recalled_at timestamptz,
                 ADD COLUMN recall_reason text,
                 ADD CHECK ((recalled_at IS NULL) = (recall_reason IS NULL));

-- Which of a line's units the picker has scanned from each lot: the scan of a lot code records
-- that very lot (moving the line's reservation to it when it was another unexpired lot).
ALTER TABLE order_line_lots ADD COLUMN picked integer NOT NULL DEFAULT 0,
                            ADD CHECK (picked >= 0 AND picked <= quantity);

-- A markdown may be planned ahead: it starts at markdown_from (NULL: at once).
ALTER TABLE store_products ADD COLUMN markdown_from timestamptz,
                           ADD CHECK (markdown_from IS NULL OR markdown_until IS NOT NULL);

-- What search matches: the name, its pinyin in full and by initials, the SKU (catalog/pinyin.cpp
-- computes it when a product is written). A product written without it (before this migration,
-- or by hand in SQL) starts with its name and SKU, and `freshlane migrate` adds the pinyin.
ALTER TABLE products ADD COLUMN search_text text,
                     ADD COLUMN search_text_full boolean NOT NULL DEFAULT false;
UPDATE products SET search_text = lower(name || ' ' || sku);
CREATE FUNCTION product_search_text_default() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.search_text IS NULL THEN
    NEW.search_text := lower(NEW.name || ' ' || NEW.sku);
    NEW.search_text_full := false;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER products_search_text BEFORE INSERT OR UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION product_search_text_default();
ALTER TABLE products ALTER COLUMN search_text SET NOT NULL;
CREATE INDEX products_search_trgm ON products USING gin (search_text gin_trgm_ops);
