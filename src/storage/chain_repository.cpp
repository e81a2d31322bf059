#include "freshlane/storage/chain_repository.hpp"

#include <cstdio>

#include "sql.hpp"

namespace freshlane::storage {

namespace {

// The chain's stores ('ch-0001' ...): $1 how many; $2-$4 the city's districts (names, centres),
// the stores spread over them round the clock, up to ~1.5 km from a centre.
const Query kSeedStores{"chain_seed_stores", R"sql(
  INSERT INTO stores (store_id, name, lat, lon, delivery_radius_m, promise_minutes, currency,
                      address, phone, opens, closes, utc_offset_minutes)
  SELECT 'ch-' || lpad(i::text, 4, '0'),
         'freshlane ' || d.name || ' ' || i || '号店',
         d.lat + ((abs(hashint8(i)) % 2000) - 1000) / 70000.0,
         d.lon + ((abs(hashint8(i + 7919)) % 2000) - 1000) / 60000.0,
         3000, 30, 'CNY', d.name || ' ' || (100 + i) || ' 号', '+86 21 ' || lpad(i::text, 8, '0'),
         '07:00', '22:00', 480
  FROM generate_series(1, $1::integer) i
  JOIN unnest($2::text[], $3::float8[], $4::float8[]) WITH ORDINALITY AS d(name, lat, lon, n)
    ON d.n = 1 + (i - 1) % cardinality($2::text[])
  ON CONFLICT (store_id) DO NOTHING)sql"};

// Product k of the catalog (0 <= k < $1) is variant k / n of base product k % n: SKU
// '<base>-<variant>', its name and search text the base's with ' #<variant>'.
const Query kSeedProducts{"chain_seed_products", R"sql(
  INSERT INTO products (sku, name, category, unit, storage, search_text, search_text_full)
  SELECT b.sku || '-' || lpad((k / n)::text, 4, '0'), b.name || ' #' || (k / n), b.category,
         b.unit, b.storage,
         b.search_text || '#' || (k / n) || ' ' || lower(b.sku) || '-' || lpad((k / n)::text, 4, '0'),
         true
  FROM generate_series(0, $1::integer - 1) k CROSS JOIN (SELECT cardinality($2::text[]) AS n) c
  JOIN unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       WITH ORDINALITY AS b(sku, name, category, unit, storage, search_text, ord)
    ON b.ord = 1 + k % c.n
  ON CONFLICT (sku) DO NOTHING)sql"};

// The catalog's SKU of product k: the one rule, written once for the statements below.
#define FRESHLANE_CHAIN_SKU(k)                                               \
  "(($2::text[])[1 + (" k ") % cardinality($2::text[])] || '-' || lpad(((" k \
  ") / "                                                                     \
  "cardinality($2::text[]))::text, 4, '0'))"

// Listings: the flagship (ch-0001) lists the whole catalog; every other store the core ($3
// first products) and $4 more of its own, drawn from the rest. Prices differ a little by store.
// $1 stores, $2 base SKUs, $5 base prices, $6 zones, $7 the catalog's size.
const Query kSeedListings{"chain_seed_listings",
                          "INSERT INTO store_products (store_id, sku, price_minor, zone, shelf) "
                          "SELECT 'ch-' || lpad(w.i::text, 4, '0'), " FRESHLANE_CHAIN_SKU("w.k")
                          ", greatest(90, ((($5::bigint[])[1 + w.k % cardinality($2::text[])] "
                          "  * (100 + w.i % 5 * 2) / 100 + 50) / 100 * 100 - 10)), "
                          "($6::text[])[1 + w.k % cardinality($2::text[])], "
                          "chr(65 + w.k % 8) || (1 + w.k % 24) || '-' || (1 + w.k % 5) "
                          "FROM (SELECT DISTINCT i, k FROM ("
                          "  SELECT i, k FROM generate_series(1, $1::integer) i, "
                          "    generate_series(0, CASE WHEN i = 1 THEN $7::integer "
                          "                            ELSE least($3::integer, $7::integer) END - 1) k "
                          "  UNION ALL "
                          "  SELECT i, least($3::integer, $7::integer) + abs(hashint8(i * 1000003 + j)) "
                          "         % greatest(1, $7::integer - $3::integer) "
                          "  FROM generate_series(2, $1::integer) i, generate_series(1, $4::integer) j "
                          "  WHERE $7::integer > $3::integer) x) w "
                          "ON CONFLICT (store_id, sku) DO NOTHING"};

// One lot per chain listing, received yesterday, expiring by its base product's shelf life;
// goods sold by weight arrive in grams. $1 now, $2 base SKUs, $3 origins, $4 shelf days.
const Query kSeedLots{"chain_seed_lots", R"sql(
  INSERT INTO lots (lot_id, store_id, sku, quantity_received, quantity_on_hand, origin,
                    produced_at, received_at, expires_at, unit_cost_minor)
  SELECT 'LC' || substr(sp.store_id, 4) || '-' || sp.sku, sp.store_id, sp.sku, q.units, q.units,
         b.origin, to_timestamp($1) - interval '2 days', to_timestamp($1) - interval '1 day',
         to_timestamp($1) + make_interval(days => b.shelf_days), sp.price_minor * 62 / 100
  FROM store_products sp JOIN products p ON p.sku = sp.sku
  JOIN unnest($2::text[], $3::text[], $4::integer[]) AS b(sku, origin, shelf_days)
    ON b.sku = left(sp.sku, length(sp.sku) - 5)
  CROSS JOIN LATERAL (SELECT (20 + abs(hashtext(sp.store_id || sp.sku)) % 60)
                             * CASE p.unit WHEN 'kg' THEN 1000 WHEN '500g' THEN 500 ELSE 1 END
                             AS units) q
  WHERE sp.store_id LIKE 'ch-%'
  ON CONFLICT (lot_id, store_id) DO NOTHING)sql"};

// $1 stores, $2 customers a store.
const Query kSeedCustomers{"chain_seed_customers", R"sql(
  INSERT INTO customers (customer_id, phone, name)
  SELECT 'chc-' || lpad(i::text, 4, '0') || '-' || n,
         '+8690' || lpad(i::text, 4, '0') || lpad(n::text, 5, '0'), '顾客 ' || i || '-' || n
  FROM generate_series(1, $1::integer) i, generate_series(0, $2::integer - 1) n
  ON CONFLICT DO NOTHING)sql"};

// One store-local day of orders at every chain store: $1 stores, $2 base SKUs, $3 days ago,
// $4 now, $5 orders on an average day (more at the weekend, +-15% a day), $6 core products (the
// lines are drawn from them), $7 customers a store. Orders run from 07:00 to 22:00; seven in
// ten are delivered, two picked up, one bought in the aisle. Each has three lines, its payment,
// its floor's events (picking started, each item picked, the bag finished, packed) and, when
// delivered, the courier's (assigned, picked up, delivered). Returns the orders added.
const Query kSeedDay{
    "chain_seed_day",
    "WITH store AS ("
    "  SELECT s.store_id, substr(s.store_id, 4)::integer AS i, s.utc_offset_minutes AS m, "
    "         ((to_timestamp($4) AT TIME ZONE 'UTC') + make_interval(mins => s.utc_offset_minutes))"
    "           ::date - $3::integer AS day "
    "  FROM stores s WHERE s.store_id LIKE 'ch-%' AND substr(s.store_id, 4)::integer <= $1),"
    "plan AS ("
    "  SELECT st.store_id, st.day, j, "
    "         ((st.day + time '07:00' + make_interval(secs => j * 54000.0 / c.n "
    "             + abs(hashint8(st.i * 100003 + j)) % 50) - make_interval(mins => st.m)) "
    "           AT TIME ZONE 'UTC') AS at, "
    "         'cho-' || substr(st.store_id, 4) || '-' || to_char(st.day, 'YYYYMMDD') || '-' || j "
    "           AS order_id, "
    "         'chc-' || substr(st.store_id, 4) || '-' "
    "           || abs(hashint8(st.i * 7919 + j * 31 + (st.day - date '2000-01-01'))) % $7 "
    "           AS customer_id, "
    "         CASE WHEN j % 10 < 7 THEN 'delivery' WHEN j % 10 < 9 THEN 'pickup' "
    "              ELSE 'in_store' END AS fulfillment "
    "  FROM store st, "
    "       LATERAL (SELECT greatest(1, round($5::integer * "
    "                  CASE extract(isodow FROM st.day) WHEN 6 THEN 1.35 WHEN 7 THEN 1.3 "
    "                       WHEN 5 THEN 1.15 ELSE 0.92 END "
    "                  * (0.85 + abs(hashint8(st.i * 1000003 + (st.day - date '2000-01-01'))) "
    "                            % 30 / 100.0))::integer) AS n) c, "
    "       generate_series(1, c.n) j),"
    "lines AS ("
    "  SELECT p.order_id, l AS line_no, sp.sku, pr.name, pr.unit, sp.price_minor, "
    "         CASE WHEN pr.unit = 'each' THEN 1 + abs(hashtext(p.order_id || l)) % 3 ELSE 500 END"
    "           AS quantity "
    "  FROM plan p CROSS JOIN generate_series(0, 2) l "
    "  JOIN store_products sp ON sp.store_id = p.store_id AND sp.sku = " FRESHLANE_CHAIN_SKU(
        "abs(hashtext(p.order_id || '/' || l)) % $6::integer") " "
    "  JOIN products pr ON pr.sku = sp.sku),"
    "priced AS ("
    "  SELECT *, (CASE unit WHEN 'each' THEN quantity * price_minor "
    "                       WHEN 'kg' THEN round(quantity * price_minor / 1000.0) "
    "                       ELSE round(quantity * price_minor / 500.0) END)::bigint AS amount "
    "  FROM lines),"
    "new_orders AS ("
    "  INSERT INTO orders (order_id, customer_id, store_id, fulfillment, status, currency, "
    "                      total_minor, created_at, promised_at, payment_status, "
    "                      payment_expires_at, paid_at, packed_at, handed_over_at, units, "
    "                      updated_at) "
    "  SELECT p.order_id, p.customer_id, p.store_id, p.fulfillment, 'completed', 'CNY', t.total, "
    "         p.at, CASE WHEN p.fulfillment = 'delivery' THEN p.at + interval '30 minutes' END, "
    "         'paid', p.at + interval '15 minutes', p.at + interval '1 minute', "
    "         p.at + interval '12 minutes', p.at + interval '26 minutes', t.units, "
    "         p.at + interval '26 minutes' "
    "  FROM plan p JOIN (SELECT order_id, sum(amount) AS total, "
    "                           sum(CASE WHEN unit = 'each' THEN quantity ELSE 1 END) AS units "
    "                    FROM priced GROUP BY order_id) t ON t.order_id = p.order_id "
    "  ON CONFLICT (order_id, store_id) DO NOTHING "
    "  RETURNING order_id, store_id, fulfillment, created_at, total_minor),"
    "new_lines AS ("
    "  INSERT INTO order_lines (order_id, store_id, line_no, sku, name, quantity, "
    "                           unit_price_minor, unit, ordered_grams, authorized_minor, weighed, "
    "                           list_price_minor) "
    "  SELECT l.order_id, o.store_id, l.line_no, l.sku, l.name, l.quantity, l.price_minor, l.unit, "
    "         CASE WHEN l.unit <> 'each' THEN l.quantity END, "
    "         CASE WHEN l.unit <> 'each' THEN l.amount + l.amount / 10 END, l.unit <> 'each', "
    "         l.price_minor "
    "  FROM priced l JOIN new_orders o ON o.order_id = l.order_id RETURNING 1),"
    "new_payments AS ("
    "  INSERT INTO payment_events (event_id, order_id, store_id, status, amount_minor, "
    "                              received_at) "
    "  SELECT 'chpay-' || o.order_id, o.order_id, o.store_id, 'succeeded', o.total_minor, "
    "         o.created_at + interval '1 minute' FROM new_orders o RETURNING 1),"
    "new_pick_events AS ("
    "  INSERT INTO pick_events (store_id, at, kind, order_id, task_id, sku, quantity, recorded_at) "
    "  SELECT o.store_id, o.created_at + e.after, e.kind, o.order_id, "
    "         'tk-' || substr(o.order_id, 5), NULL, NULL, o.created_at + e.after "
    "  FROM new_orders o CROSS JOIN (VALUES (interval '2 minutes', 'order_picking_started'), "
    "         (interval '9 minutes', 'bag_finished'), (interval '12 minutes', 'order_packed')) "
    "         AS e(after, kind) "
    "  UNION ALL "
    "  SELECT o.store_id, o.created_at + interval '3 minutes' + l.line_no * interval '90 seconds', "
    "         'item_picked', o.order_id, 'tk-' || substr(o.order_id, 5), l.sku, l.quantity, "
    "         o.created_at + interval '3 minutes' + l.line_no * interval '90 seconds' "
    "  FROM priced l JOIN new_orders o ON o.order_id = l.order_id RETURNING 1),"
    "new_delivery_events AS ("
    "  INSERT INTO delivery_events (store_id, at, kind, order_id, trip_id, detail) "
    "  SELECT o.store_id, o.created_at + e.after, e.kind, o.order_id, "
    "         'tr-' || substr(o.order_id, 5), NULL "
    "  FROM new_orders o CROSS JOIN LATERAL (VALUES (interval '13 minutes', 'trip_planned'), "
    "         (interval '15 minutes', 'bags_taken'), (interval '26 minutes', 'delivered')) "
    "         AS e(after, kind) "
    "  WHERE o.fulfillment = 'delivery' RETURNING 1) "
    "SELECT (SELECT count(*) FROM new_orders), (SELECT count(*) FROM new_lines), "
    "       (SELECT count(*) FROM new_payments), (SELECT count(*) FROM new_pick_events), "
    "       (SELECT count(*) FROM new_delivery_events)"};

#undef FRESHLANE_CHAIN_SKU

const Query kIsSuperuser{"chain_is_superuser",
                         "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"};

// A bulk step runs as long as it needs (the pool's connections carry a statement timeout
// meant for requests).
void unlimited(Tx& tx) { tx.exec("SET LOCAL statement_timeout = 0"); }

// Rows made consistent by construction are written without the per-row triggers (foreign-key
// checks, the change feed's notes, live store events): they would cost more than the rows.
// Only a superuser may (the demo's and the benches' PostgreSQL make freshlane one).
void without_triggers(Tx& tx) { tx.exec("SET LOCAL session_replication_role = replica"); }

long long affected(const pqxx::result& r) { return static_cast<long long>(r.affected_rows()); }

// An array literal of numbers for `$n::bigint[]` / `$n::float8[]` parameters.
template <typename T>
std::string number_array(const std::vector<T>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "}";
}

}  // namespace

std::string ChainRepository::store_id(int n) {
  char id[16];
  std::snprintf(id, sizeof id, "ch-%04d", n);
  return id;
}

long long ChainRepository::seed_stores(const ChainSize& size, const ChainDistricts& d) {
  return write(session_, [&](Tx& tx) {
    unlimited(tx);
    return affected(exec(session_, tx, kSeedStores, size.stores, text_array(d.name),
                         number_array(d.lat), number_array(d.lon)));
  });
}

long long ChainRepository::seed_products(const ChainSize& size, const ChainBase& b) {
  return write(session_, [&](Tx& tx) {
    unlimited(tx);
    return affected(exec(session_, tx, kSeedProducts, size.skus, text_array(b.sku),
                         text_array(b.name), text_array(b.category), text_array(b.unit),
                         text_array(b.storage), text_array(b.search_text)));
  });
}

long long ChainRepository::seed_listings(const ChainSize& size, const ChainBase& b) {
  return write(session_, [&](Tx& tx) {
    unlimited(tx);
    without_triggers(tx);
    return affected(exec(session_, tx, kSeedListings, size.stores, text_array(b.sku),
                         size.core_skus, size.own_skus, number_array(b.price_minor),
                         text_array(b.zone), size.skus));
  });
}

long long ChainRepository::seed_lots(const ChainSize&, const ChainBase& b, core::Timestamp now) {
  std::vector<long long> shelf_days(b.shelf_days.begin(), b.shelf_days.end());
  return write(session_, [&](Tx& tx) {
    unlimited(tx);
    without_triggers(tx);
    return affected(exec(session_, tx, kSeedLots, epoch(now), text_array(b.sku),
                         text_array(b.origin), number_array(shelf_days)));
  });
}

long long ChainRepository::seed_customers(const ChainSize& size) {
  return write(session_, [&](Tx& tx) {
    unlimited(tx);
    return affected(exec(session_, tx, kSeedCustomers, size.stores, size.customers_per_store));
  });
}

long long ChainRepository::seed_day(const ChainSize& size, const ChainBase& b, int days_ago,
                                    core::Timestamp now) {
  return write(session_, [&](Tx& tx) {
    unlimited(tx);
    without_triggers(tx);  // history: no live store events (nor their sequence numbers)
    const auto r = exec(session_, tx, kSeedDay, size.stores, text_array(b.sku), days_ago,
                        epoch(now), size.orders_per_day, size.core_skus, size.customers_per_store);
    return r[0][0].as<long long>();
  });
}

bool ChainRepository::may_write_without_triggers() {
  return single(session_,
                [&](Tx& tx) { return exec(session_, tx, kIsSuperuser)[0][0].as<bool>(); });
}

void ChainRepository::analyze() {
  write(session_, [](Tx& tx) {
    unlimited(tx);
    tx.exec("ANALYZE");
  });
}

}  // namespace freshlane::storage
