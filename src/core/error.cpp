#include "freshlane/core/error.hpp"

namespace freshlane::core {

const ErrorInfo& error_info(ErrorKind kind) {
  static const ErrorInfo kValidation{400, "validation_failed", "The request is not valid"};
  static const ErrorInfo kMalformed{400, "malformed_json", "The body is not valid JSON"};
  static const ErrorInfo kUnauth{401, "unauthorized", "Authentication is required"};
  static const ErrorInfo kForbid{403, "forbidden", "This role may not do this"};
  static const ErrorInfo kNotFound{404, "not_found", "No such resource"};
  static const ErrorInfo kMethod{405, "method_not_allowed", "Method not allowed on this path"};
  static const ErrorInfo kConflictInfo{409, "conflict", "The resource already exists"};
  static const ErrorInfo kTooLarge{413, "payload_too_large", "The body is too large"};
  static const ErrorInfo kHeaders{431, "request_header_fields_too_large",
                                  "The request headers are too large"};
  static const ErrorInfo kBad{400, "bad_request", "The request could not be read"};
  static const ErrorInfo kInvalidCodeInfo{400, "invalid_code", "This is not a freshlane code"};
  static const ErrorInfo kUnknownCodeInfo{404, "unknown_code", "This code is not one of ours"};
  static const ErrorInfo kUnknownSkuInfo{422, "unknown_sku", "The SKU is not sold in this store"};
  static const ErrorInfo kRate{429, "rate_limited", "Too many requests"};
  static const ErrorInfo kUnavail{503, "unavailable", "The service is unavailable"};
  static const ErrorInfo kInternalInfo{500, "internal", "Internal server error"};
  switch (kind) {
    case ErrorKind::kValidationFailed:
      return kValidation;
    case ErrorKind::kMalformedJson:
      return kMalformed;
    case ErrorKind::kUnauthorized:
      return kUnauth;
    case ErrorKind::kForbidden:
      return kForbid;
    case ErrorKind::kNotFound:
      return kNotFound;
    case ErrorKind::kMethodNotAllowed:
      return kMethod;
    case ErrorKind::kConflict:
      return kConflictInfo;
    case ErrorKind::kPayloadTooLarge:
      return kTooLarge;
    case ErrorKind::kHeadersTooLarge:
      return kHeaders;
    case ErrorKind::kBadRequest:
      return kBad;
    case ErrorKind::kInvalidCode:
      return kInvalidCodeInfo;
    case ErrorKind::kUnknownCode:
      return kUnknownCodeInfo;
    case ErrorKind::kUnknownSku:
      return kUnknownSkuInfo;
    case ErrorKind::kRateLimited:
      return kRate;
    case ErrorKind::kUnavailable:
      return kUnavail;
    case ErrorKind::kInternal:
      return kInternalInfo;
  }
  return kInternalInfo;
}

}  // namespace freshlane::core
