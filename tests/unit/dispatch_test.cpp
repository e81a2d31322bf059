#include <gtest/gtest.h>

#include <algorithm>
#include <numbers>
#include <random>
#include <set>

#include "freshlane/dispatch/dispatcher.hpp"
#include "freshlane/dispatch/eta.hpp"

namespace {

using namespace freshlane;
using namespace freshlane::dispatch;
using std::chrono::minutes;

const LatLon kStore{31.2536, 121.5907};
const Timestamp kNow{std::chrono::seconds{1'800'000'000}};

// A point `metres` north of the store (haversine along a meridian is exact: R × Δφ).
LatLon north(double metres) {
  return {kStore.lat + metres / (core::kEarthRadiusM * std::numbers::pi / 180.0), kStore.lon};
}
// A point `metres` from the store at `degrees` (0 = north, 90 = east), flat-earth.
LatLon toward(double degrees, double metres) {
  const double rad = degrees * std::numbers::pi / 180.0;
  const double per_degree = core::kEarthRadiusM * std::numbers::pi / 180.0;
  return {kStore.lat + metres * std::cos(rad) / per_degree,
          kStore.lon + metres * std::sin(rad) /
                           (per_degree * std::cos(kStore.lat * std::numbers::pi / 180.0))};
}

Parcel parcel(std::string id, LatLon drop, minutes promise_in, minutes packed_ago = minutes{0}) {
  return {std::move(id), drop, kNow - packed_ago, kNow + promise_in};
}

catalog::Store store() {
  catalog::Store s;
  s.store_id = "s1";
  s.location = kStore;
  return s;
}

StoreLoad light_load() {
  StoreLoad load;
  load.pickers_on_shift = 1;  // with nobody to pick, the quote refuses (quote_test.cpp)
  load.pick = seconds{90};
  load.conveyor = seconds{60};
  load.packing = seconds{120};
  load.courier_wait = seconds{0};
  return load;
}

// ---- quote -----------------------------------------------------------------------------

TEST(Quote, RadiusEdgeIsInclusive) {
  const auto inside = quote(store(), north(2999), light_load(), Params{});
  EXPECT_TRUE(inside.deliverable);
  EXPECT_EQ(inside.distance_m, 2999);
  EXPECT_EQ(inside.reason, QuoteReason::kNone);
  ASSERT_TRUE(inside.eta_minutes);

  const auto outside = quote(store(), north(3001), light_load(), Params{});
  EXPECT_FALSE(outside.deliverable);
  EXPECT_EQ(outside.distance_m, 3001);
  EXPECT_EQ(outside.reason, QuoteReason::kOutOfRange);
  EXPECT_FALSE(outside.eta_minutes);
}

TEST(Quote, EtaAddsUpEachPart) {
  StoreLoad load = light_load();
  load.picking_backlog = seconds{600};
  load.pickers_on_shift = 2;
  load.courier_wait = seconds{45};
  Params p;
  p.courier_speed_mps = 5;
  p.detour_factor = 1.5;
  p.pickup_time = seconds{60};
  const Eta e = estimate(2000, load, p);
  EXPECT_EQ(e.queue, seconds{300});  // 600 s of bags ahead shared by two pickers
  EXPECT_EQ(e.pick, seconds{90});
  EXPECT_EQ(e.conveyor, seconds{60});
  EXPECT_EQ(e.packing, seconds{120});
  EXPECT_EQ(e.courier_wait, seconds{45});
  EXPECT_EQ(e.ride, seconds{60 + 600});  // pickup, then 2000 m × 1.5 at 5 m/s
  EXPECT_EQ(e.total(), seconds{300 + 90 + 60 + 120 + 45 + 660});
  EXPECT_EQ(e.minutes(), 22);  // 1,275 s rounded up
}

TEST(Quote, WhatLiesAheadShrinksStageByStage) {
  StoreLoad load = light_load();
  load.picking_backlog = seconds{600};
  load.courier_wait = seconds{30};
  const Eta e = estimate(1000, load, Params{});
  EXPECT_EQ(still_ahead(e, Stage::kPaid), e.total());
  EXPECT_EQ(still_ahead(e, Stage::kPicking), e.total() - seconds{600});
  EXPECT_EQ(still_ahead(e, Stage::kPacked), seconds{30} + e.ride);
}

TEST(Quote, NobodyOnShiftCountsAsOnePicker) {
  StoreLoad load = light_load();
  load.picking_backlog = seconds{600};
  load.pickers_on_shift = 0;
  EXPECT_EQ(estimate(100, load, Params{}).queue, seconds{600});
}

TEST(Quote, BeyondThePromiseTheStoreIsBusy) {
  StoreLoad load = light_load();
  load.picking_backlog = seconds{40 * 60};
  load.pickers_on_shift = 1;
  const auto q = quote(store(), north(1000), load, Params{});
  EXPECT_FALSE(q.deliverable);
  EXPECT_EQ(q.reason, QuoteReason::kStoreBusy);
  ASSERT_TRUE(q.eta_minutes);
  EXPECT_GT(*q.eta_minutes, 30);
  EXPECT_EQ(q.retry_after, std::min(seconds{900}, q.eta.total() - seconds{30 * 60}));

  StoreLoad no_courier = light_load();
  no_courier.courier_wait.reset();
  const auto none = quote(store(), north(1000), no_courier, Params{});
  EXPECT_EQ(none.reason, QuoteReason::kStoreBusy);
  EXPECT_FALSE(none.eta_minutes);
  EXPECT_EQ(none.retry_after, seconds{300});
}

TEST(Quote, CourierWaitCountsTripsAhead) {
  Params p;  // 3 orders per trip
  const std::vector<Timestamp> free{kNow + seconds{120}, kNow - seconds{10}};
  const seconds round{1800};
  EXPECT_EQ(courier_wait({}, 0, kNow, round, p), std::nullopt);
  EXPECT_EQ(courier_wait(free, 0, kNow, round, p), seconds{0});     // someone waits already
  EXPECT_EQ(courier_wait(free, 3, kNow, round, p), seconds{120});   // one trip ahead
  EXPECT_EQ(courier_wait(free, 4, kNow, round, p), seconds{1790});  // two trips: a second round
  EXPECT_EQ(courier_wait(free, 0, kNow + seconds{600}, round, p), seconds{0});
}

// ---- routes ----------------------------------------------------------------------------

TEST(Route, TwoOptNeverLengthensARoute) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> angle(0, 360), dist(100, 3000);
  for (int round = 0; round < 500; ++round) {
    std::vector<LatLon> stops;
    const int n = 2 + round % 7;
    for (int i = 0; i < n; ++i) stops.push_back(toward(angle(rng), dist(rng)));
    std::vector<size_t> order(stops.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    const double before = path_length(kStore, stops, order, true);
    two_opt(kStore, stops, order);
    EXPECT_LE(path_length(kStore, stops, order, true), before + 1e-6);
    auto sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);  // still a permutation
  }
}

TEST(Route, TwoOptUncrossesACrossedTour) {
  // A square's corners visited crosswise; 2-opt walks the perimeter.
  const std::vector<LatLon> stops{toward(0, 1000), toward(90, 1000), toward(45, 1414)};
  std::vector<size_t> crossed{0, 1, 2};
  const double before = path_length(kStore, stops, crossed, true);
  two_opt(kStore, stops, crossed);
  // The perimeter, either way round.
  EXPECT_TRUE(crossed == (std::vector<size_t>{0, 2, 1}) ||
              crossed == (std::vector<size_t>{1, 2, 0}));
  EXPECT_NEAR(path_length(kStore, stops, crossed, true), 4000, 10);
  EXPECT_GT(before, 4800);
}

TEST(Route, NearestNeighbourGoesNearestFirst) {
  const std::vector<LatLon> stops{north(2000), north(500), north(1200)};
  EXPECT_EQ(nearest_neighbour(kStore, stops), (std::vector<size_t>{1, 2, 0}));
}

// ---- batching --------------------------------------------------------------------------

TEST(Batching, SameBuildingRidesTogetherUpToTheTripLimit) {
  std::vector<Parcel> ps;
  for (int i = 0; i < 4; ++i)
    ps.push_back(parcel("o" + std::to_string(i), north(1500), minutes{30}));
  const auto groups = batch(kStore, ps, kNow, Params{});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].size(), 3u);
  EXPECT_EQ(groups[1].size(), 1u);
}

