// The staff terminal's server side through HTTP against a real PostgreSQL: the live event
// streams (who may follow what, resume after a dropped connection without losing or repeating
// an event, events written by another process, heartbeats, the caps), the page and its assets
// (content-hashed names, caching, a strict Content-Security-Policy, nothing from elsewhere), who
// a token is (/v1/me), and the board's figures and staffing plan.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <pqxx/pqxx>
#include <regex>
#include <thread>

#include "api/shop_fixture.hpp"

namespace freshlane::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// One server-sent event stream on a raw socket: the head, then events as they come.
class EventReader {
 public:
  struct Event {
    std::string id, name;
    nlohmann::json data;
  };

  EventReader(unsigned short port, const std::string& target, const std::string& token,
              const std::optional<std::string>& last_event_id = std::nullopt) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot connect");
    }
    std::string req =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    if (last_event_id) req += "Last-Event-ID: " + *last_event_id + "\r\n";
    req += "\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      throw std::runtime_error("cannot send");
    }
    const auto deadline = Clock::now() + 10s;
    while (buffer_.find("\r\n\r\n") == std::string::npos && Clock::now() < deadline) {
      if (!fill(deadline)) break;
    }
    const auto end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) throw std::runtime_error("no response head");
    head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    status = std::stoi(head.substr(9, 3));
    if (status != 200) {  // a problem: read its body (Content-Length)
      std::smatch m;
      const std::regex length("Content-Length: (\\d+)", std::regex::icase);
      const std::size_t want = std::regex_search(head, m, length) ? std::stoul(m[1]) : 0;
      while (buffer_.size() < want && fill(deadline)) {
      }
      body = nlohmann::json::parse(buffer_.substr(0, want), nullptr, false);
    }
  }
  ~EventReader() { close(); }
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool header_has(const std::string& text) const { return head.find(text) != std::string::npos; }

  // The next event (comments such as heartbeats are counted, not returned), or nullopt.
  std::optional<Event> next(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto end = buffer_.find("\n\n");
      if (end != std::string::npos) {
        const std::string block = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        Event e;
        bool any = false;
        std::size_t start = 0;
        while (start <= block.size()) {
          const auto nl = std::min(block.find('\n', start), block.size());
          const std::string line = block.substr(start, nl - start);
          start = nl + 1;
          if (line.rfind(':', 0) == 0) {
            ++comments;
            continue;
          }
          if (line.rfind("id: ", 0) == 0) e.id = line.substr(4);
          if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
          if (line.rfind("data: ", 0) == 0) {
            e.data = nlohmann::json::parse(line.substr(6));
            any = true;
          }
        }
        if (any) return e;
        continue;
      }
      if (Clock::now() >= deadline || !fill(deadline)) return std::nullopt;
    }
  }
  // Events until one named `name` (inclusive); empty when it did not come in time.
  std::vector<Event> until(const std::string& name, std::chrono::milliseconds timeout = 10s) {
    std::vector<Event> out;
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto e = next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (!e) break;
      out.push_back(*e);
      if (e->name == name) return out;
    }
    return {};
  }
  // True when the server ended the stream within `timeout`.
  bool ended_within(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (!fill(deadline)) return closed_;
    }
    return false;
  }

  int status = 0;
  std::string head;
  nlohmann::json body;
  int comments = 0;

 private:
  // Reads what is there (waiting until `deadline`); false on timeout or end of stream.
  bool fill(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
};

class EventStreams : public ApiTest {
 protected:
  static void SetUpTestSuite() {
    start_suite({{"FRESHLANE_EVENTS_POLL_MS", "50"},
                 {"FRESHLANE_STREAMS_PER_CLIENT", "2"},
                 {"FRESHLANE_STREAMS_PER_STORE", "4"},
                 {"FRESHLANE_STREAM_HEARTBEAT_MS", "200"}});
  }
  Shop shop{server()};

