#include "nw/core/neptune_error.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

TEST(ClassifyNeptuneError, ByCodeFirstThenStatus) {
  struct Row {
    const char* name;
    int status;
    const char* code;
    const char* message;
    bool is_cancel;
    FailureKind kind;
    bool retryable;
  } rows[] = {
      {"throttling arrives as 500", 500, "ThrottlingException", "Rate exceeded", false,
       FailureKind::neptune_error, true},
      {"too many requests 429", 429, "TooManyRequestsException", "Too many requests", false,
       FailureKind::neptune_error, true},
      {"client timeout 408", 408, "ClientTimeoutException", "timed out", false,
       FailureKind::neptune_error, true},
      {"concurrent modification", 500, "ConcurrentModificationException", "conflict", false,
       FailureKind::neptune_error, true},
      {"memory limit", 500, "MemoryLimitExceededException", "no memory", false,
       FailureKind::neptune_error, true},
      {"query limit", 500, "QueryLimitExceededException", "busy", false, FailureKind::neptune_error,
       true},
      {"retryable on cancel too", 429, "TooManyRequestsException", "slow down", true,
       FailureKind::neptune_error, true},
      {"access denied", 403, "AccessDeniedException", "denied", false, FailureKind::neptune_error,
       false},
      {"invalid parameter", 400, "InvalidParameterException", "bad value", false,
       FailureKind::neptune_error, false},
      {"bad request", 400, "BadRequestException", "The request could not be completed.", false,
       FailureKind::neptune_error, false},
      {"malformed query", 400, "MalformedQueryException", "syntax", false,
       FailureKind::neptune_error, false},
      {"cancelled by user", 500, "CancelledByUserException",
       "Operation terminated (cancelled by user)", false, FailureKind::neptune_error, false},
      {"read only violation", 400, "ReadOnlyViolationException", "read-only", false,
       FailureKind::neptune_error, false},
      {"unknown code", 500, "SomethingNewException", "", false, FailureKind::neptune_error, false},
      {"code wins over retryable status", 429, "InvalidParameterException", "bad", false,
       FailureKind::neptune_error, false},
      {"code wins over 408", 408, "AccessDeniedException", "", false, FailureKind::neptune_error,
       false},
      {"code wins over final status", 400, "ThrottlingException", "", false,
       FailureKind::neptune_error, true},
      {"no code 429", 429, "", "", false, FailureKind::neptune_error, true},
      {"no code 408", 408, "", "", false, FailureKind::neptune_error, true},
      {"no code 500", 500, "", "", false, FailureKind::neptune_error, false},
      {"no code 503", 503, "", "Service Unavailable", false, FailureKind::neptune_error, false},
      {"no code 502", 502, "", "", false, FailureKind::neptune_error, false},
      {"no code 400", 400, "", "Invalid queryId (not a UUID): invalid-guid", true,
       FailureKind::neptune_error, false},
      {"no code 403", 403, "", "", false, FailureKind::neptune_error, false},
      {"ended query on cancel", 400, "InvalidParameterException",
       "Supplied queryId ac7d5a03-00cf-4280-b464-edbcbf51ffce is invalid", true,
       FailureKind::query_not_found, false},
      {"gremlin ended query on cancel", 400, "InvalidParameterException",
       "Supplied queryId some-guid-here is invalid", true, FailureKind::query_not_found, false},
      {"ended query on status request", 400, "InvalidParameterException",
       "Supplied queryId ac7d5a03-00cf-4280-b464-edbcbf51ffce is invalid", false,
       FailureKind::neptune_error, false},
      {"other invalid parameter on cancel", 400, "InvalidParameterException",
       "Invalid value for parameter silent", true, FailureKind::neptune_error, false},
      {"is invalid with another code", 400, "BadRequestException", "Supplied queryId x is invalid",
       true, FailureKind::neptune_error, false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Failure f = classify_neptune_error(row.status, row.code, row.message, row.is_cancel);
    EXPECT_EQ(f.kind, row.kind);
    EXPECT_EQ(f.http_status, row.status);
    EXPECT_EQ(f.code, row.code);
    EXPECT_EQ(f.message, row.message);
    EXPECT_EQ(is_retryable(f), row.retryable);
  }
}

TEST(IsRetryable, ByFailureKind) {
  struct Row {
    const char* name;
    Failure failure;
    bool retryable;
  } rows[] = {
      {"transport", {FailureKind::transport, 0, "", "Connection refused"}, true},
      {"timeout", {FailureKind::timeout, 0, "", "no answer within 10s"}, true},
      {"bad response", {FailureKind::bad_response, 200, "", "status body: truncated"}, false},
      {"bad response with retryable code",
       {FailureKind::bad_response, 429, "TooManyRequestsException", ""},
       false},
      {"query not found",
       {FailureKind::query_not_found, 400, "InvalidParameterException", "is invalid"},
       false},
      {"aborted", {FailureKind::aborted, 429, "TooManyRequestsException", "shutdown"}, false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(is_retryable(row.failure), row.retryable);
  }
}

TEST(FailureDescribe, OneLine) {
  struct Row {
    const char* name;
    Failure failure;
    const char* text;
  } rows[] = {
      {"neptune error",
       {FailureKind::neptune_error, 429, "TooManyRequestsException", "Too many requests"},
       "TooManyRequestsException (HTTP 429): Too many requests"},
      {"neptune error without code", {FailureKind::neptune_error, 503, "", ""}, "error (HTTP 503)"},
      {"neptune error without code with text",
       {FailureKind::neptune_error, 400, "", "Invalid queryId (not a UUID): invalid-guid"},
       "error (HTTP 400): Invalid queryId (not a UUID): invalid-guid"},
      {"code without message",
       {FailureKind::neptune_error, 500, "ThrottlingException", ""},
       "ThrottlingException (HTTP 500)"},
      {"query not found",
       {FailureKind::query_not_found, 400, "InvalidParameterException",
        "Supplied queryId a is invalid"},
       "InvalidParameterException (HTTP 400): Supplied queryId a is invalid"},
      {"transport",
       {FailureKind::transport, 0, "", "Connection refused"},
       "transport error: Connection refused"},
      {"transport bare", {FailureKind::transport, 0, "", ""}, "transport error"},
      {"timeout", {FailureKind::timeout, 0, "", ""}, "timeout"},
      {"timeout with text",
       {FailureKind::timeout, 0, "", "no answer within 10s"},
       "timeout: no answer within 10s"},
      {"bad response",
       {FailureKind::bad_response, 200, "", "status body: not a JSON object"},
       "bad response (HTTP 200): status body: not a JSON object"},
      {"aborted", {FailureKind::aborted, 0, "", "shutdown"}, "aborted: shutdown"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(row.failure.describe(), row.text);
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// The code label comes from a bounded set: a peer that invents codes gets one "other" series.
TEST(MetricCode, OnlyNeptunesDocumentedCodesBecomeLabels) {
  EXPECT_EQ(metric_code(Failure{FailureKind::neptune_error, 429, "TooManyRequestsException", ""}),
            "TooManyRequestsException");
  EXPECT_EQ(metric_code(Failure{FailureKind::neptune_error, 400, "Made\x1bUp\rException", ""}),
            "other");
  EXPECT_EQ(metric_code(Failure{FailureKind::neptune_error, 400, "RandomCode42", ""}), "other");
  EXPECT_EQ(metric_code(Failure{FailureKind::neptune_error, 503, "", ""}), "http_503");
  EXPECT_EQ(metric_code(Failure{FailureKind::neptune_error, 999, "", ""}), "http_other");
  EXPECT_EQ(metric_code(Failure{FailureKind::timeout, 0, "", ""}), "timeout");
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// New credentials help only when the credentials themselves were the problem.
TEST(CredentialsRejected, ExpiredOrInvalidCredentialsButNotAMissingPermission) {
  struct Row {
    int status;
    const char* code;
    const char* message;
    bool rejected;
    bool denied;
  } rows[] = {
      {403, "ExpiredTokenException", "The security token included in the request is expired", true,
       false},
      {403, "AccessDeniedException", "Signature expired: 20240501T120000Z is now earlier than ...",
       true, false},
      {403, "InvalidSignatureException", "The request signature we calculated does not match", true,
       false},
      {403, "UnrecognizedClientException", "The security token included in the request is invalid",
       true, false},
      {403, "MissingAuthenticationToken", "Missing Authentication Token", true, false},
      {403, "AccessDeniedException",
       "User: arn:aws:sts::1:assumed-role/w is not authorized to perform: "
       "neptune-db:CancelQuery",
       false, true},
      {403, "", "Forbidden", false, true},
      {400, "InvalidParameterException", "Supplied queryId q1 is invalid", false, false},
      {500, "", "token EXPIRED somewhere", false, false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.code) + " " + row.message);
    EXPECT_EQ(credentials_rejected(row.status, row.code, row.message), row.rejected);
    EXPECT_EQ(is_access_denied(classify_neptune_error(row.status, row.code, row.message, true)),
              row.denied);
  }
  EXPECT_FALSE(is_access_denied(Failure{FailureKind::transport, 403, "", "x"}));
}

}  // namespace
}  // namespace nw
