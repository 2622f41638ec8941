#pragma once
// What the watchdog did, counted for Prometheus, and whether it is healthy. The poll loops
// report events in domain terms (a poll finished, a decision was recorded); render() turns
// the counts into the text exposition format 0.0.4. Hand-written rather than prometheus-cpp:
// a few families do not justify civetweb and curl as dependencies. Thread-safe: every
// endpoint thread reports into one instance while the HTTP server renders it.
//
// Labels carry only bounded sets (endpoint and rule names from the config, Neptune error
// codes, outcomes): never a query id or query text, whose cardinality has no bound.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "nw/core/audit_record.h"

namespace nw {

struct HealthReport {
  bool healthy = true;
  std::string reason;  // empty when healthy; one clause per unhealthy endpoint, "; "-joined
  // Healthy, but something is not as it should be: a cluster whose discovery failed 3 times in
  // a row (its last known topology is still watched). "; "-joined clauses; empty when not.
  std::string degraded;
};

class Metrics {
 public:
  using SystemTime = std::chrono::system_clock::time_point;

  // Bucket upper bounds, in seconds.
  static const std::vector<double> kPollLatencyBuckets;
  static const std::vector<double> kCancelLatenessBuckets;

  // `version` goes into neptune_watchdog_build_info.
  explicit Metrics(std::string version = NW_VERSION);

  // One status request to `endpoint`'s `language` status ended: one HTTP try, so report every retry
  // too and a throttled Neptune shows even when the retry succeeds. `error_code` is Neptune's code
  // ("TooManyRequestsException") or "transport", "timeout", "bad_response" for failures that
  // are not Neptune's; it is ignored when `ok`. A failure without a code counts as "unknown".
  // `at` (when it ended) feeds health() and the last-success gauge.
  void poll_finished(const std::string& endpoint, const std::string& language, bool ok,
                     const std::string& error_code, double latency_seconds, SystemTime at);

  // One audited decision about a query of `endpoint`'s `language` status, by its outcome.
  // `cancelled` also counts as a cancel and `budget_exhausted` as a budget exhaustion.
  void decision_recorded(const std::string& endpoint, const std::string& language,
                         const std::string& rule, AuditOutcome outcome);

  // Neptune refused a cancel (AccessDenied): the watchdog's IAM policy lacks
  // neptune-db:CancelQuery, or a resource policy forbids it.
  void cancel_refused(const std::string& endpoint);

  // A cancel was sent this long after the query broke its limit (negative counts as 0).
  void cancel_lateness(const std::string& endpoint, double seconds_past_limit);

  // The latest poll of `endpoint`'s status for `language` saw this many running and queued
  // queries. Each language has its own status endpoint and its own figures.
  void queries_seen(const std::string& endpoint, const std::string& language, std::int64_t running,
                    std::int64_t waiting);

  // The latest successful poll of `endpoint`'s status for `language`: how long its oldest
  // running query had run (`elapsed`) and its oldest queued query had waited (`waited`), in
  // seconds, 0 when there was none. A query that stays stuck shows as a rising line long
  // before it reaches any limit, and also when no rule selects it.
  void oldest_queries(const std::string& endpoint, const std::string& language,
                      double running_seconds, double queued_seconds);

  // Queries of `endpoint`'s `language` loop that were given up (audited `given_up`) and that
  // its latest successful poll still listed: Neptune keeps running them and an operator has
  // to act.
  void queries_given_up(const std::string& endpoint, const std::string& language,
                        std::size_t listed);

  // How many queries each rule of the policy in force governed (selected first, whether or
  // not within its limits) in the latest successful poll of `endpoint`'s `language` loop:
  // every rule is named, a rule that governs nothing at 0, so that a dead rule (a regex that
  // never matches, a rule shadowed by an earlier one) shows. Replaces that loop's previous
  // figures: a rule removed by a reload leaves no series behind.
  void rules_selected(const std::string& endpoint, const std::string& language,
                      const std::vector<std::pair<std::string, std::size_t>>& per_rule);

