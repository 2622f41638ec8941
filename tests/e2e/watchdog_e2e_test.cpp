// End to end: the real neptune-watchdog binary against the real neptune-sim binary over
// loopback. Queries are injected into the simulator with exact clocks, the watchdog runs,
// and the simulator's record of the cancels it received is compared with the audit log.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <signal.h>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "support/child_process.h"

namespace nw {
namespace {

namespace fs = std::filesystem;
using Poco::JSON::Array;
using Poco::JSON::Object;
using std::chrono::milliseconds;
using test::ChildProcess;

using e2e::run_once;
using e2e::SimQuery;
using e2e::Simulator;
using e2e::Workspace;

const std::string kLongReadsRule =
    "\n[rule.long-reads]\nmax_elapsed = 30s\nmax_waited = 5s\nquery_matches = ^\\s*MATCH\n"
    "query_excludes = watchdog:exempt\naction = cancel\nsilent = true\n";

const SimQuery kLong{"11111111-1111-4111-8111-111111111111",
                     "MATCH (a)-[*1..9]->(b) RETURN count(b)", "running", 600000, 0};
const SimQuery kExempt{"22222222-2222-4222-8222-222222222222",
                       "MATCH (n) /* watchdog:exempt */ RETURN count(n)", "running", 600000, 0};
const SimQuery kShort{"33333333-3333-4333-8333-333333333333", "MATCH (n) RETURN n LIMIT 1",
                      "running", 1000, 0};
const SimQuery kQueued{"44444444-4444-4444-8444-444444444444", "MATCH (q) RETURN q", "waiting", 0,
                       120000};
const SimQuery kWrite{"55555555-5555-4555-8555-555555555555", "CREATE (n:Event) RETURN n",
                      "running", 600000, 0};

TEST(WatchdogEndToEnd, CancelsWhatBreaksTheRuleAndNothingElse) {
  Simulator sim;
  for (const auto& q : {kLong, kExempt, kShort, kQueued, kWrite}) sim.inject(q);
  Workspace ws;
  ASSERT_EQ(run_once(ws.write_config(sim.url(), kLongReadsRule)), 0);

  auto cancels = sim.cancels();
  ASSERT_EQ(cancels->size(), 2u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < cancels->size(); ++i) {
    auto c = cancels->getObject(static_cast<unsigned>(i));
    ids.insert(c->getValue<std::string>("queryId"));
    EXPECT_TRUE(c->getValue<bool>("silent"));
    EXPECT_EQ(c->getValue<std::string>("api"), "rest");
  }
  EXPECT_EQ(ids, (std::set<std::string>{kLong.id, kQueued.id}));

  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 2u);
  for (const auto& r : records) {
    EXPECT_EQ(r->getValue<std::string>("outcome"), "cancelled");
    EXPECT_EQ(r->getValue<std::string>("rule"), "long-reads");
    EXPECT_EQ(r->getValue<std::string>("endpoint"), "writer");
    EXPECT_EQ(r->getValue<std::string>("language"), "opencypher");
    EXPECT_EQ(r->getValue<std::string>("action"), "cancel");
    EXPECT_TRUE(r->getValue<bool>("silent"));
    EXPECT_FALSE(r->getValue<bool>("dry_run"));
    EXPECT_EQ(r->getValue<int>("attempts"), 1);
    EXPECT_TRUE(std::regex_match(r->getValue<std::string>("time"),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  }
  const auto by_id = [&](const std::string& id) {
    for (const auto& r : records)
      if (r->getValue<std::string>("query_id") == id) return r;
    return Object::Ptr();
  };
  ASSERT_TRUE(by_id(kLong.id));
  EXPECT_GE(by_id(kLong.id)->getValue<std::int64_t>("elapsed_ms"), 600000);
  EXPECT_EQ(by_id(kLong.id)->getValue<std::string>("query"), kLong.text);
  ASSERT_TRUE(by_id(kQueued.id));
  EXPECT_GE(by_id(kQueued.id)->getValue<std::int64_t>("waited_ms"), 120000);
  EXPECT_EQ(by_id(kQueued.id)->getValue<std::int64_t>("elapsed_ms"), 0);
}

TEST(WatchdogEndToEnd, LegacyServletFormCancelsToo) {
  Simulator sim;
  sim.inject(kLong);
  sim.inject(kShort);
  Workspace ws;
  const std::string config = ws.write_config(sim.url(), "api = legacy\n" + kLongReadsRule);
  ASSERT_EQ(run_once(config), 0);
  auto cancels = sim.cancels();
  ASSERT_EQ(cancels->size(), 1u);
  EXPECT_EQ(cancels->getObject(0)->getValue<std::string>("queryId"), kLong.id);
  EXPECT_EQ(cancels->getObject(0)->getValue<std::string>("api"), "legacy");
  EXPECT_TRUE(cancels->getObject(0)->getValue<bool>("silent"));
}

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A rehearsal next to the running service: the service holds the metrics port and writes the
// audit file. --once --dry-run serves no metrics (so the held port does not fail it), cancels
// nothing, leaves the audit file as it was, and prints its records as JSON lines on stdout.
TEST(WatchdogEndToEnd, OnceDryRunNextToTheServicePrintsItsRecordsAndLeavesTheAuditFile) {
  Simulator sim;
  sim.inject(kLong);
  sim.inject(kShort);
  Workspace ws;
  Poco::Net::ServerSocket service_metrics(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string config = ws.write_config(
      sim.url(), kLongReadsRule,
      "metrics_listen = 127.0.0.1:" + std::to_string(service_metrics.address().port()) + "\n");
  const std::string service_record = "{\"outcome\":\"cancelled\",\"mode\":\"service\"}\n";
  std::ofstream(ws.audit_path(), std::ios::binary) << service_record;

  ChildProcess rehearsal(NW_WATCHDOG_BIN, {"--config", config, "--once", "--dry-run"});
  ASSERT_EQ(rehearsal.wait_exit(milliseconds(30000)), 0) << e2e::joined(rehearsal.stderr_lines());
  EXPECT_EQ(sim.cancels()->size(), 0u);
  EXPECT_EQ(file_text(ws.audit_path()), service_record);

  const auto lines = rehearsal.stdout_lines();
  ASSERT_EQ(lines.size(), 1u) << e2e::joined(lines);
  const auto record = Poco::JSON::Parser().parse(lines[0]).extract<Object::Ptr>();
  EXPECT_EQ(record->getValue<std::string>("query_id"), kLong.id);
  EXPECT_EQ(record->getValue<std::string>("outcome"), "dry_run");
  EXPECT_EQ(record->getValue<std::string>("mode"), "once");
  EXPECT_EQ(record->getValue<std::string>("rule"), "long-reads");
  EXPECT_TRUE(record->getValue<bool>("dry_run"));
  EXPECT_EQ(record->getValue<int>("attempts"), 0);
}

// --once that acts serves no metrics either, and audits to the file, each record saying which
// process wrote it.
TEST(WatchdogEndToEnd, OnceIgnoresAHeldMetricsPortAndAuditsItsModeToTheFile) {
  Simulator sim;
  sim.inject(kLong);
  sim.inject(kShort);
  Workspace ws;
  Poco::Net::ServerSocket service_metrics(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string config = ws.write_config(
      sim.url(), kLongReadsRule,
      "metrics_listen = 127.0.0.1:" + std::to_string(service_metrics.address().port()) + "\n");
  ChildProcess once(NW_WATCHDOG_BIN, {"--config", config, "--once"});
  ASSERT_EQ(once.wait_exit(milliseconds(30000)), 0) << e2e::joined(once.stderr_lines());
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{kLong.id});
  EXPECT_EQ(once.stdout_lines(), std::vector<std::string>{});
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]->getValue<std::string>("query_id"), kLong.id);
  EXPECT_EQ(records[0]->getValue<std::string>("outcome"), "cancelled");
  EXPECT_EQ(records[0]->getValue<std::string>("mode"), "once");
}

TEST(WatchdogEndToEnd, RetriesAThrottledCancelAndRecordsTheAttempts) {
  Simulator sim({"--fault", "429,count=2,on=cancel"});
  sim.inject(kLong);
  Workspace ws;
  ASSERT_EQ(run_once(ws.write_config(sim.url(), kLongReadsRule)), 0);
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{kLong.id});
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]->getValue<std::string>("outcome"), "cancelled");
  EXPECT_EQ(records[0]->getValue<int>("attempts"), 3);
}

