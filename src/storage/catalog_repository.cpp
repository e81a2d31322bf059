#include "freshlane/storage/catalog_repository.hpp"

#include "freshlane/catalog/pinyin.hpp"
#include "sql.hpp"

namespace freshlane::storage {

namespace {
const Query kInsertProduct{"product_insert", R"sql(
  INSERT INTO products (sku, name, category, unit, storage, search_text, search_text_full)
  VALUES ($1, $2, $3, $4, $5, $6, true)
  ON CONFLICT (sku) DO NOTHING)sql"};
const Query kSetSearchText{"product_search_text", R"sql(
  UPDATE products SET search_text = $2, search_text_full = true WHERE sku = $1)sql"};
const Query kWithoutSearchText{"product_without_search_text", R"sql(
  SELECT sku, name, category, unit, storage FROM products WHERE NOT search_text_full
  ORDER BY sku LIMIT 1000)sql"};

const Query kFindProduct{"product_find", R"sql(
  SELECT sku, name, category, unit, storage FROM products WHERE sku = $1)sql"};

const Query kUpsertListing{"listing_upsert", R"sql(
  INSERT INTO store_products (store_id, sku, price_minor, markdown_price_minor, markdown_until,
                              zone, shelf, markdown_from)
  VALUES ($1, $2, $3, $4, to_timestamp($5), $6, $7, to_timestamp($8))
  ON CONFLICT (store_id, sku) DO UPDATE SET
    price_minor = EXCLUDED.price_minor, markdown_price_minor = EXCLUDED.markdown_price_minor,
    markdown_until = EXCLUDED.markdown_until, markdown_from = EXCLUDED.markdown_from,
    zone = EXCLUDED.zone, shelf = EXCLUDED.shelf,
    delisted_at = NULL, updated_at = now())sql"};

// Columns read by read_store_product(); $2 is "now" in epoch seconds.
#define FRESHLANE_STORE_PRODUCT_COLUMNS                                                         \
  "sp.store_id, p.sku, p.name, p.category, p.unit, p.storage, sp.price_minor, "                 \
  "sp.markdown_price_minor, extract(epoch FROM sp.markdown_until)::bigint, sp.zone, sp.shelf, " \
  "COALESCE((SELECT sum(l.quantity_on_hand - l.quantity_reserved) FROM lots l "                 \
  "WHERE l.store_id = sp.store_id AND l.sku = sp.sku AND l.expires_at > to_timestamp($2) "      \
  "AND l.recalled_at IS NULL), 0)::bigint, sp.delisted_at IS NOT NULL, "                        \
  "extract(epoch FROM sp.markdown_from)::bigint, "                                              \
  "(SELECT l.price_minor || ' ' || sum(l.quantity_on_hand - l.quantity_reserved) FROM lots l "  \
  "WHERE l.store_id = sp.store_id AND l.sku = sp.sku AND l.expires_at > to_timestamp($2) "      \
  "AND l.recalled_at IS NULL AND l.price_minor IS NOT NULL "                                    \
  "AND l.quantity_on_hand > l.quantity_reserved GROUP BY l.price_minor ORDER BY l.price_minor " \
  "LIMIT 1) "

const Query kFindStoreProduct{"store_product_find",
                              "SELECT " FRESHLANE_STORE_PRODUCT_COLUMNS
                              "FROM store_products sp JOIN products p ON p.sku = sp.sku "
                              "WHERE sp.store_id = $1 AND sp.sku = $3"};

const Query kFindStoreProducts{"store_product_find_many",
                               "SELECT " FRESHLANE_STORE_PRODUCT_COLUMNS
                               "FROM store_products sp JOIN products p ON p.sku = sp.sku "
                               "WHERE sp.store_id = $1 AND sp.sku = ANY($3::text[]) "
                               "AND sp.delisted_at IS NULL"};

const Query kListStoreProducts{"store_product_list",
                               "SELECT " FRESHLANE_STORE_PRODUCT_COLUMNS
                               "FROM store_products sp JOIN products p ON p.sku = sp.sku "
                               "WHERE sp.store_id = $1 AND sp.sku > $3 AND sp.delisted_at IS NULL "
                               "AND ($4 = '' OR p.category = $4) "
                               "ORDER BY sp.sku LIMIT $5"};

// Text search, run with a plan made for its words each time (see list_store_products): each of
// the first kSearchWords words ($6-$9, as ILIKE patterns; '' for none) must be in the
// product's search text (name, pinyin, SKU), in any order, each able to use the trigram index;
// the closest (trigram similarity to the whole query, $10) first. $3: the offset. A word
// missing drops its test from the plan: at 100k products a test of '%' made the planner scan
// them all and lower-case each product's text once per test (70 ms instead of 5).
const Query kSearchStoreProducts{
    "store_product_search",
    "SELECT " FRESHLANE_STORE_PRODUCT_COLUMNS
    "FROM store_products sp JOIN products p ON p.sku = sp.sku "
    "WHERE sp.store_id = $1 AND sp.delisted_at IS NULL AND ($4 = '' OR p.category = $4) "
    "AND p.search_text ILIKE $6 AND ($7 = '' OR p.search_text ILIKE $7) "
    "AND ($8 = '' OR p.search_text ILIKE $8) AND ($9 = '' OR p.search_text ILIKE $9) "
    "ORDER BY similarity(p.search_text, $10) DESC, sp.sku "
    "OFFSET $3::integer LIMIT $5"};
constexpr std::size_t kSearchWords = 4;
#undef FRESHLANE_STORE_PRODUCT_COLUMNS

const Query kDelist{"listing_delist", R"sql(
  UPDATE store_products SET delisted_at = COALESCE(delisted_at, now()), updated_at = now()
  WHERE store_id = $1 AND sku = $2)sql"};
const Query kUpdateProduct{"product_update", R"sql(
  UPDATE products SET name = COALESCE($2, name), category = COALESCE($3, category),
                      storage = COALESCE($4, storage)
  WHERE sku = $1 RETURNING sku, name, category, unit, storage)sql"};

const Query kCategories{"store_categories", R"sql(
  SELECT p.category, count(*)::integer FROM store_products sp JOIN products p ON p.sku = sp.sku
  WHERE sp.store_id = $1 AND sp.delisted_at IS NULL GROUP BY p.category ORDER BY p.category)sql"};

const Query kStorageOf{"product_storage_of", R"sql(
  SELECT sku, storage FROM products WHERE sku = ANY($1::text[]))sql"};

const Query kListingExists{"listing_exists", R"sql(
  SELECT 1 FROM store_products WHERE store_id = $1 AND sku = $2 FOR KEY SHARE)sql"};

const Query kInsertLot{"lot_insert", R"sql(
  INSERT INTO lots (lot_id, store_id, sku, quantity_received, quantity_on_hand, origin,
                    produced_at, received_at, expires_at, unit_cost_minor)
  VALUES ($1, $2, $3, $4, $4, $5, to_timestamp($6), to_timestamp($7), to_timestamp($8), $9)
  ON CONFLICT DO NOTHING)sql"};

const Query kInsertTrace{"lot_trace_insert", R"sql(
  INSERT INTO lot_trace_events (lot_id, store_id, position, at, event, place)
  VALUES ($1, $6, $2, to_timestamp($3), $4, $5))sql"};

const Query kFindLot{"lot_find", R"sql(
  SELECT lot_id, store_id, sku, quantity_received, origin, extract(epoch FROM produced_at)::bigint,
         extract(epoch FROM received_at)::bigint, extract(epoch FROM expires_at)::bigint,
         quantity_on_hand, quantity_on_hand - quantity_reserved,
         extract(epoch FROM recalled_at)::bigint, COALESCE(recall_reason, ''), unit_cost_minor,
         price_minor
  FROM lots WHERE lot_id = $1)sql"};

const Query kFindTrace{"lot_trace_find", R"sql(
  SELECT extract(epoch FROM at)::bigint, event, place FROM lot_trace_events
  WHERE store_id = $2 AND lot_id = $1 ORDER BY position)sql"};

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
  p.unit = unit_of(r[at + 3]);
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
    sp.listing.markdown =
        catalog::Markdown{r[7].as<long long>(), from_epoch(r[8]), optional_time(r[13])};
  }
  sp.listing.zone = r[9].as<std::string>();
  sp.listing.shelf = r[10].as<std::string>();
  sp.available = r[11].as<long long>();
  sp.listed = !r[12].as<bool>();
  if (!r[14].is_null()) {
    // "price units" of the cheapest marked-down lot price with units free.
    const auto text = r[14].as<std::string>();
    const auto space = text.find(' ');
    sp.lowest_lot =
        catalog::LotOffer{std::stoll(text.substr(0, space)), std::stoll(text.substr(space + 1))};
  }
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
                std::string(catalog::to_string(p.unit)), std::string(catalog::to_string(p.storage)),
                catalog::search_text(p))
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
  std::optional<long long> md_price, md_until, md_from;
  if (l.markdown) {
    md_price = l.markdown->price_minor;
    md_until = epoch(l.markdown->until);
    if (l.markdown->from) md_from = epoch(*l.markdown->from);
  }
  write(session_, [&](Tx& tx) {
    exec(session_, tx, kUpsertListing, l.store_id, l.sku, l.price_minor, md_price, md_until, l.zone,
         l.shelf, md_from);
  });
  session_.changed({l.store_id, l.sku});
}

