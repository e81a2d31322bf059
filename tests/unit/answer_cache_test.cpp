// The answer cache: fresh answers served from memory, one load per key, invalidation that no
// load in flight can undo, and a hard limit on an answer's life.
#include "freshlane/api/answer_cache.hpp"

#include <gtest/gtest.h>

namespace freshlane::api {
namespace {

using namespace std::chrono_literals;
using Clock = AnswerCache::Clock;

const catalog::ProductKey kCrab{"s1", "CRAB"};

// A responder that records what it was answered.
struct Inbox {
  std::vector<http::Response> got;
  http::Responder responder() {
    return [this](http::Response r) { got.push_back(std::move(r)); };
  }
};

http::Response ok(const std::string& body) { return http::Response::json(200, body); }

// Loads `key` through the cache as a handler would: returns the body served at once, if any.
std::optional<std::string> load(AnswerCache& cache, const std::string& key, const std::string& body,
                                Clock::time_point now, Inbox& inbox) {
  auto done = inbox.responder();
  auto look = cache.lookup(key, done, now);
  if (look.load) cache.finish(key, look.load, ok(body), kCrab, now);
  return look.body;
}

TEST(AnswerCache, ServesAFreshAnswerWithoutLoading) {
  AnswerCache cache(500ms);
  const auto t0 = Clock::now();
  Inbox first;
  EXPECT_FALSE(load(cache, "item s1 CRAB", "v1", t0, first));
  ASSERT_EQ(first.got.size(), 1u);
  EXPECT_EQ(first.got[0].body, "v1");

  Inbox second;
  http::Responder done = second.responder();
  const auto look = cache.lookup("item s1 CRAB", done, t0 + 100ms);
  ASSERT_TRUE(look.body);
  EXPECT_EQ(*look.body, "v1");
  EXPECT_FALSE(look.load);  // young: no refresh
  EXPECT_TRUE(done);        // untouched: the caller answers with the body
}

TEST(AnswerCache, AnAnswerNeverOutlivesItsTtl) {
  AnswerCache cache(500ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  load(cache, "k", "v1", t0, inbox);
  http::Responder done = inbox.responder();
  const auto look = cache.lookup("k", done, t0 + 500ms);
  EXPECT_FALSE(look.body);
  EXPECT_TRUE(look.load);
}

TEST(AnswerCache, PastHalfItsLifeAnAnswerIsServedAndRefreshedOnce) {
  AnswerCache cache(500ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  load(cache, "k", "v1", t0, inbox);
  http::Responder a = inbox.responder(), b = inbox.responder();
  const auto first = cache.lookup("k", a, t0 + 300ms);
  ASSERT_TRUE(first.body);
  ASSERT_TRUE(first.load);  // this caller refreshes in the background
  const auto second = cache.lookup("k", b, t0 + 301ms);
  ASSERT_TRUE(second.body);
  EXPECT_FALSE(second.load);  // one refresh at a time
  cache.finish("k", first.load, ok("v2"), kCrab, t0 + 310ms);
  http::Responder c = inbox.responder();
  EXPECT_EQ(*cache.lookup("k", c, t0 + 320ms).body, "v2");
}

TEST(AnswerCache, ConcurrentMissesShareOneLoad) {
  AnswerCache cache(500ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  http::Responder a = inbox.responder(), b = inbox.responder(), c = inbox.responder();
  const auto first = cache.lookup("k", a, t0);
  ASSERT_TRUE(first.load);
  EXPECT_FALSE(cache.lookup("k", b, t0).load);  // joins the first load
  EXPECT_FALSE(cache.lookup("k", c, t0).load);
  EXPECT_TRUE(inbox.got.empty());
  cache.finish("k", first.load, ok("v1"), kCrab, t0);
  ASSERT_EQ(inbox.got.size(), 3u);
  for (const auto& r : inbox.got) EXPECT_EQ(r.body, "v1");
}

TEST(AnswerCache, ErrorsReachTheirWaitersButAreNotKept) {
  AnswerCache cache(500ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  http::Responder a = inbox.responder(), b = inbox.responder();
  const auto first = cache.lookup("k", a, t0);
  cache.lookup("k", b, t0);
  cache.finish("k", first.load, http::Response::json(503, "{}"), std::nullopt, t0);
  ASSERT_EQ(inbox.got.size(), 2u);
  EXPECT_EQ(inbox.got[1].status, 503);
  http::Responder c = inbox.responder();
  EXPECT_TRUE(cache.lookup("k", c, t0).load);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AnswerCache, InvalidationDropsAnswersAboutTheChangedProductOnly) {
  AnswerCache cache(500ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  load(cache, "item s1 CRAB", "crab", t0, inbox);
  auto done = inbox.responder();
  auto look = cache.lookup("item s2 CRAB", done, t0);
  cache.finish("item s2 CRAB", look.load, ok("crab in s2"), catalog::ProductKey{"s2", "CRAB"}, t0);
  ASSERT_EQ(cache.size(), 2u);

  cache.invalidate({{"s1", "CRAB"}});
  EXPECT_EQ(cache.size(), 1u);  // s2's answer is about another listing
  http::Responder d = inbox.responder();
  EXPECT_TRUE(cache.lookup("item s1 CRAB", d, t0).load);

  cache.invalidate({{"", "CRAB"}});  // e.g. a rating: every store
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AnswerCache, AStoresPagesGoWithAnyChangeInThatStore) {
  AnswerCache cache(500ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  for (const char* store : {"s1", "s2"}) {
    auto done = inbox.responder();
    const std::string key = std::string("page ") + store;
    auto look = cache.lookup(key, done, t0);
    cache.finish(key, look.load, ok("a page"), catalog::ProductKey{store, ""}, t0);
  }
  ASSERT_EQ(cache.size(), 2u);

  cache.invalidate({{"s1", "CRAB"}});  // an order took s1's last crab: its pages list the crab
  EXPECT_EQ(cache.size(), 1u);
  http::Responder d = inbox.responder();
  EXPECT_TRUE(cache.lookup("page s1", d, t0).load);
  http::Responder e = inbox.responder();
  EXPECT_FALSE(cache.lookup("page s2", e, t0).load);

  cache.invalidate({{"", "BREAD"}});  // a product renamed: every store's pages
  EXPECT_EQ(cache.size(), 0u);
}

// Keeps `key` as a page of `store` showing `shows`, as a list or search page is kept.
void keep_page(AnswerCache& cache, const std::string& key, const std::string& store,
               std::vector<std::string> shows, Clock::time_point now, Inbox& inbox) {
  auto done = inbox.responder();
  auto look = cache.lookup(key, done, now, store);
  ASSERT_TRUE(look.load);
  cache.finish(key, look.load, ok(key), catalog::ProductKey{store, ""}, now, std::move(shows));
}
// Whether `key` is served from memory; a miss's load ends at once, unkept (a 503).
bool kept(AnswerCache& cache, const std::string& key, Clock::time_point now, Inbox& inbox) {
  auto done = inbox.responder();
  const auto look = cache.lookup(key, done, now);
  if (look.load && !look.body) {
    cache.finish(key, look.load, http::Response::json(503, "{}"), std::nullopt, now);
  }
  return look.body.has_value();
}

// An order changes the stock of a few products: a busy store's pages that do not show them
// stay; a listing added or delisted may move any page of its store, so all of them go.
TEST(AnswerCache, APageGoesWithAChangeThatMovesPagesElseOnlyWithTheProductsItShows) {
  AnswerCache cache(500ms, 5000ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  keep_page(cache, "page s1 a", "s1", {"CRAB", "APPLE"}, t0, inbox);
  keep_page(cache, "page s1 b", "s1", {"BREAD"}, t0, inbox);
  keep_page(cache, "page s2 a", "s2", {"CRAB"}, t0, inbox);

  cache.invalidate({catalog::ProductKey::in_place("s1", "BREAD")});  // bread sold at s1
  EXPECT_TRUE(kept(cache, "page s1 a", t0, inbox));
  EXPECT_FALSE(kept(cache, "page s1 b", t0, inbox));
  EXPECT_TRUE(kept(cache, "page s2 a", t0, inbox));

  cache.invalidate({catalog::ProductKey::in_place("", "CRAB")});  // crab rated: every store
  EXPECT_FALSE(kept(cache, "page s1 a", t0, inbox));
  EXPECT_FALSE(kept(cache, "page s2 a", t0, inbox));

  keep_page(cache, "page s1 a", "s1", {"CRAB", "APPLE"}, t0, inbox);
  keep_page(cache, "page s2 a", "s2", {"CRAB"}, t0, inbox);
  cache.invalidate({{"s1", "MANGO"}});  // mango newly listed at s1: it may belong on any page
  EXPECT_FALSE(kept(cache, "page s1 a", t0, inbox));
  EXPECT_TRUE(kept(cache, "page s2 a", t0, inbox));
}

// The same holds for a load in flight: a change to a product its answer does not show leaves it
// to be kept; one it shows, or one that moves pages, voids it.
TEST(AnswerCache, APageLoadIsVoidedOnlyByAChangeThatWouldHaveDroppedIt) {
  AnswerCache cache(500ms, 5000ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  const catalog::ProductKey page{"s1", ""};
  const std::vector<std::pair<catalog::ProductKey, bool>> cases{
      {catalog::ProductKey::in_place("s1", "BREAD"), true},
      {catalog::ProductKey::in_place("s1", "CRAB"), false},
      {catalog::ProductKey::in_place("", "APPLE"), false},
      {catalog::ProductKey{"s1", "MANGO"}, false}};
  for (const auto& [change, keeps] : cases) {
    auto done = inbox.responder();
    const auto look = cache.lookup("page", done, t0, "s1");
    ASSERT_TRUE(look.load);
    cache.invalidate({change});
    cache.finish("page", look.load, ok("p"), page, t0, {"CRAB", "APPLE"});
    EXPECT_EQ(kept(cache, "page", t0, inbox), keeps) << change.store_id << " " << change.sku;
    cache.invalidate({{"s1", ""}});  // empty again
  }
  // A product's answer shows other products too (often bought with it): any change in its
  // store voids its load.
  auto done = inbox.responder();
  const auto look = cache.lookup("item s1 CRAB", done, t0, "s1");
  cache.invalidate({catalog::ProductKey::in_place("s1", "BREAD")});
  cache.finish("item s1 CRAB", look.load, ok("crab"), kCrab, t0);
  EXPECT_FALSE(kept(cache, "item s1 CRAB", t0, inbox));
}

// Recent changes are remembered in a bounded list: a load older than all of them is judged by
// its store, as if every change there had touched it.
TEST(AnswerCache, ALoadOlderThanTheRememberedChangesIsVoidedByAnyChangeInItsStore) {
  AnswerCache cache(500ms, 5000ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  auto a = inbox.responder(), b = inbox.responder();
  const auto s1 = cache.lookup("page s1", a, t0, "s1");
  const auto s2 = cache.lookup("page s2", b, t0, "s2");
  for (int i = 0; i < 20'000; ++i) {
    cache.invalidate({catalog::ProductKey::in_place("s1", "SKU-" + std::to_string(i))});
  }
  cache.finish("page s1", s1.load, ok("p"), catalog::ProductKey{"s1", ""}, t0, {"CRAB"});
  cache.finish("page s2", s2.load, ok("p"), catalog::ProductKey{"s2", ""}, t0, {"CRAB"});
  EXPECT_FALSE(kept(cache, "page s1", t0, inbox));
  EXPECT_TRUE(kept(cache, "page s2", t0, inbox));  // nothing changed in s2
}

// A page's ranking outlives its answer: stock and price changes leave it, a change that moves
// pages in its store drops it, as does one between the ranking's read and its keeping.
TEST(AnswerCache, APagesRankingLivesUntilAChangeMovesItsStoresPages) {
  AnswerCache cache(500ms, 5000ms);
  const auto t0 = Clock::now();
  const AnswerCache::Ranking crab_first{{"CRAB", "APPLE"}, "2"};
  cache.keep_ranking("page s1", "s1", cache.epoch(), crab_first, t0);
  cache.keep_ranking("page s2", "s2", cache.epoch(), crab_first, t0);
  cache.invalidate({catalog::ProductKey::in_place("s1", "CRAB")});  // crab sold
  ASSERT_TRUE(cache.ranking("page s1", t0));
  EXPECT_EQ(cache.ranking("page s1", t0)->skus, crab_first.skus);
  EXPECT_EQ(cache.ranking("page s1", t0)->next, "2");
  EXPECT_EQ(cache.ranking("page s1", t0 + 2s)->read_at, t0);  // a page built on it: as of t0
  EXPECT_FALSE(cache.ranking("page s1", t0 + 2500ms));        // half a page's life at most

  cache.invalidate({{"s1", "MANGO"}});  // listed at s1
  EXPECT_FALSE(cache.ranking("page s1", t0));
  EXPECT_TRUE(cache.ranking("page s2", t0));

  const auto since = cache.epoch();                                  // ranked again, while...
  cache.invalidate({catalog::ProductKey::in_place("s1", "APPLE")});  // ...apple is sold: kept
  cache.keep_ranking("page s1", "s1", since, crab_first, t0);
  EXPECT_TRUE(cache.ranking("page s1", t0));
  const auto again = cache.epoch();   // and again, while...
  cache.invalidate({{"", "APPLE"}});  // ...apple is renamed everywhere: not kept
  cache.keep_ranking("page s1", "s1", again, crab_first, t0);
  EXPECT_FALSE(cache.ranking("page s1", t0));
  EXPECT_FALSE(cache.ranking("page s2", t0));

  AnswerCache off(0ms, 0ms);
  off.keep_ranking("page s1", "s1", off.epoch(), crab_first, t0);
  EXPECT_FALSE(off.ranking("page s1", t0));
}

TEST(AnswerCache, ALoadThatBeganBeforeAnInvalidationIsNotKeptNorJoined) {
  AnswerCache cache(500ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  http::Responder a = inbox.responder(), b = inbox.responder();
  const auto before = cache.lookup("k", a, t0);  // reads the database...
  cache.invalidate({kCrab});                     // ...while an order takes the last crab
  const auto after = cache.lookup("k", b, t0);
  ASSERT_TRUE(after.load);  // a new load, not the stale one
  cache.finish("k", before.load, ok("available 1"), kCrab, t0);
  EXPECT_EQ(cache.size(), 0u);  // the stale answer went to its own caller only
  ASSERT_EQ(inbox.got.size(), 1u);
  cache.finish("k", after.load, ok("available 0"), kCrab, t0);
  http::Responder c = inbox.responder();
  EXPECT_EQ(*cache.lookup("k", c, t0).body, "available 0");
}

// At a chain every order changes some store's stock: a load elsewhere must still be kept and
// joined, or a costly page would be loaded again by every request while orders flow.
TEST(AnswerCache, AChangeInAnotherStoreNeitherVoidsNorSplitsALoad) {
  AnswerCache cache(500ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  http::Responder a = inbox.responder(), b = inbox.responder();
  const auto first = cache.lookup("page s1", a, t0, "s1");
  ASSERT_TRUE(first.load);
  cache.invalidate({{"s2", "CRAB"}});  // an order at another store
  const auto second = cache.lookup("page s1", b, t0, "s1");
  EXPECT_FALSE(second.load);  // joined the load in flight
  cache.finish("page s1", first.load, ok("p1"), catalog::ProductKey{"s1", ""}, t0);
  EXPECT_EQ(inbox.got.size(), 2u);
  EXPECT_EQ(cache.size(), 1u);  // and kept

  // A change in its own store still voids a load in flight, joined or kept.
  http::Responder c = inbox.responder(), d = inbox.responder();
  const auto third = cache.lookup("page s3", c, t0, "s3");
  cache.invalidate({{"s3", "CRAB"}});
  EXPECT_TRUE(cache.lookup("page s3", d, t0, "s3").load);
  cache.finish("page s3", third.load, ok("stale"), catalog::ProductKey{"s3", ""}, t0);
  http::Responder e = inbox.responder();
  EXPECT_FALSE(cache.lookup("page s3", e, t0, "s3").body);
  // So does a change in every store (a product renamed), and, for a load whose store was not
  // known, any change at all.
  http::Responder f = inbox.responder(), g = inbox.responder();
  const auto fourth = cache.lookup("page s4", f, t0, "s4");
  cache.invalidate({{"", "CRAB"}});
  cache.finish("page s4", fourth.load, ok("stale"), catalog::ProductKey{"s4", ""}, t0);
  const auto fifth = cache.lookup("scan x", g, t0);
  cache.invalidate({{"s5", "CRAB"}});
  cache.finish("scan x", fifth.load, ok("stale"), catalog::ProductKey{"s1", "CRAB"}, t0);
  EXPECT_EQ(cache.size(), 1u);  // only page s1
}

// A page, an answer about a whole store, lives page_ttl; a product's answer its own ttl.
TEST(AnswerCache, ACatalogPageLivesItsOwnTtl) {
  AnswerCache cache(500ms, 5000ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  http::Responder a = inbox.responder(), b = inbox.responder();
  cache.finish("page s1", cache.lookup("page s1", a, t0, "s1").load, ok("p"),
               catalog::ProductKey{"s1", ""}, t0);
  cache.finish("item s1 CRAB", cache.lookup("item s1 CRAB", b, t0, "s1").load, ok("i"), kCrab, t0);
  http::Responder c = inbox.responder(), d = inbox.responder(), e = inbox.responder();
  const auto page = cache.lookup("page s1", c, t0 + 2s, "s1");
  ASSERT_TRUE(page.body);
  EXPECT_FALSE(page.load);  // not yet half its life
  EXPECT_FALSE(cache.lookup("item s1 CRAB", d, t0 + 2s, "s1").body);
  EXPECT_FALSE(cache.lookup("page s1", e, t0 + 5s, "s1").body);
}

TEST(AnswerCache, ZeroTtlKeepsNothing) {
  AnswerCache cache(0ms);
  const auto t0 = Clock::now();
  Inbox inbox;
  load(cache, "k", "v1", t0, inbox);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(inbox.got.size(), 1u);
}

TEST(AnswerCache, StaysWithinItsSize) {
  AnswerCache cache(500ms, 3);
  const auto t0 = Clock::now();
  Inbox inbox;
  for (int i = 0; i < 10; ++i) load(cache, "k" + std::to_string(i), "v", t0, inbox);
  EXPECT_LE(cache.size(), 3u);
}

}  // namespace
}  // namespace freshlane::api
