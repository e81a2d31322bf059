#pragma once
// A pool over a test database with every migration applied: no connections of its own, each
// run_here opens one for the caller.
#include <memory>
#include <string>

#include "freshlane/storage/migrations.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::testing {

inline std::unique_ptr<storage::Pool> migrated_pool(const std::string& url) {
  storage::PoolConfig c;
  c.url = url;
  c.size = 0;
  auto pool = std::make_unique<storage::Pool>(c);
  pool->run_here([](storage::Session& s) { storage::migrate(s); });
  return pool;
}

}  // namespace freshlane::testing
