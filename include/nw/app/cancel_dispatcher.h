#pragma once
// The one path every cancel takes: a rule's (quarantined shapes included) and an operator's
// (`cancel` through the admin socket, `top`).
//
//   submit (on the instance's strand)
//     ─▶ gates, checked here once: shutting down, ownership (with replicas), an operator's
//        pause (which holds rules' cancels, never the operator's own), audit health
//        (on_audit_failure = pause), room in the instance's waiting line, the cancel budget
//     ─▶ the send, on a worker of the scheduler (off the poll path), with the [retry] policy;
//        at most max_cancels_in_flight of one instance at a time, the others waiting their
//        turn in the order they were decided (at most kMaxWaitingCancels of them)
//     ─▶ the write-ahead record (outcome `sending`, a fresh record_id), written and flushed
//        when the cancel's send starts (at submit when it starts at once); if it could not be
//        written, nothing is sent
//     ─▶ with replicas, the ownership gate again before every attempt: an attempt goes out only
//        while this replica owns the unit and its lease is sure to outlive the attempt's
//        request timeout (nw/app/ownership_gate.h); otherwise the cancel ends `failed`, not sent
//     ─▶ the outcome record (`cancelled` | `not_found` | `failed`, the same record_id)
//     ─▶ `done` on the instance's strand, which updates what the instance remembers.
//
// Shutdown calls abandon_in_flight(): each cancel whose `sending` record is written and that
// has no outcome yet is audited `failed`, "abandoned at shutdown" (its send, should it finish
// later, writes nothing), so every `sending` record has its outcome record. A cancel still
// waiting its turn has no `sending` record: it was never sent and needs no outcome; one log
// line per instance says how many there were. Writing one record per waiting cancel made a
// shutdown with hundreds of thousands of them take seconds.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "nw/app/audit_trail.h"
#include "nw/app/ownership_gate.h"
#include "nw/app/scheduler.h"
#include "nw/app/service_status.h"
#include "nw/app/stop_token.h"
#include "nw/core/audit_record.h"
#include "nw/core/backoff.h"
#include "nw/core/cancel_budget.h"
#include "nw/core/clock.h"
#include "nw/core/metrics.h"
#include "nw/io/neptune_client.h"

namespace spdlog {
class logger;
}

namespace nw {

struct CancelOrder {
  AuditRecord record;          // the decision: all but outcome, attempts, error and record_id
  const Rule* rule = nullptr;  // spends the budget; null for a cancel no rule decided
  std::int64_t excess_ms = 0;  // how far past its limit when decided (for cancel_lateness)
  std::shared_ptr<NeptuneClient> client;  // safe to call from any thread
  RetrySettings retry;
  bool pause_on_audit_failure = true;
  std::size_t max_in_flight = 4;  // of this instance's cancels at a time
  Millis request_timeout{0};      // the endpoint's, named when a cancel timed out
  std::string label;              // the loop's name in log lines ("writer", "writer/gremlin")
  // An operator's own cancel (the admin socket, `cancel`): an operator's pause does not hold it.
  bool operator_request = false;
};

enum class Admission {
  sent,             // the `sending` record is written; the cancel is on its way
  stopping,         // shutting down: recorded as failed, not sent
  paused,           // the audit log cannot be written: not sent; `refusal` is the `failed`
                    // record to hand to record_held_back()
  over_budget,      // not sent; `refusal` is the record to write if the caller wants it
  not_recorded,     // the `sending` record could not be written: not sent
  not_owner,        // with replicas: this replica does not own the unit now, or is not sure of
                    // its lease; nothing recorded (the owner decides; an `ha` record says why)
  line_full,        // kMaxWaitingCancels of the instance wait their turn already: not queued,
                    // nothing recorded; the next poll decides again while the query is listed
  operator_paused,  // a rule's cancel while an operator's pause is in force: not queued,
                    // nothing recorded (the instance records its decision `paused`)
};

// Cancels of one instance that may wait their turn (beyond the max_cancels_in_flight being
// sent). Neptune holds at most 8,192 queued queries; a line this long takes minutes to drain at
// a few cancels in flight, and queueing more would only hold memory and delay shutdown.
inline constexpr std::size_t kMaxWaitingCancels = 1024;

struct Admitted {
  Admission admission = Admission::sent;
  std::optional<AuditRecord> refusal;  // with over_budget and paused
};

// What the instance learns of its cancel.
struct CancelResult {
  AuditRecord outcome;   // the outcome record, as written
  bool refused = false;  // Neptune refused it (AccessDenied): sending it again is futile
};

class CancelDispatcher {
 public:
  // Runs on the instance's strand with the result.
  using Done = std::function<void(const CancelResult& result)>;

