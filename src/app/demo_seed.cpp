#include "freshlane/app/demo_seed.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "freshlane/catalog/pinyin.hpp"
#include "freshlane/sim/shoppers.hpp"
#include "freshlane/storage/catalog_repository.hpp"
#include "freshlane/storage/fresh_repository.hpp"
#include "freshlane/storage/picking_repository.hpp"
#include "freshlane/storage/reco_repository.hpp"
#include "freshlane/storage/store_repository.hpp"

namespace freshlane::app {

namespace {

using catalog::Storage;
using catalog::Unit;

struct Item {
  const char* stem;
  const char* zh;
  const char* en;
  const char* category;
  Unit unit;
  Storage storage;
  int price_fen;
  int shelf_days;
  const char* origin;
};

// Each item is sold in three pack sizes, making 210 products.
constexpr std::array kItems{
    // live and fresh seafood
    Item{"KINGCRAB", "智利帝王蟹", "Chilean King Crab", "seafood", Unit::kKg, Storage::kLive, 39800,
         3, "Punta Arenas, Chile"},
    Item{"LOBSTER", "波士顿龙虾", "Boston Lobster", "seafood", Unit::kEach, Storage::kLive, 16800,
         3, "Nova Scotia, Canada"},
    Item{"HAIRYCRAB", "阳澄湖大闸蟹", "Yangcheng Lake Hairy Crab", "seafood", Unit::kEach,
         Storage::kLive, 6800, 4, "Suzhou, Jiangsu"},
    Item{"PRAWN", "基围虾", "Greasyback Shrimp", "seafood", Unit::k500g, Storage::kLive, 4980, 2,
         "Zhanjiang, Guangdong"},
    Item{"SALMON", "挪威三文鱼", "Norwegian Salmon Fillet", "seafood", Unit::k500g,
         Storage::kChilled, 8980, 4, "Bergen, Norway"},
    Item{"OYSTER", "乳山生蚝", "Rushan Oyster", "seafood", Unit::kEach, Storage::kLive, 590, 3,
         "Rushan, Shandong"},
    Item{"SCALLOP", "獐子岛扇贝", "Zhangzi Island Scallop", "seafood", Unit::k500g, Storage::kLive,
         3980, 3, "Dalian, Liaoning"},
    Item{"SEABASS", "鲈鱼", "Sea Bass", "seafood", Unit::kEach, Storage::kLive, 3580, 2,
         "Ningde, Fujian"},
    Item{"CLAM", "花蛤", "Manila Clam", "seafood", Unit::k500g, Storage::kLive, 1590, 2,
         "Rizhao, Shandong"},
    Item{"YELLOWCROAKER", "大黄鱼", "Large Yellow Croaker", "seafood", Unit::kEach,
         Storage::kChilled, 4580, 3, "Ningde, Fujian"},
    // produce
    Item{"BOKCHOY", "上海青", "Shanghai Bok Choy", "produce", Unit::k500g, Storage::kChilled, 390,
         4, "Chongming, Shanghai"},
    Item{"TOMATO", "番茄", "Vine Tomato", "produce", Unit::k500g, Storage::kAmbient, 690, 7,
         "Shouguang, Shandong"},
    Item{"CUCUMBER", "黄瓜", "Cucumber", "produce", Unit::k500g, Storage::kChilled, 450, 6,
         "Shouguang, Shandong"},
    Item{"SPINACH", "菠菜", "Spinach", "produce", Unit::k500g, Storage::kChilled, 590, 3,
         "Chongming, Shanghai"},
    Item{"BROCCOLI", "西兰花", "Broccoli", "produce", Unit::kEach, Storage::kChilled, 690, 6,
         "Xiapu, Fujian"},
    Item{"POTATO", "土豆", "Potato", "produce", Unit::k500g, Storage::kAmbient, 290, 30,
         "Dingxi, Gansu"},
    Item{"CARROT", "胡萝卜", "Carrot", "produce", Unit::k500g, Storage::kAmbient, 350, 20,
         "Xiamen, Fujian"},
    Item{"SHIITAKE", "香菇", "Shiitake Mushroom", "produce", Unit::k500g, Storage::kChilled, 1290,
         5, "Qingyuan, Zhejiang"},
    Item{"STRAWBERRY", "丹东草莓", "Dandong Strawberry", "produce", Unit::k500g, Storage::kChilled,
         3980, 4, "Dandong, Liaoning"},
    Item{"MANGO", "海南芒果", "Hainan Mango", "produce", Unit::k500g, Storage::kAmbient, 1590, 6,
         "Sanya, Hainan"},
    Item{"APPLE", "阿克苏苹果", "Aksu Apple", "produce", Unit::k500g, Storage::kAmbient, 990, 30,
         "Aksu, Xinjiang"},
    Item{"DURIAN", "金枕榴莲", "Monthong Durian", "produce", Unit::kKg, Storage::kAmbient, 5980, 5,
         "Chanthaburi, Thailand"},
    Item{"CHERRY", "车厘子", "Chilean Cherry", "produce", Unit::k500g, Storage::kChilled, 6980, 8,
         "Curico, Chile"},
    Item{"AVOCADO", "牛油果", "Avocado", "produce", Unit::kEach, Storage::kAmbient, 990, 7,
         "Michoacan, Mexico"},
    Item{"BLUEBERRY", "蓝莓", "Blueberry", "produce", Unit::kEach, Storage::kChilled, 2990, 10,
         "Qingdao, Shandong"},
    Item{"GINGER", "生姜", "Ginger", "produce", Unit::k500g, Storage::kAmbient, 690, 30,
         "Laiwu, Shandong"},
    // meat
    Item{"PORKBELLY", "黑猪五花肉", "Black Pork Belly", "meat", Unit::k500g, Storage::kChilled,
         3980, 4, "Jinhua, Zhejiang"},
    Item{"PORKRIBS", "猪肋排", "Pork Spare Ribs", "meat", Unit::k500g, Storage::kChilled, 4580, 4,
         "Jinhua, Zhejiang"},
    Item{"BEEFSTEAK", "澳洲西冷牛排", "Australian Sirloin Steak", "meat", Unit::kEach,
         Storage::kChilled, 8800, 6, "Queensland, Australia"},
    Item{"BEEFBRISKET", "牛腩", "Beef Brisket", "meat", Unit::k500g, Storage::kChilled, 5980, 4,
         "Xilingol, Inner Mongolia"},
    Item{"CHICKEN", "三黄鸡", "Three-Yellow Chicken", "meat", Unit::kEach, Storage::kChilled, 4980,
         3, "Qingyuan, Guangdong"},
    Item{"CHICKENWING", "鸡中翅", "Chicken Mid Wings", "meat", Unit::k500g, Storage::kChilled, 2980,
         4, "Yantai, Shandong"},
    Item{"LAMBCHOP", "羊排", "Lamb Chops", "meat", Unit::k500g, Storage::kChilled, 6980, 5,
         "Hulunbuir, Inner Mongolia"},
    Item{"DUCK", "樱桃谷鸭", "Cherry Valley Duck", "meat", Unit::kEach, Storage::kChilled, 3980, 3,
         "Linyi, Shandong"},
    Item{"MINCEDPORK", "猪肉馅", "Minced Pork", "meat", Unit::k500g, Storage::kChilled, 2580, 2,
         "Jinhua, Zhejiang"},
    Item{"EGGS", "谷物鸡蛋", "Grain-Fed Eggs", "meat", Unit::kEach, Storage::kChilled, 1990, 21,
         "Pinggu, Beijing"},
    // dairy
    Item{"MILK", "鲜牛奶", "Fresh Milk", "dairy", Unit::kEach, Storage::kChilled, 1290, 7,
         "Ningxia"},
    Item{"YOGURT", "原味酸奶", "Plain Yogurt", "dairy", Unit::kEach, Storage::kChilled, 890, 14,
         "Shanghai"},
    Item{"CHEESE", "车达奶酪", "Cheddar Cheese", "dairy", Unit::kEach, Storage::kChilled, 3990, 60,
         "Canterbury, New Zealand"},
    Item{"BUTTER", "黄油", "Butter", "dairy", Unit::kEach, Storage::kChilled, 2990, 90,
         "Normandy, France"},
    Item{"SOYMILK", "鲜豆浆", "Fresh Soy Milk", "dairy", Unit::kEach, Storage::kChilled, 590, 3,
         "Shanghai"},
    Item{"TOFU", "嫩豆腐", "Silken Tofu", "dairy", Unit::kEach, Storage::kChilled, 390, 5,
         "Shanghai"},
    Item{"CREAM", "淡奶油", "Whipping Cream", "dairy", Unit::kEach, Storage::kChilled, 3590, 30,
         "Auckland, New Zealand"},
    Item{"KEFIR", "开菲尔酸奶", "Kefir", "dairy", Unit::kEach, Storage::kChilled, 1290, 14,
         "Hohhot, Inner Mongolia"},
    // bakery
    Item{"TOAST", "日式生吐司", "Japanese Milk Bread", "bakery", Unit::kEach, Storage::kAmbient,
         1890, 2, "in-store bakery"},
    Item{"CROISSANT", "可颂", "Butter Croissant", "bakery", Unit::kEach, Storage::kAmbient, 890, 1,
         "in-store bakery"},
    Item{"BAGUETTE", "法棍", "Baguette", "bakery", Unit::kEach, Storage::kAmbient, 1290, 1,
         "in-store bakery"},
    Item{"EGGTART", "葡式蛋挞", "Portuguese Egg Tart", "bakery", Unit::kEach, Storage::kAmbient,
         690, 1, "in-store bakery"},
    Item{"MOONCAKE", "鲜肉月饼", "Fresh Pork Mooncake", "bakery", Unit::kEach, Storage::kAmbient,
         590, 1, "in-store bakery"},
    Item{"CHEESECAKE", "芝士蛋糕", "Cheesecake", "bakery", Unit::kEach, Storage::kChilled, 3980, 3,
         "in-store bakery"},
    Item{"SOURDOUGH", "酸面包", "Sourdough Loaf", "bakery", Unit::kEach, Storage::kAmbient, 2580, 2,
         "in-store bakery"},
    Item{"MANTOU", "手工馒头", "Steamed Bun", "bakery", Unit::kEach, Storage::kAmbient, 390, 2,
         "in-store bakery"},
    // frozen
    Item{"DUMPLING", "猪肉白菜水饺", "Pork and Cabbage Dumplings", "frozen", Unit::kEach,
         Storage::kFrozen, 2590, 180, "Zhengzhou, Henan"},
    Item{"TANGYUAN", "黑芝麻汤圆", "Black Sesame Tangyuan", "frozen", Unit::kEach, Storage::kFrozen,
         1590, 270, "Ningbo, Zhejiang"},
    Item{"ICECREAM", "香草冰淇淋", "Vanilla Ice Cream", "frozen", Unit::kEach, Storage::kFrozen,
         3590, 365, "Auckland, New Zealand"},
    Item{"SHRIMPFROZEN", "冻虾仁", "Frozen Peeled Shrimp", "frozen", Unit::k500g, Storage::kFrozen,
         4980, 365, "Zhanjiang, Guangdong"},
    Item{"WONTON", "荠菜馄饨", "Shepherd's Purse Wontons", "frozen", Unit::kEach, Storage::kFrozen,
         1990, 180, "Shanghai"},
    Item{"CODFILLET", "冻鳕鱼排", "Frozen Cod Fillet", "frozen", Unit::k500g, Storage::kFrozen,
         6980, 365, "Alesund, Norway"},
    Item{"XIAOLONGBAO", "小笼包", "Soup Dumplings", "frozen", Unit::kEach, Storage::kFrozen, 2290,
         180, "Nanxiang, Shanghai"},
    Item{"PEAS", "速冻青豆", "Frozen Green Peas", "frozen", Unit::k500g, Storage::kFrozen, 890, 365,
         "Yantai, Shandong"},
    // ambient pantry
    Item{"RICE", "五常大米", "Wuchang Rice", "ambient", Unit::kKg, Storage::kAmbient, 1590, 365,
         "Wuchang, Heilongjiang"},
    Item{"SOYSAUCE", "生抽", "Light Soy Sauce", "ambient", Unit::kEach, Storage::kAmbient, 1290,
         540, "Foshan, Guangdong"},
    Item{"VINEGAR", "镇江香醋", "Zhenjiang Black Vinegar", "ambient", Unit::kEach,
         Storage::kAmbient, 890, 720, "Zhenjiang, Jiangsu"},
    Item{"NOODLES", "挂面", "Dried Noodles", "ambient", Unit::kEach, Storage::kAmbient, 690, 365,
         "Xinxiang, Henan"},
    Item{"OLIVEOIL", "特级初榨橄榄油", "Extra Virgin Olive Oil", "ambient", Unit::kEach,
         Storage::kAmbient, 8990, 540, "Andalusia, Spain"},
    Item{"GREENTEA", "西湖龙井", "West Lake Longjing Tea", "ambient", Unit::kEach,
         Storage::kAmbient, 19800, 540, "Hangzhou, Zhejiang"},
    Item{"SPRINGWATER", "天然矿泉水", "Spring Water", "ambient", Unit::kEach, Storage::kAmbient,
         290, 540, "Changbai Mountain, Jilin"},
    Item{"CHILIOIL", "辣椒油", "Chili Oil", "ambient", Unit::kEach, Storage::kAmbient, 1190, 365,
         "Chengdu, Sichuan"},
    Item{"HONEY", "椴树蜂蜜", "Linden Honey", "ambient", Unit::kEach, Storage::kAmbient, 4980, 720,
         "Hulin, Heilongjiang"},
    Item{"PEANUTS", "花生", "Roasted Peanuts", "ambient", Unit::k500g, Storage::kAmbient, 1590, 180,
         "Zhumadian, Henan"},
};

struct Pack {
  const char* suffix;
  const char* zh;
  const char* en;
  int percent;  // of the base price
};
constexpr std::array kPacks{Pack{"S", "小份", "Small", 60}, Pack{"M", "", "", 100},
                            Pack{"F", "家庭装", "Family Pack", 180}};

// A product's name: the item's, with its pack size unless it is the standard one.
std::string product_name(const Item& item, const Pack& pack) {
  return *pack.zh ? std::string(item.zh) + " " + pack.zh + " " + item.en + " (" + pack.en + ")"
                  : std::string(item.zh) + " " + item.en;
}

const char* zone_of(const std::string& category) {
  if (category == "seafood") return "seafood";
  if (category == "produce") return "produce";
  if (category == "bakery") return "bakery";
  if (category == "frozen") return "frozen";
  if (category == "ambient") return "ambient";
  return "chilled";  // meat, dairy
}

// FNV-1a: a stable hash for deterministic demo ids and quantities.
std::uint64_t fnv(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string demo_lot_id(const std::string& store_id, const std::string& sku, int n) {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::uint64_t h = fnv(store_id + "/" + sku + "/" + std::to_string(n));
  std::string id = "LD";
  for (int i = 0; i < 11; ++i, h >>= 5) id.push_back(kCrockford[h & 31]);
  return id;
}

}  // namespace

constexpr int kHistoryDays = 56;
constexpr int kRegularsPerStore = 40;

SeedSummary seed_demo(storage::Session& session, core::Timestamp now) {
  using std::chrono::days;
  using std::chrono::hours;
  storage::relax_durability_for_bulk_load(session);
  storage::StoreRepository stores(session);
  storage::CatalogRepository catalog_repo(session);
  SeedSummary summary;

  const std::array<catalog::Store, 3> demo_stores{
      catalog::Store{
          "sh-jinqiao", "freshlane 金桥店 Jinqiao", {31.2536, 121.5907}, 3000, 30, "CNY"},
      catalog::Store{
          "sh-jingan", "freshlane 静安寺店 Jing'an Temple", {31.2235, 121.4457}, 3000, 30, "CNY"},
      catalog::Store{
          "sh-xujiahui", "freshlane 徐家汇店 Xujiahui", {31.1946, 121.4368}, 3000, 30, "CNY"},
  };
  // Where customers find them, and when they are open (Shanghai time).
  const std::array<std::pair<const char*, const char*>, 3> where{{
      {"上海市浦东新区金桥路 1185 号", "+86 21 5030 0101"},
      {"上海市静安区南京西路 1618 号", "+86 21 6288 0202"},
      {"上海市徐汇区漕溪北路 88 号", "+86 21 6427 0303"},
  }};
  for (size_t i = 0; i < demo_stores.size(); ++i) {
    catalog::Store s = demo_stores[i];
    s.address = where[i].first;
    s.phone = where[i].second;
    s.opens = "07:00";
    s.closes = "22:00";
    stores.insert(s);
    ++summary.stores;
    // Every demo store ships with a floor: six zones, four lanes (the flagship has six).
    picking::Layout layout = picking::default_layout();
    if (s.store_id == "sh-jinqiao") {
      layout.lanes.push_back(
          {"L5", 16, std::chrono::seconds(100), {"seafood", "chilled", "frozen"}});
      layout.lanes.push_back(
          {"L6", 16, std::chrono::seconds(80), {"produce", "bakery", "ambient"}});
    }
    storage::PickingRepository(session).save_layout(s.store_id, layout);
  }

  // Today's bakery markdown runs until 22:00 Shanghai time (14:00 UTC).
  const auto today = std::chrono::floor<days>(now);
  auto markdown_until = core::Timestamp{today + hours(14)};
  if (markdown_until <= now) markdown_until += days(1);

  for (const Item& item : kItems) {
    for (const Pack& pack : kPacks) {
      catalog::Product p;
      p.sku = std::string(item.stem) + "-" + pack.suffix;
      p.name = product_name(item, pack);
      p.category = item.category;
      p.unit = item.unit;
      p.storage = item.storage;
      catalog_repo.insert_product(p);
      ++summary.products;

      const int rating_count = static_cast<int>(fnv(p.sku) % 7);
      for (int r = 0; r < rating_count; ++r) {
        catalog_repo.rate(p.sku, "demo-" + std::to_string(r),
                          3 + static_cast<int>(fnv(p.sku + std::to_string(r)) % 3));
        ++summary.ratings;
      }

      for (size_t si = 0; si < demo_stores.size(); ++si) {
        const auto& store = demo_stores[si];
        catalog::Listing l;
        l.store_id = store.store_id;
        l.sku = p.sku;
        // Prices differ a little between stores, as they do.
        const std::int64_t base = std::int64_t(item.price_fen) * pack.percent / 100;
        const std::int64_t local = base * (100 + static_cast<std::int64_t>(si) * 2) / 100;
        l.price_minor = std::max<std::int64_t>(90, (local + 50) / 100 * 100 - 10);  // ¥39.90
        if (std::string(item.category) == "bakery") {
          l.markdown = catalog::Markdown{l.price_minor * 7 / 10, markdown_until};
        }
        l.zone = zone_of(item.category);
        l.shelf = std::string(1, static_cast<char>('A' + (fnv(p.sku) % 8))) +
                  std::to_string(1 + fnv(p.sku + "shelf") % 24) + "-" +
                  std::to_string(1 + fnv(p.sku + "level") % 5);
        catalog_repo.upsert_listing(l);
        ++summary.listings;

        for (int n = 0; n < 2; ++n) {
          catalog::Lot lot;
          lot.lot_id = demo_lot_id(store.store_id, p.sku, n);
          lot.store_id = store.store_id;
          lot.sku = p.sku;
          // Pieces; goods sold by weight arrive in grams (10 to 79 priced units' worth).
          lot.quantity_received = (10 + static_cast<std::int64_t>(fnv(lot.lot_id) % 70)) *
                                  std::max(1, catalog::grams_per_unit(p.unit));
          lot.origin = item.origin;
          lot.unit_cost_minor = l.price_minor * 62 / 100;  // what the markdown floor is set from
          const auto age = days(n == 0 ? 1 : 0);
          lot.produced_at = now - age - days(1);
          lot.received_at = now - age;
          // The older lot of one-day goods is in its last hours: the markdown round prices it
          // down on the demo's first run.
          lot.expires_at = now - age + days(item.shelf_days) + hours(n * 12 + 6);
          const bool from_store = std::string(item.origin) == "in-store bakery";
          lot.trace = {
              {lot.produced_at, from_store ? "baked" : "harvested", item.origin},
              {lot.produced_at + hours(6), "quality checked",
               from_store ? store.name : item.origin},
              {lot.received_at - hours(3), "cold-chain transport", "freshlane Shanghai DC, Pudong"},
              {lot.received_at, "received", store.name},
          };
          if (catalog_repo.insert_lot(lot) == storage::LotInsert::kCreated) ++summary.lots;
          if (summary.example_lot.empty()) summary.example_lot = lot.lot_id;
        }
      }
    }
  }
  // Eight weeks of sales in the aisle, so forecasts and order suggestions have a history to learn
  // from on the first run.
  for (const auto& store : demo_stores) {
    summary.history_days +=
        storage::FreshRepository(session).seed_sales_history(store.store_id, kHistoryDays, now);
  }
  // Regular customers with their own habits (sim/shoppers.hpp) over the same weeks, so each
  // store has baskets to learn what goes together from, and favourites, on the first run.
  std::vector<std::string> skus;
  for (const Item& item : kItems) {
    for (const Pack& pack : kPacks) skus.push_back(std::string(item.stem) + "-" + pack.suffix);
  }
  for (size_t si = 0; si < demo_stores.size(); ++si) {
    const std::string& store_id = demo_stores[si].store_id;
    auto by_popularity = skus;  // each store's own order of what sells most
    std::stable_sort(by_popularity.begin(), by_popularity.end(), [&](const auto& a, const auto& b) {
      return fnv(store_id + a) < fnv(store_id + b);
    });
    sim::ShopperConfig config;
    config.customers = kRegularsPerStore;
    config.days = kHistoryDays;
    config.seed = fnv(store_id);
    std::vector<storage::DemoShopper> shoppers;
    for (int c = 0; c < config.customers; ++c) {
      char phone[32];
      // A reserved range beside the walk-in shopper's: never a real customer's number.
      std::snprintf(phone, sizeof phone, "+8600000%02zu%04d", si + 1, c);
      shoppers.push_back({"cus_regular_" + store_id + "_" + std::to_string(c),
                          "常客 Regular " + std::to_string(c + 1), phone});
    }
    std::vector<storage::DemoTrip> trips;
    // From the store's local midnight eight weeks ago (trips between 09:00 and 21:00 there),
    // through yesterday.
    const int offset = demo_stores[si].utc_offset_minutes;
    const core::Timestamp start{core::local_day(now, offset) - days(kHistoryDays) -
                                std::chrono::minutes(offset)};
    for (auto& t : sim::generate_trips(config, by_popularity, start)) {
      trips.push_back({t.customer, t.at, std::move(t.skus)});
    }
    storage::FreshRepository fresh(session);
    const auto made = fresh.seed_trips(store_id, shoppers, trips);
    summary.regular_baskets += storage::RecoRepository(session).learn_orders(made);
  }
  summary.example_store = demo_stores[0].store_id;
  summary.example_sku = "KINGCRAB-M";
  return summary;
}

namespace {

// Shanghai's districts, where the chain's stores stand (centres, WGS84).
const storage::ChainDistricts& shanghai_districts() {
  static const storage::ChainDistricts d{
      {"浦东新区", "黄浦区", "静安区", "徐汇区", "长宁区", "普陀区", "虹口区", "杨浦区", "闵行区",
       "宝山区", "嘉定区", "松江区", "青浦区", "奉贤区", "金山区", "崇明区"},
      {31.2215, 31.2317, 31.2286, 31.1885, 31.2204, 31.2495, 31.2646, 31.2595, 31.1128, 31.4051,
       31.3747, 31.0323, 31.1510, 30.9180, 30.7416, 31.6229},
      {121.5447, 121.4846, 121.4481, 121.4365, 121.4243, 121.3972, 121.5051, 121.5260, 121.3817,
       121.4899, 121.2655, 121.2279, 121.1243, 121.4740, 121.3420, 121.3974}};
  return d;
}

// The chain's base products: the demo's 210, each the root of M / 210 variants.
storage::ChainBase chain_base() {
  storage::ChainBase b;
  for (const Item& item : kItems) {
    for (const Pack& pack : kPacks) {
      catalog::Product p;
      p.name = product_name(item, pack);
      p.unit = item.unit;
      b.sku.push_back(std::string(item.stem) + "-" + pack.suffix);
      b.name.push_back(p.name);
      b.category.push_back(item.category);
      b.unit.push_back(std::string(catalog::to_string(item.unit)));
      b.storage.push_back(std::string(catalog::to_string(item.storage)));
      b.search_text.push_back(catalog::search_text(p));  // ends in a space: no SKU given
      b.origin.push_back(item.origin);
      b.zone.push_back(zone_of(item.category));
      b.price_minor.push_back(std::int64_t(item.price_fen) * pack.percent / 100);
      b.shelf_days.push_back(item.shelf_days);
    }
  }
  return b;
}

}  // namespace

ChainSummary seed_chain(storage::Session& session, const storage::ChainSize& size,
                        core::Timestamp now, const std::function<void(const std::string&)>& say) {
  using Clock = std::chrono::steady_clock;
  storage::relax_durability_for_bulk_load(session);
  storage::ChainRepository chain(session);
  if (!chain.may_write_without_triggers()) {
    throw std::runtime_error(
        "a chain is written without per-row triggers, which takes a superuser: connect as one "
        "(the demo's and the benches' PostgreSQL make freshlane one)");
  }
  const auto base = chain_base();
  ChainSummary out;
  const auto step = [&](const char* what, auto&& run) {
    const auto start = Clock::now();
    const long long rows = run();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    out.seconds += s;
    char line[160];
    std::snprintf(line, sizeof line, "%s: %lld added in %.1f s", what, rows, s);
    say(line);
    return rows;
  };
  out.stores = step("stores", [&] { return chain.seed_stores(size, shanghai_districts()); });
  out.products = step("products", [&] { return chain.seed_products(size, base); });
  out.listings = step("listings", [&] { return chain.seed_listings(size, base); });
  out.lots = step("lots", [&] { return chain.seed_lots(size, base, now); });
  out.customers = step("customers", [&] { return chain.seed_customers(size); });
  for (int d = size.days; d >= 1; --d) {
    out.orders += step(("orders of the day " + std::to_string(d) + " day(s) ago").c_str(),
                       [&] { return chain.seed_day(size, base, d, now); });
  }
  // Days a forecast had summed before these orders were written are summed again.
  std::vector<std::string> stores;
  for (int n = 1; n <= size.stores; ++n) stores.push_back(storage::ChainRepository::store_id(n));
  storage::FreshRepository(session).forget_sales_days(stores);
  step("statistics (ANALYZE)", [&] {
    chain.analyze();
    return 0LL;
  });
  return out;
}

}  // namespace freshlane::app
