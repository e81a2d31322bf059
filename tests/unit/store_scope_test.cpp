// Every statement that reads or writes a store-scoped table filters or keys on store_id.
//
// Why: the schema is kept ready to be sharded by store_id (Citus distributes each store-scoped
// table by its store_id column; see docs/scaling.md). A statement that names the store is routed
// to the one shard holding that store; one that finds its rows by another key (an order id, a
// lot id, a status) has to ask every shard, or cannot run as it is at all. So each such statement
// is either keyed on store_id or listed in kAllowed below with the reason it may run across
// stores; the list is checked both ways, so it cannot rot.
//
// What it reads, as text (no database): the tables with a store_id column, from
// migrations/*.sql, and every statement in src/storage/*.{cpp,hpp}: each named `Query` (string
// literals concatenated, the file's #define macros expanded, function-like ones too) and any
// other literal that starts like a data statement (SELECT/INSERT/UPDATE/DELETE/WITH).
//
// The rule, kept simple on purpose: a statement is keyed when a WHERE, HAVING or JOIN ... ON part
// compares store_id with a value (store_id = $1, = ANY($1), IN ('x'), '' = s.store_id), or when it
// INSERTs store_id and UPDATEs/DELETEs no store-scoped table by another key on the side (a
// data-modifying CTE). A join or correlation on store_id alone (s.store_id = o.store_id) names
// no store, so it does not count. It reads text, not plans: a statement is judged as a whole, and
// SQL inside plpgsql functions and triggers is not seen. FRESHLANE_STORE_SCOPE_DUMP=1 prints
// every statement with its verdict.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Statements allowed to touch a store-scoped table without naming the store: name -> why. Each
// one is a multi-shard statement once the tables are distributed by store_id (or needs the store
// passed in first).
const std::map<std::string, std::string> kAllowed = {
    // account_repository.cpp: people and tokens.
    {"tokens_delete",
     "api_tokens by subject_id: its store_id is NULL for customers and the admin, so it is not "
     "distributable by store_id"},
    {"token_find",
     "every request's bearer token by hash, before any store is known (api_tokens: not "
     "distributable by store_id)"},
    // catalog_repository.cpp, change_feed.cpp, store_repository.cpp
    {"lot_find",
     "a lot by lot_id (a lot label carries only its id); callers then check the lot's store_id"},
    {"changes_since",
     "cache-invalidation feed read by transaction-id snapshot, one node's notion; store_id '' is "
     "every store"},
    {"changes_prune", "chain-wide sweep of the cache-invalidation feed by age"},
    {"store_all",
     "the chain's list of stores, cached by every server (stores would be a reference table)"},
    // delivery_repository.cpp: couriers, trips, hand-over codes.
    {"delivery_trip", "one trip by trip_id (after a courier's step, tracking)"},
    {"delivery_stops_of_trips",
     "stops by trip_id of trips read by store or by courier (a courier's trips); orders and pick "
     "tasks joined by order_id"},
    {"delivery_lock_order", "order row lock by order_id (courier steps, bags returned)"},
    {"delivery_order_exists", "by order_id, only to tell 404 from 403"},
    {"handover_lock_order",
     "a hand-over code offered for an order_id (door or counter); its store_id comes back"},
    {"handover_order_of_code",
     "a manager's unlock by order_id; returns the store for the caller's check"},
    {"delivery_tracking_events",
     "the customer's tracking page: pick and delivery events by order_id"},
    {"delivery_live_stop_of_order", "the customer's tracking page: the live stop by order_id"},
    {"delivery_lock_bags_out", "the failed stop of an order by order_id (bags returned)"},
    {"delivery_lock_for_redelivery",
     "the customer's redelivery by order_id; the store comes back from the order"},
    {"delivery_lock_planned_stop", "an order's planned stop by order_id (redelivery)"},
    // event_repository.cpp, job_repository.cpp: fan-out and sweeps.
    {"events_after_each",
     "one poll for many stores: the store ids ($1) are joined on store_id, so it spans shards"},
    {"events_prune", "chain-wide sweep of old store events by age: runs on every shard"},
    {"sales_days_prune", "chain-wide sweep of summed sales days by age: runs on every shard"},
    {"job_claim_floor",
     "chain-wide claim of due floor jobs (SKIP LOCKED): scans every store's job row"},
    {"job_claim_dispatch",
     "chain-wide claim of due dispatch jobs (SKIP LOCKED): scans every store's job row"},
    {"job_claim_expiry", "claims the one chain-wide expiry job (its row has store_id '')"},
    {"job_claim_markdown",
     "chain-wide claim of due markdown jobs (SKIP LOCKED): scans every store's job row"},
    // floor_records.cpp (a floor's unit of work keys every statement on the store it holds)
    {"picking_find_task", "one task by task_id; its store_id comes back for the caller's check"},
    // order_path.hpp, order_repository.cpp
    {"order_write",
     "placing an order: lots taken by the lot_ids order_read planned in the store; customers and "
     "keys are per customer"},
    {"order_find", "an order by order_id (every order URL); callers compare its store_id"},
    {"payment_event_find",
     "a payment provider's event by its id, unique chain-wide: a twin sent for another order is "
     "found before anything is written"},
    {"order_list_customer",
     "a customer's orders in every store: per customer, spans stores by nature"},
    {"order_lock",
     "order row lock by order_id (cancel, payment); the store's promise_minutes joined on "
     "store_id"},
    {"order_store_of", "which store an order is of, by order_id (payment webhook, code unlock)"},
    {"order_expire_due",
     "chain-wide sweep of unpaid orders past their deadline (SKIP LOCKED): runs on every shard"},
    // reco_repository.cpp, refund_repository.cpp
    {"reco_count_personalised",
     "orders by order_id for the basket counts (customers who opted in)"},
    {"reco_paid_orders_of",
     "a customer's paid orders in every store (personalisation switched on)"},
    {"reco_counted_of",
     "a customer's counted baskets in every store (personalisation switched off)"},
    {"refund_claim_due", "chain-wide refund sender sweep (SKIP LOCKED): runs on every shard"},
    {"refund_of_order", "an order's refunds by order_id"},
    {"refund_requested", "refund sender: by refund_id it claimed"},
    {"refund_retry", "refund sender: by refund_id it claimed"},
    {"refund_settle", "the payment provider's callback: by refund_id"},
};

