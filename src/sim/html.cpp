#include "freshlane/sim/html.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "freshlane/core/utf8.hpp"

// The page is built as one string: numbers go through std::to_chars (no locale), every string
// from the report goes through escape(), and the source stays ASCII by writing typographic
// characters as HTML entities (they decode inside inline SVG too).

namespace freshlane::sim {

namespace {

using nlohmann::json;

// The store's targets for a day (the report carries the promise and pick deadline itself).
constexpr double kOnTimeTarget = 0.98;   // of delivered orders within promise_minutes
constexpr double kRefusedTarget = 0.02;  // store_busy refusals of orders inside the radius

constexpr std::string_view kDash = "&ndash;";

// Palette: one hue per meaning, so a colour reads the same in every chart.
constexpr std::string_view kBlue = "#2f6fb0";    // accepted / within target
constexpr std::string_view kOrange = "#e8590c";  // refused / over target
constexpr std::string_view kInk = "#1f2933";     // target lines
constexpr std::string_view kPass = "#2b8a3e";
constexpr std::string_view kFail = "#c92a2a";
constexpr std::string_view kPicker = "#0c8599";
constexpr std::string_view kPickerTint = "#b4e4ea";
constexpr std::string_view kCourier = "#7048e8";
constexpr std::string_view kCourierTint = "#d6ccfa";
constexpr std::string_view kNoData = "#eef0f3";

// ---------------------------------------------------------------------------------------------
// Reading the report: anything missing, of the wrong type or not finite is "absent".

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::optional<double> number(const json* j) {
  if (j == nullptr || !j->is_number()) return std::nullopt;
  const double v = j->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<double> number(const json& j, const char* key) { return number(member(j, key)); }

std::optional<double> number(const json& j, const char* outer, const char* key) {
  const json* o = member(j, outer);
  return o == nullptr ? std::nullopt : number(*o, key);
}

const json* non_empty_array(const json& j, const char* key) {
  const json* a = member(j, key);
  return a != nullptr && a->is_array() && !a->empty() ? a : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Formatting.

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "0";
  v = std::clamp(v, -1e12, 1e12);
  std::array<char, 64> buf{};
  const auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
  if (ec != std::errc{}) return "0";
  std::string s(buf.data(), end);
  if (!s.empty() && s[0] == '-' && s.find_first_not_of("0.", 1) == std::string::npos) s.erase(0, 1);
  return s;
}

// SVG coordinates: one decimal is finer than any screen or printer needs.
std::string xy(double v) { return fixed(v, 1); }

// Thousands separated: grouped(3100.5, 1) -> "3,100.5".
std::string grouped(double v, int decimals) {
  std::string s = fixed(v, decimals);
  const size_t digits_from = s[0] == '-' ? 1 : 0;
  size_t point = s.find('.');
  if (point == std::string::npos) point = s.size();
  for (size_t i = point; i > digits_from + 3; i -= 3) s.insert(i - 3, 1, ',');
  return s;
}

std::string whole(double v) { return grouped(v, 0); }

std::string percent(double ratio, int decimals) { return fixed(ratio * 100, decimals) + "%"; }

std::string minutes(double seconds) { return fixed(seconds / 60, 1); }

// A setting as people write it: 30, but 7.5.
std::string setting(double v) { return fixed(v, std::round(v) == v ? 0 : 1); }

// Enough decimals that the figure shown never seems to contradict its verdict: 97.96% must not
// read "98.0%" next to "target missed".
std::string figure_against(double value, double threshold, bool at_least, int decimals) {
  const bool pass = at_least ? value >= threshold : value <= threshold;
  for (int d = decimals; d < decimals + 4; ++d) {
    const double scale = std::pow(10.0, d);
    const double shown = std::round(value * scale);
    const double limit = std::round(threshold * scale);
    if ((at_least ? shown >= limit : shown <= limit) == pass) return fixed(shown / scale, d);
  }
  return fixed(value, decimals + 4);
}

// Text for HTML: the five special characters as references, control characters as spaces and
// broken UTF-8 as U+FFFD, so nothing from the report can open a tag or break the page.
std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
      }
      ++i;
      continue;
    }
    if (const size_t len = core::utf8_sequence(s, i); len > 0) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "&#xFFFD;";
      ++i;
    }
  }
  return out;
}

// A scalar from the report as escaped text, or nothing.
std::optional<std::string> text(const json* j) {
  if (j == nullptr) return std::nullopt;
  if (j->is_string()) return escape(j->get_ref<const std::string&>());
  if (j->is_number_unsigned()) return std::to_string(j->get<std::uint64_t>());
  if (j->is_number_integer()) return std::to_string(j->get<std::int64_t>());
  if (const auto v = number(j)) return fixed(*v, std::floor(*v) == *v ? 0 : 2);
  return std::nullopt;
}

std::string or_dash(const std::optional<std::string>& s) { return s ? *s : std::string(kDash); }

// "HH:MM" -> minutes after midnight.
std::optional<int> clock_minutes(const json* j) {
  if (j == nullptr || !j->is_string()) return std::nullopt;
  const std::string& s = j->get_ref<const std::string&>();
  const auto colon = s.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 2 || s.size() != colon + 3) {
    return std::nullopt;
  }
  int h = 0;
  int m = 0;
  if (std::from_chars(s.data(), s.data() + colon, h).ptr != s.data() + colon) return std::nullopt;
  if (std::from_chars(s.data() + colon + 1, s.data() + s.size(), m).ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  if (h < 0 || h > 48 || m < 0 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::string clock_label(int minutes_of_day) {
  const int h = minutes_of_day / 60;
  const int m = minutes_of_day % 60;
  std::string s = (h < 10 ? "0" : "") + std::to_string(h) + ":";
  return s + (m < 10 ? "0" : "") + std::to_string(m);
}

// ---------------------------------------------------------------------------------------------
// SVG building blocks.

struct Plot {
  double width = 880;
  double height = 280;
  double left = 60;
  double right = 28;
  double top = 48;
  double bottom = 40;
  double x0() const { return left; }
  double x1() const { return width - right; }
  double base() const { return height - bottom; }
  double w() const { return x1() - x0(); }
  double h() const { return base() - top; }
};

// A linear value axis with round ticks.
struct Scale {
  double lo = 0;
  double hi = 1;
  double step = 1;
  double y(const Plot& p, double v) const {
    const double t = hi > lo ? (std::clamp(v, lo, hi) - lo) / (hi - lo) : 0;
    return p.base() - t * p.h();
  }
  int ticks() const { return static_cast<int>(std::lround((hi - lo) / step)); }
};

double nice_step(double raw, bool integers) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    const double step = m * mag;
    if (integers && std::floor(step) != step) continue;
    if (step >= raw * (1 - 1e-9)) return step;
  }
  return 10 * mag;
}

