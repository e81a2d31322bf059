// A write that finds its rows moved on (a stale floor record, a stale dispatch round) is told
// so when it runs alone, and its caller decides once more. Inside a caller's transaction (a
// periodic job runs its work in its claim's) what the transaction wrote before cannot be undone
// by the write alone: it becomes a 409 conflict and the caller's whole transaction rolls back.
#include <gtest/gtest.h>

#include "freshlane/core/error.hpp"
#include "freshlane/storage/delivery_repository.hpp"
#include "freshlane/storage/floor_records.hpp"
#include "freshlane/storage/migrations.hpp"
#include "freshlane/storage/store_repository.hpp"
#include "storage/sql.hpp"
#include "support/test_database.hpp"

using namespace freshlane;
using freshlane::testing::TestDatabase;

namespace {
const core::Timestamp kNow{std::chrono::seconds{1'800'000'000}};

class StaleWriteTest : public ::testing::Test {
 protected:
  StaleWriteTest() {
    pool_.run_here([](storage::Session& s) {
      storage::migrate(s);
      storage::StoreRepository(s).insert({"s1", "Store 1", {31.25, 121.59}, 3000, 30, "CNY"});
    });
  }

  // Runs `stale_write` inside a transaction that renamed the store first; returns the error
  // kind it ended with and checks that the rename did not survive.
  template <typename F>
  core::ErrorKind inside_a_transaction(F&& stale_write) {
    core::ErrorKind kind = core::ErrorKind::kInternal;
    pool_.run_here([&](storage::Session& s) {
      try {
        storage::write(s, [&](storage::Tx& tx) {
          tx.exec0("UPDATE stores SET name = 'Renamed' WHERE store_id = 's1'");
          stale_write(s);
        });
      } catch (const core::Error& e) {
        kind = e.kind();
      }
      EXPECT_EQ(storage::StoreRepository(s).find("s1")->name, "Store 1")
          << "the caller's earlier write was committed";
    });
    return kind;
  }

  TestDatabase db_;
  storage::Pool pool_{storage::PoolConfig{db_.url(), 0}};
};

void stale_floor_unit(storage::Session& s) {
  storage::PgFloorRecords(s).run(
      "s1", [](store::FloorRecords::Unit&) { throw store::StaleFloor("a task moved on"); });
}

void stale_round(storage::Session& s) {
  const auto store = storage::StoreRepository(s).find("s1");
  storage::DeliveryRepository(s).run_round(*store, kNow,
                                           [](const storage::DispatchInput&) -> dispatch::Plan {
                                             throw storage::StaleRound("a courier moved on");
                                           });
}
}  // namespace

TEST_F(StaleWriteTest, AStaleFloorUnitAloneIsToldStale) {
  pool_.run_here([](storage::Session& s) { EXPECT_THROW(stale_floor_unit(s), store::StaleFloor); });
}

TEST_F(StaleWriteTest, AStaleFloorUnitInACallersTransactionFailsItWhole) {
  EXPECT_EQ(inside_a_transaction(stale_floor_unit), core::ErrorKind::kConflict);
}

TEST_F(StaleWriteTest, AStaleRoundAloneIsToldStale) {
  pool_.run_here([](storage::Session& s) { EXPECT_THROW(stale_round(s), storage::StaleRound); });
}

TEST_F(StaleWriteTest, AStaleRoundInACallersTransactionFailsItWhole) {
  EXPECT_EQ(inside_a_transaction(stale_round), core::ErrorKind::kConflict);
}
