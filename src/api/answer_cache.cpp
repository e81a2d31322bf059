#include "freshlane/api/answer_cache.hpp"

#include <algorithm>

namespace freshlane::api {

namespace {
// Whether `change` drops an answer about `about`: a product's answer when it is that product
// in that store; a page (an empty SKU) when it is in the page's store and moves pages or is
// among the SKUs the page shows (sorted).
bool touches(const catalog::ProductKey& change, const catalog::ProductKey& about,
             const std::vector<std::string>& shows) {
  if (!change.store_id.empty() && change.store_id != about.store_id) return false;
  if (!about.sku.empty()) return change.sku == about.sku;
  return change.moves_pages || std::binary_search(shows.begin(), shows.end(), change.sku);
}
}  // namespace

struct AnswerCache::Flight {
  std::uint64_t epoch;                   // the cache's epoch when the load began
  std::string store;                     // the store it is about, when known ("": any)
  std::vector<http::Responder> waiters;  // called with the load's answer
};

AnswerCache::AnswerCache(std::chrono::milliseconds ttl, std::size_t max_entries)
    : AnswerCache(ttl, ttl, max_entries) {}

AnswerCache::AnswerCache(std::chrono::milliseconds ttl, std::chrono::milliseconds page_ttl,
                         std::size_t max_entries)
    : ttl_(ttl), page_ttl_(ttl.count() > 0 ? page_ttl : ttl), max_entries_(max_entries) {}

std::chrono::milliseconds AnswerCache::life(const catalog::ProductKey& about) const {
  return about.sku.empty() ? page_ttl_ : ttl_;
}

bool AnswerCache::changed_since(const std::string& store, std::uint64_t epoch) const {
  if (store.empty()) return epoch_ > epoch;
  if (everywhere_changed_ > epoch) return true;
  const auto it = store_changed_.find(store);
  return it != store_changed_.end() && it->second > epoch;
}

bool AnswerCache::stale_since(std::uint64_t epoch, const catalog::ProductKey& about,
                              const std::vector<std::string>& shows) const {
  if (epoch < recent_from_) return changed_since(about.store_id, epoch);
  for (auto it = recent_.rbegin(); it != recent_.rend() && it->epoch > epoch; ++it) {
    if (touches(it->key, about, shows)) return true;
  }
  return false;
}

AnswerCache::Lookup AnswerCache::lookup(const std::string& key, http::Responder& done,
                                        Clock::time_point now, const std::string& store) {
  std::lock_guard lock(mu_);
  Lookup out;
  const auto flight = flights_.find(key);
  // A load that began before an invalidation of its store may answer with what was just
  // changed: later requests do not join it.
  const bool joinable =
      flight != flights_.end() && !changed_since(flight->second->store, flight->second->epoch);
  if (const auto it = entries_.find(key); it != entries_.end()) {
    const auto age = now - it->second.read_at;
    const auto ttl = life(it->second.about);
    if (age < ttl) {
      out.body = it->second.body;
      if (age >= ttl / 2 && !joinable) {
        out.load = std::make_shared<Flight>(Flight{epoch_, store, {}});
        flights_[key] = out.load;
      }
      return out;
    }
    entries_.erase(it);
  }
  if (joinable) {
    flight->second->waiters.push_back(std::move(done));
    return out;
  }
  out.load = std::make_shared<Flight>(Flight{epoch_, store, {}});
  out.load->waiters.push_back(std::move(done));
  flights_[key] = out.load;
  return out;
}

void AnswerCache::finish(const std::string& key, const std::shared_ptr<Flight>& load,
                         const http::Response& answer,
                         const std::optional<catalog::ProductKey>& about, Clock::time_point now,
                         std::vector<std::string> shows) {
  std::sort(shows.begin(), shows.end());
  std::vector<http::Responder> waiters;
  {
    std::lock_guard lock(mu_);
    waiters.swap(load->waiters);
    if (const auto it = flights_.find(key); it != flights_.end() && it->second == load) {
      flights_.erase(it);
    }
    // A product's answer shows other products too (often bought with it): any change in its
    // store voids its load. A page shows only its own products.
    const auto stale = [&] {
      return about->sku.empty() ? stale_since(load->epoch, *about, shows)
                                : changed_since(about->store_id, load->epoch);
    };
    if (answer.status == 200 && about && life(*about).count() > 0 && !stale()) {
      if (entries_.size() >= max_entries_) {
        std::erase_if(entries_, [&](const auto& e) {
          return now - e.second.read_at >= life(e.second.about);
        });
        if (entries_.size() >= max_entries_) entries_.clear();
      }
      entries_[key] = Entry{answer.body, *about, std::move(shows), now};
    }
  }
  for (auto& done : waiters) done(answer);
}

void AnswerCache::invalidate(const std::vector<catalog::ProductKey>& changed) {
  if (changed.empty()) return;
  std::lock_guard lock(mu_);
  ++epoch_;
  for (const auto& c : changed) {
    if (c.store_id.empty()) {
      everywhere_changed_ = epoch_;
    } else {
      store_changed_[c.store_id] = epoch_;
    }
    recent_.push_back(Change{epoch_, c});
  }
  while (recent_.size() > kRecentChanges) {
    recent_from_ = recent_.front().epoch;
    recent_.pop_front();
  }
  std::erase_if(entries_, [&](const auto& e) {
    return std::any_of(changed.begin(), changed.end(), [&](const catalog::ProductKey& c) {
      return touches(c, e.second.about, e.second.shows);
    });
  });
  // A ranking goes only with a change that moves its store's pages.
  std::erase_if(rankings_, [&](const auto& r) {
    return std::any_of(changed.begin(), changed.end(), [&](const catalog::ProductKey& c) {
      return c.moves_pages && (c.store_id.empty() || c.store_id == r.second.store);
    });
  });
}

std::size_t AnswerCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::optional<AnswerCache::Ranking> AnswerCache::ranking(const std::string& key,
                                                         Clock::time_point now) const {
  std::lock_guard lock(mu_);
  const auto it = rankings_.find(key);
  if (it == rankings_.end() || now - it->second.ranking.read_at >= page_ttl_ / 2) {
    return std::nullopt;
  }
  return it->second.ranking;
}

std::uint64_t AnswerCache::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

void AnswerCache::keep_ranking(const std::string& key, const std::string& store,
                               std::uint64_t since, Ranking ranking, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (page_ttl_.count() <= 0 || stale_since(since, catalog::ProductKey{store, ""}, {})) return;
  if (rankings_.size() >= max_entries_) {
    std::erase_if(rankings_,
                  [&](const auto& r) { return now - r.second.ranking.read_at >= page_ttl_ / 2; });
    if (rankings_.size() >= max_entries_) rankings_.clear();
  }
  ranking.read_at = now;
  rankings_[key] = KeptRanking{std::move(ranking), store};
}

}  // namespace freshlane::api