Scale count_scale(double max_value, int max_ticks = 5) {
  if (!(max_value > 0) || !std::isfinite(max_value)) max_value = 1;
  max_value = std::min(max_value, 1e12);
  Scale s;
  s.step = std::max(1.0, nice_step(max_value / max_ticks, true));
  s.hi = std::ceil(max_value / s.step - 1e-9) * s.step;
  return s;
}

std::string tick_label(double v, double step) {
  if (std::floor(step) == step) return whole(v);
  return fixed(v, step >= 0.1 ? 1 : 2);
}

void open_svg(std::string& s, const Plot& p, std::string_view label) {
  s += "<svg viewBox=\"0 0 " + xy(p.width) + " " + xy(p.height) + "\" role=\"img\" aria-label=\"" +
       std::string(label) + "\">";
}

void line(std::string& s, double x1, double y1, double x2, double y2, std::string_view cls) {
  s += "<line class=\"" + std::string(cls) + "\" x1=\"" + xy(x1) + "\" y1=\"" + xy(y1) +
       "\" x2=\"" + xy(x2) + "\" y2=\"" + xy(y2) + "\"/>";
}

void rect(std::string& s, double x, double y, double w, double h, std::string_view fill) {
  s += "<rect x=\"" + xy(x) + "\" y=\"" + xy(y) + "\" width=\"" + xy(std::max(0.0, w)) +
       "\" height=\"" + xy(std::max(0.0, h)) + "\" fill=\"" + std::string(fill) + "\"/>";
}

// `content` must already be HTML-safe.
void label(std::string& s, double x, double y, std::string_view content,
           std::string_view anchor = "middle", std::string_view cls = "") {
  s += "<text x=\"" + xy(x) + "\" y=\"" + xy(y) + "\"";
  if (anchor != "start") s += " text-anchor=\"" + std::string(anchor) + "\"";
  if (!cls.empty()) s += " class=\"" + std::string(cls) + "\"";
  s += ">" + std::string(content) + "</text>";
}

void tooltip(std::string& s, std::string_view content) {
  s += "<title>" + std::string(content) + "</title>";
}

// Horizontal grid lines with their values on the left, and the axis name above them.
void y_grid(std::string& s, const Plot& p, const Scale& sc, std::string_view name,
            bool as_percent = false) {
  for (int k = 0; k <= sc.ticks(); ++k) {
    const double v = sc.lo + k * sc.step;
    const double y = sc.y(p, v);
    line(s, p.x0(), y, p.x1(), y, k == 0 ? "axis" : "grid");
    const std::string value =
        as_percent ? fixed(v * 100, sc.step * 100 < 1 ? 1 : 0) + "%" : tick_label(v, sc.step);
    label(s, p.x0() - 8, y + 4, value, "end", "tick");
  }
  label(s, p.x0() - 8, p.top - 12, name, "end", "axis-name");
}

struct LegendItem {
  enum class Kind { kBox, kLine, kDash, kDotted, kDot } kind;
  std::string_view color;
  std::string text;  // HTML-safe
};

// One row of swatches and names, left to right from (x, y).
void legend(std::string& s, double x, double y, const std::vector<LegendItem>& items) {
  for (const auto& it : items) {
    switch (it.kind) {
      case LegendItem::Kind::kBox:
        rect(s, x, y - 9, 14, 10, it.color);
        break;
      case LegendItem::Kind::kLine:
        s += "<line x1=\"" + xy(x) + "\" y1=\"" + xy(y - 4) + "\" x2=\"" + xy(x + 16) + "\" y2=\"" +
             xy(y - 4) + "\" stroke=\"" + std::string(it.color) + "\" stroke-width=\"2.5\"/>";
        break;
      case LegendItem::Kind::kDash:
        s += "<line x1=\"" + xy(x) + "\" y1=\"" + xy(y - 4) + "\" x2=\"" + xy(x + 16) + "\" y2=\"" +
             xy(y - 4) + "\" stroke=\"" + std::string(it.color) +
             "\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>";
        break;
      case LegendItem::Kind::kDotted:
        s += "<line x1=\"" + xy(x) + "\" y1=\"" + xy(y - 4) + "\" x2=\"" + xy(x + 16) + "\" y2=\"" +
             xy(y - 4) + "\" stroke=\"" + std::string(it.color) +
             "\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>";
        break;
      case LegendItem::Kind::kDot:
        s += "<circle cx=\"" + xy(x + 7) + "\" cy=\"" + xy(y - 4) + "\" r=\"4.5\" fill=\"" +
             std::string(it.color) + "\"/>";
        break;
    }
    label(s, x + 21, y, it.text, "start", "legend");
    // Entities count as one character; ~7 px per character at 12 px.
    size_t chars = 0;
    for (size_t i = 0; i < it.text.size(); ++i) {
      if (it.text[i] == '&') {
        const auto semi = it.text.find(';', i);
        if (semi != std::string::npos) i = semi;
      }
      ++chars;
    }
    x += 21 + 7.0 * static_cast<double>(chars) + 22;
  }
}

// ---------------------------------------------------------------------------------------------
// Per-quarter and per-hour rows, read once.

struct Quarter {
  std::optional<int> from;  // minutes after midnight
  std::string from_text;    // escaped, for tooltips
  std::optional<double> generated;
  std::optional<double> refused;
  std::optional<double> pickers;
  std::optional<double> couriers;
  std::optional<double> picker_util;
  std::optional<double> courier_util;
};

std::vector<Quarter> read_quarters(const json& report) {
  std::vector<Quarter> out;
  const json* rows = non_empty_array(report, "by_quarter");
  if (rows == nullptr) return out;
  static const json kEmpty = json::object();
  for (const auto& r : *rows) {
    const json& row = r.is_object() ? r : kEmpty;
    Quarter q;
    q.from = clock_minutes(member(row, "from"));
    q.from_text = or_dash(text(member(row, "from")));
    q.generated = number(row, "generated");
    q.refused = number(row, "refused");
    if (!q.generated) {
      if (const auto acc = number(row, "accepted")) q.generated = *acc + q.refused.value_or(0);
    }
    q.pickers = number(row, "pickers_on_shift");
    q.couriers = number(row, "couriers_on_shift");
    q.picker_util = number(row, "picker_utilization");
    q.courier_util = number(row, "courier_utilization");
    out.push_back(std::move(q));
  }
  return out;
}

std::string quarter_name(const Quarter& q) { return q.from ? clock_label(*q.from) : q.from_text; }

