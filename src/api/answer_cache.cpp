#include "freshlane/api/answer_cache.hpp"

namespace freshlane::api {

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
                         const std::optional<catalog::ProductKey>& about, Clock::time_point now) {
  std::vector<http::Responder> waiters;
  {
    std::lock_guard lock(mu_);
    waiters.swap(load->waiters);
    if (const auto it = flights_.find(key); it != flights_.end() && it->second == load) {
      flights_.erase(it);
    }
    if (answer.status == 200 && about && !changed_since(about->store_id, load->epoch) &&
        life(*about).count() > 0) {
      if (entries_.size() >= max_entries_) {
        std::erase_if(entries_, [&](const auto& e) {
          return now - e.second.read_at >= life(e.second.about);
        });
        if (entries_.size() >= max_entries_) entries_.clear();
      }
      entries_[key] = Entry{answer.body, *about, now};
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
  }
  std::erase_if(entries_, [&](const auto& e) {
    const auto& about = e.second.about;
    for (const auto& c : changed) {
      // An answer about a whole store (a list page: no SKU) goes with any change in it.
      if ((about.sku.empty() || c.sku == about.sku) &&
          (c.store_id.empty() || c.store_id == about.store_id)) {
        return true;
      }
    }
    return false;
  });
}

std::size_t AnswerCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace freshlane::api
