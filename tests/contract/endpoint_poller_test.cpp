// One endpoint's poll cycle against a real loopback server: what it sends, what it records,
// and that bad data never leads to a cancel.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "nw/app/endpoint_poller.h"
#include "nw/io/audit_log.h"
#include "nw/io/logging.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

namespace fs = std::filesystem;
using test::ScriptedHttpServer;

std::string list_body(const std::string& entries) {
  return R"({"acceptedQueryCount":1,"runningQueryCount":1,"queries":[)" + entries + "]}";
}

std::string entry(const std::string& id, std::int64_t elapsed, bool cancelled = false) {
  return R"({"queryId":")" + id + R"(","queryString":"MATCH (n) RETURN n","queryEvalStats":{"waited":0,"elapsed":)" +
         std::to_string(elapsed) + R"(,"cancelled":)" + (cancelled ? "true" : "false") + "}}";
}

const std::string kCancelOk = R"({"status":"200 OK","payload":true})";

class PollerFixture : public ::testing::Test {
 protected:
  PollerFixture()
      : dir_(fs::temp_directory_path() / ("nw-poller-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        log_(make_diagnostic_logger(LogLevel::error)) {
    fs::create_directories(dir_);
    audit_ = std::make_unique<AuditLog>((dir_ / "audit.jsonl").string());
    trail_ = std::make_unique<AuditTrail>(*audit_);
  }

  // One cycle on the poller's strand, and the cancels it sent, answered and audited.
  bool poll(EndpointPoller& p) {
    bool ok = false;
    scheduler_.post(p.strand(), [&] { ok = p.poll_once(); });
    EXPECT_TRUE(scheduler_.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
    return ok;
  }

  // The audit lines without the write-ahead `sending` records.
  std::vector<std::string> outcome_lines() const {
    std::vector<std::string> out;
    for (const auto& l : audit_lines())
      if (l.find(R"("outcome":"sending")") == std::string::npos) out.push_back(l);
    return out;
  }
  ~PollerFixture() override { fs::remove_all(dir_); }

  std::unique_ptr<EndpointPoller> poller(const std::string& rule_text) {
    const std::string text = "[retry]\nmax_attempts = 2\ninitial_backoff = 1ms\nmax_backoff = 2ms\n"
                             "[endpoint.test]\nurl = http://127.0.0.1:1\n" + rule_text;
    ConfigResult parsed = parse_config(text, "test.ini");
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.errors[0].format("test.ini"));
    holder_ = std::make_unique<ConfigHolder>(std::make_shared<const WatchdogConfig>(std::move(parsed.config)));
    budget_ = std::make_unique<CancelBudget>(holder_->get()->policy);
    cancels_ = std::make_unique<CancelDispatcher>(*trail_, *budget_, status_, metrics_, *log_, stop_, scheduler_, clock_);
    services_ = std::make_unique<PollerServices>(
        PollerServices{*holder_, *trail_, *cancels_, status_, metrics_, *log_, stop_, clock_, scheduler_});
    return std::make_unique<EndpointPoller>(server_.endpoint(), Language::opencypher,
                                            make_neptune_client(server_.endpoint()), *services_);
  }

  std::vector<std::string> audit_lines() const {
    std::ifstream in(dir_ / "audit.jsonl");
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }

  std::vector<std::string> cancel_uris() const {
    std::vector<std::string> uris;
    for (const auto& r : server_.requests())
      if (r.method == "DELETE") uris.push_back(r.uri);
    return uris;
  }

  fs::path dir_;
  ScriptedHttpServer server_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<ConfigHolder> holder_;
  std::unique_ptr<CancelBudget> budget_;
  ServiceStatus status_{{"test"}};
  Metrics metrics_;
  std::unique_ptr<AuditTrail> trail_;
  std::unique_ptr<CancelDispatcher> cancels_;
  std::unique_ptr<PollerServices> services_;
  StopToken stop_;
  SystemClock clock_;
  Scheduler scheduler_{clock_, Scheduler::Options{2, 4}};
};

const std::string kRule = "[rule.long]\nmax_elapsed = 10s\nsilent = true\n";

TEST_F(PollerFixture, MalformedBodiesCancelNothingAndTheNextGoodPollActs) {
  const std::string good = list_body(entry("q-long", 60000));
  for (const std::string& bad :
       {good.substr(0, good.size() - 3), std::string("<html>oops</html>"),
        std::string(R"({"acceptedQueryCount":-1,"queries":[)") + entry("q-long", 60000) + "]}",
        R"({"queries":{"queryId":"q-long"}})" + std::string(),
        "{\"note\":\"\xFF\",\"queries\":[" + entry("q-long", 60000) + "]}"}) {
    SCOPED_TRACE(bad);
    server_.enqueue({200, bad});
    auto p = poller(kRule);
    EXPECT_FALSE(poll(*p));
    EXPECT_TRUE(cancel_uris().empty());
    EXPECT_TRUE(outcome_lines().empty());
  }
  server_.enqueue({200, good});
  server_.enqueue({200, kCancelOk});
  EXPECT_TRUE(poll(*poller(kRule)));
  EXPECT_EQ(cancel_uris(), std::vector<std::string>{"/opencypher/status/q-long?silent=true"});
  ASSERT_EQ(outcome_lines().size(), 1u);
  EXPECT_NE(outcome_lines()[0].find(R"("outcome":"cancelled")"), std::string::npos);
}

// One entry that cannot be read (a negative or fractional clock, a lone surrogate or bytes that
// are not UTF-8 in its text) no longer fails the poll: it is skipped and counted, and the
// over-limit query listed next to it is cancelled. The audit names only that one.
TEST_F(PollerFixture, AMalformedEntryIsSkippedAndTheQueryNextToItCancelled) {
  const std::string long_one = entry("q-long", 60000);
  const std::string over = R"(,"queryEvalStats":{"waited":0,"elapsed":900000,"cancelled":false}})";
  for (const std::string& bad :
       {entry("q-bad", -5),
        R"({"queryId":"q-bad","queryEvalStats":{"elapsed":1.5}})" + std::string(),
        R"({"queryId":"q-bad","queryString":"MATCH (n) RETURN '\ud800'")" + over,
        "{\"queryId\":\"q-bad\",\"queryString\":\"MATCH (n) RETURN '\xC3\x28'\"" + over,
        R"("not an object")" + std::string()}) {
    SCOPED_TRACE(bad);
    server_.enqueue({200, list_body(bad + "," + long_one)});
    server_.enqueue({200, kCancelOk});
    const std::size_t before = cancel_uris().size();
    EXPECT_TRUE(poll(*poller(kRule)));  // a poller of its own: it has no memory of the last
    const auto cancels = cancel_uris();
    ASSERT_EQ(cancels.size(), before + 1);
    EXPECT_EQ(cancels.back(), "/opencypher/status/q-long?silent=true");
    const auto outcomes = outcome_lines();
    ASSERT_EQ(outcomes.size(), before + 1);
    EXPECT_NE(outcomes.back().find(R"("query_id":"q-long")"), std::string::npos);
    EXPECT_NE(outcomes.back().find(R"("outcome":"cancelled")"), std::string::npos);
  }
  EXPECT_NE(
      metrics_.render().find(
          R"(neptune_watchdog_malformed_entries_total{endpoint="test",language="opencypher"} 5)"),
      std::string::npos)
      << metrics_.render();
}

TEST_F(PollerFixture, EntriesWithoutIdAndAlreadyCancelledQueriesAreLeftAlone) {
  server_.enqueue({200, list_body(R"({"queryString":"MATCH (x) RETURN x","queryEvalStats":{"elapsed":99999}},)" +
                                  entry("q-done", 60000, true) + "," + entry("q-long", 60000))});
  server_.set_fallback({200, kCancelOk});
  EXPECT_TRUE(poll(*poller(kRule)));
  EXPECT_EQ(cancel_uris(), std::vector<std::string>{"/opencypher/status/q-long?silent=true"});
}

TEST_F(PollerFixture, CancelOfAnEndedQueryIsAuditedAsNotFound) {
  server_.enqueue({200, list_body(entry("q-gone", 60000))});
  server_.enqueue({400, R"({"requestId":"r","code":"InvalidParameterException","detailedMessage":"Supplied queryId q-gone is invalid"})"});
  EXPECT_TRUE(poll(*poller(kRule)));
  ASSERT_EQ(outcome_lines().size(), 1u);
  EXPECT_NE(outcome_lines()[0].find(R"("outcome":"not_found")"), std::string::npos);
  EXPECT_EQ(outcome_lines()[0].find(R"("error")"), std::string::npos);
}

// A status answer can leave out a live query: only two polls in a row without it make the
// poller forget what it recorded about it.
TEST_F(PollerFixture, ALoggedQueryIsAuditedOnceAndAgainOnlyAfterTwoPollsWithoutIt) {
  auto p = poller("[rule.watch]\nmax_elapsed = 10s\naction = log\n");
  for (const std::string& listed : {entry("q-1", 60000), entry("q-1", 61000), std::string(),  // left out once
                                    entry("q-1", 62000), std::string(), std::string(),        // ended
                                    entry("q-1", 63000)})                                     // reused id
    server_.enqueue({200, list_body(listed)});
  std::vector<std::size_t> records_after;
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(poll(*p));
    records_after.push_back(outcome_lines().size());
  }
  EXPECT_TRUE(cancel_uris().empty());
  EXPECT_EQ(records_after, (std::vector<std::size_t>{1, 1, 1, 1, 1, 1, 2}));
}

