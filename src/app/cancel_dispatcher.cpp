#include "nw/app/cancel_dispatcher.h"

#include <algorithm>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "nw/app/retry.h"
#include "nw/core/duration.h"
#include "nw/core/replica_assignment.h"

namespace nw {
namespace {

double unit_random() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

CancelDispatcher::CancelDispatcher(AuditTrail& trail, CancelBudget& budget, ServiceStatus& status,
                                   Metrics& metrics, spdlog::logger& log, StopToken& stop,
                                   Scheduler& scheduler, const Clock& clock,
                                   std::size_t max_sending)
    : trail_(trail),
      budget_(budget),
      status_(status),
      metrics_(metrics),
      log_(log),
      stop_(stop),
      scheduler_(scheduler),
      clock_(clock),
      max_sending_(std::max<std::size_t>(1, max_sending)) {}

Admitted CancelDispatcher::submit(CancelOrder order, Scheduler::StrandId strand, Done done) {
  AuditRecord& record = order.record;
  record.time = clock_.wall_now();
  if (stop_.stop_requested()) {
    record.outcome = AuditOutcome::failed;
    record.error = "not sent: shutting down";
    trail_.record(record);
    return {Admission::stopping, std::nullopt};
  }
  if (!owned(order)) return {Admission::not_owner, std::nullopt};
  if (held_by_operator(order)) return {Admission::operator_paused, std::nullopt};
  // No cancel without a record: while the audit log cannot be written, cancels are not sent.
  // Each is still recorded as not sent (record_held_back()), and the first such record that
  // can be written again ends the pause.
  if (order.pause_on_audit_failure && !trail_.healthy()) {
    record.outcome = AuditOutcome::failed;
    record.error = "not sent: the audit log cannot be written (" + trail_.journal()->last_error() +
                   "); cancelling is paused (on_audit_failure = pause)";
    return {Admission::paused, std::move(record)};
  }
  // The line gate comes before the budget: a cancel not queued spends nothing, and the next
  // poll decides it again while the query is listed.
  bool starts_now = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto lane = lanes_.find(strand);
    if (lane != lanes_.end() && lane->second.waiting.size() >= kMaxWaitingCancels) {
      if (!lane->second.full_warned) {
        lane->second.full_warned = true;
        log_.warn(
            "endpoint {}: {} cancels are waiting their turn; further cancels are not queued until "
            "the line shortens (each poll decides again while the query is listed)",
            order.label, kMaxWaitingCancels);
      }
      return {Admission::line_full, std::nullopt};
    }
    starts_now = (lane == lanes_.end() ||
                  (lane->second.waiting.empty() &&
                   lane->second.sending < std::max<std::size_t>(1, order.max_in_flight))) &&
                 sending_ < max_sending_;
  }
  if (order.rule) {
    if (auto exhausted = budget_.try_spend(*order.rule)) {
      if (budget_.should_warn())
        log_.warn(
            "cancel budget exhausted ({}): cancels are audited as budget_exhausted and not sent",
            *exhausted);
      record.outcome = AuditOutcome::budget_exhausted;
      record.reason += "; over budget: " + *exhausted;
      return {Admission::over_budget, std::move(record)};
    }
    order.rule = nullptr;  // spent; the order may outlive the configuration that held it
  }
  // Write-ahead: the decision is on disk before the cancel leaves. A cancel that must wait its
  // turn gets its record when its send starts: one that never leaves the line (shutdown) then
  // needs no outcome record.
  if (starts_now && !write_ahead(record, order.pause_on_audit_failure))
    return {Admission::not_recorded, std::nullopt};
  std::string record_id = record.record_id;
  std::lock_guard<std::mutex> lock(mutex_);
  ++unfinished_[record.endpoint];
  Lane& lane = lanes_[strand];
  lane.waiting.push_back(Pending{std::move(order), std::move(record_id), strand, std::move(done)});
  start_waiting(lane);
  return {Admission::sent, std::nullopt};
}

bool CancelDispatcher::owned(CancelOrder& order) const {
  if (!gate_) return true;
  const auto fence = gate_(unit_of_endpoint(order.record.endpoint), order.request_timeout);
  if (!fence) return false;
  order.record.replica = fence->replica;
  order.record.owner_revision = fence->revision;
  return true;
}

void CancelDispatcher::record_held_back(const AuditRecord& record, bool tell) {
  const bool written = tell ? trail_.record(record) : trail_.record_quietly(record);
  if (written && trail_.healthy())
    log_.warn("audit log {} is writable again: cancelling resumes", trail_.journal()->path());
}

bool CancelDispatcher::write_ahead(AuditRecord& record, bool pause_on_audit_failure) {
  record.time = clock_.wall_now();
  record.record_id = trail_.next_record_id();
  record.outcome = AuditOutcome::sending;
  const bool written = trail_.record(record);
  if (!written && pause_on_audit_failure) {
    log_.error(
        "audit log {}: the cancel of query {} is not sent, because its record could not be written",
        trail_.journal()->path(), loggable_id(record.query_id));
    return false;
  }
  AuditRecord abandoned = record;
  abandoned.outcome = AuditOutcome::failed;
  abandoned.error = "not sent: shutting down";
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_.emplace(record.record_id, std::move(abandoned));
  return true;
}

void CancelDispatcher::start_waiting(Lane& lane) {
  while (!lane.waiting.empty() && sending_ < max_sending_ &&
         lane.sending < std::max<std::size_t>(1, lane.waiting.front().order.max_in_flight)) {
    auto pending = std::make_shared<Pending>(std::move(lane.waiting.front()));
    lane.waiting.pop_front();
    ++lane.sending;
    ++sending_;
    if (lane.waiting.size() < kMaxWaitingCancels / 2) lane.full_warned = false;
    const Scheduler::StrandId sender = scheduler_.make_strand();
    scheduler_.post(sender, [this, pending, sender] {
      send(*pending);
      scheduler_.drop_strand(sender);
    });
  }
}

bool CancelDispatcher::has_cancels_of(const std::string& unit) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [endpoint, count] : unfinished_)
    if (count > 0 && unit_of_endpoint(endpoint) == unit) return true;
  return false;
}

