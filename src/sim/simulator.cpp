#include "freshlane/sim/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <map>
#include <queue>
#include <random>

#include "freshlane/dispatch/eta.hpp"
#include "freshlane/sim/memory_floor.hpp"
#include "freshlane/store/desk.hpp"
#include "freshlane/store/floors.hpp"

namespace freshlane::sim {

namespace {

using core::Timestamp;
using nlohmann::json;
using std::chrono::seconds;

constexpr double kPi = 3.14159265358979323846;
constexpr int kQuarters = 32 * 4;          // the day and the night after it, in quarter hours
constexpr auto kKeepAlive = seconds(120);  // an idle picker's app asks for work this often
constexpr auto kOvertime = std::chrono::hours(4);  // after closing, the day ends at the latest
const Timestamp kMidnight = std::chrono::sys_days{std::chrono::year{2026} / 11 / 11};
const std::string kStoreId = "sim";

// Portable randomness: the same numbers from the same seed with any standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  double uniform() { return double(g_() >> 11) * 0x1.0p-53; }  // [0, 1)
  int below(int n) { return static_cast<int>(uniform() * n); }
  double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }
  // 1 + a geometric count with the given mean (≥ 1).
  int at_least_one(double mean) {
    if (mean <= 1) return 1;
    const double p = 1.0 / mean;  // success probability of the shifted geometric
    int n = 1;
    while (uniform() > p && n < 100) ++n;
    return n;
  }

 private:
  std::mt19937_64 g_;
};

Timestamp at_minute(double minute) {
  return kMidnight + seconds(static_cast<long long>(std::floor(minute * 60)));
}
int quarter_of(Timestamp t) {
  const auto q = (t - kMidnight).count() / 900;
  return static_cast<int>(std::clamp<long long>(q, 0, kQuarters - 1));
}

// Spreads the seconds of [from, to) over quarter-hour bins: bin(q) is the quarter's counter.
template <typename Bin>
void spread(Timestamp from, Timestamp to, Bin bin) {
  while (from < to) {
    const int q = quarter_of(from);
    const Timestamp end = std::min(to, kMidnight + seconds(900LL * (q + 1)));
    if (end <= from) break;  // past the last bin
    bin(q) += double((end - from).count());
    from = end;
  }
}

enum class Fulfillment { kDelivery, kPickup, kInStore };

struct Order {
  std::string id;
  Fulfillment kind = Fulfillment::kDelivery;
  Timestamp arrives;
  core::LatLon door;
  std::vector<picking::ZonedLine> lines;
  bool accepted = false, out_of_range = false, busy = false;
  std::optional<Timestamp> paid, promised, on_conveyor, packed, door_at, collected;
  bool done = false;
};

struct Picker {
  std::string id;
  std::string zone;
  Timestamp from, to;
  bool on_shift = false, busy = false;
  std::uint64_t poll_generation = 0;
  // The current trip, one scan at a time: each line picked whole, a bag finished after its
  // last line (every scan is a sign of life, as the picker's app gives).
  struct Step {
    Timestamp at;
    std::string task_id, sku;
    int quantity = 0;  // 0: finish the bag
  };
  std::vector<Step> steps;
  Timestamp busy_since;
};

struct Courier {
  store::CourierOnShift state;  // what the desk reads
  double speed_factor = 1;
  Timestamp from, to;
  bool on_shift = false;
  dispatch::Trip trip;  // the current one
  Timestamp busy_since;
};

enum class Kind {
  kArrive,
  kPickerStart,
  kPickerPoll,
  kStep,
  kPickerEnd,
  kCourierStart,
  kCourierEnd,
  kDepart,
  kDoor,
  kTripDone,
  kBack,
  kFloorTick,
  kRound,
  kPacked,
  kCollect,
};

