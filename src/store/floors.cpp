#include "freshlane/store/floors.hpp"

#include <algorithm>

namespace freshlane::store {

namespace {
// The longest a floor's clock keeper stays away while nothing is due on it.
constexpr std::chrono::seconds kLongestSleep{60};
}  // namespace

std::shared_ptr<picking::Engine> build_engine(const StoredFloor& stored) {
  auto engine = std::make_shared<picking::Engine>(stored.layout);
  for (const auto& t : stored.tasks) engine->restore_task(t);
  for (const auto& p : stored.pickers) engine->restore_picker(p);
  for (const auto& order_id : stored.started) engine->restore_started(order_id);
  return engine;
}

void Floors::listen(Listener on_recorded) { listeners_.push_back(std::move(on_recorded)); }

Floors::Entry& Floors::entry(const std::string& store_id) {
  std::lock_guard lock(mu_);
  auto& e = entries_[store_id];
  if (!e) e = std::make_unique<Entry>();
  return *e;
}

bool Floors::holds_engine(Entry& e) {
  std::lock_guard lock(e.mu);
  return e.engine != nullptr;
}

Floors::Held Floors::checkout(FloorRecords::Unit& unit, const std::string& store_id,
                              core::Timestamp now) {
  Held held;
  held.stamp = unit.stamp();
  held.now = std::max(now, held.stamp.clock);
  {
    Entry& e = entry(store_id);
    std::lock_guard lock(e.mu);
    if (e.engine && e.version == held.stamp.version) held.engine = std::move(e.engine);
  }
  if (!held.engine) {
    held.engine = build_engine(unit.load());
    // A task held by nobody on shift (records older than this rule) goes back to its zone. An
    // engine kept from this process's own decision has none: it never holds such a task.
    held.engine->release_orphans(held.now);
    std::lock_guard lock(mu_);
    ++stats_.loads;
  }
  held.engine->advance(held.now);
  return held;
}

void Floors::settle(FloorRecords::Unit& unit, const std::string& store_id, Held held) {
  auto events = std::make_shared<std::vector<picking::Event>>(held.engine->take_events());
  FloorStamp next = held.stamp;
  if (!events->empty()) {
    next = {held.stamp.version + 1, held.now};
    unit.record(*events, *held.engine, next);
  }
  // Between decisions the floor only changes at its next arrival or timeout: its clock keeper
  // comes back then (and at least once a minute, as a safety net for anything unforeseen),
  // not every tick.
  const auto next_change = held.engine->next_change();
  unit.wake_at(std::clamp(next_change, held.now, held.now + kLongestSleep));
  unit.after_commit([this, store_id, version = next.version, engine = held.engine, events] {
    {
      std::lock_guard lock(mu_);
      ++stats_.decisions;
    }
    if (!events->empty()) {
      for (const auto& listener : listeners_) listener(store_id, *events, *engine);
    }
    keep(store_id, version, engine);
  });
}

void Floors::keep(const std::string& store_id, std::int64_t version,
                  std::shared_ptr<picking::Engine> engine) {
  Entry& e = entry(store_id);
  std::lock_guard lock(e.mu);
  if (e.engine && e.version >= version) return;  // as new or newer is here already
  e.version = version;
  e.engine = std::move(engine);
}

void Floors::count_stale(int attempt) {
  std::lock_guard lock(mu_);
  ++stats_.stale;
  if (attempt >= 2) ++stats_.stale_twice;
}

Floors::Stats Floors::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace freshlane::store
