#pragma once
// Classification of Neptune's error answers (the Neptune user guide's engine error codes):
// by the body's `code` first, because ThrottlingException arrives as HTTP 500 and SDK
// models disagree with the wire about statuses; by HTTP status only when there is no code.
#include <string_view>

#include "nw/core/failure.h"

namespace nw {

// The `code` label of a failure in metrics: Neptune's code when it is one of Neptune's
// documented exceptions, "other" for any other code a server sent (a label copied from the
// wire would let a peer create series without bound), or the kind of failure when there is no
// code ("transport", "timeout", "http_503", ...).
std::string metric_code(const Failure& failure);

// Builds the Failure for an HTTP error answer. `code` and `message` come from the JSON error
// body when there was one (empty otherwise). An InvalidParameterException whose message says
// the id "is invalid" on a cancel means the query ended before the cancel arrived.
Failure classify_neptune_error(int http_status, std::string_view code, std::string_view message,
                               bool is_cancel);

// True for the failures worth another attempt: the throttling family (TooManyRequests 429,
// ClientTimeout 408, Throttling, ConcurrentModification, MemoryLimitExceeded,
// QueryLimitExceeded), and connection failures and timeouts. Everything else is final:
// argument errors and AccessDenied will not improve by asking again.
bool is_retryable(const Failure& failure);

// Neptune (or the AWS front end before it) rejected the request's credentials themselves:
// expired, unknown or badly signed (ExpiredToken[Exception], InvalidClientTokenId,
// UnrecognizedClientException, InvalidSignatureException, SignatureDoesNotMatch,
// IncompleteSignature, MissingAuthenticationToken, RequestExpired, or a 401/403 whose message
// says "expired"). New credentials may help: look them up again.
bool credentials_rejected(int http_status, std::string_view code, std::string_view message);

// The identity may not do this (AccessDeniedException, or a 403 that is not about the
// credentials): the same request will be refused again until an operator changes the IAM
// policy, whatever the credentials.
bool is_access_denied(const Failure& failure);

}  // namespace nw
