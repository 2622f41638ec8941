#include "nw/app/endpoint_poller.h"

#include <algorithm>
#include <malloc.h>

#include <spdlog/spdlog.h>

#include "nw/app/retry.h"

namespace nw {

std::string EndpointPoller::label(const EndpointConfig& endpoint, Language language) {
  if (endpoint.languages.size() <= 1) return endpoint.name;
  return endpoint.name + "/" + std::string(to_string(language));
}

EndpointPoller::EndpointPoller(EndpointConfig endpoint, Language language,
                               std::unique_ptr<NeptuneClient> client,
                               const PollerServices& services)
    : endpoint_(std::move(endpoint)),
      label_(label(endpoint_, language)),
      config_(services.config),
      client_(std::move(client)),
      trail_(services.trail),
      cancels_(services.cancels),
      status_(services.status),
      metrics_(services.metrics),
      log_(services.log),
      stop_(services.stop),
      clock_(services.clock),
      scheduler_(services.scheduler),
      strand_(services.scheduler.make_strand()),
      mode_(services.mode),
      rng_(std::random_device{}()) {}

double EndpointPoller::seconds_since(Clock::time_point start) const {
  return std::chrono::duration<double>(clock_.now() - start).count();
}

void EndpointPoller::promise_progress_within(std::chrono::steady_clock::duration wait) {
  if (retiring_.load()) return;  // its name may already belong to the loop that replaces it
  status_.promise_progress_by(label_, clock_.now() + wait + std::chrono::seconds(5));
}

bool EndpointPoller::poll_once() {
  const std::shared_ptr<const WatchdogConfig> config = config_.get();

  last_poll_started_ = clock_.now();
  std::chrono::steady_clock::time_point answered;
  auto polled = call_with_retries<StatusSnapshot>(
      [this, &answered] {
        promise_progress_within(request_bound());
        const auto started = clock_.now();
        auto result = client_->list_queries();
        answered = clock_.now();
        const std::chrono::duration<double> latency = answered - started;
        metrics_.poll_finished(endpoint_.name, result.ok(),
                               result.ok() ? "" : metric_code(result.failure()), latency.count(),
                               clock_.wall_now());
        return result;
      },
      config->retry, stop_, [this] { return unit_random(); },
      [this](const Failure& f, int attempts, Millis pause) {
        promise_progress_within(pause);
        log_.info("endpoint {}: status request {} failed ({}); retrying in {}ms", label_, attempts,
                  printable(f.describe()), pause.count());
      });
  if (!polled.result) {
    const Failure& failure = polled.result.failure();
    const std::string why = printable(failure.describe());
    // No credentials: the last try sent nothing, so say how many requests were sent, if any.
    const std::string tries = failure.kind == FailureKind::credentials && polled.attempts == 0
                                  ? std::string("before any request was sent")
                                  : "after " + std::to_string(polled.attempts) + " attempt(s)";
    // Wrong or expired credentials fail every poll until an operator acts: say so once a
    // minute rather than every few seconds.
    const bool denied = failure.code == "AccessDeniedException" || failure.http_status == 403;
    const auto now = clock_.now();
    if (!denied || !last_access_denied_log_ ||
        now - *last_access_denied_log_ >= std::chrono::minutes(1)) {
      log_.warn("endpoint {}: poll failed {}: {}{}", label_, tries, why,
                denied
                    ? " (check the credentials and the IAM policy; repeated at most once a minute)"
                    : "");
      if (denied) last_access_denied_log_ = now;
    } else {
      log_.debug("endpoint {}: poll failed {}: {}", label_, tries, why);
    }
    if (!retiring_.load()) status_.cycle_finished(label_, false, 0, why);
    // Crossings of running queries stay valid (a throttled status endpoint does not stop their
    // clocks); queued ones wanted this poll's answer, and will come from the next good one.
    crossings_.erase(std::remove_if(crossings_.begin(), crossings_.end(),
                                    [](const Crossing& c) { return c.needs_fresh_status; }),
                     crossings_.end());
    return false;
  }
  const StatusSnapshot& snapshot = polled.result.value();
  report_skipped(snapshot);
  log_.debug("endpoint {}: {} queries ({} accepted, {} running)", label_, snapshot.queries.size(),
             snapshot.accepted_count, snapshot.running_count);

  std::int64_t waiting = 0;
  for (const auto& q : snapshot.queries) waiting += q.queued();
  metrics_.queries_seen(endpoint_.name, std::string(to_string(snapshot.language)),
                        static_cast<std::int64_t>(snapshot.queries.size()) - waiting, waiting);
  memory_.poll_listed(snapshot);
  // One evaluation, at one instant, gives both what to do now and when to look again.
  const bool deadline = config->watchdog.schedule == Schedule::deadline;
  Assessment assessment = assess_timed(*config, snapshot, Observation::poll, deadline);
  act_on(*config, snapshot, std::move(assessment.decisions), Observation::poll);
  if (!retiring_.load()) status_.cycle_finished(label_, true, snapshot.queries.size(), "");

  crossings_.clear();
  const std::size_t listed = snapshot.queries.size();
  if (deadline) {
    crossings_ = std::move(assessment.crossings);
    observed_at_ = answered;
    last_seen_ = std::move(polled.result.value());  // frees the previous poll's snapshot
  }
  // A long list leaves many small blocks behind (ids, texts, the memo's entries) that glibc
  // keeps for reuse. Once the list is short again, give the free pages back to the system:
  // one burst of queries must not raise the daemon's resident memory for good.
  peak_listed_ = std::max(peak_listed_, listed);
  if (peak_listed_ >= kLongList && listed < peak_listed_ / 2) {
    malloc_trim(0);
    peak_listed_ = listed;
  }
  return true;
}

void EndpointPoller::report_skipped(const StatusSnapshot& snapshot) {
  metrics_.entries_skipped(endpoint_.name, std::string(to_string(snapshot.language)),
                           snapshot.skipped_entries + snapshot.malformed.size());
  if (snapshot.skipped_entries > 0)
    log_.warn("endpoint {}: skipped {} status entr{} without a usable queryId", label_,
              snapshot.skipped_entries, snapshot.skipped_entries == 1 ? "y" : "ies");
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
    log_.warn(
        "endpoint {}: skipped the status entry of query {}: {}; the other entries are acted on "
        "(said once while it stays listed)",
        label_, loggable_id(m.id), m.why);
  }
  malformed_warned_ = std::move(warned);  // ids no longer listed malformed are forgotten
  if (unnamed == 0) return;
  const auto now = clock_.now();
  if (!last_unnamed_malformed_log_ ||
      now - *last_unnamed_malformed_log_ >= std::chrono::minutes(1)) {
    log_.warn(
        "endpoint {}: skipped {} more malformed status entr{}, not named one by one (more than {} "
        "at once; repeated at most once a minute)",
        label_, unnamed, unnamed == 1 ? "y" : "ies", kMalformedNamed);
    last_unnamed_malformed_log_ = now;
  }
}

