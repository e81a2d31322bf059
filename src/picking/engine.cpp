#include "freshlane/picking/engine.hpp"

#include <algorithm>

#include "freshlane/catalog/pricing.hpp"
#include "freshlane/core/names.hpp"

namespace freshlane::picking {

std::string_view to_string(TaskState s) {
  switch (s) {
    case TaskState::kOpen:
      return "open";
    case TaskState::kAssigned:
      return "assigned";
    case TaskState::kWaiting:
      return "waiting";
    case TaskState::kOnLane:
      return "on_lane";
    case TaskState::kArrived:
      return "arrived";
    case TaskState::kPacked:
      return "packed";
    case TaskState::kCancelled:
      return "cancelled";
  }
  return "open";
}

std::optional<TaskState> parse_task_state(std::string_view s) {
  return core::parse_name(s, kAllTaskStates);
}

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::kTaskAdded:
      return "task_added";
    case EventKind::kTaskAssigned:
      return "task_assigned";
    case EventKind::kTaskReleased:
      return "task_released";
    case EventKind::kItemPicked:
      return "item_picked";
    case EventKind::kShortReported:
      return "short_reported";
    case EventKind::kBagFinished:
      return "bag_finished";
    case EventKind::kBagWaiting:
      return "bag_waiting";
    case EventKind::kBagLoaded:
      return "bag_loaded";
    case EventKind::kBagArrived:
      return "bag_arrived";
    case EventKind::kOrderPickingStarted:
      return "order_picking_started";
    case EventKind::kOrderOnConveyor:
      return "order_on_conveyor";
    case EventKind::kOrderReadyToPack:
      return "order_ready_to_pack";
    case EventKind::kOrderPacked:
      return "order_packed";
    case EventKind::kTaskCancelled:
      return "task_cancelled";
    case EventKind::kPickerClockedIn:
      return "picker_clocked_in";
    case EventKind::kPickerClockedOut:
      return "picker_clocked_out";
    case EventKind::kPickerTimedOut:
      return "picker_timed_out";
    case EventKind::kPickerSeen:
      return "picker_seen";
    case EventKind::kLayoutChanged:
      return "layout_changed";
  }
  return "unknown";
}

int PickTask::units() const {
  int n = 0;
  for (const auto& l : lines) n += l.weighed ? 1 : l.quantity;  // a weighed piece: one item
  return n;
}

bool PickTask::before_lane() const {
  return state == TaskState::kOpen || state == TaskState::kAssigned || state == TaskState::kWaiting;
}

bool PickTask::complete() const {
  return std::all_of(lines.begin(), lines.end(), [](const auto& l) { return l.remaining() == 0; });
}

std::vector<PickTask> split_order(const std::string& order_id, const std::vector<ZonedLine>& lines,
                                  Timestamp paid_at, std::chrono::seconds pick_deadline) {
  std::map<std::string, PickTask> by_zone;
  for (const auto& l : lines) {
    PickTask& t = by_zone[l.zone];
    if (t.task_id.empty()) {
      t.task_id = order_id + "-" + l.zone;
      t.order_id = order_id;
      t.zone = l.zone;
      t.paid_at = paid_at;
      t.deadline = paid_at + pick_deadline;
    }
    t.lines.push_back(PickLine{l.line_no, l.sku, l.quantity, 0, 0, l.name, l.shelf, l.weighed});
  }
  std::vector<PickTask> out;
  for (auto& [zone, t] : by_zone) out.push_back(std::move(t));
  return out;
}

Refusal apply_short(PickLine& line, int missing) {
  if (missing < 1 || missing > line.remaining()) return Refusal::kTooMany;
  if (line.weighed && missing != line.remaining()) return Refusal::kTooMany;
  line.missing += missing;
  return Refusal::kOk;
}

Engine::Queued Engine::by_deadline(Slot& t) { return {t.deadline, t.arrival.n, t.units(), &t}; }
Engine::Queued Engine::by_arrival(Slot& t) { return {*t.arrives_at, t.arrival.n, 0, &t}; }

std::vector<const PickTask*> Engine::tasks_in(const Queue& queue) {
  std::vector<const PickTask*> out;
  out.reserve(queue.size());
  for (const Queued& q : queue) out.push_back(q.task);
  return out;
}

Engine::Engine(Layout layout) : layout_(std::move(layout)) { index_layout(); }