// A client may start a new query under an id it used before: the new query is its own, so it
// is audited again, and the old one's two cancels do not stop it from being cancelled.
TEST_F(PollerFixture, ANewQueryUnderAReusedIdIsAuditedAndCancelledOnItsOwnAccount) {
  auto logged = poller("[rule.watch]\nmax_elapsed = 10s\naction = log\n");
  server_.enqueue({200, list_body(entry("q-r", 60000))});
  server_.enqueue({200, list_body(entry("q-r", 61000))});
  server_.enqueue({200, list_body(entry("q-r", 12000))});  // younger: a new query
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(poll(*logged));
  EXPECT_EQ(outcome_lines().size(), 2u);

  auto cancelling = poller(kRule);
  server_.enqueue({200, list_body(entry("q-s", 60000))});
  server_.enqueue({200, kCancelOk});
  server_.enqueue({200, list_body(entry("q-s", 61000))});  // still there: retried once
  server_.enqueue({200, kCancelOk});
  server_.enqueue({200, list_body(entry("q-s", 62000))});  // still there: left alone
  server_.enqueue({200, list_body(entry("q-s", 11000))});  // a new query under the same id
  server_.set_fallback({200, kCancelOk});
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(poll(*cancelling));
  // The third listing of the old query is left alone (retried once already); the new one is cancelled.
  EXPECT_EQ(cancel_uris().size(), 3u);
}

