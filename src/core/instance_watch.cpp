#include "nw/core/instance_watch.h"

#include <algorithm>
#include <utility>

#include "nw/core/cancel_lifecycle.h"
#include "nw/core/fingerprint.h"
#include "nw/core/rfc3339.h"

namespace nw {

InstanceWatch::InstanceWatch(std::string endpoint, std::string label, Language language,
                             RunMode mode)
    : endpoint_(std::move(endpoint)), label_(std::move(label)), language_(language), mode_(mode) {}

void InstanceWatch::say(WatchActions& out, WatchNotice::Level level, std::string text) const {
  out.emplace_back(WatchNotice{level, "endpoint " + label_ + ": " + std::move(text)});
}

std::optional<InstanceWatch::TimePoint> InstanceWatch::next_crossing() const {
  if (crossings_.empty()) return std::nullopt;
  return observed_at_ + std::chrono::milliseconds(crossings_.front().due_after_ms);
}

std::optional<InstanceWatch::TimePoint> InstanceWatch::next_crossing_after(TimePoint now) const {
  for (const Crossing& c : crossings_) {
    const auto at = observed_at_ + std::chrono::milliseconds(c.due_after_ms);
    if (at > now) return at;
  }
  return std::nullopt;
}

StepPlan InstanceWatch::begin_step(const WatchdogConfig& config, TimePoint now, WallTime wall_now) {
  StepPlan plan;
  step_began_ = now;
  step_needs_poll_ = false;
  if (draining_) {
    step_polls_ = false;
    return plan;
  }
  if (const auto due = next_crossing(); due && *due <= now)
    step_needs_poll_ = !consume_due_crossings(config, now, wall_now, plan);
  const auto early_poll = last_poll_started_ + config.watchdog.poll_interval / 5;
  step_regular_ = now >= next_poll_;
  step_polls_ = step_regular_ || (step_needs_poll_ && now >= early_poll);
  plan.poll = step_polls_;
  return plan;
}

bool InstanceWatch::consume_due_crossings(const WatchdogConfig& config, TimePoint now,
                                          WallTime wall_now, StepPlan& plan) {
  if (config.watchdog.schedule != Schedule::deadline) {  // switched to fixed by a reload
    crossings_.clear();
    return true;
  }
  const std::int64_t since_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - observed_at_).count();
  std::vector<std::size_t> due;
  bool needs_poll = false;
  const auto end = std::find_if(crossings_.begin(), crossings_.end(),
                                [&](const Crossing& c) { return c.due_after_ms > since_ms; });
  for (auto it = crossings_.begin(); it != end; ++it) {
    if (it->needs_fresh_status)
      needs_poll = true;
    else
      due.push_back(it->query_index);
  }
  // The projected ones are consumed; queued ones stay due until a poll replaces them all.
  crossings_.erase(std::remove_if(crossings_.begin(), end,
                                  [](const Crossing& c) { return !c.needs_fresh_status; }),
                   end);
  if (due.empty()) return !needs_poll;
  if (config.watchdog.confirm_by_id) {
    // Each query is acted on right after its own check (by the caller), so that neither the
    // checks of the others nor their retries stand between a check and its cancel.
    for (const std::size_t index : due) plan.check_ids.push_back(last_seen_->queries.at(index).id);
  } else {
    const StatusSnapshot projected = project(*last_seen_, due, since_ms);
    act_on(config, projected,
           assess(projected, config.policy, wall_now, nullptr, false, overrides(false)).decisions,
           Observation::projected, since_ms, wall_now, plan.actions);
  }
  return !needs_poll;
}

WatchActions InstanceWatch::checked(const WatchdogConfig& config, QueryStatus fresh,
                                    WallTime wall_now) {
  WatchActions out;
  if (draining_) return out;
  StatusSnapshot snapshot;
  snapshot.language = language_;
  snapshot.endpoint = endpoint_;
  snapshot.role = role_;
  snapshot.queries.push_back(std::move(fresh));
  act_on(config, snapshot,
         assess(snapshot, config.policy, wall_now, nullptr, false, overrides(false)).decisions,
         Observation::checked_by_id, 0, wall_now, out);
  return out;
}

