#include "freshlane/dispatch/dispatcher.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace freshlane::dispatch {

namespace {

constexpr double kSameWayDegrees = 45;
constexpr double kNearbyM = 1000;

// Initial bearing from a to b in degrees (0 = north), flat-earth: fine within a few km.
double bearing(LatLon a, LatLon b) {
  constexpr double kRad = std::numbers::pi / 180.0;
  const double dx = (b.lon - a.lon) * std::cos(a.lat * kRad);
  const double dy = b.lat - a.lat;
  return std::atan2(dx, dy) / kRad;
}

double angle_between(double a, double b) {
  const double d = std::fabs(a - b);
  return d > 180 ? 360 - d : d;
}

// A door in radians, with the cosine of its latitude, for far_apart().
struct Door {
  double lat, lon, cos_lat;
  explicit Door(LatLon at)
      : lat(at.lat * std::numbers::pi / 180),
        lon(at.lon * std::numbers::pi / 180),
        cos_lat(std::cos(lat)) {}
};

// Whether core::distance_m(a, b) surely exceeds `metres`, from a lower bound that needs no
// trigonometry: the haversine's arc is at least its chord, and sin x ≥ x (1 − x²/6) ≥ 0 on
// [0, √6]. A margin of a millimetre per kilometre keeps rounding on the safe side.
bool far_apart(const Door& a, const Door& b, double metres) {
  auto half = [](double angle) {  // at most sin(|angle| / 2), for |angle| up to 2π
    const double x = std::fabs(angle) / 2;
    return std::max(0.0, x * (1 - x * x / 6));
  };
  const double y = half(b.lat - a.lat), x = half(b.lon - a.lon);
  const double at_least =
      2 * core::kEarthRadiusM * std::sqrt(y * y + a.cos_lat * b.cos_lat * x * x);
  return at_least > metres * (1 + 1e-6);
}

// Lexicographic: fewer late orders, then less lateness, then shorter.
bool better(const Trip& a, const Trip& b) {
  if (a.late() != b.late()) return a.late() < b.late();
  if (a.lateness() != b.lateness()) return a.lateness() < b.lateness();
  return a.distance_m < b.distance_m;
}

Trip trip_in_order(LatLon store, const std::vector<const Parcel*>& parcels,
                   const std::vector<LatLon>& drops, const std::vector<size_t>& order,
                   Timestamp departs, const Params& p) {
  Trip t;
  t.departs_at = departs;
  const auto times = arrivals(store, departs + p.pickup_time, drops, order, p);
  for (size_t k = 0; k < order.size(); ++k) {
    const Parcel& parcel = *parcels[order[k]];
    t.stops.push_back({parcel.order_id, parcel.drop, times[k], parcel.promised_at});
  }
  t.distance_m = path_length(store, drops, order, true);
  t.returns_at = times.empty() ? departs
                               : times.back() + p.handover_time +
                                     ride_time(core::distance_m(drops[order.back()], store), p);
  return t;
}

bool urgent_first(const Parcel& a, const Parcel& b) {
  if (a.promised_at != b.promised_at) return a.promised_at < b.promised_at;
  return a.order_id < b.order_id;
}

// Optimal assignment of n rows to distinct columns among m >= n (Hungarian method, O(n²m)).
// `cost` is row-major, n × m.
std::vector<int> hungarian(const std::vector<long long>& cost, size_t n, size_t m) {
  constexpr long long kInf = std::numeric_limits<long long>::max() / 4;
  std::vector<long long> u(n + 1, 0), v(m + 1, 0), minv(m + 1);
  std::vector<size_t> match(m + 1, 0), way(m + 1, 0);
  // The columns not yet used in this row's search, in index order (ties go to the lowest), and
  // those used: each step walks only what it updates.
  std::vector<size_t> free_cols, used_cols;
  for (size_t i = 1; i <= n; ++i) {
    match[0] = i;
    size_t j0 = 0;
    std::fill(minv.begin(), minv.end(), kInf);
    free_cols.resize(m);
    for (size_t j = 1; j <= m; ++j) free_cols[j - 1] = j;
    used_cols.clear();
    do {
      used_cols.push_back(j0);
      if (j0 != 0) free_cols.erase(std::find(free_cols.begin(), free_cols.end(), j0));
      const size_t i0 = match[j0];
      const long long* row = &cost[(i0 - 1) * m] - 1;  // row[j] for columns 1..m
      const long long ui0 = u[i0];
      long long delta = kInf;
      size_t j1 = 0;
      for (const size_t j : free_cols) {
        const long long cur = row[j] - ui0 - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (const size_t j : used_cols) {
        u[match[j]] += delta;
        v[j] -= delta;
      }
      for (const size_t j : free_cols) minv[j] -= delta;
      j0 = j1;
    } while (match[j0] != 0);
    do {
      const size_t j1 = way[j0];
      match[j0] = match[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(n, -1);
  for (size_t j = 1; j <= m; ++j) {
    if (match[j] != 0) row_to_col[match[j] - 1] = static_cast<int>(j - 1);
  }
  return row_to_col;
}

}  // namespace

int Trip::late() const {
  return static_cast<int>(
      std::count_if(stops.begin(), stops.end(), [](const Stop& s) { return s.late(); }));
}

seconds Trip::lateness() const {
  seconds total{0};
  for (const auto& s : stops) {
    if (s.late()) total += s.eta - s.promised_at;
  }
  return total;
}

Timestamp alone_arrival(LatLon store, LatLon drop, Timestamp departs, const Params& p) {
  return departs + p.pickup_time + ride_time(core::distance_m(store, drop), p);
}

Trip make_trip(LatLon store, const std::vector<const Parcel*>& parcels, Timestamp departs,
               const Params& p) {
  std::vector<LatLon> drops;
  for (const auto* parcel : parcels) drops.push_back(parcel->drop);
  Trip best = trip_in_order(store, parcels, drops, route(store, drops), departs, p);
  if (best.late() > 0 && parcels.size() > 1) {
    std::vector<size_t> by_promise(parcels.size());
    for (size_t i = 0; i < by_promise.size(); ++i) by_promise[i] = i;
    std::stable_sort(by_promise.begin(), by_promise.end(),
                     [&](size_t a, size_t b) { return urgent_first(*parcels[a], *parcels[b]); });
    Trip edf = trip_in_order(store, parcels, drops, by_promise, departs, p);
    if (better(edf, best)) best = std::move(edf);
  }
  return best;
}

Trip retimed(Trip trip, Timestamp departs) {
  const auto shift = departs - trip.departs_at;
  trip.departs_at = departs;
  trip.returns_at += shift;
  for (auto& s : trip.stops) s.eta += shift;
  return trip;
}

std::vector<std::vector<size_t>> batch(LatLon store, const std::vector<Parcel>& parcels,
                                       Timestamp departs, const Params& p) {
  std::vector<size_t> by_urgency(parcels.size());
  for (size_t i = 0; i < by_urgency.size(); ++i) by_urgency[i] = i;
  std::sort(by_urgency.begin(), by_urgency.end(),
            [&](size_t a, size_t b) { return urgent_first(parcels[a], parcels[b]); });

  std::vector<bool> used(parcels.size(), false);
  std::vector<bool> on_time_alone(parcels.size());
  std::vector<double> heading(parcels.size());
  std::vector<Door> doors;
  doors.reserve(parcels.size());
  for (size_t i = 0; i < parcels.size(); ++i) {
    const Timestamp leave = std::max(departs, parcels[i].ready_at);
    on_time_alone[i] = alone_arrival(store, parcels[i].drop, leave, p) <= parcels[i].promised_at;
    heading[i] = bearing(store, parcels[i].drop);
    doors.emplace_back(parcels[i].drop);
  }

  std::vector<std::vector<size_t>> groups;
  std::vector<std::pair<double, size_t>> near;  // (distance from the seed's door, index)
  for (size_t seed : by_urgency) {
    if (used[seed]) continue;
    used[seed] = true;
    std::vector<size_t> group{seed};
    if (p.max_orders_per_trip > 1) {
      near.clear();
      for (size_t c : by_urgency) {
        // Parcels on time alone ride with each other; parcels late anyway, with each other.
        if (used[c] || on_time_alone[c] != on_time_alone[seed]) continue;
        const bool same_way = angle_between(heading[seed], heading[c]) <= kSameWayDegrees;
        if (!same_way && far_apart(doors[seed], doors[c], kNearbyM)) continue;
        const double d = core::distance_m(parcels[seed].drop, parcels[c].drop);
        if (d <= kNearbyM || same_way) near.emplace_back(d, c);
      }
      std::stable_sort(near.begin(), near.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<const Parcel*> members{&parcels[seed]};
      Timestamp leave = std::max(departs, parcels[seed].ready_at);
      for (const auto& [d, c] : near) {
        if (group.size() >= static_cast<size_t>(p.max_orders_per_trip)) break;
        members.push_back(&parcels[c]);
        const Timestamp with = std::max(leave, parcels[c].ready_at);
        const Trip trip = make_trip(store, members, with, p);
        if (!on_time_alone[seed] || trip.late() == 0) {
          group.push_back(c);
          used[c] = true;
          leave = with;
        } else {
          members.pop_back();
        }
      }
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

std::vector<int> assign(LatLon store, const std::vector<Trip>& trips,
                        const std::vector<Courier>& couriers, Timestamp now, const Params& p) {
  std::vector<int> result(trips.size(), -1);
  if (trips.empty() || couriers.empty()) return result;
  // When trips outnumber couriers, the most urgent trips compete (trips come most urgent first).
  const size_t n = std::min(trips.size(), couriers.size());
  const size_t m = couriers.size();
  constexpr long long kLate = 1'000'000'000'000LL;  // one late order outweighs any lateness
  constexpr long long kPerSecond = 100'000;         // a second late outweighs any distance
  constexpr long long kForbidden = 100'000'000'000'000'000LL;
  std::vector<long long> cost(n * m);
  std::vector<seconds> alone;  // per stop of a batch: taking the bags, then riding straight there
  for (size_t i = 0; i < n; ++i) {
    // The trip taken at `departs` is the same trip shifted (retimed()): its score is read off
    // its stops without copying it, once per run of couriers with the same departure (plan()
    // sorts them by availability, so all those waiting at the store make one run).
    const Trip& trip = trips[i];
    alone.clear();
    if (trip.stops.size() >= 2) {
      for (const auto& s : trip.stops) {
        alone.push_back(p.pickup_time + ride_time(core::distance_m(store, s.at), p));
      }
    }
    Timestamp scored_for{};
    long long score = 0;  // late orders, then lateness
    bool fair = true;     // no order of a batch late that alone would be on time
    for (size_t j = 0; j < m; ++j) {
      const Timestamp departs = std::max({now, couriers[j].available_at, trip.departs_at});
      if (j == 0 || departs != scored_for) {
        scored_for = departs;
        const auto shift = departs - trip.departs_at;
        int late = 0;
        seconds lateness{0};
        fair = true;
        for (size_t k = 0; k < trip.stops.size(); ++k) {
          const Stop& s = trip.stops[k];
          if (s.eta + shift <= s.promised_at) continue;
          ++late;
          lateness += s.eta + shift - s.promised_at;
          if (trip.stops.size() >= 2 && departs + alone[k] <= s.promised_at) fair = false;
        }
        score = late * kLate + std::min<long long>(lateness.count(), 1'000'000) * kPerSecond;
      }
      cost[i * m + j] =
          fair ? score + std::llround(trip.distance_m + couriers[j].to_store_m) : kForbidden;
    }
  }
  const auto chosen = hungarian(cost, n, m);
  for (size_t i = 0; i < n; ++i) {
    if (chosen[i] >= 0 && cost[i * m + static_cast<size_t>(chosen[i])] < kForbidden) {
      result[i] = chosen[i];
    }
  }
  return result;
}

Plan plan(LatLon store, const std::vector<Parcel>& parcels, const std::vector<Courier>& couriers,
          Timestamp now, const Params& p) {
  Plan out;
  std::vector<Courier> free;
  for (const auto& c : couriers) {
    if (c.available_at <= now + p.soon_returning) free.push_back(c);
  }
  std::sort(free.begin(), free.end(), [](const Courier& a, const Courier& b) {
    if (a.available_at != b.available_at) return a.available_at < b.available_at;
    return a.courier_id < b.courier_id;
  });
  if (free.empty()) {
    for (const auto& parcel : parcels) out.waiting.push_back(parcel.order_id);
    std::sort(out.waiting.begin(), out.waiting.end());
    return out;
  }
  const Timestamp earliest = std::max(now, free.front().available_at);
  std::vector<Trip> trips;
  for (const auto& group : batch(store, parcels, earliest, p)) {
    std::vector<const Parcel*> members;
    Timestamp departs = earliest;
    for (size_t i : group) {
      members.push_back(&parcels[i]);
      departs = std::max(departs, parcels[i].ready_at);
    }
    trips.push_back(make_trip(store, members, departs, p));
  }
  const auto chosen = assign(store, trips, free, now, p);
  for (size_t i = 0; i < trips.size(); ++i) {
    if (chosen[i] < 0) {
      for (const auto& s : trips[i].stops) out.waiting.push_back(s.order_id);
      continue;
    }
    const Courier& c = free[static_cast<size_t>(chosen[i])];
    const Timestamp departs = std::max({now, c.available_at, trips[i].departs_at});
    Trip t = retimed(std::move(trips[i]), departs);
    t.courier_id = c.courier_id;
    out.trips.push_back(std::move(t));
  }
  std::sort(out.waiting.begin(), out.waiting.end());
  return out;
}

}  // namespace freshlane::dispatch
