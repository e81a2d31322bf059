#include <gtest/gtest.h>

#include <set>

#include "freshlane/orders/order.hpp"

using namespace freshlane::orders;

namespace {
std::string key(Fulfillment f, Status a, Status b) {
  return std::string(to_string(f)) + ":" + std::string(to_string(a)) + ">" +
         std::string(to_string(b));
}
// API.md's lifecycle, written out independently of the implementation's table.
const std::set<std::string> kAllowed{
    "delivery:pending_payment>paid",
    "delivery:pending_payment>cancelled",
    "delivery:pending_payment>expired",
    "delivery:paid>cancelled",
    "delivery:paid>picking",
    "delivery:picking>packed",
    "delivery:packed>out_for_delivery",
    "delivery:out_for_delivery>delivered",
    // A failed delivery: the bags ride back with the courier; handed back at the store, the
    // order is packed again (never planned again while they are still out).
    "delivery:out_for_delivery>returning",
    "delivery:returning>packed",
    "pickup:pending_payment>paid",
    "pickup:pending_payment>cancelled",
    "pickup:pending_payment>expired",
    "pickup:paid>cancelled",
    "pickup:paid>picking",
    "pickup:picking>packed",
    "pickup:packed>ready_for_pickup",
    "pickup:ready_for_pickup>collected",
    "in_store:pending_payment>completed",
    "in_store:pending_payment>cancelled",
    "in_store:pending_payment>expired",
};
}  // namespace

TEST(OrderStateMachine, EveryPairForEveryFulfillment) {
  int checked = 0;
  for (auto f : kAllFulfillments) {
    for (auto from : kAllStatuses) {
      for (auto to : kAllStatuses) {
        EXPECT_EQ(can_transition(f, from, to), kAllowed.count(key(f, from, to)) == 1)
            << key(f, from, to);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 3 * 12 * 12);
}

TEST(OrderStateMachine, TerminalStatusesGoNowhere) {
  for (auto f : kAllFulfillments) {
    for (auto end : {Status::kDelivered, Status::kCollected, Status::kCompleted, Status::kCancelled,
                     Status::kExpired}) {
      for (auto to : kAllStatuses) EXPECT_FALSE(can_transition(f, end, to));
    }
  }
}

TEST(OrderStateMachine, CancelOnlyBeforePicking) {
  EXPECT_TRUE(can_cancel(Fulfillment::kDelivery, Status::kPendingPayment));
  EXPECT_TRUE(can_cancel(Fulfillment::kDelivery, Status::kPaid));
  EXPECT_FALSE(can_cancel(Fulfillment::kDelivery, Status::kPicking));
  EXPECT_FALSE(can_cancel(Fulfillment::kInStore, Status::kCompleted));
  EXPECT_FALSE(can_cancel(Fulfillment::kDelivery, Status::kReturning));
}

TEST(OrderStateMachine, AFailedDeliveryIsPackedAgainOnlyOnceItsBagsAreBack) {
  EXPECT_FALSE(can_transition(Fulfillment::kDelivery, Status::kOutForDelivery, Status::kPacked));
  EXPECT_TRUE(can_transition(Fulfillment::kDelivery, Status::kOutForDelivery, Status::kReturning));
  EXPECT_FALSE(can_transition(Fulfillment::kDelivery, Status::kReturning, Status::kOutForDelivery));
  EXPECT_TRUE(can_transition(Fulfillment::kDelivery, Status::kReturning, Status::kPacked));
  EXPECT_FALSE(can_transition(Fulfillment::kPickup, Status::kReturning, Status::kPacked));
}

TEST(OrderStateMachine, NamesRoundTrip) {
  for (auto s : kAllStatuses) EXPECT_EQ(parse_status(to_string(s)), s);
  EXPECT_FALSE(parse_status("shipped"));
  EXPECT_EQ(parse_fulfillment("in_store"), Fulfillment::kInStore);
  EXPECT_FALSE(parse_fulfillment("drone"));
}

// A line sold by weight: its payment holds the price of the most the scale may say; once
// weighed it costs what the scale said; a customer's hold counts each 500 g begun.
TEST(OrderLines, AWeighedLineAuthorisesItsToleranceAndCostsWhatWasWeighed) {
  freshlane::orders::Order o;
  freshlane::orders::Line crab{"CRAB", "帝王蟹", 1500, 39790, {}};
  crab.unit = freshlane::catalog::Unit::kKg;
  crab.ordered_grams = 1500;
  o.lines = {crab, freshlane::orders::Line{"MILK", "牛奶", 2, 1590, {}}};
  EXPECT_EQ(o.lines[0].total(), 59685);
  EXPECT_EQ(o.lines[0].authorized(), 65654);  // 1,650 g
  EXPECT_EQ(o.lines[1].authorized(), 3180);
  EXPECT_TRUE(o.estimated());
  EXPECT_EQ(freshlane::orders::held_units(o.lines[0]), 3);
  EXPECT_EQ(freshlane::orders::held_units(o.lines[1]), 2);
  o.lines[0].quantity = 1420;
  o.lines[0].weighed = true;
  EXPECT_FALSE(o.estimated());
  EXPECT_EQ(o.lines[0].authorized(), 56502);
  EXPECT_EQ(o.total_minor(), 56502 + 3180);
}