TEST(WatchdogEndToEnd, RetriesThrottledPolls) {
  Simulator sim({"--fault", "408,count=1,on=status", "--fault", "500,count=1,on=status"});
  sim.inject(kLong);
  Workspace ws;
  ASSERT_EQ(run_once(ws.write_config(sim.url(), kLongReadsRule)), 0);
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{kLong.id});
}

TEST(WatchdogEndToEnd, CancelThatGivesUpIsAuditedAsFailed) {
  Simulator sim({"--fault", "429,on=cancel"});
  sim.inject(kLong);
  Workspace ws;
  const std::string retry = "max_attempts = 3\ninitial_backoff = 10ms\nmax_backoff = 20ms\n";
  ASSERT_EQ(run_once(ws.write_config(sim.url(), kLongReadsRule, "", retry)), 0);
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]->getValue<std::string>("outcome"), "failed");
  EXPECT_EQ(records[0]->getValue<int>("attempts"), 3);
  EXPECT_NE(records[0]->getValue<std::string>("error").find("TooManyRequestsException"),
            std::string::npos);
}

TEST(WatchdogEndToEnd, FailedPollsNeitherStopTheDaemonNorAudit) {
  // Each poll is tried twice; the first six status requests fail, so three polls fail before
  // one succeeds and the long query is cancelled.
  Simulator sim({"--fault", "500,count=6,on=status"});
  sim.inject(kLong);
  Workspace ws;
  const std::string retry = "max_attempts = 2\ninitial_backoff = 10ms\nmax_backoff = 20ms\n";
  ChildProcess watchdog(NW_WATCHDOG_BIN,
                        {"--config", ws.write_config(sim.url(), kLongReadsRule, "", retry)});
  const auto cancelled = watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("cancelled by rule") != std::string::npos; },
      milliseconds(30000));
  ASSERT_TRUE(cancelled) << "no cancel after the faults ended";
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);

  int failed_polls = 0;
  for (const auto& line : watchdog.stderr_lines())
    failed_polls += line.find("poll failed after 2 attempt(s)") != std::string::npos;
  EXPECT_GE(failed_polls, 3);
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]->getValue<std::string>("outcome"), "cancelled");
}

