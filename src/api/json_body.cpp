#include "json_body.hpp"

#include <malloc.h>
#include <sstream>

#include <algorithm>
#include <charconv>
#include <mutex>

namespace freshlane::api {

namespace {
// Counts Unicode code points; the parser has already rejected ill-formed UTF-8.
size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The reason a string is refused, or nullptr: U+0000 (PostgreSQL's text cannot hold it: the
// value would be cut short there) and every other C0 control character and DEL, but tab, line
// feed and carriage return (free text such as an address may span lines).
const char* control_character_in(const std::string& s) {
  for (unsigned char c : s) {
    if (c == 0) return "must not contain U+0000";
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      return "must not contain control characters (U+0001 to U+001F but tab, line feed and "
             "carriage return, and U+007F)";
    }
  }
  return nullptr;
}

std::string with_thousands(size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::unique_ptr<BodyReader::Parsed> parse(const std::string& body);
}  // namespace

namespace {
// A path is made of the client's own keys: a very long one is shown cut (on a UTF-8
// boundary), not echoed whole.
std::string shown_path(std::string path) {
  constexpr size_t kMaxPathBytes = 200;
  if (path.size() <= kMaxPathBytes) return path;
  size_t cut = kMaxPathBytes;
  while (cut > 0 && (static_cast<unsigned char>(path[cut]) & 0xC0) == 0x80) --cut;
  return path.substr(0, cut) + "…";
}
}  // namespace

void FieldErrors::add(core::FieldError e) {
  ++total;
  if (listed.size() >= kMaxListedErrors) return;
  e.field = shown_path(std::move(e.field));
  listed.push_back(std::move(e));
}

ObjectReader::ObjectReader(const nlohmann::json& object, std::string path, FieldErrors& errors)
    : object_(object), path_(std::move(path)), errors_(&errors) {}

std::string ObjectReader::path_of(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void ObjectReader::error(const std::string& key, std::string message) {
  errors_->add({path_of(key), std::move(message)});
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
  if (const char* why = control_character_in(s)) {
    error(key, why);
    return std::nullopt;
  }
  return s;
}

std::optional<bool> ObjectReader::boolean(const std::string& key, Need need) {
  const nlohmann::json* v = member(key, need);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    error(key, "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
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
    if (const char* why = control_character_in(s)) {
      error(at, why);
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
// Builds the tree like nlohmann's own DOM parser, while knowing where it is: a number beyond
// a double's range and nesting beyond kMaxDepth are told with the member's path, and nothing
// deeper than kMaxDepth is ever built.
class Sax {
 public:
  using json = nlohmann::json;
  explicit Sax(json& root) : dom_(root, false) {}

  bool null() { return value(dom_.null()); }
  bool boolean(bool v) { return value(dom_.boolean(v)); }
  bool number_integer(json::number_integer_t v) { return value(dom_.number_integer(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return value(dom_.number_unsigned(v)); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return value(dom_.number_float(v, s));
  }
  bool string(json::string_t& v) { return value(dom_.string(v)); }
  bool binary(json::binary_t& v) { return value(dom_.binary(v)); }
  bool start_object(std::size_t n) { return open(false) && dom_.start_object(n); }
  bool key(json::string_t& k) {
    frames_.back().key = k;
    return dom_.key(k);
  }
  bool end_object() { return close(dom_.end_object()); }
  bool start_array(std::size_t n) { return open(true) && dom_.start_array(n); }
  bool end_array() { return close(dom_.end_array()); }
  bool parse_error(std::size_t position, const std::string& /*token*/,
                   const nlohmann::detail::exception& e) {
    if (e.id == 406) {  // out_of_range: number overflow
      problem_ = Problem::kNumberTooLarge;
    } else {
      problem_ = Problem::kSyntax;
    }
    position_ = position;
    at_ = path();
    return false;
  }

  enum class Problem { kNone, kSyntax, kNumberTooLarge, kTooDeep };
  Problem problem() const { return problem_; }
  size_t position() const { return position_; }  // bytes read when the parser stopped
  const std::string& at() const { return at_; }  // the member's path ("" for the body)

 private:
  struct Frame {
    bool array = false;
    size_t index = 0;
    std::string key;
  };

  bool open(bool array) {
    if (frames_.size() >= static_cast<size_t>(kMaxDepth)) {
      problem_ = Problem::kTooDeep;
      at_ = path();
      return false;
    }
    frames_.push_back({array, 0, {}});
    return true;
  }
  bool close(bool ok) {
    frames_.pop_back();
    return value(ok);
  }
  // A value just ended: the next one in an array has the next index.
  bool value(bool ok) {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return ok;
  }
  std::string path() const {
    std::string out;
    for (const auto& f : frames_) {
      if (f.array) {
        out += "[" + std::to_string(f.index) + "]";
      } else if (!f.key.empty() || !out.empty()) {
        if (!out.empty()) out += '.';
        out += f.key;
      }
    }
    return out;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::vector<Frame> frames_;
  Problem problem_ = Problem::kNone;
  size_t position_ = 0;
  std::string at_;
};

// Where the parser stopped, in our words: "near byte 5: unexpected end of input".
std::string syntax_detail(const std::string& body, size_t position) {
  // `position` counts the bytes the parser read, the offending one included.
  if (position == 0 || position > body.size()) {
    return "the body is not valid JSON near byte " + std::to_string(body.size()) +
           ": unexpected end of input";
  }
  std::string out = "the body is not valid JSON near byte " + std::to_string(position) + ": ";
  const auto c = static_cast<unsigned char>(body[position - 1]);
  if (c >= 0x21 && c < 0x7F) return out + "unexpected '" + std::string(1, body[position - 1]) + "'";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string hex = "0x";
  hex += kHex[c >> 4];
  hex += kHex[c & 15];
  if (c >= 0x80) return out + "byte " + hex + " is not UTF-8 here";
  // White space between tokens is never the error: this one is inside a string.
  return out + "a string holds the control character " + hex + " unescaped";
}

std::unique_ptr<BodyReader::Parsed> parse(const std::string& body) {
  auto parsed = std::make_unique<BodyReader::Parsed>();
  parsed->body_bytes = body.size();
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw core::Error(core::ErrorKind::kMalformedJson, "the request needs a JSON body");
  }
  Sax sax(parsed->json);
  const bool ok = nlohmann::json::sax_parse(body, &sax);
  if (!ok) {
    parsed->json = nullptr;  // the part built so far
    give_back_memory_after(body.size());
    switch (sax.problem()) {
      case Sax::Problem::kTooDeep:
        throw core::Error(core::ErrorKind::kValidationFailed,
                          "the body is nested deeper than " + std::to_string(kMaxDepth) + " levels",
                          {{shown_path(sax.at()),
                            "is nested deeper than " + std::to_string(kMaxDepth) + " levels"}});
      case Sax::Problem::kNumberTooLarge:
        throw core::Error(core::ErrorKind::kValidationFailed,
                          "the body holds a number beyond the range of a double",
                          {{shown_path(sax.at()), "is a number too large to hold"}});
      case Sax::Problem::kSyntax:
      case Sax::Problem::kNone:
        throw core::Error(core::ErrorKind::kMalformedJson, syntax_detail(body, sax.position()));
    }
  }
  if (!parsed->json.is_object()) {
    throw core::Error(core::ErrorKind::kValidationFailed, "the body must be a JSON object",
                      {{"", "must be a JSON object"}});
  }
  return parsed;
}
}  // namespace

void give_back_memory_after(size_t body_bytes) {
  if (body_bytes < kTrimAfterBytes) return;
  // From the first large body on, blocks this large (the bodies' own buffers) are mapped on
  // their own and unmapped when freed; glibc would otherwise raise that threshold to the
  // largest block freed so far and keep every later body's buffer in its heaps.
  static std::once_flag tuned;
  std::call_once(tuned, [] { mallopt(M_MMAP_THRESHOLD, static_cast<int>(kTrimAfterBytes)); });
  malloc_trim(0);  // every arena: what the parsed trees took goes back to the system
}

bool is_json_media_type(std::string_view value) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
  };
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  const size_t semicolon = value.find(';');
  const std::string type = lower(trim(value.substr(0, semicolon)));
  const std::string_view kApp = "application/";
  const bool json_type =
      type == "application/json" ||
      (type.size() > kApp.size() + 5 && type.compare(0, kApp.size(), kApp) == 0 &&
       type.compare(type.size() - 5, 5, "+json") == 0 &&
       type.find_first_of("/ ", kApp.size()) == std::string::npos);
  if (!json_type) return false;
  // Parameters: a charset, if any, must be UTF-8 (RFC 8259 §8.1); others are ignored.
  std::string_view rest = semicolon == std::string_view::npos ? "" : value.substr(semicolon + 1);
  while (!rest.empty()) {
    const size_t next = rest.find(';');
    const std::string_view param = trim(rest.substr(0, next));
    rest = next == std::string_view::npos ? "" : rest.substr(next + 1);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (lower(trim(param.substr(0, eq))) != "charset") continue;
    std::string_view charset = trim(param.substr(eq + 1));
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    const std::string c = lower(charset);
    if (c != "utf-8" && c != "utf8") return false;
  }
  return true;
}

void require_empty_body(const http::Request& req) {
  if (req.body.empty()) return;
  BodyReader(req.body).finish();
}

void require_json_media_type(const http::Request& req) {
  if (req.body.empty()) return;
  const auto type = req.header("content-type");
  // No Content-Type: read as JSON, as every client of this API (and curl --json) sends it;
  // only a type that says the body is something else is refused.
  if (!type || is_json_media_type(*type)) return;
  std::string shown(type->substr(0, 100));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  }
  throw core::Error(
      core::ErrorKind::kUnsupportedMediaType,
      "the body must be JSON: send Content-Type: application/json (not " + shown + ")");
}

BodyReader::BodyReader(const std::string& body) : BodyReader(parse(body)) {}

BodyReader::BodyReader(std::unique_ptr<Parsed> parsed)
    : ObjectReader(parsed->json, "", parsed->errors), parsed_(std::move(parsed)) {}

BodyReader::~BodyReader() {
  const size_t bytes = parsed_->body_bytes;
  parsed_.reset();
  give_back_memory_after(bytes);
}

void BodyReader::finish() {
  reject_unknown();
  const FieldErrors& errors = parsed_->errors;
  if (errors.total == 0) return;
  std::string detail = "the body has " + with_thousands(errors.total) + " invalid member" +
                       (errors.total == 1 ? "" : "s");
  if (errors.total > errors.listed.size()) {
    detail += "; the first " + std::to_string(errors.listed.size()) + " are listed, and " +
              with_thousands(errors.total - errors.listed.size()) + " more are not";
  }
  throw core::Error(core::ErrorKind::kValidationFailed, detail, errors.listed);
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

std::string query_date(const http::Request& req, const char* name, const std::string& fallback) {
  const auto text = req.query(name);
  if (!text || text->empty()) return fallback;
  if (text->size() != 10 || !core::parse_rfc3339(std::string(*text) + "T00:00:00Z")) {
    invalid_parameter(name, "must be a date YYYY-MM-DD");
  }
  return std::string(*text);
}

std::optional<std::int64_t> query_integer(const http::Request& req, const char* name,
                                          std::int64_t lo, std::int64_t hi) {
  const auto text = req.query(name);
  if (!text || text->empty()) return std::nullopt;
  try {
    size_t used = 0;
    const long long v = std::stoll(std::string(*text), &used);
    if (used == text->size() && v >= lo && v <= hi) return v;
  } catch (const std::exception&) {
  }
  invalid_parameter(
      name, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
}

std::optional<double> query_number(const http::Request& req, const char* name, double lo,
                                   double hi) {
  const auto text = req.query(name);
  if (!text || text->empty()) return std::nullopt;
  try {
    size_t used = 0;
    const double v = std::stod(std::string(*text), &used);
    if (used == text->size() && v >= lo && v <= hi) return v;
  } catch (const std::exception&) {
  }
  std::ostringstream range;
  range << lo << " to " << hi;
  invalid_parameter(name, "must be a number from " + range.str());
}

}  // namespace freshlane::api
