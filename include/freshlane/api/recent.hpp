#pragma once
// A few seconds' memory of rows that hardly ever change (a store, who a bearer token belongs
// to), so the hot paths do not read them again for every request. An entry lives `ttl` at
// most, in every process alike; a row that was not found is never remembered, so something
// created through another process is seen at once. Thread-safe; callers pass `now`.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace freshlane::api {

template <typename V>
class Recent {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Recent(std::chrono::milliseconds ttl, std::size_t max_entries = 100'000)
      : ttl_(ttl), max_entries_(max_entries) {}

  std::optional<V> get(const std::string& key, Clock::time_point now) const {
    std::lock_guard lock(mu_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || now - it->second.at >= ttl_) return std::nullopt;
    return it->second.value;
  }
  // Taken before reading a row: a put of what was read then is dropped when something was
  // forgotten since (a token revoked while it was being looked up is not remembered valid).
  std::uint64_t generation() const {
    std::lock_guard lock(mu_);
    return forgets_;
  }
  void put(const std::string& key, V value, Clock::time_point now,
           std::optional<std::uint64_t> read_at = std::nullopt) {
    std::lock_guard lock(mu_);
    if (read_at && *read_at != forgets_) return;
    if (entries_.size() >= max_entries_) {
      std::erase_if(entries_, [&](const auto& e) { return now - e.second.at >= ttl_; });
      if (entries_.size() >= max_entries_) entries_.clear();
    }
    entries_[key] = Entry{std::move(value), now};
  }
  void forget(const std::string& key) {
    std::lock_guard lock(mu_);
    entries_.erase(key);
    ++forgets_;
  }

 private:
  struct Entry {
    V value;
    Clock::time_point at;
  };
  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  mutable std::mutex mu_;
  std::uint64_t forgets_ = 0;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace freshlane::api
