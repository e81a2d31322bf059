-- A store's units sold by its local day and SKU, for the days that are over. The forecast and
-- the order suggestions read eight weeks of them; summed from the orders each time, that was one
-- probe of order_lines an order (12,190 at a store of 200 orders a day, 244 ms). A day is summed
-- from the orders once, the first time a read needs it after it ended, and never added to.
-- Keyed by the UTC offset the day was cut by: a store that moves its clock sums its days again.
CREATE TABLE sales_days (
  store_id           text    NOT NULL REFERENCES stores (store_id),
  utc_offset_minutes integer NOT NULL,
  day                date    NOT NULL,
  sku                text    NOT NULL,
  units              bigint  NOT NULL,
  PRIMARY KEY (store_id, utc_offset_minutes, sku, day)
);
-- The days summed, whether or not anything sold on them.
CREATE TABLE sales_days_summed (
  store_id           text    NOT NULL REFERENCES stores (store_id),
  utc_offset_minutes integer NOT NULL,
  day                date    NOT NULL,
  PRIMARY KEY (store_id, utc_offset_minutes, day)
);

-- Customers by the end of their phone number, read backwards: staff find a customer's orders by
-- its last digits, which before meant walking the store's orders until enough matched.
CREATE INDEX customers_by_phone_end ON customers ((reverse(phone) COLLATE "C"));
-- A store's orders of one customer in the order staff read them: a phone search reads a page of
-- each matching customer's orders there, however long their history.
CREATE INDEX orders_by_store_customer ON orders (store_id, customer_id, created_at DESC, order_id DESC);
