#include "freshlane/core/geo.hpp"

#include <gtest/gtest.h>

#include <cmath>

using freshlane::core::distance_m;
using freshlane::core::LatLon;

TEST(Distance, ZeroForTheSamePoint) {
  EXPECT_DOUBLE_EQ(distance_m({31.2, 121.5}, {31.2, 121.5}), 0);
}

TEST(Distance, KnownCityPairsWithinHalfAPercent) {
  // Reference great-circle distances (ellipsoidal, Vincenty).
  const LatLon shanghai_peoples_square{31.2304, 121.4737};
  const LatLon beijing_tiananmen{39.9042, 116.4074};
  EXPECT_NEAR(distance_m(shanghai_peoples_square, beijing_tiananmen), 1067000, 1067000 * 0.005);
  const LatLon london{51.5074, -0.1278};
  const LatLon paris{48.8566, 2.3522};
  EXPECT_NEAR(distance_m(london, paris), 343500, 343500 * 0.005);
}

TEST(Distance, ThreeKilometresAcrossPudongIsAboutThreeKilometres) {
  // 0.027 degrees of latitude is ~3,000 m anywhere.
  EXPECT_NEAR(distance_m({31.2536, 121.5907}, {31.2536 + 0.02698, 121.5907}), 3000, 5);
}

TEST(Distance, IsSymmetric) {
  const LatLon a{31.19, 121.43}, b{31.25, 121.59};
  EXPECT_DOUBLE_EQ(distance_m(a, b), distance_m(b, a));
}
