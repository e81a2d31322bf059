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
    "delivery:out_for_delivery>packed",  // failed delivery: back to the store, dispatched again
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
  EXPECT_EQ(checked, 3 * 11 * 11);
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
}

TEST(OrderStateMachine, NamesRoundTrip) {
  for (auto s : kAllStatuses) EXPECT_EQ(parse_status(to_string(s)), s);
  EXPECT_FALSE(parse_status("shipped"));
  EXPECT_EQ(parse_fulfillment("in_store"), Fulfillment::kInStore);
  EXPECT_FALSE(parse_fulfillment("drone"));
}
