// openapi.yaml must describe every route the server registers, with the right methods.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "freshlane/core/error.hpp"

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

// The values of `components.schemas.Problem.properties.code.enum` (a YAML flow list).
std::set<std::string> problem_code_enum(const std::string& doc) {
  std::set<std::string> codes;
  const auto problem = doc.find("\n    Problem:\n");
  if (problem == std::string::npos) return codes;
  const auto code = doc.find("\n        code:\n", problem);
  const auto open = doc.find("enum: [", code);
  const auto close = doc.find(']', open);
  if (code == std::string::npos || open == std::string::npos || close == std::string::npos) {
    return codes;
  }
  std::string item;
  for (char c : doc.substr(open + 7, close - open - 7)) {
    if (c == ',') {
      if (!item.empty()) codes.insert(item);
      item.clear();
    } else if (c != ' ' && c != '\n' && c != '\'' && c != '"') {
      item += c;
    }
  }
  if (!item.empty()) codes.insert(item);
  return codes;
}

// Every code core::error_info gives an ErrorKind, kValidationFailed through kInternal.
std::set<std::string> server_codes() {
  std::set<std::string> codes;
  for (int k = 0; k <= static_cast<int>(core::ErrorKind::kInternal); ++k) {
    codes.insert(std::string(core::error_info(static_cast<core::ErrorKind>(k)).code));
  }
  return codes;
}
}  // namespace

TEST(OpenApi, ProblemCodeEnumListsEveryCodeTheServerSends) {
  const auto documented = problem_code_enum(openapi());
  ASSERT_FALSE(documented.empty()) << "no Problem.code enum found in openapi.yaml";
  for (const auto& code : server_codes()) {
    EXPECT_TRUE(documented.count(code))
        << code << " (core/error.cpp) is not in Problem.code's enum";
  }
}

TEST(OpenApi, ProblemCodeEnumListsNoCodeTheServerLacks) {
  const auto served = server_codes();
  for (const auto& code : problem_code_enum(openapi())) {
    EXPECT_TRUE(served.count(code))
        << code << " is in Problem.code's enum but not in core/error.cpp";
  }
}

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
