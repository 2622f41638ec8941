// End to end, `neptune-watchdog cancel`: an operator's one-off cancel with the configuration
// file alone, through the daemon's cancel path (write-ahead record, [retry], outcome record),
// against the real neptune-sim over loopback.
#include <chrono>
#include <fstream>
#include <pwd.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "support/child_process.h"

namespace nw {
namespace {

using e2e::running;
using e2e::Simulator;
using e2e::Workspace;

using e2e::CommandRun;

CommandRun cancel(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"cancel"};
  all.insert(all.end(), args.begin(), args.end());
  return e2e::run_watchdog(all);
}

TEST(ManualCancelEndToEnd, CancelsOneQueryAndAuditsItAsManualWithWhoAsked) {
  Simulator sim;
  const auto target = running(1, "MATCH (n:Account {id: 7}) RETURN n", 4000);
  const auto other = running(2, "MATCH (m) RETURN m", 9000000);
  sim.inject(target);
  sim.inject(other);
  Workspace ws;
  const std::string config = ws.write_config(sim.url(), "\n[rule.r]\nmax_elapsed = 1h\n");

  const CommandRun run = cancel({"--config", config, "--endpoint", "writer", target.id});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("query " + target.id + " on writer (opencypher): cancelled (1 request(s)"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{target.id});

  const auto records = ws.all_audit_records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]->getValue<std::string>("outcome"), "sending");
  EXPECT_EQ(records[1]->getValue<std::string>("outcome"), "cancelled");
  for (const auto& r : records) {
    EXPECT_EQ(r->getValue<std::string>("rule"), "manual");
    EXPECT_EQ(r->getValue<std::string>("query_id"), target.id);
    // The user running it (and, under sudo, who ran sudo).
    EXPECT_EQ(r->getValue<std::string>("reason").rfind(
                  "manual cancel by " + std::string(::getpwuid(::getuid())->pw_name), 0),
              0u);
    EXPECT_EQ(r->getValue<std::string>("query"), target.text);
    EXPECT_GE(r->getValue<std::int64_t>("elapsed_ms"), 4000);
    EXPECT_EQ(r->getValue<std::string>("record_id"),
              records[0]->getValue<std::string>("record_id"));
  }
}

TEST(ManualCancelEndToEnd, AQueryThatIsNotRunningIsLeftAloneAndNotAudited) {
  Simulator sim;
  Workspace ws;
  const std::string config = ws.write_config(sim.url(), "\n[rule.r]\nmax_elapsed = 1h\n");
  const CommandRun run = cancel({"--config", config, "--endpoint", "writer", "no-such-query"});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.out.find("query no-such-query is not running on writer (opencypher): nothing to "
                         "cancel"),
            std::string::npos)
      << run.out << run.err;
  EXPECT_TRUE(sim.cancelled_ids().empty());
  EXPECT_TRUE(ws.all_audit_records().empty());
}

TEST(ManualCancelEndToEnd, NothingIsSentWithoutItsAuditRecord) {
  Simulator sim;
  const auto target = running(1, "MATCH (n) RETURN n", 4000);
  sim.inject(target);
  Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), "\n[rule.r]\nmax_elapsed = 1h\n", "audit_max_size = 0\n");
  {
    // /dev/full: every write fails, as on a full disk.
    std::ifstream in(config);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    const auto at = s.find("audit_log = ");
    s.replace(at, s.find('\n', at) - at, "audit_log = /dev/full");
    std::ofstream(config) << s;
  }
  const CommandRun run = cancel({"--config", config, "--endpoint", "writer", target.id});
  EXPECT_EQ(run.code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("not sent: its `sending` record could not be written to /dev/full"),
            std::string::npos)
      << run.err;
  EXPECT_TRUE(sim.cancelled_ids().empty());
}

TEST(ManualCancelEndToEnd, BadRequestsAreUsageErrors) {
  Simulator sim;
  Workspace ws;
  const std::string config = ws.write_config(sim.url(), "\n[rule.r]\nmax_elapsed = 1h\n");
  struct Row {
    std::vector<std::string> args;
    std::string error;
  } rows[] = {
      {{"--config", config, "--endpoint", "reader", "q"},
       "has no [endpoint.reader] (its endpoints: writer)"},
      {{"--config", config, "--endpoint", "writer", "--language", "sparql", "q"},
       "[endpoint.writer] is not watched for sparql (its languages = opencypher)"},
      {{"--config", config, "q"}, "cancel: --endpoint NAME is required"},
      {{"--config", config, "--endpoint", "writer"}, "cancel: which query?"},
      {{"--config", config, "--endpoint", "writer", "a", "b"}, "cancel: one query id at a time"},
      {{"--config", config, "--endpoint", "writer", "--force", "a"},
       "cancel: unknown option '--force'"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.error);
    const CommandRun run = cancel(row.args);
    EXPECT_EQ(run.code, 64);
    EXPECT_NE(run.err.find(row.error), std::string::npos) << run.err;
  }
  EXPECT_TRUE(sim.cancelled_ids().empty());
}

}  // namespace
}  // namespace nw
