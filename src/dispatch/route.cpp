#include "freshlane/dispatch/route.hpp"

#include <algorithm>
#include <cmath>

namespace freshlane::dispatch {

seconds ride_time(double distance_m, const Params& p) {
  return seconds{
      static_cast<long long>(std::ceil(distance_m * p.detour_factor / p.courier_speed_mps))};
}

double path_length(LatLon start, const std::vector<LatLon>& stops, const std::vector<size_t>& order,
                   bool round_trip) {
  double total = 0;
  LatLon at = start;
  for (size_t i : order) {
    total += core::distance_m(at, stops[i]);
    at = stops[i];
  }
  if (round_trip) total += core::distance_m(at, start);
  return total;
}

std::vector<size_t> nearest_neighbour(LatLon start, const std::vector<LatLon>& stops) {
  std::vector<size_t> order;
  std::vector<bool> visited(stops.size(), false);
  LatLon at = start;
  for (size_t step = 0; step < stops.size(); ++step) {
    size_t best = stops.size();
    double best_d = 0;
    for (size_t i = 0; i < stops.size(); ++i) {
      if (visited[i]) continue;
      const double d = core::distance_m(at, stops[i]);
      if (best == stops.size() || d < best_d) {
        best = i;
        best_d = d;
      }
    }
    visited[best] = true;
    order.push_back(best);
    at = stops[best];
  }
  return order;
}

void two_opt(LatLon start, const std::vector<LatLon>& stops, std::vector<size_t>& order) {
  // The tour is start, order..., start: node 0 and node n+1 are the store.
  const size_t n = order.size();
  if (n < 2) return;
  auto node = [&](size_t k) { return (k == 0 || k == n + 1) ? start : stops[order[k - 1]]; };
  bool improved = true;
  for (int rounds = 0; improved && rounds < 100; ++rounds) {
    improved = false;
    for (size_t i = 1; i + 1 <= n; ++i) {
      for (size_t j = i + 1; j <= n; ++j) {
        // Reversing order[i-1 .. j-1] swaps edges (i-1,i),(j,j+1) for (i-1,j),(i,j+1).
        const double before =
            core::distance_m(node(i - 1), node(i)) + core::distance_m(node(j), node(j + 1));
        const double after =
            core::distance_m(node(i - 1), node(j)) + core::distance_m(node(i), node(j + 1));
        if (after < before - 1e-6) {
          std::reverse(order.begin() + static_cast<long>(i - 1),
                       order.begin() + static_cast<long>(j));
          improved = true;
        }
      }
    }
  }
}

std::vector<size_t> route(LatLon start, const std::vector<LatLon>& stops) {
  auto order = nearest_neighbour(start, stops);
  two_opt(start, stops, order);
  return order;
}

std::vector<Timestamp> arrivals(LatLon start, Timestamp leaves, const std::vector<LatLon>& stops,
                                const std::vector<size_t>& order, const Params& p) {
  std::vector<Timestamp> out;
  out.reserve(order.size());
  Timestamp t = leaves;
  LatLon at = start;
  for (size_t i : order) {
    if (!out.empty()) t += p.handover_time;
    t += ride_time(core::distance_m(at, stops[i]), p);
    out.push_back(t);
    at = stops[i];
  }
  return out;
}

}  // namespace freshlane::dispatch