TEST(Batching, OppositeDirectionsRideApart) {
  std::vector<Parcel> ps{parcel("n", toward(0, 2000), minutes{30}),
                         parcel("s", toward(180, 2000), minutes{30})};
  EXPECT_EQ(batch(kStore, ps, kNow, Params{}).size(), 2u);
}

TEST(Batching, DoorsWithinOneKilometreRideTogetherWhateverTheirBearing) {
  // East and west of the store: opposite bearings, so only their distance can join them.
  std::vector<Parcel> close{parcel("e", toward(90, 490), minutes{30}),
                            parcel("w", toward(270, 490), minutes{30})};
  EXPECT_EQ(batch(kStore, close, kNow, Params{}).size(), 1u);
  std::vector<Parcel> apart{parcel("e", toward(90, 510), minutes{30}),
                            parcel("w", toward(270, 510), minutes{30})};
  EXPECT_EQ(batch(kStore, apart, kNow, Params{}).size(), 2u);
  // Across the antimeridian the longitudes differ by almost 360°; the doors are 200 m apart.
  const LatLon fiji{-16.5, 179.995};
  std::vector<Parcel> dateline{parcel("a", {-16.5, 179.999}, minutes{30}),
                               parcel("b", {-16.5, -179.999}, minutes{30})};
  EXPECT_EQ(batch(fiji, dateline, kNow, Params{}).size(), 1u);
}

