#include "api/json_body.hpp"

#include <gtest/gtest.h>

using namespace freshlane;
using namespace freshlane::api;

namespace {
std::vector<core::FieldError> errors_of(const std::string& body,
                                        const std::function<void(BodyReader&)>& read) {
  try {
    BodyReader r(body);
    read(r);
    r.finish();
  } catch (const core::Error& e) {
    return e.field_errors();
  }
  return {};
}
}  // namespace

TEST(BodyReader, MalformedJsonIsItsOwnError) {
  try {
    BodyReader r("{\"name\":");
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_EQ(e.kind(), core::ErrorKind::kMalformedJson);
  }
}

TEST(BodyReader, NonObjectBodyIsAValidationError) {
  try {
    BodyReader r("[1,2]");
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_EQ(e.kind(), core::ErrorKind::kValidationFailed);
  }
}

TEST(BodyReader, ReportsEveryProblemWithItsPath) {
  const auto errors =
      errors_of(R"({"name": 5, "quantity": 1.5, "extra": true})", [](BodyReader& r) {
        r.string("name", Need::kRequired);
        r.integer("quantity", Need::kRequired, 1, 999);
        r.number("lat", Need::kRequired, -90, 90);
      });
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0], (core::FieldError{"name", "must be a string"}));
  EXPECT_EQ(errors[1], (core::FieldError{"quantity", "must be an integer"}));
  EXPECT_EQ(errors[2], (core::FieldError{"lat", "is required"}));
  EXPECT_EQ(errors[3], (core::FieldError{"extra", "is not a known member"}));
}

TEST(BodyReader, NestedArraysNameTheirElements) {
  const auto errors = errors_of(
      R"({"lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 0, "price": 1}]})",
      [](BodyReader& r) {
        r.objects("lines", Need::kRequired, 100, [](ObjectReader& line) {
          line.string("sku", Need::kRequired);
          line.integer("quantity", Need::kRequired, 1, 999);
        });
      });
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "lines[1].quantity");
  EXPECT_EQ(errors[1].field, "lines[1].price");
}

TEST(BodyReader, LengthsCountCharactersNotBytes) {
  EXPECT_TRUE(errors_of(R"({"name": "帝王蟹"})", [](BodyReader& r) {
                r.string("name", Need::kRequired, 1, 3);
              }).empty());
  EXPECT_FALSE(errors_of(R"({"name": "帝王蟹蟹"})", [](BodyReader& r) {
                 r.string("name", Need::kRequired, 1, 3);
               }).empty());
}

TEST(BodyReader, HugeIntegersAreOutOfRangeNotWrapped) {
  const auto errors = errors_of(R"({"quantity": 18446744073709551615})", [](BodyReader& r) {
    r.integer("quantity", Need::kRequired, 1, 999);
  });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, "quantity");
}

TEST(BodyReader, OptionalNullIsAbsent) {
  EXPECT_TRUE(errors_of(R"({"store_id": null})", [](BodyReader& r) {
                EXPECT_FALSE(r.string("store_id", Need::kOptional));
              }).empty());
}

namespace {
core::Error error_of(const std::string& body, const std::function<void(BodyReader&)>& read = {}) {
  try {
    BodyReader r(body);
    if (read) read(r);
    r.finish();
  } catch (const core::Error& e) {
    return e;
  }
  return core::Error(core::ErrorKind::kInternal, "no error");
}
}  // namespace

TEST(BodyReader, NestingDeeperThan64IsRefusedWithItsPath) {
  const std::string ok = "{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}";
  EXPECT_EQ(errors_of(ok, [](BodyReader&) {}).size(), 1u);  // "a" is not a known member
  const auto deep = error_of("{\"a\":[{\"b\":" + std::string(100, '[') + "}");
  EXPECT_EQ(deep.kind(), core::ErrorKind::kValidationFailed);
  EXPECT_EQ(deep.detail(), "the body is nested deeper than 64 levels");
  ASSERT_EQ(deep.field_errors().size(), 1u);
  EXPECT_EQ(deep.field_errors()[0].field.rfind("a[0].b[0][0]", 0), 0u);
  EXPECT_EQ(error_of(std::string(1 << 20, '[')).kind(), core::ErrorKind::kValidationFailed);
}

TEST(BodyReader, NumbersBeyondADoubleNameTheirMember) {
  const auto e = error_of(R"({"lines": [{"sku": "A"}, {"quantity": -1e400}]})");
  EXPECT_EQ(e.kind(), core::ErrorKind::kValidationFailed);
  ASSERT_EQ(e.field_errors().size(), 1u);
  EXPECT_EQ(e.field_errors()[0].field, "lines[1].quantity");
  EXPECT_EQ(error_of(R"({"price": 1e309})").field_errors()[0].field, "price");
}