void Engine::index_layout(const std::vector<int>& old_in_transit,
                          const std::vector<std::string>& old_lane_ids) {
  zone_bit_.clear();
  for (size_t i = 0; i < layout_.zones.size(); ++i) zone_bit_[layout_.zones[i]] = 1ull << i;
  in_transit_.assign(layout_.lanes.size(), 0);
  lane_zones_.assign(layout_.lanes.size(), 0);
  for (size_t i = 0; i < layout_.lanes.size(); ++i) {
    for (const auto& z : layout_.lanes[i].zones) {
      const auto bit = zone_bit_.find(z);
      if (bit != zone_bit_.end()) lane_zones_[i] |= bit->second;
    }
    for (size_t j = 0; j < old_lane_ids.size(); ++j) {
      if (old_lane_ids[j] == layout_.lanes[i].lane_id) in_transit_[i] = old_in_transit[j];
    }
  }
  // The indexes cached by tasks and orders follow the new layout.
  for (auto& [id, t] : tasks_) stamp(t);
  for (auto& [id, os] : orders_) os.lane = os.lane_id.empty() ? -1 : lane_index(os.lane_id);
}

void Engine::stamp(Slot& t) const {
  const auto bit = zone_bit_.find(t.zone);
  t.zone_bit = bit == zone_bit_.end() ? 0 : bit->second;
  t.lane = t.lane_id.empty() ? -1 : lane_index(t.lane_id);
}

int Engine::lane_index(const std::string& lane_id) const {
  for (size_t i = 0; i < layout_.lanes.size(); ++i) {
    if (layout_.lanes[i].lane_id == lane_id) return static_cast<int>(i);
  }
  return -1;
}

std::chrono::seconds Engine::estimate(const PickTask& t) const {
  return layout_.seconds_per_task + layout_.seconds_per_unit * t.units();
}

Refusal Engine::set_layout(Layout layout, Timestamp now) {
  for (size_t i = 0; i < layout_.lanes.size(); ++i) {
    if (!layout.lane(layout_.lanes[i].lane_id) && in_transit_[i] > 0) return Refusal::kLaneInUse;
  }
  for (const auto& [id, t] : tasks_) {
    if (t.before_lane() && !layout.has_zone(t.zone)) return Refusal::kZoneInUse;
  }
  for (const auto& [id, p] : pickers_) {
    if (!layout.has_zone(p.zone)) return Refusal::kZoneInUse;
  }
  std::vector<std::string> old_ids;
  for (const auto& lane : layout_.lanes) old_ids.push_back(lane.lane_id);
  const std::vector<int> old_in_transit = in_transit_;
  layout_ = std::move(layout);
  index_layout(old_in_transit, old_ids);
  first_timeout_ = Timestamp::min();  // the time-out may have changed
  emit(EventKind::kLayoutChanged, now, nullptr);
  return Refusal::kOk;
}

void Engine::add_tasks(std::vector<PickTask> tasks) {
  for (auto& t : tasks) {
    const auto [it, is_new] = tasks_.try_emplace(t.task_id);
    if (!is_new) continue;
    Slot& added = it->second;
    static_cast<PickTask&>(added) = std::move(t);
    added.state = TaskState::kOpen;
    index_task(added);
    emit(EventKind::kTaskAdded, added.paid_at, &added);
  }
}

void Engine::restore_task(PickTask task) {
  const auto [it, is_new] = tasks_.try_emplace(task.task_id);
  if (!is_new) return;
  static_cast<PickTask&>(it->second) = std::move(task);
  index_task(it->second);
}

void Engine::index_task(Slot& t) {
  t.arrival.n = ++arrivals_;
  OrderState& os = orders_[t.order_id];
  t.order = &os;
  stamp(t);
  os.tasks.push_back(&t);
  os.paid_at = t.paid_at;
  os.deadline = t.deadline;
  if (t.state != TaskState::kOpen) os.started = true;
  switch (t.state) {
    case TaskState::kOpen:
      open_[t.zone].insert(by_deadline(t));
      break;
    case TaskState::kWaiting:
      waiting_.insert(by_deadline(t));
      break;
    case TaskState::kOnLane:
      if (t.lane >= 0) ++in_transit_[t.lane];
      on_lanes_.insert(by_arrival(t));
      ++os.loaded;
      if (os.lane_id.empty()) set_lane(os, t.lane_id);
      break;
    case TaskState::kArrived:
      ++os.loaded;
      ++os.arrived;
      if (os.lane_id.empty()) set_lane(os, t.lane_id);
      break;
    case TaskState::kAssigned:  // its picker is restored with it
    case TaskState::kPacked:
    case TaskState::kCancelled:
      break;
  }
}

