// Abuse limits through the real server (issue 14 point 2), at their default settings: where
// abuse is cheap (sign-ups, bad tokens, quotes, orders) a client gets its burst and then 429
// rate_limited with a Retry-After that is the real wait; and one account can no longer reserve
// a store's stock for the payment window (a cap on what a customer holds in unpaid orders,
// checked in the order's own statement, so two orders at once, through two processes, cannot
// both pass).
//
// Requests that must come from different client addresses are sent from 127.0.0.x source
// addresses (all of 127/8 is loopback on Linux): the server sees each as another client.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "api/shop_fixture.hpp"

using namespace freshlane::testing;
using namespace std::chrono_literals;

namespace {

// One request on a fresh connection from `source` (a 127.x.y.z address), read to the end.
HttpResponse request_from(const std::string& source, unsigned short port, const std::string& method,
                          const std::string& target, const std::string& body = "",
                          const std::vector<Header>& headers = {}) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
    throw std::runtime_error("bind " + source);
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    throw std::runtime_error("connect");
  }
  const std::string out = build_request(method, target, body, headers, false);
  for (size_t sent = 0; sent < out.size();) {
    const auto n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send");
    sent += static_cast<size_t>(n);
  }
  std::string in;
  char buf[16384];
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  // "HTTP/1.1 200 OK\r\n" headers "\r\n\r\n" body (the server closes: Connection: close)
  HttpResponse r;
  const auto head_end = in.find("\r\n\r\n");
  if (in.size() < 12 || head_end == std::string::npos) throw std::runtime_error("no response");
  r.status = std::stoi(in.substr(9, 3));
  size_t line = in.find("\r\n") + 2;
  while (line < head_end) {
    const auto end = in.find("\r\n", line);
    const auto colon = in.find(':', line);
    std::string name = in.substr(line, colon - line);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = in.substr(colon + 1, end - colon - 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers.emplace_back(std::move(name), std::move(value));
    line = end + 2;
  }
  r.body = in.substr(head_end + 4);
  return r;
}

std::string phone() {
  static std::atomic<long long> n{13900000000LL + (::getpid() % 1000) * 100000};
  return "+86" + std::to_string(n++);
}

nlohmann::json sign_up_body() { return {{"phone", phone()}, {"name", "顾客"}}; }

int retry_after(const HttpResponse& r) { return std::stoi(r.header("retry-after").value_or("0")); }

class Abuse : public ApiTest {};

}  // namespace

TEST_F(Abuse, ASignUpFloodGetsItsBurstThen429WithTheRealWait) {
  // Default: 20 at once from one address, then 10 a minute (one every 6 s).
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    const auto r =
        request_from("127.0.0.21", server().port(), "POST", "/v1/customers", sign_up_body().dump());
    ASSERT_EQ(r.status, 201) << "sign-up " << i << ": " << r.body;
  }
  const auto refused =
      request_from("127.0.0.21", server().port(), "POST", "/v1/customers", sign_up_body().dump());
  ASSERT_TRUE(is_problem(refused, 429, "rate_limited")) << refused.status << refused.body;
  // The next sign-up comes back 6 s after the first of the burst, in whole seconds rounded up.
  const auto spent = std::chrono::steady_clock::now() - started;
  const int expected =
      static_cast<int>(std::chrono::ceil<std::chrono::seconds>(6s - spent).count());
  EXPECT_GE(retry_after(refused), std::max(1, expected - 1));
  EXPECT_LE(retry_after(refused), 6);
  EXPECT_NE(refused.json()["detail"].get<std::string>().find("sign-ups"), std::string::npos);

  // Another address is not affected.
  EXPECT_EQ(
      request_from("127.0.0.22", server().port(), "POST", "/v1/customers", sign_up_body().dump())
          .status,
      201);
  // Waiting what Retry-After said is enough, for exactly one more.
  std::this_thread::sleep_for(std::chrono::seconds(retry_after(refused)));
  EXPECT_EQ(
      request_from("127.0.0.21", server().port(), "POST", "/v1/customers", sign_up_body().dump())
          .status,
      201);
  EXPECT_EQ(
      request_from("127.0.0.21", server().port(), "POST", "/v1/customers", sign_up_body().dump())
          .status,
      429);
}

