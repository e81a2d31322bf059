#pragma once
// A store's floor as one fenced truth that any number of server processes share.
//
// The floor's records (its layout, live pick tasks and open picker shifts) carry a version.
// Every decision about a store's floor (hand out a trip, choose a lane, arrive, pack, time a
// picker out, cancel, admit a paid order) runs in a unit of work that the records serialize per
// store, in any process (in PostgreSQL: the lock on the floor's row, held by the decision's own
// transaction), and is taken on the floor exactly as stored at that version: the engine this
// process kept after its own last decision when the version is still the stored one, else one
// rebuilt from the records. What the engine decided is recorded by compare-and-set writes that
// move the version on. A write that finds anything but the state it expects voids the whole
// unit (StaleFloor): the engine is thrown away and the decision is taken once more from the
// records.
//
// Memory is only a cache of the records: an engine is kept after the unit that produced it
// committed, never before, and a read uses it only while its version is the stored one.
// No lock of this class is held while the records do I/O.
//
// Pure: no I/O (the records are a port, FloorRecords) and no clock (callers pass `now`).
// Thread-safe.
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "freshlane/core/error.hpp"
#include "freshlane/picking/engine.hpp"

namespace freshlane::store {

// Where a floor's records stand: their version, and the latest time a decision used (the
// floor's own clock, which never runs back even when a process's clock does).
struct FloorStamp {
  std::int64_t version = 0;
  core::Timestamp clock{};
};

// Everything an engine is rebuilt from.
struct StoredFloor {
  FloorStamp stamp;
  picking::Layout layout;
  std::vector<picking::PickTask> tasks;  // live: not packed or cancelled, order still live
  std::vector<picking::Picker> pickers;  // open shifts, each with the tasks it holds
  std::vector<std::string> started;      // orders whose picking started (status picking)
};

// A record found another state than the decision expected: the decision is void.
class StaleFloor : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a decision throws when the engine refused it (the engine is then unchanged): the
// floor's own progress up to now is still recorded. Any other exception rolls the unit back.
class Refused : public core::Error {
 public:
  using core::Error::Error;
};

// The port: where the floors are kept (PostgreSQL for the server, memory for the simulator).
class FloorRecords {
 public:
  virtual ~FloorRecords() = default;

  // A unit of work on one store's floor, serialized with every other unit on that floor.
  class Unit {
   public:
    virtual ~Unit() = default;
    virtual FloorStamp stamp() = 0;  // as stored when the unit began
    virtual StoredFloor load() = 0;  // the records as they are inside the unit
    // Records `events`, decided by `floor` on the records at stamp(), and moves the stamp to
    // `next`. Throws StaleFloor when a record is not in the state its event expects.
    virtual void record(const std::vector<picking::Event>& events, const picking::Engine& floor,
                        FloorStamp next) = 0;
    // Runs `f` once the unit has committed; never when it rolls back.
    virtual void after_commit(std::function<void()> f) = 0;
    // The floor's clock next has work at `when` (a bag arrives, a picker times out): the
    // records' clock keeper (the server's floor job) need not visit the floor before then.
    virtual void wake_at(core::Timestamp when) = 0;
  };

  // Runs `work` as one unit on `store_id`'s floor: committed when `work` returns, rolled back
  // when it throws. A unit may be run again whole (the records' own retries).
  virtual void run(const std::string& store_id, const std::function<void(Unit&)>& work) = 0;
  // The stamp as stored, without waiting for units in progress.
  virtual FloorStamp peek(const std::string& store_id) = 0;
  // The records as one consistent snapshot, without waiting for units in progress.
  virtual StoredFloor read(const std::string& store_id) = 0;
};

// An engine holding exactly the stored floor.
std::shared_ptr<picking::Engine> build_engine(const StoredFloor& stored);

class Floors {
 public:
  // Called after every committed decision that recorded events, with the engine after it.
  using Listener =
      std::function<void(const std::string& store_id, const std::vector<picking::Event>& events,
                         const picking::Engine& floor)>;
  // Adds a listener; only before the first decision.
  void listen(Listener on_recorded);

