#include "nw/app/endpoint_poller.h"

#include <spdlog/spdlog.h>

#include "nw/app/retry.h"

namespace nw {

EndpointPoller::EndpointPoller(EndpointConfig endpoint, std::shared_ptr<const WatchdogConfig> config,
                               std::unique_ptr<NeptuneClient> client, AuditLog& audit,
                               spdlog::logger& log, StopToken& stop)
    : endpoint_(std::move(endpoint)),
      config_(std::move(config)),
      client_(std::move(client)),
      audit_(audit),
      log_(log),
      stop_(stop),
      rng_(std::random_device{}()) {}

bool EndpointPoller::poll_once() {
  const auto unit_random = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); };
  auto polled = call_with_retries<StatusSnapshot>(
      [this] { return client_->list_queries(); }, config_->retry, stop_, unit_random,
      [this](const Failure& f, int attempts, Millis pause) {
        log_.info("endpoint {}: status request {} failed ({}); retrying in {}ms", endpoint_.name,
                  attempts, f.describe(), pause.count());
      });
  if (!polled.result) {
    log_.warn("endpoint {}: poll failed after {} attempt(s): {}", endpoint_.name, polled.attempts,
              polled.result.failure().describe());
    return false;
  }
  const StatusSnapshot& snapshot = polled.result.value();
  if (snapshot.skipped_entries > 0)
    log_.warn("endpoint {}: skipped {} status entr{} without a queryId", endpoint_.name,
              snapshot.skipped_entries, snapshot.skipped_entries == 1 ? "y" : "ies");
  log_.debug("endpoint {}: {} queries ({} accepted, {} running)", endpoint_.name,
             snapshot.queries.size(), snapshot.accepted_count, snapshot.running_count);

  memory_.keep_only(snapshot);
  for (const Decision& decision : decide(snapshot, config_->policy)) {
    const std::string& rule = config_->policy.rules[decision.rule_index].name;
    const bool sends_cancel = decision.action == RuleAction::cancel && !decision.dry_run;
    // A decision that sends nothing is recorded once per query and rule, not on every poll.
    if (!sends_cancel && !memory_.first_time(snapshot.queries[decision.query_index].id, rule)) continue;
    AuditRecord record = record_for(snapshot, decision);
    act(record, decision);
    write_audit(record);
  }
  return true;
}

void EndpointPoller::run() {
  using Clock = std::chrono::steady_clock;
  auto next = Clock::now();
  while (!stop_.stop_requested()) {
    poll_once();
    next += config_->watchdog.poll_interval;
    const auto now = Clock::now();
    if (next < now) next = now;  // an overrun starts the next poll at once, without a burst
    stop_.sleep_until(next);
  }
}

std::optional<AuditRecord> EndpointPoller::in_flight_cancel() const {
  std::lock_guard<std::mutex> lock(in_flight_mutex_);
  return in_flight_;
}

AuditRecord EndpointPoller::record_for(const StatusSnapshot& snapshot, const Decision& d) const {
  const QueryStatus& q = snapshot.queries[d.query_index];
  AuditRecord r;
  r.time = std::chrono::system_clock::now();
  r.endpoint = endpoint_.name;
  r.language = snapshot.language;
  r.query_id = q.id;
  r.rule = config_->policy.rules[d.rule_index].name;
  r.elapsed_ms = q.elapsed_ms;
  r.waited_ms = q.waited_ms;
  r.action = d.action;
  r.silent = d.silent && snapshot.language != Language::gremlin;
  r.dry_run = d.dry_run;
  r.query = q.text;
  r.reason = d.reason;
  return r;
}

void EndpointPoller::act(AuditRecord& record, const Decision& decision) {
  if (decision.action == RuleAction::log) {
    record.outcome = AuditOutcome::logged;
    return;
  }
  if (decision.dry_run) {
    record.outcome = AuditOutcome::dry_run;
    return;
  }
  if (stop_.stop_requested()) {
    record.outcome = AuditOutcome::failed;
    record.error = "not sent: shutting down";
    return;
  }
  {
    std::lock_guard<std::mutex> lock(in_flight_mutex_);
    in_flight_ = record;
    in_flight_->outcome = AuditOutcome::failed;
    in_flight_->error = "abandoned at shutdown while waiting for Neptune's answer";
  }
  const auto unit_random = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); };
  auto sent = call_with_retries<CancelAck>(
      [&] { return client_->cancel_query(record.query_id, record.silent); }, config_->retry, stop_,
      unit_random, [&](const Failure& f, int attempts, Millis pause) {
        log_.info("endpoint {}: cancel of {} attempt {} failed ({}); retrying in {}ms", endpoint_.name,
                  record.query_id, attempts, f.describe(), pause.count());
      });
  record.time = std::chrono::system_clock::now();
  record.attempts = sent.attempts;
  if (sent.result) {
    record.outcome = AuditOutcome::cancelled;
  } else if (sent.result.failure().kind == FailureKind::query_not_found) {
    record.outcome = AuditOutcome::not_found;
  } else {
    record.outcome = AuditOutcome::failed;
    record.error = sent.result.failure().describe();
  }
}

void EndpointPoller::write_audit(const AuditRecord& record) {
  const bool written = audit_.write(record);
  {
    std::lock_guard<std::mutex> lock(in_flight_mutex_);
    in_flight_.reset();
  }
  const auto level = record.outcome == AuditOutcome::failed ? spdlog::level::warn : spdlog::level::info;
  log_.log(level, "endpoint {}: query {} {} by rule {} ({}){}", endpoint_.name, record.query_id,
           to_string(record.outcome), record.rule, record.reason,
           record.outcome == AuditOutcome::failed ? ": " + record.error : std::string());
  if (!written)
    log_.error("audit log {}: record for query {} NOT written: {}", audit_.path(), record.query_id,
               audit_.last_error());
}

}  // namespace nw