void Engine::restore_started(const std::string& order_id) {
  const auto it = orders_.find(order_id);
  if (it != orders_.end()) it->second.started = true;
}

void Engine::restore_picker(Picker picker) {
  const std::string id = picker.picker_id;
  pickers_[id] = std::move(picker);
  first_timeout_ = Timestamp::min();
}

void Engine::release_orphans(Timestamp now) {
  for (auto& [id, t] : tasks_) {
    if (t.state != TaskState::kAssigned) continue;
    const auto p = pickers_.find(t.picker_id);
    if (p != pickers_.end() &&
        std::find(p->second.tasks.begin(), p->second.tasks.end(), id) != p->second.tasks.end()) {
      continue;
    }
    reopen(t, now, std::string(t.picker_id));
  }
}

// Back to the zone's queue with its deadline; the next picker starts the bag afresh.
void Engine::reopen(Slot& t, Timestamp now, const std::string& picker_id) {
  t.state = TaskState::kOpen;
  t.picker_id.clear();
  t.assigned_at.reset();
  for (auto& l : t.lines) l.picked = 0;
  open_[t.zone].insert(by_deadline(t));
  emit(EventKind::kTaskReleased, now, &t, picker_id);
}

Refusal Engine::cancel_order(const std::string& order_id, Timestamp now) {
  const auto it = orders_.find(order_id);
  if (it == orders_.end()) return Refusal::kUnknownOrder;
  for (const PickTask* t : it->second.tasks) {
    if (t->state != TaskState::kOpen) return Refusal::kPickingStarted;
  }
  for (Slot* t : it->second.tasks) {
    open_[t->zone].erase(by_deadline(*t));
    emit(EventKind::kTaskCancelled, now, t);
    tasks_.erase(tasks_.find(t->task_id));
  }
  orders_.erase(it);
  return Refusal::kOk;
}

Refusal Engine::clock_in(const std::string& picker_id, const std::string& zone, Timestamp now) {
  if (!layout_.has_zone(zone)) return Refusal::kUnknownZone;
  const auto it = pickers_.find(picker_id);
  if (it != pickers_.end()) {
    Picker& p = it->second;
    if (p.zone == zone) {
      seen(p, now);
      return Refusal::kOk;
    }
    if (!p.tasks.empty()) return Refusal::kPickerBusy;
    emit(EventKind::kPickerClockedOut, now, nullptr, picker_id).zone = p.zone;
    pickers_.erase(it);
  }
  pickers_[picker_id] = Picker{picker_id, zone, now, now, {}};
  first_timeout_ = Timestamp::min();
  emit(EventKind::kPickerClockedIn, now, nullptr, picker_id).zone = zone;
  return Refusal::kOk;
}

Refusal Engine::clock_out(const std::string& picker_id, Timestamp now) {
  const auto it = pickers_.find(picker_id);
  if (it == pickers_.end()) return Refusal::kNotClockedIn;
  release(it->second, now);
  emit(EventKind::kPickerClockedOut, now, nullptr, picker_id).zone = it->second.zone;
  pickers_.erase(it);
  return Refusal::kOk;
}

void Engine::release(Picker& p, Timestamp now) {
  for (const auto& id : p.tasks) {
    Slot* t = find(id);
    if (t && t->state == TaskState::kAssigned) reopen(*t, now, p.picker_id);
  }
  p.tasks.clear();
}

