// --test-matching end to end: the real neptune-watchdog on the shipped configurations, and on
// captures of every kind (a list, one query, an error reply, SPARQL, standard input), offline.
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "support/child_process.h"

namespace nw {
namespace {

using e2e::joined;
using Lines = std::vector<std::string>;
using std::chrono::milliseconds;
using test::ChildProcess;

constexpr milliseconds kWait{30000};

const std::string kSource = NW_SOURCE_DIR;
const std::string kData = kSource + "/tests/data/test_matching/";
const std::string kProduction = kSource + "/etc/neptune-watchdog/neptune-watchdog.ini";
const std::string kDemo = kSource + "/etc/demo/neptune-watchdog.ini";

// An .expected file holds one line per query without the "FILE: " that the binary prints first.
Lines expected(const std::string& name, const std::string& file) {
  std::ifstream in(kData + name);
  Lines out;
  for (std::string line; std::getline(in, line);) out.push_back(file + ": " + line);
  return out;
}

struct Outcome {
  int code;
  Lines out, err;
};

Outcome run(const std::vector<std::string>& args) {
  const e2e::CommandRun r = e2e::run_watchdog(args, kWait);
  if (!r.code) ADD_FAILURE() << "neptune-watchdog did not exit";
  return {r.code.value_or(-1), r.out_lines, r.err_lines};
}

// The shipped production example does what its comments say, on reads, writes that start
// like reads, exempt and protected queries: writes are only recorded, never cancelled, and
// the interactive-reads rule governs only in its window. Every line is checked, so the
// example cannot drift from its comments.
TEST(TestMatchingEndToEnd, TheProductionExampleCancelsReadsAndOnlyRecordsWrites) {
  const std::string capture = kData + "production_capture.json";
  struct Row {
    const char* at;
    const char* expected;
  } rows[] = {
      {"2026-12-02T12:00:00Z", "production_business_hours.expected"},  // a Wednesday, 12:00 UTC
      {"2026-12-02T03:00:00Z", "production_night.expected"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.at);
    const Outcome r = run({"--config", kProduction, "--test-matching", capture, "--at", row.at,
                           "--language", "opencypher"});
    EXPECT_EQ(r.code, 0) << joined(r.err);
    const Lines want = expected(row.expected, capture);
    ASSERT_EQ(want.size(), 18u);
    EXPECT_EQ(r.out, want);
    EXPECT_EQ(r.err, Lines{});
  }
}

TEST(TestMatchingEndToEnd, TheDemoConfigurationCancelsReadsAndOnlyRecordsWrites) {
  const std::string capture = kData + "demo_capture.json";
  const Outcome r = run({"--config", kDemo, "--test-matching", capture});
  EXPECT_EQ(r.code, 0) << joined(r.err);
  const Lines want = expected("demo.expected", capture);
  ASSERT_EQ(want.size(), 12u);
  EXPECT_EQ(r.out, want);
  EXPECT_EQ(r.err, Lines{});
}

// Standard input, an error reply, a SPARQL list and one query's status, in one run: every
// readable capture is judged, the error reply fails the run.
TEST(TestMatchingEndToEnd, ReadsStandardInputAndReportsAnErrorReply) {
  e2e::Workspace ws;
  const std::string config =
      ws.write_config("http://127.0.0.1:1",
                      "\n[rule.sparql]\nmax_elapsed = 20s\nlanguages = sparql\n"
                      "\n[rule.reads]\nmax_elapsed = 20s\nquery_matches = ^MATCH\n");
  const std::string data = kSource + "/tests/data/";
  const std::string script =
      std::string("exec \"$0\" --config \"$1\" --test-matching - \"$2\" \"$3\" < \"$4\"");
  ChildProcess watchdog(
      "/bin/sh", {"-c", script, NW_WATCHDOG_BIN, config, data + "error_read_only_violation.json",
                  data + "sparql_list.json", data + "opencypher_single_query.json"});
  ASSERT_EQ(watchdog.wait_exit(kWait), 1) << joined(watchdog.stderr_lines());
  EXPECT_EQ(
      watchdog.stdout_lines(),
      (Lines{"-: eadc6eea-698b-4a2f-8554-5270ab17ebee: cancel by [rule.reads]: elapsed 23463ms > "
             "max_elapsed 20000ms",
             data + "sparql_list.json: fb34cd3e-…: cancel by [rule.sparql]: elapsed 29256ms > "
                    "max_elapsed "
                    "20000ms"}));
  EXPECT_EQ(
      watchdog.stderr_lines(),
      Lines{data +
            "error_read_only_violation.json: an error reply, not a status: "
            "ReadOnlyViolationException: "
            "The request is rejected because it violates some read-only restriction, such as a "
            "designation of a replica as read-only."});
}

TEST(TestMatchingEndToEnd, RefusesABadInstantOrLanguageAsAUsageError) {
  const std::string capture = kData + "demo_capture.json";
  EXPECT_EQ(run({"--config", kDemo, "--test-matching", capture, "--at", "noon"}).code, 64);
  EXPECT_EQ(run({"--config", kDemo, "--test-matching", capture, "--language", "cypher"}).code, 64);
}

}  // namespace
}  // namespace nw