TEST(WatchdogEndToEnd, LogActionIsAuditedOncePerQuery) {
  Simulator sim;
  sim.inject(kLong);
  Workspace ws;
  const std::string rule = "\n[rule.watch]\nmax_elapsed = 1s\naction = log\n";
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", ws.write_config(sim.url(), rule)});
  // Wait for several polls.
  int polls = 0;
  watchdog.wait_for_stderr(
      [&](const std::string& l) {
        return l.find(" queries (") != std::string::npos && ++polls >= 4;
      },
      milliseconds(30000));
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);
  EXPECT_GE(polls, 4);
  EXPECT_EQ(sim.cancels()->size(), 0u);
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]->getValue<std::string>("outcome"), "logged");
  EXPECT_EQ(records[0]->getValue<std::string>("action"), "log");
}

// SIGTERM or SIGINT while idle between polls, and while sleeping in a retry back-off: each
// stops the daemon cleanly (exit 0) within the 2 s README.md promises.
TEST(WatchdogEndToEnd, StopSignalsEndTheDaemonPromptlyWhenIdleAndDuringBackoff) {
  struct Row {
    const char* name;
    std::vector<std::string> sim_args;
    std::string wait_for;
    int signo;
  };
  const std::vector<Row> rows = {
      {"SIGTERM idle", {}, " queries (", SIGTERM},
      {"SIGINT idle", {}, " queries (", SIGINT},
      {"SIGTERM in back-off", {"--fault", "429,on=status"}, "retrying in", SIGTERM},
      {"SIGINT in back-off", {"--fault", "429,on=status"}, "retrying in", SIGINT},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    Simulator sim(row.sim_args);
    Workspace ws;
    const std::string retry = "max_attempts = 10\ninitial_backoff = 20s\nmax_backoff = 60s\n";
    ChildProcess watchdog(
        NW_WATCHDOG_BIN,
        {"--config", ws.write_config(sim.url(), kLongReadsRule, "poll_interval = 30s\n", retry)});
    ASSERT_TRUE(watchdog.wait_for_stderr(
        [&](const std::string& l) { return l.find(row.wait_for) != std::string::npos; },
        milliseconds(30000)));
    watchdog.signal(row.signo);
    EXPECT_EQ(watchdog.wait_exit(milliseconds(2000)), 0);
  }
}

