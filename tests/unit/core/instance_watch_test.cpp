// One instance's watch as plain function calls: every schedule edge and every step of a
// cancel's life at chosen instants, with no thread, socket, file or clock.
#include "nw/core/instance_watch.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace nw {
namespace {

using namespace std::chrono_literals;
using TimePoint = InstanceWatch::TimePoint;

const TimePoint t0 = TimePoint{} + 1000h;
const auto kWall = std::chrono::system_clock::from_time_t(1795608000);

WatchdogConfig config(const std::string& text) {
  ConfigResult parsed =
      parse_config("[endpoint.test]\nurl = http://127.0.0.1:1\n" + text, "test.ini");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.errors[0].format("test.ini"));
  return std::move(parsed.config);
}

QueryStatus running(const std::string& id, std::int64_t elapsed) {
  return QueryStatus{id, "MATCH (n) RETURN n", elapsed, 0, false};
}
QueryStatus queued(const std::string& id, std::int64_t waited) {
  return QueryStatus{id, "MATCH (n) RETURN n", 0, waited, false};
}
StatusSnapshot listing(std::vector<QueryStatus> queries) {
  StatusSnapshot s;
  s.queries = std::move(queries);
  return s;
}

// One line per action: "record <outcome> <id>", "cancel <id>", "<level> <text>".
std::vector<std::string> summary(const WatchActions& actions) {
  std::vector<std::string> out;
  for (const WatchAction& a : actions) {
    if (const auto* r = std::get_if<AuditRecord>(&a))
      out.push_back("record " + std::string(to_string(r->outcome)) + " " + r->query_id);
    else if (const auto* c = std::get_if<CancelIntent>(&a))
      out.push_back("cancel " + c->query.id);
    else {
      const auto& n = std::get<WatchNotice>(a);
      static const char* const kLevels[] = {"debug", "info", "warn", "error"};
      out.push_back(std::string(kLevels[static_cast<int>(n.level)]) + " " + n.text);
    }
  }
  return out;
}

const CancelIntent& only_cancel(const WatchActions& actions) {
  const CancelIntent* found = nullptr;
  for (const WatchAction& a : actions)
    if (const auto* c = std::get_if<CancelIntent>(&a)) {
      EXPECT_EQ(found, nullptr) << "more than one cancel";
      found = c;
    }
  EXPECT_NE(found, nullptr) << "no cancel";
  static const CancelIntent none;
  return found ? *found : none;
}

// A whole step at `now` whose poll (if due) answers `answer` at once.
struct Stepped {
  StepPlan plan;
  WatchActions polled;
  TimePoint wake;
};
Stepped step(InstanceWatch& w, const WatchdogConfig& c, TimePoint now,
             const StatusSnapshot& answer) {
  Stepped s;
  s.plan = w.begin_step(c, now, kWall);
  if (s.plan.poll) {
    w.poll_started(now);
    s.polled = w.poll_answered(c, answer, now, kWall);
  }
  s.wake = w.finish_step(c, now);
  return s;
}

