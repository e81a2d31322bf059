#include "freshlane/core/time.hpp"

#include <gtest/gtest.h>

using namespace freshlane::core;

TEST(Rfc3339, FormatsUtcWithSecondsAndZ) {
  const Timestamp t{std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} +
                    std::chrono::hours{9} + std::chrono::minutes{30}};
  EXPECT_EQ(format_rfc3339(t), "2026-11-22T09:30:00Z");
}

TEST(Rfc3339, RoundTrips) {
  const auto t = parse_rfc3339("2026-11-22T09:30:05Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2026-11-22T09:30:05Z");
}

TEST(Rfc3339, AppliesOffsetsAndDropsFractions) {
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2026-11-22T17:30:00+08:00")), "2026-11-22T09:30:00Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2026-11-22T09:30:00.123456Z")), "2026-11-22T09:30:00Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2026-11-22T01:00:00-02:30")), "2026-11-22T03:30:00Z");
}

TEST(Rfc3339, RejectsWhatIsNotADateTime) {
  for (const char* bad : {"", "2026-11-22", "2026-11-22 09:30:00Z", "2026-02-30T00:00:00Z",
                          "2026-11-22T25:00:00Z", "2026-11-22T09:30:00", "2026-11-22T09:30:00Zjunk",
                          "2026-11-22T09:30:00+8:00", "tomorrow", "2026-11-22T09:30:00.Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}
