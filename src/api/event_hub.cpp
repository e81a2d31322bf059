#include "freshlane/api/event_hub.hpp"

#include <nlohmann/json.hpp>

#include <deque>
#include <map>
#include <mutex>

namespace freshlane::api {

namespace {

constexpr std::size_t kRing = 512;                 // recent events kept per watched store
constexpr int kPollLimit = 5000;                   // events read per poll, all stores
constexpr const char* kRetry = "retry: 3000\n\n";  // how long a client waits to reconnect

std::string frame_of(const storage::StoreEvent& e) {
  nlohmann::json j{
      {"seq", e.seq},
      {"store_id", e.store_id},
      {"kind", e.kind},
      {"at", e.at},
      {"order_id", e.order_id.empty() ? nlohmann::json() : nlohmann::json(e.order_id)},
      {"courier_id", e.courier_id.empty() ? nlohmann::json() : nlohmann::json(e.courier_id)},
      {"data", nlohmann::json::parse(e.data, nullptr, false)}};
  if (j["data"].is_discarded()) j["data"] = nlohmann::json::object();
  return http::EventStream::frame(std::to_string(e.seq), e.kind, j.dump());
}

std::string marker(std::string_view name, const std::string& store_id, std::int64_t seq,
                   std::string_view reason = {}) {
  nlohmann::json j{{"store_id", store_id}, {"last_event_id", std::to_string(seq)}};
  if (!reason.empty()) j["reason"] = reason;
  return http::EventStream::frame(std::to_string(seq), name, j.dump());
}

}  // namespace

struct Subscriber {
  std::uint64_t id = 0;
  storage::EventFilter filter;
  std::int64_t sent = 0;  // every event up to this number was sent or skipped
  std::shared_ptr<http::EventStream> stream;
};

struct Watched {
  std::int64_t seq = 0;                  // read from the database up to here
  std::deque<storage::StoreEvent> ring;  // the latest ones, for subscribers that join behind
  std::vector<Subscriber> subscribers;
};

struct EventHub::State {
  mutable std::mutex mu;
  std::map<std::string, Watched> stores;
  std::map<std::string, std::size_t> per_store, per_client;
  std::uint64_t next_id = 1;
  std::size_t streams = 0;

