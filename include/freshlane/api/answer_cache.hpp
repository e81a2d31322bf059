#pragma once
// Rendered answers of the hottest reads (a store's product, a QR scan, a catalog page), kept in
// memory so a repeated read costs neither a database trip nor a JSON serialization.
//
// Freshness, in three layers:
// - a write in this process drops the answers about what it changed before its own response
//   leaves (storage reports the store products a job changed; see Pool::on_catalog_change);
//   a page (list or search) goes with a change that may move products on its store's pages,
//   and otherwise (stock, price, markdown) only when it shows the product changed, so orders
//   flowing at a store leave most of its pages cached;
// - changes made elsewhere (another process, a lot expiring) arrive through the change feed
//   (Pool::on_catalog_change too), within a poll;
// - every answer is dropped `ttl` after it was read from the database (at most one second), so
//   even with the feed lost a product shows sold out within that time. A catalog page (an
//   answer about a whole store) lives `page_ttl`: at a 100k-SKU store a search page costs a
//   hundred times a product answer;
// - an answer read before a change that would have dropped it is never stored after it (a
//   change in another store neither drops nor voids it; a product's answer, which shows others
//   too, is voided by any change in its store, a page only by one that would have dropped it).
// A page's ranking (the products it shows, in order, and its next cursor) is kept beside it and
// lives on through changes of stock and price, until a change moves its store's pages or its
// page life ends: reloading a page after an order then reads its 50 products, not the search
// over 100k that found them.
// One load per key at a time: requests for a key being loaded wait for that load's answer.
// A fresh answer past half its life is served and refreshed in the background, so a hot key
// never makes its readers wait.
//
// No I/O and no clock: callers pass `now`. Thread-safe.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "freshlane/catalog/product.hpp"
#include "freshlane/http/message.hpp"

namespace freshlane::api {

class AnswerCache {
 public:
  using Clock = std::chrono::steady_clock;

  // A zero `ttl` keeps nothing: every request loads (concurrent ones still share a load).
  explicit AnswerCache(std::chrono::milliseconds ttl, std::size_t max_entries = 50'000);
  AnswerCache(std::chrono::milliseconds ttl, std::chrono::milliseconds page_ttl,
              std::size_t max_entries = 50'000);

  struct Flight;  // a load in progress and the requests waiting for it
  struct Lookup {
    std::optional<std::string> body;  // a fresh 200 answer: send it
    std::shared_ptr<Flight> load;     // set: the caller must load and call finish() with it
  };

  // Either a fresh body (`done` untouched), or `done` is kept to receive the answer of a load:
  // one already in flight, or the caller's own when `load` is set. A fresh body may come with
  // `load` set too: a refresh ahead, whose answer nobody waits for. `store`, when known before
  // the load, is the store the answer is about: a load in flight is then joined unless that
  // store changed (else unless anything changed).
  Lookup lookup(const std::string& key, http::Responder& done, Clock::time_point now,
                const std::string& store = {});

  // The answer of a load, for every request waiting on it. Kept when it is a 200 about
  // `about` (a page: about its store, with an empty SKU, showing the SKUs `shows`) and nothing
  // that would drop it changed since the load began.
  void finish(const std::string& key, const std::shared_ptr<Flight>& load,
              const http::Response& answer, const std::optional<catalog::ProductKey>& about,
              Clock::time_point now, std::vector<std::string> shows = {});

  // Drops every answer about these store products (an empty store_id: in every store), and the
  // pages of their stores: all of them for a change that moves pages, else those showing it.
  void invalidate(const std::vector<catalog::ProductKey>& changed);

  std::size_t size() const;

  // What a page shows, in its order, and the cursor of the next page (none: the last).
  struct Ranking {
    std::vector<std::string> skus;
    std::optional<std::string> next;
    Clock::time_point read_at{};  // when it was read (set by keep_ranking)
  };
  // The ranking kept for the page `key`, while no change moved its store's pages and for half
  // a page's life: a page built from it is kept as read at the ranking's time (pass read_at to
  // finish as `now`), so what it lists is never older than a page's life.
  std::optional<Ranking> ranking(const std::string& key, Clock::time_point now) const;
  // Where changes stand: read before a page's products are ranked, passed to keep_ranking.
  std::uint64_t epoch() const;
  // Keeps the ranking of the page `key` of `store`, read since `since`, unless a change since
  // then moved the store's pages.
  void keep_ranking(const std::string& key, const std::string& store, std::uint64_t since,
                    Ranking ranking, Clock::time_point now);

 private:
  struct Entry {
    std::string body;
    catalog::ProductKey about;
    std::vector<std::string> shows;  // a page: the SKUs it shows, sorted
    Clock::time_point read_at;
  };
  struct Change {
    std::uint64_t epoch;
    catalog::ProductKey key;
  };
  static constexpr std::size_t kRecentChanges = 10'000;
  std::chrono::milliseconds life(const catalog::ProductKey& about) const;
  // Whether anything `store` shows changed after `epoch` ("": anything at all).
  bool changed_since(const std::string& store, std::uint64_t epoch) const;
  // Whether a change after `epoch` would have dropped an answer about `about` showing `shows`:
  // exactly, while the recent changes reach back that far; else by its store.
  bool stale_since(std::uint64_t epoch, const catalog::ProductKey& about,
                   const std::vector<std::string>& shows) const;

  std::chrono::milliseconds ttl_, page_ttl_;
  std::size_t max_entries_;
  mutable std::mutex mu_;
  std::uint64_t epoch_ = 0;               // bumped by every invalidation
  std::uint64_t everywhere_changed_ = 0;  // the epoch of the last change in every store
  std::unordered_map<std::string, std::uint64_t> store_changed_;  // ...and in each store
  std::deque<Change> recent_;      // the last kRecentChanges changes, oldest first
  std::uint64_t recent_from_ = 0;  // every change after this epoch is in recent_
  std::unordered_map<std::string, Entry> entries_;
  struct KeptRanking {
    Ranking ranking;
    std::string store;
  };
  std::unordered_map<std::string, KeptRanking> rankings_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace freshlane::api
