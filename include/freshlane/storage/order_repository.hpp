#pragma once
// Orders: creation with atomic FEFO reservation under an idempotency key, reads, cancel,
// expiry and payments.
//
// Lock order: a store's admission (delivery orders being placed; nothing else takes it), a
// store's floor row, then order rows, then the customer's row (their count of
// unpaid orders and the units and value held in them, given back by a trigger when an order
// leaves pending_payment), then lots (sorted by
// (sku, expires_at, lot_id) where several are locked at once; a new order's statement takes its
// few lots in the order it finds them). What still deadlocks is undone and run again. Every
// method runs in the session's open transaction when its caller opened one (a floor unit:
// payments and cancellations of orders with pick tasks).
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "freshlane/orders/order.hpp"
#include "freshlane/orders/reservation.hpp"
#include "freshlane/storage/pool.hpp"

namespace freshlane::storage {

struct OrderRequest {
  std::string customer_id;
  catalog::Store store;
  orders::Fulfillment fulfillment = orders::Fulfillment::kDelivery;
  std::vector<std::pair<std::string, std::int64_t>> lines;  // one per SKU, in request order
  std::optional<orders::Delivery> delivery;
  core::Timestamp now;
  std::chrono::seconds payment_window{900};
  int max_pending_orders = 3;
  // What the customer may hold in unpaid orders, this one included (all stores together).
  long long max_held_units = 200;
  long long max_held_value_minor = 500000;
  std::set<std::string> in_grams;  // SKUs whose line counts grams (goods sold by weight)
};

struct UnknownSkus {
  std::vector<std::string> skus;
};
struct TooManyPendingOrders {
  int pending = 0;
};
// The order would take the customer past what they may hold in unpaid orders.
struct HoldLimitExceeded {
  long long held_units = 0, held_value_minor = 0;    // in their unpaid orders now
  long long order_units = 0, order_value_minor = 0;  // this order's
};
// Lines counting pieces of goods sold by weight (`by_weight`: order them in grams), or grams of
// goods sold each (`each`).
struct WrongMeasure {
  std::vector<std::string> by_weight, each;
};
using CreateOrderOutcome = std::variant<orders::Order, std::vector<orders::Shortage>, UnknownSkus,
                                        TooManyPendingOrders, HoldLimitExceeded, WrongMeasure>;

// An Idempotency-Key, scoped to its customer, with the hash of the request's canonical body.
struct IdempotencyKey {
  std::string key;
  std::string request_hash;
};
// The answer kept under a key and given again to every retry.
struct StoredAnswer {
  int status = 0;
  std::string body;
};
struct KeyInUse {};     // a request with this key is running now
struct KeyReused {};    // the key was first used with another body
struct NotAdmitted {};  // the admission check refused (nothing kept under the key)
struct Placed {
  CreateOrderOutcome outcome;
  std::optional<StoredAnswer> answer;  // kept under the key (none: not final, e.g. 429, 422
                                       // hold_limit_exceeded)
};
struct Replayed {
  StoredAnswer answer;
};
using PlaceOutcome = std::variant<Placed, Replayed, KeyInUse, KeyReused, NotAdmitted>;

struct PlaceSteps {
  // When set (delivery orders): runs once the key is known to have no answer, inside the
  // transaction that then writes the order, after the store's admission lock is taken, so
  // admissions of one store run one at a time in every process and each sees every order
  // admitted before it. False refuses for now (a busy store), keeping nothing. Unset, the
  // order is written by its one statement, with no lock and no transaction of its own.
  std::function<bool()> admit;
  // The answer to keep under the key for an outcome; nullopt when the outcome is not final
  // (too many unpaid orders, too much held in them: the same request may succeed once one is
  // paid or cancelled), so nothing is kept.
  std::function<std::optional<StoredAnswer>(const CreateOrderOutcome&)> answer;
};

struct OrderNotFound {};
struct InvalidTransition {
  orders::Status from;
};
using CancelOutcome = std::variant<orders::Order, OrderNotFound, InvalidTransition>;
// Hand-over codes are checked by DeliveryRepository (the door and the counter).
struct WrongHandoverCode {
  int attempts_left = 0;  // wrong codes the same person may still offer for the order
};

struct PaymentEvent {
  std::string event_id;
  std::string order_id;
  bool succeeded = false;
  std::int64_t amount_minor = 0;
};
enum class PaymentOutcome {
  kApplied,    // the order moved (paid / completed) or the failure was recorded
  kDuplicate,  // this event_id was processed before: nothing changes
  kUnknownOrder,
  kAmountMismatch,     // nothing changes
  kRecordedForRefund,  // money for an order that can no longer use it (expired, cancelled, paid)
};

// Where a page of a customer's orders ends: (created_at, order_id), newest first. Its text form
// travels inside the API's opaque cursor; only this repository reads or writes it.
struct OrderPosition {
  long long created_epoch = 0;
  std::string order_id;
};
std::optional<OrderPosition> parse_order_position(const std::string& text);

// Who placed an order, for the staff who serve them.
struct Contact {
  std::string name;
  std::string phone;
};

struct OrderPage {
  std::vector<orders::Order> orders;
  std::optional<std::string> next;  // text form of the next OrderPosition
  std::vector<Contact> contacts;    // list_for_store: beside each order
};

// Staff looking for a store's orders: by status and fulfillment (empty: any), and when `text`
// is given, orders whose id is it, whose customer's phone ends with its digits (4 or more), or
// whose id is among `ids` (orders whose hand-over code it is). Newest first, or oldest first.
struct StoreOrderQuery {
  std::string store_id;
  std::string status;
  std::string fulfillment;
  std::string text;
  std::vector<std::string> ids;
  bool oldest_first = false;
  std::optional<OrderPosition> after;
  int limit = 50;
};

class OrderRepository {
 public:
  explicit OrderRepository(Session& session) : session_(session) {}