WatchActions InstanceWatch::poll_answered(const WatchdogConfig& config, StatusSnapshot snapshot,
                                          TimePoint answered, WallTime wall_now) {
  WatchActions out;
  snapshot.endpoint = endpoint_;  // rules and protections limited to endpoints look at it
  snapshot.role = role_;          // ... and those limited to roles, at this poll's topology
  report_skipped(snapshot, answered, out);
  memory_.poll_listed(snapshot);
  // One evaluation, at one instant, gives both what to do now and when to look again.
  const bool deadline = config.watchdog.schedule == Schedule::deadline;
  Assessment assessment =
      assess(snapshot, config.policy, wall_now, &rule_memo_, deadline, overrides(true));
  governed_ = std::move(assessment.governed);
  oldest_running_ms_ = 0;
  oldest_queued_ms_ = 0;
  for (const QueryStatus& q : snapshot.queries) {
    if (q.queued())
      oldest_queued_ms_ = std::max(oldest_queued_ms_, q.waited_ms);
    else
      oldest_running_ms_ = std::max(oldest_running_ms_, q.elapsed_ms);
  }
  act_on(config, snapshot, std::move(assessment.decisions), Observation::poll, 0, wall_now, out);
  crossings_.clear();
  listed_ = snapshot.queries.size();
  if (deadline) {
    crossings_ = std::move(assessment.crossings);
    observed_at_ = answered;
  }
  // Frees the previous poll's snapshot, unless a reader of the live view still holds it.
  last_seen_ = std::make_shared<const StatusSnapshot>(std::move(snapshot));
  last_seen_wall_ = wall_now;
  return out;
}

WatchActions InstanceWatch::poll_failed(const Failure& failure, int attempts, TimePoint now) {
  WatchActions out;
  const std::string why = printable(failure.describe());
  // No credentials: the last try sent nothing, so say how many requests were sent, if any.
  const std::string tries = failure.kind == FailureKind::credentials && attempts == 0
                                ? std::string("before any request was sent")
                                : "after " + std::to_string(attempts) + " attempt(s)";
  const bool denied = failure.code == "AccessDeniedException" || failure.http_status == 403;
  if (!denied || !last_access_denied_log_ ||
      now - *last_access_denied_log_ >= std::chrono::minutes(1)) {
    say(out, WatchNotice::Level::warn,
        "poll failed " + tries + ": " + why +
            (denied ? " (check the credentials and the IAM policy; repeated at most once a minute)"
                    : ""));
    if (denied) last_access_denied_log_ = now;
  } else {
    say(out, WatchNotice::Level::debug, "poll failed " + tries + ": " + why);
  }
  // Crossings of running queries stay valid (a throttled status endpoint does not stop their
  // clocks); queued ones wanted this poll's answer, and will come from the next good one.
  crossings_.erase(std::remove_if(crossings_.begin(), crossings_.end(),
                                  [](const Crossing& c) { return c.needs_fresh_status; }),
                   crossings_.end());
  return out;
}

InstanceWatch::TimePoint InstanceWatch::finish_step(const WatchdogConfig& config, TimePoint now) {
  const Millis interval = config.watchdog.poll_interval;
  if (step_polls_) {
    if (step_regular_) {
      next_poll_ += interval;
      if (next_poll_ < now) next_poll_ = now;  // an overrun: the next poll at once, no burst
    } else {
      // The regular schedule resumes, but never within a fifth of an interval of this poll.
      next_poll_ = std::max(next_poll_, last_poll_started_ + interval / 5);
    }
    // The next wake-up from what the poll found: its earliest crossing (at once if already
    // due), or the next poll.
    TimePoint wake = next_poll_;
    if (const auto crossing = next_crossing()) wake = std::min(wake, std::max(*crossing, now));
    return wake;
  }
  TimePoint wake = next_poll_;
  if (step_needs_poll_) wake = std::min(wake, last_poll_started_ + interval / 5);
  if (const auto later = next_crossing_after(step_began_)) wake = std::min(wake, *later);
  return wake;
}

InstanceWatch::TimePoint InstanceWatch::retry_later(const WatchdogConfig& config, TimePoint now) {
  next_poll_ = now + config.watchdog.poll_interval;
  return next_poll_;
}

