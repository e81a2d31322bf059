#include "freshlane/core/error.hpp"

#include <array>

namespace freshlane::core {

namespace {
struct Entry {
  ErrorKind kind;
  ErrorInfo info;
};

// The one mapping of error kinds to HTTP status, stable code and title, in enum order.
constexpr std::array kTable{
    Entry{ErrorKind::kValidationFailed, {400, "validation_failed", "The request is not valid"}},
    Entry{ErrorKind::kMalformedJson, {400, "malformed_json", "The body is not valid JSON"}},
    Entry{ErrorKind::kUnauthorized, {401, "unauthorized", "Authentication is required"}},
    Entry{ErrorKind::kForbidden, {403, "forbidden", "This role may not do this"}},
    Entry{ErrorKind::kNotFound, {404, "not_found", "No such resource"}},
    Entry{ErrorKind::kMethodNotAllowed,
          {405, "method_not_allowed", "Method not allowed on this path"}},
    Entry{ErrorKind::kConflict,
          {409, "conflict", "The request conflicts with what exists or just changed"}},
    Entry{ErrorKind::kPayloadTooLarge, {413, "payload_too_large", "The body is too large"}},
    Entry{ErrorKind::kHeadersTooLarge,
          {431, "request_header_fields_too_large", "The request headers are too large"}},
    Entry{ErrorKind::kBadRequest, {400, "bad_request", "The request could not be read"}},
    Entry{ErrorKind::kInvalidCode, {400, "invalid_code", "This is not a freshlane code"}},
    Entry{ErrorKind::kUnknownCode, {404, "unknown_code", "This code is not one of ours"}},
    Entry{ErrorKind::kUnknownSku, {422, "unknown_sku", "The SKU is not sold in this store"}},
    Entry{ErrorKind::kIdempotencyKeyRequired,
          {400, "idempotency_key_required", "An Idempotency-Key header is required"}},
    Entry{ErrorKind::kIdempotencyKeyReused,
          {422, "idempotency_key_reused", "This Idempotency-Key was used with another body"}},
    Entry{ErrorKind::kRequestInProgress,
          {409, "request_in_progress", "A request with this Idempotency-Key is still running"}},
    Entry{ErrorKind::kOutOfStock, {409, "out_of_stock", "Not enough stock"}},
    Entry{ErrorKind::kOutOfDeliveryRange,
          {422, "out_of_delivery_range", "Outside the delivery range"}},
    Entry{ErrorKind::kTooManyPendingOrders,
          {429, "too_many_pending_orders", "Too many unpaid orders", 1}},
    Entry{ErrorKind::kInvalidTransition, {409, "invalid_transition", "Not allowed in this status"}},
    Entry{ErrorKind::kInvalidSignature, {400, "invalid_signature", "The signature is not valid"}},
    Entry{ErrorKind::kAmountMismatch,
          {422, "amount_mismatch", "The amount differs from the order's"}},
    Entry{ErrorKind::kUnknownZone, {422, "unknown_zone", "The zone is not in this store's layout"}},
    Entry{ErrorKind::kNotClockedIn, {409, "not_clocked_in", "Clock in to a zone first"}},
    Entry{ErrorKind::kPickerBusy,
          {409, "picker_busy", "Finish or hand back the tasks you hold first"}},
    Entry{ErrorKind::kNotYourTask, {403, "not_your_task", "This task is not yours"}},
    Entry{ErrorKind::kTaskClosed, {409, "task_closed", "This task is already finished"}},
    Entry{ErrorKind::kWrongItem, {422, "wrong_item", "This item is not in the task"}},
    Entry{ErrorKind::kExceedsLine, {422, "exceeds_line", "More than the line still needs"}},
    Entry{ErrorKind::kTaskIncomplete,
          {409, "task_incomplete", "Items are left to pick or report short"}},
    Entry{ErrorKind::kNotReadyToPack,
          {409, "not_ready_to_pack", "Bags of this order are still on their way"}},
    Entry{ErrorKind::kWrongHandoverCode, {422, "wrong_code", "The hand-over code does not match"}},
    Entry{ErrorKind::kLayoutInUse,
          {409, "layout_in_use", "The change would strand bags, tasks, pickers or listings"}},
    Entry{ErrorKind::kStoreBusy,
          {409, "store_busy", "The store cannot keep its delivery promise right now", 60}},
    Entry{ErrorKind::kNotOnShift, {409, "not_on_shift", "Clock in first"}},
    Entry{ErrorKind::kNotYourTrip, {403, "not_your_trip", "This order is not on your trip"}},
    Entry{ErrorKind::kTripInProgress, {409, "trip_in_progress", "Bags are still out on your trip"}},
    Entry{ErrorKind::kCodeLocked,
          {423, "code_locked", "Too many wrong codes for this order; a manager must unlock it"}},
    Entry{ErrorKind::kHoldLimitExceeded,
          {422, "hold_limit_exceeded", "Too much is held in unpaid orders"}},
    Entry{ErrorKind::kDeliveryPaused,
          {409, "delivery_paused", "The store has paused delivery; order for pickup instead"}},
    Entry{ErrorKind::kLotUnusable,
          {409, "lot_unusable", "This lot is expired, recalled or used up: take another"}},
    Entry{ErrorKind::kPriceWouldRise,
          {409, "price_would_rise", "A lot's price only falls until it is sold or written off"}},
    Entry{ErrorKind::kDeactivated, {409, "deactivated", "This account has been deactivated"}},
    Entry{ErrorKind::kUnsupportedMediaType,
          {415, "unsupported_media_type", "The body must be application/json"}},
    Entry{ErrorKind::kNotImplemented,
          {501, "not_implemented", "The request uses something this server does not implement"}},
    Entry{ErrorKind::kRateLimited, {429, "rate_limited", "Too many requests", 1}},
    Entry{ErrorKind::kUnavailable, {503, "unavailable", "The service is unavailable", 1}},
    Entry{ErrorKind::kInternal, {500, "internal", "Internal server error"}},
};

constexpr bool table_in_enum_order() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].kind) != i) return false;
  }
  return kTable.size() == static_cast<size_t>(ErrorKind::kInternal) + 1;
}
static_assert(table_in_enum_order(), "kTable must list every ErrorKind in enum order");
}  // namespace

const ErrorInfo& error_info(ErrorKind kind) { return kTable[static_cast<size_t>(kind)].info; }

}  // namespace freshlane::core
