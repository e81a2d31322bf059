#pragma once
// Great-circle geometry on WGS-84 coordinates (spherical Earth, mean radius).

namespace freshlane::core {

struct LatLon {
  double lat = 0;
  double lon = 0;
};

inline constexpr double kEarthRadiusM = 6371008.8;  // IUGG mean radius

// Haversine distance in metres; accurate to ~0.5% against the ellipsoid, plenty for 3 km.
double distance_m(LatLon a, LatLon b);

}  // namespace freshlane::core
