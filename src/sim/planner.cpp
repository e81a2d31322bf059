#include "freshlane/sim/planner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace freshlane::sim {

namespace {

constexpr int kQuarter = 15;          // minutes
constexpr int kAfterClosing = 45;     // staff stay this long after closing to finish the work
constexpr int kMaxSimulations = 120;  // the whole search, at most

// People on shift per quarter hour of the day (index: minute / 15).
struct Staffing {
  std::map<std::string, std::vector<int>> pickers;  // by zone
  std::vector<int> couriers;
};

// Writes a staffing as shifts: one shift per person and stretch, so nobody clocks out and in
// again where the count only steps up or down (layer k holds the k-th person of each quarter).
template <typename Add>
void as_shifts(const std::vector<int>& count, Add add) {
  const int top = count.empty() ? 0 : *std::max_element(count.begin(), count.end());
  for (int layer = 1; layer <= top; ++layer) {
    for (size_t q = 0; q < count.size();) {
      if (count[q] < layer) {
        ++q;
        continue;
      }
      size_t end = q;
      while (end < count.size() && count[end] >= layer) ++end;
      add(static_cast<Minute>(q * kQuarter), static_cast<Minute>(end * kQuarter));
      q = end;
    }
  }
}

Scenario with_staff(Scenario s, const Staffing& staff) {
  s.staff.pickers.clear();
  s.staff.couriers.clear();
  for (const auto& [zone, count] : staff.pickers) {
    as_shifts(count, [&](Minute from, Minute to) {
      for (auto& p : s.staff.pickers) {  // people with the same hours are one entry
        if (p.zone == zone && p.from == from && p.to == to) return void(++p.count);
      }
      s.staff.pickers.push_back({from, to, zone, 1});
    });
  }
  as_shifts(staff.couriers, [&](Minute from, Minute to) {
    for (auto& c : s.staff.couriers) {
      if (c.from == from && c.to == to) return void(++c.count);
    }
    s.staff.couriers.push_back({from, to, 1});
  });
  return s;
}

double labour_hours(const Staffing& staff) {
  long long quarters = 0;
  for (const auto& [zone, count] : staff.pickers) {
    for (int n : count) quarters += n;
  }
  for (int n : staff.couriers) quarters += n;
  return double(quarters) * kQuarter / 60.0;
}

// Average people busy per quarter, looking one quarter ahead (work follows the orders).
std::vector<double> busy_people(const std::vector<double>& busy_s, size_t quarters) {
  std::vector<double> out(quarters, 0.0);
  for (size_t q = 0; q < quarters && q < busy_s.size(); ++q) {
    const double next = q + 1 < busy_s.size() ? busy_s[q + 1] : 0.0;
    out[q] = std::max(busy_s[q], next) / (kQuarter * 60.0);
  }
  return out;
}

std::vector<int> sized(const std::vector<double>& busy, double utilization, size_t first,
                       size_t last, int at_least) {
  std::vector<int> n(busy.size(), 0);
  for (size_t q = first; q < last && q < n.size(); ++q) {
    n[q] = std::max(at_least, static_cast<int>(std::ceil(busy[q] / utilization - 1e-9)));
  }
  return n;
}

}  // namespace

bool meets(const Result& r, const Targets& t) {
  const auto& orders = r.report.at("orders");
  return r.on_time_ratio >= t.on_time && r.refused_ratio <= t.max_refused &&
         orders.at("open_at_close").get<int>() == 0;
}

