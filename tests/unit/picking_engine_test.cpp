// The picking engine, driven by its own clock.
#include <gtest/gtest.h>

#include "freshlane/picking/engine.hpp"

namespace freshlane::picking {
namespace {

using std::chrono::seconds;
const Timestamp t0{seconds(1'800'000'000)};

Layout small_layout() {
  Layout l;
  l.zones = {"chilled", "produce", "seafood"};
  l.lanes = {{"A", 2, seconds(60), {"chilled", "produce", "seafood"}},
             {"B", 2, seconds(30), {"chilled", "produce", "seafood"}}};
  l.pick_deadline = seconds(600);
  l.max_bags_per_trip = 3;
  l.small_task_units = 5;
  l.seconds_per_task = seconds(60);
  l.seconds_per_unit = seconds(10);
  return l;
}

PickTask task(const std::string& order, const std::string& zone, Timestamp deadline, int units = 1,
              const std::string& sku = "SKU") {
  PickTask t;
  t.task_id = order + "-" + zone;
  t.order_id = order;
  t.zone = zone;
  t.paid_at = deadline - seconds(600);
  t.deadline = deadline;
  t.lines = {PickLine{1, sku, units, 0, 0, "", ""}};
  return t;
}

std::vector<std::string> ids(const std::vector<const PickTask*>& ts) {
  std::vector<std::string> out;
  for (auto* t : ts) out.push_back(t->task_id);
  return out;
}

// Picks everything in the picker's task and finishes it.
void pick_and_finish(Engine& e, const std::string& picker, const PickTask& t, Timestamp now) {
  for (const auto& l : t.lines) {
    if (l.remaining() > 0) {
      ASSERT_EQ(e.pick(picker, t.task_id, l.sku, l.remaining(), now), Refusal::kOk);
    }
  }
  ASSERT_EQ(e.finish(picker, t.task_id, now), Refusal::kOk);
}

// Order o1 with a seafood and a produce bag, picker "s" in seafood and "p" in produce, and
// the seafood bag already finished at t0.
Engine seafood_bag_finished(const Layout& layout) {
  Engine e(layout);
  e.add_tasks({task("o1", "seafood", t0 + seconds(600)), task("o1", "produce", t0 + seconds(600))});
  e.clock_in("s", "seafood", t0);
  e.clock_in("p", "produce", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("s", t0, trip);
  pick_and_finish(e, "s", *trip[0], t0);
  return e;
}

TEST(SplitOrder, OneTaskPerZoneWithTheOrdersDeadline) {
  const auto tasks = split_order("ord_1",
                                 {{1, "CRAB", 1, "seafood", "", ""},
                                  {2, "MILK", 2, "chilled", "", ""},
                                  {3, "PRAWN", 3, "seafood", "", ""}},
                                 t0, seconds(600));
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].task_id, "ord_1-chilled");
  EXPECT_EQ(tasks[1].task_id, "ord_1-seafood");
  EXPECT_EQ(tasks[1].lines.size(), 2u);
  EXPECT_EQ(tasks[1].units(), 4);
  EXPECT_EQ(tasks[0].deadline, t0 + seconds(600));
}

TEST(PickingEngine, HandsOutTheEarliestDeadlineFirst) {
  Layout l = small_layout();
  l.max_bags_per_trip = 1;
  Engine e(l);
  e.add_tasks({task("o3", "seafood", t0 + seconds(900)), task("o1", "seafood", t0 + seconds(300)),
               task("o2", "seafood", t0 + seconds(600)), task("o4", "produce", t0 + seconds(100))});
  ASSERT_EQ(e.clock_in("p1", "seafood", t0), Refusal::kOk);
  std::vector<const PickTask*> trip;
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(e.next_tasks("p1", t0, trip), Refusal::kOk);
    ASSERT_EQ(trip.size(), 1u);
    order.push_back(trip[0]->task_id);
    pick_and_finish(e, "p1", *trip[0], t0);
  }
  // The produce task is more urgent but not in the picker's zone.
  EXPECT_EQ(order, (std::vector<std::string>{"o1-seafood", "o2-seafood", "o3-seafood"}));
  ASSERT_EQ(e.next_tasks("p1", t0, trip), Refusal::kOk);
  EXPECT_TRUE(trip.empty());
}

TEST(PickingEngine, AskingAgainReturnsTheSameTrip) {
  Engine e(small_layout());
  e.add_tasks(
      {task("o1", "seafood", t0 + seconds(300), 9), task("o2", "seafood", t0 + seconds(400), 9)});
  e.clock_in("p1", "seafood", t0);
  std::vector<const PickTask*> a, b;
  e.next_tasks("p1", t0, a);
  e.next_tasks("p1", t0 + seconds(5), b);
  EXPECT_EQ(ids(a), ids(b));
  EXPECT_EQ(ids(a), (std::vector<std::string>{"o1-seafood"}));  // 9 units: not small, alone
}

TEST(PickingEngine, BatchesSmallTasksThatStayOnTime) {
  Engine e(small_layout());
  // Each 1-unit task takes 70 s. Three fit before the first deadline at +250 s; a fourth would
  // not, and the trip is bounded at 3 bags anyway.
  e.add_tasks({task("o1", "seafood", t0 + seconds(250)), task("o2", "seafood", t0 + seconds(500)),
               task("o3", "seafood", t0 + seconds(500)), task("o4", "seafood", t0 + seconds(500))});
  e.clock_in("p1", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p1", t0, trip);
  EXPECT_EQ(ids(trip), (std::vector<std::string>{"o1-seafood", "o2-seafood", "o3-seafood"}));
}

TEST(PickingEngine, BatchingNeverMakesATaskLate) {
  Engine e(small_layout());
  // o1 alone finishes at +70 s, on time for +100 s; with o2 it would finish at +140 s: late.
  e.add_tasks({task("o1", "seafood", t0 + seconds(100)), task("o2", "seafood", t0 + seconds(900))});
  e.clock_in("p1", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p1", t0, trip);
  EXPECT_EQ(ids(trip), (std::vector<std::string>{"o1-seafood"}));

  // Property: over many random floors (some tasks late even alone), every task of a trip that
  // was on time alone stays on time when the whole trip is carried.
  std::uint32_t seed = 7;
  auto rnd = [&](int n) {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<int>((seed >> 8) % static_cast<std::uint32_t>(n));
  };
  for (int round = 0; round < 300; ++round) {
    Engine f(small_layout());
    std::vector<PickTask> ts;
    for (int i = 0; i < 8; ++i) {
      ts.push_back(
          task("r" + std::to_string(i), "seafood", t0 + seconds(30 + rnd(600)), 1 + rnd(7)));
    }
    f.add_tasks(ts);
    f.clock_in("p", "seafood", t0);
    f.next_tasks("p", t0, trip);
    ASSERT_FALSE(trip.empty());
    seconds total{0};
    for (auto* t : trip) total += f.estimate(*t);
    for (auto* t : trip) {
      const bool on_time_alone = t0 + f.estimate(*t) <= t->deadline;
      if (on_time_alone) {
        EXPECT_TRUE(t0 + total <= t->deadline) << "round " << round << " " << t->task_id;
      }
      EXPECT_LE(t->units(), trip.size() > 1 ? 5 : 100);
    }
  }
}

TEST(PickingEngine, ABehindStoreStillBatchesLateTasks) {
  // Five small tasks of one zone, all past their deadline: trips of three and two, not five
  // trips of one bag to the same shelf.
  Engine e(small_layout());
  for (int i = 1; i <= 5; ++i) {
    e.add_tasks({task("o" + std::to_string(i), "seafood", t0 - seconds(100 - i))});
  }
  e.clock_in("p", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p", t0, trip);
  EXPECT_EQ(ids(trip), (std::vector<std::string>{"o1-seafood", "o2-seafood", "o3-seafood"}));
  for (const auto* t : trip) pick_and_finish(e, "p", *t, t0 + seconds(200));
  e.next_tasks("p", t0 + seconds(200), trip);
  EXPECT_EQ(ids(trip), (std::vector<std::string>{"o4-seafood", "o5-seafood"}));
}

TEST(PickingEngine, ALateTripTakesAlongOnlyWhatStaysOnTime) {
  Engine e(small_layout());
  // At t0: o1 is late. o2 (70 s) is on time alone but not after o1: it waits. o3 (5 units,
  // 110 s) cannot be on time anyway: it joins. o4 is still on time at the trip's end (+250 s).
  // o5 is not small.
  e.add_tasks({task("o1", "seafood", t0 - seconds(10)), task("o2", "seafood", t0 + seconds(100)),
               task("o3", "seafood", t0 + seconds(105), 5),
               task("o5", "seafood", t0 + seconds(200), 6),
               task("o4", "seafood", t0 + seconds(600))});
  e.clock_in("p", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p", t0, trip);
  EXPECT_EQ(ids(trip), (std::vector<std::string>{"o1-seafood", "o3-seafood", "o4-seafood"}));
  seconds total{0};
  for (const auto* t : trip) total += e.estimate(*t);
  EXPECT_LE(t0 + total, e.task("o4-seafood")->deadline);
}

TEST(PickingEngine, AnOrdersBagsGoToOneLaneWhenItHasRoom) {
  Engine e(small_layout());
  e.add_tasks({task("o1", "seafood", t0 + seconds(600)), task("o1", "produce", t0 + seconds(600)),
               task("o2", "chilled", t0 + seconds(600))});
  e.clock_in("s", "seafood", t0);
  e.clock_in("p", "produce", t0);
  e.clock_in("c", "chilled", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("s", t0, trip);
  pick_and_finish(e, "s", *trip[0], t0);
  const std::string first_lane = e.task("o1-seafood")->lane_id;
  // Another order's bag takes the emptier lane...
  e.next_tasks("c", t0, trip);
  pick_and_finish(e, "c", *trip[0], t0);
  EXPECT_NE(e.task("o2-chilled")->lane_id, first_lane);
  // ...and o1's second bag still joins o1's lane, though both lanes now hold one bag.
  e.next_tasks("p", t0 + seconds(1), trip);
  pick_and_finish(e, "p", *trip[0], t0 + seconds(1));
  EXPECT_EQ(e.task("o1-produce")->lane_id, first_lane);
}

TEST(PickingEngine, TheOrdersLaneFullSendsTheBagToTheLaneFreeFirst) {
  Layout l = small_layout();
  l.lanes[0].capacity = 1;
  Engine e = seafood_bag_finished(l);
  std::vector<const PickTask*> trip;
  EXPECT_EQ(e.task("o1-seafood")->lane_id, "A");  // A and B both empty: layout order
  e.next_tasks("p", t0, trip);
  pick_and_finish(e, "p", *trip[0], t0);
  EXPECT_EQ(e.task("o1-produce")->lane_id, "B");  // A is full
}

TEST(PickingEngine, LanesNeverExceedCapacityAndWaitingBagsGoOutInDeadlineOrder) {
  Layout l = small_layout();
  l.lanes = {{"A", 2, seconds(60), {"seafood"}}};
  l.max_bags_per_trip = 1;
  Engine e(l);
  // Five bags for a lane of two; finished in the order o1..o5 but with deadlines reversed for
  // o3..o5, so the waiting ones must leave as o5, o4, o3.
  e.add_tasks({task("o1", "seafood", t0 + seconds(100)), task("o2", "seafood", t0 + seconds(200)),
               task("o3", "seafood", t0 + seconds(900)), task("o4", "seafood", t0 + seconds(800)),
               task("o5", "seafood", t0 + seconds(700))});
  e.clock_in("p", "seafood", t0);
  std::vector<const PickTask*> trip;
  for (const char* id : {"o1-seafood", "o2-seafood", "o5-seafood", "o4-seafood", "o3-seafood"}) {
    ASSERT_EQ(e.next_tasks("p", t0, trip), Refusal::kOk);
    ASSERT_EQ(trip[0]->task_id, id);  // EDF hands them out in this order
    pick_and_finish(e, "p", *trip[0], t0);
  }
  (void)e.take_events();
  EXPECT_EQ(e.lanes(t0)[0].in_transit, 2);
  EXPECT_EQ(ids(e.waiting_bags()),
            (std::vector<std::string>{"o5-seafood", "o4-seafood", "o3-seafood"}));
  EXPECT_EQ(e.lanes(t0)[0].next_free_at, t0 + seconds(60));

  std::vector<std::string> loaded;
  for (int s = 0; s <= 300; s += 7) {  // a coarse clock: loads still happen when slots free
    e.advance(t0 + seconds(s));
    EXPECT_LE(e.lanes(t0 + seconds(s))[0].in_transit, 2);
    for (const auto& ev : e.take_events()) {
      if (ev.kind == EventKind::kBagLoaded) {
        loaded.push_back(ev.task_id);
        EXPECT_EQ(ev.at, t0 + seconds(ev.task_id == "o3-seafood" ? 120 : 60));
      }
    }
  }
  EXPECT_EQ(loaded, (std::vector<std::string>{"o5-seafood", "o4-seafood", "o3-seafood"}));
  EXPECT_EQ(e.packing_queue().size(), 5u);
  for (const auto& p : e.packing_queue()) EXPECT_TRUE(p.ready_at.has_value());
}

TEST(PickingEngine, OrderIsReadyToPackWhenAllBagsArrived) {
  Engine e = seafood_bag_finished(small_layout());
  std::vector<const PickTask*> trip;
  e.advance(t0 + seconds(100));
  EXPECT_EQ(e.pack("o1", t0 + seconds(100)), Refusal::kNotReadyToPack);
  e.next_tasks("p", t0 + seconds(100), trip);
  pick_and_finish(e, "p", *trip[0], t0 + seconds(100));
  e.advance(t0 + seconds(159));
  EXPECT_EQ(e.pack("o1", t0 + seconds(159)), Refusal::kNotReadyToPack);
  e.advance(t0 + seconds(160));  // lane A: 60 s transit
  ASSERT_EQ(e.packing_queue().size(), 1u);
  EXPECT_EQ(e.packing_queue()[0].ready_at, t0 + seconds(160));
  EXPECT_EQ(e.pack("o1", t0 + seconds(170)), Refusal::kOk);
  EXPECT_EQ(e.task_count(), 0u);
  EXPECT_EQ(e.pack("o1", t0 + seconds(170)), Refusal::kUnknownOrder);
}

TEST(PickingEngine, ClockingOutMidTaskHandsItBack) {
  Engine e(small_layout());
  e.add_tasks({task("o1", "seafood", t0 + seconds(600), 3)});
  e.clock_in("p1", "seafood", t0);
  e.clock_in("p2", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p1", t0, trip);
  ASSERT_EQ(e.pick("p1", "o1-seafood", "SKU", 2, t0), Refusal::kOk);
  e.next_tasks("p2", t0, trip);
  EXPECT_TRUE(trip.empty());  // p1 holds the only task
  ASSERT_EQ(e.clock_out("p1", t0 + seconds(10)), Refusal::kOk);
  const PickTask* t = e.task("o1-seafood");
  EXPECT_EQ(t->state, TaskState::kOpen);
  EXPECT_EQ(t->lines[0].picked, 0);
  EXPECT_EQ(t->deadline, t0 + seconds(600));
  e.next_tasks("p2", t0 + seconds(11), trip);
  ASSERT_EQ(ids(trip), (std::vector<std::string>{"o1-seafood"}));
  EXPECT_EQ(e.pick("p1", "o1-seafood", "SKU", 1, t0), Refusal::kNotYourTask);
  EXPECT_EQ(e.clock_out("p1", t0), Refusal::kNotClockedIn);
}

TEST(PickingEngine, APickerWhoVanishesTimesOutAndTheTaskGoesBack) {
  Layout l = small_layout();
  l.picker_timeout = seconds(300);
  Engine e(l);
  e.add_tasks({task("o1", "seafood", t0 + seconds(600))});
  e.clock_in("p1", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p1", t0 + seconds(10), trip);
  e.advance(t0 + seconds(309));
  EXPECT_EQ(e.task("o1-seafood")->state, TaskState::kAssigned);
  e.advance(t0 + seconds(310));
  EXPECT_EQ(e.task("o1-seafood")->state, TaskState::kOpen);
  EXPECT_EQ(e.picker("p1"), nullptr);
  bool timed_out = false;
  for (const auto& ev : e.take_events()) timed_out |= ev.kind == EventKind::kPickerTimedOut;
  EXPECT_TRUE(timed_out);
}

// A weighed line is one piece on the scale: grams up to 10% over those ordered, once; short
// whole or not at all; and it counts as one item of work, not 1,500.
TEST(PickingEngine, AWeighedLineTakesOnePieceWithinTheTolerance) {
  PickLine crab{0, "CRAB", 1500, 0, 0, "", "", true};
  EXPECT_EQ(apply_short(crab, 500), Refusal::kTooMany);
  EXPECT_EQ(crab.remaining(), 1500);

  Engine e(small_layout());
  PickTask t = task("o1", "seafood", t0 + seconds(600), 1, "PRAWN");
  t.lines.push_back(crab);
  EXPECT_EQ(t.units(), 2);
  e.add_tasks({t});
  e.clock_in("p", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p", t0, trip);
  EXPECT_EQ(e.pick("p", "o1-seafood", "CRAB", 1651, t0), Refusal::kTooMany);
  EXPECT_EQ(e.pick("p", "o1-seafood", "CRAB", 1620, t0), Refusal::kOk);
  const PickLine& weighed = e.task("o1-seafood")->lines[1];
  EXPECT_EQ(weighed.picked, 1620);
  EXPECT_EQ(weighed.quantity, 1500);  // what was ordered stays: the tolerance counts from it
  EXPECT_EQ(weighed.remaining(), 0);
  EXPECT_EQ(e.pick("p", "o1-seafood", "CRAB", 10, t0), Refusal::kTooMany);  // one piece
  EXPECT_EQ(e.pick("p", "o1-seafood", "PRAWN", 1, t0), Refusal::kOk);
  EXPECT_EQ(e.finish("p", "o1-seafood", t0), Refusal::kOk);

  PickLine gone{0, "CRAB", 1500, 0, 0, "", "", true};
  EXPECT_EQ(apply_short(gone, 1500), Refusal::kOk);
  EXPECT_EQ(gone.remaining(), 0);
}

TEST(PickingEngine, ShortPickArithmetic) {
  PickLine line{1, "CRAB", 5, 2, 0, "", ""};
  EXPECT_EQ(apply_short(line, 4), Refusal::kTooMany);  // only 3 are left to find
  EXPECT_EQ(apply_short(line, 0), Refusal::kTooMany);
  EXPECT_EQ(apply_short(line, -1), Refusal::kTooMany);
  EXPECT_EQ(apply_short(line, 3), Refusal::kOk);
  EXPECT_EQ(line.missing, 3);
  EXPECT_EQ(line.remaining(), 0);
  EXPECT_EQ(line.quantity - line.missing, 2);  // what the customer gets

  Engine e(small_layout());
  PickTask t = task("o1", "seafood", t0 + seconds(600), 4, "CRAB");
  t.lines.push_back(PickLine{2, "PRAWN", 2, 0, 0, "", ""});
  e.add_tasks({t});
  e.clock_in("p", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p", t0, trip);
  EXPECT_EQ(e.pick("p", "o1-seafood", "CRAB", 3, t0), Refusal::kOk);
  EXPECT_EQ(e.finish("p", "o1-seafood", t0), Refusal::kIncomplete);
  EXPECT_EQ(e.report_short("p", "o1-seafood", "CRAB", 2, t0), Refusal::kTooMany);
  EXPECT_EQ(e.report_short("p", "o1-seafood", "CRAB", 1, t0), Refusal::kOk);
  EXPECT_EQ(e.report_short("p", "o1-seafood", "MILK", 1, t0), Refusal::kWrongItem);
  EXPECT_EQ(e.report_short("p", "o1-seafood", "PRAWN", 2, t0), Refusal::kOk);
  EXPECT_EQ(e.finish("p", "o1-seafood", t0), Refusal::kOk);
  EXPECT_EQ(e.task("o1-seafood")->state, TaskState::kOnLane);
}

// Units of one SKU from lots priced apart are lines apart (marked-down lots first): picks fill
// the lines in order, a short unit is the last line's (the dearest), and each event names its
// line.
TEST(PickingEngine, AnSkuOnSeveralLinesIsPickedInOrderAndShortFromTheLast) {
  Engine e(small_layout());
  PickTask t = task("o1", "seafood", t0 + seconds(600), 2, "FISH");
  t.lines.push_back(PickLine{2, "FISH", 3, 0, 0, "", ""});
  e.add_tasks({t});
  e.clock_in("p", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p", t0, trip);
  e.take_events();
  ASSERT_EQ(e.pick("p", "o1-seafood", "FISH", 1, t0), Refusal::kOk);
  ASSERT_EQ(e.pick("p", "o1-seafood", "FISH", 1, t0), Refusal::kOk);
  ASSERT_EQ(e.pick("p", "o1-seafood", "FISH", 1, t0), Refusal::kOk);
  EXPECT_EQ(e.pick("p", "o1-seafood", "FISH", 3, t0), Refusal::kTooMany);  // 2 left on line 2
  ASSERT_EQ(e.report_short("p", "o1-seafood", "FISH", 1, t0), Refusal::kOk);
  const auto* lines = &e.task("o1-seafood")->lines;
  EXPECT_EQ((*lines)[0].picked, 2);
  EXPECT_EQ((*lines)[1].picked, 1);
  EXPECT_EQ((*lines)[1].missing, 1);
  std::vector<int> line_nos;
  for (const auto& ev : e.take_events()) {
    if (ev.kind == EventKind::kItemPicked || ev.kind == EventKind::kShortReported) {
      line_nos.push_back(ev.line_no);
    }
  }
  EXPECT_EQ(line_nos, (std::vector<int>{1, 1, 2, 2}));
  ASSERT_EQ(e.pick("p", "o1-seafood", "FISH", 1, t0), Refusal::kOk);
  EXPECT_EQ(e.finish("p", "o1-seafood", t0), Refusal::kOk);
}

TEST(PickingEngine, ABagWithNothingInItSkipsTheLane) {
  Engine e(small_layout());
  e.add_tasks({task("o1", "seafood", t0 + seconds(600), 2)});
  e.clock_in("p", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p", t0, trip);
  ASSERT_EQ(e.report_short("p", "o1-seafood", "SKU", 2, t0), Refusal::kOk);
  ASSERT_EQ(e.finish("p", "o1-seafood", t0), Refusal::kOk);
  EXPECT_EQ(e.task("o1-seafood")->state, TaskState::kArrived);
  EXPECT_EQ(e.lanes(t0)[0].in_transit + e.lanes(t0)[1].in_transit, 0);
  EXPECT_EQ(e.pack("o1", t0), Refusal::kOk);
}

TEST(PickingEngine, RefusesWhatPickersMayNotDo) {
  Engine e(small_layout());
  e.add_tasks({task("o1", "seafood", t0 + seconds(600), 2, "CRAB")});
  EXPECT_EQ(e.clock_in("p", "bakery", t0), Refusal::kUnknownZone);
  std::vector<const PickTask*> trip;
  EXPECT_EQ(e.next_tasks("p", t0, trip), Refusal::kNotClockedIn);
  e.clock_in("p", "seafood", t0);
  e.clock_in("q", "seafood", t0);
  EXPECT_EQ(e.pick("p", "o1-seafood", "CRAB", 1, t0), Refusal::kNotYourTask);  // open, not held
  e.next_tasks("p", t0, trip);
  EXPECT_EQ(e.clock_in("p", "produce", t0), Refusal::kPickerBusy);
  EXPECT_EQ(e.pick("q", "o1-seafood", "CRAB", 1, t0), Refusal::kNotYourTask);
  EXPECT_EQ(e.pick("p", "nope", "CRAB", 1, t0), Refusal::kUnknownTask);
  EXPECT_EQ(e.pick("p", "o1-seafood", "MILK", 1, t0), Refusal::kWrongItem);
  EXPECT_EQ(e.pick("p", "o1-seafood", "CRAB", 3, t0), Refusal::kTooMany);
  EXPECT_EQ(e.pick("p", "o1-seafood", "CRAB", -1, t0), Refusal::kTooMany);
  EXPECT_EQ(e.pick("p", "o1-seafood", "CRAB", 2, t0), Refusal::kOk);
  EXPECT_EQ(e.finish("p", "o1-seafood", t0), Refusal::kOk);
  EXPECT_EQ(e.finish("p", "o1-seafood", t0), Refusal::kTaskClosed);
  EXPECT_EQ(e.cancel_order("o1", t0), Refusal::kPickingStarted);
}

TEST(PickingEngine, CancelBeforePickingRemovesTheTasks) {
  Engine e(small_layout());
  e.add_tasks({task("o1", "seafood", t0 + seconds(600)), task("o1", "produce", t0 + seconds(600))});
  EXPECT_EQ(e.cancel_order("o1", t0), Refusal::kOk);
  EXPECT_EQ(e.task_count(), 0u);
  EXPECT_TRUE(e.open_tasks("seafood").empty());
}

TEST(PickingEngine, LayoutChangesThatWouldStrandBagsAreRefused) {
  Engine e(small_layout());
  e.add_tasks({task("o1", "seafood", t0 + seconds(600))});
  Layout without_seafood = small_layout();
  without_seafood.zones = {"chilled", "produce"};
  for (auto& lane : without_seafood.lanes) lane.zones = {"chilled", "produce"};
  EXPECT_EQ(e.set_layout(without_seafood, t0), Refusal::kZoneInUse);
  e.clock_in("p", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p", t0, trip);
  pick_and_finish(e, "p", *trip[0], t0);
  Layout one_lane = small_layout();
  one_lane.lanes.erase(one_lane.lanes.begin());  // drops A, which carries the bag
  EXPECT_EQ(e.set_layout(one_lane, t0), Refusal::kLaneInUse);
  Layout wider = small_layout();
  wider.lanes[1].capacity = 10;
  EXPECT_EQ(e.set_layout(wider, t0), Refusal::kOk);
  EXPECT_EQ(e.layout().lanes[1].capacity, 10);
  EXPECT_EQ(e.lanes(t0)[0].in_transit, 1);
}

TEST(PickingEngine, RestoredFromItsRecordsItCarriesOnTheSame) {
  // Drive one engine, then rebuild a second from the first's task states (what the database
  // holds) and check both decide the same from there on.
  Engine a(small_layout());
  a.add_tasks({task("o1", "seafood", t0 + seconds(600)), task("o1", "produce", t0 + seconds(600)),
               task("o2", "seafood", t0 + seconds(700)),
               task("o3", "seafood", t0 + seconds(800), 9)});
  a.clock_in("s", "seafood", t0);
  a.clock_in("p", "produce", t0);
  std::vector<const PickTask*> trip;
  a.next_tasks("p", t0, trip);
  pick_and_finish(a, "p", *trip[0], t0);
  a.next_tasks("s", t0 + seconds(5), trip);  // o1 and o2 batched; o3 is not small

  Engine b(small_layout());
  for (const char* id : {"o3-seafood", "o2-seafood", "o1-produce", "o1-seafood"})
    b.restore_task(*a.task(id));
  for (const Picker* p : a.pickers()) b.restore_picker(*p);
  b.release_orphans(t0 + seconds(5));
  EXPECT_TRUE(b.take_events().empty());

  for (Engine* e : {&a, &b}) {
    e->advance(t0 + seconds(6));
    for (const auto& id : {"o1-seafood", "o2-seafood"})
      pick_and_finish(*e, "s", *e->task(id), t0 + seconds(30));
    e->advance(t0 + seconds(200));
  }
  for (const char* id : {"o1-seafood", "o1-produce", "o2-seafood", "o3-seafood"}) {
    EXPECT_EQ(*a.task(id), *b.task(id)) << id;
  }
  EXPECT_EQ(a.task("o1-seafood")->lane_id, a.task("o1-produce")->lane_id);
  EXPECT_EQ(a.packing_queue().size(), b.packing_queue().size());
}

TEST(PickingEngine, AnOrphanedTaskGoesBackToOpen) {
  Engine e(small_layout());
  PickTask t = task("o1", "seafood", t0 + seconds(600));
  t.state = TaskState::kAssigned;
  t.picker_id = "gone";
  e.restore_task(t);
  e.release_orphans(t0);
  EXPECT_EQ(e.task("o1-seafood")->state, TaskState::kOpen);
  EXPECT_EQ(e.open_tasks("seafood").size(), 1u);
}

TEST(PickingEngine, CountsOverdueTasksUntilTheirBagIsOnALane) {
  Engine e(small_layout());
  e.add_tasks({task("o1", "seafood", t0 + seconds(60)), task("o2", "seafood", t0 + seconds(600))});
  EXPECT_EQ(e.backlog(t0 + seconds(61)).overdue, 1);
  EXPECT_EQ(e.backlog(t0 + seconds(61)).before_lane, 2);
  e.clock_in("p", "seafood", t0 + seconds(61));
  std::vector<const PickTask*> trip;
  e.next_tasks("p", t0 + seconds(61), trip);
  // o1 is late already; o2 rides along, as it is still on time after o1.
  ASSERT_EQ(ids(trip), (std::vector<std::string>{"o1-seafood", "o2-seafood"}));
  pick_and_finish(e, "p", *trip[0], t0 + seconds(62));
  EXPECT_EQ(e.backlog(t0 + seconds(62)).overdue, 0);
  EXPECT_EQ(e.backlog(t0 + seconds(62)).before_lane, 1);
}

TEST(PickingEngine, BacklogWorkIsTheEstimateOfBagsNotYetFinished) {
  Engine e(small_layout());
  const PickTask a = task("o1", "seafood", t0 + seconds(600));
  const PickTask b = task("o2", "seafood", t0 + seconds(600));
  e.add_tasks({a, b});
  EXPECT_EQ(e.backlog(t0).work, e.estimate(a) + e.estimate(b));
  EXPECT_EQ(e.backlog(t0).pickers, 0);
  e.clock_in("p", "seafood", t0);
  std::vector<const PickTask*> trip;
  e.next_tasks("p", t0, trip);
  EXPECT_EQ(e.backlog(t0).pickers, 1);
  EXPECT_EQ(e.backlog(t0).work, e.estimate(a) + e.estimate(b));  // assigned, still to pick
  for (const auto* t : trip) pick_and_finish(e, "p", *t, t0 + seconds(5));
  EXPECT_LT(e.backlog(t0 + seconds(5)).work, e.estimate(a) + e.estimate(b));
}

}  // namespace
}  // namespace freshlane::picking