void InstanceWatch::report_skipped(const StatusSnapshot& snapshot, TimePoint now,
                                   WatchActions& out) {
  if (snapshot.skipped_entries > 0)
    say(out, WatchNotice::Level::warn,
        "skipped " + std::to_string(snapshot.skipped_entries) + " status entr" +
            (snapshot.skipped_entries == 1 ? "y" : "ies") + " without a usable queryId");
  if (snapshot.malformed.empty() && malformed_warned_.empty()) return;

  // A malformed entry stays listed for as long as its query runs: it is named once, not at
  // every poll. The ids already named and still listed are kept first, so that new ones never
  // push them out of the memory (and have them named again).
  std::unordered_set<std::string> warned;
  for (const MalformedEntry& m : snapshot.malformed)
    if (malformed_warned_.count(m.id) > 0) warned.insert(m.id);
  std::size_t unnamed = 0;
  for (const MalformedEntry& m : snapshot.malformed) {
    if (warned.count(m.id) > 0) continue;
    if (warned.size() >= kMalformedNamed) {
      ++unnamed;
      continue;
    }
    warned.insert(m.id);
    say(out, WatchNotice::Level::warn,
        "skipped the status entry of query " + loggable_id(m.id) + ": " + m.why +
            "; the other entries are acted on (said once while it stays listed)");
  }
  malformed_warned_ = std::move(warned);  // ids no longer listed malformed are forgotten
  if (unnamed == 0) return;
  if (!last_unnamed_malformed_log_ ||
      now - *last_unnamed_malformed_log_ >= std::chrono::minutes(1)) {
    say(out, WatchNotice::Level::warn,
        "skipped " + std::to_string(unnamed) + " more malformed status entr" +
            (unnamed == 1 ? "y" : "ies") + ", not named one by one (more than " +
            std::to_string(kMalformedNamed) + " at once; repeated at most once a minute)");
    last_unnamed_malformed_log_ = now;
  }
}

void InstanceWatch::act_on(const WatchdogConfig& config, const StatusSnapshot& snapshot,
                           std::vector<Decision> decisions, Observation observation,
                           std::int64_t projected_ms, WallTime wall_now, WatchActions& out) {
  if (observation != Observation::poll) {
    // A projection or a check holds only the queries due, so a concurrency guard would count
    // too few: guards act at polls only. Only broken limits (excess > 0) are acted on here.
    decisions.erase(std::remove_if(decisions.begin(), decisions.end(),
                                   [](const Decision& d) { return d.excess_ms <= 0; }),
                    decisions.end());
    const std::string how =
        observation == Observation::projected
            ? "; projected " + std::to_string(projected_ms) + "ms from the last poll, not confirmed"
            : "; checked by id at its limit, between polls";
    for (Decision& d : decisions) d.reason += how;
  }
  // The worst offenders first, so that a tight budget is spent where it matters most.
  std::stable_sort(decisions.begin(), decisions.end(), [&](const Decision& a, const Decision& b) {
    const auto age = [&](const Decision& d) {
      const auto& q = snapshot.queries[d.query_index];
      return std::max(q.elapsed_ms, q.waited_ms);
    };
    return age(a) > age(b);
  });
  for (const Decision& decision : decisions) handle(config, snapshot, decision, wall_now, out);
}

AuditRecord InstanceWatch::record_for(const WatchdogConfig& config, const StatusSnapshot& snapshot,
                                      const Decision& d, WallTime wall_now) const {
  const QueryStatus& q = snapshot.queries[d.query_index];
  AuditRecord r;
  r.time = wall_now;
  r.endpoint = endpoint_;
  r.language = snapshot.language;
  r.query_id = q.id;
  r.rule = config.policy.rules[d.rule_index].name;
  r.elapsed_ms = q.elapsed_ms;
  r.waited_ms = q.waited_ms;
  r.action = d.action;
  r.silent = d.silent && snapshot.language != Language::gremlin;
  r.dry_run = d.dry_run;
  r.query = q.text;
  if (!q.text.empty())
    r.fingerprint = fingerprint_hex(fingerprint_query(snapshot.language, q.text).hash);
  r.cause = d.cause;
  r.reason = d.reason;
  r.config_version = config.version;
  r.mode = mode_;
  return r;
}

