// End to end, the policy engine of issue 3: SIGHUP reload (good and bad file), the cancel
// budget, a concurrency guard, protections, per-rule dry run, --test-matching and
// --check-config warnings, with the real neptune-watchdog and neptune-sim over loopback.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <signal.h>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "support/child_process.h"

namespace nw {
namespace {

using e2e::joined;
using e2e::running;
using e2e::SimQuery;
using e2e::Simulator;
using e2e::uuid;
using e2e::Workspace;
using Poco::JSON::Object;
using std::chrono::milliseconds;
using test::ChildProcess;

constexpr milliseconds kWait{30000};

// The config's version as the daemon reports it: the first 12 hex digits of the file's SHA-256.
std::string version_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  Poco::SHA2Engine sha256(Poco::SHA2Engine::SHA_256);
  sha256.update(text.str());
  return Poco::DigestEngine::digestToHex(sha256.digest()).substr(0, 12);
}

bool wait_until(const std::function<bool()>& condition, milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return condition();
}

bool has_line(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

bool is_poll(const std::string& line) {
  return line.find(" queries (") != std::string::npos;
}

// Waits until the daemon has logged `polls` more completed polls than it had so far.
void wait_for_polls(ChildProcess& watchdog, int polls) {
  const auto before = watchdog.stderr_lines();
  const int target = static_cast<int>(std::count_if(before.begin(), before.end(), is_poll)) + polls;
  int seen = 0;  // wait_for_stderr looks at every line from the first one
  const auto line = watchdog.wait_for_stderr(
      [&](const std::string& l) { return is_poll(l) && ++seen >= target; }, kWait);
  ASSERT_TRUE(line.has_value()) << "no poll seen\n" << joined(watchdog.stderr_lines());
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

const std::string kReadsRule = "\n[rule.reads]\nmax_elapsed = 30s\nquery_matches = ^\\s*MATCH\n";
const std::string kWritesOnlyRule = "\n[rule.writes]\nmax_elapsed = 1s\nquery_matches = ^CREATE\n";
const SimQuery kLongRead = running(1, "MATCH (a)-[*1..9]->(b) RETURN count(b)", 600000);

TEST(PolicyEndToEnd, SighupWithAGoodFileSwapsThePolicyIn) {
  Simulator sim;
  sim.inject(kLongRead);
  Workspace ws;
  const std::string config = ws.write_config(sim.url(), kWritesOnlyRule);
  const std::string old_version = version_of(config);
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  wait_for_polls(watchdog, 2);
  EXPECT_EQ(sim.cancels()->size(), 0u) << "the first rule does not select the read";

  ws.write_config(sim.url(), kReadsRule);
  const std::string new_version = version_of(config);
  ASSERT_NE(new_version, old_version);
  watchdog.signal(SIGHUP);
  EXPECT_TRUE(wait_until([&] { return sim.cancels()->size() >= 1; }))
      << joined(watchdog.stderr_lines());
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{kLongRead.id});
  EXPECT_TRUE(watchdog.wait_for_stderr(
      [&](const std::string& l) {
        return l.find("configuration reloaded: version " + new_version) != std::string::npos;
      },
      kWait))
      << joined(watchdog.stderr_lines());
  EXPECT_TRUE(wait_until([&] { return !ws.audit_records().empty(); }));
  EXPECT_EQ(watchdog.wait_exit(milliseconds(0)), std::nullopt)
      << "the daemon must still run after a reload";

  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]->getValue<std::string>("query_id"), kLongRead.id);
  EXPECT_EQ(records[0]->getValue<std::string>("rule"), "reads");
  EXPECT_EQ(records[0]->getValue<std::string>("outcome"), "cancelled");
  EXPECT_EQ(records[0]->getValue<std::string>("config_version"), new_version);
}

