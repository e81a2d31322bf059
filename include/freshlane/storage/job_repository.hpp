#pragma once
// Periodic work shared by every server process: a store's floor clock and its dispatch rounds,
// and the chain-wide expiry of unpaid orders. A process claims a job that is due (and has work
// to do) with one statement that moves it one period on and bumps its token, so each period
// is claimed by one process only, and a process gone quiet loses its stores to the others one
// period later. The claimed work then runs in a transaction that first checks the token again:
// a claimant that was paused past the next claim finds it changed and runs nothing.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

enum class Job { kFloor, kDispatch, kExpiry, kMarkdown };
std::string_view to_string(Job job);

struct Claim {
  Job job;
  std::string store_id;  // "" for a chain-wide job
  std::int64_t token = 0;
};

class JobRepository {
 public:
  explicit JobRepository(Session& session) : session_(session) {}

  // Claims up to `limit` jobs of this kind that are due and have work (a floor with live tasks
  // or pickers on shift; a store with couriers on shift), each due again `period` from now.
  std::vector<Claim> claim(Job job, std::chrono::milliseconds period, int limit);
  // Runs `work` in one transaction (work may join it) when the claim still holds, counting the
  // run. False, running nothing, when another claim took the job since.
  bool run(const Claim& claim, const std::function<void()>& work);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