TEST(InstanceWatch, PollsAtItsIntervalAndAfterAnOverrunAtOnceWithoutABurst) {
  const auto c =
      config("[watchdog]\npoll_interval = 5s\nschedule = fixed\n[rule.long]\nmax_elapsed = 1h\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  EXPECT_FALSE(w.begin_step(c, t0 - 1ms, kWall).poll);
  EXPECT_EQ(w.finish_step(c, t0 - 1ms), t0);

  auto s = step(w, c, t0, listing({}));
  EXPECT_TRUE(s.plan.poll);
  EXPECT_EQ(s.wake, t0 + 5s);

  // The poll at +5s takes 12s to answer: the next one starts at once, then every 5s again.
  const StepPlan plan = w.begin_step(c, t0 + 5s, kWall);
  ASSERT_TRUE(plan.poll);
  w.poll_started(t0 + 5s);
  w.poll_answered(c, listing({}), t0 + 17s, kWall);
  EXPECT_EQ(w.finish_step(c, t0 + 17s), t0 + 17s);
  EXPECT_EQ(step(w, c, t0 + 17s, listing({})).wake, t0 + 22s);
}

TEST(InstanceWatch, ARunningQueryIsProjectedToItsCrossingAndCancelledThere) {
  const auto c = config("[watchdog]\npoll_interval = 5s\n[rule.long]\nmax_elapsed = 10s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  auto s = step(w, c, t0, listing({running("q1", 8'000)}));
  EXPECT_TRUE(summary(s.polled).empty());
  EXPECT_EQ(s.wake, t0 + 2001ms);  // exceeded, not reached
  EXPECT_EQ(w.view().crossings, 1u);

  const StepPlan plan = w.begin_step(c, t0 + 2001ms, kWall);
  EXPECT_FALSE(plan.poll);
  EXPECT_TRUE(plan.check_ids.empty());
  const CancelIntent& cancel = only_cancel(plan.actions);
  EXPECT_EQ(cancel.query.elapsed_ms, 10'001);
  EXPECT_EQ(cancel.excess_ms, 1);
  EXPECT_NE(cancel.record.reason.find("projected 2001ms from the last poll"), std::string::npos);
  EXPECT_EQ(w.finish_step(c, t0 + 2001ms), t0 + 5s);
  EXPECT_EQ(w.view().crossings, 0u);
  EXPECT_EQ(w.view().cancels_in_flight, 1u);
}

TEST(InstanceWatch, WithConfirmByIdACrossingIsCheckedAndDecidedOnTheFreshStatus) {
  const auto c = config(
      "[watchdog]\npoll_interval = 5s\nconfirm_by_id = true\n[rule.long]\nmax_elapsed = 10s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  step(w, c, t0, listing({running("q1", 8'000), running("q2", 9'000)}));
  const StepPlan plan = w.begin_step(c, t0 + 2001ms, kWall);
  EXPECT_EQ(plan.check_ids, (std::vector<std::string>{"q2", "q1"}));
  EXPECT_TRUE(plan.actions.empty());
  // q2 ended and a new q2 started under its id: judged by its own clock, nothing to do.
  EXPECT_TRUE(w.checked(c, running("q2", 300), kWall).empty());
  const WatchActions acted = w.checked(c, running("q1", 10'050), kWall);
  EXPECT_EQ(only_cancel(acted).query.id, "q1");
  EXPECT_NE(only_cancel(acted).record.reason.find("checked by id at its limit"), std::string::npos);
}

// The watch names its endpoint in what it assesses: on polls, projections and checks by id,
// a rule limited to other endpoints leaves its queries to the next rule.
TEST(InstanceWatch, ARuleLimitedToOtherEndpointsDoesNotGovernItsQueries) {
  const auto c = config(
      "[watchdog]\npoll_interval = 5s\n[rule.writer]\nmax_elapsed = 1s\nendpoints = writer\n"
      "[rule.long]\nmax_elapsed = 10s\n");
  {
    InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
    w.start(t0);
    auto s = step(w, c, t0, listing({running("q1", 8'000)}));
    EXPECT_TRUE(summary(s.polled).empty());
    EXPECT_EQ(s.wake, t0 + 2001ms);
    EXPECT_EQ(only_cancel(w.begin_step(c, t0 + 2001ms, kWall).actions).record.rule, "long");
    EXPECT_TRUE(w.checked(c, running("q2", 9'000), kWall).empty());
  }
  {
    InstanceWatch w("writer", "writer", Language::opencypher, RunMode::service);
    w.start(t0);
    auto s = step(w, c, t0, listing({running("q1", 8'000)}));
    EXPECT_EQ(only_cancel(s.polled).record.rule, "writer");
    EXPECT_EQ(only_cancel(w.checked(c, running("q2", 9'000), kWall)).record.rule, "writer");
  }
}

TEST(InstanceWatch, AQueuedCrossingAsksForAFreshPollNeverSoonerThanAFifthOfTheInterval) {
  const auto c = config("[watchdog]\npoll_interval = 10s\n[rule.queue]\nmax_waited = 1s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  auto s = step(w, c, t0, listing({queued("q1", 500)}));
  EXPECT_EQ(s.wake, t0 + 501ms);
  // Due at +501ms, but the last poll started at t0: the early poll waits until +2s.
  const StepPlan early = w.begin_step(c, t0 + 501ms, kWall);
  EXPECT_FALSE(early.poll);
  EXPECT_TRUE(early.actions.empty());  // a `waited` clock is never projected
  EXPECT_EQ(w.finish_step(c, t0 + 501ms), t0 + 2s);
  s = step(w, c, t0 + 2s, listing({queued("q1", 2'500)}));
  EXPECT_TRUE(s.plan.poll);
  EXPECT_EQ(only_cancel(s.polled).query.id, "q1");
  EXPECT_EQ(s.wake, t0 + 10s);  // the regular schedule resumes
}

TEST(InstanceWatch, ALogDecisionIsRecordedOncePerQueryAndRule) {
  const auto c =
      config("[watchdog]\nschedule = fixed\n[rule.watch]\nmax_elapsed = 1s\naction = log\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  EXPECT_EQ(summary(step(w, c, t0, listing({running("q1", 5'000)})).polled),
            (std::vector<std::string>{"record logged q1"}));
  EXPECT_TRUE(step(w, c, t0 + 5s, listing({running("q1", 10'000)})).polled.empty());
}

// decided → in flight (no second cancel) → cancelled but still listed → cancel_ineffective
// and one retry → still listed → given_up, and then nothing more.
TEST(InstanceWatch, TheCancelLifecycleRetriesOnceThenGivesUp) {
  const auto c = config("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 1s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  TimePoint now = t0;
  const auto poll = [&](std::int64_t elapsed) {
    auto s = step(w, c, now, listing({running("q1", elapsed)}));
    now += 5s;
    return s.polled;
  };
  const WatchActions first = poll(5'000);
  const CancelIntent intent = only_cancel(first);
  EXPECT_EQ(w.cancel_admitted(intent, true, std::nullopt), std::nullopt);
  EXPECT_TRUE(poll(10'000).empty());  // its cancel is still in flight
  EXPECT_TRUE(w.cancel_finished(intent.query, AuditOutcome::cancelled, false, "", now).empty());
  const WatchActions retried = poll(15'000);
  EXPECT_EQ(summary(retried),
            (std::vector<std::string>{"record cancel_ineffective q1", "cancel q1"}));
  // The outcome names the query as it was when its cancel was decided.
  EXPECT_TRUE(w.cancel_finished(only_cancel(retried).query, AuditOutcome::cancelled, false, "", now)
                  .empty());
  const auto given_up = summary(poll(20'000));
  ASSERT_EQ(given_up.size(), 2u);
  EXPECT_EQ(given_up[0], "record given_up q1");
  EXPECT_EQ(given_up[1],
            "error endpoint test: query q1 was still listed after a cancel and a retried cancel; "
            "not cancelling it again");
  EXPECT_EQ(w.view().given_up_listed, 1u);  // counted from the poll that gave it up
  EXPECT_TRUE(poll(25'000).empty());
  EXPECT_EQ(w.view().cancels_in_flight, 0u);
  EXPECT_EQ(w.view().given_up_listed, 1u);
}

// The given-up queries the last poll still listed: an operator's to end. One that ends (its id
// no longer listed) no longer counts, even while its id is still remembered.
TEST(InstanceWatch, TheViewCountsTheGivenUpQueriesStillListed) {
  const auto c = config("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 1s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  TimePoint now = t0;
  std::int64_t age = 5'000;
  const auto poll = [&](std::vector<std::string> ids) {
    std::vector<QueryStatus> listed;
    for (const auto& id : ids) listed.push_back(running(id, age));
    auto s = step(w, c, now, listing(listed));
    now += 5s;
    age += 5'000;
    // Every cancel is acknowledged at once and the query stays listed.
    for (const WatchAction& a : s.polled)
      if (const auto* intent = std::get_if<CancelIntent>(&a)) {
        w.cancel_admitted(*intent, true, std::nullopt);
        w.cancel_finished(intent->query, AuditOutcome::cancelled, false, "", now);
      }
    return w.view().given_up_listed;
  };
  EXPECT_EQ(poll({"q1", "q2", "q3"}), 0u);  // cancelled
  EXPECT_EQ(poll({"q1", "q2", "q3"}), 0u);  // cancel_ineffective, retried
  EXPECT_EQ(poll({"q1", "q2", "q3"}), 3u);  // given up
  EXPECT_EQ(poll({"q1", "q2", "q3"}), 3u);  // still listed, nothing more sent
  EXPECT_EQ(poll({"q1", "q3"}), 2u);        // q2 ended
  EXPECT_EQ(poll({}), 0u);
}

TEST(InstanceWatch, ABudgetRefusalIsRecordedOncePerQueryAndTheCancelIsDecidedAgain) {
  const auto c = config("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 1s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  AuditRecord refusal;
  refusal.rule = "long";
  refusal.query_id = "q1";
  for (int poll = 0; poll < 3; ++poll) {
    const auto s = step(w, c, t0 + poll * 5s, listing({running("q1", 5'000 + poll * 5'000)}));
    const CancelIntent& intent = only_cancel(s.polled);
    const auto recorded = w.cancel_admitted(intent, false, refusal);
    EXPECT_EQ(recorded.has_value(), poll == 0) << "poll " << poll;
    EXPECT_EQ(w.view().cancels_in_flight, 0u);
  }
}

// While the audit log cannot be written, each query's cancel is held back at every poll (the
// next poll decides again), but its `failed` record is told once per query while it stays
// listed; a query that comes back under a new text is another query, told again.
TEST(InstanceWatch, AHeldBackCancelIsToldOncePerQuery) {
  const auto c = config("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 1s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  AuditRecord held;
  held.rule = "long";
  held.outcome = AuditOutcome::failed;
  held.error = "not sent: the audit log cannot be written";
  std::vector<std::string> told;
  for (int poll = 0; poll < 4; ++poll) {
    const auto s =
        step(w, c, t0 + poll * 5s,
             listing({running("q1", 5'000 + poll * 5'000), running("q2", 6'000 + poll * 5'000)}));
    for (const WatchAction& a : s.polled) {
      const auto* intent = std::get_if<CancelIntent>(&a);
      ASSERT_NE(intent, nullptr);
      AuditRecord r = held;
      r.query_id = intent->query.id;
      if (const auto due = w.cancel_admitted(*intent, false, r))
        told.push_back(std::to_string(poll) + " " + due->query_id);
    }
    EXPECT_EQ(w.view().cancels_in_flight, 0u);
  }
  EXPECT_EQ(told, (std::vector<std::string>{"0 q2", "0 q1"}));
  // Held back and also over budget: each is recorded once, on its own account.
  const auto s = step(w, c, t0 + 20s, listing({running("q1", 25'000)}));
  AuditRecord refusal;
  refusal.rule = "long";
  refusal.outcome = AuditOutcome::budget_exhausted;
  EXPECT_TRUE(w.cancel_admitted(only_cancel(s.polled), false, refusal).has_value());
}

TEST(InstanceWatch, ARefusedCancelIsGivenUpAndTheMissingPermissionSaidOnceAMinute) {
  const auto c = config("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 1s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  const auto s = step(w, c, t0, listing({running("q1", 5'000), running("q2", 6'000)}));
  ASSERT_EQ(summary(s.polled), (std::vector<std::string>{"cancel q2", "cancel q1"}));
  const auto said = summary(
      w.cancel_finished(running("q2", 6'000), AuditOutcome::failed, true, "AccessDenied", t0));
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find("needs neptune-db:CancelQuery"), std::string::npos);
  EXPECT_TRUE(
      w.cancel_finished(running("q1", 5'000), AuditOutcome::failed, true, "AccessDenied", t0 + 1s)
          .empty());
  // Both are given up at the next poll, without the "still listed" error.
  EXPECT_EQ(
      summary(step(w, c, t0 + 5s, listing({running("q1", 10'000), running("q2", 11'000)})).polled),
      (std::vector<std::string>{"record given_up q2", "record given_up q1"}));
  EXPECT_EQ(w.cancel_finished(running("q3", 1), AuditOutcome::failed, true, "x", t0 + 61s).size(),
            1u);
}

TEST(InstanceWatch, ADrainingWatchStartsNothingNewAndIsDrainedWhenItsCancelsEnd) {
  const auto c = config("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 1s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  const CancelIntent intent = only_cancel(step(w, c, t0, listing({running("q1", 5'000)})).polled);
  w.drain();
  EXPECT_FALSE(w.drained());  // its cancel is in flight
  EXPECT_TRUE(w.view().draining);
  EXPECT_FALSE(w.begin_step(c, t0 + 5s, kWall).poll);
  EXPECT_TRUE(w.poll_answered(c, listing({running("q2", 5'000)}), t0 + 5s, kWall).empty());
  w.cancel_finished(intent.query, AuditOutcome::cancelled, false, "", t0 + 6s);
  EXPECT_TRUE(w.drained());
}

TEST(InstanceWatch, DeniedPollsAreWarnedOnceAMinuteOtherFailuresEveryTime) {
  InstanceWatch w("test", "test/gremlin", Language::gremlin, RunMode::service);
  const Failure denied{FailureKind::neptune_error, 403, "AccessDeniedException", "denied"};
  const Failure throttled{FailureKind::neptune_error, 429, "TooManyRequestsException", "busy"};
  const auto level = [](const WatchActions& a) {
    return summary(a).at(0).substr(0, summary(a).at(0).find(' '));
  };
  EXPECT_EQ(level(w.poll_failed(denied, 3, t0)), "warn");
  EXPECT_EQ(level(w.poll_failed(denied, 3, t0 + 30s)), "debug");
  EXPECT_EQ(level(w.poll_failed(throttled, 3, t0 + 31s)), "warn");
  EXPECT_EQ(level(w.poll_failed(denied, 3, t0 + 60s)), "warn");
  EXPECT_EQ(summary(w.poll_failed(throttled, 2, t0))
                .at(0)
                .rfind("warn endpoint test/gremlin: poll failed after 2 attempt(s): ", 0),
            0u);
}

TEST(InstanceWatch, AMalformedEntryIsNamedOnceWhileListed) {
  const auto c = config("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 1h\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  StatusSnapshot bad = listing({running("q1", 1)});
  bad.malformed.push_back(MalformedEntry{"m1", "queryEvalStats: 'elapsed' is negative"});
  EXPECT_EQ(summary(step(w, c, t0, bad).polled).size(), 1u);
  EXPECT_TRUE(step(w, c, t0 + 5s, bad).polled.empty());
  step(w, c, t0 + 10s, listing({}));  // no longer listed: forgotten
  EXPECT_EQ(summary(step(w, c, t0 + 15s, bad).polled).size(), 1u);
}

TEST(InstanceWatch, TheViewSaysWhatItKnows) {
  const auto c = config("[watchdog]\npoll_interval = 5s\n[rule.long]\nmax_elapsed = 10s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  step(w, c, t0, listing({running("q1", 8'000), running("q2", 20'000), running("q3", 1)}));
  const WatchView v = w.view();
  EXPECT_EQ(v.listed, 3u);
  EXPECT_EQ(v.next_poll, t0 + 5s);
  EXPECT_EQ(v.next_crossing, t0 + 2001ms);
  EXPECT_EQ(v.crossings, 2u);
  EXPECT_EQ(v.cancels_in_flight, 1u);  // q2
  EXPECT_FALSE(v.draining);
  EXPECT_EQ(v.oldest_running_ms, 20'000);
  EXPECT_EQ(v.oldest_queued_ms, 0);
  EXPECT_EQ(v.given_up_listed, 0u);
  EXPECT_EQ(v.governed, (std::vector<std::size_t>{3}));
}

TEST(InstanceWatch, TheViewHasTheOldestRunningAndQueuedQueryOfTheLastPoll) {
  const auto c = config("[watchdog]\nschedule = fixed\n[rule.long]\nmax_elapsed = 1h\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  EXPECT_EQ(w.view().oldest_running_ms, 0);  // before any poll
  step(
      w, c, t0,
      listing({running("r1", 7'000), queued("w1", 300), running("r2", 12'500), queued("w2", 900)}));
  EXPECT_EQ(w.view().oldest_running_ms, 12'500);
  EXPECT_EQ(w.view().oldest_queued_ms, 900);
  // The next poll replaces both; none of a kind is 0.
  step(w, c, t0 + 5s, listing({queued("w3", 50)}));
  EXPECT_EQ(w.view().oldest_running_ms, 0);
  EXPECT_EQ(w.view().oldest_queued_ms, 50);
  step(w, c, t0 + 10s, listing({}));
  EXPECT_EQ(w.view().oldest_queued_ms, 0);
}

// Each rule counts the queries it governs (the first rule that selects them), within its limits
// or not; a rule an earlier one shadows, or whose regex matches nothing, stays at 0.
TEST(InstanceWatch, TheViewCountsTheQueriesEachRuleGoverned) {
  const auto c = config(
      "[watchdog]\nschedule = fixed\n"
      "[rule.narrow]\nquery_matches = narrow\nmax_elapsed = 1h\n"
      "[rule.broad]\nmax_elapsed = 10s\naction = log\n"
      "[rule.shadowed]\nquery_matches = MATCH\nmax_elapsed = 1s\n"
      "[rule.dead]\nquery_matches = never-in-any-text\nmax_elapsed = 1s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  w.start(t0);
  QueryStatus narrow{"n1", "MATCH (n) RETURN n // narrow", 20'000, 0, false};
  step(w, c, t0, listing({narrow, running("b1", 1'000), running("b2", 60'000), queued("b3", 5)}));
  EXPECT_EQ(w.view().governed, (std::vector<std::size_t>{1, 3, 0, 0}));
  step(w, c, t0 + 5s, listing({}));
  EXPECT_EQ(w.view().governed, (std::vector<std::size_t>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

OperatorPause pause_until(std::chrono::system_clock::time_point until) {
  return OperatorPause{"alice", "migration", kWall - 1min, until};
}

// An operator's pause holds every cancel back: the decision is audited `paused` once per query
// and pause, nothing goes to the cancel path; once the pause ends, the next decision cancels.
TEST(InstanceWatchOperator, APauseHoldsCancelsBackAndRecordsEachQueryOnce) {
  const WatchdogConfig c = config("[rule.r]\nmax_elapsed = 5s\n");
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  auto state = std::make_shared<OperatorState>();
  state->pause = pause_until(kWall + 10min);
  w.set_operator(state);
  w.start(t0);
  const StatusSnapshot over = listing({running("a", 9000), running("b", 8000)});
  const Stepped first = step(w, c, t0, over);
  EXPECT_EQ(summary(first.polled),
            (std::vector<std::string>{"record paused a", "record paused b"}));
  for (const WatchAction& a : first.polled) {
    const auto& r = std::get<AuditRecord>(a);
    EXPECT_NE(r.reason.find("not sent: cancelling paused by alice since"), std::string::npos)
        << r.reason;
    EXPECT_NE(r.reason.find(": migration"), std::string::npos) << r.reason;
  }
  // Polls go on; nothing more is recorded for the same queries and pause.
  const Stepped second = step(w, c, first.wake, over);
  EXPECT_TRUE(second.polled.empty()) << summary(second.polled)[0];
  // The pause is lifted: the next poll cancels.
  w.set_operator(std::make_shared<OperatorState>());
  const Stepped third = step(w, c, second.wake, over);
  EXPECT_EQ(summary(third.polled), (std::vector<std::string>{"cancel a", "cancel b"}));
}

TEST(InstanceWatchOperator, APauseThatEndedHoldsNothingAndDryRunsAreRecordedAsBefore) {
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  auto state = std::make_shared<OperatorState>();
  state->pause = pause_until(kWall - 1s);  // over already
  w.set_operator(state);
  w.start(t0);
  const WatchdogConfig c = config("[rule.r]\nmax_elapsed = 5s\n");
  EXPECT_EQ(summary(step(w, c, t0, listing({running("a", 9000)})).polled),
            std::vector<std::string>{"cancel a"});

  InstanceWatch dry("test", "test", Language::opencypher, RunMode::service);
  auto paused = std::make_shared<OperatorState>();
  paused->pause = pause_until(kWall + 1h);
  dry.set_operator(paused);
  dry.start(t0);
  const WatchdogConfig d = config("[rule.r]\nmax_elapsed = 5s\ndry_run = true\n");
  EXPECT_EQ(summary(step(dry, d, t0, listing({running("a", 9000)})).polled),
            std::vector<std::string>{"record dry_run a"});
}

TEST(InstanceWatchOperator, ATemporaryProtectionCoversItsQuery) {
  InstanceWatch w("test", "test", Language::opencypher, RunMode::service);
  auto state = std::make_shared<OperatorState>();
  Protection p;
  p.section = "protect by alice #1";
  p.query_ids = {"a"};
  p.until = kWall + 1h;
  state->protections.push_back(p);
  w.set_operator(state);
  w.start(t0);
  const WatchdogConfig c = config("[rule.r]\nmax_elapsed = 5s\n");
  EXPECT_EQ(summary(step(w, c, t0, listing({running("a", 9000), running("b", 9000)})).polled),
            std::vector<std::string>{"cancel b"});
}

}  // namespace
}  // namespace nw
