#include "logging.hpp"

#include <spdlog/sinks/base_sink.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace freshlane::app {

namespace {

// Lines are formatted by the thread that logs and appended to a buffer in memory; a writer
// thread empties it to stdout every 100 ms, at once after a warning or an error, and when it
// passes 64 KiB. So logging never waits on stdout nor wakes a thread per line (a wake-up per
// request cost the one I/O thread a fifth of its time). Past 8 MiB unwritten (stdout stuck),
// lines are dropped and the count is written when stdout moves again.
class BatchingStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BatchingStdoutSink() : writer_([this] { write_loop(); }) {}
  ~BatchingStdoutSink() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_up_.notify_one();
    writer_.join();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (buffer_.size() >= kMaxUnwritten) {
      ++dropped_;
      return;
    }
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    buffer_.append(line.data(), line.size());
    if (buffer_.size() >= kWriteAt && !write_now_) {
      write_now_ = true;
      wake_up_.notify_one();
    }
  }
  void flush_() override {
    write_now_ = true;
    wake_up_.notify_one();
  }

 private:
  static constexpr std::size_t kWriteAt = 64 * 1024;
  static constexpr std::size_t kMaxUnwritten = 8 * 1024 * 1024;

  void write_loop() {
    std::string out;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_up_.wait_for(lock, std::chrono::milliseconds(100),
                        [this] { return write_now_ || stopping_; });
      write_now_ = false;
      out.swap(buffer_);
      const std::size_t dropped = std::exchange(dropped_, 0);
      const bool stop = stopping_;
      lock.unlock();
      if (dropped > 0)
        out += "logging: stdout was stuck; dropped " + std::to_string(dropped) + " lines\n";
      if (!out.empty()) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fflush(stdout);
        out.clear();
      }
      if (stop) return;
      lock.lock();
    }
  }

  std::condition_variable wake_up_;
  std::string buffer_;
  std::size_t dropped_ = 0;
  bool write_now_ = false;
  bool stopping_ = false;
  std::thread writer_;  // last: starts once the members it uses exist
};

}  // namespace

std::shared_ptr<spdlog::logger> setup_logging(const std::string& level) {
  auto logger =
      std::make_shared<spdlog::logger>("freshlane", std::make_shared<BatchingStdoutSink>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return logger;
}

}  // namespace freshlane::app
