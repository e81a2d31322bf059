// The honest quote and live ETAs (store/desk, store/promise, dispatch/eta): every admitted order
// and who is on shift count; a stop's ETA moves with its courier; an order that will miss its
// promise is late as soon as the load says so.
#include <gtest/gtest.h>

#include <numbers>

#include "freshlane/dispatch/eta.hpp"
#include "freshlane/store/desk.hpp"
#include "freshlane/store/promise.hpp"

namespace {

using namespace freshlane;
using std::chrono::minutes;
using std::chrono::seconds;

const core::LatLon kStore{31.2536, 121.5907};
const core::Timestamp kNow{seconds{1'800'000'000}};

core::LatLon north(double metres) {
  return {kStore.lat + metres / (core::kEarthRadiusM * std::numbers::pi / 180.0), kStore.lon};
}

catalog::Store shop(int promise_minutes = 30) {
  catalog::Store s;
  s.store_id = "s1";
  s.location = kStore;
  s.promise_minutes = promise_minutes;
  return s;
}

store::CourierOnShift idle(std::string id) {
  store::CourierOnShift c;
  c.courier_id = std::move(id);
  c.clocked_in_at = kNow - minutes{60};
  return c;
}

store::CourierOnShift on_trip(std::string id, const char* state, core::Timestamp departs,
                              core::Timestamp back) {
  auto c = idle(std::move(id));
  c.trip_id = "trp_1";
  c.trip_state = state;
  c.departs_at = departs;
  c.returns_at = back;
  return c;
}

// A floor with the default layout, `pickers` clocked in to produce, and one 3-unit produce bag
// for each order in `paid` (paid one minute apart, in that order).
picking::Engine floor_with(int pickers, const std::vector<std::string>& paid = {}) {
  picking::Engine e;
  for (int i = 0; i < pickers; ++i) e.clock_in("p" + std::to_string(i), "produce", kNow);
  for (size_t i = 0; i < paid.size(); ++i) {
    const auto at = kNow - minutes{static_cast<int>(paid.size() - i)};
    e.add_tasks(picking::split_order(paid[i], {{0, "APPLE", 3, "produce", "apple", "A1"}}, at,
                                     seconds{600}));
  }
  e.take_events();
  return e;
}

// Riding time to the point `metres` north, as the ETAs compute it (from the great circle).
seconds ride_to(double metres) {
  return dispatch::ride_time(core::distance_m(kStore, north(metres)), dispatch::Params{});
}

dispatch::Parcel parcel(std::string id, double metres, minutes promise_in) {
  return {std::move(id), north(metres), kNow, kNow + promise_in};
}

const store::LiveEta& eta_of(const std::vector<store::LiveEta>& etas, const std::string& id) {
  for (const auto& e : etas) {
    if (e.order_id == id) return e;
  }
  throw std::runtime_error("no ETA for " + id);
}

const dispatch::Params kParams{};
const store::QuoteParams kQuote{};

// ---- the quote -----------------------------------------------------------------------------

TEST(HonestQuote, NobodyToPickIsBusyWithoutAnEta) {
  dispatch::StoreLoad load;
  load.pick = seconds{90};
  load.courier_wait = seconds{0};  // a courier waits at the store
  load.pickers_on_shift = 0;
  const auto q = dispatch::quote(shop(), north(500), load, kParams);
  EXPECT_FALSE(q.deliverable);
  EXPECT_EQ(q.reason, dispatch::QuoteReason::kStoreBusy);
  EXPECT_EQ(q.busy, dispatch::Busy::kNoPicker);
  EXPECT_FALSE(q.eta_minutes);
  EXPECT_EQ(q.retry_after, seconds{300});
  load.pickers_on_shift = 1;
  EXPECT_TRUE(dispatch::quote(shop(), north(500), load, kParams).deliverable);
}

TEST(HonestQuote, AdmittedOrdersNotYetPackedWaitForCouriersLikePackedOnes) {
  const auto floor = floor_with(1);
  store::DeskInput in{shop(), {}, {idle("c1")}, 0, {}, {}};
  const auto idle_store = store::load_of(floor, in, kNow, kParams, kQuote);
  EXPECT_EQ(idle_store.courier_wait, seconds{0});
  in.unpacked_delivery = 6;  // placed or paid, not packed yet: two trips of the one courier
  const auto busy = store::load_of(floor, in, kNow, kParams, kQuote);
  ASSERT_TRUE(busy.courier_wait);
  EXPECT_GT(*busy.courier_wait, minutes{20});
  EXPECT_GT(dispatch::estimate(500, busy, kParams).minutes(), 30);
  // The same orders once packed: the same wait.
  store::DeskInput packed{shop(), {}, {idle("c1")}, 0, {}, {}};
  for (int i = 0; i < 6; ++i)
    packed.parcels.push_back(parcel("o" + std::to_string(i), 500, minutes{30}));
  EXPECT_EQ(store::load_of(floor, packed, kNow, kParams, kQuote).courier_wait, busy.courier_wait);
}

TEST(HonestQuote, ACourierIsBackAsLateAsTheTripReallyRuns) {
  // Bags not taken five minutes past the trip's departure: the whole trip is five minutes later.
  EXPECT_EQ(on_trip("c1", "assigned", kNow - minutes{5}, kNow + minutes{10}).available_at(kNow),
            kNow + minutes{15});
  EXPECT_EQ(on_trip("c1", "assigned", kNow + minutes{2}, kNow + minutes{10}).available_at(kNow),
            kNow + minutes{10});
  // En route past its return time: not back before now.
  EXPECT_EQ(on_trip("c1", "en_route", kNow - minutes{20}, kNow - minutes{1}).available_at(kNow),
            kNow);
  EXPECT_EQ(idle("c1").available_at(kNow), kNow);
}

// ---- live ETAs -----------------------------------------------------------------------------

TEST(LiveEta, APlannedStopMovesOnWhileItsBagsWaitAndNeverLiesInThePast) {
  const store::StopOnTrip waiting{"o1", kNow + minutes{30}, kNow + minutes{10}, false,
                                  kNow - minutes{3}};
  EXPECT_EQ(store::live_stop_eta(waiting, kNow), kNow + minutes{13});
  const store::StopOnTrip on_time{"o1", kNow + minutes{30}, kNow + minutes{10}, false,
                                  kNow + minutes{1}};
  EXPECT_EQ(store::live_stop_eta(on_time, kNow), kNow + minutes{10});
  const store::StopOnTrip overdue{"o1", kNow + minutes{30}, kNow - minutes{2}, true,
                                  kNow - minutes{20}};
  EXPECT_EQ(store::live_stop_eta(overdue, kNow), kNow);
}

TEST(LiveEta, AParcelWaitingForTheOnlyCourierIsLateLongBeforeItsPromise) {
  const auto floor = floor_with(1);
  store::DeskInput in{shop(),
                      {parcel("o1", 1000, minutes{20})},
                      {on_trip("c1", "en_route", kNow - minutes{5}, kNow + minutes{25})},
                      0,
                      {},
                      {{"o0", kNow + minutes{15}, kNow + minutes{10}, true, kNow - minutes{5}}}};
  const auto etas = store::live_etas(floor, in, kNow, kParams, kQuote);
  ASSERT_EQ(etas.size(), 2u);
  const auto& waiting = eta_of(etas, "o1");
  ASSERT_TRUE(waiting.eta);
  EXPECT_EQ(*waiting.eta, kNow + minutes{25} + kParams.pickup_time + ride_to(1000));
  EXPECT_TRUE(waiting.late());
  EXPECT_FALSE(eta_of(etas, "o0").late());  // on its trip, on time
}

TEST(LiveEta, NobodyOnShiftToRideOrPickMeansNoEtaAndLate) {
  store::DeskInput no_courier{shop(), {parcel("o1", 500, minutes{30})}, {}, 0, {}, {}};
  const auto etas = store::live_etas(floor_with(1), no_courier, kNow, kParams, kQuote);
  EXPECT_FALSE(eta_of(etas, "o1").eta);
  EXPECT_TRUE(eta_of(etas, "o1").late());

  store::DeskInput no_picker{
      shop(),
      {},
      {idle("c1")},
      1,
      {{"o2", store::ComingOrder::Stage::kPaid, north(500), kNow + minutes{30}, std::nullopt}},
      {}};
  const auto unpicked = store::live_etas(floor_with(0, {"o2"}), no_picker, kNow, kParams, kQuote);
  EXPECT_FALSE(eta_of(unpicked, "o2").eta);
  EXPECT_TRUE(eta_of(unpicked, "o2").late());
  const auto picked = store::live_etas(floor_with(1, {"o2"}), no_picker, kNow, kParams, kQuote);
  ASSERT_TRUE(eta_of(picked, "o2").eta);
  EXPECT_FALSE(eta_of(picked, "o2").late());
}

TEST(LiveEta, PaidOrdersQueueBehindTheBagsDueBeforeThem) {
  const auto floor = floor_with(1, {"a", "b"});  // a paid first: its bag is due first
  store::DeskInput in{
      shop(),
      {},
      {idle("c1"), idle("c2")},
      2,
      {{"a", store::ComingOrder::Stage::kPaid, north(500), kNow + minutes{29}, std::nullopt},
       {"b", store::ComingOrder::Stage::kPaid, north(500), kNow + minutes{30}, std::nullopt}},
      {}};
  const auto etas = store::live_etas(floor, in, kNow, kParams, kQuote);
  const auto bag = seconds{60 + 3 * 10};  // the layout's per-task and per-unit times
  ASSERT_TRUE(eta_of(etas, "a").eta && eta_of(etas, "b").eta);
  EXPECT_EQ(*eta_of(etas, "a").eta, kNow + bag + seconds{90} /* the slowest lane */ +
                                        kQuote.packing + kParams.pickup_time + ride_to(500));
  EXPECT_EQ(*eta_of(etas, "b").eta - *eta_of(etas, "a").eta, bag);  // a's bag is picked first
}

TEST(LiveEta, OneCourierTakesWhatIsReadyByTheTimeItLeavesUpToAFullTrip) {
  store::DeskInput in{shop(), {}, {idle("c1")}, 0, {}, {}};
  for (int i = 0; i < 4; ++i) {
    in.parcels.push_back(parcel("o" + std::to_string(i), 400.0 * (i + 1), minutes{30 + i}));
  }
  const auto etas = store::live_etas(floor_with(1), in, kNow, kParams, kQuote);
  for (int i = 0; i < 3; ++i) {  // the first trip: leaves now
    EXPECT_EQ(*etas[i].eta, kNow + kParams.pickup_time + ride_to(400.0 * (i + 1)));
  }
  // The fourth waits for the courier to ride to the farthest door of the first trip and back.
  const auto back = kNow + kParams.pickup_time + 3 * kParams.handover_time + 2 * ride_to(1200);
  EXPECT_EQ(*etas[3].eta, back + kParams.pickup_time + ride_to(1600));
}

TEST(LiveEta, HeldAndReturningOrdersLeaveNoEarlierThanTheirTime) {
  store::DeskInput in{shop(),
                      {},
                      {idle("c1"), idle("c2")},
                      2,
                      {{"held", store::ComingOrder::Stage::kHeld, north(500), kNow + minutes{90},
                        kNow + minutes{60}},
                       {"back", store::ComingOrder::Stage::kReturning, north(500),
                        kNow + minutes{30}, kNow + minutes{8}}},
                      {}};
  const auto etas = store::live_etas(floor_with(1), in, kNow, kParams, kQuote);
  const auto ride = kParams.pickup_time + ride_to(500);
  EXPECT_EQ(*eta_of(etas, "held").eta, kNow + minutes{60} + ride);
  EXPECT_EQ(*eta_of(etas, "back").eta, kNow + minutes{8} + ride);
  EXPECT_FALSE(eta_of(etas, "held").late());
}

}  // namespace