void CancelDispatcher::send(Pending& pending) {
  // However this ends, the cancel is finished once its outcome (if any) is recorded.
  struct Finished {
    CancelDispatcher& self;
    const std::string endpoint;
    ~Finished() {
      std::lock_guard<std::mutex> lock(self.mutex_);
      auto it = self.unfinished_.find(endpoint);
      if (it != self.unfinished_.end() && --it->second == 0) self.unfinished_.erase(it);
    }
  } finished{*this, pending.order.record.endpoint};
  // Frees the cancel's place in its lane, and starts those waiting for it.
  const auto release = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    auto lane = lanes_.find(pending.strand);
    if (lane == lanes_.end()) return;  // shutdown cleared the lanes
    --lane->second.sending;
    --sending_;
    start_waiting(lane->second);
    // A slot of the daemon-wide bound may be what other lanes were waiting for.
    for (auto& [strand, other] : lanes_)
      if (sending_ < max_sending_) start_waiting(other);
    if (lane->second.sending == 0 && lane->second.waiting.empty()) lanes_.erase(lane);
  };
  if (pending.record_id.empty()) {
    // It waited its turn: the write-ahead record is written now, as its send starts.
    if (stop_.stop_requested()) {
      release();  // never sent, never recorded: as if still waiting
      return;
    }
    const bool owned_now = owned(pending.order);
    const bool held = owned_now && held_by_operator(pending.order);
    if (!owned_now || held ||
        !write_ahead(pending.order.record, pending.order.pause_on_audit_failure)) {
      release();
      CancelResult result{pending.order.record, false};
      result.outcome.outcome = AuditOutcome::failed;
      result.outcome.error = held        ? "not sent: cancelling is paused by an operator"
                             : owned_now ? "not sent: its record could not be written"
                                         : "not sent: this replica no longer owns " +
                                               unit_of_endpoint(pending.order.record.endpoint);
      scheduler_.post(pending.strand, [done = pending.done, result] { done(result); });
      return;
    }
    pending.record_id = pending.order.record.record_id;
  }
  const CancelOrder& order = pending.order;
  const std::string& record_id = pending.record_id;
  const std::string& id = order.record.query_id;
  bool last_refused = false;
  const auto attempt = [&]() -> Result<CancelAck> {
    // Checked before every attempt: a retry may come after the lease stopped being sure.
    if (gate_ && !gate_(unit_of_endpoint(order.record.endpoint), order.request_timeout)) {
      last_refused = true;
      return Failure{FailureKind::aborted, 0, "",
                     "not sent: this replica is no longer sure it owns " +
                         unit_of_endpoint(order.record.endpoint) +
                         " (its etcd lease is not confirmed, or the unit moved)"};
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = in_flight_.find(record_id);
      if (it != in_flight_.end()) {
        ++it->second.attempts;
        it->second.error = "abandoned at shutdown while waiting for Neptune's answer";
      }
    }
    return order.client->cancel_query(id, order.record.silent);
  };
  auto sent = call_with_retries<CancelAck>(
      attempt, order.retry, stop_, unit_random, [&](const Failure& f, int attempts, Millis pause) {
        log_.info("endpoint {}: cancel of {} attempt {} failed ({}); retrying in {}ms", order.label,
                  loggable_id(id), attempts, printable(f.describe()), pause.count());
      });
  AuditRecord outcome = order.record;
  outcome.time = clock_.wall_now();
  outcome.attempts = sent.attempts - (last_refused ? 1 : 0);  // the refused one sent nothing
  if (sent.result) {
    outcome.outcome = AuditOutcome::cancelled;
  } else if (sent.result.failure().kind == FailureKind::query_not_found) {
    outcome.outcome = AuditOutcome::not_found;
    if (sent.attempts > 1)
      outcome.reason +=
          "; an earlier attempt's answer was lost, and that attempt may have ended it";
  } else {
    outcome.outcome = AuditOutcome::failed;
    outcome.error = sent.result.failure().describe();
    if (sent.result.failure().kind == FailureKind::timeout) {
      // The DELETE may have reached Neptune and been carried out: a timed-out cancel is not
      // known to have failed. The next poll shows whether the query is still listed.
      outcome.error += " (request_timeout = " + format_duration(order.request_timeout) +
                       "); Neptune may still have carried out the cancel: the next poll shows "
                       "whether the query is still listed";
    }
  }
  release();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (in_flight_.erase(record_id) == 0) return;  // shutdown recorded it as abandoned
  }
  if (outcome.outcome == AuditOutcome::cancelled) {
    status_.cancel_sent();
    metrics_.cancel_lateness(outcome.endpoint, static_cast<double>(order.excess_ms) / 1000.0);
  }
  trail_.record(outcome);
  CancelResult result{outcome, !sent.result && is_access_denied(sent.result.failure())};
  scheduler_.post(pending.strand, [done = pending.done, result] { done(result); });
}

std::size_t CancelDispatcher::abandon_in_flight() {
  std::map<std::string, AuditRecord> abandoned;
  std::vector<std::pair<std::string, std::size_t>> not_sent;  // label, cancels
  {
    std::lock_guard<std::mutex> lock(mutex_);
    abandoned.swap(in_flight_);
    for (const auto& [strand, lane] : lanes_) {
      std::size_t waiting = 0;
      for (const Pending& p : lane.waiting) waiting += p.record_id.empty();
      if (waiting > 0) not_sent.emplace_back(lane.waiting.front().order.label, waiting);
    }
    lanes_.clear();
    sending_ = 0;
    unfinished_.clear();
  }
  for (auto& [id, record] : abandoned) {
    record.time = clock_.wall_now();
    trail_.record(record);
  }
  // One line per instance, however long its line was: nothing was sent for these, and the
  // queries are decided again when the daemon runs again.
  for (const auto& [label, count] : not_sent)
    log_.warn("endpoint {}: {} cancel(s) were waiting their turn at shutdown and were not sent",
              label, count);
  return abandoned.size();
}

}  // namespace nw