  // Places the order in one transaction with its idempotency key: a key already answered is
  // replayed (or refused when the body differs), a key in use by a running twin is refused,
  // and otherwise the order (or a final refusal) and its answer commit together.
  PlaceOutcome place(const OrderRequest& request, const IdempotencyKey& key,
                     const PlaceSteps& steps);
  std::optional<orders::Order> find(const std::string& order_id);
  // Newest first, after `after` when given.
  OrderPage list_for_customer(const std::string& customer_id,
                              const std::optional<OrderPosition>& after, int limit);
  OrderPage list_for_store(const StoreOrderQuery& q);
  // The receipt's exit check of an order of `store_id`: true the first time only.
  bool check_exit(const std::string& store_id, const std::string& order_id);
  // The store's orders a code may be offered for (ready for pickup, packed, out for delivery).
  std::vector<std::string> awaiting_handover(const std::string& store_id);
  // Only `customer_id`'s own order; releases its stock.
  CancelOutcome cancel(const std::string& order_id, const std::string& customer_id);
  // A store's manager cancels for the customer (the same rule as the customer's own cancel);
  // who and why are kept on the order.
  CancelOutcome cancel_for_customer(const std::string& order_id, const std::string& staff_id,
                                    const std::string& reason);
  // Expires unpaid orders whose payment window closed at `now`, releasing their stock.
  int expire_due(core::Timestamp now, int limit = 200);
  // Records the provider's event; a succeeded one moves the order to paid (delivery and
  // pickup: the caller's floor unit then splits it into pick tasks) or completed (in_store).
  PaymentOutcome apply_payment(const PaymentEvent& event, core::Timestamp now);
  // The same for every event that does not move the order to paid or completed (a failure, a
  // twin, a wrong amount, money for an order that can no longer use it), under the order's lock
  // alone; nullopt, with nothing written, for the one that does: that one is applied with
  // apply_payment in the floor's unit (floor row first, then the order's).
  std::optional<PaymentOutcome> apply_payment_unless_it_pays(const PaymentEvent& event,
                                                             core::Timestamp now);
  // The store and fulfillment of an order (they never change), without locking it.
  std::optional<std::pair<std::string, orders::Fulfillment>> store_of(const std::string& order_id);

 private:
  Session& session_;
};

}  // namespace freshlane::storage
