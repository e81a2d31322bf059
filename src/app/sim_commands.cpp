#include "freshlane/app/sim_commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "freshlane/sim/html.hpp"
#include "freshlane/sim/planner.hpp"
#include "freshlane/sim/reco_eval.hpp"
#include "freshlane/sim/scenario.hpp"
#include "freshlane/sim/simulator.hpp"
#include "freshlane/sim/stock.hpp"

namespace freshlane::app {

namespace {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --flag value pairs; every flag must be one of `known`.
std::map<std::string, std::string> flags(const std::vector<std::string>& args,
                                         std::initializer_list<const char*> known) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool ok = false;
    for (const char* k : known) ok = ok || a == k;
    if (!ok) throw UsageError("unknown argument '" + a + "'");
    if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
    out[a] = args[++i];
  }
  return out;
}

sim::Scenario read_scenario(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read the scenario file '" + path + "'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw sim::ScenarioError("not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  return sim::parse_scenario(j);
}

void write_text(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

double number_flag(const std::map<std::string, std::string>& f, const char* name, double fallback,
                   double lo, double hi) {
  const auto it = f.find(name);
  if (it == f.end()) return fallback;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != it->second.size() || !(v >= lo && v <= hi)) {
    throw UsageError(std::string(name) + " must be a number between " + std::to_string(lo) +
                     " and " + std::to_string(hi));
  }
  return v;
}

void print_summary(const char* who, const nlohmann::json& r, double wall_s) {
  const auto& o = r["orders"];
  std::fprintf(
      stderr,
      "%s: %s seed %llu: %d orders (%d accepted, %d refused: %d busy, %d out of range), "
      "on-time %.2f%% (%d late), refused %.2f%%, paid→conveyor p95 %.0f s, paid→door "
      "p95 %.0f s, %.1f orders/labour hour; %.3f s wall, %.0f simulated orders/s\n",
      who, r["scenario"].get<std::string>().c_str(),
      static_cast<unsigned long long>(r["seed"].get<std::uint64_t>()), o["generated"].get<int>(),
      o["accepted"].get<int>(), o["refused"].get<int>(), o["refused_busy"].get<int>(),
      o["out_of_range"].get<int>(), 100 * r["promise"]["on_time_ratio"].get<double>(),
      r["promise"]["late"].get<int>(), 100 * r["refused_ratio"].get<double>(),
      r["paid_to_conveyor_seconds"]["p95"].get<double>(),
      r["paid_to_door_seconds"]["p95"].get<double>(), r["orders_per_labour_hour"].get<double>(),
      wall_s, wall_s > 0 ? o["generated"].get<int>() / wall_s : 0.0);
}

int whole_flag(const std::map<std::string, std::string>& f, const char* name, int fallback, int lo,
               int hi) {
  const auto it = f.find(name);
  if (it == f.end()) return fallback;
  const std::string& s = it->second;
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(s) < lo || std::stoi(s) > hi) {
    throw UsageError(std::string(name) + " must be a whole number from " + std::to_string(lo) +
                     " to " + std::to_string(hi));
  }
  return std::stoi(s);
}

template <typename F>
int guarded(const char* who, F&& f) {
  try {
    return f();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "freshlane %s: %s (see freshlane --help)\n", who, e.what());
    return 2;
  } catch (const sim::ScenarioError& e) {
    std::fprintf(stderr, "freshlane %s: scenario: %s\n", who, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "freshlane %s: %s\n", who, e.what());
    return 1;
  }
}

}  // namespace

