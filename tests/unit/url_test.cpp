#include "freshlane/http/url.hpp"
#include "freshlane/core/utf8.hpp"

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

TEST(Utf8, AcceptsWellFormedTextOnly) {
  EXPECT_TRUE(freshlane::core::is_utf8(""));
  EXPECT_TRUE(freshlane::core::is_utf8("king crab"));
  EXPECT_TRUE(freshlane::core::is_utf8("帝王蟹 🦀"));
  EXPECT_FALSE(freshlane::core::is_utf8("\xff"));
  EXPECT_FALSE(freshlane::core::is_utf8("\xe5\xb8"));          // cut short
  EXPECT_FALSE(freshlane::core::is_utf8("\xc0\xaf"));          // overlong "/"
  EXPECT_FALSE(freshlane::core::is_utf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(freshlane::core::is_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(freshlane::core::is_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(freshlane::core::is_utf8("\x80"));              // a continuation byte first
}

TEST(TargetProblem, RefusesWhatTheDatabaseWouldRefuseAsText) {
  EXPECT_FALSE(target_problem("/v1/stores/jq/products", "q=%E5%B8%9D&limit=2&flag"));
  EXPECT_FALSE(target_problem("/v1/stores/KING%20CRAB", ""));
  EXPECT_FALSE(target_problem("/", "a+b=c+d&&"));
  // Invalid UTF-8, a NUL or a broken escape, in the path or in a query key or value.
  EXPECT_EQ(*target_problem("/v1/orders/%FF", ""), "the path is not valid UTF-8");
  EXPECT_EQ(*target_problem("/v1/orders/\xff", ""), "the path is not valid UTF-8");
  EXPECT_EQ(*target_problem("/v1/orders/a%00b", ""), "the path contains a NUL byte");
  EXPECT_EQ(*target_problem("/v1/orders/%zz", ""), "the path has a broken percent-escape");
  EXPECT_EQ(*target_problem("/v1/stores", "q=%FF"), "the query is not valid UTF-8");
  EXPECT_EQ(*target_problem("/v1/stores", "lat=1&%FF=2"), "the query is not valid UTF-8");
  EXPECT_EQ(*target_problem("/v1/stores", "q=a%00"), "the query contains a NUL byte");
  EXPECT_EQ(*target_problem("/v1/stores", "q=%"), "the query has a broken percent-escape");
}

TEST(TraceParent, TakesTheTraceIdOfAValidHeaderOnly) {
  const std::string id = "4bf92f3577b34da6a3ce929d0e0e4736";
  EXPECT_EQ(trace_id_of("00-" + id + "-00f067aa0ba902b7-01"), id);
  EXPECT_EQ(trace_id_of(" 00-" + id + "-00f067aa0ba902b7-00 "), id);  // optional whitespace
  // A later version may carry more after the flags.
  EXPECT_EQ(trace_id_of("01-" + id + "-00f067aa0ba902b7-01-what-comes-next"), id);
  EXPECT_FALSE(trace_id_of("00-" + id + "-00f067aa0ba902b7-01-extra"));  // not in version 00
  EXPECT_FALSE(trace_id_of("ff-" + id + "-00f067aa0ba902b7-01"));        // forbidden version
  EXPECT_FALSE(trace_id_of("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(trace_id_of("00-" + id + "-0000000000000000-01"));
  EXPECT_FALSE(trace_id_of("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  // case
  EXPECT_FALSE(trace_id_of("00-" + id + "-00f067aa0ba902b7-1"));
  EXPECT_FALSE(trace_id_of("00-" + id.substr(1) + "-00f067aa0ba902b7-01"));
  EXPECT_FALSE(trace_id_of("00_" + id + "_00f067aa0ba902b7_01"));
  EXPECT_FALSE(trace_id_of("01-" + id + "-00f067aa0ba902b7-01x"));
  EXPECT_FALSE(trace_id_of(""));
}
