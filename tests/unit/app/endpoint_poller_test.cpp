// The poll loop and the cancel path on fakes: a scripted Neptune client, a manual clock, a
// manual scheduler and an in-memory audit journal. Deterministic to the millisecond, and each
// test takes no real time (the contract tests cover the same loop over real HTTP).
#include "nw/app/endpoint_poller.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "nw/io/logging.h"
#include "support/fake_neptune_client.h"
#include "support/manual_clock.h"
#include "support/recording_journal.h"

namespace nw {
namespace {

using namespace std::chrono_literals;

QueryStatus running(const std::string& id, std::int64_t elapsed) {
  return QueryStatus{id, "MATCH (n) RETURN n", elapsed, 0, false};
}
QueryStatus queued(const std::string& id, std::int64_t waited, std::int64_t elapsed = 0) {
  return QueryStatus{id, "MATCH (n) RETURN n", elapsed, waited, false};
}
StatusSnapshot listing(std::vector<QueryStatus> queries) {
  StatusSnapshot s;
  s.queries = std::move(queries);
  s.accepted_count = static_cast<std::int64_t>(s.queries.size());
  return s;
}

class LoopOnFakes : public ::testing::Test {
 protected:
  // `workers` 0: the manual scheduler, driven by run_for(); more: real threads.
  EndpointPoller& loop(const std::string& text, std::size_t workers = 0) {
    ConfigResult parsed = parse_config(
        "[retry]\nmax_attempts = 2\ninitial_backoff = 1ms\nmax_backoff = 1ms\n"
        "[endpoint.test]\nurl = http://127.0.0.1:1\n" +
            text,
        "test.ini");
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.errors[0].format("test.ini"));
    holder_ = std::make_unique<ConfigHolder>(
        std::make_shared<const WatchdogConfig>(std::move(parsed.config)));
    budget_ = std::make_unique<CancelBudget>(holder_->get()->policy);
    scheduler_ = std::make_unique<Scheduler>(clock_, Scheduler::Options{workers, workers});
    cancels_ = std::make_unique<CancelDispatcher>(trail_, *budget_, status_, metrics_, *log_, stop_,
                                                  *scheduler_, clock_);
    services_ = std::make_unique<PollerServices>(PollerServices{
        *holder_, trail_, *cancels_, status_, metrics_, *log_, stop_, clock_, *scheduler_});
    auto client = std::make_unique<test::FakeNeptuneClient>();
    client_ = client.get();
    poller_ = std::make_unique<EndpointPoller>(holder_->get()->endpoints[0], Language::opencypher,
                                               std::move(client), *services_);
    return *poller_;
  }

  // Moves the manual clock forward by `d`, running every task at the instant it is due.
  void run_for(Clock::duration d) {
    const auto end = clock_.now() + d;
    for (;;) {
      scheduler_->run_due();
      Scheduler::TimePoint next;
      if (!scheduler_->next_due(next) || next > end) break;
      clock_.advance(next - clock_.now());
    }
    clock_.advance(end - clock_.now());
    scheduler_->run_due();
  }

  ~LoopOnFakes() override {
    stop_.request_stop();
    if (scheduler_) scheduler_->stop(std::chrono::steady_clock::now() + 30s);
  }