  // A store with a lane and a listed product; its manager's token.
  std::string open_store(const std::string& id) {
    shop.store(id);
    shop.stock(id, "PEAR-" + id, 50, 500, 72, "produce");
    return shop.staff(id, "manager");
  }
  // A paid pickup order of the store: (order id, customer token).
  std::pair<std::string, std::string> paid_order(const std::string& store,
                                                 const ServerProcess& via) {
    Shop s{via};
    const std::string customer = s.customer();
    const auto r = s.order(customer, Shop::order_body(store, {{"PEAR-" + store, 1}}, "pickup"),
                           "k-" + store + std::to_string(++n_));
    EXPECT_EQ(r.status, 201) << r.body;
    const std::string id = r.json()["order_id"];
    EXPECT_EQ(s.pay(id, r.json()["total_minor"], "ev-" + id).status, 200);
    return {id, customer};
  }
  // The store's events after `after`, as PostgreSQL has them: (number, kind).
  std::vector<std::pair<std::string, std::string>> stored(const std::string& store,
                                                          long long after) {
    pqxx::connection c(database_url());
    pqxx::nontransaction tx(c);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& r : tx.exec_params(
             "SELECT seq, kind FROM store_events WHERE store_id = $1 AND seq > $2 ORDER BY seq",
             store, after)) {
      out.emplace_back(r[0].as<std::string>(), r[1].as<std::string>());
    }
    return out;
  }
  int n_ = 0;
};

TEST_F(EventStreams, OnlyThoseWhoMayFollowAStoreOrAnOrderGetAStream) {
  const std::string manager = open_store("ev-auth");
  open_store("ev-other");
  const auto port = server().port();
  const std::string target = "/v1/stores/ev-auth/events";
  EXPECT_EQ(EventReader(port, target, "").status, 401);
  EXPECT_EQ(EventReader(port, target, shop.customer()).status, 403);
  EXPECT_EQ(EventReader(port, target, shop.staff("ev-other", "picker")).status, 403);
  EXPECT_EQ(EventReader(port, "/v1/stores/ev-nowhere/events", kAdminToken).status, 404);
  EXPECT_EQ(EventReader(port, "/v1/couriers/me/events", manager).status, 403);
  const auto [order, owner] = paid_order("ev-auth", server());
  // Another customer's order does not exist for them; its own customer and the store's staff
  // may follow it.
  EXPECT_EQ(EventReader(port, "/v1/orders/" + order + "/events", shop.customer()).status, 404);
  EXPECT_EQ(EventReader(port, "/v1/orders/" + order + "/events", owner).status, 200);
  EXPECT_EQ(EventReader(port, "/v1/orders/" + order + "/events", manager).status, 200);
  EventReader bad(port, target, manager, "seven");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["code"], "bad_request");
  EventReader ok(port, target, manager);
  ASSERT_EQ(ok.status, 200);
  EXPECT_TRUE(ok.header_has("Content-Type: text/event-stream"));
  EXPECT_TRUE(ok.header_has("Cache-Control: no-store"));
  EXPECT_FALSE(ok.until("ready").empty());
}

TEST_F(EventStreams, AResumedStreamGetsEveryEventItMissedOnceInOrderWhicheverProcessWroteIt) {
  const std::string manager = open_store("ev-resume");
  const auto port = server().port();
  long long last = 0;
  {
    EventReader first(port, "/v1/stores/ev-resume/events", manager);
    ASSERT_EQ(first.status, 200);
    const auto ready = first.until("ready");
    ASSERT_FALSE(ready.empty());
    last = std::stoll(ready.back().id);
    // An order paid through another process sharing the database reaches this stream.
    ServerProcess other(database_url(), {{"FRESHLANE_EVENTS_POLL_MS", "50"}});
    const auto [order, customer] = paid_order("ev-resume", other);
    const auto seen = first.until("pick.task_added");
    ASSERT_FALSE(seen.empty()) << "no pick.task_added from the other process";
    long long expect = last;
    for (const auto& e : seen) {
      EXPECT_EQ(std::stoll(e.id), ++expect) << e.name;  // gap-free, in order
      EXPECT_EQ(e.data["store_id"], "ev-resume");
    }
    EXPECT_EQ(seen.front().name, "order.paid");
    EXPECT_EQ(seen.front().data["order_id"], order);
    last = expect;
  }  // the connection drops here
  // Written while nobody listened: two more paid orders.
  paid_order("ev-resume", server());
  paid_order("ev-resume", server());
  const auto missed = stored("ev-resume", last);
  ASSERT_GE(missed.size(), 4u);
  EventReader resumed(port, "/v1/stores/ev-resume/events", manager, std::to_string(last));
  ASSERT_EQ(resumed.status, 200);
  const auto replay = resumed.until("ready");
  ASSERT_EQ(replay.size(), missed.size() + 1);  // every missed event, then ready
  for (std::size_t i = 0; i < missed.size(); ++i) {
    EXPECT_EQ(replay[i].id, missed[i].first);
    EXPECT_EQ(replay[i].name, missed[i].second);
  }
  EXPECT_EQ(replay.back().id, missed.back().first);  // ready: where the stream now stands
  // And it goes on live from there, nothing twice.
  paid_order("ev-resume", server());
  const auto live = resumed.until("pick.task_added");
  ASSERT_FALSE(live.empty());
  EXPECT_EQ(std::stoll(live.front().id), std::stoll(missed.back().first) + 1);
}

