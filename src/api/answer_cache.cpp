#include "freshlane/api/answer_cache.hpp"

namespace freshlane::api {

struct AnswerCache::Flight {
  std::uint64_t epoch;                   // the cache's epoch when the load began
  std::vector<http::Responder> waiters;  // called with the load's answer
};

AnswerCache::AnswerCache(std::chrono::milliseconds ttl, std::size_t max_entries)
    : ttl_(ttl), max_entries_(max_entries) {}

AnswerCache::Lookup AnswerCache::lookup(const std::string& key, http::Responder& done,
                                        Clock::time_point now) {
  std::lock_guard lock(mu_);
  Lookup out;
  const auto flight = flights_.find(key);
  // A load that began before an invalidation may answer with what was just changed: later
  // requests do not join it.
  const bool joinable = flight != flights_.end() && flight->second->epoch == epoch_;
  if (const auto it = entries_.find(key); it != entries_.end()) {
    const auto age = now - it->second.read_at;
    if (age < ttl_) {
      out.body = it->second.body;
      if (age >= ttl_ / 2 && !joinable) {
        out.load = std::make_shared<Flight>(Flight{epoch_, {}});
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
  out.load = std::make_shared<Flight>(Flight{epoch_, {}});
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
    if (answer.status == 200 && about && load->epoch == epoch_ && ttl_.count() > 0) {
      if (entries_.size() >= max_entries_) {
        std::erase_if(entries_, [&](const auto& e) { return now - e.second.read_at >= ttl_; });
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
