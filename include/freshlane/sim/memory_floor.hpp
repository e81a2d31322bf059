#pragma once
// A store's floor records kept in memory, for one process: the simulator's (and tests')
// store::FloorRecords. The engine store::Floors keeps after each decision is always the stored
// one here, so the records only keep the stamp and the layout an engine is first built from.
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "freshlane/store/floors.hpp"

namespace freshlane::sim {

class MemoryFloor : public store::FloorRecords {
 public:
  explicit MemoryFloor(picking::Layout layout) : layout_(std::move(layout)) {}

  void run(const std::string&, const std::function<void(Unit&)>& work) override {
    MemoryUnit unit(*this);
    work(unit);
    stamp_ = unit.next;
    wake_at_ = unit.wake;
    for (auto& f : unit.after) f();
  }
  store::FloorStamp peek(const std::string&) override { return stamp_; }
  // When the last decision said the floor next changes by itself.
  core::Timestamp wakes_at() const { return wake_at_; }
  store::StoredFloor read(const std::string&) override { return stored(); }

 private:
  struct MemoryUnit : Unit {
    explicit MemoryUnit(MemoryFloor& f) : floor(f), next(f.stamp_) {}
    store::FloorStamp stamp() override { return floor.stamp_; }
    store::StoredFloor load() override { return floor.stored(); }
    void record(const std::vector<picking::Event>&, const picking::Engine&,
                store::FloorStamp n) override {
      next = n;
    }
    void after_commit(std::function<void()> f) override { after.push_back(std::move(f)); }
    void wake_at(core::Timestamp when) override { wake = when; }
    MemoryFloor& floor;
    core::Timestamp wake{};
    store::FloorStamp next;
    std::vector<std::function<void()>> after;
  };
  store::StoredFloor stored() const {
    if (stamp_.version != 0) {  // the engine never leaves memory here: nothing to rebuild from
      throw std::logic_error("a floor kept in memory was asked to rebuild its engine");
    }
    store::StoredFloor s;
    s.stamp = stamp_;
    s.layout = layout_;
    return s;
  }
  picking::Layout layout_;
  store::FloorStamp stamp_;
  core::Timestamp wake_at_{};
};

}  // namespace freshlane::sim
