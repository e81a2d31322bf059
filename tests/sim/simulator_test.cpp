// The store's day on a virtual clock: determinism, conservation, monotonicity, the planner's
// claim re-checked, the shipped scenarios, and the scenario file's errors.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "freshlane/sim/html.hpp"
#include "freshlane/sim/planner.hpp"
#include "freshlane/sim/scenario.hpp"
#include "freshlane/sim/simulator.hpp"

namespace freshlane::sim {
namespace {

using nlohmann::json;

Scenario shipped(const std::string& name) {
  std::ifstream in(std::string(FRESHLANE_SOURCE_DIR) + "/sim/" + name + ".json");
  EXPECT_TRUE(in) << name;
  return parse_scenario(json::parse(in));
}

int count(const json& r, const char* key) { return r.at("orders").at(key).get<int>(); }

TEST(Simulator, TheSameScenarioAndSeedGiveTheSameBytes) {
  const Scenario s = shipped("small-store");
  const auto a = simulate(s).report.dump(2);
  const auto b = simulate(s).report.dump(2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(render_html(json::parse(a)), render_html(json::parse(b)));
}

TEST(Simulator, DifferentSeedsGiveDifferentDays) {
  const Scenario s = shipped("small-store");
  const auto a = simulate(s, 1).report;
  const auto b = simulate(s, 2).report;
  EXPECT_NE(a.dump(), b.dump());
  EXPECT_EQ(a.at("seed"), 1);
  EXPECT_EQ(b.at("seed"), 2);
}

// Every order is counted once: generated = accepted + refused, and every accepted order ends
// delivered, collected, completed in the aisle, or is counted open at closing.
void expect_conserved(const json& r) {
  EXPECT_EQ(count(r, "generated"), count(r, "accepted") + count(r, "refused")) << r["orders"];
  EXPECT_EQ(count(r, "refused"), count(r, "refused_busy") + count(r, "out_of_range"));
  EXPECT_EQ(count(r, "accepted"), count(r, "delivered") + count(r, "collected") +
                                      count(r, "completed_in_store") + count(r, "open_at_close"))
      << r["orders"];
  int generated = 0, accepted = 0, refused = 0;
  for (const auto& h : r.at("by_hour")) {
    generated += h.at("generated").get<int>();
    accepted += h.at("accepted").get<int>();
    refused += h.at("refused").get<int>();
  }
  EXPECT_EQ(generated, count(r, "generated"));
  EXPECT_EQ(accepted, count(r, "accepted"));
  EXPECT_EQ(refused, count(r, "refused"));
  EXPECT_EQ(r.at("floor").at("anomalies"), 0) << "the engine refused a simulated person's move";
  EXPECT_EQ(r.at("floor").at("pickers_timed_out"), 0);
}

TEST(Simulator, EveryOrderIsAccountedFor) {
  for (const char* name : {"small-store", "weekday", "singles-day"}) {
    SCOPED_TRACE(name);
    expect_conserved(simulate(shipped(name)).report);
  }
}

TEST(Simulator, OrdersLeftWhenStaffGoHomeAreCountedOpen) {
  Scenario s = shipped("small-store");
  // Pickers leave at noon: delivery orders are refused from then (nobody to pick them), but a
  // pickup order is taken without a quote and waits on the floor until the day ends.
  for (auto& p : s.staff.pickers) p.to = std::min(p.to, 12 * 60);
  const auto r = simulate(s).report;
  expect_conserved(r);
  EXPECT_GT(count(r, "open_at_close"), 0);
}

TEST(Simulator, TheDemandIsTheScenarios) {
  Scenario s = shipped("small-store");
  EXPECT_EQ(count(simulate(s).report, "generated"), s.demand.orders);
  s.demand.surges.push_back({18 * 60, 19 * 60, 10});  // ten times the rate for one hour
  const auto r = simulate(s).report;
  int at_six = 0;
  for (const auto& h : r.at("by_hour")) {
    if (h.at("hour") == 18) at_six = h.at("generated");
  }
  EXPECT_GT(count(r, "generated"), s.demand.orders);
  EXPECT_GT(at_six, count(r, "generated") - s.demand.orders);  // the surge's orders fall at six
}

TEST(Simulator, MoreCouriersNeverHurtFewerDo) {
  Scenario s = shipped("weekday");
  const auto base = simulate(s);
  Scenario more = s;
  for (auto& c : more.staff.couriers) c.count += c.count / 4;
  const auto with_more = simulate(more);
  EXPECT_GE(with_more.on_time_ratio, base.on_time_ratio - 0.005);  // noise: other batches
  EXPECT_LE(with_more.refused_ratio, base.refused_ratio + 0.005);
  Scenario fewer = s;
  for (auto& c : fewer.staff.couriers) c.count /= 2;
  const auto with_fewer = simulate(fewer);
  EXPECT_TRUE(with_fewer.refused_ratio > base.refused_ratio + 0.01 ||
              with_fewer.on_time_ratio < base.on_time_ratio - 0.01)
      << "half the couriers changed nothing: refused " << with_fewer.refused_ratio << " vs "
      << base.refused_ratio << ", on time " << with_fewer.on_time_ratio << " vs "
      << base.on_time_ratio;
}

TEST(Simulator, FewerPickersRaiseRefusalsOrLateBags) {
  Scenario s = shipped("weekday");
  const auto base = simulate(s);
  Scenario fewer = s;
  std::erase_if(fewer.staff.pickers, [](const PickerShift& p) { return p.from > 8 * 60; });
  const auto r = simulate(fewer);
  EXPECT_GT(r.refused_ratio + (1 - r.on_time_ratio), base.refused_ratio + (1 - base.on_time_ratio));
  EXPECT_GT(r.report["paid_to_conveyor_seconds"]["p95"].get<double>(),
            base.report["paid_to_conveyor_seconds"]["p95"].get<double>());
}

TEST(Simulator, TheWeekdayWithItsStaffKeepsThePromise) {
  const auto r = simulate(shipped("weekday"));
  EXPECT_GE(r.on_time_ratio, 0.98) << r.report["promise"];
  EXPECT_LE(r.refused_ratio, 0.02) << r.report["orders"];
  EXPECT_LE(r.report["paid_to_conveyor_seconds"]["p95"].get<double>(), 600);
}

TEST(Planner, ItsScenarioKeepsWhatItClaims) {
  const Scenario s = shipped("small-store");
  const Targets targets{0.98, 0.02};
  const auto plan = plan_staff(s, targets);
  ASSERT_TRUE(plan.met);
  // Anyone can check the claim: the written scenario, read back and simulated again.
  const Scenario again = parse_scenario(json::parse(to_json(plan.scenario).dump()));
  const auto r = simulate(again);
  EXPECT_TRUE(meets(r, targets)) << r.report["promise"] << r.report["orders"];
  EXPECT_EQ(r.report.dump(), plan.result.report.dump());
  // ...and it is no more than the scenario's own staffing costs.
  const auto own = simulate(s).report["labour_hours"];
  const auto planned = r.report["labour_hours"];
  EXPECT_LE(planned["pickers"].get<double>() + planned["couriers"].get<double>(),
            own["pickers"].get<double>() + own["couriers"].get<double>());
}

TEST(Scenario, DefaultsFillWhatIsNotGivenAndItReadsBackWhatItWrites) {
  const Scenario s = parse_scenario(json::object());
  EXPECT_EQ(s.demand.orders, 4000);
  EXPECT_EQ(s.store.promise_minutes, 30);
  EXPECT_EQ(s.layout.zones.size(), 6u);
  const Scenario w = shipped("weekday");
  EXPECT_EQ(to_json(parse_scenario(to_json(w))), to_json(w));
}

TEST(Scenario, BadKeysAreNamed) {
  auto error = [](const json& j) {
    try {
      parse_scenario(j);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error({{"stafff", json::object()}}).rfind("stafff:", 0), 0u);
  EXPECT_EQ(error({{"day", {{"opens", "25:00"}}}}).rfind("day.opens:", 0), 0u);
  EXPECT_EQ(error({{"day", {{"opens", "10:00"}, {"closes", "09:00"}}}}).rfind("day.closes:", 0),
            0u);
  EXPECT_EQ(
      error({{"staff", {{"pickers", {{{"zone", "moon"}}}}}}}).rfind("staff.pickers[0].zone:", 0),
      0u);
  EXPECT_EQ(error({{"demand", {{"profile", {1, 2, 3}}}}}).rfind("demand.profile:", 0), 0u);
  EXPECT_EQ(error({{"demand", {{"orders", -1}}}}).rfind("demand.orders:", 0), 0u);
  EXPECT_EQ(error({{"layout", {{"lanes", {{{"lane_id", "L1"}, {"zones", {"nowhere"}}}}}}}})
                .rfind("layout.", 0),
            0u);
  EXPECT_EQ(error(json::array()), "the scenario must be a JSON object");
}

TEST(Report, TheHtmlPageIsSelfContained) {
  const auto html = render_html(simulate(shipped("small-store")).report);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

}  // namespace
}  // namespace freshlane::sim
