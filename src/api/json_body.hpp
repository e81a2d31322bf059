#pragma once
// Private to api/: reading request bodies strictly. Every problem is collected with its JSON
// path, and finish() reports them all at once as 400 validation_failed (the first
// kMaxListedErrors of them, and how many more there were). Unknown members are errors too.
//
// Before anything is built from a body it must be JSON (Content-Type application/json or
// application/*+json, when the request names one: else 415), nested at most kMaxDepth deep
// and hold no number beyond a double's range (400 naming the member). No string handed out
// holds U+0000 or another control character but tab, line feed and carriage return. After a
// large body the memory it took is given back to the system.
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "freshlane/core/error.hpp"
#include "freshlane/core/time.hpp"
#include "freshlane/http/message.hpp"

namespace freshlane::api {

enum class Need { kRequired, kOptional };

inline constexpr int kMaxDepth = 64;                  // arrays and objects inside each other
inline constexpr size_t kMaxListedErrors = 20;        // field errors listed in one answer
inline constexpr size_t kTrimAfterBytes = 256 << 10;  // bodies this large give memory back

// The problems found in one body: the first kMaxListedErrors, and how many there were.
struct FieldErrors {
  std::vector<core::FieldError> listed;
  size_t total = 0;
  void add(core::FieldError e);
};

class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string path, FieldErrors& errors);

  std::optional<std::string> string(const std::string& key, Need need, size_t min_chars = 1,
                                    size_t max_chars = 200);
  std::optional<std::int64_t> integer(const std::string& key, Need need, std::int64_t min,
                                      std::int64_t max);
  std::optional<double> number(const std::string& key, Need need, double min, double max);
  std::optional<bool> boolean(const std::string& key, Need need);
  std::optional<core::Timestamp> timestamp(const std::string& key, Need need);
  // An array of strings, each 1..max_chars characters.
  std::optional<std::vector<std::string>> strings(const std::string& key, Need need,
                                                  size_t max_items, size_t max_chars = 200);
  // An object member; nullopt when absent, null (if optional) or not an object.
  std::optional<ObjectReader> object(const std::string& key, Need need);
  // An array of objects; calls `each` with a reader for every element.
  template <typename F>
  void objects(const std::string& key, Need need, size_t max_items, F&& each);

  // Whether the member was sent at all (null included): for PATCH, where null clears.
  bool has(const std::string& key) const { return object_.contains(key); }

  void error(const std::string& key, std::string message);
  std::string path_of(const std::string& key) const;
  // Reports members nobody asked for. Call after reading every known member.
  void reject_unknown();

 private:
  const nlohmann::json* member(const std::string& key, Need need);
  const nlohmann::json& object_;
  std::string path_;
  FieldErrors* errors_;
  std::set<std::string> known_;
};

// Owns the parsed body. Throws malformed_json for broken JSON (saying near which byte, in our
// words), and validation_failed when the body is not an object, is nested deeper than
// kMaxDepth or holds a number beyond a double's range.
class BodyReader : public ObjectReader {
 public:
  // The media type was checked before (api/routes.cpp: require_json_media_type for every
  // request that reaches a handler).
  explicit BodyReader(const std::string& body);
  ~BodyReader();
  BodyReader(const BodyReader&) = delete;
  BodyReader& operator=(const BodyReader&) = delete;
  // Throws validation_failed with the collected errors (after reject_unknown()).
  void finish();

  struct Parsed {
    nlohmann::json json;
    FieldErrors errors;
    size_t body_bytes = 0;
  };

 private:
  explicit BodyReader(std::unique_ptr<Parsed> parsed);
  std::unique_ptr<Parsed> parsed_;
};

// For actions that take no input: the body may be empty or `{}`, anything else is refused
// (validation_failed naming the unknown members).
void require_empty_body(const http::Request& req);

// Throws 415 unsupported_media_type when a request with a body names a Content-Type that is
// not JSON: application/json or application/<anything>+json, any case, with parameters (a
// charset, if given, must be utf-8). A body without a Content-Type is read as JSON.
void require_json_media_type(const http::Request& req);
bool is_json_media_type(std::string_view content_type);

// Gives freed memory back to the system (glibc malloc_trim) once a body of `body_bytes` is
// gone, when it was at least kTrimAfterBytes: the trees parsed from large bodies otherwise
// stay in the allocator's arenas, one per worker thread.
void give_back_memory_after(size_t body_bytes);

// Throws validation_failed for one query parameter.
[[noreturn]] void invalid_parameter(const std::string& name, const std::string& message);
// A coordinate query parameter (?lat= within ±90, ?lon= within ±180); none when absent.
std::optional<double> query_coordinate(const http::Request& req, const std::string& name,
                                       int limit);

// A date query parameter (YYYY-MM-DD), or `fallback` when absent or empty; 400
// validation_failed for anything else.
std::string query_date(const http::Request& req, const char* name, const std::string& fallback);
// A whole-number (or any number) query parameter within [lo, hi], or nullopt when absent or
// empty; 400 validation_failed for anything else.
std::optional<std::int64_t> query_integer(const http::Request& req, const char* name,
                                          std::int64_t lo, std::int64_t hi);
std::optional<double> query_number(const http::Request& req, const char* name, double lo,
                                   double hi);

template <typename F>
void ObjectReader::objects(const std::string& key, Need need, size_t max_items, F&& each) {
  const nlohmann::json* v = member(key, need);
  if (!v) return;
  if (!v->is_array()) return error(key, "must be an array");
  if (v->size() > max_items) {
    return error(key, "must have at most " + std::to_string(max_items) + " items");
  }
  for (size_t i = 0; i < v->size(); ++i) {
    const std::string item_path = path_of(key) + "[" + std::to_string(i) + "]";
    const nlohmann::json& item = (*v)[i];
    if (!item.is_object()) {
      errors_->add({item_path, "must be an object"});
      continue;
    }
    ObjectReader r(item, item_path, *errors_);
    each(r);
    r.reject_unknown();
  }
}

}  // namespace freshlane::api
