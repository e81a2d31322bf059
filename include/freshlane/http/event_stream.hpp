#pragma once
// A response that stays open: server-sent events (text/event-stream). A handler answers with
// Response::stream set; the server writes the head, then whatever is sent, a heartbeat comment
// when nothing was for a while, and ends when the stream is closed, the client goes away, the
// server stops or the stream's lifetime is over. Producers call send() from any thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace freshlane::http {

class EventStream {
 public:
  // One event in the wire format: "id: <id>\nevent: <name>\ndata: <data>\n\n" (data on one
  // line: JSON). An empty id leaves the line out.
  static std::string frame(std::string_view id, std::string_view name, std::string_view data);

  // Queues text (one or more frames) for the client; false once the stream has ended (then
  // nothing is queued). A client that does not read falls behind: past `max_queued` bytes the
  // stream ends, and the client resumes from its last event.
  bool send(std::string text);
  // Ends the stream after what was queued is written.
  void close();

  // Called exactly once when the stream has ended, for whatever reason (on a server thread; it
  // must not block): a producer forgets its subscriber here.
  void on_end(std::function<void()> f);

  std::size_t max_queued = 1 << 20;

  // --- for the server ---
  // How to wake the writer when something was queued or the stream closed.
  void set_waker(std::function<void()> wake);
  // What to write now (empty when nothing), and whether the stream ended.
  std::string take(bool& ended);
  void ended();  // the connection is over: runs on_end once

 private:
  mutable std::mutex mu_;
  std::string queued_;
  bool closed_ = false;
  bool ended_ = false;
  std::function<void()> wake_;
  std::function<void()> on_end_;
};

}  // namespace freshlane::http
