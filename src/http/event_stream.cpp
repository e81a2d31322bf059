#include "freshlane/http/event_stream.hpp"

#include <utility>

namespace freshlane::http {

std::string EventStream::frame(std::string_view id, std::string_view name, std::string_view data) {
  std::string out;
  out.reserve(id.size() + name.size() + data.size() + 24);
  if (!id.empty()) {
    out += "id: ";
    out += id;
    out += '\n';
  }
  out += "event: ";
  out += name;
  out += "\ndata: ";
  out += data;
  out += "\n\n";
  return out;
}

bool EventStream::send(std::string text) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_ || ended_) return false;
    if (queued_.size() + text.size() > max_queued) {
      closed_ = true;  // a client that does not read: it resumes from its last event
    } else if (queued_.empty()) {
      queued_ = std::move(text);
    } else {
      queued_ += text;
    }
    wake = wake_;
  }
  if (wake) wake();
  return true;
}

void EventStream::close() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    wake = wake_;
  }
  if (wake) wake();
}

void EventStream::on_end(std::function<void()> f) {
  std::lock_guard lock(mu_);
  on_end_ = std::move(f);
}

void EventStream::set_waker(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

std::string EventStream::take(bool& ended) {
  std::lock_guard lock(mu_);
  ended = closed_ || ended_;
  return std::exchange(queued_, {});
}

void EventStream::ended() {
  std::function<void()> f;
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = true;
    wake_ = nullptr;
    f = std::move(on_end_);
  }
  if (f) f();
}

}  // namespace freshlane::http
