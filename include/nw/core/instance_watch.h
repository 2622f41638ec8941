#pragma once
// What one instance's watch knows and decides, with no I/O, no thread and no clock of its own:
// when to wake up next, what to do with a status answer, what to do with a cancel's result, a
// read-only view of what it knows, and a drain that stops new work while in-flight work ends.
//
// The caller (EndpointPoller, nw/app/endpoint_poller.h) owns the I/O and the strand. Each step:
//
//   begin_step(now)      ─▶ the crossings due: decisions on their projection, or the ids to
//                           check by id (each answer goes to checked()); and whether to poll
//   poll_started(now)    ─▶ the caller polls (with retries) ─▶ poll_answered() | poll_failed()
//   finish_step(now)     ─▶ when to wake up next
//
// Every call that decides returns WatchActions: audit records to write, cancels to hand to the
// one cancel path (each reported back with cancel_admitted() and, once sent, cancel_finished())
// and lines for the diagnostic log, in the order they must be carried out. Time comes in as
// arguments, so every schedule and every lifecycle edge is a plain function call in a test
// (tests/unit/core/instance_watch_test.cpp).
//
// Not thread-safe by design: the caller touches it only on its instance's strand.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "nw/core/audit_record.h"
#include "nw/core/config.h"
#include "nw/core/deadline.h"
#include "nw/core/decide.h"
#include "nw/core/decision_memory.h"
#include "nw/core/failure.h"
#include "nw/core/operator_controls.h"
#include "nw/core/quarantine.h"
#include "nw/core/query_status.h"
#include "nw/core/rule_memo.h"

namespace nw {

// A line for the diagnostic log (already worded; ids and texts made printable).
struct WatchNotice {
  enum class Level { debug, info, warn, error };
  Level level = Level::info;
  std::string text;
};

// A cancel the watch decided. The caller hands it to the cancel path and reports back.
struct CancelIntent {
  AuditRecord record;          // the decision: all but outcome, attempts, error and record_id
  std::size_t rule_index = 0;  // into the policy it was decided under
  std::int64_t excess_ms = 0;  // how far past its limit when decided
  QueryStatus query;
};

using WatchAction = std::variant<AuditRecord, CancelIntent, WatchNotice>;
using WatchActions = std::vector<WatchAction>;  // in the order to carry them out

// What a step does, decided at its start.
struct StepPlan {
  WatchActions actions;                // decisions on crossings projected from the last poll
  std::vector<std::string> check_ids;  // confirm_by_id: the queries to check by id, in order
  bool poll = false;                   // poll now (after the checks)
};

// What a watch knows, for views and tests.
struct WatchView {
  std::chrono::steady_clock::time_point next_poll{};
  std::optional<std::chrono::steady_clock::time_point> next_crossing;
  std::size_t crossings = 0;          // limit crossings of the last poll not yet acted on
  std::size_t listed = 0;             // queries the last successful poll listed
  std::size_t remembered = 0;         // queries with a decision or a cancel remembered
  std::size_t cancels_in_flight = 0;  // with the cancel path, not yet finished
  bool draining = false;
  // From the last successful poll:
  std::int64_t oldest_running_ms = 0;  // the greatest `elapsed` of a running query; 0 if none
  std::int64_t oldest_queued_ms = 0;   // the greatest `waited` of a queued query; 0 if none
  std::size_t given_up_listed = 0;     // queries given up on that it still listed
  // Per rule of the policy it was assessed under (by index): the queries the rule governed.
  std::vector<std::size_t> governed;
};

class InstanceWatch {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  // `endpoint` names the [endpoint.NAME] section (audit records); `label` the loop in log lines
  // ("writer", "writer/gremlin").
  InstanceWatch(std::string endpoint, std::string label, Language language, RunMode mode);

  // The first poll is due at `first_poll`.
  void start(TimePoint first_poll) { next_poll_ = first_poll; }

  // The instance's role in its cluster from now on (discovery saw a failover), for rules and
  // protections limited to roles.
  void set_role(InstanceRole role) { role_ = role; }

  // The query shapes in quarantine from now on (nw/core/quarantine.h), judged at each poll;
  // null: none.
  void set_quarantine(std::shared_ptr<const QuarantineList> quarantine) {
    quarantine_ = std::move(quarantine);
  }

  // What the operator has told the daemon from now on (a pause, temporary protections),
  // judged at each decision; null: nothing.
  void set_operator(std::shared_ptr<const OperatorState> state) { operator_ = std::move(state); }

  // The last successful poll's snapshot (null before one) and the wall time it was assessed
  // at: the live view (`status`, `top`) reads it from another thread, which the shared
  // pointer to an immutable snapshot allows.
  std::shared_ptr<const StatusSnapshot> last_snapshot() const { return last_seen_; }
  WallTime last_snapshot_time() const { return last_seen_wall_; }

  // At the start of a step at `now`: consumes the crossings due (under schedule = deadline),
  // and says whether to poll. A queued query's crossing asks for a poll (its `waited` clock
  // cannot be projected), but never sooner than a fifth of poll_interval after the last one,
  // so that a long queue cannot multiply Neptune's load. A draining watch polls no more.
  StepPlan begin_step(const WatchdogConfig& config, TimePoint now, WallTime wall_now);

  // Neptune's answer to a check by id of a query begin_step() named, when it is still listed.
  // (An ended query or a failed check is the caller's to count and log: nothing is decided.)
  WatchActions checked(const WatchdogConfig& config, QueryStatus fresh, WallTime wall_now);