TEST_F(EventStreams, AnUnknownPositionIsAResetNotASilentGap) {
  const std::string manager = open_store("ev-reset");
  EventReader r(server().port(), "/v1/stores/ev-reset/events", manager, "999999");
  ASSERT_EQ(r.status, 200);
  const auto e = r.next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name, "reset");
  EXPECT_EQ(e->data["reason"], "unknown_last_event_id");
}

TEST_F(EventStreams, AQuietStreamGetsHeartbeats) {
  const std::string manager = open_store("ev-quiet");
  EventReader r(server().port(), "/v1/stores/ev-quiet/events", manager);
  ASSERT_FALSE(r.until("ready").empty());
  EXPECT_FALSE(r.next(700ms));  // no event, but...
  EXPECT_GE(r.comments, 2);     // ...a heartbeat every 200 ms
}

TEST_F(EventStreams, ACustomerFollowsOnlyTheirOwnOrder) {
  open_store("ev-mine");
  const auto [mine, me] = paid_order("ev-mine", server());
  paid_order("ev-mine", server());  // someone else's, before: not in the replay
  EventReader r(server().port(), "/v1/orders/" + mine + "/events", me, "0");
  ASSERT_EQ(r.status, 200);
  const auto events = r.until("ready");
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().name, "order.paid");
  for (const auto& e : events) {
    if (e.name != "ready") {
      EXPECT_EQ(e.data["order_id"], mine) << e.name;
    }
  }
  paid_order("ev-mine", server());  // someone else's, live: not sent either
  const auto live = r.next(1500ms);
  EXPECT_FALSE(live) << live->name << " " << live->data;
}

TEST_F(EventStreams, StreamsPerTokenAndPerStoreAreCapped) {
  const std::string manager = open_store("ev-caps");
  const auto port = server().port();
  auto one = std::make_unique<EventReader>(port, "/v1/stores/ev-caps/events", manager);
  EventReader two(port, "/v1/stores/ev-caps/events", manager);
  ASSERT_EQ(one->status, 200);
  ASSERT_EQ(two.status, 200);
  EventReader three(port, "/v1/stores/ev-caps/events", manager);
  EXPECT_EQ(three.status, 429);
  EXPECT_EQ(three.body["code"], "rate_limited");
  EXPECT_TRUE(three.header_has("Retry-After: "));
  // A closed stream gives its place back (the server notices the client gone).
  one->close();
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(50ms);
    status = EventReader(port, "/v1/stores/ev-caps/events", manager).status;
  }
  EXPECT_EQ(status, 200);
  // Four per store, whoever asks: the fifth is refused.
  const std::string picker = shop.staff("ev-caps", "picker");
  const std::string packer = shop.staff("ev-caps", "packer");
  EventReader a(port, "/v1/stores/ev-caps/events", picker);
  EventReader b(port, "/v1/stores/ev-caps/events", picker);
  EventReader c(port, "/v1/stores/ev-caps/events", packer);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(c.status, 200);
  EventReader d(port, "/v1/stores/ev-caps/events", packer);
  EXPECT_EQ(d.status, 429);
  EXPECT_NE(d.body.value("detail", "").find("this store"), std::string::npos) << d.body;
}

// --- the page, who I am, the board ---------------------------------------------------------

class StaffTerminal : public ApiTest {
 protected:
  Shop shop{server()};
};