TEST(Batching, ParcelsLateAnywayRideTogetherButNeverWithOnTimeOnes) {
  std::vector<Parcel> ps{parcel("late1", north(2500), minutes{2}),
                         parcel("late2", north(2600), minutes{3}),
                         parcel("ok", north(2400), minutes{30})};
  const auto groups = batch(kStore, ps, kNow, Params{});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], (std::vector<size_t>{0, 1}));
  EXPECT_EQ(groups[1], std::vector<size_t>{2});
}

TEST(Batching, AParcelLateEvenAloneDoesNotJoinOnTimeOnes) {
  std::vector<Parcel> ps{parcel("late", north(2500), minutes{2}),
                         parcel("ok", north(2400), minutes{30})};
  const auto groups = batch(kStore, ps, kNow, Params{});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], std::vector<size_t>{0});
}

TEST(Batching, TightPromisesKeepTheirOrdersApart) {
  // Each arrives in 14 min alone (promise 15); whichever door comes second would be late.
  std::vector<Parcel> ps{parcel("a", toward(0, 2500), minutes{15}),
                         parcel("b", toward(30, 2500), minutes{15})};
  EXPECT_EQ(batch(kStore, ps, kNow, Params{}).size(), 2u);
  // With room in the promises they ride together.
  ps[1].promised_at = kNow + minutes{30};
  EXPECT_EQ(batch(kStore, ps, kNow, Params{}).size(), 1u);
}

// The property the issue names, over many random rounds: in every planned trip, an order that
// would be on time riding alone (bags taken at the trip's departure) is on time in the trip.
TEST(Batching, NeverMakesAnOrderLateThatWouldBeOnTimeAlone) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> angle(0, 360), dist(200, 3000);
  std::uniform_int_distribution<int> promise(4, 35), count(1, 14), couriers(1, 6), back(-120, 900);
  const Params p;
  int batched = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<Parcel> ps;
    const int n = count(rng);
    for (int i = 0; i < n; ++i) {
      ps.push_back(
          parcel("o" + std::to_string(i), toward(angle(rng), dist(rng)), minutes{promise(rng)}));
    }
    std::vector<Courier> cs;
    const int m = couriers(rng);
    for (int j = 0; j < m; ++j) {
      cs.push_back({"c" + std::to_string(j), kNow + seconds{back(rng)}, 0});
    }
    const Plan plan = dispatch::plan(kStore, ps, cs, kNow, p);
    std::set<std::string> seen, used_couriers;
    for (const auto& t : plan.trips) {
      ASSERT_LE(t.stops.size(), 3u);
      ASSERT_TRUE(used_couriers.insert(t.courier_id).second) << "a courier got two trips";
      if (t.stops.size() > 1) ++batched;
      for (const auto& s : t.stops) {
        ASSERT_TRUE(seen.insert(s.order_id).second);
        if (alone_arrival(kStore, s.at, t.departs_at, p) <= s.promised_at) {
          EXPECT_LE(s.eta, s.promised_at) << "round " << round << " order " << s.order_id;
        }
      }
    }
    for (const auto& id : plan.waiting) ASSERT_TRUE(seen.insert(id).second);
    ASSERT_EQ(seen.size(), ps.size());  // every parcel is planned or waits, once
  }
  EXPECT_GT(batched, 100);  // the property was exercised on real batches
}