// A cancel still waiting for Neptune's answer when SIGTERM arrives is abandoned, and on record
// once after its write-ahead record. The cancels still waiting their turn (one in flight at a
// time here) were never sent and have no write-ahead record: one log line counts them.
TEST(WatchdogEndToEnd, SigtermAbandonsASlowCancelAndAuditsEverySentOne) {
  Simulator sim({"--fault", "delay=20s,on=cancel"});
  const SimQuery second{"66666666-6666-4666-8666-666666666666", "MATCH (m) RETURN m", "running",
                        500000, 0};
  for (const auto& q : {kLong, kQueued, second}) sim.inject(q);
  Workspace ws;
  // A generous request timeout, so that the first cancel is still in flight at SIGTERM.
  const std::string config = ws.write_config(
      sim.url(), kLongReadsRule, "max_cancels_in_flight = 1\n", "", "request_timeout = 60s\n");
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find(" queries (3 accepted") != std::string::npos; },
      milliseconds(30000)));
  std::this_thread::sleep_for(
      milliseconds(300));  // the first cancel is now waiting on the simulator
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(2000)), 0);
  // The cancel's exchange was ended (its socket shut down), and its worker returned: the daemon
  // left through its front door, not by abandoning a thread.
  const auto lines = watchdog.stderr_lines();
  const auto logged = [&](const std::string& text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(logged("stopped with requests still in flight"));
  EXPECT_FALSE(logged("leaving without it"));
  EXPECT_TRUE(logged("2 cancel(s) were waiting their turn at shutdown and were not sent"))
      << e2e::joined(lines);
  EXPECT_EQ(ws.all_audit_records().size(), 2u);  // the sending record and its outcome
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  EXPECT_TRUE(r->getValue<std::string>("query_id") == kLong.id ||
              r->getValue<std::string>("query_id") == kQueued.id ||
              r->getValue<std::string>("query_id") == second.id);
  EXPECT_EQ(r->getValue<std::string>("outcome"), "failed");
  EXPECT_NE(r->getValue<std::string>("error").find("abandoned at shutdown"), std::string::npos);
  EXPECT_EQ(r->getValue<int>("attempts"), 1);
}

TEST(WatchdogEndToEnd, ConfigurationAndUsageErrorsHaveTheirExitCodes) {
  Workspace ws;
  ASSERT_EQ(run_once(ws.write_config("http://127.0.0.1:1", "\n[rule.broken]\nquery_matches = (\n")),
            78);
  ChildProcess bad_config(
      NW_WATCHDOG_BIN,
      {"--config", ws.write_config("ftp://x", "\n[rule.broken]\nquery_matches = (\n")});
  EXPECT_EQ(bad_config.wait_exit(milliseconds(10000)), 78);
  const auto lines = bad_config.stderr_lines();
  const auto has = [&](const std::string& text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has(": endpoint.writer.url: bad url 'ftp://x'"));
  EXPECT_TRUE(has(": rule.broken.query_matches: bad regex '('"));
  EXPECT_TRUE(has(": rule.broken: a rule needs at least one limit"));

  ChildProcess usage(NW_WATCHDOG_BIN, {"--no-such-flag"});
  EXPECT_EQ(usage.wait_exit(milliseconds(10000)), 64);
  ChildProcess help(NW_WATCHDOG_BIN, {"--help"});
  EXPECT_EQ(help.wait_exit(milliseconds(10000)), 0);
}