TEST_F(Abuse, AFailedAuthenticationFloodIs429ButAKnownTokenStillWorks) {
  const auto signed_up =
      request_from("127.0.0.32", server().port(), "POST", "/v1/customers", sign_up_body().dump());
  ASSERT_EQ(signed_up.status, 201) << signed_up.body;
  const std::string token = signed_up.json()["token"];
  // The customer's own call from the guesser's address, before the flood.
  ASSERT_EQ(
      request_from("127.0.0.31", server().port(), "GET", "/v1/orders", "", {bearer(token)}).status,
      200);

  // Default: 20 failed authentications at once from one address, then 20 a minute.
  for (int i = 0; i < 20; ++i) {
    const auto r = request_from("127.0.0.31", server().port(), "GET", "/v1/orders", "",
                                {bearer("flc_guess" + std::to_string(i))});
    ASSERT_TRUE(is_problem(r, 401, "unauthorized")) << i << ": " << r.status << r.body;
  }
  const auto refused = request_from("127.0.0.31", server().port(), "GET", "/v1/orders", "",
                                    {bearer("flc_guess-more")});
  ASSERT_TRUE(is_problem(refused, 429, "rate_limited")) << refused.status << refused.body;
  EXPECT_GE(retry_after(refused), 1);
  EXPECT_LE(retry_after(refused), 3);  // one failure comes back every 3 s
  // A malformed header counts as well: from a fresh address, 20 are answered 401, the next 429.
  for (int i = 0; i < 20; ++i) {
    const auto r = request_from("127.0.0.34", server().port(), "GET", "/v1/orders", "",
                                {{"Authorization", "Basic eDp5"}});
    ASSERT_TRUE(is_problem(r, 401, "unauthorized")) << i << ": " << r.status << r.body;
  }
  EXPECT_TRUE(is_problem(request_from("127.0.0.34", server().port(), "GET", "/v1/orders", "",
                                      {{"Authorization", "Basic eDp5"}}),
                         429, "rate_limited"));
  // The token this process has just seen valid still passes from that address...
  EXPECT_EQ(
      request_from("127.0.0.31", server().port(), "GET", "/v1/orders", "", {bearer(token)}).status,
      200);
  // ...and another address still gets its own answers.
  EXPECT_EQ(request_from("127.0.0.33", server().port(), "GET", "/v1/orders", "",
                         {bearer("flc_guess-elsewhere")})
                .status,
            401);
  // Requests without a token are not authentication attempts.
  EXPECT_EQ(request_from("127.0.0.31", server().port(), "GET", "/v1/stores").status, 200);
  const auto m = server().get("/metrics").body;
  EXPECT_GE(metric_value(m, "freshlane_rate_limited_total{limit=\"failed_auth\"}"), 2);
}

TEST_F(Abuse, AQuoteFloodFromOneAddressIs429) {
  Shop shop{server()};
  shop.store("ab-quote");
  const std::string quote = "/v1/delivery/quote?store_id=ab-quote&lat=31.2550&lon=121.5950";
  // Default: 60 at once from one address, then 120 a minute (one every 0.5 s).
  int ok = 0;
  HttpResponse last;
  for (int i = 0; i < 80; ++i) {
    last = request_from("127.0.0.41", server().port(), "GET", quote);
    if (last.status != 200) break;
    ++ok;
  }
  EXPECT_GE(ok, 60);
  EXPECT_LE(ok, 62);  // the burst, and what came back while it was spent
  ASSERT_TRUE(is_problem(last, 429, "rate_limited")) << last.status << last.body;
  EXPECT_EQ(retry_after(last), 1);
  EXPECT_EQ(request_from("127.0.0.42", server().port(), "GET", quote).status, 200);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(request_from("127.0.0.41", server().port(), "GET", quote).status, 200);
}