  // Moves the store's floor to `now` (never earlier than its clock), runs `decide(engine,
  // now)` on it, records everything the engine decided in the same unit, and returns what
  // `decide` returned. A Refused thrown by `decide` is rethrown after the floor's own progress
  // up to `now` was recorded. A decision voided by a stale record is taken once more on the
  // reloaded floor; voided again (records and a rebuilt engine disagree: a bug, counted as
  // stale_twice), it is a 409 conflict. Inside a caller's transaction the records cannot take
  // it once more: the first stale record fails the caller's transaction (409).
  template <typename F>
  auto decide(FloorRecords& records, const std::string& store_id, core::Timestamp now, F&& decide);

  // Runs `look(const engine&)` on the floor as last recorded: this process's engine while its
  // version is the stored one, else one built from a consistent snapshot of the records.
  template <typename F>
  auto read(FloorRecords& records, const std::string& store_id, F&& look);

  struct Stats {
    std::uint64_t decisions = 0;    // units committed
    std::uint64_t loads = 0;        // engines rebuilt from the records (another process wrote)
    std::uint64_t stale = 0;        // decisions voided by a stale record
    std::uint64_t stale_twice = 0;  // ...and again on the rebuilt floor: records and engine
                                    // disagree (a bug worth an alert)
  };
  Stats stats() const;

 private:
  struct Entry {
    std::mutex mu;
    std::int64_t version = -1;
    std::shared_ptr<picking::Engine> engine;  // null while a decision holds it
  };
  struct Held {
    std::shared_ptr<picking::Engine> engine;
    FloorStamp stamp;
    core::Timestamp now;
  };
  Entry& entry(const std::string& store_id);
  static bool holds_engine(Entry& e);
  // The engine for a unit: this process's when it is at the unit's stamp, else rebuilt.
  Held checkout(FloorRecords::Unit& unit, const std::string& store_id, core::Timestamp now);
  // Records what the engine decided, says when the floor next changes by itself, and keeps
  // the engine once the unit commits.
  void settle(FloorRecords::Unit& unit, const std::string& store_id, Held held);
  void keep(const std::string& store_id, std::int64_t version,
            std::shared_ptr<picking::Engine> engine);
  void count_stale(int attempt);

  std::vector<Listener> listeners_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
  Stats stats_;
};

template <typename F>
auto Floors::decide(FloorRecords& records, const std::string& store_id, core::Timestamp now,
                    F&& decide) {
  using Result = std::invoke_result_t<F&, picking::Engine&, core::Timestamp>;
  constexpr bool kVoid = std::is_void_v<Result>;
  std::optional<std::conditional_t<kVoid, int, Result>> result;
  std::exception_ptr refused;
  for (int attempt = 1;; ++attempt) {
    try {
      records.run(store_id, [&](FloorRecords::Unit& unit) {
        Held held = checkout(unit, store_id, now);
        refused = nullptr;
        result.reset();
        try {
          if constexpr (kVoid) {
            decide(*held.engine, held.now);
            result.emplace(0);
          } else {
            result.emplace(decide(*held.engine, held.now));
          }
        } catch (const Refused&) {
          refused = std::current_exception();
        }
        settle(unit, store_id, std::move(held));
      });
      break;
    } catch (const StaleFloor&) {
      count_stale(attempt);
      if (attempt >= 2) {
        throw core::Error(core::ErrorKind::kConflict,
                          "the store's floor changed while deciding; try again");
      }
    }
  }
  if (refused) std::rethrow_exception(refused);
  if constexpr (!kVoid) return std::move(*result);
}

template <typename F>
auto Floors::read(FloorRecords& records, const std::string& store_id, F&& look) {
  Entry& e = entry(store_id);
  if (holds_engine(e)) {  // worth asking whether it is still the stored one
    const FloorStamp stamp = records.peek(store_id);
    std::lock_guard lock(e.mu);
    if (e.engine && e.version == stamp.version) {
      return look(static_cast<const picking::Engine&>(*e.engine));
    }
  }
  const StoredFloor stored = records.read(store_id);
  // Offered to the cache once looked at: a decision may take it from there and change it.
  struct KeepAfter {
    Floors& floors;
    const std::string& store_id;
    std::int64_t version;
    std::shared_ptr<picking::Engine> engine;
    ~KeepAfter() { floors.keep(store_id, version, std::move(engine)); }
  } kept{*this, store_id, stored.stamp.version, build_engine(stored)};
  return look(static_cast<const picking::Engine&>(*kept.engine));
}

}  // namespace freshlane::store