TEST(PolicyEndToEnd, SighupWithABadFileKeepsTheRunningPolicy) {
  Simulator sim;
  Workspace ws;
  const std::string config = ws.write_config(sim.url(), kReadsRule);
  const std::string old_version = version_of(config);
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  wait_for_polls(watchdog, 1);

  ws.write_config(sim.url(), "\n[rule.reads]\nmax_elapsed = 30s\nquery_matches = (\n");
  watchdog.signal(SIGHUP);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [&](const std::string& l) {
        return l.find("still running config version " + old_version) != std::string::npos;
      },
      kWait))
      << joined(watchdog.stderr_lines());
  const auto lines = watchdog.stderr_lines();
  EXPECT_TRUE(
      has_line(lines, "reload rejected: " + config + ": rule.reads.query_matches: bad regex '('"))
      << joined(lines);
  EXPECT_TRUE(
      has_line(lines, "reload rejected: 1 error(s); still running config version " + old_version));
  EXPECT_FALSE(has_line(lines, "configuration reloaded"));

  // The old rule still decides.
  sim.inject(kLongRead);
  EXPECT_TRUE(wait_until([&] { return sim.cancels()->size() >= 1; }))
      << joined(watchdog.stderr_lines());
  EXPECT_TRUE(wait_until([&] { return !ws.audit_records().empty(); }));
  EXPECT_EQ(watchdog.wait_exit(milliseconds(0)), std::nullopt);
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{kLongRead.id});
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]->getValue<std::string>("outcome"), "cancelled");
  EXPECT_EQ(records[0]->getValue<std::string>("rule"), "reads");
  EXPECT_EQ(records[0]->getValue<std::string>("config_version"), old_version);
}

TEST(PolicyEndToEnd, BudgetExhaustionAuditsWhatWasNotSent) {
  Simulator sim;
  std::vector<SimQuery> queries;
  for (int i = 0; i < 5; ++i)
    queries.push_back(running(10 + i, "MATCH (n) RETURN n", 600000 + 10000 * i));
  for (const auto& q : queries) sim.inject(q);
  Workspace ws;
  const std::string config = ws.write_config(sim.url(), kReadsRule, "max_cancels_per_minute = 2\n");
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config, "--once"});
  ASSERT_EQ(watchdog.wait_exit(milliseconds(60000)), 0);

  // The worst offenders are cancelled first.
  EXPECT_EQ(sorted(sim.cancelled_ids()), sorted({queries[4].id, queries[3].id}));
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 5u);
  std::vector<std::string> cancelled, exhausted;
  for (const auto& r : records) {
    const auto outcome = r->getValue<std::string>("outcome");
    const auto id = r->getValue<std::string>("query_id");
    if (outcome == "cancelled") {
      cancelled.push_back(id);
      EXPECT_EQ(r->getValue<int>("attempts"), 1);
    } else if (outcome == "budget_exhausted") {
      exhausted.push_back(id);
      EXPECT_EQ(r->getValue<int>("attempts"), 0);
      EXPECT_EQ(r->getValue<std::string>("action"), "cancel");
      const auto reason = r->getValue<std::string>("reason");
      EXPECT_NE(reason.find("over budget: [watchdog] max_cancels_per_minute 2"), std::string::npos)
          << reason;
    } else {
      ADD_FAILURE() << "unexpected outcome " << outcome;
    }
    EXPECT_EQ(r->getValue<std::string>("config_version"), version_of(config));
  }
  EXPECT_EQ(sorted(cancelled), sorted({queries[4].id, queries[3].id}));
  EXPECT_EQ(sorted(exhausted), sorted({queries[0].id, queries[1].id, queries[2].id}));
  const auto lines = watchdog.stderr_lines();
  int warnings = 0;
  for (const auto& l : lines) warnings += l.find("cancel budget exhausted") != std::string::npos;
  EXPECT_EQ(warnings, 1) << joined(lines);
  EXPECT_TRUE(has_line(lines, "cancel budget exhausted ([watchdog] max_cancels_per_minute 2)"))
      << joined(lines);
}

TEST(PolicyEndToEnd, ConcurrencyGuardCancelsTheOldestBeyondTheLimit) {
  Simulator sim;
  const std::vector<std::int64_t> elapsed = {10000, 50000, 30000, 40000, 20000};
  std::vector<SimQuery> queries;
  for (std::size_t i = 0; i < elapsed.size(); ++i)
    queries.push_back(running(20 + static_cast<int>(i), "MATCH (n) RETURN n", elapsed[i]));
  for (const auto& q : queries) sim.inject(q);
  Workspace ws;
  const std::string config = ws.write_config(sim.url(), "\n[rule.guard]\nmax_running = 2\n");
  ASSERT_EQ(e2e::run_once(config), 0);

  const std::vector<std::string> oldest = sorted({queries[1].id, queries[3].id, queries[2].id});
  EXPECT_EQ(sorted(sim.cancelled_ids()), oldest);
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 3u);
  std::vector<std::string> ids;
  for (const auto& r : records) {
    ids.push_back(r->getValue<std::string>("query_id"));
    EXPECT_EQ(r->getValue<std::string>("outcome"), "cancelled");
    EXPECT_EQ(r->getValue<std::string>("rule"), "guard");
    EXPECT_EQ(r->getValue<std::string>("reason"),
              "running 5 > max_running 2 (oldest beyond the limit)");
  }
  EXPECT_EQ(sorted(ids), oldest);
}