int simulate_command(const std::vector<std::string>& args) {
  return guarded("simulate", [&] {
    const auto f = flags(args, {"--scenario", "--seed", "--json", "--html"});
    if (!f.count("--scenario")) throw UsageError("--scenario FILE is required");
    const sim::Scenario scenario = read_scenario(f.at("--scenario"));
    std::optional<std::uint64_t> seed;
    if (f.count("--seed")) {
      const std::string& s = f.at("--seed");
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 19) {
        throw UsageError("--seed must be a whole number");
      }
      seed = std::stoull(s);
    }
    const auto started = std::chrono::steady_clock::now();
    const sim::Result result = sim::simulate(scenario, seed);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string json = result.report.dump(2) + "\n";
    if (f.count("--json")) write_text(f.at("--json"), json);
    if (f.count("--html")) write_text(f.at("--html"), sim::render_html(result.report));
    if (!f.count("--json") && !f.count("--html")) write_text("-", json);
    print_summary("simulate", result.report, wall);
    return 0;
  });
}

int plan_command(const std::vector<std::string>& args) {
  return guarded("plan", [&] {
    const auto f = flags(args, {"--scenario", "--on-time", "--max-refused", "--out", "--json"});
    if (!f.count("--scenario")) throw UsageError("--scenario FILE is required");
    const sim::Scenario scenario = read_scenario(f.at("--scenario"));
    sim::Targets targets;
    targets.on_time = number_flag(f, "--on-time", targets.on_time, 0, 1);
    targets.max_refused = number_flag(f, "--max-refused", targets.max_refused, 0, 1);
    const auto started = std::chrono::steady_clock::now();
    const auto plan = sim::plan_staff(scenario, targets, [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
    });
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (f.count("--out")) write_text(f.at("--out"), sim::to_json(plan.scenario).dump(2) + "\n");
    if (f.count("--json")) write_text(f.at("--json"), plan.result.report.dump(2) + "\n");
    std::printf(
        "plan: %s: %s on-time ≥ %.3f and refused ≤ %.3f with %.1f labour hours of "
        "pickers and couriers (%d simulations, %.1f s)\n",
        scenario.name.c_str(), plan.met ? "keeps" : "CANNOT keep", targets.on_time,
        targets.max_refused, plan.labour_hours, plan.simulations, wall);
    std::printf("plan: simulated: on-time %.4f, refused %.4f, open at close %d\n",
                plan.result.on_time_ratio, plan.result.refused_ratio,
                plan.result.report["orders"]["open_at_close"].get<int>());
    std::printf("%-7s %8s %8s   pickers by zone\n", "quarter", "couriers", "pickers");
    for (int m = scenario.day.opens; m < scenario.day.closes + 45; m += 15) {
      int couriers = 0, pickers = 0;
      std::string zones;
      for (const auto& c : plan.scenario.staff.couriers)
        couriers += (m >= c.from && m < c.to) ? c.count : 0;
      std::map<std::string, int> by_zone;
      for (const auto& p : plan.scenario.staff.pickers) {
        if (m >= p.from && m < p.to) by_zone[p.zone] += p.count;
      }
      for (const auto& [zone, n] : by_zone) {
        pickers += n;
        zones += " " + zone + "=" + std::to_string(n);
      }
      std::printf("%-7s %8d %8d  %s\n", sim::format_minute(m).c_str(), couriers, pickers,
                  zones.c_str());
    }
    if (!plan.met) {
      std::fprintf(stderr,
                   "freshlane plan: even generous staffing misses the targets (on-time %.4f, "
                   "refused %.4f): the limit is not people (lanes, the pick deadline, the "
                   "promise itself); see the report\n",
                   plan.result.on_time_ratio, plan.result.refused_ratio);
      return 1;
    }
    return 0;
  });
}

// A report, not a gate: the targets print PASS or FAIL and the exit status stays 0.
int simulate_stock_command(const std::vector<std::string>& args) {
  return guarded("simulate-stock", [&] {
    const auto f = flags(args, {"--weeks", "--skus", "--seeds", "--first-seed", "--json"});
    sim::StockComparisonOptions options;
    options.weeks = whole_flag(f, "--weeks", options.weeks, 1, 104);
    options.skus = whole_flag(f, "--skus", options.skus, 1, 2000);
    options.seeds = whole_flag(f, "--seeds", options.seeds, 1, 100);
    options.first_seed = static_cast<std::uint64_t>(
        whole_flag(f, "--first-seed", static_cast<int>(options.first_seed), 0, 999'999'999));
    const auto started = std::chrono::steady_clock::now();
    const sim::StockComparison result = sim::compare_stock_policies(options);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string table = sim::format_stock_table(result);
    std::fwrite(table.data(), 1, table.size(), stdout);
    std::printf("\nwall time %.2f s (calibration runs included)\n", wall);
    std::fflush(stdout);
    if (f.count("--json")) {
      nlohmann::json report = result.report;
      report["wall_seconds"] = wall;
      write_text(f.at("--json"), report.dump(2) + "\n");
    }
    return 0;
  });
}

