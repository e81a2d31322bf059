#include "freshlane/http/router.hpp"

#include <gtest/gtest.h>

using namespace freshlane::http;
using Outcome = Router::Match::Outcome;

namespace {
Handler tagged(std::string tag) {
  return [tag](Request&&, Responder done) { done(Response{200, "text/plain", tag, {}}); };
}
std::string run(const Router::Match& m) {
  std::string body;
  (*m.handler)(Request{}, [&](Response r) { body = r.body; });
  return body;
}

Router shop_router() {
  Router r;
  r.add("GET", "/v1/stores", tagged("list"));
  r.add("POST", "/v1/stores", tagged("create"));
  r.add("GET", "/v1/stores/{store_id}", tagged("get"));
  r.add("GET", "/v1/stores/{store_id}/products/{sku}", tagged("product"));
  r.add("PUT", "/v1/stores/{store_id}/products/{sku}", tagged("put"));
  return r;
}
}  // namespace

TEST(Router, MatchesLiteralPathsByMethod) {
  const Router r = shop_router();
  EXPECT_EQ(run(r.match("GET", "/v1/stores")), "list");
  EXPECT_EQ(run(r.match("POST", "/v1/stores")), "create");
}

TEST(Router, CapturesDecodedPathParameters) {
  const Router r = shop_router();
  const auto m = r.match("GET", "/v1/stores/sh-jinqiao/products/KING%20CRAB");
  ASSERT_EQ(m.outcome, Outcome::kFound);
  EXPECT_EQ(m.route, "/v1/stores/{store_id}/products/{sku}");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"store_id", "sh-jinqiao"}));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"sku", "KING CRAB"}));
}

TEST(Router, UnknownPathIsNotFound) {
  const Router r = shop_router();
  EXPECT_EQ(r.match("GET", "/v1/nothing").outcome, Outcome::kNotFound);
  EXPECT_EQ(r.match("GET", "/v1/stores/a/b").outcome, Outcome::kNotFound);
  EXPECT_EQ(r.match("GET", "/v1/stores/").outcome, Outcome::kNotFound);  // empty parameter
  EXPECT_EQ(r.match("GET", "").outcome, Outcome::kNotFound);
  EXPECT_EQ(r.match("GET", "relative").outcome, Outcome::kNotFound);
}

TEST(Router, KnownPathWrongMethodListsAllowedMethods) {
  const Router r = shop_router();
  const auto m = r.match("DELETE", "/v1/stores");
  EXPECT_EQ(m.outcome, Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_EQ(r.match("POST", "/v1/stores/x/products/y").allow, "GET, HEAD, PUT");
}

TEST(Router, BrokenPercentEscapeIsNotFound) {
  EXPECT_EQ(shop_router().match("GET", "/v1/stores/%zz").outcome, Outcome::kNotFound);
}

TEST(Router, HeadIsAnsweredByTheGetRoute) {
  const Router r = shop_router();
  const auto m = r.match("HEAD", "/v1/stores/jq/products/KINGCRAB");
  ASSERT_EQ(m.outcome, Outcome::kFound);
  EXPECT_EQ(m.route, "/v1/stores/{store_id}/products/{sku}");
  EXPECT_EQ(run(m), "product");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[1].second, "KINGCRAB");
  // Not where there is no GET.
  Router posts;
  posts.add("POST", "/v1/orders", tagged("create"));
  const auto none = posts.match("HEAD", "/v1/orders");
  EXPECT_EQ(none.outcome, Outcome::kMethodNotAllowed);
  EXPECT_EQ(none.allow, "POST");
}