TEST(PolicyEndToEnd, ProtectedQueriesAreNeverCancelled) {
  Simulator sim;
  const SimQuery by_id = running(30, "MATCH (a) RETURN a", 900000);
  const SimQuery by_text = running(31, "MATCH (b) /* nightly-backup */ RETURN b", 900000);
  const SimQuery victim = running(32, "MATCH (c) RETURN c", 900000);
  for (const auto& q : {by_id, by_text, victim}) sim.inject(q);
  Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), "\n[protect]\nquery_ids = " + by_id.id +
                                     "\nquery_matches = nightly-backup\n" + kReadsRule);
  ASSERT_EQ(e2e::run_once(config), 0);
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{victim.id});
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]->getValue<std::string>("query_id"), victim.id);
  EXPECT_EQ(records[0]->getValue<std::string>("outcome"), "cancelled");
}

TEST(PolicyEndToEnd, PerRuleDryRunAuditsOncePerQueryAndSendsNothing) {
  Simulator sim;
  const SimQuery read = running(40, "MATCH (n) RETURN n", 600000);
  const SimQuery write = running(41, "CREATE (n:Event) RETURN n", 600000);
  sim.inject(read);
  sim.inject(write);
  Workspace ws;
  const std::string rules =
      "\n[rule.rehearse]\nmax_elapsed = 30s\nquery_matches = ^MATCH\ndry_run = true\n" +
      kWritesOnlyRule;
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", ws.write_config(sim.url(), rules)});
  wait_for_polls(watchdog, 5);
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);

  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{write.id});
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 2u);
  for (const auto& r : records) {
    const auto id = r->getValue<std::string>("query_id");
    if (id == read.id) {
      EXPECT_EQ(r->getValue<std::string>("rule"), "rehearse");
      EXPECT_EQ(r->getValue<std::string>("outcome"), "dry_run");
      EXPECT_TRUE(r->getValue<bool>("dry_run"));
      EXPECT_EQ(r->getValue<int>("attempts"), 0);
    } else {
      EXPECT_EQ(id, write.id);
      EXPECT_EQ(r->getValue<std::string>("rule"), "writes");
      EXPECT_EQ(r->getValue<std::string>("outcome"), "cancelled");
      EXPECT_FALSE(r->getValue<bool>("dry_run"));
    }
  }
}