// A query that Neptune says it cancelled but that stays listed is retried once; a poll that
// leaves it out in between does not earn it a third cancel.
TEST_F(PollerFixture, AStubbornQueryLeftOutOfOnePollIsNotCancelledAThirdTime) {
  auto p = poller(kRule);
  server_.enqueue({200, list_body(entry("q-s", 60000))});
  server_.enqueue({200, kCancelOk});
  server_.enqueue({200, list_body(entry("q-s", 61000))});
  server_.enqueue({200, kCancelOk});
  server_.enqueue({200, list_body("")});  // left out once
  server_.enqueue({200, list_body(entry("q-s", 62000))});
  server_.set_fallback({200, kCancelOk});  // a third cancel would be answered, and seen
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(poll(*p));
  EXPECT_EQ(cancel_uris().size(), 2u);
  std::vector<std::string> outcomes;
  for (const std::string& line : audit_lines()) {
    const auto at = line.find(R"("outcome":")");
    ASSERT_NE(at, std::string::npos) << line;
    outcomes.push_back(line.substr(at + 11, line.find('"', at + 11) - at - 11));
  }
  // Every cancel is written ahead (`sending`); the fourth poll gives it up, once.
  EXPECT_EQ(outcomes, (std::vector<std::string>{"sending", "cancelled", "cancel_ineffective", "sending",
                                                "cancelled", "given_up"}));
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

TEST_F(PollerFixture, AccessDeniedIsNotRetriedAndLoggedOnceAMinute) {
  testing::internal::CaptureStderr();
  log_ = make_diagnostic_logger(LogLevel::info);  // after the capture, so it writes into it
  server_.set_fallback({403, R"({"requestId":"r","code":"AccessDeniedException","detailedMessage":"denied"})"});
  auto p = poller(kRule);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(poll(*p));
  log_.reset();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(server_.requests().size(), 3u);  // one request per poll: not retried
  std::size_t warnings = 0;
  for (std::size_t at = 0; (at = err.find("AccessDeniedException", at)) != std::string::npos; ++at) ++warnings;
  EXPECT_EQ(warnings, 1u) << err;
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// The poller's own loop on the fixture's scheduler, stopped when the test is done with it.
class RunningPoller {
 public:
  RunningPoller(EndpointPoller& poller, StopToken& stop, Scheduler& scheduler, const Clock& clock)
      : poller_(poller), stop_(stop), scheduler_(scheduler) {
    poller.start(clock.now());
  }
  ~RunningPoller() {
    stop_.request_stop();
    scheduler_.drop_strand(poller_.strand());
    scheduler_.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  }

 private:
  EndpointPoller& poller_;
  StopToken& stop_;
  Scheduler& scheduler_;
};

// Waits (bounded, never asserting how long it took) until `done` holds.
template <class Condition>
bool eventually(Condition done) {
  for (int i = 0; i < 1500 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return done();
}

std::vector<std::string> methods(const std::vector<test::RecordedRequest>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(r.method);
  return out;
}

std::vector<std::string> uris(const std::vector<test::RecordedRequest>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(r.method + " " + r.uri);
  return out;
}

const std::string kNearLimit = "[watchdog]\npoll_interval = 60s\n[rule.short]\nmax_elapsed = 1200ms\n";
const std::string kNearLimitConfirmed =
    "[watchdog]\npoll_interval = 60s\nconfirm_by_id = true\n[rule.short]\nmax_elapsed = 1200ms\n";

TEST_F(PollerFixture, DeadlineScheduleCancelsAtTheCrossingWithoutPollingAgain) {
  // One poll shows the query 200ms short of its limit; the next poll is a minute away.
  server_.enqueue({200, list_body(entry("q-near", 1000))});
  server_.set_fallback({200, kCancelOk});
  auto p = poller(kNearLimit);
  {
    RunningPoller running(*p, stop_, scheduler_, clock_);
    ASSERT_TRUE(eventually([&] { return !cancel_uris().empty(); }));
  }
  EXPECT_EQ(uris(server_.requests()), (std::vector<std::string>{"GET /opencypher/status?includeWaiting=true",
                                                                "DELETE /opencypher/status/q-near"}));
  ASSERT_EQ(outcome_lines().size(), 1u);
  const std::string record = outcome_lines()[0];
  EXPECT_NE(record.find(R"("outcome":"cancelled")"), std::string::npos) << record;
  EXPECT_NE(record.find("ms from the last poll, not confirmed"), std::string::npos) << record;
}

TEST_F(PollerFixture, ConfirmByIdChecksTheQueryAtItsCrossingAndCancelsOnTheAnswer) {
  // One poll shows the query 200ms short of its limit; the next poll is a minute away.
  server_.enqueue({200, list_body(entry("q-near", 1000))});
  server_.enqueue({200, entry("q-near", 1203)});  // its own status, asked for at the crossing
  server_.set_fallback({200, kCancelOk});
  auto p = poller(kNearLimitConfirmed);
  {
    RunningPoller running(*p, stop_, scheduler_, clock_);
    ASSERT_TRUE(eventually([&] { return !cancel_uris().empty(); }));
  }
  EXPECT_EQ(uris(server_.requests()),
            (std::vector<std::string>{"GET /opencypher/status?includeWaiting=true", "GET /opencypher/status/q-near",
                                      "DELETE /opencypher/status/q-near"}));
  ASSERT_EQ(outcome_lines().size(), 1u);
  const std::string record = outcome_lines()[0];
  EXPECT_NE(record.find(R"("outcome":"cancelled")"), std::string::npos) << record;
  EXPECT_NE(record.find("checked by id at its limit"), std::string::npos) << record;
  // Judged on Neptune's own answer, not on the projection.
  EXPECT_NE(record.find(R"("elapsed_ms":1203)"), std::string::npos) << record;
  EXPECT_NE(metrics_.render().find(R"(crossing_checks_total{endpoint="test",result="confirmed"} 1)"),
            std::string::npos);
}

// With confirm_by_id, what the check by id finds decides: a query that ended, a new query under the same id, and
// an answer that cannot be had all end without a cancel or a record. `check_answers` answer the
// check (and its retries); `result` is how the metrics count it.
class CrossingCheckFixture : public PollerFixture {
 protected:
  void expect_no_cancel(const std::vector<test::ScriptedResponse>& check_answers, const std::string& result) {
    server_.enqueue({200, list_body(entry("q-near", 1000))});
    for (const auto& answer : check_answers) server_.enqueue(answer);
    server_.set_fallback({200, kCancelOk});
    auto p = poller(kNearLimitConfirmed);
    {
      RunningPoller running(*p, stop_, scheduler_, clock_);
      ASSERT_TRUE(eventually([&] {
        return metrics_.render().find("result=\"" + result + "\"} 1") != std::string::npos;
      })) << metrics_.render();
    }
    EXPECT_EQ(server_.requests().size(), 1 + check_answers.size());
    EXPECT_TRUE(cancel_uris().empty());
    EXPECT_TRUE(outcome_lines().empty());
  }
};

TEST_F(CrossingCheckFixture, AQueryThatEndedIsLeftAlone) {
  expect_no_cancel({{400, R"({"requestId":"r","code":"InvalidParameterException",)"
                          R"("detailedMessage":"Supplied queryId q-near is invalid"})"}},
                   "ended");
}

TEST_F(CrossingCheckFixture, ANewQueryUnderTheSameIdIsJudgedByItsOwnClock) {
  expect_no_cancel({{200, entry("q-near", 40)}}, "confirmed");
}

TEST_F(CrossingCheckFixture, AThrottledCheckLeavesTheQueryToTheNextPoll) {
  const test::ScriptedResponse throttled{
      429, R"({"requestId":"r","code":"TooManyRequestsException","detailedMessage":"Too many requests"})"};
  expect_no_cancel({throttled, throttled}, "failed");  // [retry] max_attempts = 2
}

TEST_F(CrossingCheckFixture, AnotherQuerysStatusIsNoAnswer) {
  expect_no_cancel({{200, entry("q-other", 5000)}}, "failed");
}

// A throttled poll between a poll and a crossing does not stop the running query's clock: its
// crossing stays, and is checked and acted on at its instant.
TEST_F(PollerFixture, ACrossingOutlivesAFailedPollInBetween) {
  const test::ScriptedResponse throttled{
      429, R"({"requestId":"r","code":"TooManyRequestsException","detailedMessage":"Too many requests"})"};
  server_.enqueue({200, list_body(entry("q-near", 1000))});  // crossing 500ms after this answer
  server_.enqueue(throttled);                                // the poll 300ms later, both attempts
  server_.enqueue(throttled);
  server_.set_fallback({200, kCancelOk});
  auto p = poller("[watchdog]\npoll_interval = 300ms\n[rule.short]\nmax_elapsed = 1500ms\n");
  {
    RunningPoller running(*p, stop_, scheduler_, clock_);
    ASSERT_TRUE(eventually([&] { return !cancel_uris().empty(); }));
  }
  EXPECT_EQ(cancel_uris().front(), "/opencypher/status/q-near");
  ASSERT_GE(outcome_lines().size(), 1u);
  EXPECT_NE(outcome_lines()[0].find("from the last poll"), std::string::npos) << outcome_lines()[0];
}

TEST_F(PollerFixture, FixedScheduleActsOnlyOnWhatAPollShows) {
  server_.enqueue({200, list_body(entry("q-near", 1000))});
  server_.enqueue({200, list_body(entry("q-near", 1100))});
  server_.enqueue({200, list_body(entry("q-near", 1300))});
  server_.set_fallback({200, kCancelOk});
  auto p = poller("[watchdog]\npoll_interval = 100ms\nschedule = fixed\n[rule.short]\nmax_elapsed = 1200ms\n");
  {
    RunningPoller running(*p, stop_, scheduler_, clock_);
    ASSERT_TRUE(eventually([&] { return !cancel_uris().empty(); }));
  }
  const auto m = methods(server_.requests());
  ASSERT_GE(m.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(m.begin(), m.begin() + 4),
            (std::vector<std::string>{"GET", "GET", "GET", "DELETE"}));
  ASSERT_EQ(outcome_lines().size(), 1u);
  EXPECT_NE(outcome_lines()[0].find(R"("elapsed_ms":1300)"), std::string::npos) << outcome_lines()[0];
  EXPECT_EQ(outcome_lines()[0].find("from the last poll"), std::string::npos) << outcome_lines()[0];
}

// The queued crossings (checked by a fresh poll, never projected) are tested on fakes with a
// manual clock in tests/unit/app/endpoint_poller_test.cpp: over real time they took 12 s each.

}  // namespace
}  // namespace nw

namespace nw {
namespace {

std::string field_of(const std::string& line, const std::string& name) {
  const auto at = line.find("\"" + name + "\":\"");
  if (at == std::string::npos) return "";
  const auto from = at + name.size() + 4;
  return line.substr(from, line.find('"', from) - from);
}

// Write-ahead: the `sending` record is on disk while Neptune still holds the DELETE, and the
// outcome record that follows repeats its record_id.
TEST_F(PollerFixture, TheSendingRecordIsWrittenBeforeTheCancelIsSent) {
  server_.enqueue({200, list_body(entry("q-long", 60000))});
  server_.enqueue({200, kCancelOk, "application/json", std::chrono::milliseconds(1500)});
  auto p = poller(kRule);
  bool ok = false;
  scheduler_.post(p->strand(), [&] { ok = p->poll_once(); });
  for (int i = 0; i < 1500 && cancel_uris().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(cancel_uris().size(), 1u);
  const auto while_sending = audit_lines();  // Neptune has not answered yet
  ASSERT_EQ(while_sending.size(), 1u);
  EXPECT_EQ(field_of(while_sending[0], "outcome"), "sending");
  const std::string id = field_of(while_sending[0], "record_id");
  EXPECT_FALSE(id.empty());
  ASSERT_TRUE(scheduler_.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  EXPECT_TRUE(ok);
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(field_of(lines[1], "outcome"), "cancelled");
  EXPECT_EQ(field_of(lines[1], "record_id"), id);
  EXPECT_EQ(field_of(lines[1], "mode"), "service");
}

// With an audit log that cannot be written from the start, not one cancel is sent.
TEST_F(PollerFixture, NoCancelIsSentWhenItsRecordCannotBeWritten) {
  audit_ = std::make_unique<AuditLog>("/dev/full");
  trail_ = std::make_unique<AuditTrail>(*audit_);
  server_.set_fallback({200, list_body(entry("q-a", 60000) + "," + entry("q-b", 70000))});
  auto p = poller(kRule);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(poll(*p));
  EXPECT_TRUE(cancel_uris().empty());
  EXPECT_EQ(server_.requests().size(), 3u);  // the polls only
}

// Neptune answers "not found" but the query stays listed: retried once, then given up, the
// same bound as for a query that survives an acknowledged cancel.
TEST_F(PollerFixture, AQueryStillListedAfterNotFoundIsRetriedOnceThenGivenUp) {
  const test::ScriptedResponse not_found{
      400, R"({"requestId":"r","code":"InvalidParameterException","detailedMessage":"Supplied queryId q-nf is invalid"})"};
  server_.enqueue({200, list_body(entry("q-nf", 60000))});
  server_.enqueue(not_found);
  server_.enqueue({200, list_body(entry("q-nf", 61000))});
  server_.enqueue(not_found);
  server_.enqueue({200, list_body(entry("q-nf", 62000))});
  server_.enqueue({200, list_body(entry("q-nf", 63000))});
  auto p = poller(kRule);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(poll(*p));
  EXPECT_EQ(cancel_uris().size(), 2u);
  std::vector<std::string> outcomes;
  for (const auto& line : audit_lines()) outcomes.push_back(field_of(line, "outcome"));
  EXPECT_EQ(outcomes, (std::vector<std::string>{"sending", "not_found", "cancel_ineffective", "sending",
                                                "not_found", "given_up"}));
}

}  // namespace
}  // namespace nw
