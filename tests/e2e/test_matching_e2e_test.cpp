// --test-matching end to end: the real neptune-watchdog on captures of every kind (a list,
// one query, an error reply, SPARQL, standard input), offline.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

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
const std::string kDemo = kSource + "/etc/demo/neptune-watchdog.ini";

struct Outcome {
  int code;
  Lines out, err;
};

Outcome run(const std::vector<std::string>& args) {
  ChildProcess watchdog(NW_WATCHDOG_BIN, args);
  const auto code = watchdog.wait_exit(kWait);
  if (!code) ADD_FAILURE() << "neptune-watchdog did not exit";
  return {code.value_or(-1), watchdog.stdout_lines(), watchdog.stderr_lines()};
}

// Standard input, an error reply, a SPARQL list and one query's status, in one run: every
// readable capture is judged, the error reply fails the run.
TEST(TestMatchingEndToEnd, ReadsStandardInputAndReportsAnErrorReply) {
  e2e::Workspace ws;
  const std::string config = ws.write_config(
      "http://127.0.0.1:1", "\n[rule.sparql]\nmax_elapsed = 20s\nlanguages = sparql\n"
                            "\n[rule.reads]\nmax_elapsed = 20s\nquery_matches = ^MATCH\n");
  const std::string data = kSource + "/tests/data/";
  const std::string script = std::string("exec \"$0\" --config \"$1\" --test-matching - \"$2\" \"$3\" < \"$4\"");
  ChildProcess watchdog("/bin/sh", {"-c", script, NW_WATCHDOG_BIN, config, data + "error_read_only_violation.json",
                                    data + "sparql_list.json", data + "opencypher_single_query.json"});
  ASSERT_EQ(watchdog.wait_exit(kWait), 1) << joined(watchdog.stderr_lines());
  EXPECT_EQ(watchdog.stdout_lines(),
            (Lines{"-: eadc6eea-698b-4a2f-8554-5270ab17ebee: cancel by [rule.reads]: elapsed 23463ms > "
                   "max_elapsed 20000ms",
                   data + "sparql_list.json: fb34cd3e-…: cancel by [rule.sparql]: elapsed 29256ms > max_elapsed "
                          "20000ms"}));
  EXPECT_EQ(watchdog.stderr_lines(),
            Lines{data + "error_read_only_violation.json: an error reply, not a status: ReadOnlyViolationException: "
                         "The request is rejected because it violates some read-only restriction, such as a "
                         "designation of a replica as read-only."});
}

TEST(TestMatchingEndToEnd, RefusesABadInstantOrLanguageAsAUsageError) {
  const std::string capture = kSource + "/tests/data/sparql_list.json";
  EXPECT_EQ(run({"--config", kDemo, "--test-matching", capture, "--at", "noon"}).code, 64);
  EXPECT_EQ(run({"--config", kDemo, "--test-matching", capture, "--language", "cypher"}).code, 64);
}

}  // namespace
}  // namespace nw
