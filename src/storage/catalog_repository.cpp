#include "freshlane/storage/catalog_repository.hpp"

#include "sql.hpp"

namespace freshlane::storage {

namespace {
const Query kInsertProduct{"product_insert", R"sql(
  INSERT INTO products (sku, name, category, unit, storage) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (sku) DO NOTHING)sql"};

const Query kFindProduct{"product_find", R"sql(
  SELECT sku, name, category, unit, storage FROM products WHERE sku = $1)sql"};

const Query kUpsertListing{"listing_upsert", R"sql(
  INSERT INTO store_products (store_id, sku, price_minor, markdown_price_minor, markdown_until,
                              zone, shelf)
  VALUES ($1, $2, $3, $4, to_timestamp($5), $6, $7)
  ON CONFLICT (store_id, sku) DO UPDATE SET
    price_minor = EXCLUDED.price_minor, markdown_price_minor = EXCLUDED.markdown_price_minor,
    markdown_until = EXCLUDED.markdown_until, zone = EXCLUDED.zone, shelf = EXCLUDED.shelf,
    updated_at = now())sql"};

// Columns read by read_store_product(); $2 is "now" in epoch seconds.
#define FRESHLANE_STORE_PRODUCT_COLUMNS                                                         \
  "sp.store_id, p.sku, p.name, p.category, p.unit, p.storage, sp.price_minor, "                 \
  "sp.markdown_price_minor, extract(epoch FROM sp.markdown_until)::bigint, sp.zone, sp.shelf, " \
  "COALESCE((SELECT sum(l.quantity_on_hand - l.quantity_reserved) FROM lots l "                 \
  "WHERE l.store_id = sp.store_id AND l.sku = sp.sku AND l.expires_at > to_timestamp($2)), "    \
  "0)::bigint "

const Query kFindStoreProduct{"store_product_find",
                              "SELECT " FRESHLANE_STORE_PRODUCT_COLUMNS
                              "FROM store_products sp JOIN products p ON p.sku = sp.sku "
                              "WHERE sp.store_id = $1 AND sp.sku = $3"};

const Query kListStoreProducts{"store_product_list",
                               "SELECT " FRESHLANE_STORE_PRODUCT_COLUMNS
                               "FROM store_products sp JOIN products p ON p.sku = sp.sku "
                               "WHERE sp.store_id = $1 AND sp.sku > $3 "
                               "AND ($4 = '' OR p.category = $4) "
                               "ORDER BY sp.sku LIMIT $5"};

// A separate statement for text search, run with a plan made for its pattern each time (see
// list_store_products): the pattern decides whether the trigram index helps.
const Query kSearchStoreProducts{"store_product_search",
                                 "SELECT " FRESHLANE_STORE_PRODUCT_COLUMNS
                                 "FROM store_products sp JOIN products p ON p.sku = sp.sku "
                                 "WHERE sp.store_id = $1 AND sp.sku > $3 "
                                 "AND ($4 = '' OR p.category = $4) AND p.name ILIKE $6 "
                                 "ORDER BY sp.sku LIMIT $5"};
#undef FRESHLANE_STORE_PRODUCT_COLUMNS

const Query kListingExists{"listing_exists", R"sql(
  SELECT 1 FROM store_products WHERE store_id = $1 AND sku = $2 FOR KEY SHARE)sql"};

const Query kInsertLot{"lot_insert", R"sql(
  INSERT INTO lots (lot_id, store_id, sku, quantity_received, quantity_on_hand, origin,
                    produced_at, received_at, expires_at)
  VALUES ($1, $2, $3, $4, $4, $5, to_timestamp($6), to_timestamp($7), to_timestamp($8))
  ON CONFLICT (lot_id) DO NOTHING)sql"};

const Query kInsertTrace{"lot_trace_insert", R"sql(
  INSERT INTO lot_trace_events (lot_id, position, at, event, place)
  VALUES ($1, $2, to_timestamp($3), $4, $5))sql"};

const Query kFindLot{"lot_find", R"sql(
  SELECT lot_id, store_id, sku, quantity_received, origin, extract(epoch FROM produced_at)::bigint,
         extract(epoch FROM received_at)::bigint, extract(epoch FROM expires_at)::bigint
  FROM lots WHERE lot_id = $1)sql"};

const Query kFindTrace{"lot_trace_find", R"sql(
  SELECT extract(epoch FROM at)::bigint, event, place FROM lot_trace_events
  WHERE lot_id = $1 ORDER BY position)sql"};

const Query kRating{"rating_of", R"sql(
  SELECT COALESCE(avg(stars), 0)::float8, count(*) FROM product_ratings WHERE sku = $1)sql"};

const Query kRate{"rating_upsert", R"sql(
  INSERT INTO product_ratings (sku, rater_id, stars) VALUES ($1, $2, $3)
  ON CONFLICT (sku, rater_id) DO UPDATE SET stars = EXCLUDED.stars, created_at = now())sql"};

catalog::Product read_product(const pqxx::row& r, int at) {
  catalog::Product p;
  p.sku = r[at].as<std::string>();
  p.name = r[at + 1].as<std::string>();
  p.category = r[at + 2].as<std::string>();
  p.unit = catalog::parse_unit(r[at + 3].as<std::string>()).value_or(catalog::Unit::kEach);
  p.storage =
      catalog::parse_storage(r[at + 4].as<std::string>()).value_or(catalog::Storage::kAmbient);
  return p;
}

catalog::StoreProduct read_store_product(const pqxx::row& r) {
  catalog::StoreProduct sp;
  sp.product = read_product(r, 1);
  sp.listing.store_id = r[0].as<std::string>();
  sp.listing.sku = sp.product.sku;
  sp.listing.price_minor = r[6].as<long long>();
  if (!r[7].is_null()) {
    sp.listing.markdown = catalog::Markdown{r[7].as<long long>(), from_epoch(r[8])};
  }
  sp.listing.zone = r[9].as<std::string>();
  sp.listing.shelf = r[10].as<std::string>();
  sp.available = r[11].as<long long>();
  return sp;
}
}  // namespace

std::string like_substring_pattern(const std::string& text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

bool CatalogRepository::insert_product(const catalog::Product& p) {
  return write(session_, [&](Tx& tx) {
    return exec(session_, tx, kInsertProduct, p.sku, p.name, p.category,
                std::string(catalog::to_string(p.unit)), std::string(catalog::to_string(p.storage)))
               .affected_rows() == 1;
  });
}

std::optional<catalog::Product> CatalogRepository::find_product(const std::string& sku) {
  return single(session_, [&](Tx& tx) -> std::optional<catalog::Product> {
    const auto r = exec(session_, tx, kFindProduct, sku);
    if (r.empty()) return std::nullopt;
    return read_product(r[0], 0);
  });
}

void CatalogRepository::upsert_listing(const catalog::Listing& l) {
  std::optional<long long> md_price, md_until;
  if (l.markdown) {
    md_price = l.markdown->price_minor;
    md_until = epoch(l.markdown->until);
  }
  write(session_, [&](Tx& tx) {
    exec(session_, tx, kUpsertListing, l.store_id, l.sku, l.price_minor, md_price, md_until, l.zone,
         l.shelf);
  });
  session_.changed({l.store_id, l.sku});
}

std::optional<catalog::StoreProduct> CatalogRepository::find_store_product(
    const std::string& store_id, const std::string& sku, core::Timestamp now) {
  return single(session_, [&](Tx& tx) -> std::optional<catalog::StoreProduct> {
    const auto r = exec(session_, tx, kFindStoreProduct, store_id, epoch(now), sku);
    if (r.empty()) return std::nullopt;
    return read_store_product(r[0]);
  });
}

std::vector<catalog::StoreProduct> CatalogRepository::list_store_products(const ListingQuery& q,
                                                                          core::Timestamp now) {
  auto rows = [&](const pqxx::result& r) {
    std::vector<catalog::StoreProduct> out;
    out.reserve(r.size());
    for (const auto& row : r) out.push_back(read_store_product(row));
    return out;
  };
  if (q.text.empty()) {
    return single(session_, [&](Tx& tx) {
      return rows(exec(session_, tx, kListStoreProducts, q.store_id, epoch(now), q.after_sku,
                       q.category, q.limit));
    });
  }
  // The connections plan statements once, generically; a search is planned for its pattern.
  return read(session_, [&](Tx& tx) {
    tx.exec("SET LOCAL plan_cache_mode = force_custom_plan");
    return rows(exec(session_, tx, kSearchStoreProducts, q.store_id, epoch(now), q.after_sku,
                     q.category, q.limit, like_substring_pattern(q.text)));
  });
}

LotInsert CatalogRepository::insert_lot(const catalog::Lot& lot) {
  const auto outcome = write(session_, [&](Tx& tx) {
    if (exec(session_, tx, kListingExists, lot.store_id, lot.sku).empty()) {
      return LotInsert::kNotListed;
    }
    const auto r =
        exec(session_, tx, kInsertLot, lot.lot_id, lot.store_id, lot.sku, lot.quantity_received,
             lot.origin, epoch(lot.produced_at), epoch(lot.received_at), epoch(lot.expires_at));
    if (r.affected_rows() == 0) return LotInsert::kDuplicateId;
    for (size_t i = 0; i < lot.trace.size(); ++i) {
      const auto& e = lot.trace[i];
      exec(session_, tx, kInsertTrace, lot.lot_id, static_cast<int>(i), epoch(e.at), e.event,
           e.place);
    }
    return LotInsert::kCreated;
  });
  if (outcome == LotInsert::kCreated) session_.changed({lot.store_id, lot.sku});
  return outcome;
}

std::optional<catalog::Lot> CatalogRepository::find_lot(const std::string& lot_id) {
  return read(session_, [&](Tx& tx) -> std::optional<catalog::Lot> {
    const auto r = exec(session_, tx, kFindLot, lot_id);
    if (r.empty()) return std::nullopt;
    catalog::Lot lot;
    lot.lot_id = r[0][0].as<std::string>();
    lot.store_id = r[0][1].as<std::string>();
    lot.sku = r[0][2].as<std::string>();
    lot.quantity_received = r[0][3].as<long long>();
    lot.origin = r[0][4].as<std::string>();
    lot.produced_at = from_epoch(r[0][5]);
    lot.received_at = from_epoch(r[0][6]);
    lot.expires_at = from_epoch(r[0][7]);
    for (const auto& row : exec(session_, tx, kFindTrace, lot_id)) {
      lot.trace.push_back({from_epoch(row[0]), row[1].as<std::string>(), row[2].as<std::string>()});
    }
    return lot;
  });
}

catalog::Rating CatalogRepository::rating(const std::string& sku) {
  return single(session_, [&](Tx& tx) {
    const auto r = exec(session_, tx, kRating, sku);
    return catalog::Rating{r[0][0].as<double>(), r[0][1].as<long long>()};
  });
}

void CatalogRepository::rate(const std::string& sku, const std::string& rater_id, int stars) {
  write(session_, [&](Tx& tx) { exec(session_, tx, kRate, sku, rater_id, stars); });
  session_.changed({"", sku});  // a scan shows the rating in every store
}

void relax_durability_for_bulk_load(Session& session) {
  single(session, [](Tx& tx) { tx.exec("SET synchronous_commit TO off"); });
}

}  // namespace freshlane::storage
