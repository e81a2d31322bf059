#pragma once
// Private to api/: reading request bodies strictly. Every problem is collected with its JSON
// path, and finish() reports them all at once as 400 validation_failed. Unknown members are
// errors too.
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "freshlane/core/error.hpp"
#include "freshlane/core/time.hpp"
#include "freshlane/http/message.hpp"

namespace freshlane::api {

enum class Need { kRequired, kOptional };

class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string path,
               std::vector<core::FieldError>& errors);

  std::optional<std::string> string(const std::string& key, Need need, size_t min_chars = 1,
                                    size_t max_chars = 200);
  std::optional<std::int64_t> integer(const std::string& key, Need need, std::int64_t min,
                                      std::int64_t max);
  std::optional<double> number(const std::string& key, Need need, double min, double max);
  std::optional<core::Timestamp> timestamp(const std::string& key, Need need);
  // An array of strings, each 1..max_chars characters.
  std::optional<std::vector<std::string>> strings(const std::string& key, Need need,
                                                  size_t max_items, size_t max_chars = 200);
  // An object member; nullopt when absent, null (if optional) or not an object.
  std::optional<ObjectReader> object(const std::string& key, Need need);
  // An array of objects; calls `each` with a reader for every element.
  template <typename F>
  void objects(const std::string& key, Need need, size_t max_items, F&& each);

  void error(const std::string& key, std::string message);
  std::string path_of(const std::string& key) const;
  // Reports members nobody asked for. Call after reading every known member.
  void reject_unknown();

 private:
  const nlohmann::json* member(const std::string& key, Need need);
  const nlohmann::json& object_;
  std::string path_;
  std::vector<core::FieldError>* errors_;
  std::set<std::string> known_;
};

// Owns the parsed body. Throws malformed_json for broken JSON and validation_failed when the
// body is not an object.
class BodyReader : public ObjectReader {
 public:
  explicit BodyReader(const std::string& body);
  // Throws validation_failed with every collected error (after reject_unknown()).
  void finish();

  struct Parsed {
    nlohmann::json json;
    std::vector<core::FieldError> errors;
  };

 private:
  explicit BodyReader(std::unique_ptr<Parsed> parsed);
  std::unique_ptr<Parsed> parsed_;
};

// Throws validation_failed for one query parameter.
[[noreturn]] void invalid_parameter(const std::string& name, const std::string& message);
// A coordinate query parameter (?lat= within ±90, ?lon= within ±180); none when absent.
std::optional<double> query_coordinate(const http::Request& req, const std::string& name,
                                       int limit);

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
      errors_->push_back({item_path, "must be an object"});
      continue;
    }
    ObjectReader r(item, item_path, *errors_);
    each(r);
    r.reject_unknown();
  }
}

}  // namespace freshlane::api
