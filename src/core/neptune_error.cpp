#include "nw/core/neptune_error.h"

#include <array>

namespace nw {
namespace {

constexpr std::array<std::string_view, 6> kRetryableCodes = {
    "TooManyRequestsException",     "ClientTimeoutException",
    "ThrottlingException",          "ConcurrentModificationException",
    "MemoryLimitExceededException", "QueryLimitExceededException",
};

bool retryable_code(std::string_view code) {
  for (auto c : kRetryableCodes)
    if (c == code) return true;
  return false;
}

// Neptune's documented exceptions (engine errors, the neptunedata API's error shapes).
constexpr std::array<std::string_view, 33> kKnownCodes = {
    "AccessDeniedException",
    "BadRequestException",
    "BulkLoadIdNotFoundException",
    "CancelledByUserException",
    "ClientTimeoutException",
    "ConcurrentModificationException",
    "ConstraintViolationException",
    "ExpiredStreamException",
    "FailureByQueryException",
    "IllegalArgumentException",
    "InternalFailureException",
    "InvalidArgumentException",
    "InvalidNumericDataException",
    "InvalidParameterException",
    "LoadUrlAccessDeniedException",
    "MLResourceNotFoundException",
    "MalformedQueryException",
    "MemoryLimitExceededException",
    "MethodNotAllowedException",
    "MissingParameterException",
    "ParsingException",
    "PreconditionsFailedException",
    "QueryLimitExceededException",
    "QueryLimitException",
    "QueryTooLargeException",
    "ReadOnlyViolationException",
    "ServerShutdownException",
    "StatisticsNotAvailableException",
    "StreamRecordsNotFoundException",
    "ThrottlingException",
    "TimeLimitExceededException",
    "TooManyRequestsException",
    "UnsupportedOperationException",
};

}  // namespace

std::string metric_code(const Failure& f) {
  if (!f.code.empty()) {
    for (auto known : kKnownCodes)
      if (known == f.code) return f.code;
    return "other";
  }
  switch (f.kind) {
    case FailureKind::transport:
      return "transport";
    case FailureKind::timeout:
      return "timeout";
    case FailureKind::bad_response:
      return "bad_response";
    // A status outside 100-599 is no status: one label, not one per number a peer can send.
    case FailureKind::neptune_error:
      return f.http_status >= 100 && f.http_status <= 599 ? "http_" + std::to_string(f.http_status)
                                                          : "http_other";
    case FailureKind::query_not_found:
      return "not_found";
    case FailureKind::aborted:
      return "aborted";
    case FailureKind::credentials:
      return "credentials";
    case FailureKind::tls:
      return "tls";
    case FailureKind::service_error:
      return "service_error";
  }
  return "other";
}

std::string Failure::describe() const {
  std::string out;
  switch (kind) {
    case FailureKind::transport:
      out = "transport error";
      break;
    case FailureKind::timeout:
      out = "timeout";
      break;
    case FailureKind::bad_response:
      out = "bad response";
      break;
    case FailureKind::aborted:
      out = "aborted";
      break;
    case FailureKind::credentials:
      out = "credentials";
      break;
    case FailureKind::tls:
      out = "TLS";
      break;
    case FailureKind::service_error:
    case FailureKind::neptune_error:
    case FailureKind::query_not_found:
      out = code.empty() ? "error" : code;
      break;
  }
  if (http_status != 0) out += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) out += ": " + message;
  return out;
}

Failure classify_neptune_error(int http_status, std::string_view code, std::string_view message,
                               bool is_cancel) {
  Failure f{FailureKind::neptune_error, http_status, std::string(code), std::string(message)};
  // "Supplied queryId <id> is invalid": the id is unknown because the query already ended.
  if (is_cancel && code == "InvalidParameterException" &&
      message.find("queryId") != std::string_view::npos &&
      message.find("is invalid") != std::string_view::npos) {
    f.kind = FailureKind::query_not_found;
  }
  return f;
}

bool credentials_rejected(int http_status, std::string_view code, std::string_view message) {
  static constexpr std::array<std::string_view, 10> kRejected = {
      "ExpiredTokenException",
      "ExpiredToken",
      "InvalidClientTokenId",
      "UnrecognizedClientException",
      "InvalidSignatureException",
      "SignatureDoesNotMatch",
      "IncompleteSignature",
      "MissingAuthenticationToken",
      "RequestExpired",
      "InvalidTokenException",
  };
  for (auto c : kRejected)
    if (c == code) return true;
  if (http_status != 401 && http_status != 403) return false;
  // "Signature expired: ...", "The security token included in the request is expired".
  for (std::size_t i = 0; i + 7 <= message.size(); ++i) {
    std::string_view word = message.substr(i, 7);
    bool match = true;
    for (std::size_t k = 0; k < 7 && match; ++k) match = (word[k] | 0x20) == "expired"[k];
    if (match) return true;
  }
  return false;
}

bool is_access_denied(const Failure& failure) {
  if (failure.kind != FailureKind::neptune_error) return false;
  if (credentials_rejected(failure.http_status, failure.code, failure.message)) return false;
  return failure.code == "AccessDeniedException" ||
         (failure.code.empty() && failure.http_status == 403);
}

bool is_retryable(const Failure& failure) {
  switch (failure.kind) {
    case FailureKind::transport:
    case FailureKind::timeout:
      return true;
    case FailureKind::neptune_error:
      if (!failure.code.empty()) return retryable_code(failure.code);
      return failure.http_status == 429 || failure.http_status == 408;
    case FailureKind::bad_response:
    case FailureKind::query_not_found:
    case FailureKind::aborted:
    case FailureKind::credentials:
    case FailureKind::service_error:
    case FailureKind::tls:
      return false;
  }
  return false;
}

}  // namespace nw
