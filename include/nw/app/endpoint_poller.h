#pragma once
// One instance endpoint's loop: the I/O around its InstanceWatch (nw/core/instance_watch.h),
// which decides everything without I/O. The loop polls Neptune (with retries), checks queries
// by id, hands the watch's cancels to the CancelDispatcher, writes its audit records and log
// lines, and keeps the metrics and the health report. Each loop runs on its own strand of the
// scheduler (nw/app/scheduler.h): its steps never run at the same time, so the watch needs no
// lock, and a slow or failing instance never delays another.
#include <atomic>
#include <memory>
#include <random>

#include "nw/app/audit_trail.h"
#include "nw/app/cancel_dispatcher.h"
#include "nw/app/config_holder.h"
#include "nw/app/scheduler.h"
#include "nw/app/service_status.h"
#include "nw/app/stop_token.h"
#include "nw/core/audit_record.h"
#include "nw/core/clock.h"
#include "nw/core/config.h"
#include "nw/core/instance_watch.h"
#include "nw/core/metrics.h"
#include "nw/io/neptune_client.h"

namespace spdlog {
class logger;
}

namespace nw {

// What every poller shares with the rest of the daemon.
class QuarantineBook;
class OperatorControls;
class LiveBoard;

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
  // The daemon's quarantined query shapes, taken at each poll; null: no quarantine.
  const QuarantineBook* quarantine = nullptr;
  // The operator's pause and temporary protections, taken at each step; null: none.
  const OperatorControls* controls = nullptr;
  // Where the loop publishes what it saw for the live view; null: nowhere.
  LiveBoard* board = nullptr;
};

class EndpointPoller {
 public:
  // Polls one language of one endpoint; reports to ServiceStatus under name().
  EndpointPoller(EndpointConfig endpoint, Language language, std::unique_ptr<NeptuneClient> client,
                 const PollerServices& services);

  ~EndpointPoller();

  // "writer", or "writer/gremlin" when the endpoint is polled for several languages.
  static std::string label(const EndpointConfig& endpoint, Language language);

  // One poll under the configuration in force at its start, whatever the schedule (--once,
  // and the steps of start()). Returns false when the status could not be fetched (after
  // retries); a failed poll cancels nothing and audits nothing, and the next cycle polls again.
  // Call it on strand(). The cancels it decides are sent by the CancelDispatcher, off this
  // strand; their outcomes come back to it.
  bool poll_once();

  // Runs the loop on strand() until stop is requested: a poll every poll_interval (at once if
  // a cycle overran it), and under schedule = deadline a wake-up in between at each crossing
  // instant (see InstanceWatch). The first poll is due at `first_poll`.
  void start(Clock::time_point first_poll);

  // What the watch knows. On strand() only.
  WatchView view() const { return watch_.view(); }

  Scheduler::StrandId strand() const { return strand_; }

  // Stops the loop (an endpoint removed or changed by a reload): once the task of it running
  // now (if any) has finished, nothing of it runs again, and retired() turns true; then it may
  // be destroyed. Its cancels in flight finish and are audited by the CancelDispatcher.
  void retire();
  bool retired() const { return retired_.load(std::memory_order_acquire); }

  // The instance's role in its cluster from now on (a failover); any thread. The loop's next
  // step judges rules and protections limited to roles by it.
  void set_role(InstanceRole role) { role_.store(role, std::memory_order_relaxed); }
  InstanceRole role() const { return role_.load(std::memory_order_relaxed); }

  const std::string& name() const { return label_; }
  const std::string& endpoint_name() const { return endpoint_.name; }

 private:
  // One poll with retries, its answer or failure given to the watch under `config`.
  bool poll(const WatchdogConfig& config);
  // Checks the query `id` by id (with retries), and gives a fresh status to the watch.
  void check_by_id(const WatchdogConfig& config, const std::string& id);
  // Carries out what the watch decided, in order: records, cancels, log lines.
  void carry_out(const WatchdogConfig& config, WatchActions actions);
  void submit(const WatchdogConfig& config, CancelIntent intent);
  // On this strand, when the dispatcher has the outcome of one of this loop's cancels.
  void cancel_finished(const QueryStatus& query, const CancelResult& result);
  // One step of the loop and the next one's scheduling.
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
  // Gives free memory back to the system once a long list is short again.
  void trim_after(std::size_t listed);
  // After a successful poll: what the watch now knows that an operator alerts on (the oldest
  // queries' ages, the queries given up on, each rule's selections) goes to the metrics.
  void report_view(const WatchdogConfig& config, const std::string& language);

  EndpointConfig endpoint_;
  std::string label_;  // for logs; the audit and metrics name the endpoint section
  Language language_;
  std::string language_name_;  // "opencypher", "gremlin", "sparql": a label of its metrics
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
  const QuarantineBook* const quarantine_;
  const OperatorControls* const controls_;
  LiveBoard* const board_;
  std::uint64_t failed_polls_ = 0;
  // What the live board shows of this loop after a poll (`error`: empty when it succeeded).
  void publish(const std::string& error);
  std::string board_key() const;
  std::atomic<bool> retiring_{false};  // retire() was called
  std::atomic<bool> retired_{false};   // ... and nothing of the loop runs any more
  std::atomic<InstanceRole> role_{InstanceRole::unknown};

  InstanceWatch watch_;  // touched on strand_ only
  // The most queries a successful poll listed since free memory was last given back to the
  // system; once a poll lists fewer than half of a long list's, it is given back again.
  static constexpr std::size_t kLongList = 2048;
  std::size_t peak_listed_ = 0;
  std::mt19937_64 rng_;
  double unit_random() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
};

}  // namespace nw
