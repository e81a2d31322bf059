#pragma once
// The picking engine of one store: paid orders split into pick tasks (one bag per zone), tasks
// handed to the pickers of each zone earliest deadline first (small ones batched when no task
// that could be on time gets late; tasks late anyway batch with each other), finished bags
// routed onto conveyor lanes without ever overfilling one, and orders ready to pack once all
// their bags have arrived.
//
// Pure and deterministic: no I/O, no clock. Every call takes `now`; everything the engine
// decides, and every change of its state, is also appended to an event list (take_events) that
// the records keep, so the same state can be rebuilt from them at any time (restore_task /
// restore_picker). Not thread-safe: one owner at a time (store/floors.hpp).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "freshlane/core/time.hpp"
#include "freshlane/picking/layout.hpp"

namespace freshlane::picking {

using core::Timestamp;

enum class TaskState {
  kOpen,       // waiting for a picker
  kAssigned,   // a picker holds it
  kWaiting,    // bag finished, every lane it could take is full
  kOnLane,     // bag riding a lane to packing
  kArrived,    // bag at packing
  kPacked,     // the order was packed (the task left the engine)
  kCancelled,  // the order was cancelled before picking started
};
inline constexpr TaskState kAllTaskStates[] = {
    TaskState::kOpen,    TaskState::kAssigned, TaskState::kWaiting,  TaskState::kOnLane,
    TaskState::kArrived, TaskState::kPacked,   TaskState::kCancelled};
std::string_view to_string(TaskState s);
std::optional<TaskState> parse_task_state(std::string_view s);

struct PickLine {
  int line_no = 0;  // the order line this comes from
  std::string sku;
  int quantity = 0;         // ordered: pieces, or grams of goods sold by weight
  int picked = 0;           // weighed goods: the grams the scale said (up to max_weighed_grams)
  int missing = 0;          // reported short
  std::string name, shelf;  // for the picker's screen; the engine does not read them
  // Sold by weight: one piece taken and weighed, or reported short, whole.
  bool weighed = false;
  int remaining() const {
    if (weighed) return picked > 0 || missing > 0 ? 0 : quantity;
    return quantity - picked - missing;
  }
  bool operator==(const PickLine&) const = default;
};

struct PickTask {
  std::string task_id;
  std::string order_id;
  std::string zone;
  Timestamp paid_at;
  Timestamp deadline;  // every bag of the order on a lane by then
  std::vector<PickLine> lines;
  TaskState state = TaskState::kOpen;
  std::string picker_id;  // while assigned
  std::optional<Timestamp> assigned_at, finished_at, loaded_at, arrives_at;
  std::string lane_id;  // once loaded
  // The engine's own arrival number, breaking deadline ties first-come first-served. Not part
  // of what a task is: equal tasks may carry different numbers.
  struct Arrival {
    std::uint64_t n = 0;
    bool operator==(const Arrival&) const { return true; }
  } arrival;

  int units() const;
  bool complete() const;     // nothing left to pick or report
  bool before_lane() const;  // open, held or waiting: its deadline still binds
  bool operator==(const PickTask&) const = default;
};

struct Picker {
  std::string picker_id;
  std::string zone;
  Timestamp clocked_in_at;
  Timestamp last_seen;
  std::vector<std::string> tasks;  // held, in the order they were handed out
};

// Why the engine refused a request. kOk means it was done.
enum class Refusal {
  kOk,
  kUnknownZone,
  kNotClockedIn,
  kPickerBusy,  // holds tasks, cannot switch zone
  kUnknownTask,
  kNotYourTask,
  kTaskClosed,  // finished, packed or cancelled
  kWrongItem,   // SKU not in the task
  kTooMany,     // more than the line still needs
  kIncomplete,  // lines left to pick or report
  kUnknownOrder,
  kNotReadyToPack,  // bags still on their way
  kPickingStarted,  // cannot cancel
  kLaneInUse,       // layout change would drop a lane carrying bags
  kZoneInUse,       // layout change would drop a zone with tasks or pickers
};

enum class EventKind {
  kTaskAdded,  // a paid order's bag joined the floor
  kTaskAssigned,
  kTaskReleased,  // back to open: picker clocked out or timed out
  kItemPicked,
  kShortReported,
  kBagFinished,  // the picker closed the bag: its picked units leave the shelf
  kBagWaiting,
  kBagLoaded,
  kBagArrived,
  kOrderPickingStarted,  // first task of the order handed out
  kOrderOnConveyor,      // last bag of the order loaded (quantity = seconds since payment)
  kOrderReadyToPack,
  kOrderPacked,
  kTaskCancelled,
  kPickerClockedIn,
  kPickerClockedOut,
  kPickerTimedOut,
  kPickerSeen,     // a picker's last sign of life moved on (their time-out counts from it)
  kLayoutChanged,  // zones, lanes or rules of the floor
};
std::string_view to_string(EventKind k);

struct Event {
  EventKind kind;
  Timestamp at;
  std::string order_id;
  std::string task_id;
  std::string picker_id;
  std::string lane_id;
  std::string sku;   // kItemPicked, kShortReported
  int line_no = -1;  // kItemPicked, kShortReported: the order line (an SKU may have several)
  std::string zone;  // picker events
  int quantity = 0;
  std::optional<Timestamp> until;  // kBagLoaded: arrives_at
};

// An order whose bags are all at packing, or still coming.
struct PackingEntry {
  std::string order_id;
  Timestamp deadline;
  int bags = 0;
  int arrived = 0;
  std::string lane_id;  // where its bags meet (first lane used)
  std::optional<Timestamp> ready_at;
};

struct LaneView {
  const ConveyorLane* lane;
  int in_transit = 0;
  Timestamp next_free_at;
  std::vector<const PickTask*> bags;  // in arrival order
};

// One line of a paid order with the zone its SKU is shelved in.
struct ZonedLine {
  int line_no = 0;
  std::string sku;
  int quantity = 0;
  std::string zone;
  std::string name, shelf;
  bool weighed = false;  // grams of goods sold by weight
};
// A paid order as pick tasks: one per zone it touches (zones in name order), each due
// `pick_deadline` after payment. Task ids are `<order_id>-<zone>`, so a task can exist once.
std::vector<PickTask> split_order(const std::string& order_id, const std::vector<ZonedLine>& lines,
                                  Timestamp paid_at, std::chrono::seconds pick_deadline);

// Arithmetic of a short pick: how a line changes when `missing` more units cannot be found.
// Returns kTooMany when that is more than the line still needs, or missing < 1; a weighed line
// is short whole or not at all.
Refusal apply_short(PickLine& line, int missing);

class Engine {
 public:
  explicit Engine(Layout layout = default_layout());
  // Its indexes point into its own task table: moving keeps them valid, copying would not.
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  Engine(Engine&&) = default;
  Engine& operator=(Engine&&) = default;

