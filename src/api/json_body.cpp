#include "json_body.hpp"

#include <charconv>

namespace freshlane::api {

namespace {
// Counts Unicode code points; the parser has already rejected ill-formed UTF-8.
size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::unique_ptr<BodyReader::Parsed> parse(const std::string& body);
}  // namespace

ObjectReader::ObjectReader(const nlohmann::json& object, std::string path,
                           std::vector<core::FieldError>& errors)
    : object_(object), path_(std::move(path)), errors_(&errors) {}

std::string ObjectReader::path_of(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void ObjectReader::error(const std::string& key, std::string message) {
  errors_->push_back({path_of(key), std::move(message)});
}

const nlohmann::json* ObjectReader::member(const std::string& key, Need need) {
  known_.insert(key);
  const auto it = object_.find(key);
  if (it == object_.end() || (it->is_null() && need == Need::kOptional)) {
    if (need == Need::kRequired) error(key, "is required");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> ObjectReader::string(const std::string& key, Need need, size_t min_chars,
                                                size_t max_chars) {
  const nlohmann::json* v = member(key, need);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(key, "must be a string");
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  const size_t n = utf8_chars(s);
  if (n < min_chars || n > max_chars) {
    error(key, "must be " + std::to_string(min_chars) + " to " + std::to_string(max_chars) +
                   " characters");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> ObjectReader::integer(const std::string& key, Need need,
                                                  std::int64_t min, std::int64_t max) {
  const nlohmann::json* v = member(key, need);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    error(key, "must be an integer");
    return std::nullopt;
  }
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  const auto n = v->get<std::int64_t>();
  if (n < min || n > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<std::vector<std::string>> ObjectReader::strings(const std::string& key, Need need,
                                                              size_t max_items, size_t max_chars) {
  const nlohmann::json* v = member(key, need);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    error(key, "must be an array of strings");
    return std::nullopt;
  }
  if (v->size() > max_items) {
    error(key, "must have at most " + std::to_string(max_items) + " items");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    const std::string at = key + "[" + std::to_string(i) + "]";
    if (!item.is_string()) {
      error(at, "must be a string");
      ok = false;
      continue;
    }
    const auto& s = item.get_ref<const std::string&>();
    const size_t n = utf8_chars(s);
    if (n < 1 || n > max_chars) {
      error(at, "must be 1 to " + std::to_string(max_chars) + " characters");
      ok = false;
      continue;
    }
    out.push_back(s);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<double> ObjectReader::number(const std::string& key, Need need, double min,
                                           double max) {
  const nlohmann::json* v = member(key, need);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    error(key, "must be a number");
    return std::nullopt;
  }
  const double d = v->get<double>();
  if (!(d >= min && d <= max)) {
    error(key,
          "must be between " + nlohmann::json(min).dump() + " and " + nlohmann::json(max).dump());
    return std::nullopt;
  }
  return d;
}

std::optional<core::Timestamp> ObjectReader::timestamp(const std::string& key, Need need) {
  const nlohmann::json* v = member(key, need);
  if (!v) return std::nullopt;
  std::optional<core::Timestamp> t;
  if (v->is_string()) t = core::parse_rfc3339(v->get_ref<const std::string&>());
  if (!t) error(key, "must be an RFC 3339 date-time such as 2026-11-22T09:30:00Z");
  return t;
}

std::optional<ObjectReader> ObjectReader::object(const std::string& key, Need need) {
  const nlohmann::json* v = member(key, need);
  if (!v) return std::nullopt;
  if (!v->is_object()) {
    error(key, "must be an object");
    return std::nullopt;
  }
  return ObjectReader(*v, path_of(key), *errors_);
}

void ObjectReader::reject_unknown() {
  for (const auto& [key, value] : object_.items()) {
    if (!known_.count(key)) error(key, "is not a known member");
  }
}

namespace {
std::unique_ptr<BodyReader::Parsed> parse(const std::string& body) {
  auto parsed = std::make_unique<BodyReader::Parsed>();
  try {
    parsed->json = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw core::Error(core::ErrorKind::kMalformedJson,
                      body.empty() ? "the request needs a JSON body" : e.what());
  }
  if (!parsed->json.is_object()) {
    throw core::Error(core::ErrorKind::kValidationFailed, "the body must be a JSON object",
                      {{"", "must be a JSON object"}});
  }
  return parsed;
}
}  // namespace

BodyReader::BodyReader(const std::string& body) : BodyReader(parse(body)) {}

BodyReader::BodyReader(std::unique_ptr<Parsed> parsed)
    : ObjectReader(parsed->json, "", parsed->errors), parsed_(std::move(parsed)) {}

void BodyReader::finish() {
  reject_unknown();
  if (!parsed_->errors.empty()) {
    throw core::Error(
        core::ErrorKind::kValidationFailed,
        "the body has " + std::to_string(parsed_->errors.size()) + " invalid member(s)",
        parsed_->errors);
  }
}

void invalid_parameter(const std::string& name, const std::string& message) {
  throw core::Error(core::ErrorKind::kValidationFailed, "query parameter " + name + " " + message,
                    {{name, message}});
}

std::optional<double> query_coordinate(const http::Request& req, const std::string& name,
                                       int limit) {
  const auto text = req.query(name);
  if (!text) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  // Written so that NaN (from_chars accepts "nan") fails too.
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() ||
      !(v >= -limit && v <= limit)) {
    invalid_parameter(
        name, "must be a number from " + std::to_string(-limit) + " to " + std::to_string(limit));
  }
  return v;
}

}  // namespace freshlane::api
