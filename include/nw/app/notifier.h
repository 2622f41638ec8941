#pragma once
// Notifications to the people on call: the [notify.NAME] sections in force, each a channel
// with its sink (nw/io/notification_sinks.h), its bounded queue (NotificationBatcher) and a
// thread of its own that sends at most one message per batch_window.
//
// Why a thread per section rather than one for all: a sink that hangs (a webhook that never
// answers, a command that runs to its limit) holds only its own thread, for up to its timeout
// times its attempts, and the pager's message is not held up behind a chat webhook's. Sections
// are few (one per destination), and a thread that waits costs nothing; the scheduler's
// workers are never used, so a notification can never delay a poll or a cancel.
//
// The audit trail's observer (record) and notify() never block: they take the channel's lock
// for a push onto its queue, and nothing else is done under that lock. A full queue drops the
// event, counted (neptune_watchdog_notifications_dropped_total) and logged at most once per 10 s
// per sink with the count since. A message that fails is retried with back-off (transport
// errors, timeouts, 5xx, 429, throttling; nw/core/backoff.h) and then dropped, counted and
// logged; a failed notification never changes a decision.
//
// Events: audit records that are cancels, give-ups and budget refusals (notification_of);
// explicit events through notify(): cancelling paused (the daemon, where it judges the audit
// log's health) and a shape quarantined (the quarantine book calls notify(quarantine_event(...))).
//
// Reload (every [notify.*] key is Reload::live): prepare() builds the new sinks first, and a
// sink that cannot be built (an unreadable ca_file) rejects the reload like an endpoint's.
// commit() keeps the channel of a section whose keys did not change (and its queue); a changed
// or removed section's channel sends what it holds at once with its old sink, then ends.
//
// Shutdown: stop() sends what each queue holds at once (one message per sink, no further
// retries past the deadline), waits until the deadline (the daemon gives it 2 s), then cuts
// the sends still running (abort hook, and a command is killed) and says so.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nw/core/audit_record.h"
#include "nw/core/backoff.h"
#include "nw/core/config.h"
#include "nw/core/metrics.h"
#include "nw/core/notification.h"
#include "nw/io/notification_sinks.h"

namespace spdlog {
class logger;
}

namespace nw {

class CredentialChains;
class ExchangeReaper;

struct NotifierOptions {
  // Events each sink's queue holds; more are dropped.
  std::size_t queue_capacity = 1000;
  // Attempts per message, first included, and their back-off.
  RetrySettings retry{4, std::chrono::milliseconds(1000), std::chrono::milliseconds(8000)};
  // At most one "queue full" warning per sink per interval.
  std::chrono::milliseconds drop_warning_interval{10'000};
  // Called at stop() when sends are still running at the deadline: ends their exchanges (the
  // notifier's own ExchangeReaper::abort_all()).
  std::function<void()> abort_sends;
};

class Notifier {
 public:
  using SinkFactory = std::function<std::unique_ptr<NotificationSink>(const NotifyConfig&)>;

  Notifier(Metrics& metrics, spdlog::logger& log, SinkFactory make_sink,
           NotifierOptions options = {});
  // Stops (within 2 s) if stop() was not called.
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  class Channel;
  // The sinks of a configuration, built and not yet in force.
  struct Plan {
    std::vector<NotifyConfig> sections;
    std::vector<std::unique_ptr<NotificationSink>> sinks;  // null: the channel in force stays
  };
  // Builds the sinks `sections` need (none for a section in force with the same keys). Throws
  // EndpointSetupError, and then nothing changes.
  Plan prepare(const std::vector<NotifyConfig>& sections) const;
  // Puts `plan` in force (see the header's comment); never fails.
  void commit(Plan plan);
  // prepare() and commit() at once (start-up).
  void configure(const std::vector<NotifyConfig>& sections) { commit(prepare(sections)); }

  // The audit trail's observer: a written record that is a notification goes to the channels
  // that want it. Never blocks.
  void record(const AuditRecord& record, bool written);
  // An explicit event (paused, quarantine) for the channels that want it. Never blocks.
  void notify(const NotificationEvent& event);
  // Whether cancelling is paused because the audit log cannot be written, as the daemon judges
  // it after each write (often, from many threads): the moment it becomes paused is one
  // `paused` event with `cause`; staying paused, or resuming, is none.
  void cancelling_paused(bool paused, const std::string& cause);

  // Sends what is queued and ends the channels' threads, within `deadline` as said above.
  void stop(std::chrono::steady_clock::time_point deadline);

 private:
  std::vector<std::shared_ptr<Channel>> channels() const;

  Metrics& metrics_;
  spdlog::logger& log_;
  SinkFactory make_sink_;
  NotifierOptions options_;
  mutable std::mutex mutex_;  // guards the lists, never held across a send
  std::vector<std::shared_ptr<Channel>> channels_;
  std::vector<std::shared_ptr<Channel>> retired_;  // flushing their last events
  bool stopped_ = false;
  std::atomic<bool> paused_told_{false};
};

// The notifier's own exchange reaper, so that the daemon's shutdown, which aborts its
// exchanges first, does not cut the final flush. Started with the first sink that sends over
// HTTP: a daemon without webhook or SNS sections runs no thread for it. Thread-safe.
class NotifierReaper {
 public:
  std::shared_ptr<ExchangeReaper> get();
  // Ends every exchange of the notifications still waiting on a peer (shutdown's last resort).
  void abort_all();

 private:
  std::mutex mutex_;
  std::shared_ptr<ExchangeReaper> reaper_;
};

// The daemon's sinks: SNS signed with `chains` (the section's profile, the ARN's region, its
// role), every webhook and SNS exchange held to its deadline by `reaper`.
Notifier::SinkFactory daemon_notification_sinks(CredentialChains& chains,
                                                std::shared_ptr<NotifierReaper> reaper);

}  // namespace nw
