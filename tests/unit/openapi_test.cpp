// openapi.yaml must describe every route the server registers, with the right methods.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "freshlane/api/routes.hpp"
#include "freshlane/storage/embedded_files.hpp"

using namespace freshlane;

namespace {
std::string openapi() {
  for (const auto& f : embedded_files()) {
    if (f.name == "openapi.yaml") return std::string(f.content);
  }
  return "";
}

// The lines of the `paths:` entry for `pattern` (indent 2), up to the next entry.
std::string path_block(const std::string& doc, const std::string& pattern) {
  const std::string head = "\n  " + pattern + ":\n";
  const auto start = doc.find(head);
  if (start == std::string::npos) return "";
  auto end = start + head.size();
  while (end < doc.size()) {
    const auto next = doc.find('\n', end);
    if (next == std::string::npos) break;
    if (doc.compare(next + 1, 3, "  /") == 0 || doc.compare(next + 1, 11, "components:") == 0) {
      end = next;
      break;
    }
    end = next + 1;
  }
  return doc.substr(start, end - start);
}
// Every (method, pattern) the real server registers.
std::vector<std::pair<std::string, std::string>> served_routes() {
  storage::Pool pool({"postgresql://unused@127.0.0.1:1/unused", 0});
  http::Metrics metrics;
  store::Floors floors;
  api::DispatchDesks desks(metrics, floors, dispatch::Params{}, std::chrono::seconds(120),
                           std::chrono::milliseconds(500));
  api::AnswerCache answers(std::chrono::milliseconds(500));
  api::Context ctx{pool,
                   metrics,
                   floors,
                   desks,
                   answers,
                   catalog::QrCodec("0123456789abcdef"),
                   "0123456789abcdef",
                   "0123456789abcdef"};
  http::Router router;
  api::register_routes(router, ctx);
  return router.routes();
}
}  // namespace

TEST(OpenApi, DescribesEveryRouteAndMethod) {
  const std::string doc = openapi();
  ASSERT_FALSE(doc.empty());
  const auto routes = served_routes();
  EXPECT_GE(routes.size(), 20u);
  for (const auto& [method, pattern] : routes) {
    const std::string block = path_block(doc, pattern);
    ASSERT_FALSE(block.empty()) << pattern << " is not in openapi.yaml";
    std::string lower = method;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    EXPECT_NE(block.find("\n    " + lower + ":"), std::string::npos)
        << method << " " << pattern << " is not in openapi.yaml";
  }
}

TEST(OpenApi, DescribesNoRouteTheServerLacks) {
  const auto routes = served_routes();
  const std::string doc = openapi();
  std::istringstream lines(doc);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("  /", 0) != 0 || line.back() != ':') continue;
    const std::string pattern = line.substr(2, line.size() - 3);
    EXPECT_TRUE(std::any_of(routes.begin(), routes.end(),
                            [&](const auto& r) { return r.second == pattern; }))
        << pattern << " is described but not served";
  }
}