Refusal Engine::next_tasks(const std::string& picker_id, Timestamp now,
                           std::vector<const PickTask*>& trip) {
  trip.clear();
  const auto it = pickers_.find(picker_id);
  if (it == pickers_.end()) return Refusal::kNotClockedIn;
  Picker& p = it->second;
  seen(p, now);
  if (!p.tasks.empty()) {  // the current trip, again: asking twice never piles up more bags
    for (const auto& id : p.tasks) trip.push_back(find(id));
    return Refusal::kOk;
  }
  auto& queue = open_[p.zone];
  if (queue.empty()) return Refusal::kOk;

  std::vector<Queue::iterator>& batch = batch_;  // kept between calls: no allocation per trip
  batch.assign(1, queue.begin());
  const Queued& first = *queue.begin();
  auto estimate = [&](const Queued& q) {
    return layout_.seconds_per_task + layout_.seconds_per_unit * q.units;
  };
  // `bound`: the earliest deadline among the trip's tasks that can be on time; the trip must end
  // by it. Tasks late even alone add no bound, so a store that is behind still carries them
  // several to a trip (as late parcels batch with each other at dispatch). Under EDF a task late
  // alone never fits an on-time first's bound: on-time trips stay as they were.
  if (first.units <= layout_.small_task_units) {
    Timestamp done = now + estimate(first);
    Timestamp bound = done <= first.at ? first.at : Timestamp::max();
    int looked = 0;
    for (auto c = std::next(queue.begin());
         c != queue.end() && static_cast<int>(batch.size()) < layout_.max_bags_per_trip &&
         looked < 64;
         ++c, ++looked) {
      if (c->units > layout_.small_task_units) continue;
      const std::chrono::seconds took = estimate(*c);
      const Timestamp with = done + took;
      const bool can_be_on_time = now + took <= c->at;
      const Timestamp c_bound = can_be_on_time ? std::min(bound, c->at) : bound;
      if (with > c_bound) continue;
      batch.push_back(c);
      done = with;
      bound = c_bound;
    }
  }
  for (const auto c : batch) {
    Slot* t = c->task;
    queue.erase(c);
    t->state = TaskState::kAssigned;
    t->picker_id = picker_id;
    t->assigned_at = now;
    p.tasks.push_back(t->task_id);
    emit(EventKind::kTaskAssigned, now, t, picker_id);
    OrderState& os = *t->order;
    if (!os.started) {
      os.started = true;
      emit(EventKind::kOrderPickingStarted, now, t, picker_id);
    }
    trip.push_back(t);
  }
  return Refusal::kOk;
}

Engine::Slot* Engine::find(const std::string& task_id) {
  const auto it = tasks_.find(task_id);
  return it == tasks_.end() ? nullptr : &it->second;
}

const PickTask* Engine::task(const std::string& task_id) const {
  const auto it = tasks_.find(task_id);
  return it == tasks_.end() ? nullptr : &it->second;
}

const Picker* Engine::picker(const std::string& picker_id) const {
  const auto it = pickers_.find(picker_id);
  return it == pickers_.end() ? nullptr : &it->second;
}

Refusal Engine::held_task(const std::string& picker_id, const std::string& task_id, Timestamp now,
                          Slot*& out, Picker** holder) {
  out = find(task_id);
  if (!out) return Refusal::kUnknownTask;
  if (out->state != TaskState::kOpen && out->state != TaskState::kAssigned) {
    return Refusal::kTaskClosed;
  }
  if (out->state != TaskState::kAssigned || out->picker_id != picker_id) {
    return Refusal::kNotYourTask;
  }
  const auto p = pickers_.find(picker_id);
  if (p == pickers_.end()) return Refusal::kNotClockedIn;
  seen(p->second, now);
  if (holder) *holder = &p->second;
  return Refusal::kOk;
}

void Engine::seen(Picker& p, Timestamp now) {
  if (now <= p.last_seen) return;
  p.last_seen = now;
  emit(EventKind::kPickerSeen, now, nullptr, p.picker_id);
}

namespace {
// The line units of `sku` are counted on. An order may hold an SKU on several lines (units of
// lots priced apart, earliest expiry first): picks fill them in order, and a short unit is the
// last line's still missing (the dearest, as lots marked down come first), so its refund is
// never less than what the customer paid for the units they get. nullptr: not on the task.
PickLine* line_of(PickTask& t, const std::string& sku, bool for_short = false) {
  PickLine* found = nullptr;
  for (auto& l : t.lines) {
    if (l.sku != sku) continue;
    if (l.remaining() > 0) {
      found = &l;
      if (!for_short) return found;
    } else if (!found) {
      found = &l;
    }
  }
  return found;
}
}  // namespace

