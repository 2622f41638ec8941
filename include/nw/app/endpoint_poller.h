#pragma once
// One instance endpoint's loop: poll the status, decide, cancel or log, audit each decision.
// Each loop runs on its own strand of the scheduler (nw/app/scheduler.h): its steps never run
// at the same time, so its state needs no lock, and a slow or failing instance never delays
// another.
#include <atomic>
#include <memory>
#include <optional>
#include <random>
#include <unordered_set>

#include "nw/app/audit_trail.h"
#include "nw/app/cancel_dispatcher.h"
#include "nw/app/config_holder.h"
#include "nw/app/scheduler.h"
#include "nw/app/service_status.h"
#include "nw/app/stop_token.h"
#include "nw/core/audit_record.h"
#include "nw/core/cancel_lifecycle.h"
#include "nw/core/clock.h"
#include "nw/core/config.h"
#include "nw/core/deadline.h"
#include "nw/core/decide.h"
#include "nw/core/decision_memory.h"
#include "nw/core/metrics.h"
#include "nw/io/neptune_client.h"

namespace spdlog {
class logger;
}

namespace nw {

// What every poller shares with the rest of the daemon.
struct PollerServices {
  const ConfigHolder& config;
  AuditTrail& trail;
  CancelDispatcher& cancels;
  ServiceStatus& status;
  Metrics& metrics;
  spdlog::logger& log;
  StopToken& stop;
  const Clock& clock;
  Scheduler& scheduler;  // each poller runs on a strand of its own
  RunMode mode = RunMode::service;
};

class EndpointPoller {
 public:
  // Polls one language of one endpoint; reports to ServiceStatus under name().
  EndpointPoller(EndpointConfig endpoint, Language language, std::unique_ptr<NeptuneClient> client,
                 const PollerServices& services);

  ~EndpointPoller();

  // "writer", or "writer/gremlin" when the endpoint is polled for several languages.
  static std::string label(const EndpointConfig& endpoint, Language language);

  // One cycle under the configuration in force at its start. Returns false when the status
  // could not be fetched (after retries); a failed poll cancels nothing and audits nothing,
  // and the next cycle polls again. Call it on strand(). The cancels it decides are sent by
  // the CancelDispatcher, off this strand; their outcomes come back to it.
  bool poll_once();

  // Under `schedule = deadline`: acts on the running queries of the last poll whose limit
  // crossing is due at `now` (see nw/core/deadline.h), and consumes those crossings. It decides
  // on their last observation advanced by the time since, or with `confirm_by_id` on Neptune's
  // answer to a status request for each by id: then a query that ended is left alone, a new
  // query that reuses the id is judged by its own clock, and a check that fails leaves the
  // query to the next poll. Returns false when a queued query's crossing is due too: its
  // `waited` clock cannot be projected, so the caller polls for fresh status.
  bool act_on_due_crossings(std::chrono::steady_clock::time_point now);

  // When the earliest crossing of the last poll's queries not yet acted on is due (none under
  // schedule = fixed), and the earliest one due after `now`.
  std::optional<std::chrono::steady_clock::time_point> next_crossing() const;
  std::optional<std::chrono::steady_clock::time_point> next_crossing_after(
      std::chrono::steady_clock::time_point now) const;

  // Runs the loop on strand() until stop is requested: a poll every poll_interval (at once if
  // a cycle overran it), and under schedule = deadline a wake-up in between at each crossing
  // instant. The first poll is due at `first_poll`.
  void start(Clock::time_point first_poll);

  Scheduler::StrandId strand() const { return strand_; }

  // Stops the loop (an endpoint removed or changed by a reload): once the task of it running
  // now (if any) has finished, nothing of it runs again, and retired() turns true; then it may
  // be destroyed. Its cancels in flight finish and are audited by the CancelDispatcher.
  void retire();
  bool retired() const { return retired_.load(std::memory_order_acquire); }

  const std::string& name() const { return label_; }
  const std::string& endpoint_name() const { return endpoint_.name; }