// ---------------------------------------------------------------------------------------------
// SQL text: tokens, the tables a statement touches and whether it is keyed on store_id.

struct SqlToken {
  enum Kind { kWord, kParam, kPunct, kLiteral } kind;
  std::string text;  // words lowercased
};

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<SqlToken> sql_tokens(const std::string& s) {
  std::vector<SqlToken> out;
  const size_t n = s.size();
  size_t i = 0;
  // Skips a '...' literal starting at i; with `backslash`, \' does not end it (E'...').
  auto skip_quoted = [&](bool backslash) {
    for (++i; i < n; ++i) {
      if (backslash && s[i] == '\\') {
        ++i;
      } else if (s[i] == '\'') {
        if (i + 1 < n && s[i + 1] == '\'') {
          ++i;
        } else {
          ++i;
          return;
        }
      }
    }
  };
  while (i < n) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (i < n && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      const size_t end = s.find("*/", i + 2);
      i = end == std::string::npos ? n : end + 2;
    } else if (c == '\'') {
      skip_quoted(false);
      out.push_back({SqlToken::kLiteral, ""});
    } else if (c == '"') {
      const size_t end = s.find('"', i + 1);
      const size_t stop = end == std::string::npos ? n : end;
      out.push_back({SqlToken::kWord, lower(s.substr(i + 1, stop - i - 1))});
      i = stop == n ? n : stop + 1;
    } else if (c == '$' && i + 1 < n && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      size_t j = i + 1;
      while (j < n && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      out.push_back({SqlToken::kParam, s.substr(i, j - i)});
      i = j;
    } else if (c == '$') {  // $tag$ ... $tag$ (function bodies in migrations)
      size_t j = i + 1;
      while (j < n && word_char(s[j])) ++j;
      if (j < n && s[j] == '$') {
        const std::string tag = s.substr(i, j - i + 1);
        const size_t end = s.find(tag, j + 1);
        i = end == std::string::npos ? n : end + tag.size();
        out.push_back({SqlToken::kLiteral, ""});
      } else {
        out.push_back({SqlToken::kPunct, "$"});
        ++i;
      }
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < n && (word_char(s[j]) || s[j] == '$')) ++j;
      std::string word = lower(s.substr(i, j - i));
      i = j;
      if (word == "e" && i < n && s[i] == '\'') {
        skip_quoted(true);
        out.push_back({SqlToken::kLiteral, ""});
      } else {
        out.push_back({SqlToken::kWord, std::move(word)});
      }
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < n && (word_char(s[j]) || s[j] == '.')) ++j;
      out.push_back({SqlToken::kLiteral, s.substr(i, j - i)});
      i = j;
    } else {
      out.push_back({SqlToken::kPunct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

struct Analysis {
  std::set<std::string> tables;   // named after FROM, JOIN, UPDATE, INTO, USING or a FROM list's ,
  std::set<std::string> changed;  // of those, the ones UPDATEd or DELETEd FROM
  bool bound = false;             // store_id = $n | literal | ANY($n) in a WHERE, HAVING or ON part
  bool inserted = false;          // store_id in an INSERT's column list (or its ON CONFLICT target)
  bool joined = false;    // store_id = another column in WHERE/HAVING/ON (a join, a correlation)
  bool mentions = false;  // store_id anywhere
};

// The part of a statement a token is in, per parenthesis level.
enum class Clause { kNone, kFrom, kWhere, kOn, kInto, kConflict, kOther };

Analysis analyze(const std::vector<SqlToken>& t) {
  static const std::set<std::string> kNotTables = {"of",     "set",    "skip",   "nowait",
                                                   "select", "values", "default"};
  static const std::set<std::string> kOtherClauses = {
      "select",    "group",  "order",  "partition", "limit",  "offset", "fetch",
      "returning", "set",    "values", "do",        "for",    "union",  "intersect",
      "except",    "window", "with",   "delete",    "insert", "update", "when"};
  Analysis a;
  auto is_word = [&](size_t i, const char* w) {
    return i < t.size() && t[i].kind == SqlToken::kWord && t[i].text == w;
  };
  auto is_punct = [&](size_t i, char c) {
    return i < t.size() && t[i].kind == SqlToken::kPunct && t[i].text[0] == c;
  };
  auto is_value = [&](size_t i) {
    return i < t.size() && (t[i].kind == SqlToken::kParam || t[i].kind == SqlToken::kLiteral);
  };
  // Whether the store_id at i is compared with a value: store_id = $n | 'x', store_id =
  // ANY($n), store_id IN ($n | 'x', ...), or $n | 'x' = [alias.]store_id.
  auto bound = [&](size_t i) {
    if (is_punct(i + 1, '=')) {
      if (is_value(i + 2)) return true;
      if (is_word(i + 2, "any") && is_punct(i + 3, '(') && is_value(i + 4)) return true;
    }
    if (is_word(i + 1, "in") && is_punct(i + 2, '(') && is_value(i + 3)) return true;
    size_t before = i;
    if (before >= 2 && is_punct(before - 1, '.') && t[before - 2].kind == SqlToken::kWord) {
      before -= 2;
    }
    return before >= 2 && is_punct(before - 1, '=') && is_value(before - 2);
  };
  // A table reference at i: [ONLY | LATERAL] [schema.]name, unless it is a function call (after
  // INTO a parenthesis is the column list).
  auto table_ref = [&](size_t i, bool into = false) -> std::string {
    while (is_word(i, "only") || is_word(i, "lateral")) ++i;
    if (i >= t.size() || t[i].kind != SqlToken::kWord) return "";
    std::string name = t[i].text;
    while (is_punct(i + 1, '.') && i + 2 < t.size() && t[i + 2].kind == SqlToken::kWord) {
      i += 2;
      name = t[i].text;
    }
    if ((!into && is_punct(i + 1, '(')) || kNotTables.count(name)) return "";
    a.tables.insert(name);
    return name;
  };
  std::vector<Clause> level{Clause::kNone};
  for (size_t i = 0; i < t.size(); ++i) {
    const SqlToken& tok = t[i];
    if (tok.kind == SqlToken::kPunct) {
      if (tok.text == "(") {
        // A parenthesis in a FROM list is a subquery or a function's arguments, not the list.
        const Clause inherit = level.back() == Clause::kFrom ? Clause::kOther : level.back();
        level.push_back(inherit);
      } else if (tok.text == ")") {
        if (level.size() > 1) level.pop_back();
      } else if (tok.text == "," && level.back() == Clause::kFrom) {
        table_ref(i + 1);
      }
      continue;
    }
    if (tok.kind != SqlToken::kWord) continue;
    const std::string& w = tok.text;
    Clause& clause = level.back();
    if (w == "store_id") {
      a.mentions = true;
      if (clause == Clause::kInto || clause == Clause::kConflict) {
        a.inserted = true;
      } else if (clause == Clause::kWhere || clause == Clause::kOn) {
        (bound(i) ? a.bound : a.joined) = true;
      }
    } else if (w == "from") {
      if (i > 0 && is_word(i - 1, "distinct")) continue;  // IS [NOT] DISTINCT FROM
      clause = Clause::kFrom;
      const std::string name = table_ref(i + 1);
      if (i > 0 && is_word(i - 1, "delete") && !name.empty()) a.changed.insert(name);
    } else if (w == "join") {
      clause = Clause::kFrom;
      table_ref(i + 1);
    } else if (w == "into") {
      clause = Clause::kInto;
      table_ref(i + 1, true);
    } else if (w == "using") {
      if (is_punct(i + 1, '(')) {
        clause = Clause::kOn;  // JOIN ... USING (columns)
      } else {
        clause = Clause::kFrom;  // DELETE ... USING tables
        table_ref(i + 1);
      }
    } else if (w == "where" || w == "having") {
      clause = Clause::kWhere;
    } else if (w == "on") {
      clause = is_word(i + 1, "conflict") ? Clause::kConflict : Clause::kOn;
    } else if (w == "update") {
      clause = Clause::kOther;
      // Also FOR UPDATE [OF x] and DO UPDATE SET: never a table's name.
      if (const std::string name = table_ref(i + 1); !name.empty()) a.changed.insert(name);
    } else if (kOtherClauses.count(w)) {
      clause = Clause::kOther;
    }
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// The schema: tables with a store_id column, from migrations/*.sql in order.

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path source_dir() { return fs::path(FRESHLANE_SOURCE_DIR); }

std::vector<fs::path> files_in(const fs::path& dir, const std::vector<std::string>& extensions) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto ext = e.path().extension().string();
    if (e.is_regular_file() &&
        std::find(extensions.begin(), extensions.end(), ext) != extensions.end()) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Schema {
  std::set<std::string> store_scoped;
  std::set<std::string> other;  // every other table created
  std::vector<std::string> files;
};

Schema read_schema() {
  Schema schema;
  std::set<std::string> tables;
  for (const auto& file : files_in(source_dir() / "migrations", {".sql"})) {
    schema.files.push_back(file.filename().string());
    const auto t = sql_tokens(read_text(file));
    auto is_word = [&](size_t i, const char* w) {
      return i < t.size() && t[i].kind == SqlToken::kWord && t[i].text == w;
    };
    auto is_punct = [&](size_t i, char c) {
      return i < t.size() && t[i].kind == SqlToken::kPunct && t[i].text[0] == c;
    };
    // [schema.]name at i; i moves past it.
    auto name_at = [&](size_t& i) {
      std::string name;
      if (i < t.size() && t[i].kind == SqlToken::kWord) name = t[i++].text;
      while (is_punct(i, '.') && i + 1 < t.size() && t[i + 1].kind == SqlToken::kWord) {
        name = t[i + 1].text;
        i += 2;
      }
      return name;
    };
    for (size_t i = 0; i < t.size(); ++i) {
      if (is_word(i, "create")) {
        size_t j = i + 1;
        while (is_word(j, "unlogged") || is_word(j, "temp") || is_word(j, "temporary") ||
               is_word(j, "global") || is_word(j, "local")) {
          ++j;
        }
        if (!is_word(j, "table")) continue;
        ++j;
        if (is_word(j, "if")) j += 3;  // IF NOT EXISTS
        const std::string name = name_at(j);
        if (name.empty() || !is_punct(j, '(')) continue;
        tables.insert(name);
        // The column definitions: each top-level element's first word.
        int depth = 0;
        bool element_start = true;
        for (++j; j < t.size(); ++j) {
          if (is_punct(j, '(')) {
            ++depth;
          } else if (is_punct(j, ')')) {
            if (depth-- == 0) break;
          } else if (depth == 0 && is_punct(j, ',')) {
            element_start = true;
            continue;
          } else if (element_start && depth == 0 && t[j].text == "store_id") {
            schema.store_scoped.insert(name);
          }
          element_start = false;
        }
        i = j;
      } else if (is_word(i, "alter") && is_word(i + 1, "table")) {
        size_t j = i + 2;
        if (is_word(j, "if")) j += 2;  // IF EXISTS
        if (is_word(j, "only")) ++j;
        std::string name = name_at(j);
        for (; j < t.size() && !is_punct(j, ';'); ++j) {
          size_t k = j + 1;
          if (is_word(k, "column")) ++k;
          if (is_word(j, "add")) {
            if (is_word(k, "if")) k += 3;  // IF NOT EXISTS
            if (is_word(k, "store_id")) schema.store_scoped.insert(name);
          } else if (is_word(j, "drop")) {
            if (is_word(k, "if")) k += 2;  // IF EXISTS
            if (is_word(k, "store_id")) schema.store_scoped.erase(name);
          } else if (is_word(j, "rename") && is_word(j + 1, "to")) {
            const bool scoped = schema.store_scoped.erase(name) > 0;
            tables.erase(name);
            name = t.size() > j + 2 ? t[j + 2].text : name;
            tables.insert(name);
            if (scoped) schema.store_scoped.insert(name);
          } else if (is_word(j, "rename") && is_word(k + 1, "to")) {
            if (is_word(k, "store_id")) schema.store_scoped.erase(name);
            if (is_word(k + 2, "store_id")) schema.store_scoped.insert(name);
          }
        }
        i = j;
      } else if (is_word(i, "drop") && is_word(i + 1, "table")) {
        size_t j = i + 2;
        if (is_word(j, "if")) j += 2;
        for (; j < t.size() && !is_punct(j, ';'); ++j) {
          if (t[j].kind == SqlToken::kWord) {
            schema.store_scoped.erase(t[j].text);
            tables.erase(t[j].text);
          }
        }
        i = j;
      }
    }
  }
  for (const auto& name : tables) {
    if (!schema.store_scoped.count(name)) schema.other.insert(name);
  }
  return schema;
}

// ---------------------------------------------------------------------------------------------
// C++ sources: tokens (comments dropped, string literals decoded), #define macros expanded.

struct CppToken {
  enum Kind { kIdent, kString, kPunct, kDirective, kOther } kind;
  std::string text;  // a string's value; a directive's text after '#', continuations joined
  int line;
};

std::vector<CppToken> cpp_tokens(const std::string& s, int line = 1) {
  std::vector<CppToken> out;
  const size_t n = s.size();
  size_t i = 0;
  bool line_start = true;
  auto count_lines = [&](size_t from, size_t to) {
    line += static_cast<int>(std::count(s.begin() + from, s.begin() + to, '\n'));
  };
  while (i < n) {
    const char c = s[i];
    if (c == '\n') {
      ++line;
      ++i;
      line_start = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      end = end == std::string::npos ? n : end + 2;
      count_lines(i, end);
      i = end;
      continue;
    }
    if (c == '#' && line_start) {
      const int at = line;
      std::string text;
      for (++i; i < n && s[i] != '\n'; ++i) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
          i = s.find('\n', i);
          ++line;
          text += ' ';
          continue;
        }
        text += s[i];
      }
      out.push_back({CppToken::kDirective, text, at});
      continue;
    }
    line_start = false;
    // String literals, with an optional encoding prefix; raw ones too.
    size_t q = i;
    if (s.compare(q, 2, "u8") == 0) {
      q += 2;
    } else if (s[q] == 'u' || s[q] == 'U' || s[q] == 'L') {
      ++q;
    }
    const bool raw = q < n && s[q] == 'R' && q + 1 < n && s[q + 1] == '"';
    if (raw) ++q;
    if (q < n && s[q] == '"') {
      const int at = line;
      std::string value;
      if (raw) {
        const size_t open = s.find('(', q);
        const std::string close = ")" + s.substr(q + 1, open - q - 1) + "\"";
        size_t end = s.find(close, open);
        if (end == std::string::npos) end = n;
        value = s.substr(open + 1, end - open - 1);
        const size_t stop = std::min(n, end + close.size());
        count_lines(i, stop);
        i = stop;
      } else {
        for (i = q + 1; i < n && s[i] != '"'; ++i) {
          if (s[i] == '\\' && i + 1 < n) {
            const char e = s[++i];
            value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          } else {
            value += s[i];
          }
        }
        ++i;
      }
      out.push_back({CppToken::kString, value, at});
      continue;
    }
    if (c == '\'') {
      for (++i; i < n && s[i] != '\''; ++i) {
        if (s[i] == '\\') ++i;
      }
      ++i;
      out.push_back({CppToken::kOther, "'", line});
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < n && word_char(s[j])) ++j;
      out.push_back({CppToken::kIdent, s.substr(i, j - i), line});
      i = j;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < n && (word_char(s[j]) || s[j] == '.' || s[j] == '\'')) ++j;
      out.push_back({CppToken::kOther, s.substr(i, j - i), line});
      i = j;
      continue;
    }
    out.push_back({CppToken::kPunct, std::string(1, c), line});
    ++i;
  }
  return out;
}

bool is_punct(const CppToken& t, char c) { return t.kind == CppToken::kPunct && t.text[0] == c; }

struct Macro {
  bool function_like = false;
  std::vector<std::string> params;
  std::vector<CppToken> body;
};
using Macros = std::map<std::string, Macro>;

// Appends `in` to `out` with macros expanded (no # or ## operators: storage/ uses none). Tokens
// that came from a macro take the line it was used on (`line`, when not -1).
void expand(const std::vector<CppToken>& in, const Macros& macros,
            const std::set<std::string>& hidden, std::vector<CppToken>& out, int line) {
  for (size_t i = 0; i < in.size(); ++i) {
    const CppToken& t = in[i];
    const auto it =
        t.kind == CppToken::kIdent && !hidden.count(t.text) ? macros.find(t.text) : macros.end();
    if (it == macros.end()) {
      out.push_back(t);
      if (line >= 0) out.back().line = line;
      continue;
    }
    const Macro& m = it->second;
    const int at = line >= 0 ? line : t.line;
    std::set<std::string> inner = hidden;
    inner.insert(t.text);
    if (!m.function_like) {
      expand(m.body, macros, inner, out, at);
      continue;
    }
    if (i + 1 >= in.size() || !is_punct(in[i + 1], '(')) {
      out.push_back(t);
      continue;
    }
    std::vector<std::vector<CppToken>> args(1);
    int depth = 0;
    size_t j = i + 2;
    for (; j < in.size(); ++j) {
      if (is_punct(in[j], '(')) {
        ++depth;
      } else if (is_punct(in[j], ')')) {
        if (depth-- == 0) break;
      } else if (depth == 0 && is_punct(in[j], ',')) {
        args.emplace_back();
        continue;
      }
      args.back().push_back(in[j]);
    }
    i = j;
    std::vector<CppToken> body;
    for (const auto& b : m.body) {
      const auto p = b.kind == CppToken::kIdent
                         ? std::find(m.params.begin(), m.params.end(), b.text)
                         : m.params.end();
      if (p == m.params.end()) {
        body.push_back(b);
      } else if (const auto k = static_cast<size_t>(p - m.params.begin()); k < args.size()) {
        expand(args[k], macros, hidden, body, -1);
      }
    }
    expand(body, macros, inner, out, at);
  }
}

// The file's tokens with #define/#undef applied in order and macros expanded.
std::vector<CppToken> preprocess(const std::string& text) {
  Macros macros;
  std::vector<CppToken> out, pending;
  for (const auto& t : cpp_tokens(text)) {
    if (t.kind != CppToken::kDirective) {
      pending.push_back(t);
      continue;
    }
    expand(pending, macros, {}, out, -1);
    pending.clear();
    const auto d = cpp_tokens(t.text, t.line);
    if (d.size() < 2 || d[0].kind != CppToken::kIdent || d[1].kind != CppToken::kIdent) continue;
    if (d[0].text == "undef") {
      macros.erase(d[1].text);
    } else if (d[0].text == "define") {
      Macro m;
      size_t body = 2;
      // Function-like only when '(' follows the name directly.
      const size_t name_at = t.text.find(d[1].text, t.text.find("define") + 6);
      if (name_at + d[1].text.size() < t.text.size() && t.text[name_at + d[1].text.size()] == '(') {
        m.function_like = true;
        for (body = 3; body < d.size() && !is_punct(d[body], ')'); ++body) {
          if (d[body].kind == CppToken::kIdent) m.params.push_back(d[body].text);
        }
        ++body;
      }
      if (body < d.size()) m.body.assign(d.begin() + static_cast<long>(body), d.end());
      macros[d[1].text] = m;
    }
  }
  expand(pending, macros, {}, out, -1);
  return out;
}

struct Statement {
  std::string name;  // the Query's name; for other literals "<inline SQL>"
  std::string file;  // relative to the source directory
  int line = 0;
  std::string sql;
  bool inline_sql = false;
};

struct Sources {
  std::vector<Statement> statements;
  std::vector<std::string> unreadable;  // `Query` definitions not made of string literals
  std::vector<std::string> files;
};

bool starts_like_a_data_statement(const std::string& s) {
  const size_t at = s.find_first_not_of(" \t\r\n(");
  if (at == std::string::npos) return false;
  for (const char* verb : {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "MERGE"}) {
    const size_t len = std::char_traits<char>::length(verb);
    if (s.compare(at, len, verb) == 0 && at + len < s.size() &&
        std::isspace(static_cast<unsigned char>(s[at + len]))) {
      return true;
    }
  }
  return false;
}

Sources read_sources() {
  Sources src;
  for (const auto& path : files_in(source_dir() / "src" / "storage", {".cpp", ".hpp"})) {
    const std::string file = "src/storage/" + path.filename().string();
    src.files.push_back(file);
    const auto t = preprocess(read_text(path));
    std::vector<bool> used(t.size(), false);
    // Consecutive string literals from j on, concatenated; j moves past them.
    auto strings = [&](size_t& j, std::string& value) {
      const size_t from = j;
      for (; j < t.size() && t[j].kind == CppToken::kString; ++j) value += t[j].text;
      return j > from;
    };
    for (size_t i = 0; i + 2 < t.size(); ++i) {
      if (t[i].kind != CppToken::kIdent || t[i].text != "Query" ||
          t[i + 1].kind != CppToken::kIdent) {
        continue;
      }
      size_t j = i + 2;
      if (is_punct(t[j], '=')) ++j;
      if (j >= t.size() || !(is_punct(t[j], '{') || is_punct(t[j], '('))) continue;
      const char close = is_punct(t[j], '{') ? '}' : ')';
      ++j;
      Statement s{"", file, t[i].line, "", false};
      if (strings(j, s.name) && j < t.size() && is_punct(t[j], ',') && strings(++j, s.sql) &&
          j < t.size() && is_punct(t[j], close)) {
        std::fill(used.begin() + static_cast<long>(i), used.begin() + static_cast<long>(j) + 1,
                  true);
        src.statements.push_back(std::move(s));
      } else {
        src.unreadable.push_back(file + ":" + std::to_string(t[i].line) + " " + t[i + 1].text);
      }
    }
    for (size_t i = 0; i < t.size(); ++i) {
      if (used[i] || t[i].kind != CppToken::kString) continue;
      Statement s{"<inline SQL>", file, t[i].line, "", true};
      while (i < t.size() && t[i].kind == CppToken::kString && !used[i]) s.sql += t[i++].text;
      if (starts_like_a_data_statement(s.sql)) src.statements.push_back(std::move(s));
    }
  }
  return src;
}

// ---------------------------------------------------------------------------------------------

struct Verdict {
  const Statement* statement;
  Analysis analysis;
  std::vector<std::string> store_tables;   // the store-scoped tables it touches
  std::vector<std::string> store_changed;  // of those, the ones it UPDATEs or DELETEs from
  bool keyed = false;  // names its store: bound, or an INSERT of store_id that changes no other
};

struct Corpus {
  Schema schema;
  Sources sources;
  std::vector<Verdict> verdicts;  // one per statement
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus c;
    c.schema = read_schema();
    c.sources = read_sources();
    for (const auto& s : c.sources.statements) {
      Verdict v{&s, analyze(sql_tokens(s.sql)), {}, {}, false};
      for (const auto& table : v.analysis.tables) {
        if (c.schema.store_scoped.count(table)) v.store_tables.push_back(table);
      }
      for (const auto& table : v.analysis.changed) {
        if (c.schema.store_scoped.count(table)) v.store_changed.push_back(table);
      }
      // An INSERT carrying store_id names the store of the rows it adds, not of the rows that
      // a data-modifying CTE of the same statement changes by another key.
      v.keyed = v.analysis.bound || (v.analysis.inserted && v.store_changed.empty());
      c.verdicts.push_back(std::move(v));
    }
    return c;
  }();
  return c;
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

std::string join(const std::set<std::string>& items) {
  return join(std::vector<std::string>(items.begin(), items.end()));
}

std::string one_line(const std::string& sql, size_t limit = 400) {
  std::string out;
  for (const char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out.size() > limit ? out.substr(0, limit) + " ..." : out;
}

std::string where(const Statement& s) { return s.file + ":" + std::to_string(s.line); }

const Verdict* find_statement(const std::string& name) {
  for (const auto& v : corpus().verdicts) {
    if (!v.statement->inline_sql && v.statement->name == name) return &v;
  }
  return nullptr;
}

TEST(StoreScope, MigrationsNameTheStoreScopedTables) {
  const auto& schema = corpus().schema;
  ASSERT_FALSE(schema.files.empty()) << "no migrations under " << source_dir() / "migrations";
  const std::string listed =
      "store-scoped: " + join(schema.store_scoped) + "\nnot store-scoped: " + join(schema.other);
  for (const char* table :
       {"stores", "store_products", "lots", "orders", "pick_tasks", "courier_shifts", "trips",
        "store_jobs", "catalog_changes", "counted_baskets", "staff", "couriers",
        // found through their parent until migration 0018
        "order_lines", "order_line_lots", "pick_task_lines", "trip_stops", "lot_trace_events",
        "payment_events"}) {
    EXPECT_TRUE(schema.store_scoped.count(table)) << table << " has a store_id\n" << listed;
  }
  // Every other table is the chain's or a customer's, never a store's: a new table is one of
  // the store's (and carries store_id) unless it is added here with why.
  const std::set<std::string> chain_wide = {
      "products",            // the chain's catalog (a reference table when sharded)
      "markdown_policies",   // the chain's rules
      "customers",           // a customer shops at any store
      "product_ratings",     // a customer's rating of a product
      "idempotency_keys",    // per customer
      "token_revocations"};  // per token, read by every server
  EXPECT_EQ(schema.other, chain_wide) << listed;
  EXPECT_GT(schema.store_scoped.size(), 30u) << listed;
}

TEST(StoreScope, ExtractorFindsTheStatements) {
  const auto& src = corpus().sources;
  EXPECT_TRUE(src.unreadable.empty())
      << "`Query` definitions not made of string literals (teach this test, or write them as "
         "literals and macros):\n  "
      << join(src.unreadable, "\n  ");
  size_t named = 0;
  std::map<std::string, std::vector<std::string>> by_name;
  for (const auto& s : src.statements) {
    if (s.inline_sql) continue;
    ++named;
    by_name[s.name].push_back(where(s));
  }
  EXPECT_GT(named, 200u) << "from " << join(src.files);
  // Names are prepared-statement names: a second statement under one name would run the first's
  // SQL on a connection that had prepared it.
  for (const auto& [name, places] : by_name) {
    EXPECT_EQ(places.size(), 1u) << "statement name \"" << name << "\" used by " << join(places);
  }
  // Known statements, with their macros expanded.
  struct Known {
    const char* name;
    const char* contains;
  };
  for (const Known& k : {
           Known{"store_product_list", "FROM lots l WHERE l.store_id = sp.store_id"},
           Known{"store_product_find", "sp.markdown_price_minor, extract(epoch"},
           Known{"job_claim_floor", "EXISTS (SELECT 1 FROM pick_tasks t"},
           Known{"job_claim_expiry", "WHERE s.job = 'expiry'"},
           Known{"refund_claim_due", "FROM payment_events e WHERE e.order_id = r.order_id"},
           Known{"order_list_store", "ORDER BY created_at DESC, order_id DESC"},
           Known{"token_find", "FROM api_tokens"},
       }) {
    const Verdict* v = find_statement(k.name);
    ASSERT_NE(v, nullptr) << "statement \"" << k.name << "\" not found";
    EXPECT_NE(one_line(v->statement->sql, std::string::npos).find(k.contains), std::string::npos)
        << k.name << " (" << where(*v->statement) << ") should contain \"" << k.contains << "\":\n"
        << one_line(v->statement->sql);
  }
}

TEST(StoreScope, EveryStoreScopedStatementFiltersOnStoreId) {
  const auto& c = corpus();
  ASSERT_FALSE(c.schema.store_scoped.empty());
  const bool dump = std::getenv("FRESHLANE_STORE_SCOPE_DUMP") != nullptr;
  size_t touching = 0, keyed = 0, allowed = 0;
  std::vector<std::string> failures;
  for (const auto& v : c.verdicts) {
    const Statement& s = *v.statement;
    const bool is_allowed = !s.inline_sql && kAllowed.count(s.name);
    if (dump) {
      std::printf("%-32s %-44s %-9s %s\n  %s\n", s.name.c_str(), where(s).c_str(),
                  v.store_tables.empty() ? "-"
                  : v.keyed              ? "keyed"
                  : is_allowed           ? "allowed"
                                         : "UNKEYED",
                  join(v.store_tables).c_str(), one_line(s.sql, 2000).c_str());
    }
    if (v.store_tables.empty()) continue;
    ++touching;
    if (v.keyed) {
      ++keyed;
      continue;
    }
    if (is_allowed) {
      ++allowed;
      continue;
    }
    const std::string why =
        v.analysis.inserted && !v.store_changed.empty()
            ? " (it INSERTs store_id, but changes " + join(v.store_changed) + " by another key)"
        : v.analysis.joined   ? " (store_id only joins or correlates tables)"
        : v.analysis.mentions ? " (store_id is only selected, set or grouped)"
                              : "";
    failures.push_back("\"" + s.name + "\" (" + where(s) + ") touches " + join(v.store_tables) +
                       " without filtering on store_id" + why + ":\n    " + one_line(s.sql));
  }
  std::printf(
      "[ store scope ] %zu statements, %zu touch store-scoped tables: %zu keyed on "
      "store_id, %zu allow-listed\n",
      c.verdicts.size(), touching, keyed, allowed);
  EXPECT_TRUE(failures.empty())
      << failures.size()
      << " statement(s) touch a store-scoped table without a store_id filter. Filter them on "
         "store_id, or add them to kAllowed in tests/unit/store_scope_test.cpp with the reason "
         "they may run across stores.\n  "
      << join(failures, "\n  ")
      << "\nstore-scoped tables (from migrations/): " << join(c.schema.store_scoped);
}

TEST(StoreScope, AllowListIsCurrent) {
  for (const auto& [name, reason] : kAllowed) {
    const Verdict* v = find_statement(name);
    if (v == nullptr) {
      ADD_FAILURE() << "kAllowed names \"" << name
                    << "\", which no statement in src/storage is called any more: remove it ("
                    << reason << ")";
    } else if (v->store_tables.empty()) {
      ADD_FAILURE() << "kAllowed names \"" << name << "\" (" << where(*v->statement)
                    << "), which no longer touches a store-scoped table: remove it";
    } else if (v->keyed) {
      ADD_FAILURE() << "kAllowed names \"" << name << "\" (" << where(*v->statement)
                    << "), which filters on store_id now: remove it";
    }
  }
}

}  // namespace