// A report, not a gate: each target prints PASS or FAIL and the exit status stays 0.
int evaluate_reco_command(const std::vector<std::string>& args) {
  return guarded("evaluate-reco", [&] {
    const auto f =
        flags(args, {"--baskets", "--splits", "--customers", "--days", "--skus", "--seeds"});
    if (!f.count("--baskets")) throw UsageError("--baskets FILE is required");
    std::ifstream in(f.at("--baskets"), std::ios::binary);
    if (!in) throw UsageError("cannot read '" + f.at("--baskets") + "'");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto baskets = sim::parse_baskets(text);
    if (baskets.size() < 10) throw UsageError("--baskets holds fewer than 10 baskets");
    const int splits = whole_flag(f, "--splits", 5, 1, 100);
    sim::ShopperConfig shoppers;
    shoppers.customers = whole_flag(f, "--customers", 2000, 10, 1'000'000);
    shoppers.days = whole_flag(f, "--days", 84, 14, 3650);
    const int skus = whole_flag(f, "--skus", 210, 10, 1'000'000);
    const int seeds = whole_flag(f, "--seeds", 3, 0, 100);  // 0: no buy-again part
    const auto verdict = [](double ratio, double target) {
      return ratio >= target ? "PASS" : "FAIL";
    };

    const auto started = std::chrono::steady_clock::now();
    sim::HitRates model, popular;
    std::vector<sim::Variant> variants;
    sim::TogetherEvaluation last;
    int cases = 0;
    for (int split = 1; split <= splits; ++split) {
      last = sim::evaluate_together(baskets, static_cast<std::uint64_t>(split));
      model.at5 += last.model.at5 * last.cases;
      model.at10 += last.model.at10 * last.cases;
      popular.at5 += last.popular.at5 * last.cases;
      popular.at10 += last.popular.at10 * last.cases;
      if (variants.empty()) {
        for (const auto& v : last.variants) variants.push_back({v.name, {}});
      }
      for (std::size_t v = 0; v < variants.size() && v < last.variants.size(); ++v) {
        variants[v].rates.at5 += last.variants[v].rates.at5 * last.cases;
        variants[v].rates.at10 += last.variants[v].rates.at10 * last.cases;
      }
      cases += last.cases;
    }
    for (auto& v : variants) {
      v.rates.at5 /= std::max(cases, 1);
      v.rates.at10 /= std::max(cases, 1);
    }
    for (auto* r : {&model, &popular}) {
      r->at5 /= std::max(cases, 1);
      r->at10 /= std::max(cases, 1);
    }
    std::printf(
        "bought together: %zu baskets from %s; %d splits 80/20 (seeds 1-%d), one item of\n"
        "each held-out basket of 2+ items hidden: %d cases\n",
        baskets.size(), f.at("--baskets").c_str(), splits, splits, cases);
    std::printf("  %-28s %8s %8s\n", "", "hit@5", "hit@10");
    std::printf("  %-28s %8.4f %8.4f\n", "freshlane (together + favs)", model.at5, model.at10);
    std::printf("  %-28s %8.4f %8.4f\n", "most popular (baseline)", popular.at5, popular.at10);
    const double ratio10 = popular.at10 > 0 ? model.at10 / popular.at10 : 0;
    std::printf("  %-28s %7.3fx %7.3fx   target >= 1.50x at @10: %s\n", "ratio",
                popular.at5 > 0 ? model.at5 / popular.at5 : 0, ratio10, verdict(ratio10, 1.5));
    for (const auto& v : variants) {
      std::printf("  %-28s %8.4f %8.4f   (tried, not served: %.3fx at @10)\n",
                  ("  " + v.name).c_str(), v.rates.at5, v.rates.at10,
                  popular.at10 > 0 ? v.rates.at10 / popular.at10 : 0);
    }
    std::printf("  model of one split: %d baskets, %zu items, %zu pairs, %.1f KiB in memory\n\n",
                last.train_baskets, last.items, last.pairs, last.model_bytes / 1024.0);

    if (seeds == 0) return 0;
    std::vector<std::string> catalog;
    for (int i = 0; i < skus; ++i) catalog.push_back("SKU" + std::to_string(i));
    sim::RecallF1 m, q;
    int customers = 0, trips = 0;
    for (int seed = 1; seed <= seeds; ++seed) {
      shoppers.seed = static_cast<std::uint64_t>(seed);
      const auto e = sim::evaluate_buy_again(sim::generate_trips(
          shoppers, catalog, core::Timestamp{std::chrono::seconds{1'800'000'000}}));
      m = {m.recall + e.model.recall * e.customers, m.precision + e.model.precision * e.customers,
           m.f1 + e.model.f1 * e.customers};
      q = {q.recall + e.frequent.recall * e.customers,
           q.precision + e.frequent.precision * e.customers, q.f1 + e.frequent.f1 * e.customers};
      customers += e.customers;
      trips += e.trips;
    }
    for (auto* r : {&m, &q}) {
      const double n = std::max(customers, 1);
      *r = {r->recall / n, r->precision / n, r->f1 / n};
    }
    std::printf(
        "buy again: generated history (sim/shoppers.hpp), %d customers x %d days over %d "
        "SKUs, seeds 1-%d: %d trips;\neach customer's last basket predicted from the ones "
        "before (%d customers with 3+ trips)\n",
        shoppers.customers, shoppers.days, skus, seeds, trips, customers);
    std::printf("  %-28s %10s %10s\n", "", "recall@10", "F1@10");
    std::printf("  %-28s %10.4f %10.4f\n", "freshlane (buy_again)", m.recall, m.f1);
    std::printf("  %-28s %10.4f %10.4f\n", "most frequent (baseline)", q.recall, q.f1);
    const double r_ratio = q.recall > 0 ? m.recall / q.recall : 0;
    const double f_ratio = q.f1 > 0 ? m.f1 / q.f1 : 0;
    std::printf("  %-28s %9.3fx %9.3fx   target >= 1.05x: %s\n", "ratio", r_ratio, f_ratio,
                verdict(std::min(r_ratio, f_ratio), 1.05));
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("\nwall time %.2f s\n", wall);
    return 0;
  });
}

}  // namespace freshlane::app

namespace freshlane::app {

std::optional<storage::ChainSize> chain_size(const std::vector<std::string>& args) {
  if (args.empty()) return std::nullopt;
  try {
    const auto f = flags(args, {"--stores", "--skus", "--days", "--orders-per-day", "--core-skus",
                                "--own-skus", "--customers"});
    storage::ChainSize size;
    size.stores = whole_flag(f, "--stores", size.stores, 1, 9999);
    size.skus = whole_flag(f, "--skus", size.skus, 1, 9999 * 210);
    size.days = whole_flag(f, "--days", size.days, 0, 3660);
    size.orders_per_day = whole_flag(f, "--orders-per-day", size.orders_per_day, 1, 100000);
    size.core_skus =
        whole_flag(f, "--core-skus", std::min(size.core_skus, size.skus), 1, size.skus);
    size.own_skus = whole_flag(f, "--own-skus", size.own_skus, 0, 1000000);
    size.customers_per_store = whole_flag(f, "--customers", size.customers_per_store, 1, 1000000);
    return size;
  } catch (const UsageError& e) {
    throw std::invalid_argument(e.what());
  }
}

}  // namespace freshlane::app