  void detach(const std::string& store_id, std::uint64_t id) {
    std::lock_guard lock(mu);
    const auto it = stores.find(store_id);
    if (it == stores.end()) return;
    std::erase_if(it->second.subscribers, [id](const Subscriber& s) { return s.id == id; });
    if (it->second.subscribers.empty()) stores.erase(it);
  }
};

class EventHub::Slot {
 public:
  Slot(std::weak_ptr<State> state, std::string store_id, std::string client)
      : state_(std::move(state)), store_id_(std::move(store_id)), client_(std::move(client)) {}
  ~Slot() {
    const auto state = state_.lock();
    if (!state) return;
    std::lock_guard lock(state->mu);
    if (--state->per_store[store_id_] == 0) state->per_store.erase(store_id_);
    if (--state->per_client[client_] == 0) state->per_client.erase(client_);
    --state->streams;
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  const std::string& store_id() const { return store_id_; }

 private:
  std::weak_ptr<State> state_;
  std::string store_id_, client_;
};

EventHub::EventHub(StreamLimits limits) : limits_(limits), state_(std::make_shared<State>()) {}

EventHub::~EventHub() = default;

std::shared_ptr<EventHub::Slot> EventHub::reserve(const std::string& store_id,
                                                  const std::string& client, std::string& which) {
  std::lock_guard lock(state_->mu);
  if (state_->per_store[store_id] >= limits_.per_store) {
    which = "store";
    if (state_->per_store[store_id] == 0) state_->per_store.erase(store_id);
    return nullptr;
  }
  if (state_->per_client[client] >= limits_.per_client) {
    which = "client";
    if (state_->per_client[client] == 0) state_->per_client.erase(client);
    return nullptr;
  }
  ++state_->per_store[store_id];
  ++state_->per_client[client];
  ++state_->streams;
  return std::make_shared<Slot>(state_, store_id, client);
}

std::shared_ptr<http::EventStream> EventHub::open(storage::Session& session,
                                                  std::shared_ptr<Slot> slot,
                                                  storage::EventFilter filter,
                                                  std::optional<std::int64_t> last_event_id) {
  const std::string store_id = slot->store_id();
  storage::EventRepository events(session);
  const auto known = events.head(store_id).value_or(storage::EventRepository::Head{});
  const std::int64_t head = known.latest;
  std::string out = kRetry;
  std::int64_t cursor = head;
  if (last_event_id && *last_event_id > head) {
    // A number this store never reached (another database's, or a client's invention).
    out += marker("reset", store_id, head, "unknown_last_event_id");
  } else if (last_event_id && *last_event_id < head) {
    const auto missed = events.after(store_id, *last_event_id, filter, limits_.replay + 1);
    const bool pruned = known.oldest_kept == 0 || known.oldest_kept > *last_event_id + 1;
    if (static_cast<int>(missed.size()) > limits_.replay || pruned) {
      // Too much to replay, or gone: the client reloads what it shows and follows from here.
      out += marker("reset", store_id, head, "too_far_behind");
    } else {
      for (const auto& e : missed) {
        out += frame_of(e);
        cursor = std::max(cursor, e.seq);
      }
    }
  }
  out += marker("ready", store_id, cursor);
  auto stream = std::make_shared<http::EventStream>();
  stream->send(std::move(out));

  std::lock_guard lock(state_->mu);
  Watched& w = state_->stores.try_emplace(store_id, Watched{cursor, {}, {}}).first->second;
  Subscriber sub{state_->next_id++, std::move(filter), cursor, stream};
  if (w.seq > cursor) {  // this process is ahead of what the client was sent
    if (!w.ring.empty() && w.ring.front().seq <= cursor + 1) {
      for (const auto& e : w.ring) {
        if (e.seq > cursor && sub.filter.matches(e)) stream->send(frame_of(e));
      }
      sub.sent = w.seq;
    } else {
      w.seq = cursor;  // read again from here; the others skip what they had
    }
  }
  const std::uint64_t id = sub.id;
  w.subscribers.push_back(std::move(sub));
  stream->on_end([weak = std::weak_ptr<State>(state_), store_id, id, slot = std::move(slot)] {
    if (const auto state = weak.lock()) state->detach(store_id, id);
  });
  return stream;
}

void EventHub::poll(storage::Session& session) {
  std::vector<std::string> stores;
  std::vector<std::int64_t> cursors;
  {
    std::lock_guard lock(state_->mu);
    for (const auto& [store_id, w] : state_->stores) {
      stores.push_back(store_id);
      cursors.push_back(w.seq);
    }
  }
  if (stores.empty()) return;
  const auto events = storage::EventRepository(session).after_each(stores, cursors, kPollLimit);
  std::lock_guard lock(state_->mu);
  for (const auto& e : events) {
    const auto it = state_->stores.find(e.store_id);
    if (it == state_->stores.end() || e.seq <= it->second.seq) continue;
    Watched& w = it->second;
    w.seq = e.seq;
    if (w.ring.empty() || w.ring.back().seq < e.seq) {
      w.ring.push_back(e);
      if (w.ring.size() > kRing) w.ring.pop_front();
    }
    std::string frame;
    for (auto& s : w.subscribers) {
      if (e.seq <= s.sent) continue;
      s.sent = e.seq;
      if (!s.filter.matches(e)) continue;
      if (frame.empty()) frame = frame_of(e);
      s.stream->send(frame);
    }
  }
}

std::size_t EventHub::streams() const {
  std::lock_guard lock(state_->mu);
  return state_->streams;
}

}  // namespace freshlane::api
