#include "freshlane/storage/idempotency_repository.hpp"

#include <gtest/gtest.h>

#include "freshlane/storage/migrations.hpp"
#include "support/test_database.hpp"

using namespace freshlane;
using Outcome = storage::IdempotencyClaim::Outcome;

namespace {
class IdempotencyRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = std::make_unique<storage::Pool>(storage::PoolConfig{db_.url(), 0});
    pool_->run_here([](storage::Session& s) { storage::migrate(s); });
    exec(
        "INSERT INTO customers (customer_id, phone, name) VALUES ('c1', '+86100', 'a'), ('c2', "
        "'+86200', 'b')");
  }
  void exec(const std::string& sql) {
    pqxx::connection c(db_.url());
    pqxx::nontransaction tx(c);
    tx.exec(sql);
  }
  storage::IdempotencyClaim claim(const std::string& customer, const std::string& key,
                                  const std::string& hash) {
    storage::IdempotencyClaim out{Outcome::kInProgress, 0, {}};
    pool_->run_here([&](storage::Session& s) {
      out = storage::IdempotencyRepository(s).claim(customer, key, hash);
    });
    return out;
  }
  template <typename F>
  void with(F&& f) {
    pool_->run_here([&](storage::Session& s) { f(storage::IdempotencyRepository(s)); });
  }
  freshlane::testing::TestDatabase db_;
  std::unique_ptr<storage::Pool> pool_;
};
}  // namespace

TEST_F(IdempotencyRepositoryTest, FirstClaimsThenInProgressThenReplay) {
  EXPECT_EQ(claim("c1", "k", "h").outcome, Outcome::kClaimed);
  EXPECT_EQ(claim("c1", "k", "h").outcome, Outcome::kInProgress);
  EXPECT_EQ(claim("c1", "k", "other").outcome, Outcome::kReusedWithOtherBody);
  EXPECT_EQ(claim("c2", "k", "h").outcome, Outcome::kClaimed);  // keys are per customer
  with([](auto repo) { repo.complete("c1", "k", 201, "{\"order_id\":\"o1\"}"); });
  const auto replay = claim("c1", "k", "h");
  EXPECT_EQ(replay.outcome, Outcome::kReplay);
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(replay.body, "{\"order_id\":\"o1\"}");
}

TEST_F(IdempotencyRepositoryTest, AReleasedClaimCanRunAgain) {
  EXPECT_EQ(claim("c1", "k", "h").outcome, Outcome::kClaimed);
  with([](auto repo) { repo.release("c1", "k"); });
  EXPECT_EQ(claim("c1", "k", "h").outcome, Outcome::kClaimed);
}

TEST_F(IdempotencyRepositoryTest, AClaimAbandonedByACrashedRequestIsTakenOver) {
  EXPECT_EQ(claim("c1", "k", "h").outcome, Outcome::kClaimed);
  exec("UPDATE idempotency_keys SET created_at = now() - interval '2 minutes'");
  EXPECT_EQ(claim("c1", "k", "other").outcome, Outcome::kReusedWithOtherBody);
  EXPECT_EQ(claim("c1", "k", "h").outcome, Outcome::kClaimed);
  EXPECT_EQ(claim("c1", "k", "h").outcome, Outcome::kInProgress);
}

TEST_F(IdempotencyRepositoryTest, KeysAreKeptADayThenPruned) {
  claim("c1", "old", "h");
  claim("c1", "young", "h");
  exec("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'");
  exec(
      "INSERT INTO idempotency_keys (customer_id, key, request_hash, status, created_at) "
      "VALUES ('c2', 'day', 'h', 201, now() - interval '23 hours')");
  long long pruned = 0;
  with([&](auto repo) { pruned = repo.prune(std::chrono::hours(24)); });
  EXPECT_EQ(pruned, 1);
  EXPECT_EQ(claim("c1", "young", "h").outcome, Outcome::kInProgress);
  EXPECT_EQ(claim("c2", "day", "h").outcome, Outcome::kReplay);
  EXPECT_EQ(claim("c1", "old", "h").outcome, Outcome::kClaimed);  // gone, so new
}
