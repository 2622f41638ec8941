#include "nw/app/endpoint_poller.h"

#include <algorithm>
#include <malloc.h>

#include <spdlog/spdlog.h>

#include "nw/app/live_board.h"
#include "nw/app/operator_controls.h"
#include "nw/app/quarantine_book.h"
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
      language_(language),
      language_name_(to_string(language)),
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
      quarantine_(services.quarantine),
      controls_(services.controls),
      board_(services.board),
      watch_(endpoint_.name, label_, language, services.mode),
      rng_(std::random_device{}()) {
  role_.store(endpoint_.role, std::memory_order_relaxed);
}

double EndpointPoller::seconds_since(Clock::time_point start) const {
  return std::chrono::duration<double>(clock_.now() - start).count();
}

void EndpointPoller::promise_progress_within(std::chrono::steady_clock::duration wait) {
  if (retiring_.load()) return;  // its name may already belong to the loop that replaces it
  status_.promise_progress_by(label_, clock_.now() + wait + std::chrono::seconds(5));
}

bool EndpointPoller::poll_once() {
  watch_.set_role(role_.load(std::memory_order_relaxed));
  if (controls_) watch_.set_operator(controls_->current());
  return poll(*config_.get());
}

bool EndpointPoller::poll(const WatchdogConfig& config) {
  watch_.poll_started(clock_.now());
  std::chrono::steady_clock::time_point answered;
  auto polled = call_with_retries<StatusSnapshot>(
      [this, &answered] {
        promise_progress_within(request_bound());
        const auto started = clock_.now();
        auto result = client_->list_queries();
        answered = clock_.now();
        const std::chrono::duration<double> latency = answered - started;
        metrics_.poll_finished(endpoint_.name, language_name_, result.ok(),
                               result.ok() ? "" : metric_code(result.failure()), latency.count(),
                               clock_.wall_now());
        return result;
      },
      config.retry, stop_, [this] { return unit_random(); },
      [this](const Failure& f, int attempts, Millis pause) {
        promise_progress_within(pause);
        log_.info("endpoint {}: status request {} failed ({}); retrying in {}ms", label_, attempts,
                  printable(f.describe()), pause.count());
      });
  if (!polled.result) {
    const Failure& failure = polled.result.failure();
    carry_out(config, watch_.poll_failed(failure, polled.attempts, clock_.now()));
    ++failed_polls_;
    if (!retiring_.load()) {
      status_.cycle_finished(label_, false, 0, printable(failure.describe()));
      publish(printable(failure.describe()));
    }
    return false;
  }
  StatusSnapshot& snapshot = polled.result.value();
  const std::size_t listed = snapshot.queries.size();
  const std::string language(to_string(snapshot.language));
  metrics_.entries_skipped(endpoint_.name, std::string(to_string(snapshot.language)),
                           snapshot.skipped_entries + snapshot.malformed.size());
  log_.debug("endpoint {}: {} queries ({} accepted, {} running)", label_, listed,
             snapshot.accepted_count, snapshot.running_count);
  std::int64_t waiting = 0;
  for (const auto& q : snapshot.queries) waiting += q.queued();
  metrics_.queries_seen(endpoint_.name, std::string(to_string(snapshot.language)),
                        static_cast<std::int64_t>(listed) - waiting, waiting);

  // Matching is CPU time on this loop's worker that an expensive regex multiplies: counted, so
  // that it shows before it stretches the poll interval.
  const auto matching_started = clock_.now();
  if (quarantine_) watch_.set_quarantine(quarantine_->current());
  WatchActions actions =
      watch_.poll_answered(config, std::move(snapshot), answered, clock_.wall_now());
  metrics_.matching_finished(endpoint_.name, seconds_since(matching_started));
  carry_out(config, std::move(actions));
  if (!retiring_.load()) report_view(config, language);
  if (!retiring_.load()) status_.cycle_finished(label_, true, listed, "");
  if (!retiring_.load()) publish("");
  trim_after(listed);
  return true;
}

void EndpointPoller::report_view(const WatchdogConfig& config, const std::string& language) {
  // After the poll's actions: a query given up on in this poll counts already.
  const WatchView view = watch_.view();
  metrics_.oldest_queries(endpoint_.name, language,
                          static_cast<double>(view.oldest_running_ms) / 1000.0,
                          static_cast<double>(view.oldest_queued_ms) / 1000.0);
  metrics_.queries_given_up(endpoint_.name, language, view.given_up_listed);
  std::vector<std::pair<std::string, std::size_t>> per_rule;
  per_rule.reserve(config.policy.rules.size());
  for (std::size_t i = 0; i < config.policy.rules.size(); ++i)
    per_rule.emplace_back(config.policy.rules[i].name,
                          i < view.governed.size() ? view.governed[i] : 0);
  metrics_.rules_selected(endpoint_.name, language, per_rule);
}

void EndpointPoller::trim_after(std::size_t listed) {
  // A long list leaves many small blocks behind (ids, texts, the memo's entries) that glibc
  // keeps for reuse. Once the list is short again, give the free pages back to the system:
  // one burst of queries must not raise the daemon's resident memory for good.
  peak_listed_ = std::max(peak_listed_, listed);
  if (peak_listed_ >= kLongList && listed < peak_listed_ / 2) {
    malloc_trim(0);
    peak_listed_ = listed;
  }
}