std::optional<std::chrono::steady_clock::time_point> EndpointPoller::next_crossing() const {
  if (crossings_.empty()) return std::nullopt;
  return observed_at_ + std::chrono::milliseconds(crossings_.front().due_after_ms);
}

std::optional<std::chrono::steady_clock::time_point> EndpointPoller::next_crossing_after(
    std::chrono::steady_clock::time_point now) const {
  for (const Crossing& c : crossings_) {
    const auto at = observed_at_ + std::chrono::milliseconds(c.due_after_ms);
    if (at > now) return at;
  }
  return std::nullopt;
}

bool EndpointPoller::act_on_due_crossings(std::chrono::steady_clock::time_point now) {
  const std::shared_ptr<const WatchdogConfig> config = config_.get();

  if (config->watchdog.schedule != Schedule::deadline) {  // switched to fixed by a reload
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
  if (!due.empty()) {
    if (config->watchdog.confirm_by_id) {
      // Each query is acted on right after its own check, so that neither the checks of the
      // others nor their retries stand between a check and its cancel.
      for (const std::size_t index : due) {
        if (stop_.stop_requested()) break;
        const StatusSnapshot checked = check_by_id(*config, index);
        if (!checked.queries.empty())
          act_on(*config, checked,
                 assess_timed(*config, checked, Observation::checked_by_id, false).decisions,
                 Observation::checked_by_id);
      }
    } else {
      const StatusSnapshot projected = project(last_seen_, due, since_ms);
      act_on(*config, projected,
             assess_timed(*config, projected, Observation::projected, false).decisions,
             Observation::projected, since_ms);
    }
  }
  return !needs_poll;
}

StatusSnapshot EndpointPoller::check_by_id(const WatchdogConfig& config, std::size_t index) {
  StatusSnapshot checked;
  checked.language = last_seen_.language;
  const std::string& id = last_seen_.queries.at(index).id;
  auto got = call_with_retries<QueryStatus>(
      [&] {
        promise_progress_within(request_bound());
        return client_->get_query(id);
      },
      config.retry, stop_, [this] { return unit_random(); },
      [&](const Failure& f, int attempts, Millis pause) {
        promise_progress_within(pause);
        log_.info("endpoint {}: status request {} for query {} failed ({}); retrying in {}ms",
                  label_, attempts, loggable_id(id), printable(f.describe()), pause.count());
      });
  if (got.result) {
    metrics_.crossing_checked(endpoint_.name, "confirmed");
    checked.queries.push_back(std::move(got.result.value()));
  } else if (got.result.failure().kind == FailureKind::query_not_found) {
    metrics_.crossing_checked(endpoint_.name, "ended");
    log_.info("endpoint {}: query {} had ended when checked at its limit", label_, loggable_id(id));
  } else {
    metrics_.crossing_checked(endpoint_.name, "failed");
    log_.warn("endpoint {}: could not check query {} at its limit ({}); the next poll decides",
              label_, loggable_id(id), printable(got.result.failure().describe()));
  }
  return checked;
}

Assessment EndpointPoller::assess_timed(const WatchdogConfig& config,
                                        const StatusSnapshot& snapshot, Observation observation,
                                        bool with_crossings) {
  // Matching is CPU time on this loop's worker that an expensive regex multiplies: counted, so
  // that it shows before it stretches the poll interval. Only polls are memoized: projections
  // and checks hold a few queries each.
  const auto matching_started = clock_.now();
  Assessment assessment =
      assess(snapshot, config.policy, clock_.wall_now(),
             observation == Observation::poll ? &rule_memo_ : nullptr, with_crossings);
  metrics_.matching_finished(endpoint_.name, seconds_since(matching_started));
  return assessment;
}

void EndpointPoller::act_on(const WatchdogConfig& config, const StatusSnapshot& snapshot,
                            std::vector<Decision> decisions, Observation observation,
                            std::int64_t projected_ms) {
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
  for (const Decision& decision : decisions) handle(config, snapshot, decision);
}

void EndpointPoller::start(Clock::time_point first_poll) {
  next_poll_ = first_poll;
  promise_progress_within(first_poll - clock_.now());
  scheduler_.schedule_at(strand_, first_poll, [this] { guarded_step(); });
}

EndpointPoller::~EndpointPoller() {
  scheduler_.drop_strand(strand_);
}

void EndpointPoller::retire() {
  // On the strand, after whatever task of this loop is running: from then on nothing of this
  // loop runs again, and outcomes of its cancels still in flight find no strand to report to.
  retiring_.store(true);  // a step running now sends no more cancels and reports nothing
  Scheduler& scheduler = scheduler_;
  const Scheduler::StrandId strand = strand_;
  scheduler_.post(strand_, [this, &scheduler, strand] {
    scheduler.drop_strand(strand);
    // Last: from here on the supervisor may destroy this loop, so nothing touches `this` after.
    retired_.store(true, std::memory_order_release);
  });
}

void EndpointPoller::guarded_step() {
  try {
    step();
  } catch (const std::exception& e) {
    // Nothing the network or Neptune does throws (the client returns typed failures); this is
    // an allocation failure or a defect. Say so, and keep the loop alive: poll again later.
    log_.error("endpoint {}: poll loop step failed: {}; trying again in one poll_interval", label_,
               e.what());
    if (stop_.stop_requested() || retiring_.load()) return;
    const auto again = clock_.now() + config_.get()->watchdog.poll_interval;
    next_poll_ = again;
    scheduler_.schedule_at(strand_, again, [this] { guarded_step(); });
  }
}

void EndpointPoller::step() {
  if (stop_.stop_requested() || retired_.load()) return;
  const Millis interval = config_.get()->watchdog.poll_interval;
  const auto now = clock_.now();
  bool needs_poll = false;
  if (const auto due = next_crossing(); due && *due <= now) needs_poll = !act_on_due_crossings(now);
  // A queued query's crossing needs fresh status. Early polls start at least a fifth of
  // poll_interval after the previous one, so a long queue cannot multiply Neptune's load.
  const auto early_poll = last_poll_started_ + interval / 5;
  auto wake = next_poll_;
  if (now >= next_poll_ || (needs_poll && now >= early_poll)) {
    const bool regular = now >= next_poll_;
    poll_once();
    if (regular) {
      next_poll_ += interval;
      const auto after = clock_.now();
      if (next_poll_ < after)
        next_poll_ = after;  // an overrun starts the next poll at once, without a burst
    } else {
      // The regular schedule resumes, but never within a fifth of an interval of this poll.
      next_poll_ = std::max(next_poll_, last_poll_started_ + interval / 5);
    }
    // The next wake-up from what the poll found: its earliest crossing (at once if already
    // due), or the next poll.
    const auto after = clock_.now();
    wake = next_poll_;
    if (const auto crossing = next_crossing()) wake = std::min(wake, std::max(*crossing, after));
  } else {
    if (needs_poll) wake = std::min(wake, early_poll);
    if (const auto later = next_crossing_after(now)) wake = std::min(wake, *later);
  }
  if (stop_.stop_requested()) return;
  promise_progress_within(wake - clock_.now());
  scheduler_.schedule_at(strand_, wake, [this] { guarded_step(); });
}

AuditRecord EndpointPoller::record_for(const WatchdogConfig& config, const StatusSnapshot& snapshot,
                                       const Decision& d) const {
  const QueryStatus& q = snapshot.queries[d.query_index];
  AuditRecord r;
  r.time = clock_.wall_now();
  r.endpoint = endpoint_.name;
  r.language = snapshot.language;
  r.query_id = q.id;
  r.rule = config.policy.rules[d.rule_index].name;
  r.elapsed_ms = q.elapsed_ms;
  r.waited_ms = q.waited_ms;
  r.action = d.action;
  r.silent = d.silent && snapshot.language != Language::gremlin;
  r.dry_run = d.dry_run;
  r.query = q.text;
  r.reason = d.reason;
  r.config_version = config.version;
  r.mode = mode_;
  return r;
}

void EndpointPoller::handle(const WatchdogConfig& config, const StatusSnapshot& snapshot,
                            const Decision& decision) {
  const Rule& rule = config.policy.rules[decision.rule_index];
  const QueryStatus& query = snapshot.queries[decision.query_index];
  AuditRecord record = record_for(config, snapshot, decision);

  // Decisions that send nothing are recorded once per query and rule, not on every poll.
  if (decision.action == RuleAction::log || decision.dry_run) {
    if (!memory_.first_time(query, rule.name)) return;
    record.outcome =
        decision.action == RuleAction::log ? AuditOutcome::logged : AuditOutcome::dry_run;
    trail_.record(record);
    return;
  }

  if (retiring_.load()) return;  // removed or replaced by a reload: the new loop decides
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
    trail_.record(note);
    if (step == CancelStep::give_up) {
      memory_.gave_up(query);
      // A refusal was logged already (once a minute for the endpoint).
      if (history.refused == 0)
        log_.error(
            "endpoint {}: query {} was still listed after a cancel and a retried cancel; not "
            "cancelling it again",
            label_, loggable_id(query.id));
      return;
    }
  }

  CancelOrder order;
  order.record = std::move(record);
  order.rule = &rule;
  order.excess_ms = decision.excess_ms;
  order.client =
      client_;  // shared: a cancel may outlive this loop (an endpoint removed by a reload)
  order.retry = config.retry;
  order.pause_on_audit_failure = config.watchdog.pause_on_audit_failure;
  order.label = label_;
  order.max_in_flight = static_cast<std::size_t>(config.watchdog.max_cancels_in_flight);
  const QueryStatus& q = query;
  const Admitted admitted =
      cancels_.submit(std::move(order), strand_,
                      [this, q](const CancelResult& result) { cancel_finished(q, result); });
  if (admitted.admission == Admission::sent) {
    cancelling_.insert(query.id);
    return;
  }
  // A budget refusal is recorded once per query and rule, not on every poll.
  if (admitted.refusal && memory_.first_time(query, "budget:" + admitted.refusal->rule))
    trail_.record(*admitted.refusal);
}

void EndpointPoller::cancel_finished(const QueryStatus& query, const CancelResult& result) {
  cancelling_.erase(query.id);
  if (result.outcome.outcome == AuditOutcome::cancelled) {
    memory_.cancel_acknowledged(query);
  } else if (result.outcome.outcome == AuditOutcome::not_found) {
    memory_.cancel_not_found(query);
  } else if (result.refused) {
    memory_.cancel_refused(query);
    metrics_.cancel_refused(endpoint_.name);
    // A missing permission refuses every cancel of the endpoint until an operator acts: say
    // so once a minute, not once per query.
    const auto now = clock_.now();
    if (!last_refusal_log_ || now - *last_refusal_log_ >= std::chrono::minutes(1)) {
      log_.error(
          "endpoint {}: Neptune refused the cancel of {} ({}); the watchdog's IAM policy needs "
          "neptune-db:CancelQuery. Refused queries are given up, not cancelled again (repeated at "
          "most once a minute)",
          label_, loggable_id(query.id), printable(result.outcome.error));
      last_refusal_log_ = now;
    }
  }
}
}  // namespace nw
