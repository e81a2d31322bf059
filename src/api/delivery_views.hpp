#pragma once
// Private to api/: delivery on the wire — quotes, trips, couriers, the dispatch board, tracking,
// and the customer's code at the door and the counter.
#include <nlohmann/json.hpp>

#include <optional>
#include <variant>

#include "auth.hpp"
#include "freshlane/api/context.hpp"
#include "freshlane/dispatch/eta.hpp"
#include "freshlane/http/message.hpp"
#include "freshlane/storage/delivery_repository.hpp"
#include "freshlane/store/promise.hpp"

namespace freshlane::api {

// Why the store cannot deliver there now, for people ("" when it can).
std::string quote_detail(const catalog::Store& store, const dispatch::Quote& q);
nlohmann::json to_json(const catalog::Store& store, const dispatch::Quote& q);
// A trip; its live stops' ETAs re-timed at `now` from the courier's real state.
nlohmann::json to_json(const storage::TripRecord& t, core::Timestamp now);
nlohmann::json to_json(const storage::CourierOnShift& c, core::Timestamp now);
// The board: packed orders waiting for a courier, the orders still coming (paid, picking, bags
// riding back, held for a later redelivery), each with its live ETA from `etas`, the live trips
// (stops re-timed) and the couriers.
nlohmann::json dispatch_board(const storage::DispatchInput& in,
                              const std::vector<store::LiveEta>& etas,
                              const std::vector<storage::TripRecord>& trips, core::Timestamp now);

// The seven steps from payment to the door, each with the time it was reached (null before).
// A step counts only when reached at or after the one before it, so a failed delivery's
// courier and pick-up do not show after it failed.
nlohmann::json timeline(const orders::Order& o, const storage::TrackingRecord& t);
// Tracking: the timeline, failed attempts (and when their bags were back at the store), promise
// and estimate, the redelivery chosen, and the courier (name and last position) only while the
// order is out for delivery.
// `late`: the order will miss (or missed) its promise, as estimated now.
nlohmann::json tracking_view(const orders::Order& o, const storage::TrackingRecord& t,
                             const std::optional<core::Timestamp>& estimated_at, bool late);

// Hand-over codes. An order as its customer sees it: with the code they show at the door or the
// counter, derived again on every read (it is never stored).
nlohmann::json customer_view(const Context& ctx, orders::Order o);
// The same for an order's 201 answer kept under its idempotency key (kept without the code).
std::string with_handover_code(const Context& ctx, const std::string& order_body);
// The code `who` (a courier or staff member) typed, as offered for an order.
storage::CodeOffer code_offer(const Context& ctx, const Principal& who, std::string code);
// A code that opened nothing: a warning in the log (order, who, store; never the code), the
// refusal counted in freshlane_handover_code_failures_total{kind} (and a lock-out in
// freshlane_handover_code_locks_total), and the answer: 422 wrong_code with attempts_left, or
// 423 code_locked.
http::Response refused_code(Context& ctx, storage::CodeKind kind, const std::string& order_id,
                            const Principal& who, const storage::WrongHandoverCode& wrong);
http::Response refused_code(Context& ctx, storage::CodeKind kind, const std::string& order_id,
                            const Principal& who, const storage::CodeLocked& locked);
// The refusal when a hand-over's `outcome` is a wrong or locked code; nothing otherwise.
template <typename Outcome>
std::optional<http::Response> code_refusal(Context& ctx, storage::CodeKind kind,
                                           const std::string& order_id, const Principal& who,
                                           const Outcome& outcome) {
  if (const auto* wrong = std::get_if<storage::WrongHandoverCode>(&outcome)) {
    return refused_code(ctx, kind, order_id, who, *wrong);
  }
  if (const auto* locked = std::get_if<storage::CodeLocked>(&outcome)) {
    return refused_code(ctx, kind, order_id, who, *locked);
  }
  return std::nullopt;
}
// Registers those counters with ctx.metrics (once, with the routes).
void add_handover_code_metrics(Context& ctx);

}  // namespace freshlane::api