  // A successful poll of `endpoint`'s status for `language` left out `entries` entries of the
  // list that it could not read (no usable queryId, or a malformed field or text). Counted at
  // each poll that lists them, so the rate shows for how long they stay listed; a poll that
  // skips none still makes the series exist, at 0.
  void entries_skipped(const std::string& endpoint, const std::string& language,
                       std::uint64_t entries);

  // Evaluating the rules against one snapshot of `endpoint`'s status (a poll's, or the queries
  // due at a crossing) took `seconds`. A sum per endpoint: its rate is the share of a core that
  // matching takes, which an expensive regex raises (docs/PERFORMANCE.md, "Regex cost").
  void matching_finished(const std::string& endpoint, double seconds);

  // Under schedule = deadline, a query's status was checked by id at its projected crossing:
  // `result` is "confirmed" (Neptune answered; decided on its clocks), "ended" (the query was
  // gone) or "failed" (no usable answer: left to the next poll).
  void crossing_checked(const std::string& endpoint, const std::string& result);

  // An endpoint a reload removed: its series are dropped (Prometheus marks them stale), so
  // that a fleet that changes does not grow the registry for ever.
  void forget_endpoint(const std::string& endpoint);

  // A record could not be written to the audit journal (a full disk, a failed rotation): the
  // operator's proof is missing a line. Such a record does not count as a decision.
  void audit_write_failed();

  // Whether cancelling is paused because the audit log cannot be written (on_audit_failure =
  // pause), and why (`cause` names the log and its error; empty when not paused). While
  // paused, health() is false with the cause: the watchdog polls but cancels nothing.
  void cancelling_paused(bool paused, const std::string& cause);

  // Whether an operator paused cancelling (the admin socket's `pause`, the sentinel file), and
  // how (`cause`: describe_pause()). While paused, health() is false with the cause: a kill
  // switch left on must not go unnoticed.
  void operator_paused(bool paused, const std::string& cause);

  // Query shapes in quarantine now (nw/core/quarantine.h), across rules.
  void quarantined_fingerprints(std::size_t count);

  // A SIGHUP reload was applied (ok) or refused (error); the last one's result is a gauge
  // (1 from the start, when no reload was tried yet).
  void config_reloaded(bool ok);

  // The configuration version in force (at start, and after each reload that applied one):
  // config_info{version} 1, the previous version's series replaced.
  void config_in_force(const std::string& version);

  // One refresh of `cluster`'s topology ended: ok, or failed with `error_code` (the service's
  // code, or transport, timeout, bad_response, credentials); `consecutive_failures` counts the
  // failed ones in a row (0 after a success). From 3 in a row health() says degraded, with
  // `error` (one line, no secret).
  void discovery_refreshed(const std::string& cluster, bool ok, const std::string& error_code,
                           int consecutive_failures, const std::string& error);
  // How many of `cluster`'s instances are watched now.
  void cluster_instances(const std::string& cluster, std::size_t watched);
  // A cluster a reload removed: its series are dropped.
  void forget_cluster(const std::string& cluster);

  // Replicas (docs/HA.md). Only a daemon with an [ha] section exports the ha_ series.
  void ha_configured(const std::string& group, const std::string& replica);
  // Whether this replica acts (a member with a lease it is sure of), the units it owns, how
  // long its lease is still sure to live, and, when it does not act, why (for /healthz).
  void ha_state(bool acting, std::size_t owned_units, double lease_remaining_seconds,
                const std::string& not_acting_cause);
  // A unit acquired, released or lost.
  void ha_handover(const std::string& change);
  // The units of this replica's configuration (every replica of a group lists the same).
  void ha_units(std::size_t units);

  // Notifications (nw/app/notifier.h), by sink (the NAME of [notify.NAME]). The sinks of the
  // configuration in force: each has its series from the start, at 0; a sink a reload removed
  // has them dropped (and is no longer counted).
  void notification_sinks(const std::vector<std::string>& sinks);
  // A message delivered.
  void notification_sent(const std::string& sink);
  // A message given up after its retries (or a refusal not worth retrying): its events are lost.
  void notification_failed(const std::string& sink);
  // Events not queued because the sink's queue was full.
  void notifications_dropped(const std::string& sink, std::uint64_t events);