  void poll_started(TimePoint now) { last_poll_started_ = now; }
  // A poll's answer, fully arrived at `answered` (never earlier than Neptune's reading of its
  // clocks, so that a projection never overstates a query's age).
  WatchActions poll_answered(const WatchdogConfig& config, StatusSnapshot snapshot,
                             TimePoint answered, WallTime wall_now);
  // A poll that failed after `attempts` requests (0: none could be sent). Wrong or expired
  // credentials fail every poll until an operator acts: said once a minute.
  WatchActions poll_failed(const Failure& failure, int attempts, TimePoint now);

  // At the end of the step begun at begin_step(): when the next step is due. A poll that
  // overran poll_interval makes the next one due at once, without a burst to catch up.
  TimePoint finish_step(const WatchdogConfig& config, TimePoint now);
  // After a step that failed unexpectedly: the next poll in one poll_interval.
  TimePoint retry_later(const WatchdogConfig& config, TimePoint now);

  // The cancel path's answer to handing it `intent`: sent, or not (then `refusal` is a budget
  // refusal, to be recorded once per query and rule, or a cancel held back while the audit log
  // cannot be written, outcome `failed`, to be told once per query: returned when it is due).
  std::optional<AuditRecord> cancel_admitted(const CancelIntent& intent, bool sent,
                                             std::optional<AuditRecord> refusal);
  // A sent cancel's outcome. `refused`: Neptune refused it (AccessDenied), so it is given up
  // rather than sent again; a missing permission is said once a minute, not once per query.
  WatchActions cancel_finished(const QueryStatus& query, AuditOutcome outcome, bool refused,
                               std::string_view error, TimePoint now);

  // Stops new work: no more polls, checks or cancels. Cancels in flight still finish.
  void drain() { draining_ = true; }
  bool drained() const { return draining_ && cancelling_.empty(); }

  WatchView view() const;
  // When the earliest crossing not yet acted on is due (none under schedule = fixed).
  std::optional<TimePoint> next_crossing() const;

 private:
  enum class Observation { poll, projected, checked_by_id };
  std::optional<TimePoint> next_crossing_after(TimePoint now) const;
  // Consumes the running queries' crossings due at `now` into `plan`; false when a queued
  // query's crossing is due too (it needs fresh status).
  bool consume_due_crossings(const WatchdogConfig& config, TimePoint now, WallTime wall_now,
                             StepPlan& plan);
  // Carries out the decisions made on `snapshot`, worst offenders first.
  void act_on(const WatchdogConfig& config, const StatusSnapshot& snapshot,
              std::vector<Decision> decisions, Observation observation, std::int64_t projected_ms,
              WallTime wall_now, WatchActions& out);
  void handle(const WatchdogConfig& config, const StatusSnapshot& snapshot,
              const Decision& decision, WallTime wall_now, WatchActions& out);
  AuditRecord record_for(const WatchdogConfig& config, const StatusSnapshot& snapshot,
                         const Decision& decision, WallTime wall_now) const;
  // Entries a poll skipped: those without a usable queryId at every poll, each malformed one
  // once while it stays listed.
  void report_skipped(const StatusSnapshot& snapshot, TimePoint now, WatchActions& out);
  void say(WatchActions& out, WatchNotice::Level level, std::string text) const;

  const std::string endpoint_;
  const std::string label_;
  const Language language_;
  InstanceRole role_ = InstanceRole::unknown;
  std::shared_ptr<const QuarantineList> quarantine_;
  std::shared_ptr<const OperatorState> operator_;
  const RunMode mode_;
  bool draining_ = false;

  TimePoint next_poll_{};
  TimePoint last_poll_started_{};
  // Set by begin_step() for finish_step().
  TimePoint step_began_{};
  bool step_polls_ = false;
  bool step_regular_ = false;     // the poll is the regular one, not an early one
  bool step_needs_poll_ = false;  // a queued query's crossing was due

  // What was recorded and which cancels Neptune acknowledged, per query id (forgotten a few
  // polls after the id stops being listed).
  DecisionMemory memory_;
  // Which rules select each query id's text, kept from poll to poll (polls only: a projection
  // holds a few queries, and would make the memo forget the others).
  RuleMemo rule_memo_;
  // Queries with a cancel in the cancel path's hands: none gets a second one meanwhile.
  std::unordered_set<std::string> cancelling_;

  std::optional<TimePoint> last_access_denied_log_;
  std::optional<TimePoint> last_refusal_log_;
  // The ids of the malformed entries already named. Only ids the last poll listed as malformed
  // are kept, and at most kMalformedNamed: more are summed up in one line, once a minute.
  static constexpr std::size_t kMalformedNamed = 256;
  std::unordered_set<std::string> malformed_warned_;
  std::optional<TimePoint> last_unnamed_malformed_log_;

  // The quarantine (polls only: a projection's few queries were judged at their poll) and the
  // operator's protections, for assess().
  Overrides overrides(bool with_quarantine) const;

  // The last poll's snapshot and, under the deadline schedule, when its answer had arrived and
  // its queries' crossings not yet acted on, earliest first.
  std::shared_ptr<const StatusSnapshot> last_seen_ = std::make_shared<const StatusSnapshot>();
  WallTime last_seen_wall_{};
  TimePoint observed_at_{};
  std::vector<Crossing> crossings_;
  std::size_t listed_ = 0;
  std::int64_t oldest_running_ms_ = 0;
  std::int64_t oldest_queued_ms_ = 0;
  std::vector<std::size_t> governed_;
};

}  // namespace nw
