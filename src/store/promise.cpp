#include "freshlane/store/promise.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <tuple>

namespace freshlane::store {

namespace {

using core::Timestamp;
using std::chrono::seconds;

// The floor's queue: for each order with bags to pick, the work due before its first one
// (earliest deadline first), and the pickers on shift to share it.
struct Readiness {
  std::map<std::string, seconds> work_ahead;  // order → floor work due before its bags
  int pickers = 0;
};

Readiness floor_queue(const picking::Engine& floor) {
  struct Work {
    Timestamp deadline, paid_at;
    const std::string* order_id;
    seconds estimate;
  };
  std::vector<Work> work;
  for (const auto& zone : floor.layout().zones) {
    for (const auto* t : floor.open_tasks(zone)) {
      work.push_back({t->deadline, t->paid_at, &t->order_id, floor.estimate(*t)});
    }
  }
  for (const auto* picker : floor.pickers()) {
    for (const auto& id : picker->tasks) {
      const auto* t = floor.task(id);
      if (t && t->state == picking::TaskState::kAssigned) {
        work.push_back({t->deadline, t->paid_at, &t->order_id, floor.estimate(*t)});
      }
    }
  }
  std::sort(work.begin(), work.end(), [](const Work& a, const Work& b) {
    return std::tie(a.deadline, a.paid_at, *a.order_id) <
           std::tie(b.deadline, b.paid_at, *b.order_id);
  });
  Readiness r;
  r.pickers = static_cast<int>(floor.pickers().size());
  seconds sum{0};
  for (const auto& w : work) {
    r.work_ahead.try_emplace(*w.order_id, sum);  // its first bag in the queue
    sum += w.estimate;
  }
  return r;
}

// When an order's bags are ready to leave with a courier; none when they need picking and
// nobody is on shift to pick.
std::optional<Timestamp> ready_at(const picking::Engine& floor, const Readiness& queue,
                                  const FloorLoad& load, const std::string& order_id,
                                  Timestamp now) {
  const auto tasks = floor.tasks_of(order_id);
  seconds open_work{0}, held_work{0};
  bool open = false, held = false, waiting = false;
  std::optional<Timestamp> last_arrival;
  for (const auto* t : tasks) {
    switch (t->state) {
      case picking::TaskState::kOpen:
        open = true;
        open_work = std::max(open_work, floor.estimate(*t));  // zones are picked side by side
        break;
      case picking::TaskState::kAssigned:
        held = true;
        held_work = std::max(held_work, floor.estimate(*t));
        break;
      case picking::TaskState::kWaiting:
        waiting = true;
        break;
      case picking::TaskState::kOnLane:
        if (t->arrives_at) last_arrival = std::max(last_arrival.value_or(now), *t->arrives_at);
        break;
      default:
        break;
    }
  }
  if (tasks.empty()) {  // not on the floor as last recorded: a typical bag from the back
    if (queue.pickers == 0) return std::nullopt;
    return now + load.backlog / queue.pickers + load.pick + load.conveyor + load.packing;
  }
  if (open) {
    if (queue.pickers == 0) return std::nullopt;
    const auto it = queue.work_ahead.find(order_id);
    const seconds ahead = it == queue.work_ahead.end() ? seconds{0} : it->second;
    return now + ahead / queue.pickers + std::max(open_work, held_work) + load.conveyor +
           load.packing;
  }
  if (held) return now + held_work + load.conveyor + load.packing;
  if (waiting) return now + load.conveyor + load.packing;
  return std::max(now, last_arrival.value_or(now)) + load.packing;
}

struct Candidate {
  size_t index;  // into the result
  Timestamp ready;
  Timestamp promised_at;
  const std::string* order_id;
  double distance_m;
};

}  // namespace

Timestamp live_stop_eta(const StopOnTrip& stop, Timestamp now) {
  if (!stop.bags_taken) return stop.eta + std::max(seconds{0}, now - stop.departs_at);
  return std::max(stop.eta, now);
}

std::vector<LiveEta> live_etas(const picking::Engine& floor, const DeskInput& in, Timestamp now,
                               const dispatch::Params& p, const QuoteParams& q) {
  std::vector<LiveEta> out;
  out.reserve(in.parcels.size() + in.coming.size() + in.on_trips.size());
  std::vector<Candidate> candidates;
  const auto distance = [&](core::LatLon drop) {
    return core::distance_m(in.store.location, drop);
  };
  for (const auto& parcel : in.parcels) {
    candidates.push_back(
        {out.size(), now, parcel.promised_at, &parcel.order_id, distance(parcel.drop)});
    out.push_back({parcel.order_id, std::nullopt, parcel.promised_at});
  }
  const FloorLoad load = floor_load(floor, now, q);
  const Readiness queue = floor_queue(floor);
  for (const auto& o : in.coming) {
    std::optional<Timestamp> ready;
    switch (o.stage) {
      case ComingOrder::Stage::kPaid:
      case ComingOrder::Stage::kPicking:
        ready = ready_at(floor, queue, load, o.order_id, now);
        break;
      case ComingOrder::Stage::kReturning:
      case ComingOrder::Stage::kHeld:
        ready = now;
        break;
    }
    if (ready && o.not_before) ready = std::max(*ready, *o.not_before);
    if (ready) {
      candidates.push_back({out.size(), *ready, o.promised_at, &o.order_id, distance(o.drop)});
    }
    out.push_back({o.order_id, std::nullopt, o.promised_at});
  }

  // The couriers take the orders as they are ready, a trip at a time.
  if (!in.couriers.empty()) {
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
      return std::tie(a.ready, a.promised_at, *a.order_id) <
             std::tie(b.ready, b.promised_at, *b.order_id);
    });
    std::priority_queue<Timestamp, std::vector<Timestamp>, std::greater<>> free_at;
    for (const auto& c : in.couriers) free_at.push(c.available_at(now));
    const size_t per_trip = static_cast<size_t>(std::max(1, p.max_orders_per_trip));
    for (size_t i = 0; i < candidates.size();) {
      const Timestamp departs = std::max(free_at.top(), candidates[i].ready);
      free_at.pop();
      size_t end = i + 1;
      while (end < candidates.size() && end - i < per_trip && candidates[end].ready <= departs) {
        ++end;
      }
      double farthest = 0;
      for (size_t k = i; k < end; ++k) {
        const auto& c = candidates[k];
        out[c.index].eta = departs + p.pickup_time + dispatch::ride_time(c.distance_m, p);
        farthest = std::max(farthest, c.distance_m);
      }
      free_at.push(departs + p.pickup_time + p.handover_time * static_cast<long long>(end - i) +
                   2 * dispatch::ride_time(farthest, p));
      i = end;
    }
  }

  for (const auto& stop : in.on_trips) {
    out.push_back({stop.order_id, live_stop_eta(stop, now), stop.promised_at});
  }
  return out;
}

}  // namespace freshlane::store
