#pragma once
// Token buckets keyed by a client address or an account: where abuse is cheap (sign-ups, bad
// tokens, quotes, orders), each key may spend `burst` requests at once and then `per_minute`
// a minute. Pure (std only, no I/O): the caller passes `now`.
//
// A bucket is kept as its "theoretical arrival time" (GCRA, the cell-rate algorithm of ATM
// networks, equivalent to a token bucket): one time point per key, exact integer arithmetic,
// so the wait it reports is the real one. A key whose bucket is full again is the same as an
// unknown key. Memory is bounded: at most `max_keys` keys, the least recently used one
// forgotten first (an attacker with more addresses than that gets a fresh burst for the oldest,
// never more memory). Thread-safe: the keys are spread over shards, each with its own mutex.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace freshlane::core {

struct RateRule {
  int per_minute = 0;  // tokens added a minute; 0: no limit (every request passes)
  int burst = 1;       // the bucket's capacity: requests one idle key may make at once
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Whether a request may go on; when not, the whole seconds (at least 1) until it may.
  struct Verdict {
    bool allowed = true;
    std::chrono::seconds retry_after{0};
  };

  explicit RateLimiter(RateRule rule, std::size_t max_keys = 100'000);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from `key`'s bucket at `now`. Refused, nothing is taken.
  Verdict take(std::string_view key, Clock::time_point now);
  // Whether take() would pass now, without taking (charge later with take(), e.g. only when
  // the request turns out to have failed).
  Verdict check(std::string_view key, Clock::time_point now) const;

  const RateRule& rule() const { return rule_; }
  bool enabled() const { return rule_.per_minute > 0; }
  std::size_t keys() const;                               // keys remembered now
  std::uint64_t refused() const { return refused_; }      // take() refusals and noted ones so far
  void note_refusal() { ++refused_; }                     // a request refused after check()
  std::uint64_t forgotten() const { return forgotten_; }  // keys evicted to stay bounded

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::list<std::string> recent;  // most recently used first; owns the keys
    struct Entry {
      Clock::time_point tat;  // when the bucket is full again; its level is (tat - now) / T
      std::list<std::string>::iterator at;
    };
    std::unordered_map<std::string_view, Entry> entries;  // views into `recent`
  };
  Shard& shard_of(std::string_view key) const;
  Verdict verdict(Clock::time_point tat, Clock::time_point now) const;

  RateRule rule_;
  Clock::duration interval_;   // T: the time one token takes to come back
  Clock::duration tolerance_;  // (burst - 1) × T: how far ahead of now the bucket may run
  std::size_t max_keys_per_shard_;
  mutable std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> refused_{0}, forgotten_{0};
};

// The key a client address is limited under: an IPv4 address as it is; an IPv6 address by its
// /64 prefix ("2001:db8:1:2::/64"), because one subscriber is usually given a whole /64 and
// could otherwise take a fresh budget per address. Text that is not an IPv6 address is
// returned unchanged.
std::string address_key(std::string_view address);

}  // namespace freshlane::core
