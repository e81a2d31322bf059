-- Which catalog changes move a product on its store's pages. A change of stock (a lot), a
-- listing's price, markdown, zone or shelf, or a rating leaves every page showing the same
-- products in the same order: only the pages that show the product must go. A listing added,
-- delisted or listed again, or a product renamed or put in another category, may move it onto,
-- off or within any page of its store(s): all of them go. Each server process reads the flag
-- with the change feed (storage/change_feed.cpp); a busy store's orders then leave most of its
-- cached list and search pages standing.
--
-- Rows written before this migration have no flag: they count as moving pages, as every change
-- did until now. Servers of the previous release ignore the flag and drop every page of a store
-- on any change in it, as before.
ALTER TABLE catalog_changes ADD COLUMN moves_pages boolean NOT NULL DEFAULT true;

CREATE FUNCTION note_change_in_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_changes (store_id, sku, moves_pages)
    SELECT DISTINCT store_id, sku, false FROM changed;
  RETURN NULL;
END $$;
CREATE FUNCTION note_product_change_in_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_changes (store_id, sku, moves_pages)
    SELECT DISTINCT '', sku, false FROM changed;
  RETURN NULL;
END $$;
-- A listing updated moves pages when it was listed or delisted (or, by hand, given another
-- key: both keys then count as moved).
CREATE FUNCTION note_listing_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_changes (store_id, sku, moves_pages)
    SELECT DISTINCT COALESCE(n.store_id, o.store_id), COALESCE(n.sku, o.sku),
           n.sku IS NULL OR o.sku IS NULL OR (n.delisted_at IS NULL) <> (o.delisted_at IS NULL)
    FROM changed n FULL JOIN before o ON o.store_id = n.store_id AND o.sku = n.sku;
  RETURN NULL;
END $$;

DROP TRIGGER lots_inserted ON lots;
DROP TRIGGER lots_updated ON lots;
DROP TRIGGER lots_deleted ON lots;
DROP TRIGGER store_products_updated ON store_products;
DROP TRIGGER product_ratings_inserted ON product_ratings;
DROP TRIGGER product_ratings_updated ON product_ratings;

CREATE TRIGGER lots_inserted AFTER INSERT ON lots REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_change_in_place();
CREATE TRIGGER lots_updated AFTER UPDATE ON lots REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_change_in_place();
CREATE TRIGGER lots_deleted AFTER DELETE ON lots REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_change_in_place();
CREATE TRIGGER store_products_updated AFTER UPDATE ON store_products
  REFERENCING OLD TABLE AS before NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION note_listing_update();
CREATE TRIGGER product_ratings_inserted AFTER INSERT ON product_ratings
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_product_change_in_place();
CREATE TRIGGER product_ratings_updated AFTER UPDATE ON product_ratings
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_product_change_in_place();