  const Layout& layout() const { return layout_; }
  // Refuses (changing nothing) to drop a lane carrying bags or a zone with tasks or pickers.
  // Deadlines already set do not change.
  Refusal set_layout(Layout layout, Timestamp now);

  // A paid order's tasks enter the engine as open tasks (ids unique; known ids are skipped).
  void add_tasks(std::vector<PickTask> tasks);
  // Removes an order whose picking has not started. kPickingStarted otherwise.
  Refusal cancel_order(const std::string& order_id, Timestamp now);

  Refusal clock_in(const std::string& picker_id, const std::string& zone, Timestamp now);
  // Hands the picker's tasks back (they keep their deadlines, lose their picked counts).
  Refusal clock_out(const std::string& picker_id, Timestamp now);

  // The picker's current trip: the tasks already held, else the most urgent open task of the
  // zone plus, when it is small, more small ones (at most max_bags_per_trip, EDF order): a task
  // joins only while every task of the trip that could be on time alone is still on time when
  // the whole trip is done. So tasks late even alone never join an on-time trip, and when the
  // most urgent is late they batch with each other (as late parcels do at dispatch).
  // Empty when the zone has nothing open.
  Refusal next_tasks(const std::string& picker_id, Timestamp now,
                     std::vector<const PickTask*>& trip);

  // `quantity` pieces, or for a weighed line the grams on the scale: at least 1 and at most
  // catalog::max_weighed_grams of the grams ordered (kTooMany otherwise).
  Refusal pick(const std::string& picker_id, const std::string& task_id, const std::string& sku,
               int quantity, Timestamp now);
  Refusal report_short(const std::string& picker_id, const std::string& task_id,
                       const std::string& sku, int missing, Timestamp now);
  // The bag goes onto a lane (task_state kOnLane, lane_id set) or waits for one (kWaiting).
  Refusal finish(const std::string& picker_id, const std::string& task_id, Timestamp now);

  Refusal pack(const std::string& order_id, Timestamp now);

  // Moves the floor to `now`: bags arrive, waiting bags take freed slots (earliest deadline
  // first, at the moment the slot frees), silent pickers time out.
  void advance(Timestamp now);
  // The earliest moment advance() would change the floor with nobody deciding anything: the
  // next bag to arrive, the first picker to time out. Timestamp::max() when nothing would.
  Timestamp next_change() const;

  // Rebuilding after a restart, without events. Tasks of one order may come in any order.
  void restore_task(PickTask task);
  void restore_picker(Picker picker);
  // The order's picking had started (its tasks may all be open again after a release).
  void restore_started(const std::string& order_id);
  // After restoring: a task held by no restored picker goes back to open.
  void release_orphans(Timestamp now);

  std::vector<Event> take_events();
  // The same into a caller's buffer; the two buffers swap, so a steady caller never allocates.
  void take_events(std::vector<Event>& into);