std::map<std::string, catalog::Storage> CatalogRepository::storage_of(
    const std::vector<std::string>& skus) {
  return single(session_, [&](Tx& tx) {
    std::map<std::string, catalog::Storage> out;
    for (const auto& r : exec(session_, tx, kStorageOf, text_array(skus))) {
      out[r[0].as<std::string>()] =
          catalog::parse_storage(r[1].as<std::string>()).value_or(catalog::Storage::kAmbient);
    }
    return out;
  });
}

std::vector<std::pair<std::string, int>> CatalogRepository::categories(
    const std::string& store_id) {
  return single(session_, [&](Tx& tx) {
    std::vector<std::pair<std::string, int>> out;
    for (const auto& r : exec(session_, tx, kCategories, store_id)) {
      out.emplace_back(r[0].as<std::string>(), r[1].as<int>());
    }
    return out;
  });
}

int CatalogRepository::fill_search_text() {
  int filled = 0;
  for (;;) {
    const int n = write(session_, [&](Tx& tx) {
      const auto rows = exec(session_, tx, kWithoutSearchText);
      for (const auto& r : rows) {
        const auto p = read_product(r, 0);
        exec(session_, tx, kSetSearchText, p.sku, catalog::search_text(p));
      }
      return static_cast<int>(rows.size());
    });
    filled += n;
    if (n == 0) return filled;
  }
}