TEST(PolicyEndToEnd, TestMatchingRehearsesACapturedStatusBodyOffline) {
  Workspace ws;
  const std::string capture = ws.path("capture.json");
  std::ofstream(capture) << R"json({
  "acceptedQueryCount" : 3,
  "runningQueryCount" : 2,
  "queries" : [ {
    "queryId" : "aaaaaaaa-0000-4000-8000-000000000001",
    "queryString" : "MATCH (a)-[*1..9]->(b) RETURN count(b)",
    "queryEvalStats" : { "waited" : 0, "elapsed" : 312000, "cancelled" : false }
  }, {
    "queryId" : "aaaaaaaa-0000-4000-8000-000000000002",
    "queryString" : "MATCH (n) /* nightly-backup */ RETURN n",
    "queryEvalStats" : { "waited" : 0, "elapsed" : 999000, "cancelled" : false }
  }, {
    "queryId" : "aaaaaaaa-0000-4000-8000-000000000003",
    "queryString" : "CREATE (n:Event)",
    "queryEvalStats" : { "waited" : 0, "elapsed" : 999000, "cancelled" : false }
  }, {
    "queryId" : "aaaaaaaa-0000-4000-8000-000000000004",
    "queryString" : "MATCH (q) RETURN q",
    "queryEvalStats" : { "waited" : 4000, "elapsed" : 0, "cancelled" : false }
  } ]
}
)json";
  // Nothing listens on the endpoint: --test-matching makes no request.
  const std::string config = ws.write_config("http://127.0.0.1:1",
                                             "\n[protect.backups]\nquery_matches = nightly-backup\n"
                                             "\n[rule.reads]\nmax_elapsed = 300s\nmax_waited = "
                                             "5s\nquery_matches = ^MATCH\nsilent = true\n");
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config, "--test-matching", capture});
  ASSERT_EQ(watchdog.wait_exit(milliseconds(30000)), 0) << joined(watchdog.stderr_lines());
  EXPECT_EQ(
      watchdog.stdout_lines(),
      (std::vector<std::string>{
          capture + ": aaaaaaaa-0000-4000-8000-000000000001: cancel silently by [rule.reads]: "
                    "elapsed 312000ms > max_elapsed 300000ms",
          capture +
              ": aaaaaaaa-0000-4000-8000-000000000002: none: protected by [protect.backups] text",
          capture + ": aaaaaaaa-0000-4000-8000-000000000003: none: no active rule selects it",
          capture +
              ": aaaaaaaa-0000-4000-8000-000000000004: none: within the limits of [rule.reads]",
      }));
  EXPECT_FALSE(std::ifstream(ws.audit_path()).good() && !ws.audit_records().empty());
}

TEST(PolicyEndToEnd, CheckConfigWarnsAboutAShadowedRule) {
  Workspace ws;
  const std::string config =
      ws.write_config("http://127.0.0.1:1",
                      "\n[rule.everything]\nmax_elapsed = 10m\n\n[rule.reads]\nmax_elapsed = "
                      "5m\nquery_matches = ^MATCH\n");
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config, "--check-config"});
  ASSERT_EQ(watchdog.wait_exit(milliseconds(30000)), 0) << joined(watchdog.stderr_lines());
  const auto lines = watchdog.stdout_lines();
  EXPECT_TRUE(has_line(
      lines, "# warning: " + config +
                 ": rule.reads: never governs a query: [rule.everything] comes first and selects "
                 "every query"))
      << joined(lines);
  int warnings = 0;
  for (const auto& l : lines) warnings += l.rfind("# warning: ", 0) == 0;
  EXPECT_EQ(warnings, 1) << joined(lines);
  EXPECT_TRUE(has_line(lines, "# configuration OK: version " + version_of(config) +
                                  ", 1 endpoint(s), 2 rule(s), 0 protection(s)"));
}

// A rule with a counted repetition is warned about, with its cost measured at load; the plain
// rule next to it is not. Which regexes are warned about never depends on the machine's speed.
TEST(PolicyEndToEnd, CheckConfigWarnsAboutAnExpensiveRegex) {
  Workspace ws;
  const std::string config =
      ws.write_config("http://127.0.0.1:1",
                      "\n[rule.writes]\nmax_elapsed = 1m\nquery_matches = "
                      "(?i)(create|merge|delete|set).{0,500}(detach|remove)\n"
                      "\n[rule.reads]\nmax_elapsed = 5m\nquery_matches = "
                      "(?i)(create|merge|delete|set).*(detach|remove)\n");
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config, "--check-config"});
  ASSERT_EQ(watchdog.wait_exit(milliseconds(30000)), 0) << joined(watchdog.stderr_lines());
  std::vector<std::string> warnings;
  for (const auto& l : watchdog.stdout_lines())
    if (l.rfind("# warning: ", 0) == 0) warnings.push_back(l);
  ASSERT_EQ(warnings.size(), 1u) << joined(watchdog.stdout_lines());
  EXPECT_EQ(
      warnings[0].rfind("# warning: " + config + ": rule.writes.query_matches: costs about ", 0),
      0u)
      << warnings[0];
  EXPECT_NE(warnings[0].find(
                " per 1,000 texts of 1 KiB (RE2 program size 4,542, 4,492 of it from counted "
                "repetitions; warned above 200): counted repetitions like .{0,500} copy their "
                "operand once per count"),
            std::string::npos)
      << warnings[0];
}