Refusal Engine::pick(const std::string& picker_id, const std::string& task_id,
                     const std::string& sku, int quantity, Timestamp now) {
  Slot* t = nullptr;
  if (const Refusal r = held_task(picker_id, task_id, now, t); r != Refusal::kOk) return r;
  PickLine* line = line_of(*t, sku);
  if (!line) return Refusal::kWrongItem;
  if (line->weighed) {
    if (line->remaining() == 0 || quantity < 1 ||
        quantity > catalog::max_weighed_grams(line->quantity)) {
      return Refusal::kTooMany;
    }
  } else if (quantity < 1 || quantity > line->remaining()) {
    return Refusal::kTooMany;
  }
  line->picked += quantity;
  Event& e = emit(EventKind::kItemPicked, now, t, picker_id);
  e.sku = sku;
  e.line_no = line->line_no;
  e.quantity = quantity;
  return Refusal::kOk;
}

Refusal Engine::report_short(const std::string& picker_id, const std::string& task_id,
                             const std::string& sku, int missing, Timestamp now) {
  Slot* t = nullptr;
  if (const Refusal r = held_task(picker_id, task_id, now, t); r != Refusal::kOk) return r;
  PickLine* line = line_of(*t, sku, true);
  if (!line) return Refusal::kWrongItem;
  if (const Refusal r = apply_short(*line, missing); r != Refusal::kOk) return r;
  Event& e = emit(EventKind::kShortReported, now, t, picker_id);
  e.sku = sku;
  e.line_no = line->line_no;
  e.quantity = missing;
  return Refusal::kOk;
}

void Engine::drop_picker_task(Picker& p, const std::string& task_id) {
  p.tasks.erase(std::remove(p.tasks.begin(), p.tasks.end(), task_id), p.tasks.end());
}

Refusal Engine::finish(const std::string& picker_id, const std::string& task_id, Timestamp now) {
  Slot* t = nullptr;
  Picker* p = nullptr;
  if (const Refusal r = held_task(picker_id, task_id, now, t, &p); r != Refusal::kOk) return r;
  if (!t->complete()) return Refusal::kIncomplete;
  drop_picker_task(*p, task_id);
  emit(EventKind::kBagFinished, now, t, picker_id);
  t->picker_id.clear();
  t->finished_at = now;
  finish_bag(*t, now);
  return Refusal::kOk;
}

void Engine::finish_bag(Slot& t, Timestamp at) {
  int picked = 0;
  for (const auto& l : t.lines) picked += l.picked;
  if (picked == 0) {  // everything was short: there is no bag to carry
    t.loaded_at = at;
    t.arrives_at = at;
    count_loaded(*t.order, t, at);
    arrive(t);
    return;
  }
  if (try_load(t, at)) return;
  t.state = TaskState::kWaiting;
  waiting_.insert(by_deadline(t));
  emit(EventKind::kBagWaiting, at, &t);
}

void Engine::set_lane(OrderState& os, const std::string& lane_id) const {
  os.lane_id = lane_id;
  os.lane = lane_index(lane_id);
}

bool Engine::try_load(Slot& t, Timestamp at) {
  OrderState& os = *t.order;
  const std::uint64_t zone = t.zone_bit;
  auto has_room = [&](int i) {
    return (lane_zones_[i] & zone) != 0 && in_transit_[i] < layout_.lanes[i].capacity;
  };
  int choice = -1;
  // The lane that already carries the order's bags, so they meet at one packing point.
  if (os.lane >= 0 && has_room(os.lane)) choice = os.lane;
  // Else a lane free now (every lane with room frees "now"); the least loaded first.
  if (choice < 0) {
    for (int i = 0; i < static_cast<int>(layout_.lanes.size()); ++i) {
      if (!has_room(i)) continue;
      if (choice < 0 || static_cast<long>(in_transit_[i]) * layout_.lanes[choice].capacity <
                            static_cast<long>(in_transit_[choice]) * layout_.lanes[i].capacity) {
        choice = i;
      }
    }
  }
  if (choice < 0) return false;
  const ConveyorLane& lane = layout_.lanes[choice];
  t.state = TaskState::kOnLane;
  t.lane_id = lane.lane_id;
  t.lane = choice;
  t.loaded_at = at;
  t.arrives_at = at + lane.transit;
  ++in_transit_[choice];
  on_lanes_.insert(by_arrival(t));
  if (os.lane_id.empty()) set_lane(os, lane.lane_id);
  emit(EventKind::kBagLoaded, at, &t).until = t.arrives_at;
  count_loaded(os, t, at);
  return true;
}

