#include "freshlane/storage/pool.hpp"

#include <gtest/gtest.h>

#include <future>
#include <pqxx/pqxx>

#include "freshlane/core/error.hpp"
#include "freshlane/storage/errors.hpp"
#include "support/test_database.hpp"

using namespace freshlane;
using freshlane::testing::TestDatabase;

TEST(Pool, RunsJobsOnItsWorkersWithALiveConnection) {
  TestDatabase db;
  storage::Pool pool({db.url(), 2});
  std::promise<int> answer;
  pool.submit(
      [&](storage::Session& s) {
        pqxx::read_transaction tx(s.connection());
        answer.set_value(tx.exec("SELECT 41 + 1")[0][0].as<int>());
      },
      [&] { answer.set_value(-1); });
  EXPECT_EQ(answer.get_future().get(), 42);
}

TEST(Pool, AppliesTheStatementTimeout) {
  TestDatabase db;
  storage::PoolConfig c{db.url(), 1};
  c.statement_timeout = std::chrono::milliseconds(200);
  storage::Pool pool(c);
  std::promise<core::ErrorKind> kind;
  pool.submit(
      [&](storage::Session& s) {
        try {
          pqxx::read_transaction tx(s.connection());
          tx.exec("SELECT pg_sleep(5)");
          kind.set_value(core::ErrorKind::kInternal);
        } catch (...) {
          kind.set_value(storage::to_error(std::current_exception()).kind());
        }
      },
      [] {});
  EXPECT_EQ(kind.get_future().get(), core::ErrorKind::kUnavailable);
}

// Store-scoped reads are planned once per connection, never JIT-compiled and never parallel:
// with a year of history their estimated cost passes jit_above_cost (compiling took 55 ms an
// answer) and the parallel threshold (starting workers took 60-80 ms a forecast).
TEST(Pool, ConnectionsPlanOnceAndNeverCompile) {
  TestDatabase db;
  storage::Pool pool({db.url(), 1});
  std::promise<std::string> settings;
  pool.submit(
      [&](storage::Session& s) {
        pqxx::read_transaction tx(s.connection());
        settings.set_value(tx.exec("SELECT current_setting('jit') || ' ' || "
                                   "current_setting('plan_cache_mode') || ' ' || "
                                   "current_setting('max_parallel_workers_per_gather')")[0][0]
                               .as<std::string>());
      },
      [&] { settings.set_value("rejected"); });
  EXPECT_EQ(settings.get_future().get(), "off force_generic_plan 0");
}

TEST(Pool, UnreachableServerIsUnavailableAtOnce) {
  storage::Pool pool({"postgresql://nobody@127.0.0.1:1/none", 1});
  std::promise<core::ErrorKind> kind;
  const auto start = std::chrono::steady_clock::now();
  pool.submit(
      [&](storage::Session& s) {
        try {
          s.connection();
          kind.set_value(core::ErrorKind::kInternal);
        } catch (...) {
          kind.set_value(storage::to_error(std::current_exception()).kind());
        }
      },
      [] {});
  EXPECT_EQ(kind.get_future().get(), core::ErrorKind::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST(Pool, AFullQueueRejectsInsteadOfWaiting) {
  TestDatabase db;
  storage::PoolConfig c{db.url(), 1};
  c.max_queue = 1;
  storage::Pool pool(c);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> rejected{0};
  pool.submit([released](storage::Session&) { released.wait(); }, [&] { ++rejected; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the worker holds job 1
  EXPECT_TRUE(pool.submit([](storage::Session&) {}, [&] { ++rejected; }));   // queued
  EXPECT_FALSE(pool.submit([](storage::Session&) {}, [&] { ++rejected; }));  // queue full
  EXPECT_EQ(rejected, 1);
  EXPECT_EQ(pool.waiting(), 1u);
  release.set_value();
  pool.stop();
}

TEST(Pool, StopRejectsWhatIsStillQueued) {
  TestDatabase db;
  storage::Pool pool({db.url(), 1});
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> ran{0}, rejected{0};
  pool.submit(
      [released, &ran](storage::Session&) {
        released.wait();
        ++ran;
      },
      [&] { ++rejected; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (int i = 0; i < 3; ++i) pool.submit([&](storage::Session&) { ++ran; }, [&] { ++rejected; });
  std::thread stopper([&] { pool.stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.set_value();
  stopper.join();
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(rejected, 3);
  EXPECT_FALSE(pool.submit([](storage::Session&) {}, [&] { ++rejected; }));
}