TEST_F(Abuse, AnOrderFloodOfOneCustomerIs429) {
  Shop shop{server()};
  shop.store("ab-orders");
  shop.stock("ab-orders", "AB-O-1", 100);
  const std::string token = shop.customer();
  const auto body = Shop::order_body("ab-orders", {{"AB-O-1", 1}});
  // Default: 10 placements at once per customer, then 30 a minute; a retry (here: replays of
  // one key) is a placement too.
  for (int i = 0; i < 10; ++i) {
    const auto r = shop.order(token, body, "ab-flood-1");
    ASSERT_EQ(r.status, 201) << i << ": " << r.body;
  }
  const auto refused = shop.order(token, body, "ab-flood-1");
  ASSERT_TRUE(is_problem(refused, 429, "rate_limited")) << refused.status << refused.body;
  EXPECT_GE(retry_after(refused), 1);
  EXPECT_LE(retry_after(refused), 2);  // one every 2 s
  // Per customer: another one, from the same address, orders at once.
  EXPECT_EQ(shop.order(shop.customer(), body, "ab-flood-2").status, 201);
  std::this_thread::sleep_for(std::chrono::seconds(retry_after(refused)));
  EXPECT_EQ(shop.order(token, body, "ab-flood-1").status, 201);
}

TEST_F(Abuse, OneAccountCanNoLongerHoardTheStore) {
  // The attack of issue 14: one fresh account, orders of many lines of 999 units each, three
  // of them (the unpaid-order limit), reserving everything for the payment window.
  Shop shop{server()};
  shop.store("ab-hoard");
  std::vector<std::string> skus;
  long long stock = 0;
  for (int i = 0; i < 6; ++i) {
    skus.push_back("AB-H-" + std::to_string(i));
    shop.stock("ab-hoard", skus.back(), 1000);
    stock += 1000;
  }
  const std::string hoarder = shop.customer();
  long long reserved = 0;
  for (int n = 0; n < 3; ++n) {
    std::vector<std::pair<std::string, int>> lines;
    for (int i = 0; i < 2; ++i) lines.emplace_back(skus[2 * n + i], 999);
    const auto r =
        shop.order(hoarder, Shop::order_body("ab-hoard", lines), "hoard-" + std::to_string(n));
    if (r.status == 201) reserved += 2 * 999;
    ASSERT_TRUE(is_problem(r, 422, "hold_limit_exceeded")) << r.status << r.body;
    const auto j = r.json();
    EXPECT_EQ(j["held_units"], 0);
    EXPECT_EQ(j["order_units"], 1998);
    EXPECT_EQ(j["max_held_units"], 200);
    EXPECT_EQ(j["max_held_value_minor"], 500000);
    EXPECT_NE(j["detail"].get<std::string>().find("200 units"), std::string::npos);
  }
  // Up to the cap (200 units), and not one unit beyond, however it is split.
  const auto a = shop.order(hoarder, Shop::order_body("ab-hoard", {{skus[0], 150}}), "hoard-a");
  ASSERT_EQ(a.status, 201) << a.body;
  const auto over = shop.order(hoarder, Shop::order_body("ab-hoard", {{skus[1], 51}}), "hoard-b");
  ASSERT_TRUE(is_problem(over, 422, "hold_limit_exceeded")) << over.status << over.body;
  EXPECT_EQ(over.json()["held_units"], 150);
  EXPECT_EQ(over.json()["held_value_minor"], 150 * 1000);
  EXPECT_EQ(over.json()["order_units"], 51);
  EXPECT_EQ(shop.order(hoarder, Shop::order_body("ab-hoard", {{skus[1], 50}}), "hoard-c").status,
            201);
  reserved += 200;
  long long left = 0;
  for (const auto& sku : skus) left += shop.available("ab-hoard", sku);
  EXPECT_EQ(left, stock - reserved);
  EXPECT_EQ(left, 5800);
  // Not final: the same request again, once an order is cancelled, passes.
  EXPECT_EQ(shop.order(hoarder, Shop::order_body("ab-hoard", {{skus[1], 51}}), "hoard-b").status,
            422);
  ASSERT_EQ(server()
                .send("POST", "/v1/orders/" + a.json()["order_id"].get<std::string>() + "/cancel",
                      "", {bearer(hoarder)})
                .status,
            200);
  EXPECT_EQ(shop.order(hoarder, Shop::order_body("ab-hoard", {{skus[1], 51}}), "hoard-b").status,
            201);
  // Everyone else can still buy.
  EXPECT_EQ(
      shop.order(shop.customer(), Shop::order_body("ab-hoard", {{skus[5], 150}}), "honest").status,
      201);
}

