#pragma once
// Live streams of a store's events (server-sent events) in this process. Every process follows
// the stores its clients watch by reading PostgreSQL's store_events after the last number it
// has (poll(), every FRESHLANE_EVENTS_POLL_MS, and only while someone watches), so an event
// reaches a client whichever process wrote it. A client that reconnects with Last-Event-ID is
// first sent what it missed from the table, then joins the live feed; numbers are per store,
// gap-free and in commit order, so nothing is lost and nothing comes twice.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "freshlane/http/event_stream.hpp"
#include "freshlane/storage/event_repository.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::api {

struct StreamLimits {
  std::size_t per_store = 200;  // FRESHLANE_STREAMS_PER_STORE: open streams about one store
  std::size_t per_client = 4;   // FRESHLANE_STREAMS_PER_CLIENT: open streams of one token
  int replay = 1000;            // events sent to a resuming client at most, else `reset`
};

class EventHub {
 public:
  explicit EventHub(StreamLimits limits = {});
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // A place for one more stream of `client` about `store_id`, held until the stream ends (or
  // the Slot is dropped unused); nullopt when a cap says no ("store" or "client" in `which`).
  class Slot;
  std::shared_ptr<Slot> reserve(const std::string& store_id, const std::string& client,
                                std::string& which);

  // Opens the stream for a reserved slot: replays from the database what came after
  // `last_event_id` (when given and still kept), then follows live. Runs on a database worker.
  std::shared_ptr<http::EventStream> open(storage::Session& session, std::shared_ptr<Slot> slot,
                                          storage::EventFilter filter,
                                          std::optional<std::int64_t> last_event_id);

  // Reads what was written since the last poll for every watched store and sends it on.
  void poll(storage::Session& session);

  std::size_t streams() const;
  const StreamLimits& limits() const { return limits_; }

 private:
  struct State;
  StreamLimits limits_;
  std::shared_ptr<State> state_;
};

}  // namespace freshlane::api
