#include "freshlane/storage/catalog_repository.hpp"

#include <gtest/gtest.h>

#include "freshlane/storage/fresh_repository.hpp"
#include "freshlane/storage/migrations.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "storage/sql.hpp"
#include "support/migrated_pool.hpp"
#include "support/test_database.hpp"

using namespace freshlane;
using namespace std::chrono_literals;
using freshlane::testing::TestDatabase;

namespace {
const core::Timestamp kNow{std::chrono::seconds{1'800'000'000}};

class CatalogRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = freshlane::testing::migrated_pool(db_.url());
    with([](storage::Session& s) {
      storage::StoreRepository(s).insert({"s1", "Store 1", {31.25, 121.59}, 3000, 30, "CNY"});
      storage::CatalogRepository repo(s);
      repo.insert_product({"CRAB", "智利帝王蟹 Chilean King Crab", "seafood", catalog::Unit::kKg,
                           catalog::Storage::kLive});
      repo.insert_product(
          {"MILK", "鲜牛奶 Fresh Milk", "dairy", catalog::Unit::kEach, catalog::Storage::kChilled});
      repo.insert_product({"TOFU", "嫩豆腐 Silken Tofu 100%", "dairy", catalog::Unit::kEach,
                           catalog::Storage::kChilled});
      for (const char* sku : {"CRAB", "MILK", "TOFU"}) {
        repo.upsert_listing({"s1", sku, 1000, std::nullopt, "chilled", "A1-1"});
      }
    });
  }
  template <typename F>
  void with(F&& f) {
    pool_->run_here(f);
  }
  catalog::Lot lot(const std::string& id, const std::string& sku, int qty,
                   core::Timestamp expires) {
    catalog::Lot l;
    l.lot_id = id;
    l.store_id = "s1";
    l.sku = sku;
    l.quantity_received = qty;
    l.origin = "Dalian";
    l.produced_at = kNow - 48h;
    l.received_at = kNow - 24h;
    l.expires_at = expires;
    l.trace = {{kNow - 48h, "caught", "Dalian"}, {kNow - 24h, "received", "Store 1"}};
    return l;
  }
  TestDatabase db_;
  std::unique_ptr<storage::Pool> pool_;
};
}  // namespace

TEST_F(CatalogRepositoryTest, DuplicateSkuIsRefused) {
  with([](storage::Session& s) {
    EXPECT_FALSE(storage::CatalogRepository(s).insert_product(
        {"CRAB", "other", "seafood", catalog::Unit::kEach, catalog::Storage::kLive}));
  });
}

TEST_F(CatalogRepositoryTest, AvailableCountsUnexpiredLotsOnly) {
  with([&](storage::Session& s) {
    storage::CatalogRepository repo(s);
    ASSERT_EQ(repo.insert_lot(lot("L1", "CRAB", 10, kNow + 2h)), storage::LotInsert::kCreated);
    ASSERT_EQ(repo.insert_lot(lot("L2", "CRAB", 5, kNow + 48h)), storage::LotInsert::kCreated);
    EXPECT_EQ(repo.find_store_product("s1", "CRAB", kNow)->available, 15);
    EXPECT_EQ(repo.find_store_product("s1", "CRAB", kNow + 2h)->available, 5);  // L1 expired
    EXPECT_EQ(repo.find_store_product("s1", "CRAB", kNow + 72h)->available, 0);
  });
}

TEST_F(CatalogRepositoryTest, LotsNeedAListingAndKeepTheirTrace) {
  with([&](storage::Session& s) {
    storage::CatalogRepository repo(s);
    storage::CatalogRepository(s).insert_product(
        {"EEL", "Eel", "seafood", catalog::Unit::kEach, catalog::Storage::kLive});
    EXPECT_EQ(repo.insert_lot(lot("L9", "EEL", 3, kNow + 5h)), storage::LotInsert::kNotListed);
    ASSERT_EQ(repo.insert_lot(lot("L1", "CRAB", 3, kNow + 5h)), storage::LotInsert::kCreated);
    EXPECT_EQ(repo.insert_lot(lot("L1", "CRAB", 3, kNow + 5h)), storage::LotInsert::kDuplicateId);
    // A label names one lot in the chain: the same id at another store is a duplicate too, not
    // an error (migration 0020 keeps the id unique alone for the previous release).
    storage::StoreRepository(s).insert({"s2", "Store 2", {31.26, 121.6}, 3000, 30, "CNY"});
    repo.upsert_listing({"s2", "CRAB", 1000, std::nullopt, "chilled", "A1-1"});
    auto elsewhere = lot("L1", "CRAB", 4, kNow + 5h);
    elsewhere.store_id = "s2";
    EXPECT_EQ(repo.insert_lot(elsewhere), storage::LotInsert::kDuplicateId);
    const auto found = repo.find_lot("L1");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->quantity_received, 3);
    EXPECT_EQ(found->expires_at, kNow + 5h);
    ASSERT_EQ(found->trace.size(), 2u);
    EXPECT_EQ(found->trace[0].event, "caught");
    EXPECT_EQ(found->trace[1].place, "Store 1");
    EXPECT_FALSE(repo.find_lot("L404"));
  });
}

TEST_F(CatalogRepositoryTest, SearchFindsNamesInAnyScript) {
  with([&](storage::Session& s) {
    storage::CatalogRepository repo(s);
    auto skus = [&](const std::string& text) {
      std::vector<std::string> out;
      for (const auto& sp : repo.list_store_products({"s1", text, "", "", 50}, kNow))
        out.push_back(sp.product.sku);
      return out;
    };
    EXPECT_EQ(skus("帝王蟹"), std::vector<std::string>{"CRAB"});
    EXPECT_EQ(skus("king crab"), std::vector<std::string>{"CRAB"});
    EXPECT_EQ(skus("MILK"), std::vector<std::string>{"MILK"});
    EXPECT_EQ(skus("豆腐"), std::vector<std::string>{"TOFU"});
    EXPECT_EQ(skus("100%"), std::vector<std::string>{"TOFU"});  // % is literal, not a wildcard
    EXPECT_TRUE(skus("_").empty());
    EXPECT_EQ(skus("").size(), 3u);
  });
}

