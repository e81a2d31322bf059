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
