// 200 clients looping on the delivery quote while customers order and pickers work: quotes
// are summed from the store's load as published, read from the database once per period, so
// the flood never takes the workers that orders and staff need.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "api/shop_fixture.hpp"

using namespace freshlane::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
class QuoteFlood : public ApiTest {
 protected:
  // The flood comes from one address, which the per-address quote limit would answer with 429
  // (tests/api/abuse_api_test.cpp): here every quote is served, to see that it costs nothing.
  static void SetUpTestSuite() {
    start_suite(
        {{"FRESHLANE_RATE_QUOTES_PER_MINUTE", "0"}, {"FRESHLANE_RATE_SIGNUPS_PER_MINUTE", "0"}});
  }
};

double counter(const ServerProcess& s, const std::string& name) {
  return metric_value(s.get("/metrics").body, name);
}
}  // namespace

TEST_F(QuoteFlood, OrdersAndStaffKeepGoingWhileQuotesPourIn) {
  Shop shop{server()};
  shop.store("qf");
  shop.stock("qf", "QF-1", 500);
  // Enough couriers that the 20 delivery orders below all leave at once: the quote counts every
  // admitted order ahead of the next one, so with one courier the store would (rightly) be busy
  // after a few.
  for (int i = 0; i < 10; ++i) shop.courier_on_shift("qf");
  const std::string picker = shop.staff("qf", "picker");
  const Terminal staff(server(), picker);
  ASSERT_EQ(staff.post("/v1/stores/qf/pickers/clock-in", {{"zone", "produce"}}).status, 200);
  const std::string quote = "/v1/delivery/quote?store_id=qf&lat=31.2550&lon=121.5950";
  ASSERT_EQ(server().get(quote).status, 200);

  std::atomic<bool> stop{false};
  std::atomic<long> quotes{0}, not_ok{0};
  std::vector<std::thread> flood;
  for (int i = 0; i < 200; ++i) {
    flood.emplace_back([&] {
      try {
        Connection c(server().port());
        while (!stop) {
          if (!c.send(build_request("GET", quote, "", {}, true))) break;
          const auto r = c.read_response(10s);
          if (!r) break;
          ++quotes;
          if (r->status != 200) ++not_ok;
        }
      } catch (const std::exception&) {
        ++not_ok;
      }
    });
  }
  std::this_thread::sleep_for(500ms);
  const double reads_before = counter(server(), "freshlane_store_load_reads_total");
  const long quotes_before = quotes;
  const auto started = Clock::now();

  // Meanwhile: 20 customers order (delivery, which also checks the store's load) and a picker
  // asks for work; every one is answered, none is turned away.
  std::vector<double> order_ms, staff_ms;
  for (int i = 0; i < 20; ++i) {
    auto t = Clock::now();
    const auto r = shop.order(shop.customer(), Shop::order_body("qf", {{"QF-1", 1}}, "delivery"),
                              "flood-" + std::to_string(i));
    order_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    EXPECT_EQ(r.status, 201) << r.body;
    t = Clock::now();
    const auto next = staff.post("/v1/stores/qf/pick-tasks/next");
    staff_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    EXPECT_EQ(next.status, 204) << next.body;
  }
  const double reads = counter(server(), "freshlane_store_load_reads_total") - reads_before;
  const long flooded = quotes - quotes_before;
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  stop = true;
  for (auto& t : flood) t.join();

  std::sort(order_ms.begin(), order_ms.end());
  std::sort(staff_ms.begin(), staff_ms.end());
  std::printf(
      "quote flood: %ld quotes by 200 clients in %.1f s, %.0f load reads (20 of them the "
      "orders' own, up to 20 after them); orders p50 %.1f ms max %.1f ms; staff p50 %.1f ms max "
      "%.1f ms\n",
      flooded, seconds, reads, order_ms[10], order_ms.back(), staff_ms[10], staff_ms.back());
  EXPECT_EQ(not_ok, 0);
  EXPECT_GT(flooded, 1000);
  // Each order reads the load itself (20), and changes it: the next quote reads it anew (20);
  // otherwise quotes add one read per 500 ms period at most.
  EXPECT_LE(reads, 2 * 20 + seconds / 0.5 + 5) << "quotes are reading the database one by one";
}
