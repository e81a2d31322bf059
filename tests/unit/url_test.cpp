#include "freshlane/http/url.hpp"

#include <gtest/gtest.h>

using namespace freshlane::http;

TEST(PercentDecode, DecodesUtf8AndPlus) {
  EXPECT_EQ(*percent_decode("%E5%B8%9D%E7%8E%8B%E8%9F%B9", false), "帝王蟹");
  EXPECT_EQ(*percent_decode("king+crab", true), "king crab");
  EXPECT_EQ(*percent_decode("king+crab", false), "king+crab");
}

TEST(PercentDecode, RejectsBrokenEscapes) {
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_FALSE(percent_decode("%4", false));
  EXPECT_FALSE(percent_decode("%G1", false));
  EXPECT_FALSE(percent_decode("abc%", false));
}

TEST(ParseQuery, SplitsAndDecodesPairs) {
  const Fields f = parse_query("q=%E8%9F%B9&limit=2&&flag&cursor=a%2Bb");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].second, "蟹");
  EXPECT_EQ(f[1], (std::pair<std::string, std::string>{"limit", "2"}));
  EXPECT_EQ(f[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(f[3].second, "a+b");
}

TEST(Request, FindsHeadersAndQueryValues) {
  Request r;
  r.headers = {{"x-request-id", "abc"}};
  r.query_params = parse_query("lat=31.2");
  EXPECT_EQ(*r.header("x-request-id"), "abc");
  EXPECT_FALSE(r.header("authorization"));
  EXPECT_EQ(*r.query("lat"), "31.2");
  EXPECT_FALSE(r.query("lon"));
}