TEST_F(CatalogRepositoryTest, KeysetPagesCoverEverythingOnce) {
  with([&](storage::Session& s) {
    storage::CatalogRepository repo(s);
    std::vector<std::string> seen;
    std::string after;
    for (int page = 0; page < 10; ++page) {
      const auto rows = repo.list_store_products({"s1", "", "", after, 2}, kNow);
      for (const auto& r : rows) seen.push_back(r.product.sku);
      if (rows.size() < 2) break;
      after = rows.back().product.sku;
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"CRAB", "MILK", "TOFU"}));
    EXPECT_EQ(repo.list_store_products({"s1", "", "dairy", "", 50}, kNow).size(), 2u);
  });
}

TEST_F(CatalogRepositoryTest, ListingUpsertReplacesPriceAndMarkdown) {
  with([&](storage::Session& s) {
    storage::CatalogRepository repo(s);
    repo.upsert_listing({"s1", "MILK", 1290, catalog::Markdown{990, kNow + 3h}, "chilled", "B2-1"});
    auto sp = repo.find_store_product("s1", "MILK", kNow);
    EXPECT_EQ(sp->listing.price_minor, 1290);
    ASSERT_TRUE(sp->listing.markdown);
    EXPECT_EQ(sp->listing.markdown->price_minor, 990);
    EXPECT_EQ(sp->listing.markdown->until, kNow + 3h);
    EXPECT_EQ(sp->listing.shelf, "B2-1");
    repo.upsert_listing({"s1", "MILK", 1290, std::nullopt, "chilled", "B2-1"});
    EXPECT_FALSE(repo.find_store_product("s1", "MILK", kNow)->listing.markdown);
  });
}

TEST_F(CatalogRepositoryTest, RatingsAverageAndCount) {
  with([&](storage::Session& s) {
    storage::CatalogRepository repo(s);
    EXPECT_EQ(repo.rating("CRAB").count, 0);
    repo.rate("CRAB", "a", 5);
    repo.rate("CRAB", "b", 4);
    repo.rate("CRAB", "b", 3);  // one rating per rater: replaced
    const auto r = repo.rating("CRAB");
    EXPECT_EQ(r.count, 2);
    EXPECT_DOUBLE_EQ(r.average, 4.0);
  });
}

// The search must stay on the trigram index when the catalog is large.
TEST_F(CatalogRepositoryTest, SearchIsIndexBackedAt100kProducts) {
  {
    pqxx::connection c(db_.url());
    pqxx::work tx(c);
    tx.exec(R"sql(
      INSERT INTO products (sku, name, category, unit, storage)
      SELECT 'P' || g, '商品' || g || ' product ' || md5(g::text), 'ambient', 'each', 'ambient'
      FROM generate_series(1, 100000) g;
      INSERT INTO store_products (store_id, sku, price_minor, zone, shelf)
      SELECT 's1', 'P' || g, 100, 'ambient', 'Z1' FROM generate_series(1, 100000) g;
      ANALYZE products; ANALYZE store_products;)sql");
    tx.commit();
  }
  with([&](storage::Session& s) {
    // Inside one transaction of a server's connection (generic plans): the search, then
    // PostgreSQL's plan of it as the search left the transaction set up.
    storage::read(s, [&](storage::Tx& tx) {
      const auto found =
          storage::CatalogRepository(s).list_store_products({"s1", "帝王蟹", "", "", 50}, kNow);
      ASSERT_EQ(found.size(), 1u);
      std::string plan;
      for (const auto& row :
           tx.exec("EXPLAIN EXECUTE store_product_search('s1', 1800000000, 0, '', 51, '%帝王蟹%', "
                   "'', '', '', '帝王蟹')")) {
        plan += row[0].as<std::string>() + "\n";
      }
      EXPECT_NE(plan.find("products_search_trgm"), std::string::npos) << plan;
    });
  });
}

// The markdown round asks only for the lots expiring by its policies' deepest step; unbounded
// (the preview, or a one-day policy) every lot with free units, soonest first.
TEST_F(CatalogRepositoryTest, LotsToPriceAreThoseExpiringByTheBound) {
  with([&](storage::Session& s) {
    storage::CatalogRepository repo(s);
    ASSERT_EQ(repo.insert_lot(lot("L-SOON", "MILK", 5, kNow + 10h)), storage::LotInsert::kCreated);
    ASSERT_EQ(repo.insert_lot(lot("L-LATER", "MILK", 5, kNow + 72h)), storage::LotInsert::kCreated);
    ASSERT_EQ(repo.insert_lot(lot("L-GONE", "TOFU", 5, kNow - 1h)), storage::LotInsert::kCreated);
    const auto ids = [](const std::vector<storage::PricedLot>& lots) {
      std::vector<std::string> out;
      for (const auto& l : lots) out.push_back(l.lot_id);
      return out;
    };
    storage::FreshRepository fresh(s);
    EXPECT_EQ(ids(fresh.lots_to_price("s1", kNow + 16h)),
              (std::vector<std::string>{"L-GONE", "L-SOON"}));
    EXPECT_EQ(ids(fresh.lots_to_price("s1")),
              (std::vector<std::string>{"L-GONE", "L-SOON", "L-LATER"}));
  });
}