// The time axis under per-quarter charts: a tick at every full hour, labels spaced to fit.
void quarter_axis(std::string& s, const Plot& p, const std::vector<Quarter>& qs, bool labels) {
  const size_t n = qs.size();
  const double bw = p.w() / static_cast<double>(n);
  int quarter_len = 15;
  if (n >= 2 && qs[0].from && qs[1].from && *qs[1].from > *qs[0].from) {
    quarter_len = *qs[1].from - *qs[0].from;
  }
  std::vector<std::optional<int>> at(n + 1);
  bool any_time = false;
  for (size_t i = 0; i < n; ++i) {
    at[i] = qs[i].from;
    any_time = any_time || at[i].has_value();
  }
  if (qs[n - 1].from) at[n] = *qs[n - 1].from + quarter_len;

  if (any_time) {
    const double hour_px = bw * 60.0 / quarter_len;
    int every = 12;
    for (const int e : {1, 2, 3, 4, 6}) {
      if (hour_px * e >= 44) {
        every = e;
        break;
      }
    }
    for (size_t k = 0; k <= n; ++k) {
      if (!at[k] || *at[k] % 60 != 0) continue;
      const double x = p.x0() + bw * static_cast<double>(k);
      line(s, x, p.base(), x, p.base() + 5, "axis");
      if (labels && (*at[k] / 60) % every == 0) {
        label(s, x, p.base() + 19, clock_label(*at[k]), "middle", "tick");
      }
    }
  } else if (labels) {
    size_t every = 1;
    while (bw * static_cast<double>(every) < 40) ++every;
    for (size_t k = 0; k < n; k += every) {
      const double x = p.x0() + bw * (static_cast<double>(k) + 0.5);
      label(s, x, p.base() + 19, std::to_string(k + 1), "middle", "tick");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Chart 1: orders generated per quarter hour, the refused part stacked on top.

std::string orders_chart(const std::vector<Quarter>& qs) {
  double max = 0;
  bool any = false;
  for (const auto& q : qs) {
    if (q.generated) {
      any = true;
      max = std::max(max, *q.generated);
    }
  }
  if (!any) return {};
  Plot p;
  const Scale sc = count_scale(max);
  std::string s;
  open_svg(s, p, "Orders generated and refused per quarter hour");
  legend(
      s, p.x0(), 20,
      {{LegendItem::Kind::kBox, kBlue, "Accepted"}, {LegendItem::Kind::kBox, kOrange, "Refused"}});
  y_grid(s, p, sc, "orders");
  const double bw = p.w() / static_cast<double>(qs.size());
  const double bar = std::min(bw >= 6 ? bw * 0.82 : bw, 40.0);  // a short day keeps slim bars
  for (size_t i = 0; i < qs.size(); ++i) {
    const auto& q = qs[i];
    const double gen = std::max(0.0, q.generated.value_or(0));
    const double ref = std::clamp(q.refused.value_or(0), 0.0, gen);
    const double x = p.x0() + bw * static_cast<double>(i) + (bw - bar) / 2;
    s += "<g>";
    tooltip(s, quarter_name(q) + ": " + whole(gen) + " generated, " + whole(ref) + " refused");
    rect(s, x, sc.y(p, gen - ref), bar, p.base() - sc.y(p, gen - ref), kBlue);
    if (ref > 0) rect(s, x, sc.y(p, gen), bar, sc.y(p, gen - ref) - sc.y(p, gen), kOrange);
    s += "</g>";
  }
  quarter_axis(s, p, qs, true);
  s += "</svg>";
  return s;
}

// ---------------------------------------------------------------------------------------------
// Chart 2: share of deliveries on time, hour by hour, against the 98% target.

std::string on_time_chart(const json& report) {
  const json* rows = non_empty_array(report, "by_hour");
  if (rows == nullptr) return {};
  struct Hour {
    std::optional<int> hour;
    std::optional<double> ratio;
  };
  std::vector<Hour> hours;
  double min_ratio = 1;
  bool any = false;
  for (const auto& r : *rows) {
    Hour h;
    if (const auto v = number(r, "hour"); v && *v >= 0 && *v < 48) h.hour = static_cast<int>(*v);
    h.ratio = number(r, "on_time_ratio");
    if (h.ratio) {
      h.ratio = std::clamp(*h.ratio, 0.0, 1.0);
      min_ratio = std::min(min_ratio, *h.ratio);
      any = true;
    }
    hours.push_back(h);
  }
  if (!any) return {};

  Plot p;
  p.right = 90;  // room for the target's name
  // Zoom in where the story is (90-100%) but never hide a bad hour.
  Scale sc;
  sc.lo = std::min(0.9, std::floor(min_ratio * 10 + 1e-9) / 10);
  sc.hi = 1;
  const double range = sc.hi - sc.lo;
  sc.step = range <= 0.1 + 1e-9   ? 0.02
            : range <= 0.3 + 1e-9 ? 0.05
            : range <= 0.6 + 1e-9 ? 0.1
                                  : 0.2;

  std::string s;
  open_svg(s, p, "On-time share of deliveries per hour");
  std::vector<LegendItem> items{{LegendItem::Kind::kDot, kPass, "Hour on target"},
                                {LegendItem::Kind::kDot, kFail, "Hour below target"},
                                {LegendItem::Kind::kDash, kInk, "Target 98%"}};
  if (std::any_of(hours.begin(), hours.end(), [](const Hour& h) { return !h.ratio; })) {
    items.push_back({LegendItem::Kind::kBox, kNoData, "No deliveries"});
  }
  legend(s, p.x0(), 20, items);
  const double bw = p.w() / static_cast<double>(hours.size());
  for (size_t i = 0; i < hours.size(); ++i) {
    if (hours[i].ratio) continue;
    s += "<g>";
    tooltip(s, (hours[i].hour ? clock_label(*hours[i].hour * 60) : std::string(kDash)) +
                   ": no deliveries");
    rect(s, p.x0() + bw * static_cast<double>(i), p.top, bw, p.h(), kNoData);
    s += "</g>";
  }
  y_grid(s, p, sc, "on time", true);

  const double ty = sc.y(p, kOnTimeTarget);
  s += "<line class=\"target\" x1=\"" + xy(p.x0()) + "\" y1=\"" + xy(ty) + "\" x2=\"" + xy(p.x1()) +
       "\" y2=\"" + xy(ty) + "\"/>";
  label(s, p.x1() + 6, ty + 4, "target 98%", "start", "target-name");

  // The line breaks where an hour had no deliveries.
  std::string path;
  bool pen_down = false;
  for (size_t i = 0; i < hours.size(); ++i) {
    if (!hours[i].ratio) {
      pen_down = false;
      continue;
    }
    const double x = p.x0() + bw * (static_cast<double>(i) + 0.5);
    path += (pen_down ? "L" : "M") + xy(x) + " " + xy(sc.y(p, *hours[i].ratio));
    pen_down = true;
  }
  s += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + std::string(kBlue) +
       "\" stroke-width=\"2\"/>";
  for (size_t i = 0; i < hours.size(); ++i) {
    if (!hours[i].ratio) continue;
    const double r = *hours[i].ratio;
    const double x = p.x0() + bw * (static_cast<double>(i) + 0.5);
    s += "<circle cx=\"" + xy(x) + "\" cy=\"" + xy(sc.y(p, r)) + "\" r=\"4.5\" fill=\"" +
         std::string(r >= kOnTimeTarget ? kPass : kFail) + "\">";
    tooltip(s, (hours[i].hour ? clock_label(*hours[i].hour * 60) : std::string(kDash)) + ": " +
                   percent(r, 1) + " on time");
    s += "</circle>";
  }

  size_t every = 1;
  while (bw * static_cast<double>(every) < 44) ++every;
  for (size_t i = 0; i < hours.size(); i += every) {
    if (!hours[i].hour) continue;
    label(s, p.x0() + bw * (static_cast<double>(i) + 0.5), p.base() + 19,
          clock_label(*hours[i].hour * 60), "middle", "tick");
  }
  label(s, p.x1(), p.base() + 35, "hour starting", "end", "axis-name");
  s += "</svg>";
  return s;
}

// ---------------------------------------------------------------------------------------------
// Charts 3 and 4: how long orders took, as a histogram in minutes with the target marked.

struct Histogram {
  std::string svg;
  std::optional<double> over_share;  // of orders in buckets starting at or after the target
  bool over_share_exact = true;      // false when the target falls inside a bucket
};

Histogram duration_chart(const json* hist, std::optional<double> target_minutes,
                         std::string_view target_name, std::optional<double> p95_seconds,
                         std::string_view title) {
  Histogram out;
  if (hist == nullptr) return out;
  const auto bucket = number(*hist, "bucket_seconds");
  const json* raw = non_empty_array(*hist, "counts");
  if (!bucket || *bucket <= 0 || raw == nullptr) return out;
  std::vector<double> counts;
  for (const auto& c : *raw) counts.push_back(std::max(0.0, number(&c).value_or(0)));
  size_t used = 0;
  double max = 0;
  double total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0) used = i + 1;
    max = std::max(max, counts[i]);
    total += counts[i];
  }
  if (used == 0 || !std::isfinite(total)) return out;

  const double b = *bucket;
  const bool has_target = target_minutes.has_value() && *target_minutes >= 0;
  const double target_s = has_target ? *target_minutes * 60 : 0;
  double span_min = static_cast<double>(used) * b / 60;
  // Room right of the target line for its label.
  if (has_target) span_min = std::max(span_min, (target_s * 1.15 + b) / 60);
  double step = 1;
  for (const double st : {0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 240.0}) {
    step = st;
    if (span_min / st <= 12) break;
  }
  const double axis_max = std::max(step, std::ceil(span_min / step - 1e-9) * step);

  Plot p;
  p.height = 270;
  const Scale sc = count_scale(max);
  const auto x_of = [&](double seconds) {
    return p.x0() + std::clamp(seconds / 60 / axis_max, 0.0, 1.0) * p.w();
  };

  std::string s;
  open_svg(s, p, title);
  const std::string within = "Within " + std::string(target_name);
  const std::string over = "Over " + std::string(target_name);
  std::vector<LegendItem> items{{LegendItem::Kind::kBox, kBlue, has_target ? within : "Orders"}};
  if (has_target) {
    items.push_back({LegendItem::Kind::kBox, kOrange, over});
    std::string name(target_name);
    if (!name.empty() && name[0] >= 'a' && name[0] <= 'z')
      name[0] = static_cast<char>(name[0] - 32);
    items.push_back({LegendItem::Kind::kDash, kInk, name});
  }
  if (p95_seconds) items.push_back({LegendItem::Kind::kDotted, "#495057", "p95"});
  legend(s, p.x0(), 20, items);
  y_grid(s, p, sc, "orders");

  double over_count = 0;
  for (size_t i = 0; i < used; ++i) {
    const double from = b * static_cast<double>(i);
    const bool late = has_target && from >= target_s - 1e-9;
    if (late) over_count += counts[i];
    if (counts[i] <= 0) continue;
    const double x = x_of(from);
    const double w = x_of(from + b) - x;
    const double gap = w >= 4 ? 1 : 0;
    s += "<g>";
    tooltip(s, fixed(from / 60, b < 60 ? 1 : 0) + "&ndash;" +
                   fixed((from + b) / 60, b < 60 ? 1 : 0) + " min: " + whole(counts[i]) +
                   " orders");
    const double h = std::max(1.5, p.base() - sc.y(p, counts[i]));  // a lone order stays visible
    rect(s, x + gap / 2, p.base() - h, w - gap, h, late ? kOrange : kBlue);
    s += "</g>";
  }
  if (has_target && total > 0) {
    out.over_share = over_count / total;
    const double into_bucket = std::fmod(target_s, b);
    out.over_share_exact = into_bucket < 1e-6 || b - into_bucket < 1e-6;
  }

  // x axis in minutes
  const int n_ticks = static_cast<int>(std::lround(axis_max / step));
  for (int k = 0; k <= n_ticks; ++k) {
    const double m = step * k;
    const double x = p.x0() + m / axis_max * p.w();
    line(s, x, p.base(), x, p.base() + 5, "axis");
    label(s, x, p.base() + 19, fixed(m, std::floor(step) == step ? 0 : 1), "middle", "tick");
  }
  label(s, p.x1(), p.base() + 35, "minutes after payment", "end", "axis-name");

  // Markers: the target (bold label, top) and p95 (lighter, a line lower). Each label sits on
  // the side of its line away from the other line, so no text is crossed.
  const auto marker = [&](double seconds, std::string_view cls, const std::string& name,
                          double label_y, bool left) {
    const double x = x_of(seconds);
    line(s, x, p.top - 4, x, p.base(), cls);
    label(s, left ? x - 5 : x + 5, label_y, name, left ? "end" : "start",
          std::string(cls) + "-name");
  };
  const bool has_p95 = p95_seconds && *p95_seconds >= 0;
  const double target_x = x_of(target_s);
  const double p95_x = has_p95 ? x_of(*p95_seconds) : 0;
  bool target_left = has_p95 && p95_x > target_x && target_x > p.x0() + 140;
  if (target_x > p.x1() - 130) target_left = true;  // no room on the right
  bool p95_left = has_target ? p95_x <= target_x && p95_x > p.x0() + 110 : false;
  if (p95_x > p.x1() - 100) p95_left = true;  // no room on the right
  if (has_p95) {
    marker(*p95_seconds, "p95", "p95 " + minutes(*p95_seconds) + " min", p.top + 24, p95_left);
  }
  if (has_target) {
    marker(target_s, "target", std::string(target_name) + " " + setting(*target_minutes) + " min",
           p.top + 8, target_left);
  }
  s += "</svg>";
  out.svg = std::move(s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Chart 5: people on shift (bars, left axis) and how busy they were (line, right axis 0-100%),
// one panel for pickers and one for couriers, on the same time axis as chart 1.

struct Crew {
  std::string name;  // plural, as in "Pickers on shift"
  std::string one;   // singular, as in "Picker utilisation"
  std::string_view strong;
  std::string_view tint;
  std::optional<double> Quarter::*on_shift;
  std::optional<double> Quarter::*utilization;
};

std::string staffing_chart(const std::vector<Quarter>& qs) {
  const std::vector<Crew> all{
      {"Pickers", "Picker", kPicker, kPickerTint, &Quarter::pickers, &Quarter::picker_util},
      {"Couriers", "Courier", kCourier, kCourierTint, &Quarter::couriers, &Quarter::courier_util}};
  std::vector<Crew> crews;
  for (const auto& c : all) {
    const bool any = std::any_of(qs.begin(), qs.end(), [&](const Quarter& q) {
      return (q.*c.on_shift).has_value() || (q.*c.utilization).has_value();
    });
    if (any) crews.push_back(c);
  }
  if (crews.empty()) return {};

  constexpr double kPanel = 130;
  constexpr double kPanelGap = 46;
  constexpr double kTop = 66;
  Plot frame;
  frame.right = 56;
  frame.height = kTop + kPanel * static_cast<double>(crews.size()) +
                 kPanelGap * static_cast<double>(crews.size() - 1) + 42;
  std::string s;
  open_svg(s, frame, "People on shift and their utilisation per quarter hour");
  std::vector<LegendItem> items;
  for (const auto& c : crews) {
    items.push_back({LegendItem::Kind::kBox, c.tint, c.name + " on shift (left)"});
    items.push_back({LegendItem::Kind::kLine, c.strong, c.one + " utilisation (right)"});
  }
  legend(s, frame.x0(), 20, items);

  const double bw = frame.w() / static_cast<double>(qs.size());
  for (size_t ci = 0; ci < crews.size(); ++ci) {
    const Crew& c = crews[ci];
    Plot p = frame;
    p.top = kTop + static_cast<double>(ci) * (kPanel + kPanelGap);
    p.bottom = frame.height - p.top - kPanel;
    label(s, p.x0(), p.top - 12, c.name, "start", "panel-name");

    double max_people = 0;
    for (const auto& q : qs) max_people = std::max(max_people, (q.*c.on_shift).value_or(0));
    const Scale people = count_scale(max_people, 4);
    y_grid(s, p, people, "");
    Scale util;
    util.step = 0.25;
    for (int k = 0; k <= 4; ++k) {
      label(s, p.x1() + 8, util.y(p, k * 0.25) + 4, std::to_string(k * 25) + "%", "start",
            "tick util-tick");
    }

    for (size_t i = 0; i < qs.size(); ++i) {
      const auto v = qs[i].*c.on_shift;
      if (!v || *v <= 0) continue;
      s += "<g>";
      tooltip(s, quarter_name(qs[i]) + ": " + whole(*v) + " on shift" +
                     ((qs[i].*c.utilization) ? ", " + percent(*(qs[i].*c.utilization), 0) + " busy"
                                             : std::string()));
      // A hair wider than the band, so neighbouring bars of the same colour show no seam.
      rect(s, p.x0() + bw * static_cast<double>(i), people.y(p, *v),
           bw + (i + 1 < qs.size() ? 0.6 : 0), p.base() - people.y(p, *v), c.tint);
      s += "</g>";
    }
    std::string path;
    bool pen_down = false;
    for (size_t i = 0; i < qs.size(); ++i) {
      const auto u = qs[i].*c.utilization;
      if (!u) {
        pen_down = false;
        continue;
      }
      const double x = p.x0() + bw * (static_cast<double>(i) + 0.5);
      const double y = util.y(p, std::clamp(*u, 0.0, 1.0));
      path += (pen_down ? "L" : "M") + xy(x) + " " + xy(y);
      const bool alone = !pen_down && (i + 1 == qs.size() || !(qs[i + 1].*c.utilization));
      if (alone) {  // a one-point line would not show
        s += "<circle cx=\"" + xy(x) + "\" cy=\"" + xy(y) + "\" r=\"3\" fill=\"" +
             std::string(c.strong) + "\"/>";
      }
      pen_down = true;
    }
    if (!path.empty()) {
      s += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + std::string(c.strong) +
           "\" stroke-width=\"2.2\" stroke-linejoin=\"round\"/>";
    }
    quarter_axis(s, p, qs, ci + 1 == crews.size());
  }
  s += "</svg>";
  return s;
}

// ---------------------------------------------------------------------------------------------
// Headline cards.

enum class Verdict { kNone, kPass, kFail, kUnknown };

struct Card {
  Card(std::string t, std::string v, std::string n)
      : title(std::move(t)), value(std::move(v)), note(std::move(n)) {}
  std::string title;  // HTML-safe
  std::string value;  // HTML-safe
  std::string note;   // HTML-safe
  Verdict verdict = Verdict::kNone;
  std::optional<double> meter;  // 0..1, drawn as a thin bar under the value
  bool pair = false;            // two figures ("p50 / p95"): set a size smaller to fit the card
};

std::string verdict_class(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kUnknown:
      return "unknown";
    case Verdict::kNone:
      break;
  }
  return "neutral";
}

std::string render_card(const Card& c) {
  std::string s = "<div class=\"card " + verdict_class(c.verdict) + "\">";
  s += "<div class=\"card-title\">" + c.title + "</div>";
  s += std::string(c.pair ? "<div class=\"value pair\">" : "<div class=\"value\">") + c.value +
       "</div>";
  if (c.meter) {
    const double w = std::clamp(*c.meter, 0.0, 1.0) * 100;
    s += "<div class=\"meter\"><span style=\"width:" + fixed(w, 1) + "%\"></span></div>";
  }
  s += "<div class=\"note\">" + c.note + "</div>";
  switch (c.verdict) {
    case Verdict::kPass:
      s += "<div class=\"verdict\">&#10003; Target met</div>";
      break;
    case Verdict::kFail:
      s += "<div class=\"verdict\">&#10007; Target missed</div>";
      break;
    case Verdict::kUnknown:
      s += "<div class=\"verdict\">Not checked: data missing</div>";
      break;
    case Verdict::kNone:
      break;
  }
  return s + "</div>";
}

struct Checked {
  std::string name;
  Verdict verdict;
};

// ---------------------------------------------------------------------------------------------
// The page.

constexpr std::string_view kStyle = R"css(
:root{--ink:#1f2933;--muted:#5f6b7a;--line:#dde3ea;--pass:#2b8a3e;--pass-bg:#f1faf3;
--fail:#c92a2a;--fail-bg:#fff3f3;--bg:#f4f6f8}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1000px;margin:0 auto;padding:24px 20px 40px}
h1{font-size:26px;line-height:1.2;margin:0 0 6px}
h2{font-size:17px;margin:0 0 2px}
.meta{color:var(--muted);margin:0}
.meta b{color:var(--ink);font-weight:600}
.summary{margin:16px 0;padding:10px 14px;border-radius:8px;font-weight:600;
border:1px solid var(--line);background:#fff}
.summary.pass{border-color:var(--pass);color:var(--pass);background:var(--pass-bg)}
.summary.fail{border-color:var(--fail);color:var(--fail);background:var(--fail-bg)}
.cards{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin:0 0 8px}
@media (max-width:760px){.cards{grid-template-columns:repeat(2,minmax(0,1fr))}}
.card{background:#fff;border:1px solid var(--line);border-top:5px solid #adb5bd;
border-radius:8px;padding:10px 14px 12px}
.card.pass{border-top-color:var(--pass);background:var(--pass-bg)}
.card.fail{border-top-color:var(--fail);background:var(--fail-bg)}
.card-title{font-size:13px;font-weight:600;color:var(--muted);text-transform:uppercase;
letter-spacing:.03em}
.value{font-size:30px;font-weight:700;line-height:1.25;font-variant-numeric:tabular-nums;
}
.value.pair{font-size:26px;line-height:1.38}
.pass .value{color:var(--pass)}
.fail .value{color:var(--fail)}
.note{font-size:13px;color:var(--muted)}
.verdict{font-size:13px;font-weight:700;margin-top:4px}
.pass .verdict{color:var(--pass)}
.fail .verdict{color:var(--fail)}
.unknown .verdict{color:var(--muted)}
.meter{height:6px;background:#e9ecef;border-radius:3px;margin:4px 0 6px;overflow:hidden}
.meter span{display:block;height:100%;background:#495057}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px;
margin:14px 0;break-inside:avoid;page-break-inside:avoid}
.sub{color:var(--muted);font-size:13px;margin:0 0 6px}
.empty{color:var(--muted);font-style:italic;margin:6px 0}
svg{display:block;width:100%;height:auto;font-family:inherit;font-size:12px}
svg text{fill:#5f6b7a}
svg .tick{font-variant-numeric:tabular-nums}
svg .axis-name{font-style:italic}
svg .legend{fill:var(--ink)}
svg .panel-name{fill:var(--ink);font-weight:700;font-size:13px}
svg .target-name{fill:var(--ink);font-weight:700}
svg .p95-name{fill:#495057}
svg .grid{stroke:#e9ecef;stroke-width:1}
svg .axis{stroke:#868e96;stroke-width:1}
svg .target{stroke:#1f2933;stroke-width:2;stroke-dasharray:6 4}
svg .p95{stroke:#868e96;stroke-width:1.5;stroke-dasharray:2 3}
.totals{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:8px 24px}
@media (max-width:760px){.totals{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%;font-size:14px;align-self:start}
caption{text-align:left;font-weight:700;padding:0 0 4px}
th{text-align:left;font-weight:400;color:var(--muted);padding:3px 0}
td{text-align:right;font-variant-numeric:tabular-nums;padding:3px 0 3px 8px;font-weight:600;
white-space:nowrap}
tr+tr th,tr+tr td{border-top:1px solid #eef0f3}
tr.sum th,tr.sum td{border-top:1.5px solid #adb5bd}
tr.sum+tr th,tr.sum+tr td{border-top:1.5px solid #adb5bd}
footer{color:var(--muted);font-size:12px;margin-top:18px}
@page{size:A4;margin:12mm}
@media print{
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{background:#fff;font-size:12px}
main{max-width:none;padding:0}
.cards{grid-template-columns:repeat(4,minmax(0,1fr));gap:8px}
.value{font-size:22px}
.value.pair{font-size:18px;line-height:1.7}
section{margin:10px 0;padding:8px 10px}
.totals{grid-template-columns:repeat(3,minmax(0,1fr))}
}
)css";

void chart_section(std::string& s, std::string_view title, const std::string& sub,
                   const std::string& svg, std::string_view empty_note) {
  s += "<section><h2>" + std::string(title) + "</h2>";
  if (svg.empty()) {
    s += "<p class=\"empty\">" + std::string(empty_note) + "</p>";
  } else {
    if (!sub.empty()) s += "<p class=\"sub\">" + sub + "</p>";
    s += svg;
  }
  s += "</section>\n";
}

using Row = std::pair<std::string, std::string>;

// `sum_row`: the index of a row that adds up the ones above it (ruled off), if any.
void table(std::string& s, std::string_view caption, const std::vector<Row>& rows,
           std::optional<size_t> sum_row = std::nullopt) {
  s += "<table><caption>" + std::string(caption) + "</caption>";
  for (size_t i = 0; i < rows.size(); ++i) {
    s += sum_row == i ? "<tr class=\"sum\">" : "<tr>";
    s += "<th>" + rows[i].first + "</th><td>" + rows[i].second + "</td></tr>";
  }
  s += "</table>";
}

std::string count_or_dash(std::optional<double> v) { return v ? whole(*v) : std::string(kDash); }

std::string fixed_or_dash(std::optional<double> v, int decimals) {
  return v ? fixed(*v, decimals) : std::string(kDash);
}

std::string percent_or_dash(std::optional<double> v, int decimals) {
  return v ? percent(*v, decimals) : std::string(kDash);
}

}  // namespace

std::string render_html(const json& report) {
  static const json kEmpty = json::object();
  const json& r = report.is_object() ? report : kEmpty;

  const auto scenario = text(member(r, "scenario"));
  const auto seed = text(member(r, "seed"));
  const json* day = member(r, "day");
  const auto opens = day ? text(member(*day, "opens")) : std::nullopt;
  const auto closes = day ? text(member(*day, "closes")) : std::nullopt;
  const auto promise_min = number(r, "promise_minutes");
  const auto deadline_min = number(r, "pick_deadline_minutes");

  const auto generated = number(r, "orders", "generated");
  const auto accepted = number(r, "orders", "accepted");
  const auto refused = number(r, "orders", "refused");
  const auto delivered = number(r, "orders", "delivered");
  const auto collected = number(r, "orders", "collected");
  const auto in_store = number(r, "orders", "completed_in_store");
  const auto open_at_close = number(r, "orders", "open_at_close");

  auto refused_ratio = number(r, "refused_ratio");
  if (!refused_ratio && refused && generated && *generated > 0) {
    refused_ratio = *refused / *generated;
  }
  const auto on_time = number(r, "promise", "on_time_ratio");
  const auto late = number(r, "promise", "late");
  const auto slack_p50 = number(r, "promise", "slack_p50_minutes");
  const auto conv_p50 = number(r, "paid_to_conveyor_seconds", "p50");
  const auto conv_p95 = number(r, "paid_to_conveyor_seconds", "p95");
  const auto conv_max = number(r, "paid_to_conveyor_seconds", "max");
  const auto door_p50 = number(r, "paid_to_door_seconds", "p50");
  const auto door_p95 = number(r, "paid_to_door_seconds", "p95");
  const auto door_max = number(r, "paid_to_door_seconds", "max");
  const auto courier_util = number(r, "couriers", "utilization");
  const auto orders_per_trip = number(r, "couriers", "orders_per_trip");
  const auto km = number(r, "couriers", "km");
  const auto trips = number(r, "couriers", "trips");
  const auto picker_util = number(r, "pickers", "utilization");
  const auto packer_util = number(r, "packers", "utilization");
  const auto max_lane = number(r, "lanes", "max_occupancy");
  const auto hours_pickers = number(r, "labour_hours", "pickers");
  const auto hours_couriers = number(r, "labour_hours", "couriers");
  const auto hours_packers = number(r, "labour_hours", "packers");
  const auto per_labour_hour = number(r, "orders_per_labour_hour");
  std::optional<double> hours_total;
  if (hours_pickers && hours_couriers && hours_packers) {
    hours_total = *hours_pickers + *hours_couriers + *hours_packers;
  }

  const std::string promise_text =
      promise_min ? setting(*promise_min) + " min" : std::string(kDash);
  const std::string deadline_text =
      deadline_min ? setting(*deadline_min) + " min" : std::string(kDash);

  // --- the three targets
  std::vector<Card> cards;
  std::vector<Checked> checks;
  {
    Card c{"On time", std::string(kDash),
           "of delivered within " + (promise_min ? promise_text : "the promise") +
               " &middot; target &ge; 98%"};
    c.verdict = Verdict::kUnknown;
    if (on_time) {
      const bool ok = *on_time >= kOnTimeTarget;
      c.value = figure_against(*on_time * 100, kOnTimeTarget * 100, true, 1) + "%";
      c.verdict = ok ? Verdict::kPass : Verdict::kFail;
    }
    if (late) c.note += " &middot; " + whole(*late) + " late";
    checks.push_back({"on time", c.verdict});
    cards.push_back(std::move(c));
  }
  {
    Card c{"Refused", std::string(kDash), "target &le; 2%"};
    c.verdict = Verdict::kUnknown;
    if (refused_ratio) {
      const bool ok = *refused_ratio <= kRefusedTarget;
      c.value = figure_against(*refused_ratio * 100, kRefusedTarget * 100, false, 1) + "%";
      c.verdict = ok ? Verdict::kPass : Verdict::kFail;
    }
    const auto busy = number(r, "orders", "refused_busy");
    const auto outside = number(r, "orders", "out_of_range");
    if (busy && outside && generated) {  // the target counts the store's refusals, not distance
      c.note = whole(*busy) + " store busy of " + whole(*generated - *outside) +
               " orders in range (" + whole(*outside) + " out of range) &middot; " + c.note;
    } else if (refused && generated) {
      c.note = whole(*refused) + " of " + whole(*generated) + " orders &middot; " + c.note;
    }
    checks.push_back({"refused orders", c.verdict});
    cards.push_back(std::move(c));
  }
  {
    Card c{"Paid &rarr; conveyor", std::string(kDash),
           "minutes, p50 / p95" +
               (deadline_min ? " &middot; target p95 &le; " + deadline_text : std::string())};
    c.pair = true;
    c.verdict = Verdict::kUnknown;
    std::string p95_text = conv_p95 ? minutes(*conv_p95) : std::string(kDash);
    if (conv_p95 && deadline_min) {
      const bool ok = *conv_p95 <= *deadline_min * 60;
      p95_text = figure_against(*conv_p95 / 60, *deadline_min, false, 1);
      c.verdict = ok ? Verdict::kPass : Verdict::kFail;
    }
    if (conv_p50 || conv_p95) {
      c.value = (conv_p50 ? minutes(*conv_p50) : std::string(kDash)) + " / " + p95_text;
    }
    checks.push_back({"paid &rarr; conveyor p95", c.verdict});
    cards.push_back(std::move(c));
  }
  {
    Card c{
        "Paid &rarr; door", std::string(kDash),
        "minutes, p50 / p95" + (promise_min ? " &middot; promise " + promise_text : std::string())};
    c.pair = true;
    if (door_p50 || door_p95) {
      c.value = (door_p50 ? minutes(*door_p50) : std::string(kDash)) + " / " +
                (door_p95 ? minutes(*door_p95) : std::string(kDash));
    }
    cards.push_back(std::move(c));
  }
  {
    Card c{"Orders / labour hour", fixed_or_dash(per_labour_hour, 1),
           hours_total ? fixed(*hours_total, 0) + " labour hours" : std::string()};
    cards.push_back(std::move(c));
  }
  {
    Card c{"Courier utilisation", percent_or_dash(courier_util, 0),
           orders_per_trip ? fixed(*orders_per_trip, 1) + " orders per trip" : std::string()};
    c.meter = courier_util;
    cards.push_back(std::move(c));
  }
  {
    Card c{"Picker utilisation", percent_or_dash(picker_util, 0),
           packer_util ? "packers " + percent(*packer_util, 0) : std::string()};
    c.meter = picker_util;
    cards.push_back(std::move(c));
  }
  {
    std::optional<double> done;
    if (delivered || collected || in_store) {
      done = delivered.value_or(0) + collected.value_or(0) + in_store.value_or(0);
    }
    std::string note = accepted ? "of " + whole(*accepted) + " accepted" : std::string();
    if (open_at_close) {
      note +=
          std::string(note.empty() ? "" : " &middot; ") + whole(*open_at_close) + " open at close";
    }
    cards.emplace_back("Orders completed", count_or_dash(done), note);
  }

  // --- page
  std::string s;
  s.reserve(size_t{64} * 1024);
  s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s += "<title>Store day: " + or_dash(scenario) + " (seed " + or_dash(seed) + ")</title>\n";
  s += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<main>\n";

  s += "<header><h1>Store day simulation: " + or_dash(scenario) + "</h1>\n";
  const std::string hours_open = opens && closes   ? *opens + "&ndash;" + *closes
                                 : opens || closes ? or_dash(opens) + " to " + or_dash(closes)
                                                   : std::string(kDash);
  s += "<p class=\"meta\">Seed <b>" + or_dash(seed) + "</b> &middot; Open <b>" + hours_open +
       "</b> &middot; Delivery promise <b>" + promise_text + "</b> &middot; Pick deadline <b>" +
       deadline_text + "</b></p></header>\n";

  {
    int met = 0;
    int checked = 0;
    std::string missed;
    std::string unknown;
    for (const auto& c : checks) {
      if (c.verdict == Verdict::kPass || c.verdict == Verdict::kFail) ++checked;
      if (c.verdict == Verdict::kPass) ++met;
      if (c.verdict == Verdict::kFail) missed += (missed.empty() ? "" : ", ") + c.name;
      if (c.verdict == Verdict::kUnknown) unknown += (unknown.empty() ? "" : ", ") + c.name;
    }
    std::string cls = "unknown";
    std::string msg;
    if (checked == 0) {
      msg = "Targets not checked: the report lacks the figures.";
    } else if (met == checked) {
      cls = "pass";
      msg =
          "&#10003; " + std::string(checked == 3 ? "All 3 targets met" : "Targets checked are met");
    } else {
      cls = "fail";
      msg = "&#10007; " + std::to_string(met) + " of " + std::to_string(checked) +
            " targets met &middot; missed: " + missed;
    }
    if (checked > 0 && !unknown.empty()) msg += " &middot; not checked (data missing): " + unknown;
    s += "<div class=\"summary " + cls + "\">" + msg + "</div>\n";
  }

  s += "<div class=\"cards\">\n";
  for (const auto& c : cards) s += render_card(c) + "\n";
  s += "</div>\n";

  const std::vector<Quarter> quarters = read_quarters(r);
  {
    std::string sub =
        "Bar height is orders generated in the quarter hour; the orange top is the part refused.";
    if (generated && refused) {
      sub += " Day: " + whole(*generated) + " generated, " + whole(*refused) + " refused.";
    }
    chart_section(s, "Orders per quarter hour", sub,
                  quarters.empty() ? std::string() : orders_chart(quarters),
                  "No quarter-hour figures in this report.");
  }
  chart_section(s, "On time, hour by hour",
                "Share of delivered orders that arrived within the " +
                    (promise_min ? promise_text + " " : std::string()) +
                    "promise, hour by hour. The dashed line is the 98% target.",
                on_time_chart(r), "No hourly on-time figures in this report.");

  const json* hists = member(r, "histograms");
  {
    const Histogram h =
        duration_chart(hists ? member(*hists, "paid_to_conveyor_seconds") : nullptr, deadline_min,
                       "pick deadline", conv_p95, "Paid to conveyor: minutes per order");
    std::string sub = "How long after payment each bag reached the conveyor.";
    sub += " p50 " + (conv_p50 ? minutes(*conv_p50) : std::string(kDash)) + " &middot; p95 " +
           (conv_p95 ? minutes(*conv_p95) : std::string(kDash)) + " &middot; max " +
           (conv_max ? minutes(*conv_max) : std::string(kDash)) + " min";
    if (h.over_share) {
      sub += std::string(" &middot; ") + (h.over_share_exact ? "" : "at least ") +
             percent(*h.over_share, 1) + " over the deadline";
    }
    chart_section(s, "Paid &rarr; conveyor", sub, h.svg,
                  "No paid-to-conveyor histogram in this report.");
  }
  {
    const Histogram h =
        duration_chart(hists ? member(*hists, "paid_to_door_seconds") : nullptr, promise_min,
                       "promise", door_p95, "Paid to door: minutes per order");
    std::string sub = "How long after payment each delivered order reached the door.";
    sub += " p50 " + (door_p50 ? minutes(*door_p50) : std::string(kDash)) + " &middot; p95 " +
           (door_p95 ? minutes(*door_p95) : std::string(kDash)) + " &middot; max " +
           (door_max ? minutes(*door_max) : std::string(kDash)) + " min";
    if (h.over_share) {
      sub += std::string(" &middot; ") + (h.over_share_exact ? "" : "at least ") +
             percent(*h.over_share, 1) + " over the promise";
    }
    if (slack_p50) sub += " &middot; median slack " + fixed(*slack_p50, 1) + " min";
    chart_section(s, "Paid &rarr; door", sub, h.svg, "No paid-to-door histogram in this report.");
  }
  chart_section(s, "Staffing and utilisation per quarter hour",
                "Bars: people on shift (left axis). Line: share of their time spent working "
                "(right axis, 0&ndash;100%).",
                quarters.empty() ? std::string() : staffing_chart(quarters),
                "No staffing figures in this report.");

  s += "<section><h2>Totals</h2><div class=\"totals\">";
  table(s, "Orders",
        {{"Generated", count_or_dash(generated)},
         {"Accepted", count_or_dash(accepted)},
         {"Refused", count_or_dash(refused)},
         {"Delivered", count_or_dash(delivered)},
         {"Collected", count_or_dash(collected)},
         {"Completed in store", count_or_dash(in_store)},
         {"Open at close", count_or_dash(open_at_close)}});
  table(s, "Couriers &amp; lanes",
        {{"Trips", count_or_dash(trips)},
         {"Distance", km ? grouped(*km, 1) + " km" : std::string(kDash)},
         {"Orders per trip", fixed_or_dash(orders_per_trip, 2)},
         {"Courier utilisation", percent_or_dash(courier_util, 1)},
         {"Late deliveries", count_or_dash(late)},
         {"Lanes: max bags at once", count_or_dash(max_lane)}});
  table(s, "Labour hours",
        {{"Pickers", fixed_or_dash(hours_pickers, 1)},
         {"Packers", fixed_or_dash(hours_packers, 1)},
         {"Couriers", fixed_or_dash(hours_couriers, 1)},
         {"Total", fixed_or_dash(hours_total, 1)},
         {"Orders per labour hour", fixed_or_dash(per_labour_hour, 2)},
         {"Picker utilisation", percent_or_dash(picker_util, 1)},
         {"Packer utilisation", percent_or_dash(packer_util, 1)}},
        3);
  s += "</div></section>\n";

  s += "<footer>Targets: on time &ge; 98% of delivered orders within the promise; refused (store "
       "busy) &le; 2% "
       "of orders inside the delivery radius; paid &rarr; conveyor p95 within the pick deadline. "
       "p50 / p95: half / "
       "95% of orders took at most this long. Scenario " +
       or_dash(scenario) + ", seed " + or_dash(seed) + ".</footer>\n";
  s += "</main>\n</body>\n</html>\n";
  return s;
}

}  // namespace freshlane::sim