// A malformed metrics address or an audit file that cannot be opened is a configuration error
// (78: systemd does not restart); a metrics port that another socket holds may be freed, so
// it exits 1 and systemd restarts the daemon (RestartPreventExitStatus=64 78).
TEST(WatchdogEndToEnd, StartupFailuresNameTheirKeyAndOnlyATakenPortExitsOne) {
  Workspace ws;
  const std::string rule = "\n[rule.r]\nmax_elapsed = 1m\n";
  // Whether one line of the child's output says both `text` and `detail`.
  const auto says = [](ChildProcess& p, const std::string& text, const std::string& detail) {
    const auto lines = p.stderr_lines();
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find(text) != std::string::npos && l.find(detail) != std::string::npos;
    });
  };

  ChildProcess malformed(
      NW_WATCHDOG_BIN,
      {"--config", ws.write_config("http://127.0.0.1:1", rule, "metrics_listen = 127.0.0.1\n")});
  EXPECT_EQ(malformed.wait_exit(milliseconds(10000)), 78);
  EXPECT_TRUE(
      says(malformed, ": watchdog.metrics_listen: invalid listen address '127.0.0.1'", "(line "))
      << e2e::joined(malformed.stderr_lines());
  ChildProcess checked(NW_WATCHDOG_BIN, {"--config", ws.path("watchdog.ini"), "--check-config"});
  EXPECT_EQ(checked.wait_exit(milliseconds(10000)), 78)
      << "--check-config must catch the address too";

  Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
  const auto port = std::to_string(taken.address().port());
  ChildProcess busy(NW_WATCHDOG_BIN,
                    {"--config", ws.write_config("http://127.0.0.1:1", rule,
                                                 "metrics_listen = 127.0.0.1:" + port + "\n")});
  EXPECT_EQ(busy.wait_exit(milliseconds(10000)), 1);
  EXPECT_TRUE(says(busy, ": watchdog.metrics_listen: cannot listen on 127.0.0.1:" + port,
                   "Address already in use"))
      << e2e::joined(busy.stderr_lines());

  // The audit file's directory is a regular file: open fails with "Not a directory".
  std::ofstream(ws.path("not-a-directory")) << "x";
  const auto config = ws.write_config("http://127.0.0.1:1", rule);
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find(ws.audit_path());
  ASSERT_NE(at, std::string::npos);
  text.replace(at, ws.audit_path().size(), ws.path("not-a-directory") + "/audit.jsonl");
  std::ofstream(config) << text;
  ChildProcess unopenable(NW_WATCHDOG_BIN, {"--config", config});
  EXPECT_EQ(unopenable.wait_exit(milliseconds(10000)), 78);
  EXPECT_TRUE(
      says(unopenable, ": watchdog.audit_log: cannot open '", "not-a-directory/audit.jsonl"))
      << e2e::joined(unopenable.stderr_lines());
}

// What others could change is refused at startup, as a configuration error (78) that says how
// to fix it: a config file they can write, and a symbolic link at the audit path (root would
// append to whatever file it points at).
TEST(WatchdogEndToEnd, AConfigOthersCanWriteAndALinkedAuditFileAreConfigurationErrors) {
  Workspace ws;
  const auto says = [](ChildProcess& p, const std::string& text) {
    const auto lines = p.stderr_lines();
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };
  const std::string config = ws.write_config("http://127.0.0.1:1", kLongReadsRule);
  std::filesystem::permissions(config, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--config", config},
        std::vector<std::string>{"--config", config, "--check-config"}}) {
    ChildProcess writable(NW_WATCHDOG_BIN, args);
    EXPECT_EQ(writable.wait_exit(milliseconds(10000)), 78);
    EXPECT_TRUE(says(writable, config +
                                   ": is writable by others (mode 0646): anyone could change "
                                   "what gets cancelled; fix with: chmod go-w " +
                                   config))
        << e2e::joined(writable.stderr_lines());
  }
  EXPECT_FALSE(std::filesystem::exists(ws.audit_path()));

  std::filesystem::permissions(config, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::remove);
  std::ofstream(ws.path("elsewhere")) << "";
  std::filesystem::create_symlink(ws.path("elsewhere"), ws.audit_path());
  ChildProcess linked(NW_WATCHDOG_BIN, {"--config", config});
  EXPECT_EQ(linked.wait_exit(milliseconds(10000)), 78);
  EXPECT_TRUE(says(linked, config + ": watchdog.audit_log: audit_log " + ws.audit_path() +
                               " is a symbolic link: refusing to follow it; point audit_log at "
                               "the real file"))
      << e2e::joined(linked.stderr_lines());
  EXPECT_EQ(std::filesystem::file_size(ws.path("elsewhere")), 0u);
}

// audit_group names a group the io layer looks up (the core only keeps the name): one that
// does not exist is a configuration error at start and in --check-config, with no file made.
TEST(WatchdogEndToEnd, AnUnknownAuditGroupIsAConfigurationError) {
  Workspace ws;
  const std::string config =
      ws.write_config("http://127.0.0.1:1", kLongReadsRule, "audit_group = nw-no-such-group\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--config", config},
        std::vector<std::string>{"--config", config, "--check-config"}}) {
    ChildProcess p(NW_WATCHDOG_BIN, args);
    EXPECT_EQ(p.wait_exit(milliseconds(10000)), 78);
    const auto lines = p.stderr_lines();
    EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l == config +
                      ": watchdog.audit_group: no group named "
                      "'nw-no-such-group'";
    })) << e2e::joined(lines);
  }
  EXPECT_FALSE(std::filesystem::exists(ws.audit_path()));
}

