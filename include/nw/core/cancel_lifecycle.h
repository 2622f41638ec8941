#pragma once
// The life of one query's cancel, as a pure function of what happened to it so far:
//
//   decided ─▶ sending ─▶ cancelled | not_found | failed
//   still listed (and not marked cancelled by Neptune) after an answered cancel
//     ─▶ cancel_ineffective (once) ─▶ one retried cancel ─▶ given_up (once) ─▶ nothing more
//
// "Answered" is a cancel Neptune acknowledged or answered "not found": both bound the retries
// the same way, so a query that Neptune cannot cancel costs at most two cancels, three records
// and a single `given_up`. A `failed` cancel (no answer) counts for nothing: the next
// observation decides again. A cancel Neptune refused (AccessDenied: the watchdog's identity
// may not cancel) would be refused again: the next observation records `given_up` at once,
// so a missing IAM permission costs one cancel and two records per query, not one per poll.
// While a cancel of the query is in flight, nothing more is sent.
// The states are the audit outcomes of the same names (nw/core/audit_record.h).
#include <string_view>

namespace nw {

struct CancelHistory {
  int acknowledged = 0;    // cancels Neptune acknowledged
  int not_found = 0;       // cancels Neptune answered "not found"
  bool given_up = false;   // `given_up` was recorded
  bool in_flight = false;  // a cancel of it is being sent now
  int refused = 0;         // cancels Neptune refused (AccessDenied)
};

enum class CancelStep {
  send,     // the first cancel
  retry,    // audit cancel_ineffective, then send once more
  give_up,  // audit given_up; send nothing
  none,     // nothing to do (in flight, or given up already)
};

std::string_view to_string(CancelStep step);

CancelStep next_cancel_step(const CancelHistory& history);

// The reason a cancel_ineffective or given_up record gives, from the same history.
std::string_view lifecycle_reason(CancelStep step, const CancelHistory& history);

}  // namespace nw
