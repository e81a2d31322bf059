// The payment provider's webhook. The signature is checked over the raw body, in constant
// time, before anything is parsed or stored.
#include <charconv>

#include "freshlane/core/crypto.hpp"
#include "freshlane/core/ids.hpp"
#include "freshlane/storage/order_repository.hpp"
#include "freshlane/storage/picking_repository.hpp"
#include "freshlane/storage/refund_repository.hpp"
#include "handlers.hpp"
#include "json_body.hpp"
#include "json_views.hpp"

namespace freshlane::api {

using core::Error;
using core::ErrorKind;

namespace {

constexpr long long kToleranceSeconds = 300;

// `X-Freshlane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
void verify_signature(const Context& ctx, const http::Request& req) {
  const auto header = req.header("x-freshlane-signature");
  if (!header) throw Error(ErrorKind::kInvalidSignature, "X-Freshlane-Signature is missing");
  std::string_view t;
  std::vector<std::string_view> signatures;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.substr(0, 2) == "t=") t = part.substr(2);
    if (part.substr(0, 3) == "v1=") signatures.push_back(part.substr(3));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  long long timestamp = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), timestamp);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || signatures.empty()) {
    throw Error(ErrorKind::kInvalidSignature, "X-Freshlane-Signature must be t=<seconds>,v1=<hex>");
  }
  const long long now = ctx.now().time_since_epoch().count();
  if (timestamp < now - kToleranceSeconds || timestamp > now + kToleranceSeconds) {
    throw Error(ErrorKind::kInvalidSignature, "the signature's timestamp is more than 300 s away");
  }
  const std::string expected = core::webhook_v1(ctx.payment_webhook_secret, t, req.body);
  bool ok = false;
  for (auto sig : signatures) ok = core::constant_time_equal(sig, expected) || ok;
  if (!ok) throw Error(ErrorKind::kInvalidSignature, "the signature does not match the body");
}

// The provider settles a refund we requested: `{"event_id", "refund_id", "status":
// "succeeded" | "failed"}`. Settling twice changes nothing.
http::Response refund_event(BodyReader& body, storage::Session& session) {
  body.string("event_id", Need::kRequired, 1, 255);
  const auto refund_id = body.string("refund_id", Need::kRequired, 1, core::kMaxIdLength);
  bool refunded = false;
  if (auto status = body.string("status", Need::kRequired, 1, 16)) {
    if (*status != "succeeded" && *status != "failed") {
      body.error("status", "must be succeeded or failed");
    }
    refunded = *status == "succeeded";
  }
  body.finish();
  const auto settled = storage::RefundRepository(session).settle(*refund_id, refunded);
  if (!settled) throw Error(ErrorKind::kNotFound, "no refund " + *refund_id);
  return json_response(200, {{"received", true}});
}

http::Response webhook(Context& ctx, const http::Request& req, storage::Session& session) {
  verify_signature(ctx, req);
  BodyReader body(req.body);
  if (body.has("refund_id")) return refund_event(body, session);
  storage::PaymentEvent e;
  e.event_id = body.string("event_id", Need::kRequired, 1, 255).value_or("");
  e.order_id = body.string("order_id", Need::kRequired, 1, core::kMaxIdLength).value_or("");
  if (auto status = body.string("status", Need::kRequired, 1, 16)) {
    if (*status != "succeeded" && *status != "failed") {
      body.error("status", "must be succeeded or failed");
    }
    e.succeeded = *status == "succeeded";
  }
  e.amount_minor = body.integer("amount_minor", Need::kRequired, 0, 1'000'000'000'000).value_or(0);
  body.finish();
  storage::OrderRepository orders(session);
  const auto placed = orders.store_of(e.order_id);
  if (!placed) throw Error(ErrorKind::kNotFound, "no order " + e.order_id);
  // Named, not a structured binding: the floor's lambda below captures the store (clang < 16
  // cannot capture a structured binding).
  const std::string& store_id = placed->first;
  const orders::Fulfillment fulfillment = placed->second;
  storage::PaymentOutcome outcome;
  std::optional<storage::PaymentOutcome> off_floor;
  if (fulfillment == orders::Fulfillment::kInStore) {
    outcome = orders.apply_payment(e, ctx.now());
  } else if ((off_floor = orders.apply_payment_unless_it_pays(e, ctx.now()))) {
    // Failures, twins and late money never touch the floor: a burst of events for one order
    // queues only on the order's row, briefly, not on the store's floor behind its decisions.
    outcome = *off_floor;
  } else {
    // A delivery or pickup order is split into its pick tasks in the payment's own floor unit:
    // a paid order never exists without its tasks, nor its tasks without the floor knowing.
    // (Everything is checked again there: another event may have come first.)
    outcome =
        decide_on_floor(ctx, session, store_id, [&](picking::Engine& floor, core::Timestamp now) {
          const auto applied = orders.apply_payment(e, now);
          if (applied == storage::PaymentOutcome::kApplied && e.succeeded) {
            floor.add_tasks(picking::split_order(
                e.order_id, storage::PickingRepository(session).zoned_lines(store_id, e.order_id),
                now, floor.layout().pick_deadline));
          }
          return applied;
        });
  }
  switch (outcome) {
    case storage::PaymentOutcome::kUnknownOrder:
      throw Error(ErrorKind::kNotFound, "no order " + e.order_id);
    case storage::PaymentOutcome::kAmountMismatch:
      throw Error(ErrorKind::kAmountMismatch,
                  "amount_minor differs from the order's total; the order is unchanged");
    case storage::PaymentOutcome::kApplied:
    case storage::PaymentOutcome::kDuplicate:
    case storage::PaymentOutcome::kRecordedForRefund:
      break;
  }
  return json_response(200, {{"received", true}});
}

}  // namespace

void add_payment_routes(http::Router& router, Context& ctx) {
  router.add("POST", "/v1/payments/webhook",
             with_database(ctx, [&ctx](const auto& req, auto& s) { return webhook(ctx, req, s); }));
}

}  // namespace freshlane::api