// --check-config reads [ha]'s password_file as the daemon will (trusted, not empty) and the
// TLS files, without contacting etcd: each problem names its key.
TEST(WatchdogEndToEnd, CheckConfigReportsTheHaFilesItCannotUse) {
  Workspace ws;
  const std::string password = ws.path("etcd-password");
  const auto config_with = [&](const std::string& ha_keys) {
    return ws.write_config("http://127.0.0.1:1",
                           "\n[ha]\netcd = https://127.0.0.1:1\nusername = wd\npassword_file = " +
                               password + "\n" + ha_keys + kLongReadsRule);
  };
  const auto check = [&](const std::string& config, int expected_code) {
    ChildProcess p(NW_WATCHDOG_BIN, {"--config", config, "--check-config"});
    EXPECT_EQ(p.wait_exit(milliseconds(10000)), expected_code);
    return expected_code == 0 ? p.stdout_lines() : p.stderr_lines();
  };
  const auto has = [](const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  };
  const std::string config = config_with("");
  auto lines = check(config, 78);
  EXPECT_TRUE(has(lines, config + ": ha.password_file: cannot read " + password +
                             ": No such file or directory"))
      << e2e::joined(lines);

  std::ofstream(password) << "\n";
  std::filesystem::permissions(
      password, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  lines = check(config, 78);
  EXPECT_TRUE(has(lines, config + ": ha.password_file: " + password +
                             " is empty: it holds the etcd user's password"))
      << e2e::joined(lines);

  std::ofstream(password) << "s3cret\n";
  std::filesystem::permissions(password, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  lines = check(config, 78);
  EXPECT_TRUE(has(lines, config + ": ha.password_file: " + password +
                             " is writable by others (mode 0602): anyone could change the "
                             "password the daemon logs in to etcd with; fix with: chmod go-w " +
                             password))
      << e2e::joined(lines);

  std::filesystem::permissions(password, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::remove);
  const std::string missing_ca = ws.path("no-ca.pem");
  const std::string with_ca = config_with("ca_file = " + missing_ca + "\n");
  lines = check(with_ca, 78);
  EXPECT_TRUE(has(
      lines, with_ca + ": ha.ca_file: cannot read " + missing_ca + ": No such file or directory"))
      << e2e::joined(lines);
  for (const auto& line : lines) EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;

  lines = check(config_with(""), 0);
  EXPECT_TRUE(has(lines, "[ha]")) << e2e::joined(lines);
  EXPECT_TRUE(has(lines, "password_file = " + password)) << e2e::joined(lines);
  for (const auto& line : lines) EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
}

TEST(WatchdogEndToEnd, OnceExitsNonZeroWhenAnEndpointCannotBePolled) {
  Workspace ws;
  std::string url;
  {
    Simulator sim;
    url = sim.url();
  }  // nothing listens there any more
  const std::string retry = "max_attempts = 2\ninitial_backoff = 10ms\nmax_backoff = 20ms\n";
  EXPECT_EQ(run_once(ws.write_config(url, kLongReadsRule, "", retry)), 1);
  EXPECT_TRUE(ws.audit_records().empty());
}

}  // namespace
}  // namespace nw

namespace nw::e2e {
namespace {

using std::chrono::milliseconds;

// /dev/full accepts the open but fails every flush (ENOSPC): the audit cannot be written. With
// on_audit_failure = pause not one cancel is sent, since the write-ahead record of the first
// one already fails; with continue, cancelling goes on.
TEST(AuditFailure, CancellingPausesWhileTheAuditLogCannotBeWritten) {
  struct Row {
    const char* mode;
    std::size_t cancels;
  } rows[] = {{"pause", 0}, {"continue", 3}};
  for (const auto& row : rows) {
    SCOPED_TRACE(row.mode);
    Simulator sim;
    for (int i = 1; i <= 3; ++i)
      sim.inject({"cccccccc-0000-4000-8000-00000000000" + std::to_string(i), "MATCH (n) RETURN n",
                  "running", 600000 + i, 0});
    Workspace ws;
    std::string config = ws.write_config(sim.url(), "\n[rule.long]\nmax_elapsed = 30s\n",
                                         std::string("on_audit_failure = ") + row.mode + "\n");
    {
      std::ifstream in(config);
      std::stringstream text;
      text << in.rdbuf();
      std::string s = text.str();
      s.replace(s.find("audit_log = "),
                s.find('\n', s.find("audit_log = ")) - s.find("audit_log = "),
                "audit_log = /dev/full");
      std::ofstream(config) << s;
    }
    test::ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config, "--once"});
    EXPECT_EQ(watchdog.wait_exit(milliseconds(30000)), 0);
    EXPECT_EQ(sim.cancels()->size(), row.cancels);
    bool loud = false;
    for (const auto& l : watchdog.stderr_lines())
      loud = loud || l.find("NOT written") != std::string::npos;
    EXPECT_TRUE(loud);
  }
}

}  // namespace
}  // namespace nw::e2e

