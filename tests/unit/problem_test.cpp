#include "freshlane/http/problem.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace freshlane;

TEST(Problem, RendersRfc9457WithStableCode) {
  const auto r = http::problem(core::ErrorKind::kNotFound, "no store x");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["code"], "not_found");
  EXPECT_EQ(j["detail"], "no store x");
  EXPECT_TRUE(j["type"].is_string());
  EXPECT_TRUE(j["title"].is_string());
}

TEST(Problem, ValidationErrorsListEveryField) {
  const core::Error e(
      core::ErrorKind::kValidationFailed, "bad",
      {{"lines[0].quantity", "must be between 1 and 999"}, {"name", "is required"}});
  const auto j = nlohmann::json::parse(http::problem(e).body);
  ASSERT_EQ(j["errors"].size(), 2u);
  EXPECT_EQ(j["errors"][0]["field"], "lines[0].quantity");
  EXPECT_EQ(j["errors"][1]["message"], "is required");
}

TEST(Problem, OverloadCarriesRetryAfter) {
  for (auto kind : {core::ErrorKind::kUnavailable, core::ErrorKind::kRateLimited,
                    core::ErrorKind::kTooManyPendingOrders}) {
    const auto r = http::problem(kind, "busy");
    bool found = false;
    for (const auto& [k, v] : r.headers) found = found || (k == "Retry-After" && v == "1");
    EXPECT_TRUE(found);
  }
}

TEST(Problem, RetryAfterCanBeTheCallersOwn) {
  const auto r = http::problem(core::ErrorKind::kStoreBusy, "busy", nullptr, 420);
  std::vector<std::string> values;
  for (const auto& [k, v] : r.headers) {
    if (k == "Retry-After") values.push_back(v);
  }
  EXPECT_EQ(values, std::vector<std::string>{"420"});  // replaced, not added twice
  const auto by_default = http::problem(core::ErrorKind::kStoreBusy, "busy");
  EXPECT_TRUE(std::any_of(by_default.headers.begin(), by_default.headers.end(), [](const auto& h) {
    return h.first == "Retry-After" && h.second == "60";
  }));
}

TEST(Problem, ExtensionMembersAreAdded) {
  const auto j = nlohmann::json::parse(
      http::problem(core::ErrorKind::kConflict, "x", {{"distance_m", 3200}}).body);
  EXPECT_EQ(j["distance_m"], 3200);
}

TEST(Problem, ExtensionsCannotReplaceStandardMembers) {
  const auto j = nlohmann::json::parse(
      http::problem(core::ErrorKind::kInvalidTransition, "x", {{"status", "cancelled"}}).body);
  EXPECT_EQ(j["status"], 409);
}

TEST(Problem, InstanceIsTheRequestIdAsAUrn) {
  auto r = http::problem(core::ErrorKind::kNotFound, "no store x");
  http::add_instance(r, "0123abcd");
  EXPECT_EQ(nlohmann::json::parse(r.body)["instance"], "urn:request:0123abcd");
  // Characters a URI does not allow are percent-encoded; an instance already set is kept.
  EXPECT_EQ(http::problem_instance("a b\"<%>#?/x"), "urn:request:a%20b%22%3C%25%3E%23%3F/x");
  http::add_instance(r, "other");
  EXPECT_EQ(nlohmann::json::parse(r.body)["instance"], "urn:request:0123abcd");
  // A detail that quotes the member's text is only text: the instance is still added, once, and
  // the body stays one valid object with every member it had.
  auto tricky = http::problem(core::ErrorKind::kValidationFailed, R"("instance":"urn:x")",
                              {{"lines", {{{"sku", "A"}}}}});
  http::add_instance(tricky, "r\"1");
  const auto t = nlohmann::json::parse(tricky.body);
  EXPECT_EQ(t["instance"], "urn:request:r%221");
  EXPECT_EQ(t["detail"], R"("instance":"urn:x")");
  EXPECT_EQ(t["lines"][0]["sku"], "A");
  EXPECT_EQ(t.size(), 7u);
  // Answers that are not problems pass untouched.
  auto ok = http::Response::json(200, R"({"status":"ok"})");
  http::add_instance(ok, "0123abcd");
  EXPECT_EQ(ok.body, R"({"status":"ok"})");
}