void InstanceWatch::handle(const WatchdogConfig& config, const StatusSnapshot& snapshot,
                           const Decision& decision, WallTime wall_now, WatchActions& out) {
  const Rule& rule = config.policy.rules[decision.rule_index];
  const QueryStatus& query = snapshot.queries[decision.query_index];
  AuditRecord record = record_for(config, snapshot, decision, wall_now);

  // Decisions that send nothing are recorded once per query and rule, not on every poll.
  if (decision.action == RuleAction::log || decision.dry_run) {
    if (!memory_.first_time(query, rule.name)) return;
    record.outcome =
        decision.action == RuleAction::log ? AuditOutcome::logged : AuditOutcome::dry_run;
    out.emplace_back(std::move(record));
    return;
  }

  if (draining_) return;  // removed or replaced by a reload: the new watch decides
  // An operator's pause holds every cancel back; each query's decision is recorded once per
  // pause. The next decision after the pause ends sends its cancel.
  if (const OperatorPause* pause = operator_ ? operator_->pause_at(wall_now) : nullptr) {
    if (!memory_.first_time(query, "paused:" + format_rfc3339_ms(pause->since))) return;
    record.outcome = AuditOutcome::paused;
    record.reason += "; not sent: " + describe_pause(*pause);
    out.emplace_back(std::move(record));
    return;
  }
  CancelHistory history = memory_.history(query);
  history.in_flight = cancelling_.count(query.id) > 0;
  const CancelStep step = next_cancel_step(history);
  if (step == CancelStep::none) return;
  // cancel_ineffective is recorded once per query, also when its retry cannot be sent at once
  // (over budget, paused): the retry is tried at each observation, the record is not repeated.
  const bool note_due =
      step == CancelStep::give_up ||
      (step == CancelStep::retry && memory_.first_time(query, "lifecycle:cancel_ineffective"));
  if (note_due) {
    AuditRecord note = record;
    note.outcome =
        step == CancelStep::retry ? AuditOutcome::cancel_ineffective : AuditOutcome::given_up;
    note.reason = std::string(lifecycle_reason(step, history));
    out.emplace_back(std::move(note));
    if (step == CancelStep::give_up) {
      memory_.gave_up(query);
      // A refusal was logged already (once a minute for the endpoint).
      if (history.refused == 0)
        say(out, WatchNotice::Level::error,
            "query " + loggable_id(query.id) +
                " was still listed after a cancel and a retried cancel; not cancelling it again");
      return;
    }
  }
  // In the cancel path's hands from now on, until cancel_admitted() says it was not taken.
  cancelling_.insert(query.id);
  out.emplace_back(CancelIntent{std::move(record), decision.rule_index, decision.excess_ms, query});
}

std::optional<AuditRecord> InstanceWatch::cancel_admitted(const CancelIntent& intent, bool sent,
                                                          std::optional<AuditRecord> refusal) {
  if (sent) return std::nullopt;
  cancelling_.erase(intent.query.id);
  // A budget refusal is recorded once per query and rule, a held-back cancel once per query,
  // not on every poll.
  if (!refusal) return std::nullopt;
  const std::string key = refusal->outcome == AuditOutcome::budget_exhausted
                              ? "budget:" + refusal->rule
                              : std::string("held_back");
  if (memory_.first_time(intent.query, key)) return refusal;
  return std::nullopt;
}

WatchActions InstanceWatch::cancel_finished(const QueryStatus& query, AuditOutcome outcome,
                                            bool refused, std::string_view error, TimePoint now) {
  WatchActions out;
  cancelling_.erase(query.id);
  if (outcome == AuditOutcome::cancelled) {
    memory_.cancel_acknowledged(query);
  } else if (outcome == AuditOutcome::not_found) {
    memory_.cancel_not_found(query);
  } else if (refused) {
    memory_.cancel_refused(query);
    // A missing permission refuses every cancel of the endpoint until an operator acts: say
    // so once a minute, not once per query.
    if (!last_refusal_log_ || now - *last_refusal_log_ >= std::chrono::minutes(1)) {
      say(out, WatchNotice::Level::error,
          "Neptune refused the cancel of " + loggable_id(query.id) + " (" + printable(error) +
              "); the watchdog's IAM policy needs neptune-db:CancelQuery. Refused queries are "
              "given up, not cancelled again (repeated at most once a minute)");
      last_refusal_log_ = now;
    }
  }
  return out;
}

Overrides InstanceWatch::overrides(bool with_quarantine) const {
  return Overrides(
      with_quarantine ? quarantine_.get() : nullptr,
      operator_ && !operator_->protections.empty() ? &operator_->protections : nullptr);
}

WatchView InstanceWatch::view() const {
  WatchView v;
  v.next_poll = next_poll_;
  v.next_crossing = next_crossing();
  v.crossings = crossings_.size();
  v.listed = listed_;
  v.remembered = memory_.size();
  v.cancels_in_flight = cancelling_.size();
  v.draining = draining_;
  v.oldest_running_ms = oldest_running_ms_;
  v.oldest_queued_ms = oldest_queued_ms_;
  v.given_up_listed = memory_.given_up_listed();
  v.governed = governed_;
  return v;
}

}  // namespace nw