// One more of the order's bags is on its way to packing; the last one is the order's moment.
void Engine::count_loaded(OrderState& os, PickTask& t, Timestamp at) {
  if (++os.loaded == static_cast<int>(os.tasks.size())) {
    emit(EventKind::kOrderOnConveyor, at, &t).quantity =
        static_cast<int>((at - os.paid_at).count());
  }
}

void Engine::arrive(Slot& t) {
  if (t.lane >= 0) --in_transit_[t.lane];
  t.state = TaskState::kArrived;
  OrderState& os = *t.order;
  ++os.arrived;
  emit(EventKind::kBagArrived, *t.arrives_at, &t);
  if (os.arrived == static_cast<int>(os.tasks.size())) {
    emit(EventKind::kOrderReadyToPack, *t.arrives_at, &t);
  }
}

std::uint64_t Engine::zones_with_room() const {
  std::uint64_t zones = 0;
  for (size_t i = 0; i < layout_.lanes.size(); ++i) {
    if (in_transit_[i] < layout_.lanes[i].capacity) zones |= lane_zones_[i];
  }
  return zones;
}

void Engine::load_waiting(Timestamp at) {
  // Lanes only fill during the pass, so a bag whose zone no lane with room serves stays waiting:
  // skip it without a lookup, and stop once no lane has room (a backlog can be thousands).
  std::uint64_t room = zones_with_room();
  for (auto it = waiting_.begin(); it != waiting_.end() && room != 0;) {
    if ((it->task->zone_bit & room) != 0 && try_load(*it->task, at)) {
      it = waiting_.erase(it);
      room = zones_with_room();
    } else {
      ++it;
    }
  }
}

void Engine::advance(Timestamp now) {
  // Pickers time out in whole seconds: once per second is enough, and only from the moment
  // the least recently seen of them could (a sign of life only moves that moment later).
  if (now != timeouts_checked_at_) {
    timeouts_checked_at_ = now;
    if (now >= first_timeout_) time_out_silent(now);
  }
  // Bags arrive in time order; each freed slot goes to the waiting bags at that very moment.
  while (!on_lanes_.empty() && on_lanes_.begin()->at <= now) {
    const Timestamp at = on_lanes_.begin()->at;
    while (!on_lanes_.empty() && on_lanes_.begin()->at == at) {
      Slot* t = on_lanes_.begin()->task;
      on_lanes_.erase(on_lanes_.begin());
      arrive(*t);
    }
    if (!waiting_.empty()) load_waiting(at);
  }
  if (!waiting_.empty()) load_waiting(now);
}

Timestamp Engine::next_change() const {
  Timestamp next = on_lanes_.empty() ? Timestamp::max() : on_lanes_.begin()->at;
  if (first_timeout_ != Timestamp::min()) return std::min(next, first_timeout_);
  for (const auto& [id, p] : pickers_) next = std::min(next, timeout_of(p));
  return next;  // the timeouts changed since advance() last looked: the same rule, counted here
}

void Engine::time_out_silent(Timestamp now) {
  std::vector<std::string> silent;  // by id, so the hand-backs come in one order
  first_timeout_ = Timestamp::max();
  for (const auto& [id, p] : pickers_) {
    const Timestamp due = timeout_of(p);
    if (due <= now) {
      silent.push_back(id);
    } else {
      first_timeout_ = std::min(first_timeout_, due);
    }
  }
  std::sort(silent.begin(), silent.end());
  for (const auto& id : silent) {
    Picker& p = pickers_.at(id);
    release(p, now);
    emit(EventKind::kPickerTimedOut, now, nullptr, id).zone = p.zone;
    pickers_.erase(id);
  }
}

Refusal Engine::pack(const std::string& order_id, Timestamp now) {
  const auto it = orders_.find(order_id);
  if (it == orders_.end()) return Refusal::kUnknownOrder;
  if (it->second.arrived < static_cast<int>(it->second.tasks.size())) {
    return Refusal::kNotReadyToPack;
  }
  emit(EventKind::kOrderPacked, now, it->second.tasks.front()).task_id.clear();
  for (const Slot* t : it->second.tasks) tasks_.erase(tasks_.find(t->task_id));
  orders_.erase(it);
  return Refusal::kOk;
}

