#pragma once
// One audit record per decision: the operator's proof of what the watchdog did and why.
// Field names are a contract (README.md "Audit log"); keep them exactly.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nw/core/policy.h"
#include "nw/core/query_status.h"

namespace nw {

enum class AuditOutcome {
  // Write-ahead: the decision to cancel, written and flushed before the cancel is sent (no
  // cancel goes out unless this record was written). Its outcome record repeats its record_id.
  sending,
  cancelled,
  dry_run,
  logged,
  not_found,           // the query ended before the cancel arrived
  failed,              // with `error`
  budget_exhausted,    // a cancel the budget did not allow: not sent
  cancel_ineffective,  // a poll after a successful cancel still shows the query running
  given_up,            // still listed after its retried cancel: left to the operator
  paused,              // a cancel an operator's pause (`pause`, the sentinel file) held back
  // (kAuditOutcomes in nw/core/audit_digest.h counts these values)
};

// Whether the daemon runs as a service or for one cycle (--once); in every record.
enum class RunMode { service, once };
std::string_view to_string(RunMode mode);

std::string_view to_string(AuditOutcome outcome);

// What a record is about: a decision on a query (the fields below), or a change of a
// discovered cluster's topology (`"event": "topology"`: time, cluster, instance, endpoint,
// change, detail, config_version, mode), which shares the file so that one trail tells
// what was watched when. With replicas (docs/HA.md) two more: `"event": "ownership"` (time,
// unit, replica, owner_revision, change: acquired | released | lost, detail, config_version,
// mode) when this replica takes or gives up a unit, and `"event": "ha"` (time, replica, change:
// stopped | resumed, detail, config_version, mode) when it stops or resumes acting at all.
// `"event": "admin"` (time, change: pause | resume | unpause | protect, requested_by,
// detail, config_version, mode): an operator changed what the daemon does, through the admin
// socket or the sentinel file.
enum class AuditEvent { decision, topology, ownership, ha, admin };
std::string_view to_string(AuditEvent event);

struct AuditRecord {
  AuditEvent event = AuditEvent::decision;
  std::chrono::system_clock::time_point time;
  std::string endpoint;  // the NAME of [endpoint.NAME]
  Language language = Language::opencypher;
  std::string query_id;
  std::string rule;
  std::int64_t elapsed_ms = 0;
  std::int64_t waited_ms = 0;
  RuleAction action = RuleAction::cancel;
  bool silent = false;
  bool dry_run = false;
  AuditOutcome outcome = AuditOutcome::logged;
  int attempts = 0;   // HTTP tries for the cancel; 0 when none was sent
  std::string query;  // cut to kMaxQueryChars characters when formatted
  // The query's shape: fingerprint_hex() of fingerprint_query() of its whole text as Neptune
  // showed it (nw/core/fingerprint.h); empty on records of no query and of a query that
  // showed no text (it has no known shape).
  std::string fingerprint;
  // Why the rule condemned the query: not an audit field (the reason says it in words), but
  // what decides whether its cancel starts a quarantine (nw/app/quarantine_book.h).
  Condemnation cause = Condemnation::none;
  std::string reason;          // which limit was broken
  std::string error;           // only written when outcome is failed
  std::string config_version;  // which configuration decided
  RunMode mode = RunMode::service;
  // Pairs a `sending` record with the outcome record of the same cancel; empty on records of
  // decisions that send nothing.
  std::string record_id;

  // Topology records: the [cluster.NAME], the DB instance, what changed ("added", "removed",
  // "status", "role", "address") and the detail ("reader, available at host:8182").
  std::string cluster;
  std::string instance;
  std::string change;
  std::string detail;

  // With replicas: the replica that wrote the record and, for a record of a unit it owns, the
  // unit's owner key's creation revision in etcd (the fencing token; 0: none). Left out of the
  // record when empty, as without replicas.
  std::string replica;
  std::int64_t owner_revision = 0;
  std::string unit;  // ownership records: "cluster.NAME" or "endpoint.NAME"

  // Admin records, and the decision records of an operator's cancel through the admin socket:
  // who asked ("alice", "root (sudo by alice)", "uid 1001", "sentinel file PATH").
  std::string requested_by;
};

// A topology record of `cluster`'s `instance` (whose endpoint is "CLUSTER/INSTANCE").
AuditRecord topology_record(std::chrono::system_clock::time_point time, const std::string& cluster,
                            const std::string& instance, const std::string& change,
                            const std::string& detail, const std::string& config_version,
                            RunMode mode);

// An ownership record: `replica` acquired, released or lost `unit` (owner key revision
// `revision`).
AuditRecord ownership_record(std::chrono::system_clock::time_point time, const std::string& unit,
                             const std::string& replica, std::int64_t revision,
                             const std::string& change, const std::string& detail,
                             const std::string& config_version);
// An ha record: `replica` stopped or resumed acting, and why.
AuditRecord ha_record(std::chrono::system_clock::time_point time, const std::string& replica,
                      const std::string& change, const std::string& detail,
                      const std::string& config_version);

// An admin record: `requested_by` changed what the daemon does (`change`), as `detail` says.
AuditRecord admin_record(std::chrono::system_clock::time_point time, const std::string& change,
                         const std::string& requested_by, const std::string& detail,
                         const std::string& config_version);

// The `query` field keeps at most this many characters (whole UTF-8 characters).
inline constexpr std::size_t kMaxQueryChars = 512;

// One JSON object, no trailing newline. Strings are escaped so the line stays valid JSON
// whatever bytes the query text holds (invalid UTF-8 becomes U+FFFD).
std::string to_json_line(const AuditRecord& record);

// The record as journal fields ("FIELD=value"): MESSAGE (the JSON line), PRIORITY,
// SYSLOG_IDENTIFIER, and one field per audit field in upper case (TIME=, QUERY_ID=, RULE=,
// OUTCOME=, ENDPOINT=, ...), so that `journalctl -u neptune-watchdog RULE=long-reads` works.
// QUERY= is cut like the JSON's and escaped like printable(), so it stays one line of text.
std::vector<std::string> journal_fields(const AuditRecord& record);

// Text from the wire made safe for a one-line diagnostic log: control characters (C0 and
// C1), bidirectional overrides and invalid UTF-8 escaped (so a query id cannot forge log
// lines or drive a terminal), cut at `max_chars`.
std::string printable(std::string_view text, std::size_t max_chars = 300);

// Text for a terminal, otherwise as it is: only what a terminal would act on (C0 and C1
// controls, DEL, bidirectional overrides) and invalid UTF-8 are escaped (\u001b, \ufffd);
// quotes and backslashes stay, so regexes and paths read as written. For messages that quote
// an operator's file (--check-config).
std::string terminal_safe(std::string_view text);

// A query id for a log line: whole up to 128 characters; a longer one (a client chose it)
// cut there and followed by "...#" and 8 hex digits of a hash of the whole id, so that two
// long ids stay apart. The audit keeps ids whole.
std::string loggable_id(std::string_view id);

// Appends `text` to `out` as a JSON string literal (with the quotes), escaping control
// characters (C0, DEL, C1) and bidirectional overrides as \uXXXX and replacing invalid UTF-8.
// Stops after `max_chars` characters.
void append_json_string(std::string& out, std::string_view text,
                        std::size_t max_chars = std::string_view::npos);

}  // namespace nw
