// The dispatch desk's round (store/desk): which packed orders leave now, and how trips are timed.
#include <gtest/gtest.h>

#include "freshlane/store/desk.hpp"

namespace freshlane::store {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const core::Timestamp kNow =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 11} + std::chrono::hours(12);
const core::LatLon kStore{31.2304, 121.4737};

// A door `north_m` north and `east_m` east of the store.
core::LatLon door(double north_m, double east_m) {
  return {kStore.lat + north_m / 111'320.0, kStore.lon + east_m / 94'900.0};
}

DeskInput input(std::vector<dispatch::Parcel> parcels) {
  DeskInput in;
  in.store.store_id = "s1";
  in.store.location = kStore;
  in.parcels = std::move(parcels);
  CourierOnShift c;
  c.courier_id = "c1";
  in.couriers = {c};
  return in;
}

TEST(Desk, ALoneParcelWithTimeToSpareWaitsForACompanion) {
  dispatch::Params p;
  const auto in = input({{"o1", door(1000, 0), kNow, kNow + minutes(25)}});
  EXPECT_TRUE(leaving_now(in, kNow, p).empty());
  EXPECT_TRUE(plan_round(in, kNow, p).trips.empty());
  // ...no longer than batch_wait after packing,
  EXPECT_EQ(leaving_now(in, kNow + p.batch_wait, p).size(), 1u);
  // ...and never when waiting would make it late riding alone.
  const auto tight = input({{"o1", door(2800, 0), kNow, kNow + minutes(14)}});
  EXPECT_EQ(leaving_now(tight, kNow, p).size(), 1u);
  // Without the rule every parcel leaves at once.
  p.batch_wait = seconds(0);
  EXPECT_EQ(leaving_now(in, kNow, p).size(), 1u);
}

TEST(Desk, ParcelsHeadingTheSameWayLeaveTogetherAtOnce) {
  dispatch::Params p;
  const auto in = input({{"o1", door(1000, 0), kNow, kNow + minutes(25)},
                         {"o2", door(1200, 100), kNow, kNow + minutes(26)}});
  EXPECT_EQ(leaving_now(in, kNow, p).size(), 2u);
  const auto plan = plan_round(in, kNow, p);
  ASSERT_EQ(plan.trips.size(), 1u);
  EXPECT_EQ(plan.trips[0].stops.size(), 2u);
}

TEST(Desk, TripsArePlannedAtASlowerRidersSpeed) {
  dispatch::Params p;
  p.batch_wait = seconds(0);
  const auto in = input({{"o1", door(2000, 0), kNow, kNow + minutes(30)}});
  const auto planned = plan_round(in, kNow, p);
  ASSERT_EQ(planned.trips.size(), 1u);
  const auto average = dispatch::alone_arrival(kStore, door(2000, 0), kNow, p);
  EXPECT_GT(planned.trips[0].stops[0].eta, average);
  p.ride_spare = 0;
  EXPECT_EQ(plan_round(in, kNow, p).trips[0].stops[0].eta, average);
}

TEST(Desk, TheQuoteCountsEveryAdmittedDeliveryOrderAheadOfTheCouriers) {
  dispatch::Params p;
  picking::Engine floor;
  floor.clock_in("k1", "chilled", kNow);
  auto in = input({});
  const auto empty = load_of(floor, in, kNow, p, {});
  in.unpacked_delivery = 6;  // paid, still being picked: each needs a courier before ours
  const auto busy = load_of(floor, in, kNow, p, {});
  ASSERT_TRUE(empty.courier_wait && busy.courier_wait);
  EXPECT_GT(*busy.courier_wait, *empty.courier_wait + minutes(30));
}

}  // namespace
}  // namespace freshlane::store
