// Recent: a few seconds' memory of rows; forgetting wins over a read that began before it.
#include "freshlane/api/recent.hpp"

#include <gtest/gtest.h>

namespace freshlane::api {
namespace {

using Clock = Recent<int>::Clock;

TEST(Recent, RemembersUntilItsTimeToLiveAndForgetsOnRequest) {
  Recent<int> r(std::chrono::seconds(10));
  const auto t0 = Clock::now();
  r.put("a", 1, t0);
  EXPECT_EQ(r.get("a", t0 + std::chrono::seconds(9)), 1);
  EXPECT_FALSE(r.get("a", t0 + std::chrono::seconds(10)));
  r.put("a", 2, t0);
  r.forget("a");
  EXPECT_FALSE(r.get("a", t0));
}

TEST(Recent, AReadThatBeganBeforeAForgetIsNotRemembered) {
  Recent<int> r(std::chrono::seconds(10));
  const auto t0 = Clock::now();
  const auto before = r.generation();  // a lookup starts: the token is valid in the database
  r.forget("token");                   // meanwhile it is revoked (and forgotten)
  r.put("token", 7, t0, before);       // the lookup's answer comes back: dropped
  EXPECT_FALSE(r.get("token", t0));
  r.put("token", 8, t0, r.generation());  // a lookup after the revocation is remembered
  EXPECT_EQ(r.get("token", t0), 8);
}

}  // namespace
}  // namespace freshlane::api