TEST_F(Abuse, ValueHeldIsCappedToo) {
  Shop shop{server()};
  shop.store("ab-value");
  shop.stock("ab-value", "AB-CRAB", 10, 200000);  // ¥2,000 each
  const std::string token = shop.customer();
  EXPECT_EQ(shop.order(token, Shop::order_body("ab-value", {{"AB-CRAB", 2}}), "v-1").status, 201);
  const auto r = shop.order(token, Shop::order_body("ab-value", {{"AB-CRAB", 1}}), "v-2");
  ASSERT_TRUE(is_problem(r, 422, "hold_limit_exceeded")) << r.status << r.body;
  EXPECT_EQ(r.json()["held_value_minor"], 400000);
  EXPECT_EQ(r.json()["order_value_minor"], 200000);
  EXPECT_EQ(shop.available("ab-value", "AB-CRAB"), 8);
  // Paying gives the room back: what is paid for is no longer held.
  const auto orders = server().get("/v1/orders", {bearer(token)}).json()["items"];
  ASSERT_EQ(orders.size(), 1u);
  ASSERT_EQ(shop.pay(orders[0]["order_id"], 400000, "ab-value-pay").status, 200);
  EXPECT_EQ(shop.order(token, Shop::order_body("ab-value", {{"AB-CRAB", 1}}), "v-2").status, 201);
}

TEST_F(Abuse, LinesOfOneSkuCannotSumPastTheLineLimit) {
  Shop shop{server()};
  shop.store("ab-lines");
  shop.stock("ab-lines", "AB-L-1", 5000);
  const std::string token = shop.customer();
  const auto r = shop.order(
      token, Shop::order_body("ab-lines", {{"AB-L-1", 999}, {"AB-L-2", 1}, {"AB-L-1", 1}}), "l-1");
  ASSERT_TRUE(is_problem(r, 400, "validation_failed")) << r.status << r.body;
  ASSERT_EQ(r.json()["errors"].size(), 1u);
  EXPECT_EQ(r.json()["errors"][0]["field"], "lines[2].quantity");
  EXPECT_EQ(shop.available("ab-lines", "AB-L-1"), 5000);
  // Up to 999 together is one line, as before.
  const auto ok =
      shop.order(token, Shop::order_body("ab-lines", {{"AB-L-1", 100}, {"AB-L-1", 50}}), "l-2");
  ASSERT_EQ(ok.status, 201) << ok.body;
  ASSERT_EQ(ok.json()["lines"].size(), 1u);
  EXPECT_EQ(ok.json()["lines"][0]["quantity"], 150);
}

TEST_F(Abuse, TwoOrdersAtOnceThroughTwoProcessesCannotBothPassTheCap) {
  Shop shop{server()};
  shop.store("ab-race");
  shop.stock("ab-race", "AB-R-1", 5000);
  ServerProcess other(database_url(), {{"FRESHLANE_PAYMENT_WEBHOOK_SECRET", kPaymentSecret}});
  Shop there{other};
  for (int round = 0; round < 8; ++round) {
    const std::string token = shop.customer();
    const auto body = Shop::order_body("ab-race", {{"AB-R-1", 150}});  // two would hold 300
    auto a = std::async(std::launch::async,
                        [&] { return shop.order(token, body, "race-a-" + std::to_string(round)); });
    auto b = std::async(std::launch::async, [&] {
      return there.order(token, body, "race-b-" + std::to_string(round));
    });
    const auto ra = a.get(), rb = b.get();
    const int placed = (ra.status == 201) + (rb.status == 201);
    EXPECT_EQ(placed, 1) << ra.body << " / " << rb.body;
    const auto& refused = ra.status == 201 ? rb : ra;
    EXPECT_TRUE(is_problem(refused, 422, "hold_limit_exceeded")) << refused.body;
  }
  EXPECT_EQ(shop.available("ab-race", "AB-R-1"), 5000 - 8 * 150);
}