struct Event {
  Timestamp at;
  std::uint64_t seq;
  Kind kind;
  int a = 0;
  std::uint64_t b = 0;
  bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(p * double(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

double round_to(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

json distribution(const std::vector<double>& v) {
  return {{"p50", round_to(percentile(v, 0.50), 1)},
          {"p95", round_to(percentile(v, 0.95), 1)},
          {"p99", round_to(percentile(v, 0.99), 1)},
          {"max", round_to(v.empty() ? 0 : *std::max_element(v.begin(), v.end()), 1)},
          {"count", v.size()}};
}

json histogram(const std::vector<double>& v, int bucket) {
  std::vector<int> counts;
  for (double x : v) {
    const size_t b = static_cast<size_t>(std::max(0.0, x) / bucket);
    if (counts.size() <= b) counts.resize(b + 1, 0);
    ++counts[b];
  }
  return {{"bucket_seconds", bucket}, {"counts", counts}};
}

class Day {
 public:
  Day(const Scenario& s, std::uint64_t seed, const Cadence& cadence)
      : s_(s),
        cadence_(cadence),
        rng_(seed),
        rng_collect_(seed ^ 0x9e3779b97f4a7c15ULL),
        records_(s.layout) {
    store_.store_id = kStoreId;
    store_.name = s.name;
    store_.location = {s.store.lat, s.store.lon};
    store_.delivery_radius_m = s.store.delivery_radius_m;
    store_.promise_minutes = s.store.promise_minutes;
    params_.courier_speed_mps = s.speeds.courier_kmh / 3.6;
    params_.pickup_time = seconds(s.speeds.pickup_seconds);
    params_.handover_time = seconds(s.speeds.handover_seconds);
    params_.max_orders_per_trip = s.dispatch.max_orders_per_trip;
    params_.batch_wait = seconds(s.dispatch.batch_wait_seconds);
    params_.ride_spare = s.dispatch.ride_spare;
    quote_.packing = seconds(s.speeds.packing_seconds);
    quote_.packers = s.staff.packers;
    quarters_.resize(kQuarters);
    floors_.listen([this](const std::string&, const std::vector<picking::Event>& events,
                          const picking::Engine&) { on_floor(events); });
  }

  Result run() {
    generate_orders();
    hire_staff();
    free_packers_ = s_.staff.packers;
    const Timestamp start = at_minute(s_.day.opens);
    push(start, Kind::kFloorTick);
    push(start, Kind::kRound);
    end_ = at_minute(s_.day.closes) + kOvertime;
    while (!queue_.empty()) {
      const Event e = queue_.top();
      queue_.pop();
      if (e.at > end_) break;
      now_ = e.at;
      handle(e);
      if (finished()) break;
    }
    return report();
  }

 private:
  // --- the clock ---
  void push(Timestamp at, Kind kind, int a = 0, std::uint64_t b = 0) {
    queue_.push(Event{at, ++seq_, kind, a, b});
  }
  bool finished() const {
    return now_ >= at_minute(s_.day.closes) && next_arrival_ >= orders_.size() && open_ == 0;
  }

  template <typename F>
  auto decide(F&& f) {
    return floors_.decide(records_, kStoreId, now_, std::forward<F>(f));
  }

  void handle(const Event& e) {
    switch (e.kind) {
      case Kind::kArrive:
        return arrive(e.a);
      case Kind::kPickerStart:
        return picker_start(e.a);
      case Kind::kPickerPoll:
        // Only the latest ask counts, and never during a trip.
        if (pickers_[e.a].poll_generation == e.b && !pickers_[e.a].busy) poll(e.a);
        return;
      case Kind::kStep:
        return step(e.a, static_cast<size_t>(e.b));
      case Kind::kPickerEnd:
        if (!pickers_[e.a].busy) poll(e.a);  // a busy picker leaves after the trip
        return;
      case Kind::kCourierStart:
        couriers_[e.a].on_shift = true;
        return;
      case Kind::kCourierEnd:
        if (couriers_[e.a].state.state(now_) != store::CourierOnShift::State::kOnTrip) {
          couriers_[e.a].on_shift = false;
        }
        return;
      case Kind::kDepart:
        return depart(e.a);
      case Kind::kDoor:
        return at_door(e.a);
      case Kind::kTripDone:  // the last door: the trip is over, the courier rides back
        couriers_[e.a].state.trip_state = "done";
        return;
      case Kind::kBack:
        return back(e.a);
      case Kind::kFloorTick:
        decide([](picking::Engine&, Timestamp) {});  // the floor's clock: moves it to now
        return push(now_ + seconds(cadence_.floor_tick_seconds), Kind::kFloorTick);
      case Kind::kRound:
        store::run_round(desk_, store_, now_, params_);
        return push(now_ + seconds(cadence_.dispatch_round_seconds), Kind::kRound);
      case Kind::kPacked:
        return packed(e.a);
      case Kind::kCollect:
        orders_[e.a].collected = now_;
        return close(orders_[e.a]);
    }
  }

  // --- demand ---
  void generate_orders() {
    // The expected rate per minute of the opening hours, surges included.
    const int opens = s_.day.opens, closes = s_.day.closes;
    double base = 0;
    for (int m = opens; m < closes; ++m) base += s_.demand.profile[(m / 60) % 24];
    std::vector<double> cumulative;
    double total = 0;
    for (int m = opens; m < closes; ++m) {
      double rate = base > 0 ? s_.demand.orders * s_.demand.profile[(m / 60) % 24] / base : 0;
      for (const auto& surge : s_.demand.surges) {
        if (m >= surge.from && m < surge.to) rate *= surge.factor;
      }
      total += rate;
      cumulative.push_back(total);
    }
    const int n = static_cast<int>(std::lround(total));
    std::vector<double> minutes;
    for (int i = 0; i < n; ++i) {  // inverse of the cumulative rate at a uniform point
      const double u = rng_.uniform() * total;
      const size_t k = static_cast<size_t>(
          std::lower_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
      const double before = k == 0 ? 0 : cumulative[k - 1];
      const double in_minute = cumulative[k] > before ? (u - before) / (cumulative[k] - before) : 0;
      minutes.push_back(opens + double(k) + in_minute);
    }
    std::sort(minutes.begin(), minutes.end());
    const double shares = s_.demand.delivery + s_.demand.pickup + s_.demand.in_store;
    const auto& zones = s_.layout.zones;
    orders_.resize(minutes.size());
    for (size_t i = 0; i < minutes.size(); ++i) {
      Order& o = orders_[i];
      char id[32];
      std::snprintf(id, sizeof id, "o%05zu", i + 1);
      o.id = id;
      o.arrives = at_minute(minutes[i]);
      const double f = rng_.uniform() * shares;
      o.kind = f < s_.demand.delivery                      ? Fulfillment::kDelivery
               : f < s_.demand.delivery + s_.demand.pickup ? Fulfillment::kPickup
                                                           : Fulfillment::kInStore;
      // A door uniform over the delivery disc, or in the ring just outside it.
      const double r = s_.store.delivery_radius_m;
      const double d = rng_.uniform() < s_.demand.beyond_radius ? r * (1.02 + 0.5 * rng_.uniform())
                                                                : r * std::sqrt(rng_.uniform());
      const double bearing = 2 * kPi * rng_.uniform();
      const double dlat = d * std::cos(bearing) / 111'320.0;
      const double dlon = d * std::sin(bearing) / (111'320.0 * std::cos(s_.store.lat * kPi / 180));
      o.door = {s_.store.lat + dlat, s_.store.lon + dlon};
      const int lines = rng_.at_least_one(s_.demand.lines_per_order);
      for (int l = 0; l < lines; ++l) {
        picking::ZonedLine line;
        line.line_no = l + 1;
        line.zone = zones[static_cast<size_t>(rng_.below(static_cast<int>(zones.size())))];
        do {  // an order names a SKU once
          line.sku = line.zone + "-" + std::to_string(rng_.below(200));
        } while (std::any_of(o.lines.begin(), o.lines.end(),
                             [&](const auto& other) { return other.sku == line.sku; }));
        line.quantity = rng_.at_least_one(s_.demand.units_per_line);
        o.lines.push_back(std::move(line));
      }
      push(o.arrives, Kind::kArrive, static_cast<int>(i));
    }
  }

  void arrive(int i) {
    Order& o = orders_[i];
    ++next_arrival_;
    Quarter& q = quarters_[quarter_of(now_)];
    ++q.generated;
    if (o.kind == Fulfillment::kDelivery) {
      const auto in = desk_.input(*this);
      dispatch::StoreLoad load;
      floors_.read(records_, kStoreId, [&](const picking::Engine& e) {
        load = store::load_of(e, in, now_, params_, quote_);
      });
      const auto quote = dispatch::quote(store_, o.door, load, params_);
      if (!quote.deliverable) {
        o.out_of_range = quote.reason == dispatch::QuoteReason::kOutOfRange;
        o.busy = !o.out_of_range;
        if (o.busy) ++q.refused_busy;
        return;
      }
    }
    o.accepted = true;
    ++q.accepted;
    if (o.kind == Fulfillment::kInStore) return;  // picked by the customer, paid at the exit
    ++open_;
    pay(o);
  }

  void pay(Order& o) {
    o.paid = now_;
    if (o.kind == Fulfillment::kDelivery) {
      o.promised = now_ + std::chrono::minutes(s_.store.promise_minutes);
      ++unpacked_delivery_;
    }
    auto tasks = picking::split_order(o.id, o.lines, now_, s_.layout.pick_deadline);
    std::vector<std::string> zones;
    for (const auto& t : tasks) zones.push_back(t.zone);
    decide([&](picking::Engine& e, Timestamp) { e.add_tasks(std::move(tasks)); });
    for (size_t p = 0; p < pickers_.size(); ++p) {  // idle pickers of those zones look now
      Picker& k = pickers_[p];
      if (k.on_shift && !k.busy && std::find(zones.begin(), zones.end(), k.zone) != zones.end()) {
        schedule_poll(static_cast<int>(p), now_);
      }
    }
  }

  void close(Order& o) {
    if (!o.done) {
      o.done = true;
      --open_;
    }
  }

  // --- the floor's people ---
  void hire_staff() {
    int n = 0;
    for (const auto& shift : s_.staff.pickers) {
      for (int c = 0; c < shift.count; ++c) {
        Picker p;
        char id[32];
        std::snprintf(id, sizeof id, "p%03d", ++n);
        p.id = id;
        p.zone = shift.zone;
        p.from = at_minute(shift.from);
        p.to = at_minute(shift.to);
        pickers_.push_back(std::move(p));
        push(pickers_.back().from, Kind::kPickerStart, static_cast<int>(pickers_.size() - 1));
        push(pickers_.back().to, Kind::kPickerEnd, static_cast<int>(pickers_.size() - 1));
      }
    }
    n = 0;
    const double spread_ = s_.speeds.courier_speed_spread;
    for (const auto& shift : s_.staff.couriers) {
      for (int c = 0; c < shift.count; ++c) {
        Courier k;
        char id[32];
        std::snprintf(id, sizeof id, "c%03d", ++n);
        k.state.courier_id = id;
        k.state.position = store_.location;
        k.speed_factor = 1 + spread_ * (2 * rng_.uniform() - 1);
        k.from = at_minute(shift.from);
        k.to = at_minute(shift.to);
        couriers_.push_back(std::move(k));
        const int i = static_cast<int>(couriers_.size() - 1);
        push(couriers_[i].from, Kind::kCourierStart, i);
        push(couriers_[i].to, Kind::kCourierEnd, i);
      }
    }
  }

  void schedule_poll(int p, Timestamp at) {
    Picker& k = pickers_[p];
    push(at, Kind::kPickerPoll, p, ++k.poll_generation);
  }

  void picker_start(int p) {
    Picker& k = pickers_[p];
    const auto r =
        decide([&](picking::Engine& e, Timestamp t) { return e.clock_in(k.id, k.zone, t); });
    if (r != picking::Refusal::kOk) return;
    k.on_shift = true;
    poll(p);
  }

  void poll(int p) {
    Picker& k = pickers_[p];
    if (!k.on_shift) return;
    if (now_ >= k.to) {
      decide([&](picking::Engine& e, Timestamp t) { e.clock_out(k.id, t); });
      k.on_shift = false;
      return;
    }
    const auto& sp = s_.speeds;
    k.steps.clear();
    decide([&](picking::Engine& e, Timestamp t) {
      std::vector<const picking::PickTask*> trip;
      e.next_tasks(k.id, t, trip);
      Timestamp at = t + seconds(trip.empty() ? 0 : sp.walk_seconds_per_trip);
      for (const auto* task : trip) {
        at += seconds(sp.pick_seconds_per_task);
        for (const auto& line : task->lines) {
          if (line.remaining() <= 0) continue;
          at += seconds(sp.pick_seconds_per_unit * line.remaining());
          k.steps.push_back({at, task->task_id, line.sku, line.remaining()});
        }
        k.steps.push_back({at, task->task_id, "", 0});
      }
    });
    if (k.steps.empty()) {
      schedule_poll(p, now_ + kKeepAlive);
      return;
    }
    k.busy = true;
    k.busy_since = now_;
    push(k.steps[0].at, Kind::kStep, p, 0);
  }

  void step(int p, size_t index) {
    Picker& k = pickers_[p];
    const auto& s = k.steps[index];
    const auto r = decide([&](picking::Engine& e, Timestamp t) {
      return s.quantity > 0 ? e.pick(k.id, s.task_id, s.sku, s.quantity, t)
                            : e.finish(k.id, s.task_id, t);
    });
    if (r != picking::Refusal::kOk) ++anomalies_;
    if (index + 1 < k.steps.size()) return push(k.steps[index + 1].at, Kind::kStep, p, index + 1);
    k.busy = false;
    spread(k.busy_since, now_, [&](int q) -> double& { return quarters_[q].picker_busy_s; });
    auto& zone = zone_busy_[k.zone];
    if (zone.empty()) zone.assign(kQuarters, 0.0);
    spread(k.busy_since, now_, [&](int q) -> double& { return zone[q]; });
    poll(p);
  }

  // What the floor decided that the people around it act on.
  void on_floor(const std::vector<picking::Event>& events) {
    for (const auto& e : events) {
      switch (e.kind) {
        case picking::EventKind::kOrderOnConveyor:
          if (auto* o = order(e.order_id)) {
            o->on_conveyor = e.at;
            if (e.at > *o->paid + s_.layout.pick_deadline) {
              ++quarters_[quarter_of(*o->paid)].pick_overdue;
            }
          }
          break;
        case picking::EventKind::kOrderReadyToPack:
          to_pack_.push_back(e.order_id);
          break;
        case picking::EventKind::kBagLoaded:
          max_lane_ = std::max(max_lane_, ++on_lane_[e.lane_id]);
          break;
        case picking::EventKind::kBagArrived:
          --on_lane_[e.lane_id];
          break;
        case picking::EventKind::kPickerTimedOut:
          ++timed_out_;
          break;
        default:
          break;
      }
    }
    start_packing();
  }

  Order* order(const std::string& id) {
    const size_t i = static_cast<size_t>(std::stoul(id.substr(1))) - 1;
    return i < orders_.size() ? &orders_[i] : nullptr;
  }

  void start_packing() {
    while (free_packers_ > 0 && !to_pack_.empty()) {
      Order* o = order(to_pack_.front());
      to_pack_.pop_front();
      --free_packers_;
      packer_busy_s_ += s_.speeds.packing_seconds;
      push(now_ + seconds(s_.speeds.packing_seconds), Kind::kPacked,
           static_cast<int>(o - orders_.data()));
    }
  }

  void packed(int i) {
    Order& o = orders_[i];
    const auto r = decide([&](picking::Engine& e, Timestamp t) { return e.pack(o.id, t); });
    if (r != picking::Refusal::kOk) ++anomalies_;
    o.packed = now_;
    ++free_packers_;
    if (o.kind == Fulfillment::kDelivery) {
      --unpacked_delivery_;
      waiting_.push_back({o.id, o.door, now_, *o.promised});
    } else {
      push(now_ + seconds(static_cast<long long>(
                      rng_collect_.exponential(s_.speeds.collect_minutes * 60.0))),
           Kind::kCollect, i);
    }
    start_packing();
  }

  // --- couriers ---
  void depart(int c) {
    Courier& k = couriers_[c];
    k.state.trip_state = "en_route";
    k.busy_since = now_;
    dispatch::Params mine = params_;
    mine.courier_speed_mps *= k.speed_factor;
    std::vector<core::LatLon> drops;
    std::vector<size_t> in_order;
    for (const auto& stop : k.trip.stops) {
      in_order.push_back(drops.size());
      drops.push_back(stop.at);
    }
    const auto doors =
        dispatch::arrivals(store_.location, now_ + mine.pickup_time, drops, in_order, mine);
    for (size_t i = 0; i < doors.size(); ++i) {
      push(doors[i], Kind::kDoor,
           static_cast<int>(order(k.trip.stops[i].order_id) - orders_.data()));
    }
    const Timestamp back_at =
        doors.empty()
            ? now_
            : doors.back() + mine.handover_time +
                  dispatch::ride_time(core::distance_m(drops.back(), store_.location), mine);
    k.state.returns_at = back_at;
    km_ += k.trip.distance_m * params_.detour_factor / 1000.0;
    push(doors.empty() ? now_ : doors.back(), Kind::kTripDone, c);
    push(back_at, Kind::kBack, c);
  }

  void at_door(int i) {
    Order& o = orders_[i];
    o.door_at = now_;
    Quarter& q = quarters_[quarter_of(*o.paid)];
    ++q.delivered;
    if (now_ > *o.promised) ++q.late;
    close(o);
  }

  void back(int c) {
    Courier& k = couriers_[c];  // back at the store: idle (returns_at is now), or off to the
                                // next trip already planned for this moment
    spread(k.busy_since, now_, [&](int q) -> double& { return quarters_[q].courier_busy_s; });
    if (now_ >= k.to && k.state.state(now_) != store::CourierOnShift::State::kOnTrip) {
      k.on_shift = false;
    }
  }

  // The dispatch desk's records in memory.
  class Desk : public store::DeskRecords {
   public:
    explicit Desk(Day& day) : day_(day) {}
    store::DeskInput input(Day& day) const {
      store::DeskInput in;
      in.store = day.store_;
      in.parcels = day.waiting_;
      std::sort(in.parcels.begin(), in.parcels.end(), [](const auto& a, const auto& b) {
        return a.promised_at != b.promised_at ? a.promised_at < b.promised_at
                                              : a.order_id < b.order_id;
      });
      for (const Courier& k :
           day.couriers_) {  // hired in id order: listed by id, as the server does
        if (k.on_shift) in.couriers.push_back(k.state);
      }
      in.unpacked_delivery = day.unpacked_delivery_;
      return in;
    }
    store::Round run(const catalog::Store&, Timestamp now, const store::Planner& plan) override {
      store::Round round;
      if (day_.waiting_.empty()) return round;  // nothing waits: nothing to plan
      round.input = input(day_);
      round.plan = plan(round.input);
      for (const auto& trip : round.plan.trips) {
        const int c = day_.courier_index(trip.courier_id);
        Courier& k = day_.couriers_[c];
        if (k.state.state(now) == store::CourierOnShift::State::kOnTrip) {
          throw store::StaleRound("courier " + trip.courier_id + " is on a trip");
        }
        k.trip = trip;
        k.state.trip_state = "assigned";
        k.state.returns_at = trip.returns_at;
        k.state.departs_at = trip.departs_at;
        k.state.trip_id = trip.courier_id;
        for (const auto& stop : trip.stops) {
          std::erase_if(day_.waiting_, [&](const auto& p) { return p.order_id == stop.order_id; });
        }
        ++day_.trips_;
        day_.stops_ += static_cast<int>(trip.stops.size());
        day_.push(std::max(now, trip.departs_at), Kind::kDepart, c);
      }
      return round;
    }

   private:
    Day& day_;
  };

  int courier_index(const std::string& id) const { return std::stoi(id.substr(1)) - 1; }

  // --- the report ---
  Result report() {
    Result r;
    int accepted = 0, refused_busy = 0, out_of_range = 0, delivered = 0, collected = 0,
        in_store = 0, open = 0, on_time = 0;
    std::vector<double> to_conveyor, to_door, slack;
    struct Hour {
      int generated = 0, accepted = 0, refused = 0, delivered = 0, on_time = 0;
    };
    std::map<int, Hour> hours;
    for (const auto& o : orders_) {
      Hour& h = hours[static_cast<int>((o.arrives - kMidnight).count() / 3600)];
      ++h.generated;
      if (!o.accepted) {
        ++h.refused;
        (o.out_of_range ? out_of_range : refused_busy) += 1;
        continue;
      }
      ++accepted;
      ++h.accepted;
      if (o.kind == Fulfillment::kInStore) {
        ++in_store;
        continue;
      }
      if (o.on_conveyor) to_conveyor.push_back(double((*o.on_conveyor - *o.paid).count()));
      if (o.door_at) {
        ++delivered;
        ++h.delivered;
        to_door.push_back(double((*o.door_at - *o.paid).count()));
        slack.push_back(double((*o.promised - *o.door_at).count()) / 60.0);
        if (*o.door_at <= *o.promised) {
          ++on_time;
          ++h.on_time;
        }
      } else if (o.collected) {
        ++collected;
      } else {
        ++open;
      }
    }
    const int generated = static_cast<int>(orders_.size());
    const int inside = generated - out_of_range;
    r.orders = generated;
    r.on_time_ratio = delivered == 0 ? 1.0 : double(on_time) / delivered;
    r.refused_ratio = inside == 0 ? 0.0 : double(refused_busy) / inside;
    r.decisions = floors_.stats().decisions;

    double picker_shift = 0, courier_shift = 0, picker_busy = 0, courier_busy = 0;
    for (const auto& k : pickers_) {
      spread(k.from, k.to, [&](int q) -> double& { return quarters_[q].picker_shift_s; });
      picker_shift += double((k.to - k.from).count());
    }
    for (const auto& k : couriers_) {
      spread(k.from, k.to, [&](int q) -> double& { return quarters_[q].courier_shift_s; });
      courier_shift += double((k.to - k.from).count());
    }
    for (const auto& q : quarters_) {
      picker_busy += q.picker_busy_s;
      courier_busy += q.courier_busy_s;
    }
    const double packer_shift =
        double(s_.staff.packers) * (s_.day.closes - s_.day.opens + 60) * 60.0;
    const double labour_h = (picker_shift + courier_shift + packer_shift) / 3600.0;
    auto ratio = [](double a, double b) { return b <= 0 ? 0.0 : round_to(a / b, 3); };

    json by_hour = json::array();
    for (const auto& [hour, h] : hours) {
      by_hour.push_back({{"hour", hour},
                         {"generated", h.generated},
                         {"accepted", h.accepted},
                         {"refused", h.refused},
                         {"on_time_ratio",
                          h.delivered == 0 ? json(nullptr) : json(ratio(h.on_time, h.delivered))}});
    }
    json by_quarter = json::array();
    const int first = s_.day.opens / 15, last = std::min(kQuarters, (s_.day.closes + 60) / 15);
    for (int qi = first; qi < last; ++qi) {
      const Quarter& q = quarters_[qi];
      by_quarter.push_back({{"from", format_minute(qi * 15)},
                            {"generated", q.generated},
                            {"accepted", q.accepted},
                            {"refused", q.generated - q.accepted},
                            {"refused_busy", q.refused_busy},
                            {"delivered", q.delivered},
                            {"late", q.late},
                            {"pick_overdue", q.pick_overdue},
                            {"pickers_on_shift", round_to(q.picker_shift_s / 900.0, 2)},
                            {"couriers_on_shift", round_to(q.courier_shift_s / 900.0, 2)},
                            {"picker_utilization", ratio(q.picker_busy_s, q.picker_shift_s)},
                            {"courier_utilization", ratio(q.courier_busy_s, q.courier_shift_s)}});
    }
    r.report = {
        {"scenario", s_.name},
        {"seed", seed_used_},
        {"day", {{"opens", format_minute(s_.day.opens)}, {"closes", format_minute(s_.day.closes)}}},
        {"promise_minutes", s_.store.promise_minutes},
        {"pick_deadline_minutes", round_to(s_.layout.pick_deadline.count() / 60.0, 2)},
        {"orders",
         {{"generated", generated},
          {"accepted", accepted},
          {"refused", generated - accepted},
          {"refused_busy", refused_busy},
          {"out_of_range", out_of_range},
          {"delivered", delivered},
          {"collected", collected},
          {"completed_in_store", in_store},
          {"open_at_close", open}}},
        {"refused_ratio", round_to(r.refused_ratio, 4)},
        {"promise",
         {{"on_time_ratio", round_to(r.on_time_ratio, 4)},
          {"late", delivered - on_time},
          {"slack_p50_minutes", round_to(percentile(slack, 0.5), 1)}}},
        {"paid_to_conveyor_seconds", distribution(to_conveyor)},
        {"paid_to_door_seconds", distribution(to_door)},
        {"couriers",
         {{"count", couriers_.size()},
          {"utilization", ratio(courier_busy, courier_shift)},
          {"orders_per_trip", ratio(stops_, trips_)},
          {"trips", trips_},
          {"km", round_to(km_, 1)}}},
        {"pickers",
         {{"count", pickers_.size()}, {"utilization", ratio(picker_busy, picker_shift)}}},
        {"packers",
         {{"count", s_.staff.packers}, {"utilization", ratio(packer_busy_s_, packer_shift)}}},
        {"lanes", {{"max_occupancy", max_lane_}}},
        {"labour_hours",
         {{"pickers", round_to(picker_shift / 3600, 2)},
          {"couriers", round_to(courier_shift / 3600, 2)},
          {"packers", round_to(packer_shift / 3600, 2)}}},
        {"orders_per_labour_hour", ratio(delivered + collected + in_store, labour_h)},
        {"floor",
         {{"decisions", r.decisions},
          {"pickers_timed_out", timed_out_},
          {"anomalies", anomalies_}}},
        {"by_hour", std::move(by_hour)},
        {"by_quarter", std::move(by_quarter)},
        {"histograms",
         {{"paid_to_conveyor_seconds", histogram(to_conveyor, 60)},
          {"paid_to_door_seconds", histogram(to_door, 60)}}},
    };
    r.quarters = quarters_;
    r.zone_busy_s = zone_busy_;
    return r;
  }

 public:
  std::uint64_t seed_used_ = 0;

 private:
  const Scenario& s_;
  Cadence cadence_;
  Rng rng_;
  Rng rng_collect_;  // its own stream: collection times never shift the demand
  catalog::Store store_;
  dispatch::Params params_;
  store::QuoteParams quote_;
  MemoryFloor records_;
  store::Floors floors_;
  Desk desk_{*this};
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::uint64_t seq_ = 0;
  Timestamp now_{}, end_{};
  std::vector<Order> orders_;
  size_t next_arrival_ = 0;
  int open_ = 0;
  int unpacked_delivery_ = 0;
  std::vector<Picker> pickers_;
  std::vector<Courier> couriers_;
  std::vector<dispatch::Parcel> waiting_;
  std::deque<std::string> to_pack_;
  int free_packers_ = 0;
  double packer_busy_s_ = 0;
  std::map<std::string, int> on_lane_;
  int max_lane_ = 0;
  int trips_ = 0, stops_ = 0;
  double km_ = 0;
  int timed_out_ = 0, anomalies_ = 0;
  std::vector<Quarter> quarters_;
  std::map<std::string, std::vector<double>> zone_busy_;
};

}  // namespace

Result simulate(const Scenario& scenario, std::optional<std::uint64_t> seed,
                const Cadence& cadence) {
  const std::uint64_t used = seed.value_or(scenario.seed);
  Day day(scenario, used, cadence);
  day.seed_used_ = used;
  return day.run();
}

}  // namespace freshlane::sim