// A cancel Neptune acknowledges but that does not take: the next poll records
// cancel_ineffective and the cancel is retried exactly once; the poll after that records
// given_up, once, and nothing is sent again.
TEST(PolicyEndToEnd, AnIneffectiveCancelIsRecordedAndRetriedOnce) {
  Simulator sim;
  SimQuery stubborn = running(50, "MATCH (s) RETURN s", 600000);
  stubborn.ignore_cancel = true;
  sim.inject(stubborn);
  Workspace ws;
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", ws.write_config(sim.url(), kReadsRule)});
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("not cancelling it again") != std::string::npos; },
      kWait))
      << joined(watchdog.stderr_lines());
  wait_for_polls(watchdog, 4);  // more polls: no third cancel, no further records
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);

  EXPECT_EQ(sim.cancelled_ids(), (std::vector<std::string>{stubborn.id, stubborn.id}));
  const auto records = ws.audit_records();
  std::vector<std::string> outcomes;
  for (const auto& r : records) {
    outcomes.push_back(r->getValue<std::string>("outcome"));
    EXPECT_EQ(r->getValue<std::string>("query_id"), stubborn.id);
    EXPECT_EQ(r->getValue<std::string>("rule"), "reads");
  }
  EXPECT_EQ(outcomes,
            (std::vector<std::string>{"cancelled", "cancel_ineffective", "cancelled", "given_up"}));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1]->getValue<std::string>("reason"),
            "still running after Neptune acknowledged its cancel; retrying once");
  EXPECT_EQ(records[1]->getValue<int>("attempts"), 0);
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

std::string with_audit_log(const std::string& config_path, const std::string& audit_path) {
  std::ifstream in(config_path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const auto at = s.find("audit_log = ");
  s.replace(at, s.find('\n', at) - at, "audit_log = " + audit_path);
  std::ofstream(config_path) << s;
  return config_path;
}

// SIGHUP applies a whole new file live: an endpoint added is polled (its runaway cancelled), a
// new audit_log takes the records from then on, a new metrics_listen is served. A file whose
// new audit file cannot be opened is rejected whole: the endpoint it removes is still polled.
TEST(PolicyEndToEnd, SighupAppliesEndpointsAuditLogAndMetricsLive) {
  Simulator sim({"--instances", "2"});
  sim.inject(kLongRead, 1);  // on the second instance, not watched yet
  Workspace ws;
  const std::string config = ws.write_config(sim.url(0), kReadsRule);
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  wait_for_polls(watchdog, 2);
  EXPECT_EQ(sim.cancels(1)->size(), 0u);

  const std::string second_audit = ws.path("second.jsonl");
  ws.write_config(sim.url(0), "\n[endpoint.reader]\nurl = " + sim.url(1) + "\n" + kReadsRule,
                  "metrics_listen = 127.0.0.1:0\n");
  with_audit_log(config, second_audit);
  watchdog.signal(SIGHUP);
  EXPECT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("reload: endpoints added [reader], removed [], changed []") !=
               std::string::npos;
      },
      kWait))
      << joined(watchdog.stderr_lines());
  EXPECT_TRUE(wait_until([&] { return sim.cancels(1)->size() >= 1; }))
      << joined(watchdog.stderr_lines());
  EXPECT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("metrics on http://127.0.0.1:") != std::string::npos;
      },
      kWait));
  EXPECT_TRUE(wait_until([&] {
    std::ifstream in(second_audit);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.find("\"outcome\":\"cancelled\"") != std::string::npos &&
           all.find("\"endpoint\":\"reader\"") != std::string::npos;
  }));
  EXPECT_TRUE(ws.audit_records().empty()) << "records after the reload go to the new file";

  // Rejected whole: the audit file cannot be opened, so the writer is not removed either.
  ws.write_config(sim.url(1), kReadsRule);
  with_audit_log(config, ws.path("not-a-directory") + "/audit.jsonl");
  std::ofstream(ws.path("not-a-directory")) << "x";
  watchdog.signal(SIGHUP);
  EXPECT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("reload rejected: ") != std::string::npos &&
               l.find("watchdog.audit_log") != std::string::npos;
      },
      kWait))
      << joined(watchdog.stderr_lines());
  EXPECT_EQ(watchdog.wait_exit(milliseconds(0)), std::nullopt) << "the daemon must still run";
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);
}

}  // namespace
}  // namespace nw