void Engine::take_events(std::vector<Event>& into) {
  events_.resize(events_n_);
  into.swap(events_);
  events_n_ = 0;  // the caller's old events become slots to write over
}

std::vector<Event> Engine::take_events() {
  events_.resize(events_n_);
  events_n_ = 0;
  std::vector<Event> out;
  out.reserve(16);  // the next caller's list starts with room, not with a reallocation
  out.swap(events_);
  return out;
}

Event& Engine::emit(EventKind kind, Timestamp at, const PickTask* t, const std::string& picker_id) {
  // Written over an old slot when there is one: its strings keep their buffers, so a steady
  // caller of take_events(into) costs no allocation per event.
  if (events_n_ == events_.size()) events_.emplace_back();
  Event& e = events_[events_n_++];
  e.kind = kind;
  e.at = at;
  if (t) {
    e.order_id = t->order_id;
    e.task_id = t->task_id;
    e.lane_id = t->lane_id;
  } else {
    e.order_id.clear();
    e.task_id.clear();
    e.lane_id.clear();
  }
  e.picker_id = picker_id;
  e.sku.clear();
  e.zone.clear();
  e.quantity = 0;
  e.until.reset();
  return e;
}

std::vector<const PickTask*> Engine::open_tasks(const std::string& zone) const {
  const auto it = open_.find(zone);
  if (it == open_.end()) return {};
  return tasks_in(it->second);
}

std::vector<const PickTask*> Engine::tasks_of(const std::string& order_id) const {
  const auto it = orders_.find(order_id);
  if (it == orders_.end()) return {};
  std::vector<const PickTask*> out(it->second.tasks.begin(), it->second.tasks.end());
  std::sort(out.begin(), out.end(), [](auto a, auto b) { return a->zone < b->zone; });
  return out;
}

std::vector<const Picker*> Engine::pickers() const {
  std::vector<const Picker*> out;
  for (const auto& [id, p] : pickers_) out.push_back(&p);
  std::sort(out.begin(), out.end(), [](auto a, auto b) { return a->picker_id < b->picker_id; });
  return out;
}

std::vector<const PickTask*> Engine::waiting_bags() const { return tasks_in(waiting_); }

std::vector<LaneView> Engine::lanes(Timestamp now) const {
  std::vector<LaneView> out;
  for (size_t i = 0; i < layout_.lanes.size(); ++i) {
    const ConveyorLane& lane = layout_.lanes[i];
    LaneView v{&lane, in_transit_[i], now, {}};
    for (const Queued& q : on_lanes_) {
      const PickTask* t = q.task;
      if (t->lane_id == lane.lane_id) v.bags.push_back(t);
    }
    if (v.in_transit >= lane.capacity && !v.bags.empty())
      v.next_free_at = *v.bags.front()->arrives_at;
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<PackingEntry> Engine::packing_queue() const {
  std::vector<PackingEntry> out;
  for (const auto& [id, os] : orders_) {
    if (os.loaded == 0) continue;
    PackingEntry e{id,         os.deadline, static_cast<int>(os.tasks.size()),
                   os.arrived, os.lane_id,  std::nullopt};
    if (os.arrived == e.bags) {
      Timestamp last = os.tasks.front()->arrives_at.value_or(os.paid_at);
      for (const PickTask* t : os.tasks) last = std::max(last, t->arrives_at.value_or(last));
      e.ready_at = last;
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const PackingEntry& a, const PackingEntry& b) {
    if (a.ready_at.has_value() != b.ready_at.has_value()) return a.ready_at.has_value();
    if (a.ready_at && *a.ready_at != *b.ready_at) return *a.ready_at < *b.ready_at;
    if (a.deadline != b.deadline) return a.deadline < b.deadline;
    return a.order_id < b.order_id;
  });
  return out;
}

Engine::Backlog Engine::backlog(Timestamp now) const {
  Backlog b;
  for (const auto& [id, t] : tasks_) {
    if (!t.before_lane()) continue;
    ++b.before_lane;
    if (t.deadline < now) ++b.overdue;
    if (t.state == TaskState::kOpen || t.state == TaskState::kAssigned) b.work += estimate(t);
  }
  b.pickers = static_cast<int>(pickers_.size());
  return b;
}

}  // namespace freshlane::picking