namespace nw::e2e {
namespace {

using std::chrono::milliseconds;

// The operator frees the disk (here: the audit file's directory stops being /dev, so `full` is
// no longer /dev/full) and logrotate's SIGUSR1 reopens the file: the first record that can be
// written ends the pause, and the queries held back meanwhile are cancelled by the next polls,
// each with its record. A link may not be the audit file itself, but the directories above it
// are the operator's to link.
TEST(AuditFailure, CancellingResumesOnceTheAuditLogCanBeWrittenAgain) {
  Simulator sim;
  for (int i = 1; i <= 3; ++i)
    sim.inject({"dddddddd-0000-4000-8000-00000000000" + std::to_string(i), "MATCH (n) RETURN n",
                "running", 600000 + i, 0});
  Workspace ws;
  const std::string audit = ws.path("logs/full");
  std::string config = ws.write_config(sim.url(), "\n[rule.long]\nmax_elapsed = 30s\n", "");
  {
    std::ifstream in(config);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    s.replace(s.find(ws.audit_path()), ws.audit_path().size(), audit);
    std::ofstream(config) << s;
  }
  std::filesystem::create_directory_symlink("/dev", ws.path("logs"));
  test::ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("cancelling is paused") != std::string::npos; },
      milliseconds(20000)));
  EXPECT_EQ(sim.cancels()->size(), 0u);  // the first cancel's write-ahead record failed: not sent

  std::filesystem::remove(ws.path("logs"));
  std::filesystem::create_directory(ws.path("logs"));
  watchdog.signal(SIGUSR1);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("cancelling resumes") != std::string::npos; },
      milliseconds(20000)));
  for (int i = 0; i < 200 && sim.cancels()->size() < 3; ++i)
    std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(sim.cancels()->size(), 3u);
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);

  std::filesystem::copy_file(audit, ws.audit_path());  // where the workspace reads records
  std::size_t cancelled = 0;
  for (const auto& record : ws.audit_records())
    cancelled += record->getValue<std::string>("outcome") == "cancelled";
  EXPECT_EQ(cancelled, 3u);  // every one held back, each with its record
}

}  // namespace
}  // namespace nw::e2e

namespace nw::e2e {
namespace {

using std::chrono::milliseconds;

// Killed while a cancel is on its way: its `sending` record has no outcome, and the next start
// says so.
TEST(WatchdogEndToEnd, AStartAfterACrashSaysHowManyCancelsWereUnanswered) {
  Simulator sim({"--fault", "delay=20s,on=cancel"});
  sim.inject(kLong);
  Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), kLongReadsRule, "", "", "request_timeout = 60s\n");
  {
    ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
    bool sending = false;
    for (int i = 0; i < 600 && !sending; ++i) {
      std::this_thread::sleep_for(milliseconds(50));
      for (const auto& r : ws.all_audit_records())
        sending = sending || r->getValue<std::string>("outcome") == "sending";
    }
    ASSERT_TRUE(sending);
    watchdog.signal(SIGKILL);
    watchdog.wait_exit(milliseconds(10000));
  }
  ChildProcess again(NW_WATCHDOG_BIN, {"--config", config});
  EXPECT_TRUE(again.wait_for_stderr(
      [](const std::string& l) {
        return l.find("1 cancels were sent or about to be sent when the daemon stopped") !=
               std::string::npos;
      },
      milliseconds(20000)))
      << joined(again.stderr_lines());
  again.signal(SIGTERM);
  EXPECT_EQ(again.wait_exit(milliseconds(10000)), 0);
}

}  // namespace
}  // namespace nw::e2e