TEST(BodyReader, MalformedJsonIsToldInOurWordsWithThePosition) {
  EXPECT_EQ(error_of("{\"name\":").detail(),
            "the body is not valid JSON near byte 8: unexpected end of input");
  EXPECT_EQ(error_of("{\"a\" 1}").detail(),
            "the body is not valid JSON near byte 6: unexpected '1'");
  EXPECT_EQ(error_of("{\"a\": \"\xff\"}").detail(),
            "the body is not valid JSON near byte 8: byte 0xFF is not UTF-8 here");
  EXPECT_EQ(error_of("{\"a\": \"x\ny\"}").detail(),
            "the body is not valid JSON near byte 9: a string holds the control character 0x0A "
            "unescaped");
  EXPECT_EQ(error_of("  ").detail(), "the request needs a JSON body");
  for (const char* broken : {"{", "[1,]", "{\"a\":tru}", "{} {}", "{\"a\":\"\\q\"}", "nul"}) {
    const auto e = error_of(broken);
    EXPECT_EQ(e.kind(), core::ErrorKind::kMalformedJson) << broken;
    EXPECT_EQ(e.detail().find("json.exception"), std::string::npos) << e.detail();
    EXPECT_EQ(e.detail().rfind("the body is not valid JSON near byte ", 0), 0u) << e.detail();
  }
}

TEST(BodyReader, StringsHoldNoNulNorOtherControlCharacters) {
  auto read_name = [](BodyReader& r) { r.string("name", Need::kRequired); };
  auto e = errors_of(R"({"name": "a\u0000b"})", read_name);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0], (core::FieldError{"name", "must not contain U+0000"}));
  EXPECT_EQ(errors_of(R"({"name": "a\u001bb"})", read_name).size(), 1u);
  EXPECT_EQ(errors_of(R"({"name": "a\u007fb"})", read_name).size(), 1u);
  EXPECT_TRUE(errors_of(R"({"name": "line one\nline two\tand\r"})", read_name).empty());
  e = errors_of(R"({"zones": ["ok", "b\u0000d"]})",
                [](BodyReader& r) { r.strings("zones", Need::kRequired, 5); });
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].field, "zones[1]");
}

TEST(BodyReader, AtMostTwentyErrorsAreListedAndTheRestCounted) {
  std::string body = "{";
  for (int i = 0; i < 60'002; ++i) body += "\"k" + std::to_string(i) + "\":1,";
  body.back() = '}';
  const auto e = error_of(body);
  EXPECT_EQ(e.field_errors().size(), 20u);
  EXPECT_EQ(e.detail(),
            "the body has 60,002 invalid members; the first 20 are listed, and 59,982 more are "
            "not");
  const auto one = error_of(R"({"x": 1})");
  EXPECT_EQ(one.detail(), "the body has 1 invalid member");
}

TEST(BodyReader, AVeryLongKeyIsShownCut) {
  const auto e = error_of("{\"" + std::string(5000, 'k') + "\": 1}");
  ASSERT_EQ(e.field_errors().size(), 1u);
  EXPECT_LE(e.field_errors()[0].field.size(), 210u);
}

TEST(JsonMediaType, JsonAndItsSuffixAnyCaseWithAUtf8Charset) {
  for (const char* yes : {"application/json", "APPLICATION/JSON", "application/json;charset=utf-8",
                          "application/json; charset=\"UTF-8\"", "application/problem+json",
                          "application/vnd.freshlane.v1+json ; q=1", " application/json "}) {
    EXPECT_TRUE(is_json_media_type(yes)) << yes;
  }
  for (const char* no : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                         "application/json; charset=iso-8859-1", "application/+json",
                         "application/json-seq", "text/json", "", "application/xml+jsonx"}) {
    EXPECT_FALSE(is_json_media_type(no)) << no;
  }
}

TEST(JsonMediaType, OnlyABodyThatSaysItIsSomethingElseIs415) {
  http::Request req;
  req.body = "{}";
  EXPECT_NO_THROW(require_json_media_type(req));  // no Content-Type: read as JSON
  req.headers = {{"content-type", "text/plain"}};
  try {
    require_json_media_type(req);
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_EQ(e.kind(), core::ErrorKind::kUnsupportedMediaType);
  }
  req.body.clear();
  EXPECT_NO_THROW(require_json_media_type(req));  // no body, nothing to read
}
