// Run: build/bench/dispatch_bench   (Release or RelWithDebInfo build; one thread)
//
// 1. BM_DispatchRound: one dispatch round of a busy store — 200 packed orders waiting (doors
//    spread over the 3 km disk, promises 5–22 minutes away) and 60 couriers (40 at the store,
//    20 riding back within 0–15 minutes). The target is under 20 ms on one core.
//    BM_DispatchHubRound: the same at hub scale, 1,000 orders and 300 couriers (200 at the
//    store). The target is under 50 ms on one core.
// 2. BM_GeneratedDay: the same generated day of 3,000 delivery orders (09:00–22:00 with a lunch
//    and a dinner peak; packed 5–10 minutes after payment; promised 30 minutes after payment),
//    80 couriers, a round every 30 s, planned once with batching (at most 3 orders per trip)
//    and once with one order per trip. Prints courier-trips, trips saved by batching, late
//    orders and kilometres ridden for both. (The simulation does not refuse orders the way
//    the quote's store_busy does, so its peaks overload the fleet on purpose.)
#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <random>

#include "freshlane/dispatch/dispatcher.hpp"

using namespace freshlane;
using namespace freshlane::dispatch;
using std::chrono::minutes;

namespace {

const LatLon kStore{31.2536, 121.5907};
const Timestamp kStart{seconds(1'800'000'000)};

// A door uniformly spread over the disk of `radius` metres around the store.
LatLon random_door(std::mt19937& rng, double radius = 3000) {
  std::uniform_real_distribution<double> u(0, 1);
  const double r = radius * std::sqrt(u(rng));
  const double a = 2 * std::numbers::pi * u(rng);
  const double per_degree = core::kEarthRadiusM * std::numbers::pi / 180.0;
  return {
      kStore.lat + r * std::cos(a) / per_degree,
      kStore.lon + r * std::sin(a) / (per_degree * std::cos(kStore.lat * std::numbers::pi / 180))};
}

// A busy round: `orders` packed parcels, and `couriers` couriers of whom two thirds wait at the
// store and the rest ride back. The same seed gives the same round.
struct Round {
  std::vector<Parcel> parcels;
  std::vector<Courier> couriers;
};
Round busy_round(int orders, int couriers) {
  std::mt19937 rng(2026);
  std::uniform_int_distribution<int> promise(5 * 60, 22 * 60), packed_ago(0, 600), back(60, 900);
  Round r;
  for (int i = 0; i < orders; ++i) {
    r.parcels.push_back({"ord_" + std::to_string(i), random_door(rng),
                         kStart - seconds(packed_ago(rng)), kStart + seconds(promise(rng))});
  }
  const int at_store = couriers * 2 / 3;
  for (int j = 0; j < couriers; ++j) {
    r.couriers.push_back({"cou_" + std::to_string(j),
                          j < at_store ? kStart - seconds(30) : kStart + seconds(back(rng)),
                          j < at_store ? 0.0 : 1500.0});
  }
  return r;
}

void run_round(benchmark::State& state, int orders, int couriers) {
  const Round round = busy_round(orders, couriers);
  const Params p;
  Plan plan;
  for (auto _ : state) {
    plan = dispatch::plan(kStore, round.parcels, round.couriers, kStart, p);
    benchmark::DoNotOptimize(plan);
  }
  int on_trips = 0, late = 0;
  for (const auto& t : plan.trips) {
    on_trips += static_cast<int>(t.stops.size());
    late += t.late();
  }
  state.counters["trips"] = static_cast<double>(plan.trips.size());
  state.counters["orders_on_trips"] = on_trips;
  state.counters["orders_waiting"] = static_cast<double>(plan.waiting.size());
  state.counters["late_on_trips"] = late;
}

void BM_DispatchRound(benchmark::State& state) { run_round(state, 200, 60); }
BENCHMARK(BM_DispatchRound)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_DispatchHubRound(benchmark::State& state) { run_round(state, 1000, 300); }
BENCHMARK(BM_DispatchHubRound)->Unit(benchmark::kMillisecond)->MinTime(2.0);

struct DayResult {
  int trips = 0;
  int delivered = 0;
  int late = 0;
  double km = 0;
};

// One generated day: orders paid from 09:00 to 22:00 with lunch and dinner peaks, packed
// 5–10 minutes after payment, promised 30 minutes after payment.
std::vector<Parcel> generated_day(int orders) {
  std::mt19937 rng(1122);
  std::normal_distribution<double> lunch(12.0, 1.5), dinner(18.5, 1.5);
  std::uniform_real_distribution<double> flat(9.0, 22.0), u(0, 1);
  std::uniform_int_distribution<int> packing(5 * 60, 10 * 60);
  std::vector<Parcel> day;
  for (int i = 0; i < orders; ++i) {
    const double pick = u(rng);
    double hour = pick < 0.3 ? lunch(rng) : pick < 0.65 ? dinner(rng) : flat(rng);
    hour = std::clamp(hour, 9.0, 22.0);
    const Timestamp paid = kStart + seconds(static_cast<long long>(hour * 3600));
    day.push_back({"ord_" + std::to_string(i), random_door(rng), paid + seconds(packing(rng)),
                   paid + minutes(30)});
  }
  std::sort(day.begin(), day.end(),
            [](const Parcel& a, const Parcel& b) { return a.ready_at < b.ready_at; });
  return day;
}

DayResult simulate(const std::vector<Parcel>& day, int couriers, const Params& p) {
  std::vector<Courier> fleet;
  for (int j = 0; j < couriers; ++j) fleet.push_back({"c" + std::to_string(j), kStart, 0});
  DayResult r;
  size_t next = 0;
  std::vector<Parcel> waiting;
  for (Timestamp now = kStart + minutes(9 * 60); r.delivered < static_cast<int>(day.size());
       now += seconds(30)) {
    while (next < day.size() && day[next].ready_at <= now) waiting.push_back(day[next++]);
    if (waiting.empty()) continue;
    const Plan plan = dispatch::plan(kStore, waiting, fleet, now, p);
    for (const auto& t : plan.trips) {
      ++r.trips;
      r.km += t.distance_m / 1000;
      r.late += t.late();
      r.delivered += static_cast<int>(t.stops.size());
      for (auto& c : fleet) {
        if (c.courier_id == t.courier_id) c.available_at = t.returns_at;
      }
    }
    std::erase_if(waiting, [&](const Parcel& parcel) {
      return std::find(plan.waiting.begin(), plan.waiting.end(), parcel.order_id) ==
             plan.waiting.end();
    });
  }
  return r;
}

void BM_GeneratedDay(benchmark::State& state) {
  const auto day = generated_day(3000);
  Params batched;  // at most 3 orders per trip
  Params single;
  single.max_orders_per_trip = 1;
  DayResult with, without;
  for (auto _ : state) {
    with = simulate(day, 80, batched);
    without = simulate(day, 80, single);
  }
  state.counters["orders"] = static_cast<double>(day.size());
  state.counters["trips_batched"] = with.trips;
  state.counters["trips_one_per_order"] = without.trips;
  state.counters["trips_saved"] = without.trips - with.trips;
  state.counters["trips_saved_pct"] = 100.0 * (without.trips - with.trips) / without.trips;
  state.counters["late_batched"] = with.late;
  state.counters["late_one_per_order"] = without.late;
  state.counters["km_batched"] = with.km;
  state.counters["km_one_per_order"] = without.km;
}
BENCHMARK(BM_GeneratedDay)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
