// libFuzzer target: Neptune's status list body (parse_status_body), single-query status body
// (parse_query_status_body) and cancel reply (parse_cancel_reply), and the audit line built
// from whatever they let through.
// The input is the HTTP body as received.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "nw/core/audit_record.h"
#include "nw/io/status_json.h"

using namespace nw;

namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

void check_cancel(std::string_view body, Language language) {
  const Result<CancelAck> ack = parse_cancel_reply(body, language);
  if (ack) return;
  const Failure& f = ack.failure();
  FUZZ_CHECK(f.http_status == 200, "cancel failure without HTTP 200");
  if (f.kind == FailureKind::query_not_found) {
    FUZZ_CHECK(language == Language::sparql && blank(body), "query_not_found from a non-empty or non-SPARQL reply");
  } else {
    FUZZ_CHECK(f.kind == FailureKind::bad_response, "cancel failure of an unexpected kind");
    FUZZ_CHECK(!(language == Language::sparql && blank(body)), "empty SPARQL reply not query_not_found");
  }
  FUZZ_CHECK(!f.describe().empty(), "empty describe()");
}

// A single-query answer is only ever that query's status: the id asked for, sane clocks; and
// "ended" only from SPARQL's empty reply or a status list without the id.
void check_single_query(std::string_view body, const std::string& id, Language language) {
  const Result<QueryStatus> got = parse_query_status_body(body, id, language);
  if (got) {
    FUZZ_CHECK(got.value().id == id, "single-query answer about another id");
    FUZZ_CHECK(got.value().elapsed_ms >= 0 && got.value().waited_ms >= 0, "negative clock");
    return;
  }
  const Failure& f = got.failure();
  FUZZ_CHECK(f.kind == FailureKind::bad_response || f.kind == FailureKind::query_not_found,
             "single-query failure of an unexpected kind");
  if (f.kind == FailureKind::query_not_found && blank(body))
    FUZZ_CHECK(language == Language::sparql, "empty non-SPARQL reply taken for an ended query");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const Language language = size % 3 == 0 ? Language::opencypher : size % 3 == 1 ? Language::gremlin : Language::sparql;

  const Result<StatusSnapshot> parsed = parse_status_body(body, language);
  if (parsed) {
    const StatusSnapshot& s = parsed.value();
    FUZZ_CHECK(s.language == language, "snapshot language");
    FUZZ_CHECK(s.accepted_count >= 0, "negative acceptedQueryCount");
    FUZZ_CHECK(s.running_count >= 0, "negative runningQueryCount");
    FUZZ_CHECK(s.queries.size() + s.skipped_entries + s.malformed.size() <= size,
               "more entries than bytes");
    for (const MalformedEntry& m : s.malformed) {
      FUZZ_CHECK(!m.id.empty(), "malformed entry with an empty query id");
      FUZZ_CHECK(!m.why.empty(), "malformed entry without a reason");
    }
    for (const QueryStatus& q : s.queries) {
      FUZZ_CHECK(!q.id.empty(), "entry with an empty query id");
      FUZZ_CHECK(q.elapsed_ms >= 0, "negative elapsed");
      FUZZ_CHECK(q.waited_ms >= 0, "negative waited");
      AuditRecord r;
      r.endpoint = "fuzz";
      r.language = language;
      r.query_id = q.id;
      r.query = q.text;
      r.rule = q.id;
      r.elapsed_ms = q.elapsed_ms;
      r.waited_ms = q.waited_ms;
      r.reason = q.text;
      r.outcome = q.cancelled ? AuditOutcome::cancel_ineffective : AuditOutcome::cancelled;
      r.config_version = "0123456789ab";
      fuzz::check_audit_line(r);
    }
  } else {
    const Failure& f = parsed.failure();
    FUZZ_CHECK(f.kind == FailureKind::bad_response, "status failure of an unexpected kind");
    FUZZ_CHECK(f.http_status == 200, "status failure without HTTP 200");
    FUZZ_CHECK(f.message.rfind("status body: ", 0) == 0, "status failure message");
    // The failure message can carry wire bytes (Poco's parse error quotes them) into the audit.
    AuditRecord r;
    r.outcome = AuditOutcome::failed;
    r.error = f.describe();
    r.query = std::string(body);
    r.query_id = std::string(body.substr(0, 64));
    fuzz::check_audit_line(r);
  }

  check_cancel(body, Language::opencypher);
  check_cancel(body, Language::sparql);
  // The id of the first entry when the body is a list, so that answers about it are reached.
  const std::string id = parsed && !parsed.value().queries.empty() ? parsed.value().queries.front().id : "q";
  check_single_query(body, id, language);
  return 0;
}
