#include "logging.hpp"

#include <spdlog/sinks/base_sink.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "freshlane/core/utf8.hpp"

namespace freshlane::app {

namespace {

// `s` as the inside of a JSON string: always valid JSON, whatever bytes a client sent (bytes
// that are not UTF-8 become U+FFFD).
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = core::utf8_sequence(s, i);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

// `s` on one line of a text log: line breaks and other control characters escaped, so a
// multi-line database error stays one line.
void append_one_line(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
}

// RFC 3339 in UTC with milliseconds: "2026-11-29T06:14:03.123Z".
void append_timestamp(std::string& out, std::chrono::system_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(((ms % 1000) + 1000) % 1000));
  out += buf;
}

// Application lines: "<time> <level> <message>" or {"ts","level","msg"}, one line each.
class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(msg.payload.size() + 64);
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (json_) {
      line += "{\"ts\":\"";
      append_timestamp(line, msg.time);
      line += "\",\"level\":\"";
      line.append(level.data(), level.size());
      line += "\",\"msg\":\"";
      append_json_string(line, payload);
      line += "\"}\n";
    } else {
      append_timestamp(line, msg.time);
      line += ' ';
      line.append(level.data(), level.size());
      line += ' ';
      append_one_line(line, payload);
      line += '\n';
    }
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(json_);
  }

 private:
  bool json_;
};

// Lines are formatted by the thread that logs and appended to a buffer in memory; a writer
// thread empties it to stdout (or the log file) every 100 ms, at once after a warning or an
// error, and when it passes 64 KiB. So logging never waits on the output nor wakes a thread
// per line (a wake-up per request cost the one I/O thread a fifth of its time). Past 8 MiB
// unwritten (output stuck), lines are dropped and the count is written when it moves again.
// The log file is reopened by the writer when asked (SIGHUP): lines logged meanwhile wait in
// the buffer, none is lost.
class BatchingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // `path` empty: stdout.
  explicit BatchingSink(std::string path) : path_(std::move(path)) {
    if (!path_.empty()) {
      out_ = std::fopen(path_.c_str(), "a");
      if (!out_) {
        throw std::runtime_error("FRESHLANE_LOG_FILE: cannot open '" + path_ +
                                 "': " + std::strerror(errno));
      }
    }
    writer_ = std::thread([this] { write_loop(); });
  }
  ~BatchingSink() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_up_.notify_one();
    writer_.join();
    if (out_ != stdout) std::fclose(out_);
  }

  // A line already formatted (an access line), in order with the others.
  void append_line(const std::string& line) {
    std::lock_guard lock(mutex_);
    if (buffer_.size() >= kMaxUnwritten) {
      ++dropped_;
      return;
    }
    buffer_ += line;
    if (buffer_.size() >= kWriteAt && !write_now_) {
      write_now_ = true;
      wake_up_.notify_one();
    }
  }

  void reopen() {
    {
      std::lock_guard lock(mutex_);
      reopen_ = true;
      write_now_ = true;
    }
    wake_up_.notify_one();
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
      const bool reopen = std::exchange(reopen_, false);
      const bool stop = stopping_;
      lock.unlock();
      if (reopen && !path_.empty()) {
        // Lines written before the signal may still belong in the old file: they are in
        // `out`, written below into the new one, which loses none.
        if (std::FILE* f = std::fopen(path_.c_str(), "a")) {
          std::fclose(out_);
          out_ = f;
        } else {
          out += "logging: cannot reopen '" + path_ + "': " + std::strerror(errno) +
                 "; writing on to the old file\n";
        }
      }
      if (dropped > 0)
        out += "logging: output was stuck; dropped " + std::to_string(dropped) + " lines\n";
      if (!out.empty()) {
        std::fwrite(out.data(), 1, out.size(), out_);
        std::fflush(out_);
        out.clear();
      }
      if (stop) return;
      lock.lock();
    }
  }

  std::string path_;
  std::FILE* out_ = stdout;
  std::condition_variable wake_up_;
  std::string buffer_;
  std::size_t dropped_ = 0;
  bool write_now_ = false;
  bool reopen_ = false;
  bool stopping_ = false;
  std::thread writer_;  // started last, once the members it uses exist
};

struct Installed {
  std::shared_ptr<BatchingSink> sink;
  std::shared_ptr<spdlog::logger> logger;
  bool json = false;
};
Installed& installed() {
  static Installed i;
  return i;
}

std::string access_line(const http::AccessRecord& r, bool json) {
  std::string line;
  line.reserve(256 + r.path.size());
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(r.duration).count();
  if (json) {
    line += "{\"ts\":\"";
    append_timestamp(line, std::chrono::system_clock::now());
    line += "\",\"level\":\"info\",\"msg\":\"";
    append_json_string(line, r.method);
    line += ' ';
    append_json_string(line, r.route);
    line += ' ' + std::to_string(r.status);
    line += "\",\"type\":\"access\",\"request_id\":\"";
    append_json_string(line, r.request_id);
    line += "\",\"client\":\"";
    append_json_string(line, r.client);
    line += "\",\"method\":\"";
    append_json_string(line, r.method);
    line += "\",\"route\":\"";
    append_json_string(line, r.route);
    line += "\",\"status\":" + std::to_string(r.status);
    line += ",\"bytes\":" + std::to_string(r.bytes);
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f", static_cast<double>(us) / 1000.0);
    line += ",\"duration_ms\":";
    line += duration;
    if (!r.trace_id.empty()) {
      line += ",\"trace_id\":\"";
      append_json_string(line, r.trace_id);
      line += '"';
    }
    line += "}\n";
  } else {
    append_timestamp(line, std::chrono::system_clock::now());
    line += " info ";
    append_one_line(line, r.method);
    line += ' ';
    append_one_line(line, r.path);
    line += ' ' + std::to_string(r.status) + ' ' + std::to_string(us) + "us id=";
    append_one_line(line, r.request_id);
    line += " route=";
    append_one_line(line, r.route);
    line += " client=";
    append_one_line(line, r.client);
    line += " bytes=" + std::to_string(r.bytes);
    if (!r.trace_id.empty()) {
      line += " trace_id=";
      append_one_line(line, r.trace_id);
    }
    line += '\n';
  }
  return line;
}

}  // namespace

std::shared_ptr<spdlog::logger> setup_logging(const std::string& level, const std::string& format,
                                              const std::string& file) {
  Installed& i = installed();
  i.sink = std::make_shared<BatchingSink>(file);
  i.json = format == "json";
  i.logger = std::make_shared<spdlog::logger>("freshlane", i.sink);
  i.logger->set_formatter(std::make_unique<LineFormatter>(i.json));
  i.logger->set_level(spdlog::level::from_str(level));
  i.logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(i.logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return i.logger;
}

http::AccessLog access_log() {
  return [](const http::AccessRecord& r) {
    Installed& i = installed();
    if (!i.sink || !i.logger->should_log(spdlog::level::info)) return;
    i.sink->append_line(access_line(r, i.json));
  };
}

void reopen_logs() {
  if (installed().sink) installed().sink->reopen();
}

}  // namespace freshlane::app