  // `max_sending`: cancels being sent at a time across all instances. Each holds a worker
  // while it waits for Neptune (and through its retry back-off), so the daemon passes half of
  // the scheduler's most workers: a throttled instance never takes the workers every poll needs.
  CancelDispatcher(AuditTrail& trail, CancelBudget& budget, ServiceStatus& status, Metrics& metrics,
                   spdlog::logger& log, StopToken& stop, Scheduler& scheduler, const Clock& clock,
                   std::size_t max_sending = SIZE_MAX);

  // On the instance's strand `strand`. When it returns `sent`, `done` will run there once the
  // cancel has an outcome (unless shutdown abandoned it first; or, for a cancel that waited its
  // turn, with outcome `failed` and no record written when its `sending` record could not be
  // written). The instance's cancels share one lane: at most order.max_in_flight of them are
  // sent at a time, at most kMaxWaitingCancels wait their turn.
  Admitted submit(CancelOrder order, Scheduler::StrandId strand, Done done);

  // With replicas: every cancel passes `gate` (see the top of this file). Set at start-up,
  // before any cancel.
  void gate_with(OwnershipGate gate) { gate_ = std::move(gate); }

  // Whether an operator's pause is in force (nw/app/operator_controls.h): a rule's cancel
  // (not operator_request) is then not queued, and one waiting its turn is not started. An
  // operator's own cancel is not held. Set at start-up, before any cancel.
  using PauseGate = std::function<bool()>;
  void pause_with(PauseGate paused) { paused_ = std::move(paused); }

  // A cancel submit() held back (Admission::paused): its `failed` record is offered to the
  // journal, and the first that is written ends the pause. `tell`: the observers (log,
  // metrics) see it, which the instance asks for once per query while it stays listed, so
  // that a long pause does not log and count the same decision at every poll.
  void record_held_back(const AuditRecord& record, bool tell);

  // Whether a cancel of `unit` ("cluster.NAME", "endpoint.NAME") waits its turn or is being
  // sent: with replicas, a unit handed over is released only once none is left (its loops
  // gone is not enough: their cancels finish after them).
  bool has_cancels_of(const std::string& unit) const;

  // Shutdown: audits every cancel whose `sending` record has no outcome yet as failed,
  // abandoned, and logs per instance how many were still waiting their turn (not sent, not
  // audited); returns how many were audited.
  std::size_t abandon_in_flight();

 private:
  struct Pending {
    CancelOrder order;
    std::string record_id;  // empty until its `sending` record is written
    Scheduler::StrandId strand;
    Done done;
  };
  struct Lane {
    std::size_t sending = 0;
    std::deque<Pending> waiting;
    bool full_warned = false;  // the line was found full since it last had room
  };
  // Under mutex_: starts the lane's waiting cancels while it has room.
  void start_waiting(Lane& lane);
  void send(Pending& pending);
  // Writes the `sending` record of `record` (a fresh record_id, outcome `sending`) and tracks it
  // for abandon_in_flight(); false when it could not be written and nothing may be sent.
  bool write_ahead(AuditRecord& record, bool pause_on_audit_failure);

  AuditTrail& trail_;
  CancelBudget& budget_;
  ServiceStatus& status_;
  Metrics& metrics_;
  spdlog::logger& log_;
  StopToken& stop_;
  Scheduler& scheduler_;
  const Clock& clock_;
  OwnershipGate gate_;
  PauseGate paused_;
  bool held_by_operator(const CancelOrder& order) const {
    return !order.operator_request && paused_ && paused_();
  }
  // Whether `order` may be sent now; stamps the fence on its record.
  bool owned(CancelOrder& order) const;

  // Cancels whose `sending` record is written and whose outcome is not, by record_id, each
  // already saying how it ends if shutdown abandons it now. Whoever removes an entry writes its
  // outcome record.
  mutable std::mutex mutex_;
  std::map<std::string, AuditRecord> in_flight_;
  std::map<Scheduler::StrandId, Lane> lanes_;  // by the instance's strand
  const std::size_t max_sending_;
  // Cancels admitted and not yet finished (waiting, being sent, or writing their outcome), by
  // endpoint name.
  std::map<std::string, std::size_t> unfinished_;
  std::size_t sending_ = 0;  // across all lanes
};

}  // namespace nw