PlanResult plan_staff(const Scenario& scenario, const Targets& targets,
                      const std::function<void(const std::string&)>& progress) {
  PlanResult out;
  const size_t first = static_cast<size_t>(scenario.day.opens / kQuarter);
  const size_t last = static_cast<size_t>((scenario.day.closes + kAfterClosing) / kQuarter);
  const size_t quarters = last + 1;
  const auto& zones = scenario.layout.zones;

  auto run = [&](const Staffing& staff, const char* what) {
    ++out.simulations;
    Result r = simulate(with_staff(scenario, staff));
    if (progress) {
      char line[200];
      std::snprintf(line, sizeof line,
                    "plan: %-28s labour %7.1f h  on-time %.4f  refused %.4f  open %d", what,
                    labour_hours(staff), r.on_time_ratio, r.refused_ratio,
                    r.report["orders"]["open_at_close"].get<int>());
      progress(line);
    }
    return r;
  };

  // 1. A generous day shows where the work is: the peak quarter's orders, staffed amply.
  double peak = 0;
  {
    double base = 0;
    for (int m = scenario.day.opens; m < scenario.day.closes; ++m) {
      base += scenario.demand.profile[(m / 60) % 24];
    }
    for (int q = scenario.day.opens / kQuarter; q * kQuarter < scenario.day.closes; ++q) {
      double in_quarter = 0;
      for (int m = q * kQuarter; m < (q + 1) * kQuarter; ++m) {
        double rate =
            base > 0 ? scenario.demand.orders * scenario.demand.profile[(m / 60) % 24] / base : 0;
        for (const auto& s : scenario.demand.surges) {
          if (m >= s.from && m < s.to) rate *= s.factor;
        }
        in_quarter += rate;
      }
      peak = std::max(peak, in_quarter);
    }
  }
  const auto& sp = scenario.speeds;
  const double shares =
      scenario.demand.delivery + scenario.demand.pickup + scenario.demand.in_store;
  const double picked = peak * (scenario.demand.delivery + scenario.demand.pickup) / shares;
  const double line_s = sp.walk_seconds_per_trip + sp.pick_seconds_per_task +
                        sp.pick_seconds_per_unit * scenario.demand.units_per_line;
  const int generous_pickers =
      2 + static_cast<int>(std::ceil(picked * scenario.demand.lines_per_order /
                                     double(zones.size()) * line_s / 900.0 * 2.5));
  const double trip_s = 2.0 * scenario.store.delivery_radius_m / (sp.courier_kmh / 3.6) + 600;
  const int generous_couriers =
      2 +
      static_cast<int>(std::ceil(peak * scenario.demand.delivery / shares * trip_s / 900.0 * 1.5));

  Staffing generous;
  generous.couriers.assign(quarters, 0);
  for (size_t q = first; q < last; ++q) generous.couriers[q] = generous_couriers;
  for (const auto& z : zones) {
    generous.pickers[z].assign(quarters, 0);
    for (size_t q = first; q < last; ++q) generous.pickers[z][q] = generous_pickers;
  }
  Result probe = run(generous, "generous");
  if (!meets(probe, targets)) {  // not a matter of people: say so with what was tried
    out.scenario = with_staff(scenario, generous);
    out.result = std::move(probe);
    out.labour_hours = labour_hours(generous);
    return out;
  }

  // 2. Size each quarter from the work it had, at the highest utilization that keeps the targets
  //    (couriers first with ample pickers, then pickers), re-measuring the work once sized.
  Staffing best = generous;
  Result best_result = probe;
  auto courier_busy = [&](const Result& r) {
    std::vector<double> s;
    for (const auto& q : r.quarters) s.push_back(q.courier_busy_s);
    return busy_people(s, quarters);
  };
  auto picker_busy = [&](const Result& r, const std::string& zone) {
    const auto it = r.zone_busy_s.find(zone);
    return busy_people(it == r.zone_busy_s.end() ? std::vector<double>{} : it->second, quarters);
  };
  const int min_couriers = scenario.demand.delivery > 0 ? 1 : 0;
  // The highest utilization (bisected, 7 simulations) at which `staff_at(u)` keeps the targets;
  // the best staffing found is kept.
  auto bisect = [&](const char* what, const auto& staff_at) {
    double lo = 0.3, hi = 1.3;
    for (int i = 0; i < 7 && out.simulations < kMaxSimulations; ++i) {
      const double u = (lo + hi) / 2;
      Staffing trial = staff_at(u);
      Result r = run(trial, what);
      if (meets(r, targets)) {
        lo = u;
        best = std::move(trial);
        best_result = std::move(r);
      } else {
        hi = u;
      }
    }
  };
  for (int round = 0; round < 2; ++round) {
    const auto cb = courier_busy(best_result);
    bisect("couriers", [&](double u) {
      Staffing trial = best;
      trial.couriers = sized(cb, u, first, last, min_couriers);
      return trial;
    });
    // Pickers, zone by zone's work, at one utilization for all zones.
    std::map<std::string, std::vector<double>> pb;
    for (const auto& z : zones) pb[z] = picker_busy(best_result, z);
    bisect("pickers", [&](double u) {
      Staffing trial = best;
      for (const auto& z : zones) trial.pickers[z] = sized(pb[z], u, first, last, 1);
      return trial;
    });
  }

  // 3. Trim: one person less over an hour at a time (couriers, then each zone's pickers),
  //    kept while the targets hold.
  auto row_of = [&](Staffing& staff, size_t row) -> std::vector<int>& {
    return row == 0 ? staff.couriers : staff.pickers[zones[row - 1]];
  };
  bool trimmed = true;
  while (trimmed && out.simulations < kMaxSimulations) {
    trimmed = false;
    for (size_t h = first; h < last && out.simulations < kMaxSimulations; h += 4) {
      for (size_t row = 0; row <= zones.size() && out.simulations < kMaxSimulations; ++row) {
        const int at_least = row == 0 ? min_couriers : 1;
        Staffing trial = best;
        std::vector<int>& t = row_of(trial, row);
        bool changed = false;
        for (size_t q = h; q < std::min(h + 4, last); ++q) {
          if (t[q] > at_least) {
            --t[q];
            changed = true;
          }
        }
        if (!changed) continue;
        Result r = run(trial, row == 0 ? "trim couriers, an hour" : "trim pickers, an hour");
        if (meets(r, targets)) {
          best = std::move(trial);
          best_result = std::move(r);
          trimmed = true;
        }
      }
    }
  }

  out.scenario = with_staff(scenario, best);
  out.result = std::move(best_result);
  out.met = true;
  out.labour_hours = labour_hours(best);
  return out;
}

}  // namespace freshlane::sim
