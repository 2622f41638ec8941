#pragma once
// `neptune-watchdog cancel --endpoint NAME QUERY_ID`: an operator's one-off cancel with just
// the configuration file, so that nobody at 3 a.m. needs curl and SigV4 by hand.
//
// It takes the daemon's one cancel path (nw/app/cancel_dispatcher.h) with the endpoint's
// client, credentials and [retry] policy: the write-ahead `sending` record is written to the
// service's audit log before the request goes out (nothing is sent when it cannot be), then
// the outcome record, both with rule `manual` and the operator's name in the reason. No rule
// and no cancel budget decide it: the operator did. The query is looked up first (its text
// and clocks go into the records, and a query that is not running is said so, and left alone).
#include <iosfwd>
#include <optional>
#include <string>

#include "nw/core/audit_record.h"
#include "nw/core/config.h"
#include "nw/core/query_status.h"

namespace nw {

struct ManualCancel {
  std::string endpoint;  // an [endpoint.NAME]
  std::string query_id;
  std::optional<Language> language;  // unset: the endpoint's first language
  bool silent = false;
  std::string requested_by;  // who asked, for the audit (operator_name())
};

// The decision record of an operator's cancel of `query_id` (rule `manual`, the operator in
// the reason and in requested_by); `found`: the query as Neptune last showed it, if known.
AuditRecord manual_cancel_record(const std::string& endpoint, Language language,
                                 const std::string& query_id, bool silent,
                                 const std::string& requested_by, const QueryStatus* found,
                                 const std::string& config_version, RunMode mode);

// "cancelled", "not found: it ended before the cancel arrived", "not cancelled: ERROR", then
// the requests sent and the record id.
std::string describe_manual_outcome(const AuditRecord& outcome);

// The user running the command, as the audit names them: "alice", or "root (sudo by alice)".
std::string operator_name();

// Carries out `cancel` under `config`. Prints what happened to `out`, problems to `err`.
// Returns 0 when Neptune acknowledged the cancel, 1 when the query was not running or the
// cancel failed, 64 for an endpoint or language the configuration does not have, 78 when the
// audit log cannot be opened (nothing is sent without its record).
int run_manual_cancel(const WatchdogConfig& config, const ManualCancel& cancel, std::ostream& out,
                      std::ostream& err);

}  // namespace nw