 private:
  AuditRecord record_for(const WatchdogConfig& config, const StatusSnapshot& snapshot,
                         const Decision& decision) const;
  // Where a snapshot came from: a poll's whole list, or, for the queries whose crossing is due,
  // their projection from the last poll (advanced by `projected_ms`) or their checks by id.
  // The last two hold too few queries for concurrency guards, and are not worth memoizing.
  enum class Observation { poll, projected, checked_by_id };
  // assess() on `snapshot`, its matching time counted in the endpoint's metrics.
  Assessment assess_timed(const WatchdogConfig& config, const StatusSnapshot& snapshot,
                          Observation observation, bool with_crossings);
  // Carries out the decisions made on `snapshot`, worst offenders first (a poll's come from
  // its one assessment, which also gave the crossings).
  void act_on(const WatchdogConfig& config, const StatusSnapshot& snapshot,
              std::vector<Decision> decisions, Observation observation,
              std::int64_t projected_ms = 0);
  // The current status of the last poll's query at `index`, asked for by id: empty when it
  // ended or no usable answer came (both counted and logged).
  StatusSnapshot check_by_id(const WatchdogConfig& config, std::size_t index);
  void handle(const WatchdogConfig& config, const StatusSnapshot& snapshot,
              const Decision& decision);
  // Counts the entries a poll skipped, and says so: those without a usable queryId at every
  // poll, each malformed one once while it stays listed.
  void report_skipped(const StatusSnapshot& snapshot);
  // On this strand, when the dispatcher has the outcome of one of this loop's cancels.
  void cancel_finished(const QueryStatus& query, const CancelResult& result);
  // One step of the loop (the crossings due, then a poll if one is due) and the next one's
  // scheduling.
  void step();
  // step(), and if it throws, the error logged and the loop rescheduled.
  void guarded_step();
  // Seconds on the injected clock since `start` (0 on a manual clock that did not move).
  double seconds_since(Clock::time_point start) const;
  // Tells ServiceStatus the loop will report again within `wait` (plus a margin).
  void promise_progress_within(std::chrono::steady_clock::duration wait);
  // How long one request may block: NetSSL can take up to three socket timeouts.
  std::chrono::steady_clock::duration request_bound() const {
    return 3 * endpoint_.request_timeout;
  }

  EndpointConfig endpoint_;
  std::string label_;  // for logs; the audit and metrics name the endpoint section
  const ConfigHolder& config_;
  std::shared_ptr<NeptuneClient> client_;
  AuditTrail& trail_;
  CancelDispatcher& cancels_;
  ServiceStatus& status_;
  Metrics& metrics_;
  spdlog::logger& log_;
  StopToken& stop_;
  const Clock& clock_;
  Scheduler& scheduler_;
  const Scheduler::StrandId strand_;
  const RunMode mode_;
  std::atomic<bool> retiring_{false};  // retire() was called
  std::atomic<bool> retired_{false};   // ... and nothing of the loop runs any more

  std::chrono::steady_clock::time_point next_poll_{};
  // What was recorded and which cancels Neptune acknowledged, per query id (forgotten a few
  // polls after the id stops being listed).
  DecisionMemory memory_;
  // Which rules select each query id's text, kept from poll to poll (for polls' snapshots only:
  // a projection holds a few queries, and would make the memo forget the others).
  RuleMemo rule_memo_;
  std::optional<std::chrono::steady_clock::time_point> last_access_denied_log_;
  std::optional<std::chrono::steady_clock::time_point> last_refusal_log_;
  // The ids of the malformed entries already warned about. Only ids the last poll listed as
  // malformed are kept, and at most kMalformedNamed of them: a list of many more is summed up
  // in one line, at most once a minute.
  static constexpr std::size_t kMalformedNamed = 256;
  std::unordered_set<std::string> malformed_warned_;
  std::optional<std::chrono::steady_clock::time_point> last_unnamed_malformed_log_;

  // Deadline schedule: the last poll's snapshot, the instant its answer had fully arrived
  // (never earlier than Neptune's reading of its clocks, so a projection never overstates a
  // query's age), and its queries' crossings not yet acted on, earliest first.
  StatusSnapshot last_seen_;
  std::chrono::steady_clock::time_point observed_at_{};
  std::vector<Crossing> crossings_;
  std::chrono::steady_clock::time_point last_poll_started_{};
  // The most queries a successful poll listed since free memory was last given back to the
  // system; once a poll lists fewer than half of a long list's, it is given back again.
  static constexpr std::size_t kLongList = 2048;
  std::size_t peak_listed_ = 0;
  std::mt19937_64 rng_;
  double unit_random() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  // Queries with a cancel in the dispatcher's hands (waiting its turn or being sent): none
  // gets a second cancel meanwhile.
  std::unordered_set<std::string> cancelling_;
};

}  // namespace nw
