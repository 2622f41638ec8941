// libFuzzer target: Neptune's error body (parse_error_body) and the classification of the
// answer (classify_neptune_error, is_retryable), for a status poll and for a cancel, at the
// HTTP statuses Neptune uses. Mirrors NeptuneClient::error_from: the parsed code and message
// when the body is an error body, else no code and the body as the message.
//
// The input is the HTTP body. When it is not an error body it is also read as "CODE\nMESSAGE"
// so that arbitrary codes and messages reach the classifier directly.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "nw/core/audit_record.h"
#include "nw/core/neptune_error.h"
#include "nw/io/status_json.h"

using namespace nw;

namespace {

constexpr std::array<int, 10> kStatuses = {0, 200, 400, 403, 404, 408, 429, 500, 502, 503};

constexpr std::array<std::string_view, 6> kRetryableCodes = {
    "TooManyRequestsException",     "ClientTimeoutException",       "ThrottlingException",
    "ConcurrentModificationException", "MemoryLimitExceededException", "QueryLimitExceededException",
};

bool listed(std::string_view code) {
  for (auto c : kRetryableCodes)
    if (c == code) return true;
  return false;
}

void classify(int status, std::string_view code, std::string_view message) {
  const Failure poll = classify_neptune_error(status, code, message, false);
  const Failure cancel = classify_neptune_error(status, code, message, true);
  for (const Failure* f : {&poll, &cancel}) {
    FUZZ_CHECK(f->http_status == status, "http status not kept");
    FUZZ_CHECK(f->code == code, "code not kept");
    FUZZ_CHECK(f->message == message, "message not kept");
    FUZZ_CHECK(f->kind == FailureKind::neptune_error || f->kind == FailureKind::query_not_found,
               "unexpected failure kind");
  }
  // A status poll never concludes "query not found"; a cancel does only for Neptune's
  // InvalidParameterException "... queryId ... is invalid".
  FUZZ_CHECK(poll.kind == FailureKind::neptune_error, "poll classified query_not_found");
  const bool gone = code == "InvalidParameterException" && message.find("queryId") != std::string_view::npos &&
                    message.find("is invalid") != std::string_view::npos;
  FUZZ_CHECK((cancel.kind == FailureKind::query_not_found) == gone, "cancel query_not_found mismatch");

  // Retry: by the code when there is one, by the status only when there is none; a query that
  // is gone is never retried.
  const bool poll_retry = is_retryable(poll);
  const bool want = code.empty() ? (status == 429 || status == 408) : listed(code);
  FUZZ_CHECK(poll_retry == want, "is_retryable disagrees with the documented families");
  FUZZ_CHECK(is_retryable(cancel) == (gone ? false : poll_retry), "cancel retry differs from poll retry");

  const std::string line = cancel.describe();
  FUZZ_CHECK(line.find(message) != std::string::npos, "describe() lost the message");
  if (status != 0) FUZZ_CHECK(line.find("(HTTP " + std::to_string(status) + ")") != std::string::npos,
                              "describe() lost the HTTP status");
}

// The failure as the audit records it (a failed cancel): valid JSON whatever the body held.
void audit(std::string_view code, std::string_view message) {
  const Failure cancel = classify_neptune_error(500, code, message, true);
  AuditRecord r;
  r.outcome = AuditOutcome::failed;
  r.error = cancel.describe();
  r.reason = classify_neptune_error(429, code, message, false).describe();
  r.rule = std::string(code);
  fuzz::check_audit_line(r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (const auto e = parse_error_body(body)) {
    // Only a JSON object with a string `code` is an error body; its text is decoded JSON.
    FUZZ_CHECK(body.find('{') != std::string_view::npos, "error body without an object");
    FUZZ_CHECK(e->code.size() <= size && e->message.size() <= size && e->request_id.size() <= size,
               "decoded field longer than the body");
    for (int status : kStatuses) classify(status, e->code, e->message);
    audit(e->code, e->message);
  } else {
    for (int status : kStatuses) classify(status, "", body);
    audit("", body);
    const auto nl = body.find('\n');
    if (nl != std::string_view::npos) {
      for (int status : kStatuses) classify(status, body.substr(0, nl), body.substr(nl + 1));
      audit(body.substr(0, nl), body.substr(nl + 1));
    }
  }
  return 0;
}