  // The text exposition format 0.0.4, families in a fixed order, samples sorted by labels.
  std::string render() const;

  // Healthy iff cancelling is not paused and every endpoint in `endpoints` had a successful
  // poll within 3 × poll_interval of `now`. Otherwise the reason, e.g. "cancelling paused: the
  // audit log ... cannot be written: ...", "endpoint writer: no successful poll for 17s (limit
  // 15s)" or "endpoint writer: never polled successfully".
  HealthReport health(SystemTime now, std::chrono::milliseconds poll_interval,
                      const std::vector<std::string>& endpoints) const;

 private:
  using Labels = std::vector<std::string>;  // values, in the family's label order

  // Fixed buckets: upper bounds ascending, +Inf implied.
  struct Histogram {
    explicit Histogram(const std::vector<double>& bounds);
    void observe(double value);

    const std::vector<double>* bounds;
    std::vector<std::uint64_t> counts;  // per bucket, not cumulative; the last is +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };

  std::string version_;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> poll_requests_;    // endpoint
  std::map<Labels, std::uint64_t> poll_errors_;           // endpoint, language, code
  std::map<std::string, Histogram> poll_latency_;         // endpoint
  std::map<std::string, SystemTime> last_success_;        // endpoint
  std::map<Labels, std::uint64_t> decisions_;             // endpoint, language, rule, outcome
  std::map<Labels, std::uint64_t> cancels_;               // endpoint, language, rule
  std::map<Labels, std::uint64_t> budget_exhaustions_;    // endpoint, language, rule
  std::map<std::string, Histogram> cancel_lateness_;      // endpoint
  std::map<std::string, std::uint64_t> cancels_refused_;  // endpoint
  std::map<std::string, double> matching_seconds_;        // endpoint
  std::map<Labels, std::uint64_t> crossing_checks_;       // endpoint, result
  std::map<Labels, std::uint64_t> malformed_entries_;     // endpoint, language
  // (endpoint, language) -> (running, waiting)
  std::map<std::vector<std::string>, std::pair<std::int64_t, std::int64_t>> seen_;
  // (endpoint, language) -> (oldest running, oldest queued), in seconds
  std::map<Labels, std::pair<double, double>> oldest_;
  std::map<Labels, std::size_t> given_up_;  // endpoint, language
  std::map<Labels, std::size_t> selected_;  // endpoint, language, rule
  std::string config_version_;              // empty until one is in force
  bool last_reload_ok_ = true;
  std::uint64_t audit_write_errors_ = 0;
  bool cancelling_paused_ = false;
  std::size_t quarantined_ = 0;
  std::string paused_cause_;
  bool operator_paused_ = false;
  std::string operator_pause_cause_;
  std::map<Labels, std::uint64_t> discovery_refreshes_;   // cluster, outcome (ok or error code)
  std::map<std::string, std::size_t> cluster_instances_;  // cluster
  bool ha_ = false;
  std::string ha_group_, ha_replica_;
  bool ha_acting_ = false;
  std::size_t ha_owned_ = 0;
  std::size_t ha_units_ = 0;
  double ha_lease_remaining_ = 0;
  std::string ha_cause_ = "not joined yet";
  std::map<std::string, std::uint64_t> ha_handovers_;  // by change
  // cluster -> (failed refreshes in a row, the last one's error)
  std::map<std::string, std::pair<int, std::string>> discovery_failing_;
  // sink -> (sent, failed, dropped)
  struct NotificationCounts {
    std::uint64_t sent = 0, failed = 0, dropped = 0;
  };
  std::map<std::string, NotificationCounts> notifications_;
  std::uint64_t reloads_ok_ = 0;
  std::uint64_t reloads_error_ = 0;
};

}  // namespace nw
