// Token buckets (issue 14): a burst, then the refill rate; the wait they report is the real one;
// memory stays bounded however many keys come; several threads never spend more than the
// budget.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "freshlane/core/rate_limit.hpp"

using freshlane::core::address_key;
using freshlane::core::RateLimiter;
using freshlane::core::RateRule;
using namespace std::chrono_literals;

namespace {
const RateLimiter::Clock::time_point t0{};

int passed(RateLimiter& l, const std::string& key, int tries, RateLimiter::Clock::time_point at) {
  int n = 0;
  for (int i = 0; i < tries; ++i) n += l.take(key, at).allowed ? 1 : 0;
  return n;
}
}  // namespace

TEST(RateLimiter, ABurstThenRefusedWithTheRealWait) {
  RateLimiter l(RateRule{10, 20});  // a token every 6 s, 20 at once
  EXPECT_EQ(passed(l, "a", 20, t0), 20);
  const auto refused = l.take("a", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 6s);  // the next token comes back 6 s later
  EXPECT_FALSE(l.take("a", t0 + 5999ms).allowed);
  EXPECT_EQ(l.take("a", t0 + 5999ms).retry_after, 1s);  // whole seconds, rounded up
  // Waiting exactly what Retry-After said is enough, and gives exactly one token.
  EXPECT_TRUE(l.take("a", t0 + refused.retry_after).allowed);
  EXPECT_FALSE(l.take("a", t0 + refused.retry_after).allowed);
  EXPECT_EQ(l.refused(), 4u);
}

TEST(RateLimiter, RefillsAtItsRateAndNeverBeyondTheBurst) {
  RateLimiter l(RateRule{60, 5});  // one a second, five at once
  EXPECT_EQ(passed(l, "a", 5, t0), 5);
  EXPECT_EQ(passed(l, "a", 5, t0 + 3s), 3);    // three came back in three seconds
  EXPECT_EQ(passed(l, "a", 100, t0 + 1h), 5);  // an hour idle: the burst again, no more
  // A refused request takes nothing: knocking while refused does not push the wait further.
  for (int i = 0; i < 50; ++i) l.take("a", t0 + 1h);
  EXPECT_EQ(l.take("a", t0 + 1h).retry_after, 1s);
  EXPECT_TRUE(l.take("a", t0 + 1h + 1s).allowed);
}

TEST(RateLimiter, KeysAreIndependent) {
  RateLimiter l(RateRule{1, 1});
  EXPECT_TRUE(l.take("a", t0).allowed);
  EXPECT_FALSE(l.take("a", t0).allowed);
  EXPECT_EQ(l.take("a", t0).retry_after, 60s);
  EXPECT_TRUE(l.take("b", t0).allowed);
}

TEST(RateLimiter, CheckSaysWhatTakeWouldWithoutTaking) {
  RateLimiter l(RateRule{20, 2});
  EXPECT_TRUE(l.check("a", t0).allowed);  // unknown: full
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(l.check("a", t0).allowed);
  EXPECT_EQ(l.keys(), 0u);  // checking remembers nothing
  EXPECT_TRUE(l.take("a", t0).allowed);
  EXPECT_TRUE(l.take("a", t0).allowed);
  const auto v = l.check("a", t0);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.retry_after, 3s);
  EXPECT_TRUE(l.check("a", t0 + 3s).allowed);
}

TEST(RateLimiter, ZeroPerMinuteIsNoLimit) {
  RateLimiter l(RateRule{0, 1});
  EXPECT_FALSE(l.enabled());
  EXPECT_EQ(passed(l, "a", 10'000, t0), 10'000);
  EXPECT_EQ(l.keys(), 0u);
}

TEST(RateLimiter, MemoryStaysBoundedAndTheOldestKeyIsForgotten) {
  RateLimiter l(RateRule{1, 1}, 1600);  // 100 keys in each of its 16 shards
  for (int i = 0; i < 100'000; ++i) l.take("10.0." + std::to_string(i), t0);
  EXPECT_LE(l.keys(), 1600u);
  EXPECT_GE(l.forgotten(), 100'000u - 1600u);
  // The most recent keys are still held to their budget; a forgotten one starts afresh.
  EXPECT_FALSE(l.take("10.0.99999", t0).allowed);
  EXPECT_TRUE(l.take("10.0.0", t0).allowed);
}

TEST(RateLimiter, AKeyInUseIsNotTheOneForgotten) {
  RateLimiter l(RateRule{1, 1}, 160);  // 10 keys in each shard
  EXPECT_TRUE(l.take("busy", t0).allowed);
  for (int i = 0; i < 5000; ++i) {
    l.take("k" + std::to_string(i), t0);
    EXPECT_FALSE(l.take("busy", t0).allowed);  // still remembered: still refused
  }
  EXPECT_LE(l.keys(), 160u);
}

TEST(RateLimiter, ThreadsTogetherNeverSpendMoreThanTheBudget) {
  RateLimiter l(RateRule{1, 100});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) allowed += l.take("shared", t0).allowed ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed, 100);
}

TEST(AddressKey, Ipv4AsItIsIpv6ByItsSlash64) {
  EXPECT_EQ(address_key("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:0DB8:0001:0002::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:db8:1:2::ffff"), address_key("2001:db8:1:2:1:2:3:4"));
  EXPECT_NE(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
  EXPECT_EQ(address_key("2001:db8::1"), "2001:db8:0:0::/64");
  EXPECT_EQ(address_key("::1"), "0:0:0:0::/64");
  EXPECT_EQ(address_key("fe80::1%eth0"), "fe80:0:0:0::/64");
  EXPECT_EQ(address_key("::ffff:198.51.100.9"), "198.51.100.9");  // IPv4-mapped
  EXPECT_EQ(address_key("64:ff9b::192.0.2.1"), "64:ff9b:0:0::/64");
  // Not an address: kept as it is (still a key of its own).
  EXPECT_EQ(address_key("1::2::3"), "1::2::3");
  EXPECT_EQ(address_key("12345::"), "12345::");
  EXPECT_EQ(address_key(""), "");
}