bool CatalogRepository::delist(const std::string& store_id, const std::string& sku) {
  const bool found = write(session_, [&](Tx& tx) {
    return exec(session_, tx, kDelist, store_id, sku).affected_rows() == 1;
  });
  if (found) session_.changed({store_id, sku});
  return found;
}

std::optional<catalog::Product> CatalogRepository::update_product(
    const std::string& sku, const std::optional<std::string>& name,
    const std::optional<std::string>& category, const std::optional<std::string>& storage) {
  auto out = write(session_, [&](Tx& tx) -> std::optional<catalog::Product> {
    const auto r = exec(session_, tx, kUpdateProduct, sku, name, category, storage);
    if (r.empty()) return std::nullopt;
    auto p = read_product(r[0], 0);
    exec(session_, tx, kSetSearchText, p.sku, catalog::search_text(p));
    return std::optional(std::move(p));
  });
  if (out) session_.changed({"", sku});
  return out;
}

std::optional<catalog::StoreProduct> CatalogRepository::find_store_product(
    const std::string& store_id, const std::string& sku, core::Timestamp now) {
  return single(session_, [&](Tx& tx) -> std::optional<catalog::StoreProduct> {
    const auto r = exec(session_, tx, kFindStoreProduct, store_id, epoch(now), sku);
    if (r.empty()) return std::nullopt;
    return read_store_product(r[0]);
  });
}

std::map<std::string, catalog::StoreProduct> CatalogRepository::find_store_products(
    const std::string& store_id, const std::vector<std::string>& skus, core::Timestamp now) {
  return single(session_, [&](Tx& tx) {
    std::map<std::string, catalog::StoreProduct> out;
    for (const auto& row :
         exec(session_, tx, kFindStoreProducts, store_id, epoch(now), text_array(skus))) {
      auto sp = read_store_product(row);
      out.emplace(sp.product.sku, std::move(sp));
    }
    return out;
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
    std::vector<std::string> words;
    std::string word;
    for (const char c : q.text + " ") {
      if (c == ' ' || c == '\t') {
        if (!word.empty()) words.push_back(like_substring_pattern(word));
        word.clear();
      } else {
        word += c;
      }
    }
    if (words.empty()) words.push_back("%");  // blanks only: every product matches
    words.resize(kSearchWords, "");           // further words only rank
    return rows(exec(session_, tx, kSearchStoreProducts, q.store_id, epoch(now), q.offset,
                     q.category, q.limit, words[0], words[1], words[2], words[3], q.text));
  });
}

LotInsert CatalogRepository::insert_lot(const catalog::Lot& lot) {
  const auto outcome = write(session_, [&](Tx& tx) {
    if (exec(session_, tx, kListingExists, lot.store_id, lot.sku).empty()) {
      return LotInsert::kNotListed;
    }
    const auto r = exec(session_, tx, kInsertLot, lot.lot_id, lot.store_id, lot.sku,
                        lot.quantity_received, lot.origin, epoch(lot.produced_at),
                        epoch(lot.received_at), epoch(lot.expires_at), lot.unit_cost_minor);
    if (r.affected_rows() == 0) return LotInsert::kDuplicateId;
    for (size_t i = 0; i < lot.trace.size(); ++i) {
      const auto& e = lot.trace[i];
      exec(session_, tx, kInsertTrace, lot.lot_id, static_cast<int>(i), epoch(e.at), e.event,
           e.place, lot.store_id);
    }
    return LotInsert::kCreated;
  });
  if (outcome == LotInsert::kCreated) {
    session_.changed(catalog::ProductKey::in_place(lot.store_id, lot.sku));
  }
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
    lot.quantity_on_hand = r[0][8].as<long long>();
    lot.quantity_available = r[0][9].as<long long>();
    lot.recalled_at = optional_time(r[0][10]);
    lot.recall_reason = r[0][11].as<std::string>();
    if (!r[0][12].is_null()) lot.unit_cost_minor = r[0][12].as<long long>();
    if (!r[0][13].is_null()) lot.price_minor = r[0][13].as<long long>();
    for (const auto& row : exec(session_, tx, kFindTrace, lot_id, lot.store_id)) {
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
  session_.changed(catalog::ProductKey::in_place("", sku));  // a scan shows it in every store
}

void relax_durability_for_bulk_load(Session& session) {
  single(session, [](Tx& tx) { tx.exec("SET synchronous_commit TO off"); });
}

}  // namespace freshlane::storage