void EndpointPoller::check_by_id(const WatchdogConfig& config, const std::string& id) {
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
    const auto matching_started = clock_.now();
    WatchActions actions = watch_.checked(config, std::move(got.result.value()), clock_.wall_now());
    metrics_.matching_finished(endpoint_.name, seconds_since(matching_started));
    carry_out(config, std::move(actions));
  } else if (got.result.failure().kind == FailureKind::query_not_found) {
    metrics_.crossing_checked(endpoint_.name, "ended");
    log_.info("endpoint {}: query {} had ended when checked at its limit", label_, loggable_id(id));
  } else {
    metrics_.crossing_checked(endpoint_.name, "failed");
    log_.warn("endpoint {}: could not check query {} at its limit ({}); the next poll decides",
              label_, loggable_id(id), printable(got.result.failure().describe()));
  }
}

void EndpointPoller::carry_out(const WatchdogConfig& config, WatchActions actions) {
  for (WatchAction& action : actions) {
    if (auto* record = std::get_if<AuditRecord>(&action)) {
      trail_.record(*record);
    } else if (auto* intent = std::get_if<CancelIntent>(&action)) {
      submit(config, std::move(*intent));
    } else {
      const auto& notice = std::get<WatchNotice>(action);
      switch (notice.level) {
        case WatchNotice::Level::debug:
          log_.debug("{}", notice.text);
          break;
        case WatchNotice::Level::info:
          log_.info("{}", notice.text);
          break;
        case WatchNotice::Level::warn:
          log_.warn("{}", notice.text);
          break;
        case WatchNotice::Level::error:
          log_.error("{}", notice.text);
          break;
      }
    }
  }
}

void EndpointPoller::submit(const WatchdogConfig& config, CancelIntent intent) {
  if (retiring_.load()) {  // removed or replaced by a reload: the new loop decides
    watch_.cancel_admitted(intent, false, std::nullopt);
    return;
  }
  CancelOrder order;
  order.record = intent.record;
  order.rule = &config.policy.rules[intent.rule_index];
  order.excess_ms = intent.excess_ms;
  order.client =
      client_;  // shared: a cancel may outlive this loop (an endpoint removed by a reload)
  order.retry = config.retry;
  order.pause_on_audit_failure = config.watchdog.pause_on_audit_failure;
  order.label = label_;
  order.max_in_flight = static_cast<std::size_t>(config.watchdog.max_cancels_in_flight);
  order.request_timeout = endpoint_.request_timeout;
  Admitted admitted = cancels_.submit(
      std::move(order), strand_,
      [this, q = intent.query](const CancelResult& result) { cancel_finished(q, result); });
  std::optional<AuditRecord> held;
  if (admitted.admission == Admission::paused) held = admitted.refusal;
  auto due = watch_.cancel_admitted(intent, admitted.admission == Admission::sent,
                                    std::move(admitted.refusal));
  if (held)
    cancels_.record_held_back(*held, due.has_value());
  else if (due)
    trail_.record(*due);
}

void EndpointPoller::start(Clock::time_point first_poll) {
  watch_.start(first_poll);
  promise_progress_within(first_poll - clock_.now());
  scheduler_.schedule_at(strand_, first_poll, [this] { guarded_step(); });
}

EndpointPoller::~EndpointPoller() {
  scheduler_.drop_strand(strand_);
  if (board_) board_->remove(board_key());
}

std::string EndpointPoller::board_key() const {
  // The loop that replaces this one (a reload) has the same label and may publish first.
  return label_ + "@" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
}

void EndpointPoller::publish(const std::string& error) {
  if (!board_) return;
  BoardEntry entry;
  entry.endpoint = endpoint_.name;
  entry.language = language_;
  entry.role = role_.load(std::memory_order_relaxed);
  entry.client = client_;
  entry.request_timeout = endpoint_.request_timeout;
  entry.snapshot = watch_.last_snapshot();
  if (entry.snapshot && !entry.snapshot->endpoint.empty())
    entry.polled_at = watch_.last_snapshot_time();
  entry.last_error = error;
  entry.failed_polls = failed_polls_;
  board_->publish(board_key(), std::move(entry));
}

void EndpointPoller::retire() {
  // On the strand, after whatever task of this loop is running: from then on nothing of this
  // loop runs again, and outcomes of its cancels still in flight find no strand to report to.
  retiring_.store(true);  // a step running now sends no more cancels and reports nothing
  Scheduler& scheduler = scheduler_;
  const Scheduler::StrandId strand = strand_;
  scheduler_.post(strand_, [this, &scheduler, strand] {
    scheduler.drop_strand(strand);
    if (board_) board_->remove(board_key());
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
    const auto again = watch_.retry_later(*config_.get(), clock_.now());
    scheduler_.schedule_at(strand_, again, [this] { guarded_step(); });
  }
}

void EndpointPoller::step() {
  if (stop_.stop_requested() || retired_.load()) return;
  if (retiring_.load()) watch_.drain();
  watch_.set_role(role_.load(std::memory_order_relaxed));
  if (controls_) watch_.set_operator(controls_->current());
  const std::shared_ptr<const WatchdogConfig> config = config_.get();
  StepPlan plan = watch_.begin_step(*config, clock_.now(), clock_.wall_now());
  carry_out(*config, std::move(plan.actions));
  for (const std::string& id : plan.check_ids) {
    if (stop_.stop_requested()) break;
    check_by_id(*config, id);
  }
  if (plan.poll) poll(*config);
  const auto wake = watch_.finish_step(*config, clock_.now());
  if (stop_.stop_requested()) return;
  promise_progress_within(wake - clock_.now());
  scheduler_.schedule_at(strand_, wake, [this] { guarded_step(); });
}

void EndpointPoller::cancel_finished(const QueryStatus& query, const CancelResult& result) {
  if (result.refused) metrics_.cancel_refused(endpoint_.name);
  carry_out(*config_.get(), watch_.cancel_finished(query, result.outcome.outcome, result.refused,
                                                   result.outcome.error, clock_.now()));
}
}  // namespace nw
