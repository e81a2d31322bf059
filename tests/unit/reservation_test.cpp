#include <gtest/gtest.h>

#include "freshlane/orders/reservation.hpp"

using namespace freshlane::orders;
using namespace std::chrono_literals;
using freshlane::core::Timestamp;

namespace {
const Timestamp kNow{std::chrono::seconds{1'800'000'000}};
}

TEST(Reservation, TakesTheEarliestExpiringLotFirst) {
  const auto plan = plan_reservation(
      {{"CRAB", 3}}, {{"late", "CRAB", kNow + 72h, 10}, {"soon", "CRAB", kNow + 5h, 10}}, kNow);
  const auto& a = std::get<Allocation>(plan);
  ASSERT_EQ(a.at("CRAB").size(), 1u);
  EXPECT_EQ(a.at("CRAB")[0].lot_id, "soon");
  EXPECT_EQ(a.at("CRAB")[0].quantity, 3);
}

TEST(Reservation, SplitsALineAcrossLotsInExpiryOrder) {
  const auto plan = plan_reservation(
      {{"MILK", 7}},
      {{"c", "MILK", kNow + 9h, 10}, {"a", "MILK", kNow + 1h, 2}, {"b", "MILK", kNow + 3h, 4}},
      kNow);
  const auto& takes = std::get<Allocation>(plan).at("MILK");
  ASSERT_EQ(takes.size(), 3u);
  EXPECT_EQ(takes[0].lot_id, "a");
  EXPECT_EQ(takes[0].quantity, 2);
  EXPECT_EQ(takes[1].lot_id, "b");
  EXPECT_EQ(takes[1].quantity, 4);
  EXPECT_EQ(takes[2].lot_id, "c");
  EXPECT_EQ(takes[2].quantity, 1);
}

TEST(Reservation, NeverUsesExpiredOrEmptyLots) {
  const auto plan = plan_reservation(
      {{"FISH", 2}},
      {{"gone", "FISH", kNow, 50}, {"empty", "FISH", kNow + 1h, 0}, {"ok", "FISH", kNow + 2h, 2}},
      kNow);
  const auto& takes = std::get<Allocation>(plan).at("FISH");
  ASSERT_EQ(takes.size(), 1u);
  EXPECT_EQ(takes[0].lot_id, "ok");
}

TEST(Reservation, AllOrNothingListsEveryShortSku) {
  const auto plan = plan_reservation(
      {{"A", 5}, {"B", 1}, {"C", 9}},
      {{"a1", "A", kNow + 1h, 3}, {"b1", "B", kNow + 1h, 4}, {"gone", "C", kNow - 1h, 100}}, kNow);
  const auto& shortages = std::get<std::vector<Shortage>>(plan);
  ASSERT_EQ(shortages.size(), 2u);
  EXPECT_EQ(shortages[0], (Shortage{"A", 5, 3}));
  EXPECT_EQ(shortages[1], (Shortage{"C", 9, 0}));
}

TEST(Reservation, ExactStockIsEnough) {
  const auto plan = plan_reservation({{"A", 3}}, {{"a1", "A", kNow + 1h, 3}}, kNow);
  EXPECT_TRUE(std::holds_alternative<Allocation>(plan));
}
