// Stores, products, listings, lots and QR scan through HTTP, exactly as API.md fixes them.
#include "api/api_fixture.hpp"
#include "freshlane/catalog/qr_code.hpp"
#include "freshlane/core/crypto.hpp"
#include "freshlane/core/time.hpp"

using namespace freshlane::testing;
using nlohmann::json;

namespace {

std::string in_hours(int h) {
  return freshlane::core::format_rfc3339(freshlane::core::system_now() + std::chrono::hours(h));
}

class CatalogApi : public ApiTest {
 protected:
  static void SetUpTestSuite() {
    ApiTest::SetUpTestSuite();
    ASSERT_EQ(
        admin("POST", "/v1/stores",
              {{"store_id", "jq"}, {"name", "金桥店 Jinqiao"}, {"lat", 31.2536}, {"lon", 121.5907}})
            .status,
        201);
    ASSERT_EQ(admin("POST", "/v1/stores",
                    {{"store_id", "ja"},
                     {"name", "静安寺店 Jing'an"},
                     {"lat", 31.2235},
                     {"lon", 121.4457},
                     {"delivery_radius_m", 5000}})
                  .status,
              201);
    ASSERT_EQ(admin("POST", "/v1/products",
                    {{"sku", "CRAB"},
                     {"name", "智利帝王蟹 Chilean King Crab"},
                     {"category", "seafood"},
                     {"unit", "kg"},
                     {"storage", "live"}})
                  .status,
              201);
    ASSERT_EQ(admin("POST", "/v1/products",
                    {{"sku", "MILK"},
                     {"name", "鲜牛奶 Fresh Milk"},
                     {"category", "dairy"},
                     {"unit", "each"},
                     {"storage", "chilled"}})
                  .status,
              201);
    ASSERT_EQ(admin("PUT", "/v1/stores/jq/products/CRAB",
                    {{"price_minor", 39800}, {"zone", "seafood"}, {"shelf", "S1-2"}})
                  .status,
              200);
    ASSERT_EQ(admin("PUT", "/v1/stores/jq/products/MILK",
                    {{"price_minor", 1290}, {"zone", "chilled"}, {"shelf", "C3-1"}})
                  .status,
              200);
  }
  static json receive(const std::string& store, const std::string& sku, int qty, int expires_in_h) {
    const auto r = admin("POST", "/v1/stores/" + store + "/lots",
                         {{"sku", sku},
                          {"quantity", qty},
                          {"origin", "Punta Arenas, Chile"},
                          {"produced_at", in_hours(-48)},
                          {"expires_at", in_hours(expires_in_h)},
                          {"trace",
                           {{{"at", in_hours(-48)}, {"event", "caught"}, {"place", "Punta Arenas"}},
                            {{"at", in_hours(-2)}, {"event", "received"}, {"place", "Jinqiao"}}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }
};

}  // namespace

TEST_F(CatalogApi, StoreIsCreatedReadAndDuplicateRefused) {
  const auto r = server().get("/v1/stores/jq");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json({{"store_id", "jq"},
                            {"name", "金桥店 Jinqiao"},
                            {"lat", 31.2536},
                            {"lon", 121.5907},
                            {"delivery_radius_m", 3000},
                            {"promise_minutes", 30},
                            {"currency", "CNY"},
                            {"address", ""},
                            {"phone", ""},
                            {"opening_hours", nullptr},
                            {"utc_offset_minutes", 480},
                            {"delivery_paused", false},
                            {"delivery_paused_reason", nullptr}}));
  EXPECT_TRUE(is_problem(admin("POST", "/v1/stores",
                               {{"store_id", "jq"}, {"name", "again"}, {"lat", 31}, {"lon", 121}}),
                         409, "conflict"));
  EXPECT_TRUE(is_problem(server().get("/v1/stores/nowhere"), 404, "not_found"));
}

TEST_F(CatalogApi, StoreWithoutIdGetsOne) {
  const auto r = admin("POST", "/v1/stores", {{"name", "Pop-up"}, {"lat", 31.1}, {"lon", 121.3}});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json()["store_id"];
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(server().get("/v1/stores/" + id).status, 200);
}

TEST_F(CatalogApi, StoresNearAPointAreSortedByDistanceAndSayIfTheyDeliver) {
  const auto r = server().get("/v1/stores?lat=31.2540&lon=121.5900");
  ASSERT_EQ(r.status, 200);
  const auto items = r.json()["items"];
  ASSERT_GE(items.size(), 2u);
  EXPECT_EQ(items[0]["store_id"], "jq");
  EXPECT_TRUE(items[0]["delivers"].get<bool>());
  EXPECT_LT(items[0]["distance_m"].get<int>(), 100);
  for (size_t i = 1; i < items.size(); ++i) {
    EXPECT_LE(items[i - 1]["distance_m"].get<int>(), items[i]["distance_m"].get<int>());
  }
  for (const auto& s : items) {
    if (s["store_id"] == "ja") {
      EXPECT_FALSE(s["delivers"].get<bool>());  // ~14 km away
    }
  }
  EXPECT_TRUE(is_problem(server().get("/v1/stores?lat=31.2"), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(server().get("/v1/stores?lat=95&lon=121"), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(server().get("/v1/stores?lat=abc&lon=121"), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(server().get("/v1/stores?lat=nan&lon=nan"), 400, "validation_failed"));
  const json problem = server().get("/v1/stores?lat=95&lon=121").json();
  EXPECT_EQ(problem["errors"][0]["message"], "must be a number from -90 to 90");
}

TEST_F(CatalogApi, StoreListPagesWithACursor) {
  std::set<std::string> seen;
  std::string target = "/v1/stores?limit=1";
  for (int i = 0; i < 10; ++i) {
    const auto page = server().get(target).json();
    ASSERT_LE(page["items"].size(), 1u);
    for (const auto& s : page["items"]) EXPECT_TRUE(seen.insert(s["store_id"]).second);
    if (page["next_cursor"].is_null()) break;
    target = "/v1/stores?limit=1&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_GE(seen.size(), 2u);
  EXPECT_TRUE(is_problem(server().get("/v1/stores?limit=0"), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(server().get("/v1/stores?limit=201"), 400, "validation_failed"));
  EXPECT_TRUE(is_problem(server().get("/v1/stores?cursor=garbage!"), 400, "validation_failed"));
}

TEST_F(CatalogApi, StoreBodyIsValidatedStrictly) {
  const auto r =
      admin("POST", "/v1/stores",
            {{"name", ""}, {"lat", 91}, {"lon", "121"}, {"colour", "red"}, {"currency", "yuan"}});
  ASSERT_TRUE(is_problem(r, 400, "validation_failed")) << r.body;
  const json problem = r.json();
  std::set<std::string> fields;
  for (const auto& e : problem["errors"]) fields.insert(e["field"]);
  EXPECT_EQ(fields, (std::set<std::string>{"name", "lat", "lon", "colour", "currency"}));
}

TEST_F(CatalogApi, OnlyTheAdminCreatesStoresAndProducts) {
  const std::string body = json({{"name", "x"}, {"lat", 31}, {"lon", 121}}).dump();
  EXPECT_TRUE(is_problem(server().send("POST", "/v1/stores", body), 401, "unauthorized"));
  EXPECT_TRUE(is_problem(
      server().send("POST", "/v1/stores", body, {{"Authorization", "Bearer wrong-token"}}), 401,
      "unauthorized"));
  EXPECT_TRUE(
      is_problem(server().send("POST", "/v1/stores", body, {{"Authorization", "Basic abc"}}), 401,
                 "unauthorized"));
  EXPECT_TRUE(is_problem(server().send("POST", "/v1/products", "{}"), 401, "unauthorized"));
  EXPECT_TRUE(
      is_problem(server().send("PUT", "/v1/stores/jq/products/CRAB", "{}"), 401, "unauthorized"));
  EXPECT_TRUE(is_problem(
      server().send("POST", "/v1/stores/jq/lots", "{}", {{"Authorization", "Bearer nope"}}), 401,
      "unauthorized"));
}

TEST_F(CatalogApi, ProductsAreCreatedOnceAndValidated) {
  EXPECT_TRUE(is_problem(admin("POST", "/v1/products",
                               {{"sku", "CRAB"},
                                {"name", "x"},
                                {"category", "seafood"},
                                {"unit", "kg"},
                                {"storage", "live"}}),
                         409, "conflict"));
  const auto bad = admin("POST", "/v1/products",
                         {{"sku", "bad sku"},
                          {"name", "x"},
                          {"category", "Sea Food"},
                          {"unit", "crate"},
                          {"storage", "warm"}});
  ASSERT_TRUE(is_problem(bad, 400, "validation_failed"));
  EXPECT_EQ(bad.json()["errors"].size(), 4u);
  const auto p = server().get("/v1/products/CRAB");
  ASSERT_EQ(p.status, 200);
  EXPECT_EQ(p.json(), json({{"sku", "CRAB"},
                            {"name", "智利帝王蟹 Chilean King Crab"},
                            {"category", "seafood"},
                            {"unit", "kg"},
                            {"sold_by_weight", true},
                            {"storage", "live"}}));
}

TEST_F(CatalogApi, StoreProductHasTheContractShapeAndASignedShelfCode) {
  const auto r = server().get("/v1/stores/jq/products/CRAB");
  ASSERT_EQ(r.status, 200);
  const auto j = r.json();
  for (const char* k :
       {"sku", "name", "category", "unit", "storage", "price_minor", "regular_price_minor",
        "currency", "available", "zone", "shelf", "shelf_code"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["price_minor"], 39800);
  EXPECT_EQ(j["currency"], "CNY");
  EXPECT_EQ(j["zone"], "seafood");
  const freshlane::catalog::QrCodec qr(kQrSecret);
  const auto decoded = qr.decode(j["shelf_code"].get<std::string>());
  ASSERT_TRUE(std::holds_alternative<freshlane::catalog::ShelfCode>(decoded));
  EXPECT_TRUE(is_problem(server().get("/v1/stores/jq/products/NOPE"), 404, "not_found"));
  EXPECT_TRUE(is_problem(server().get("/v1/stores/nowhere/products/CRAB"), 404, "not_found"));
}

TEST_F(CatalogApi, ListingNeedsAKnownProductAndStore) {
  EXPECT_TRUE(is_problem(admin("PUT", "/v1/stores/jq/products/GHOST",
                               {{"price_minor", 1}, {"zone", "ambient"}, {"shelf", "A1"}}),
                         404, "not_found"));
  EXPECT_TRUE(is_problem(admin("PUT", "/v1/stores/nowhere/products/CRAB",
                               {{"price_minor", 1}, {"zone", "ambient"}, {"shelf", "A1"}}),
                         404, "not_found"));
  EXPECT_TRUE(is_problem(admin("PUT", "/v1/stores/jq/products/CRAB",
                               {{"price_minor", -1}, {"zone", "Sea Food"}, {"shelf", ""}}),
                         400, "validation_failed"));
}

TEST_F(CatalogApi, MarkdownIsThePriceNowAndTheListPriceStays) {
  ASSERT_EQ(admin("POST", "/v1/products",
                  {{"sku", "TART"},
                   {"name", "葡式蛋挞 Egg Tart"},
                   {"category", "bakery"},
                   {"unit", "each"},
                   {"storage", "ambient"}})
                .status,
            201);
  const auto r = admin("PUT", "/v1/stores/jq/products/TART",
                       {{"price_minor", 690},
                        {"zone", "bakery"},
                        {"shelf", "B1"},
                        {"markdown", {{"price_minor", 490}, {"until", in_hours(3)}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["price_minor"], 490);
  EXPECT_EQ(r.json()["regular_price_minor"], 690);
  const auto expired = admin("PUT", "/v1/stores/jq/products/TART",
                             {{"price_minor", 690},
                              {"zone", "bakery"},
                              {"shelf", "B1"},
                              {"markdown", {{"price_minor", 490}, {"until", in_hours(-1)}}}});
  // A markdown that has already ended is refused, not silently dropped.
  EXPECT_TRUE(is_problem(expired, 400, "validation_failed")) << expired.body;
  EXPECT_TRUE(is_problem(admin("PUT", "/v1/stores/jq/products/TART",
                               {{"price_minor", 690},
                                {"zone", "bakery"},
                                {"shelf", "B1"},
                                {"markdown", {{"price_minor", 790}, {"until", in_hours(3)}}}}),
                         400, "validation_failed"));
}

TEST_F(CatalogApi, LotsAddToAvailabilityAndCarryTheirTrace) {
  const int before = server().get("/v1/stores/jq/products/MILK").json()["available"];
  const auto lot = receive("jq", "MILK", 12, 72);
  for (const char* k : {"lot_id", "store_id", "sku", "quantity_received", "origin", "produced_at",
                        "received_at", "expires_at", "trace", "qr_code"}) {
    EXPECT_TRUE(lot.contains(k)) << k;
  }
  EXPECT_EQ(lot["quantity_received"], 12);
  EXPECT_EQ(lot["trace"].size(), 2u);
  EXPECT_EQ(server().get("/v1/stores/jq/products/MILK").json()["available"], before + 12);
}

TEST_F(CatalogApi, LotBodyIsValidated) {
  EXPECT_TRUE(is_problem(admin("POST", "/v1/stores/jq/lots",
                               {{"sku", "CRAB"},
                                {"quantity", 0},
                                {"origin", "x"},
                                {"produced_at", in_hours(-1)},
                                {"expires_at", in_hours(-2)}}),
                         400, "validation_failed"));
  EXPECT_TRUE(is_problem(admin("POST", "/v1/stores/jq/lots",
                               {{"sku", "CRAB"},
                                {"quantity", -5},
                                {"origin", "x"},
                                {"produced_at", "yesterday"},
                                {"expires_at", in_hours(2)}}),
                         400, "validation_failed"));
  const auto r = admin("POST", "/v1/stores/jq/lots",
                       {{"sku", "CRAB"},
                        {"quantity", 1},
                        {"origin", "x"},
                        {"produced_at", in_hours(-1)},
                        {"expires_at", in_hours(2)},
                        {"trace", json::array({json{{"at", "x"}}})}});
  ASSERT_TRUE(is_problem(r, 400, "validation_failed"));
  const json problem = r.json();
  std::set<std::string> fields;
  for (const auto& e : problem["errors"]) fields.insert(e["field"]);
  EXPECT_TRUE(fields.count("trace[0].at"));
  EXPECT_TRUE(fields.count("trace[0].event"));
}

TEST_F(CatalogApi, LotOfAnUnlistedSkuIsUnknownSku) {
  EXPECT_TRUE(is_problem(admin("POST", "/v1/stores/ja/lots",
                               {{"sku", "CRAB"},
                                {"quantity", 3},
                                {"origin", "x"},
                                {"produced_at", in_hours(-1)},
                                {"expires_at", in_hours(5)}}),
                         422, "unknown_sku"));
  EXPECT_TRUE(is_problem(admin("POST", "/v1/stores/nowhere/lots",
                               {{"sku", "CRAB"},
                                {"quantity", 3},
                                {"origin", "x"},
                                {"produced_at", in_hours(-1)},
                                {"expires_at", in_hours(5)}}),
                         404, "not_found"));
}

TEST_F(CatalogApi, ScanningALotLabelShowsProductPriceOriginTraceAndRating) {
  const auto lot = receive("jq", "CRAB", 4, 24);
  const auto r = server().get("/v1/scan/" + lot["qr_code"].get<std::string>());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = r.json();
  EXPECT_EQ(j["kind"], "lot");
  EXPECT_EQ(j["store_id"], "jq");
  EXPECT_EQ(j["lot"]["lot_id"], lot["lot_id"]);
  EXPECT_EQ(j["lot"]["origin"], "Punta Arenas, Chile");
  EXPECT_EQ(j["lot"]["trace"].size(), 2u);
  EXPECT_EQ(j["product"]["sku"], "CRAB");
  EXPECT_EQ(j["price_minor"], 39800);
  EXPECT_EQ(j["regular_price_minor"], 39800);
  EXPECT_EQ(j["currency"], "CNY");
  EXPECT_EQ(j["available"], j["product"]["available"]);
  EXPECT_TRUE(j["rating"].contains("average"));
  EXPECT_TRUE(j["rating"].contains("count"));
}

TEST_F(CatalogApi, ScanningAShelfLabelShowsTheSamePriceAsTheApp) {
  const auto product = server().get("/v1/stores/jq/products/MILK").json();
  const auto r = server().get("/v1/scan/" + product["shelf_code"].get<std::string>());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["kind"], "shelf");
  EXPECT_TRUE(r.json()["lot"].is_null());
  EXPECT_EQ(r.json()["price_minor"], product["price_minor"]);
  // The product as the app shows it; what goes with it sits beside it in the scan.
  auto listed = product;
  listed.erase("often_with");
  EXPECT_EQ(r.json()["product"], listed);
  EXPECT_EQ(r.json()["often_with"], product["often_with"]);
}

TEST_F(CatalogApi, ForgedAndForeignCodesAreRefused) {
  const auto lot = receive("jq", "CRAB", 1, 24);
  std::string code = lot["qr_code"];
  code.back() = code.back() == 'A' ? 'B' : 'A';
  EXPECT_TRUE(is_problem(server().get("/v1/scan/" + code), 404, "unknown_code"));
  const freshlane::catalog::QrCodec ours(kQrSecret);
  EXPECT_TRUE(
      is_problem(server().get("/v1/scan/" + ours.lot_code("LNOSUCHLOT0000")), 404, "unknown_code"));
  EXPECT_TRUE(
      is_problem(server().get("/v1/scan/" + ours.shelf_code("jq", "GHOST")), 404, "unknown_code"));
  EXPECT_TRUE(is_problem(server().get("/v1/scan/not-a-code"), 400, "invalid_code"));
  EXPECT_TRUE(is_problem(server().get("/v1/scan/%F0%9F%A6%80"), 400, "invalid_code"));
}

// List and search pages come from the answer cache, each about its whole store: a write to any
// product of the store drops them, so the next read shows it (a page keyed by one SKU would not).
TEST_F(CatalogApi, ACachedPageFollowsAWriteToAnyProductOfItsStore) {
  const auto price_of = [](const std::string& target, const std::string& sku) {
    const json page = server().get(target).json();
    for (const auto& p : page["items"]) {
      if (p["sku"] == sku) return p["price_minor"].get<long long>();
    }
    return -1LL;
  };
  const std::string list = "/v1/stores/jq/products", search = "/v1/stores/jq/products?q=milk";
  EXPECT_EQ(price_of(list, "MILK"), 1290);
  EXPECT_EQ(price_of(search, "MILK"), 1290);
  ASSERT_EQ(admin("PUT", "/v1/stores/jq/products/MILK",
                  {{"price_minor", 1390}, {"zone", "chilled"}, {"shelf", "C3-1"}})
                .status,
            200);
  EXPECT_EQ(price_of(list, "MILK"), 1390);
  EXPECT_EQ(price_of(search, "MILK"), 1390);
}

TEST_F(CatalogApi, SearchFindsChineseAndLatinNames) {
  auto skus = [](const std::string& target) {
    std::set<std::string> out;
    const json page = server().get(target).json();
    for (const auto& p : page["items"]) out.insert(p["sku"]);
    return out;
  };
  EXPECT_EQ(skus("/v1/stores/jq/products?q=%E5%B8%9D%E7%8E%8B%E8%9F%B9"),
            std::set<std::string>{"CRAB"});  // 帝王蟹
  EXPECT_EQ(skus("/v1/stores/jq/products?q=king+crab"), std::set<std::string>{"CRAB"});
  EXPECT_EQ(skus("/v1/stores/jq/products?category=dairy"), std::set<std::string>{"MILK"});
  EXPECT_TRUE(is_problem(server().get("/v1/stores/jq/products?category=Not%20A%20Word"), 400,
                         "validation_failed"));
  EXPECT_TRUE(is_problem(server().get("/v1/stores/nowhere/products"), 404, "not_found"));
}

TEST_F(CatalogApi, ProductListPagesWithoutRepeats) {
  std::vector<std::string> seen;
  std::string target = "/v1/stores/jq/products?limit=1";
  for (int i = 0; i < 20; ++i) {
    const auto page = server().get(target).json();
    for (const auto& p : page["items"]) seen.push_back(p["sku"]);
    if (page["next_cursor"].is_null()) break;
    target = "/v1/stores/jq/products?limit=1&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_GE(seen.size(), 2u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
}

// Query parameters a client can break: never a 500 (issue 14).
TEST_F(CatalogApi, BrokenQueryNumbersAndCursorsAre400) {
  // A cursor that decodes to bytes PostgreSQL cannot hold as text ("c1:\xff").
  const std::string cursor = freshlane::core::base64url_encode(std::string("c1:\xff", 4));
  EXPECT_TRUE(is_problem(server().get("/v1/stores/jq/products?cursor=" + cursor), 400,
                         "validation_failed"));
  EXPECT_TRUE(is_problem(server().get("/v1/stores?cursor=" + freshlane::core::base64url_encode(
                                                                 "c1:99999999999999999999999")),
                         400, "validation_failed"));
  for (const char* bad :
       {"limit=0", "limit=-1", "limit=1e3", "limit=99999999999999999999", "lat=1e309&lon=1",
        "lat=nan&lon=1", "lat=91&lon=1", "lat=1&lon=x", "lat=1"}) {
    const auto r = server().get(std::string("/v1/stores?") + bad);
    EXPECT_TRUE(is_problem(r, 400, "validation_failed")) << bad << ": " << r.body;
  }
  EXPECT_TRUE(
      is_problem(server().get("/v1/stores/jq/products?limit=abc"), 400, "validation_failed"));
}