  // Reading.
  const PickTask* task(const std::string& task_id) const;
  const Picker* picker(const std::string& picker_id) const;
  std::vector<const PickTask*> open_tasks(const std::string& zone) const;  // EDF order
  std::vector<const PickTask*> tasks_of(const std::string& order_id) const;
  std::vector<const Picker*> pickers() const;         // by id
  std::vector<const PickTask*> waiting_bags() const;  // in the order they will go out
  std::vector<LaneView> lanes(Timestamp now) const;
  std::vector<PackingEntry> packing_queue() const;  // ready first (by ready time), then coming
  size_t task_count() const { return tasks_.size(); }
  // Tasks whose bag is not yet on a lane, and those of them past their deadline; the estimated
  // pick time of the bags not yet finished, and the pickers on shift to share it.
  struct Backlog {
    int before_lane = 0;
    int overdue = 0;
    std::chrono::seconds work{0};
    int pickers = 0;
  };
  Backlog backlog(Timestamp now) const;

  // The engine's pick-time estimate for one task.
  std::chrono::seconds estimate(const PickTask& t) const;

 private:
  struct Slot;
  // A task in one of the queues, with what ordering and batching read, so that neither follows
  // the pointer into a task. Earliest first, ties first-come first-served.
  struct Queued {
    Timestamp at;         // the deadline (open, waiting), or arrives_at (on lanes)
    std::uint64_t n = 0;  // arrival number
    int units = 0;        // open tasks only
    Slot* task = nullptr;
    bool operator<(const Queued& o) const { return at != o.at ? at < o.at : n < o.n; }
  };
  using Queue = std::set<Queued>;
  static Queued by_deadline(Slot& t);
  static Queued by_arrival(Slot& t);
  static std::vector<const PickTask*> tasks_in(const Queue& queue);
  struct OrderState {
    std::vector<Slot*> tasks;
    Timestamp paid_at, deadline;
    std::string lane_id;
    int lane = -1;   // lane_id's index in layout_.lanes, -1 when none or gone
    int loaded = 0;  // bags on a lane or arrived
    int arrived = 0;
    bool started = false;
  };
  // A task as the engine holds it: with its order, its zone's bit and its lane's index, so the
  // hot paths look nothing up by name (stamp() sets the last two; a new layout re-stamps).
  struct Slot : PickTask {
    OrderState* order = nullptr;
    std::uint64_t zone_bit = 0;  // 0 when the layout lacks its zone
    int lane = -1;               // lane_id's index in layout_.lanes, -1 when none or gone
  };
  void stamp(Slot& t) const;
  void set_lane(OrderState& os, const std::string& lane_id) const;

  Slot* find(const std::string& task_id);
  Refusal held_task(const std::string& picker_id, const std::string& task_id, Timestamp now,
                    Slot*& out, Picker** holder = nullptr);
  void seen(Picker& p, Timestamp now);
  void index_task(Slot& t);
  void release(Picker& p, Timestamp now);
  void reopen(Slot& t, Timestamp now, const std::string& picker_id);
  struct OrderState;
  void count_loaded(OrderState& os, PickTask& t, Timestamp at);
  void drop_picker_task(Picker& p, const std::string& task_id);
  void finish_bag(Slot& t, Timestamp at);
  bool try_load(Slot& t, Timestamp at);
  void arrive(Slot& t);
  void load_waiting(Timestamp at);
  std::uint64_t zones_with_room() const;  // zones some lane with room serves
  Event& emit(EventKind kind, Timestamp at, const PickTask* t, const std::string& picker_id = {});

  Layout layout_;
  std::unordered_map<std::string, Slot> tasks_;
  std::unordered_map<std::string, OrderState> orders_;
  std::unordered_map<std::string, Picker> pickers_;
  std::map<std::string, Queue> open_;   // by deadline, per zone
  std::vector<Queue::iterator> batch_;  // next_tasks' scratch
  Queue waiting_;                       // by deadline
  Queue on_lanes_;                      // by arrival at packing
  std::uint64_t arrivals_ = 0;
  Timestamp timeouts_checked_at_{};
  // No picker times out before this (min: unknown, look at them all).
  Timestamp first_timeout_ = Timestamp::min();
  void time_out_silent(Timestamp now);
  // When a picker not seen since falls silent and is timed out.
  Timestamp timeout_of(const Picker& p) const { return p.last_seen + layout_.picker_timeout; }
  // Per lane of layout_.lanes (same index): bags in transit, and the zones it serves as bits of
  // zone_bit_ (so a lane choice compares no strings).
  std::vector<int> in_transit_;
  std::vector<std::uint64_t> lane_zones_;
  std::map<std::string, std::uint64_t> zone_bit_;
  void index_layout(const std::vector<int>& in_transit_by_old_index = {},
                    const std::vector<std::string>& old_lane_ids = {});
  int lane_index(const std::string& lane_id) const;  // -1 when unknown
  std::vector<Event> events_;  // [0, events_n_) not yet taken; the rest, slots to write over
  size_t events_n_ = 0;
};

}  // namespace freshlane::picking