TEST(Plan, IsDeterministic) {
  std::vector<Parcel> ps;
  for (int i = 0; i < 12; ++i) {
    ps.push_back(parcel("o" + std::to_string(i), toward(i * 37.0, 600 + i * 200), minutes{25}));
  }
  const std::vector<Courier> cs{{"a", kNow, 0}, {"b", kNow + seconds{200}, 0}, {"c", kNow, 0}};
  const Plan one = plan(kStore, ps, cs, kNow, Params{});
  const Plan two = plan(kStore, ps, cs, kNow, Params{});
  ASSERT_EQ(one.trips.size(), two.trips.size());
  for (size_t i = 0; i < one.trips.size(); ++i) {
    EXPECT_EQ(one.trips[i].courier_id, two.trips[i].courier_id);
    ASSERT_EQ(one.trips[i].stops.size(), two.trips[i].stops.size());
    for (size_t k = 0; k < one.trips[i].stops.size(); ++k) {
      EXPECT_EQ(one.trips[i].stops[k].order_id, two.trips[i].stops[k].order_id);
    }
  }
  EXPECT_EQ(one.waiting, two.waiting);
  EXPECT_EQ(one.trips.size(), 3u);  // three couriers, three trips; the rest wait
  EXPECT_FALSE(one.waiting.empty());
}

TEST(Plan, NoCourierNoTrips) {
  const Plan p = plan(kStore, {parcel("o", north(500), minutes{30})}, {}, kNow, Params{});
  EXPECT_TRUE(p.trips.empty());
  EXPECT_EQ(p.waiting, std::vector<std::string>{"o"});
}

// ---- assignment ------------------------------------------------------------------------

Trip trip_of(const Parcel& p) { return make_trip(kStore, {&p}, kNow, Params{}); }

TEST(Assignment, PrefersFewerLateOrdersOverDistance) {
  // Courier "near" is at the store but free only in 10 minutes; "far" is free now but 2.5 km
  // out. Minimizing distance would pick "near" and the urgent order would be late.
  const Parcel urgent = parcel("urgent", north(2000), minutes{14});
  const std::vector<Courier> cs{{"near", kNow + minutes{10}, 0}, {"far", kNow, 2500}};
  const auto chosen = assign(kStore, {trip_of(urgent)}, cs, kNow, Params{});
  EXPECT_EQ(chosen, std::vector<int>{1});
}

TEST(Assignment, UrgentTripGetsTheCourierWhoIsFreeNow) {
  const Parcel urgent = parcel("urgent", toward(0, 2000), minutes{14});
  const Parcel relaxed = parcel("relaxed", toward(180, 2000), minutes{60});
  // Listed so that first-come first-served would hand the urgent trip to the later courier.
  const std::vector<Courier> cs{{"later", kNow + minutes{8}, 0}, {"now", kNow, 0}};
  const auto chosen = assign(kStore, {trip_of(urgent), trip_of(relaxed)}, cs, kNow, Params{});
  EXPECT_EQ(chosen, (std::vector<int>{1, 0}));
}

TEST(Assignment, ThenLessLatenessThenLessDistance) {
  // Late with both couriers: the one making it less late wins.
  const Parcel late = parcel("late", north(2500), minutes{5});
  const std::vector<Courier> slow{{"in10", kNow + minutes{10}, 0}, {"in3", kNow + minutes{3}, 0}};
  EXPECT_EQ(assign(kStore, {trip_of(late)}, slow, kNow, Params{}), std::vector<int>{1});
  // On time with both: the shorter ride back to the store wins.
  const Parcel easy = parcel("easy", north(500), minutes{40});
  const std::vector<Courier> both{{"x", kNow, 900}, {"y", kNow, 100}};
  EXPECT_EQ(assign(kStore, {trip_of(easy)}, both, kNow, Params{}), std::vector<int>{1});
}

TEST(Assignment, ABatchThatALaterCourierWouldMakeLateWaits) {
  // Two orders on time together only if taken now; the only courier comes in 12 minutes, when
  // riding alone one of them would still be on time. The batch must not go to that courier.
  const Parcel a = parcel("a", north(1200), minutes{25});
  const Parcel b = parcel("b", north(2600), minutes{27});
  const Trip together = make_trip(kStore, {&a, &b}, kNow, Params{});
  ASSERT_EQ(together.late(), 0);
  const std::vector<Courier> later{{"later", kNow + minutes{12}, 0}};
  const Trip then = retimed(together, kNow + minutes{12});
  const bool someone_unfair = std::any_of(then.stops.begin(), then.stops.end(), [&](const Stop& s) {
    return s.late() && alone_arrival(kStore, s.at, then.departs_at, Params{}) <= s.promised_at;
  });
  ASSERT_TRUE(someone_unfair);
  EXPECT_EQ(assign(kStore, {together}, later, kNow, Params{}), std::vector<int>{-1});
}

}  // namespace