TEST_F(StaffTerminal, ThePageAndItsAssetsAreServedWithContentHashesAndAStrictPolicy) {
  const auto page = server().get("/staff/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.header("cache-control"), "no-cache");
  const auto csp = page.header("content-security-policy").value_or("");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
  // Nothing from elsewhere: every src and href is one of ours.
  const std::regex ref("(?:src|href)=\"([^\"]*)\"");
  int assets = 0;
  for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), ref);
       it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    ASSERT_TRUE(std::regex_match(name, std::regex("[a-z]+\\.[0-9a-f]{10}\\.[a-z]+"))) << name;
    const auto asset = server().get("/staff/" + name);
    ASSERT_EQ(asset.status, 200) << name;
    EXPECT_EQ(asset.header("cache-control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(asset.body.find("{{"), std::string::npos) << name << ": a name left unfilled";
    EXPECT_EQ(asset.body.find("https://"), std::string::npos) << name;
    ++assets;
  }
  EXPECT_GE(assets, 4);  // icon, manifest, style, script
  // Revalidated cheaply; an unknown (old) asset name is a clear 404.
  const auto again = server().send("GET", "/staff/", "", {{"If-None-Match", *page.header("etag")}});
  EXPECT_EQ(again.status, 304);
  const auto gone = server().get("/staff/app.0000000000.js");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.json()["code"], "not_found");
  const auto bare = server().get("/staff");
  EXPECT_EQ(bare.status, 308);
  EXPECT_EQ(bare.header("location"), "/staff/");
}

TEST_F(StaffTerminal, MeSaysWhoATokenBelongsTo) {
  shop.store("me-store");
  const auto staff = server().send("GET", "/v1/me", "", {bearer(shop.staff("me-store", "packer"))});
  ASSERT_EQ(staff.status, 200);
  EXPECT_EQ(staff.json()["role"], "staff");
  EXPECT_EQ(staff.json()["job"], "packer");
  EXPECT_EQ(staff.json()["store_id"], "me-store");
  const auto courier = server().send("GET", "/v1/me", "", {bearer(shop.courier("me-store"))});
  EXPECT_EQ(courier.json()["role"], "courier");
  EXPECT_EQ(server().send("GET", "/v1/me", "", {bearer(kAdminToken)}).json()["role"], "admin");
  EXPECT_EQ(server().get("/v1/me").status, 401);
  EXPECT_EQ(server().send("GET", "/v1/me", "", {bearer("nope-nope-nope")}).status, 401);
}

TEST_F(StaffTerminal, TheBoardCountsRefusalsAndShowsTheStoredPlanAgainstWhoIsOnShift) {
  shop.store("board-store");
  shop.stock("board-store", "PLUM-b", 20, 800, 72, "produce");
  const std::string manager = shop.staff("board-store", "manager");
  const auto today = [&] {
    return server().send("GET", "/v1/stores/board-store/today", "", {bearer(manager)});
  };
  auto t = today();
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.json()["refused"], 0);
  EXPECT_TRUE(t.json()["staffing"]["planned"].is_null());
  EXPECT_EQ(t.json()["paid_to_conveyor"]["target_seconds"], 600);
  // Nobody on shift: a delivery order is refused (store_busy), and the board counts it.
  const std::string customer = shop.customer();
  auto body = Shop::order_body("board-store", {{"PLUM-b", 1}}, "delivery");
  const auto refused = shop.order(customer, body, "k-board-refused");
  ASSERT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.json()["code"], "store_busy");
  EXPECT_EQ(today().json()["refused"], 1);
  // The plan: a manager stores it, checked; the board shows it beside who is on shift.
  EXPECT_EQ(
      server().send("GET", "/v1/stores/board-store/staffing-plan", "", {bearer(manager)}).status,
      404);
  const auto bad = server().send(
      "PUT", "/v1/stores/board-store/staffing-plan",
      R"({"pickers":[{"from":"25:00","to":"09:00","zone":"produce","count":1}],"couriers":[]})",
      {bearer(manager)});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["errors"][0]["field"], "pickers[0].from");
  const std::string plan =
      R"({"pickers":[{"from":"00:00","to":"24:00","zone":"produce","count":3}],"couriers":[{"from":"00:00","to":"24:00","count":2}]})";
  EXPECT_EQ(server()
                .send("PUT", "/v1/stores/board-store/staffing-plan", plan,
                      {bearer(shop.staff("board-store", "picker"))})
                .status,
            403);
  const auto put =
      server().send("PUT", "/v1/stores/board-store/staffing-plan", plan, {bearer(manager)});
  ASSERT_EQ(put.status, 200) << put.body;
  shop.picker_on_shift("board-store", "produce");
  t = today();
  EXPECT_EQ(t.json()["staffing"]["planned"]["pickers"]["produce"], 3);
  EXPECT_EQ(t.json()["staffing"]["planned"]["couriers"], 2);
  EXPECT_EQ(t.json()["staffing"]["on_shift"]["pickers"]["produce"], 1);
  EXPECT_EQ(t.json()["staffing"]["on_shift"]["couriers"], 0);
  EXPECT_EQ(
      server().send("GET", "/v1/stores/board-store/today", "", {bearer(shop.customer())}).status,
      403);
}

}  // namespace
}  // namespace freshlane::testing
