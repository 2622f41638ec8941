#pragma once
// Notifications, without I/O: which audit records are worth telling the people on call about,
// how the events of one batch window are gathered, and what a message says (the JSON body, the
// Slack text, the SNS subject, the command's environment). The notifier (nw/app/notifier.h)
// holds the queues and threads; the sinks (nw/io/notification_sinks.h) send.
//
// Events come from three places:
//   - the audit trail: a decision record whose outcome is cancelled, given_up or
//     budget_exhausted (notification_of);
//   - the daemon itself: cancelling became paused because the audit log cannot be written
//     (paused_event; such records never reach the trail's observers, so the transition is
//     reported where the daemon judges the audit log's health);
//   - the quarantine book: a query shape put in quarantine (quarantine_event), handed to
//     Notifier::notify by whoever quarantines it.
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "nw/core/audit_record.h"
#include "nw/core/config.h"

namespace nw {

struct NotificationEvent {
  NotifyOn kind = NotifyOn::cancelled;
  std::chrono::system_clock::time_point time;
  // The main fields, empty when the event has none (paused has no query).
  std::string endpoint;
  std::string rule;
  std::string query_id;
  std::string outcome;      // the audit outcome, or the kind for events that are not records
  std::string fingerprint;  // the query's shape, when known
  std::string query;        // the query text as the audit cut it
  std::int64_t elapsed_ms = 0;
  std::int64_t waited_ms = 0;
  std::string detail;  // why: the rule's reason, the pause's cause, the quarantine's reason
  // The event as one JSON object: the audit record's own line for records, so a receiver reads
  // the same fields as the audit log.
  std::string json;
};

// The event of an audit record, or nullopt when the record is not one notifications report
// (another outcome, a dry run, a topology, ownership or ha record).
std::optional<NotificationEvent> notification_of(const AuditRecord& record);

// Cancelling was paused at `time` because the audit log cannot be written; `cause` names it.
NotificationEvent paused_event(std::chrono::system_clock::time_point time,
                               const std::string& cause);

// A query shape put in quarantine by `rule` on `endpoint` (what the quarantine book submits).
NotificationEvent quarantine_event(std::chrono::system_clock::time_point time,
                                   const std::string& endpoint, const std::string& rule,
                                   const std::string& fingerprint, const std::string& detail);

// Whether section `notify` wants `event`: its kind is in `on`, and, when `rules` is set, the
// event's rule is one of them (events without a rule, paused, are not filtered by rules).
bool wanted(const NotifyConfig& notify, const NotificationEvent& event);

// What one message reports: the events of one window, in order, and how many more were
// dropped (the queue was full) since the last message.
struct NotificationBatch {
  std::string sink;  // the section's NAME
  std::vector<NotificationEvent> events;
  std::size_t dropped = 0;
};

// The events waiting for one sink's next message. At most one message per `window`: the
// first event opens a window, and its batch is due when the window closes, but never sooner
// than `window` after the previous message was taken. Bounded: an event beyond `capacity`
// is refused (the caller counts it). Pure: time comes in as a parameter.
class NotificationBatcher {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  NotificationBatcher(std::chrono::milliseconds window, std::size_t capacity);

  // Queues `event` seen at `now`; false when the queue is full (counted in the next batch's
  // `dropped`).
  bool add(NotificationEvent event, TimePoint now);
  // When the waiting events are due; nullopt when none waits.
  std::optional<TimePoint> due() const;
  // Takes the waiting events (and the count of those refused) as one batch: the window closes
  // now, and the next one cannot close before `now + window`.
  NotificationBatch take(const std::string& sink, TimePoint now);

  std::size_t size() const { return events_.size(); }
  std::size_t capacity() const { return capacity_; }
  void set_window(std::chrono::milliseconds window) { window_ = window; }

 private:
  std::chrono::milliseconds window_;
  std::size_t capacity_;
  std::deque<NotificationEvent> events_;
  TimePoint first_at_{};
  std::optional<TimePoint> last_taken_;
  std::size_t refused_ = 0;
};

// One line for a batch, e.g. "neptune-watchdog: 3 queries cancelled on writer by
// [rule.long-reads]" or "neptune-watchdog: 2 queries cancelled, 1 given up on 2 endpoints".
std::string batch_headline(const NotificationBatch& batch);

// The readable summary (Slack's text, plain otherwise): the headline, then one line per event
// (at most kMaxListedEvents, then "… and N more"), cut at kMaxSummaryChars characters.
inline constexpr std::size_t kMaxListedEvents = 20;
inline constexpr std::size_t kMaxSummaryChars = 3000;
std::string batch_summary(const NotificationBatch& batch);

// {"source":"neptune-watchdog","sink":NAME,"headline":...,"count":N,"dropped":D,
//  "events":[EVENT_JSON, ...]}
std::string batch_json(const NotificationBatch& batch);

// Slack's incoming-webhook payload: {"text": the summary, with &, < and > escaped as Slack
// asks}.
std::string slack_payload(const NotificationBatch& batch);

// SNS's Subject: the headline, ASCII, at most 100 characters, no line break.
std::string sns_subject(const NotificationBatch& batch);

// The environment a command sink's program gets, "NAME=value": the fields of the batch's first
// event (NW_EVENT, NW_ENDPOINT, NW_RULE, NW_QUERY_ID, NW_OUTCOME, NW_FINGERPRINT, NW_TIME),
// and NW_COUNT (events in the batch), NW_DROPPED, NW_SINK and NW_SUMMARY (the headline).
// Values are made one line of printable text.
std::vector<std::string> command_environment(const NotificationBatch& batch);

}  // namespace nw
