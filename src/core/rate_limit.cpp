#include "freshlane/core/rate_limit.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

namespace freshlane::core {

RateLimiter::RateLimiter(RateRule rule, std::size_t max_keys)
    : rule_(rule),
      interval_(rule.per_minute > 0
                    ? std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1)) /
                          rule.per_minute
                    : Clock::duration::zero()),
      tolerance_(interval_ * std::max(0, rule.burst - 1)),
      max_keys_per_shard_(std::max<std::size_t>(1, max_keys / kShards)) {
  rule_.burst = std::max(1, rule_.burst);
}

RateLimiter::Shard& RateLimiter::shard_of(std::string_view key) const {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

RateLimiter::Verdict RateLimiter::verdict(Clock::time_point tat, Clock::time_point now) const {
  // Allowed while the bucket runs no further ahead of now than the burst allows; otherwise the
  // next token is there once it does (rounded up: after Retry-After seconds a request passes).
  const auto wait = tat - tolerance_ - now;
  if (wait <= Clock::duration::zero()) return {};
  return {false, std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(wait))};
}

RateLimiter::Verdict RateLimiter::take(std::string_view key, Clock::time_point now) {
  if (!enabled()) return {};
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(key);
  if (it != s.entries.end()) {
    s.recent.splice(s.recent.begin(), s.recent, it->second.at);  // used now
    const Verdict v = verdict(it->second.tat, now);
    if (!v.allowed) {
      ++refused_;
      return v;
    }
    it->second.tat = std::max(it->second.tat, now) + interval_;
    return v;
  }
  // A new key (or one forgotten with a full bucket, which is the same): the first request of a
  // burst always passes.
  if (s.entries.size() >= max_keys_per_shard_) {
    s.entries.erase(std::string_view(s.recent.back()));
    s.recent.pop_back();
    ++forgotten_;
  }
  s.recent.emplace_front(key);
  s.entries.emplace(std::string_view(s.recent.front()),
                    Shard::Entry{now + interval_, s.recent.begin()});
  return {};
}

RateLimiter::Verdict RateLimiter::check(std::string_view key, Clock::time_point now) const {
  if (!enabled()) return {};
  const Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  const auto it = s.entries.find(key);
  if (it == s.entries.end()) return {};
  return verdict(it->second.tat, now);
}

std::size_t RateLimiter::keys() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.entries.size();
  }
  return n;
}

namespace {

std::optional<unsigned> hex_group(std::string_view g) {
  if (g.empty() || g.size() > 4) return std::nullopt;
  unsigned v = 0;
  for (char c : g) {
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
  }
  return v;
}

// A dotted IPv4 address as two 16-bit groups.
std::optional<std::array<unsigned, 2>> ipv4_groups(std::string_view text) {
  unsigned bytes[4];
  for (int i = 0; i < 4; ++i) {
    const auto dot = text.find('.');
    const std::string_view part = i < 3 ? text.substr(0, dot) : text;
    if ((i < 3 && dot == std::string_view::npos) || part.empty() || part.size() > 3) {
      return std::nullopt;
    }
    unsigned v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 255) return std::nullopt;
    bytes[i] = v;
    if (i < 3) text.remove_prefix(dot + 1);
  }
  return std::array<unsigned, 2>{bytes[0] << 8 | bytes[1], bytes[2] << 8 | bytes[3]};
}

// Colon-separated groups, the last of which may be a dotted IPv4 address (when `last` allows).
std::optional<std::vector<unsigned>> groups_of(std::string_view text, bool last) {
  std::vector<unsigned> out;
  if (text.empty()) return out;
  for (;;) {
    const auto colon = text.find(':');
    const std::string_view g = text.substr(0, colon);
    if (colon == std::string_view::npos && last && g.find('.') != std::string_view::npos) {
      const auto v4 = ipv4_groups(g);
      if (!v4) return std::nullopt;
      out.push_back((*v4)[0]);
      out.push_back((*v4)[1]);
      return out;
    }
    const auto v = hex_group(g);
    if (!v) return std::nullopt;
    out.push_back(*v);
    if (colon == std::string_view::npos) return out;
    text.remove_prefix(colon + 1);
  }
}

// The eight groups of an IPv6 address in text form (RFC 4291 §2.2), or nullopt.
std::optional<std::array<unsigned, 8>> ipv6_groups(std::string_view text) {
  if (const auto zone = text.find('%'); zone != std::string_view::npos) text = text.substr(0, zone);
  const auto gap = text.find("::");
  std::vector<unsigned> head, tail;
  if (gap == std::string_view::npos) {
    auto all = groups_of(text, true);
    if (!all || all->size() != 8) return std::nullopt;
    head = std::move(*all);
  } else {
    if (text.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
    auto h = groups_of(text.substr(0, gap), false);
    auto t = groups_of(text.substr(gap + 2), true);
    if (!h || !t || h->size() + t->size() > 7) return std::nullopt;
    head = std::move(*h);
    tail = std::move(*t);
  }
  std::array<unsigned, 8> g{};
  std::copy(head.begin(), head.end(), g.begin());
  std::copy(tail.begin(), tail.end(), g.end() - static_cast<long>(tail.size()));
  return g;
}

std::string hex(unsigned v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[v & 0xf]);
    v >>= 4;
  } while (v != 0);
  return s;
}

}  // namespace

std::string address_key(std::string_view address) {
  if (address.find(':') == std::string_view::npos) return std::string(address);
  const auto g = ipv6_groups(address);
  if (!g) return std::string(address);
  if (g->at(0) == 0 && g->at(1) == 0 && g->at(2) == 0 && g->at(3) == 0 && g->at(4) == 0 &&
      g->at(5) == 0xffff) {  // an IPv4-mapped address is that IPv4 client
    return std::to_string(g->at(6) >> 8) + "." + std::to_string(g->at(6) & 0xff) + "." +
           std::to_string(g->at(7) >> 8) + "." + std::to_string(g->at(7) & 0xff);
  }
  return hex(g->at(0)) + ":" + hex(g->at(1)) + ":" + hex(g->at(2)) + ":" + hex(g->at(3)) + "::/64";
}

}  // namespace freshlane::core
