#include "freshlane/core/error.hpp"

#include <gtest/gtest.h>

#include <set>

using freshlane::core::error_info;
using freshlane::core::ErrorKind;

TEST(ErrorTable, CodesThatClientsSwitchOnAreStable) {
  EXPECT_EQ(error_info(ErrorKind::kValidationFailed).code, "validation_failed");
  EXPECT_EQ(error_info(ErrorKind::kValidationFailed).status, 400);
  EXPECT_EQ(error_info(ErrorKind::kUnauthorized).status, 401);
  EXPECT_EQ(error_info(ErrorKind::kForbidden).status, 403);
  EXPECT_EQ(error_info(ErrorKind::kNotFound).code, "not_found");
  EXPECT_EQ(error_info(ErrorKind::kMethodNotAllowed).status, 405);
  EXPECT_EQ(error_info(ErrorKind::kConflict).status, 409);
  EXPECT_EQ(error_info(ErrorKind::kPayloadTooLarge).code, "payload_too_large");
  EXPECT_EQ(error_info(ErrorKind::kPayloadTooLarge).status, 413);
  EXPECT_EQ(error_info(ErrorKind::kHeadersTooLarge).status, 431);
  EXPECT_EQ(error_info(ErrorKind::kInvalidCode).status, 400);
  EXPECT_EQ(error_info(ErrorKind::kUnknownCode).status, 404);
  EXPECT_EQ(error_info(ErrorKind::kUnknownSku).status, 422);
  EXPECT_EQ(error_info(ErrorKind::kRateLimited).status, 429);
  EXPECT_EQ(error_info(ErrorKind::kUnavailable).code, "unavailable");
  EXPECT_EQ(error_info(ErrorKind::kUnavailable).status, 503);
}

TEST(ErrorTable, EveryKindHasItsOwnCode) {
  std::set<std::string_view> codes;
  for (int k = 0; k <= static_cast<int>(ErrorKind::kInternal); ++k) {
    EXPECT_TRUE(codes.insert(error_info(static_cast<ErrorKind>(k)).code).second);
  }
}
