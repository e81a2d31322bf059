#pragma once
// Error kinds that end a request, and the one table that maps each kind to an HTTP status,
// a stable `code` clients switch on, and a title. Expected outcomes ("beyond 3 km", "no stock")
// are return values in the domain; the API turns them into these errors at the edge.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace freshlane::core {

enum class ErrorKind {
  kValidationFailed,
  kMalformedJson,
  kUnauthorized,
  kForbidden,
  kNotFound,
  kMethodNotAllowed,
  kConflict,
  kPayloadTooLarge,
  kHeadersTooLarge,
  kBadRequest,
  kInvalidCode,
  kUnknownCode,
  kUnknownSku,
  kIdempotencyKeyRequired,
  kIdempotencyKeyReused,
  kRequestInProgress,
  kOutOfStock,
  kOutOfDeliveryRange,
  kTooManyPendingOrders,
  kInvalidTransition,
  kInvalidSignature,
  kAmountMismatch,
  kUnknownZone,
  kNotClockedIn,
  kPickerBusy,
  kNotYourTask,
  kTaskClosed,
  kWrongItem,
  kExceedsLine,
  kTaskIncomplete,
  kNotReadyToPack,
  kWrongHandoverCode,
  kLayoutInUse,
  kStoreBusy,
  kNotOnShift,
  kNotYourTrip,
  kTripInProgress,
  kCodeLocked,
  kHoldLimitExceeded,
  kDeliveryPaused,
  kLotUnusable,
  kPriceWouldRise,
  kDeactivated,
  kUnsupportedMediaType,
  kNotImplemented,
  kRateLimited,
  kUnavailable,
  kInternal,
};

struct ErrorInfo {
  int status;
  std::string_view code;
  std::string_view title;
  int retry_after_seconds = 0;  // > 0: the answer carries Retry-After (overload, try later)
};

// The single mapping of error kinds to HTTP status, code and title.
const ErrorInfo& error_info(ErrorKind kind);

// One invalid member of a request body or query: `field` is a JSON path like `lines[0].quantity`.
struct FieldError {
  std::string field;
  std::string message;
  bool operator==(const FieldError&) const = default;
};

// Thrown for outcomes that end a request. `detail` is for humans; `field_errors` only for
// kValidationFailed.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string detail, std::vector<FieldError> field_errors = {})
      : std::runtime_error(detail),
        kind_(kind),
        detail_(std::move(detail)),
        field_errors_(std::move(field_errors)) {}

  ErrorKind kind() const { return kind_; }
  const std::string& detail() const { return detail_; }
  const std::vector<FieldError>& field_errors() const { return field_errors_; }

 private:
  ErrorKind kind_;
  std::string detail_;
  std::vector<FieldError> field_errors_;
};

}  // namespace freshlane::core
