// Run: build/bench/picking_bench   (Release or RelWithDebInfo build; one thread)
//
// The picking engine under a busy floor: 10,000 open tasks across six zones, 100 pickers
// clocked in, 16 conveyor lanes. One iteration is one picker's cycle: ask for the next trip
// (an EDF hand-out with batching), pick it, finish each bag (a lane choice or a wait), and the
// floor moves on half a second per bag (bags arrive, waiting bags take freed slots, ready orders
// are packed). New paid orders keep the open count at 10,000. Decisions counted: hand-outs,
// lane choices and packs; the scans in between are not counted, though they are timed.
//
// Memory: the heap the engine holds per open task (glibc mallinfo2), for tasks shaped like the
// real ones (ids as the server makes them, 1-3 lines with names and shelves).
// New paid orders are admitted inside the timed loop: that is floor work too.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <random>

#include "freshlane/picking/engine.hpp"

using namespace freshlane;
using picking::Engine;
using picking::PickTask;
using std::chrono::seconds;

namespace {

const std::vector<std::string> kZones = {"ambient", "bakery",  "chilled",
                                         "frozen",  "produce", "seafood"};
const core::Timestamp kStart{seconds(1'800'000'000)};

picking::Layout bench_layout() {
  picking::Layout l;
  l.zones = kZones;
  for (int i = 0; i < 16; ++i) {  // 16 lanes, each fed by three zones
    std::vector<std::string> zones = {kZones[i % 6], kZones[(i + 1) % 6], kZones[(i + 2) % 6]};
    l.lanes.push_back({"L" + std::to_string(i + 1), 12, seconds(60 + (i % 4) * 10), zones});
  }
  return l;
}

// Paid orders as the server would split them: 1 or 2 zones, 1-3 lines each.
struct OrderMaker {
  std::mt19937 rng{42};
  long long n = 0;
  std::vector<PickTask> next(core::Timestamp paid_at) {
    const std::string order_id = "ord_" + std::to_string(10'000'000'000'000 + n++);
    std::vector<picking::ZonedLine> lines;
    const int zones = 1 + static_cast<int>(rng() % 2);
    int line_no = 0;
    for (int z = 0; z < zones; ++z) {
      const std::string& zone = kZones[rng() % kZones.size()];
      const int count = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < count; ++i) {
        // One line per SKU in an order, as the API sums them.
        lines.push_back({line_no, "SKU-" + std::to_string(rng() % 3000 * 16 + line_no) + "-M",
                         1 + static_cast<int>(rng() % 4), zone, "鲜活帝王蟹 Live king crab",
                         "A" + std::to_string(rng() % 40) + "-" + std::to_string(rng() % 9)});
        ++line_no;
      }
    }
    return picking::split_order(order_id, lines, paid_at, seconds(600));
  }
};

size_t heap_in_use() { return mallinfo2().uordblks; }

void BM_EngineDecisions(benchmark::State& state) {
  Engine engine(bench_layout());
  OrderMaker orders;
  core::Timestamp now = kStart;
  size_t open = 0;
  while (open < 10'000) {
    auto tasks = orders.next(now);
    open += tasks.size();
    engine.add_tasks(std::move(tasks));
  }
  std::vector<std::string> pickers;
  for (int i = 0; i < 100; ++i) {
    pickers.push_back("stf_" + std::to_string(100000 + i));
    engine.clock_in(pickers.back(), kZones[i % kZones.size()], now);
  }
  (void)engine.take_events();

  std::vector<const PickTask*> trip;
  std::vector<std::string> ids;
  std::vector<picking::Event> events;
  std::deque<std::vector<PickTask>> ready;  // paid orders made up ahead, outside the timing
  long long decisions = 0, tick = 0;
  size_t p = 0;
  for (auto _ : state) {
    const std::string& picker = pickers[p++ % pickers.size()];
    engine.next_tasks(picker, now, trip);
    ++decisions;
    ids.clear();
    for (const auto* t : trip) ids.push_back(t->task_id);
    for (const auto& id : ids) {
      for (const auto& line : engine.task(id)->lines) {
        engine.pick(picker, id, line.sku, line.remaining(), now);
      }
      if (engine.finish(picker, id, now) != picking::Refusal::kOk) {
        state.SkipWithError("a bag could not be finished");
        return;
      }
      ++decisions;
    }
    // Half a second per bag carried, so the lanes see the same flow whatever the trip size
    // (a trip of one bag is the old half-second cycle); per cycle, batched trips would
    // outrun the conveyors and leave a backlog that grows for as long as the bench runs.
    tick += std::max<long long>(1, static_cast<long long>(ids.size()));
    now = kStart + seconds(tick / 2);
    engine.advance(now);
    engine.take_events(events);  // what the server would record
    for (const auto& e : events) {
      if (e.kind != picking::EventKind::kOrderReadyToPack) continue;
      engine.pack(e.order_id, now);
      ++decisions;
    }
    // New paid orders replace what left the open queues (admitting them is timed; making them
    // up is not).
    open -= ids.size();
    while (open < 10'000) {
      if (ready.empty()) {
        state.PauseTiming();
        for (int i = 0; i < 4096; ++i) ready.push_back(orders.next(now));
        state.ResumeTiming();
      }
      open += ready.front().size();
      engine.add_tasks(std::move(ready.front()));
      ready.pop_front();
    }
  }
  state.counters["decisions_per_s"] =
      benchmark::Counter(double(decisions), benchmark::Counter::kIsRate);
  state.counters["tasks_in_engine"] = double(engine.task_count());
  size_t queued = 0;
  for (const auto& z : kZones) queued += engine.open_tasks(z).size();
  state.counters["open_tasks"] = double(queued);
  state.counters["bags_waiting"] = double(engine.waiting_bags().size());
}
BENCHMARK(BM_EngineDecisions)->Unit(benchmark::kMicrosecond)->MinTime(3.0);

void BM_MemoryPerOpenTask(benchmark::State& state) {
  for (auto _ : state) {
    const size_t before = heap_in_use();
    auto engine = std::make_unique<Engine>(bench_layout());
    OrderMaker orders;
    size_t open = 0;
    while (open < 10'000) {
      auto tasks = orders.next(kStart);
      open += tasks.size();
      engine->add_tasks(std::move(tasks));
    }
    const size_t after = heap_in_use();
    state.counters["open_tasks"] = double(open);
    state.counters["bytes_per_open_task"] = double(after - before) / double(open);
    benchmark::DoNotOptimize(engine);
  }
}
BENCHMARK(BM_MemoryPerOpenTask)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