  test::ManualClock clock_;
  test::RecordingJournal journal_;
  AuditTrail trail_{journal_};
  StopToken stop_;
  ServiceStatus status_{{"test"}};
  Metrics metrics_;
  std::shared_ptr<spdlog::logger> log_ = make_diagnostic_logger(LogLevel::error);
  std::unique_ptr<ConfigHolder> holder_;
  std::unique_ptr<CancelBudget> budget_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<CancelDispatcher> cancels_;
  std::unique_ptr<PollerServices> services_;
  test::FakeNeptuneClient* client_ = nullptr;
  std::unique_ptr<EndpointPoller> poller_;
};

// Seen 200 ms short of its limit, with the next poll a minute away: the cancel goes out at the
// first millisecond past the limit, on the projection, and not a millisecond before.
TEST_F(LoopOnFakes, ARunningQueryIsCancelledAtTheMillisecondItBreaksItsLimit) {
  auto& p = loop("[watchdog]\npoll_interval = 60s\n[rule.short]\nmax_elapsed = 1200ms\n");
  client_->script_list(listing({running("q-near", 1000)}));
  p.start(clock_.now());
  run_for(200ms);
  EXPECT_TRUE(client_->cancels().empty());
  run_for(1ms);
  EXPECT_EQ(client_->calls(), (std::vector<std::string>{"list", "cancel q-near"}));
  EXPECT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending", "cancelled"}));
  const auto records = journal_.records();
  EXPECT_EQ(records[0].record_id, records[1].record_id);
  EXPECT_NE(records[1].reason.find("projected 201ms from the last poll"), std::string::npos)
      << records[1].reason;
}

// Queued 200 ms short of max_waited; the next poll (early, a fifth of the interval after the
// first) shows it running: it started in time, and nothing is cancelled or recorded.
TEST_F(LoopOnFakes, AQueuedCrossingIsCheckedByAFreshPollNeverProjected) {
  auto& p = loop("[watchdog]\npoll_interval = 60s\n[rule.queue]\nmax_waited = 1200ms\n");
  client_->script_list(listing({queued("q-wait", 1000)}));
  client_->fallback_list(listing({queued("q-wait", 1100, 50)}));
  p.start(clock_.now());
  run_for(11999ms);
  EXPECT_EQ(client_->calls(), std::vector<std::string>{"list"});
  run_for(1ms);  // 12 s: the early poll
  EXPECT_EQ(client_->calls(), (std::vector<std::string>{"list", "list"}));
  EXPECT_TRUE(journal_.records().empty());
}

TEST_F(LoopOnFakes, AQueuedQueryStillWaitingAtItsCrossingIsCancelledOnFreshStatus) {
  auto& p = loop("[watchdog]\npoll_interval = 60s\n[rule.queue]\nmax_waited = 1200ms\n");
  client_->script_list(listing({queued("q-wait", 1000)}));
  client_->script_list(listing({queued("q-wait", 13000)}));
  p.start(clock_.now());
  run_for(12s);
  EXPECT_EQ(client_->calls(), (std::vector<std::string>{"list", "list", "cancel q-wait"}));
  ASSERT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending", "cancelled"}));
  EXPECT_EQ(journal_.records()[1].waited_ms, 13000);  // judged on the fresh reading
  EXPECT_EQ(journal_.records()[1].reason.find("from the last poll"), std::string::npos);
}

// Write-ahead: when the journal refuses the `sending` record, the cancel is not sent. Once it
// takes records again, the first one (a decision recorded as not sent, paused) ends the pause,
// and the next poll's cancels go out, each written ahead.
TEST_F(LoopOnFakes, NoCancelLeavesWithoutItsRecord) {
  auto& p = loop("[rule.long]\nmax_elapsed = 10s\n");
  client_->fallback_list(listing({running("q-a", 60000), running("q-b", 70000)}));
  journal_.refuse_writes(true);
  p.start(clock_.now());
  run_for(12s);  // three polls at the default 5 s
  EXPECT_TRUE(client_->cancels().empty());
  journal_.refuse_writes(false);
  run_for(5s);
  ASSERT_FALSE(journal_.records().empty());
  EXPECT_EQ(journal_.outcomes()[0], "failed");
  EXPECT_NE(journal_.records()[0].error.find("cancelling is paused"), std::string::npos);
  run_for(5s);
  const auto sent = client_->cancels();
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(std::set<std::string>(sent.begin(), sent.begin() + 2),
            (std::set<std::string>{"cancel q-a", "cancel q-b"}));
  for (const auto& r : journal_.records()) {
    if (r.outcome == AuditOutcome::cancelled) {
      EXPECT_FALSE(r.record_id.empty());
    }
  }
}

// A query that survives its cancel: cancel_ineffective, one retry, then given_up once.
TEST_F(LoopOnFakes, TheCancelLifecycleEndsInGivenUp) {
  auto& p = loop("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 10s\n");
  for (int i = 0; i < 4; ++i) client_->script_list(listing({running("q-s", 60000 + 5000 * i)}));
  p.start(clock_.now());
  run_for(16s);  // four polls
  EXPECT_EQ(client_->cancels().size(), 2u);
  EXPECT_EQ(journal_.outcomes(),
            (std::vector<std::string>{"sending", "cancelled", "cancel_ineffective", "sending",
                                      "cancelled", "given_up"}));
}

// The watchdog's identity may not cancel (AccessDenied): one cancel and its `failed` record,
// then `given_up` once, and nothing more however long the query stays listed; counted, and
// logged once.
TEST_F(LoopOnFakes, ARefusedCancelIsGivenUpAfterOneTry) {
  auto& p = loop("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 10s\n");
  for (int i = 0; i < 5; ++i) client_->script_list(listing({running("q-s", 60000 + 5000 * i)}));
  client_->script_cancel(
      Failure{FailureKind::neptune_error, 403, "AccessDeniedException",
              "User: arn:aws:sts::1:assumed-role/w is not authorized to perform: "
              "neptune-db:CancelQuery"});
  p.start(clock_.now());
  run_for(21s);  // five polls
  EXPECT_EQ(client_->cancels().size(), 1u);
  EXPECT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending", "failed", "given_up"}));
  EXPECT_NE(metrics_.render().find("neptune_watchdog_cancels_refused_total{endpoint=\"test\"} 1"),
            std::string::npos)
      << metrics_.render();
}

// A cancel whose answer never came is not known to have failed: its record says which timeout
// ran out and that Neptune may still have carried it out.
TEST_F(LoopOnFakes, ATimedOutCancelSaysNeptuneMayStillHaveCarriedItOut) {
  auto& p = loop("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 10s\n");
  client_->script_list(listing({running("q-t", 60000)}));
  for (int i = 0; i < 2; ++i)  // [retry] max_attempts = 2
    client_->script_cancel(
        Failure{FailureKind::timeout, 0, "", "no answer within request_timeout"});
  p.start(clock_.now());
  run_for(1s);
  ASSERT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending", "failed"}));
  EXPECT_NE(journal_.records()[1].error.find("no answer within request_timeout (request_timeout = "
                                             "10s); Neptune may still have carried out the cancel"),
            std::string::npos)
      << journal_.records()[1].error;
}

// The retry of a query that survived its cancel is over budget: cancel_ineffective is recorded
// once, the refusal once, and neither again on every poll while the query stays listed.
TEST_F(LoopOnFakes, AnIneffectiveCancelOverBudgetIsRecordedOnce) {
  auto& p = loop(
      "[watchdog]\nschedule = fixed\nmax_cancels_per_minute = 1\n[rule.long]\nmax_elapsed = 10s\n");
  for (int i = 0; i < 6; ++i) client_->script_list(listing({running("q-s", 60000 + 5000 * i)}));
  p.start(clock_.now());
  run_for(26s);  // six polls, well within the minute of the budget
  EXPECT_EQ(client_->cancels().size(), 1u);
  EXPECT_EQ(
      journal_.outcomes(),
      (std::vector<std::string>{"sending", "cancelled", "cancel_ineffective", "budget_exhausted"}));
}

// Six offenders at once, Neptune slow to answer: at most max_cancels_in_flight are waiting for
// an answer at any moment, and every one is cancelled in the end (real threads).
TEST_F(LoopOnFakes, CancelsOfOneEndpointAreBoundedInFlight) {
  auto& p = loop("[watchdog]\nmax_cancels_in_flight = 2\n[rule.long]\nmax_elapsed = 10s\n", 4);
  client_->set_cancel_delay(20ms);
  std::vector<QueryStatus> offenders;
  for (int i = 0; i < 6; ++i) offenders.push_back(running("q-" + std::to_string(i), 60000 + i));
  client_->script_list(listing(offenders));
  bool ok = false;
  scheduler_->post(p.strand(), [&] { ok = p.poll_once(); });
  ASSERT_TRUE(scheduler_->wait_idle(std::chrono::steady_clock::now() + 30s));
  EXPECT_TRUE(ok);
  EXPECT_EQ(client_->cancels().size(), 6u);
  EXPECT_LE(client_->max_concurrent_cancels(), 2);
  std::size_t cancelled = 0;
  for (const auto& o : journal_.outcomes()) cancelled += o == "cancelled";
  EXPECT_EQ(cancelled, 6u);
}

// 5,000 offenders at once: two are sent, kMaxWaitingCancels wait their turn and the rest are
// not queued (the next poll decides them again). Shutdown before any send ran writes an outcome
// for each written `sending` record and nothing for the cancels that never left the line.
TEST_F(LoopOnFakes, ShutdownWithAHugeBacklogWritesAHandfulOfRecords) {
  auto& p = loop("[watchdog]\nmax_cancels_in_flight = 2\n[rule.long]\nmax_elapsed = 10s\n");
  std::vector<QueryStatus> offenders;
  for (int i = 0; i < 5000; ++i) offenders.push_back(running("q-" + std::to_string(i), 60000 + i));
  client_->script_list(listing(offenders));
  EXPECT_TRUE(p.poll_once());  // manual scheduler: the sends it posts do not run
  EXPECT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending", "sending"}));
  stop_.request_stop();
  EXPECT_EQ(cancels_->abandon_in_flight(), 2u);
  const auto records = journal_.records();
  ASSERT_EQ(records.size(), 4u);
  std::map<std::string, std::string> outcome_of;
  for (const auto& r : records) {
    if (r.outcome == AuditOutcome::sending) {
      EXPECT_TRUE(outcome_of.emplace(r.record_id, "").second);
    } else {
      ASSERT_EQ(outcome_of.count(r.record_id), 1u) << r.record_id;
      outcome_of[r.record_id] = std::string(to_string(r.outcome));
      EXPECT_EQ(r.error, "not sent: shutting down");
    }
  }
  for (const auto& [id, outcome] : outcome_of) EXPECT_EQ(outcome, "failed") << id;
  EXPECT_TRUE(client_->cancels().empty());
}

// With replicas every cancel asks the ownership gate: refused, nothing is sent or recorded (the
// owner decides); allowed, the records carry the replica and the owner revision.
TEST_F(LoopOnFakes, TheOwnershipGateDecidesWhetherACancelLeaves) {
  auto& p = loop("[rule.long]\nmax_elapsed = 10s\n", 2);
  bool owner = false;
  std::mutex mutex;
  cancels_->gate_with(
      [&](const std::string& unit, Clock::duration needed) -> std::optional<OwnerFence> {
        std::lock_guard<std::mutex> lock(mutex);
        EXPECT_EQ(unit, "endpoint.test");
        EXPECT_EQ(needed, std::chrono::milliseconds(10'000));  // the endpoint's request_timeout
        if (!owner) return std::nullopt;
        return OwnerFence{"replica-1", 42};
      });
  client_->fallback_list(listing({running("q-1", 60000)}));
  bool ok = false;
  scheduler_->post(p.strand(), [&] { ok = p.poll_once(); });
  ASSERT_TRUE(scheduler_->wait_idle(std::chrono::steady_clock::now() + 30s));
  EXPECT_TRUE(ok);
  EXPECT_TRUE(client_->cancels().empty());
  EXPECT_TRUE(journal_.records().empty());
  {
    std::lock_guard<std::mutex> lock(mutex);
    owner = true;
  }
  scheduler_->post(p.strand(), [&] { ok = p.poll_once(); });
  ASSERT_TRUE(scheduler_->wait_idle(std::chrono::steady_clock::now() + 30s));
  EXPECT_EQ(client_->cancels().size(), 1u);
  EXPECT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending", "cancelled"}));
  for (const auto& r : journal_.records()) {
    EXPECT_EQ(r.replica, "replica-1");
    EXPECT_EQ(r.owner_revision, 42);
  }
  EXPECT_FALSE(cancels_->has_cancels_of("endpoint.test"));
}

// Ownership lost while cancels wait their turn or are about to be sent: none leaves. The one
// whose `sending` record is written ends `failed` with the reason; those still waiting end
// without a record. Until they have, the unit is not drained.
TEST_F(LoopOnFakes, CancelsOfAUnitNoLongerOwnedAreNotSent) {
  auto& p = loop("[watchdog]\nmax_cancels_in_flight = 1\n[rule.long]\nmax_elapsed = 10s\n");
  bool owner = true;
  cancels_->gate_with([&](const std::string&, Clock::duration) -> std::optional<OwnerFence> {
    if (!owner) return std::nullopt;
    return OwnerFence{"replica-1", 7};
  });
  client_->script_list(
      listing({running("q-1", 60000), running("q-2", 60001), running("q-3", 60002)}));
  EXPECT_TRUE(p.poll_once());  // manual scheduler: the send it posts has not run
  EXPECT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending"}));
  EXPECT_TRUE(cancels_->has_cancels_of("endpoint.test"));
  EXPECT_FALSE(cancels_->has_cancels_of("endpoint.other"));
  owner = false;
  run_for(1s);
  EXPECT_TRUE(client_->cancels().empty());
  const auto records = journal_.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].outcome, AuditOutcome::failed);
  EXPECT_EQ(records[1].attempts, 0);
  EXPECT_NE(records[1].error.find("not sent: this replica is no longer sure it owns endpoint.test"),
            std::string::npos)
      << records[1].error;
  EXPECT_FALSE(cancels_->has_cancels_of("endpoint.test"));
}

// An operator's pause holds the rules' cancels already waiting their turn too: the one being
// sent finishes, the others are not started, and nothing else leaves until the pause ends.
TEST_F(LoopOnFakes, APauseHoldsTheCancelsWaitingTheirTurn) {
  auto& p = loop("[watchdog]\nmax_cancels_in_flight = 1\n[rule.long]\nmax_elapsed = 10s\n");
  bool paused = false;
  cancels_->pause_with([&] { return paused; });
  client_->script_list(
      listing({running("q-1", 60000), running("q-2", 60001), running("q-3", 60002)}));
  EXPECT_TRUE(p.poll_once());  // one is being sent, two wait their turn
  EXPECT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending"}));
  paused = true;
  run_for(1s);
  EXPECT_EQ(client_->cancels().size(), 1u);
  EXPECT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending", "cancelled"}));
  // New decisions are not queued either while it holds.
  client_->script_list(listing({running("q-2", 61001), running("q-3", 61002)}));
  EXPECT_TRUE(p.poll_once());
  run_for(1s);
  EXPECT_EQ(client_->cancels().size(), 1u);
  paused = false;
  client_->script_list(listing({running("q-2", 62001), running("q-3", 62002)}));
  EXPECT_TRUE(p.poll_once());
  run_for(1s);
  EXPECT_EQ(client_->cancels().size(), 3u);
}

// A full line queues nothing more and records nothing: the query is decided again by the next
// poll, and is sent once the line has room.
TEST_F(LoopOnFakes, AFullWaitingLineDefersCancelsToTheNextPoll) {
  auto& p = loop("[watchdog]\nmax_cancels_in_flight = 1\n[rule.long]\nmax_elapsed = 10s\n");
  std::vector<QueryStatus> offenders;
  for (std::size_t i = 0; i < kMaxWaitingCancels + 2; ++i)  // worst offender first
    offenders.push_back(running("q-" + std::to_string(i), 600000 - static_cast<std::int64_t>(i)));
  client_->script_list(listing(offenders));
  EXPECT_TRUE(p.poll_once());
  EXPECT_EQ(journal_.outcomes(), (std::vector<std::string>{"sending"}));
  scheduler_->run_due();  // every queued cancel is sent, one after another
  const auto cancels = client_->cancels();
  ASSERT_EQ(cancels.size(), kMaxWaitingCancels + 1);
  const auto last = "q-" + std::to_string(kMaxWaitingCancels + 1);
  EXPECT_EQ(std::count(cancels.begin(), cancels.end(), "cancel " + last), 0);
  // Each sent cancel has its `sending` record just before its outcome.
  const auto outcomes = journal_.outcomes();
  ASSERT_EQ(outcomes.size(), 2 * (kMaxWaitingCancels + 1));
  for (std::size_t i = 0; i < outcomes.size(); i += 2) {
    EXPECT_EQ(outcomes[i], "sending");
    EXPECT_EQ(outcomes[i + 1], "cancelled");
  }
  client_->script_list(listing({running(last, 70000)}));
  EXPECT_TRUE(p.poll_once());
  scheduler_->run_due();
  EXPECT_EQ(client_->cancels().back(), "cancel " + last);
}

// A logger that writes into `out`, for tests that count what was said.
std::shared_ptr<spdlog::logger> logger_into(std::ostringstream& out) {
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  logger->set_pattern("%l %v");
  return logger;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The malformed_entries_total sample of the test endpoint's openCypher status, as rendered.
std::string malformed_sample(const Metrics& metrics) {
  const std::string text = metrics.render();
  const std::string name =
      "neptune_watchdog_malformed_entries_total{endpoint=\"test\",language=\"opencypher\"} ";
  const auto at = text.find(name);
  if (at == std::string::npos) return "absent";
  return text.substr(at + name.size(), text.find('\n', at) - at - name.size());
}

StatusSnapshot with_malformed(StatusSnapshot s, std::initializer_list<const char*> ids) {
  for (const char* id : ids)
    s.malformed.push_back(MalformedEntry{id, "queryEvalStats: 'elapsed' is negative"});
  return s;
}

// Entries that could not be read are skipped: the over-limit query listed next to them is
// cancelled, each is warned about once while it stays listed (again if it comes back after a
// poll without it), and every poll counts them.
TEST_F(LoopOnFakes, AMalformedEntryIsSkippedWarnedOnceAndCountedAtEveryPoll) {
  std::ostringstream said;
  log_ = logger_into(said);
  auto& p = loop("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 10s\n");
  StatusSnapshot first = with_malformed(listing({running("q-long", 60000)}), {"q-bad", "q-odd"});
  first.skipped_entries = 1;
  client_->script_list(first);
  client_->script_list(with_malformed(listing({}), {"q-bad", "q-odd"}));
  client_->script_list(with_malformed(listing({}), {"q-odd", "q-bad"}));
  client_->script_list(with_malformed(listing({}), {"q-odd"}));  // q-bad ended
  client_->script_list(
      with_malformed(listing({}), {"q-bad", "q-odd", "q-bad"}));  // q-bad again, twice
  p.start(clock_.now());
  run_for(20s);  // five polls
  EXPECT_EQ(client_->calls(),
            (std::vector<std::string>{"list", "cancel q-long", "list", "list", "list", "list"}));
  EXPECT_EQ(client_->cancels(), std::vector<std::string>{"cancel q-long"});
  const std::string text = said.str();
  EXPECT_EQ(
      occurrences(text,
                  "skipped the status entry of query q-bad: queryEvalStats: 'elapsed' is negative"),
      2u)
      << text;
  EXPECT_EQ(occurrences(text, "skipped the status entry of query q-odd"), 1u) << text;
  EXPECT_EQ(occurrences(text, "without a usable queryId"), 1u) << text;
  EXPECT_EQ(occurrences(text, "warning endpoint test: skipped the status entry"), 3u) << text;
  EXPECT_EQ(malformed_sample(metrics_), std::to_string(3 + 2 + 2 + 1 + 3)) << metrics_.render();
}

// Far more malformed entries than the memory of warned ids holds: each of the first 256 is
// named once, the others are summed up in one line at most once a minute,
// and the names already given are never pushed out by new ones.
TEST_F(LoopOnFakes, AFloodOfMalformedEntriesIsNamedUpToABoundAndSummedUp) {
  std::ostringstream said;
  log_ = logger_into(said);
  auto& p = loop("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 10s\n");
  StatusSnapshot flood;
  for (int i = 0; i < 300; ++i)
    flood.malformed.push_back(MalformedEntry{"bad-" + std::to_string(i), "why"});
  StatusSnapshot reversed = flood;
  std::reverse(reversed.malformed.begin(), reversed.malformed.end());
  client_->script_list(flood);
  client_->script_list(reversed);  // the last ones first: the named ones must stay named
  client_->fallback_list(flood);
  p.start(clock_.now());
  run_for(60s);  // 13 polls
  const std::string text = said.str();
  EXPECT_EQ(occurrences(text, "skipped the status entry of query bad-"), 256u);
  EXPECT_EQ(occurrences(text, "skipped the status entry of query bad-0:"), 1u);
  EXPECT_EQ(occurrences(text, "skipped the status entry of query bad-299:"), 0u);
  EXPECT_EQ(occurrences(text, "skipped 44 more malformed status entries, not named one by one"), 2u)
      << text;  // at the first poll and a minute later
}

// Matching time is counted per endpoint from the first poll on, also when nothing is acted on
// (the manual clock does not move while the rules are evaluated, so the sum here is 0).
TEST_F(LoopOnFakes, EachPollAddsItsMatchingTimeToTheEndpointsCounter) {
  auto& p = loop("[watchdog]\npoll_interval = 5s\n[rule.long]\nmax_elapsed = 10s\n");
  client_->fallback_list(listing({running("q-young", 1000)}));
  const std::string sample = "neptune_watchdog_matching_seconds_total{endpoint=\"test\"} ";
  EXPECT_EQ(metrics_.render().find(sample), std::string::npos);
  p.start(clock_.now());
  run_for(1ms);
  EXPECT_EQ(client_->calls(), std::vector<std::string>{"list"});
  EXPECT_NE(metrics_.render().find(sample), std::string::npos) << metrics_.render();
}

}  // namespace
}  // namespace nw
