// --digest end to end: the real neptune-watchdog on audit files of every kind (the daemon's own,
// rotated, gzip-compressed, standard input, damaged), checked against what was written.
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/DeflatingStream.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "nw/core/audit_record.h"
#include "nw/core/fingerprint.h"
#include "support/child_process.h"
#include "support/utc_time.h"

namespace nw {
namespace {

using e2e::joined;
using Lines = std::vector<std::string>;
using std::chrono::milliseconds;
using std::chrono::minutes;
using test::ChildProcess;

constexpr milliseconds kWait{60000};

struct Outcome {
  int code;
  Lines out, err;
};

Outcome run(const std::vector<std::string>& args) {
  const e2e::CommandRun r = e2e::run_watchdog(args, kWait);
  if (!r.code) ADD_FAILURE() << "neptune-watchdog did not exit";
  return {r.code.value_or(-1), r.out_lines, r.err_lines};
}

Poco::JSON::Array::Ptr json_of(const Outcome& r) {
  std::string text;
  for (const auto& line : r.out) text += line + "\n";
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Array::Ptr>();
}

std::string gzip(const std::string& bytes) {
  std::ostringstream compressed;
  Poco::DeflatingOutputStream deflater(compressed, Poco::DeflatingStreamBuf::STREAM_GZIP);
  deflater << bytes;
  deflater.close();
  return compressed.str();
}

// Writes audit files as the daemon does (to_json_line, the fingerprint of each query) and
// remembers what it wrote, per fingerprint.
class AuditFiles {
 public:
  struct Expected {
    int cancelled = 0, dry_run = 0, failed = 0;
    std::int64_t burned_ms = 0;
  };

  // `n` records of `query`'s shape (each with its own literal), one minute apart from `at`.
  std::string records(const std::string& query_prefix, int n, AuditOutcome outcome,
                      std::chrono::system_clock::time_point at, std::int64_t elapsed_ms) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      AuditRecord r;
      r.time = at + minutes(i);
      r.endpoint = i % 3 ? "reader-1" : "writer";
      r.language = Language::opencypher;
      r.query_id = "q-" + std::to_string(++sequence_);
      r.rule = "long-reads";
      r.elapsed_ms = elapsed_ms;
      r.outcome = outcome;
      r.query = query_prefix + std::to_string(1000 + sequence_) + " RETURN n";
      r.config_version = "5e2c0a9f41b7";
      r.fingerprint = fingerprint_hex(fingerprint_query(r.language, r.query).hash);
      out += to_json_line(r) + "\n";
      Expected& e = expected[r.fingerprint];
      if (outcome == AuditOutcome::cancelled) {
        ++e.cancelled;
        e.burned_ms += elapsed_ms;
      }
      if (outcome == AuditOutcome::dry_run) ++e.dry_run;
      if (outcome == AuditOutcome::failed) ++e.failed;
    }
    return out;
  }

  std::map<std::string, Expected> expected;

 private:
  int sequence_ = 0;
};

const auto kDay = test::utc(2026, 12, 1, 0, 0);
const std::string kScan = "MATCH (n:Person) WHERE n.id = ";
const std::string kPath = "MATCH (a {id: 1})-[*1..9]->(b) WHERE b.rank > ";
const std::string kLookup = "MATCH (u:User) WHERE u.age < ";

// Three files as logrotate leaves them (the oldest compressed), with topology events, a
// damaged line and a line that is not JSON: every cancel is counted once, ranked, with the
// Neptune time burned, across all three.
class DigestEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    // One statement per call: the order of the records (and of their literals) is the order
    // written here.
    std::string oldest = files_.records(kScan, 40, AuditOutcome::cancelled, kDay, 60000);
    oldest += files_.records(kPath, 5, AuditOutcome::failed, kDay, 1000);
    std::string older =
        files_.records(kPath, 30, AuditOutcome::cancelled, kDay + std::chrono::hours(2), 900000);
    older += to_json_line(
        topology_record(kDay, "prod", "db-1", "added", "reader", "cv", RunMode::service));
    older += "\nthis line is not JSON\n";
    std::string newest =
        files_.records(kLookup, 7, AuditOutcome::dry_run, kDay + std::chrono::hours(5), 5000);
    newest +=
        files_.records(kScan, 2, AuditOutcome::cancelled, kDay + std::chrono::hours(6), 60000);
    newest += "{\"time\":\"2026-12-01T07:00:00Z\",\"outcome\":\"cancelled\"}\n";
    std::ofstream(ws_.path("audit.jsonl.2.gz"), std::ios::binary) << gzip(oldest);
    std::ofstream(ws_.path("audit.jsonl.1"), std::ios::binary) << older;
    std::ofstream(ws_.path("audit.jsonl"), std::ios::binary) << newest;
    files = {ws_.path("audit.jsonl"), ws_.path("audit.jsonl.1"), ws_.path("audit.jsonl.2.gz")};
  }

  std::string fingerprint_of(const std::string& prefix) {
    return fingerprint_hex(fingerprint_query(Language::opencypher, prefix + "1 RETURN n").hash);
  }

  e2e::Workspace ws_;
  AuditFiles files_;
  std::vector<std::string> files;
};

TEST_F(DigestEndToEnd, RanksTheShapesOfRotatedAndCompressedFilesByCancels) {
  std::vector<std::string> args = {"--digest"};
  args.insert(args.end(), files.begin(), files.end());
  const Outcome r = run(args);
  ASSERT_EQ(r.code, 0) << joined(r.err);
  EXPECT_EQ(r.err, Lines{"neptune-watchdog: 2 lines skipped: not a decision record the digest "
                         "can read"});
  // kScan: 42 cancels of 60 s (42m00s); kPath: 30 cancels of 15 min (7h30m) and 5 failed;
  // kLookup: 7 dry-run cancels. Ranked by cancels first.
  ASSERT_GE(r.out.size(), 4u + 3u * 4u) << joined(r.out);
  EXPECT_EQ(r.out[0],
            "# 84 decision records from 3 files, 2026-12-01T00:00:00Z to 2026-12-01T06:01:00Z");
  EXPECT_EQ(r.out[1], "# 3 fingerprints; Burned: the Neptune time of the cancelled queries");
  EXPECT_EQ(r.out[3].substr(0, 21), "Rank Fingerprint     ");
  EXPECT_EQ(r.out[4].substr(0, 39), "   1 " + fingerprint_of(kScan) + "       42   42m00s");
  EXPECT_EQ(r.out[5], "     42 records, 2026-12-01T00:00:00Z to 2026-12-01T06:01:00Z");
  EXPECT_EQ(r.out[6], "     endpoints (2): reader-1, writer; rules (1): long-reads");
  EXPECT_EQ(r.out[7], "     " + kScan + "1001 RETURN n");  // the earliest record's text
  EXPECT_EQ(r.out[8].substr(0, 39), "   2 " + fingerprint_of(kPath) + "       30    7h30m");
  EXPECT_EQ(r.out[12].substr(0, 39), "   3 " + fingerprint_of(kLookup) + "        0      0ms");
}

TEST_F(DigestEndToEnd, JsonCarriesEveryCountOfEveryShape) {
  std::vector<std::string> args = {"--digest"};
  args.insert(args.end(), files.begin(), files.end());
  args.insert(args.end(), {"--format", "json"});
  const Outcome r = run(args);
  ASSERT_EQ(r.code, 0) << joined(r.err);
  const auto digest = json_of(r);
  ASSERT_EQ(digest->size(), files_.expected.size());
  for (std::size_t i = 0; i < digest->size(); ++i) {
    const auto entry = digest->getObject(static_cast<unsigned>(i));
    const std::string fp = entry->getValue<std::string>("fingerprint");
    SCOPED_TRACE(fp);
    ASSERT_EQ(files_.expected.count(fp), 1u);
    const auto& want = files_.expected[fp];
    EXPECT_EQ(entry->getValue<int>("rank"), static_cast<int>(i) + 1);
    EXPECT_EQ(entry->getValue<int>("cancelled"), want.cancelled);
    EXPECT_EQ(entry->getValue<int>("dry_run"), want.dry_run);
    EXPECT_EQ(entry->getValue<int>("failed"), want.failed);
    EXPECT_EQ(entry->getValue<std::int64_t>("burned_ms"), want.burned_ms);
    EXPECT_FALSE(entry->getValue<bool>("fingerprint_computed"));
  }
}

TEST_F(DigestEndToEnd, SinceAndUntilCountOnlyTheirRange) {
  // From 02:00 (kPath's cancels start) until 06:00 (kScan's last two start): kPath's 30 and
  // kLookup's 7 dry-run cancels.
  const Outcome r =
      run({"--digest", files[0], files[1], files[2], "--since", "2026-12-01T02:00:00Z", "--until",
           "2026-12-01T06:00:00Z", "--format", "json"});
  ASSERT_EQ(r.code, 0) << joined(r.err);
  const auto digest = json_of(r);
  ASSERT_EQ(digest->size(), 2u);
  EXPECT_EQ(digest->getObject(0)->getValue<std::string>("fingerprint"), fingerprint_of(kPath));
  EXPECT_EQ(digest->getObject(0)->getValue<int>("cancelled"), 30);
  EXPECT_EQ(digest->getObject(0)->getValue<int>("failed"), 0);  // at 00:00-00:04
  EXPECT_EQ(digest->getObject(1)->getValue<int>("dry_run"), 7);
  // The newest file from 05:30: kLookup's 7 records (05:00-05:06) are left out, and said so.
  const Outcome text = run({"--digest", files[0], "--since", "2026-12-01T05:30:00Z"});
  ASSERT_EQ(text.code, 0);
  ASSERT_GE(text.out.size(), 2u);
  EXPECT_EQ(text.out[1], "# counted: from 2026-12-01T05:30:00Z (7 records outside)");
}

// A missing file does not hide the others' digest, and fails the run with 66, naming it.
TEST_F(DigestEndToEnd, AFileThatCannotBeReadIsNamedAndTheOthersAreStillSummed) {
  const std::string missing = ws_.path("audit.jsonl.3.gz");
  const Outcome r = run({"--digest", files[0], missing, "--format", "json", "--limit", "1"});
  EXPECT_EQ(r.code, 66);
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err[0], "neptune-watchdog: " + missing + ": No such file or directory");
  const auto digest = json_of(r);
  ASSERT_EQ(digest->size(), 1u);                                   // --limit 1
  EXPECT_EQ(digest->getObject(0)->getValue<int>("cancelled"), 2);  // kScan's, then kLookup's
}

TEST_F(DigestEndToEnd, ReadsGzipOnStandardInput) {
  ChildProcess watchdog("/bin/sh", {"-c", "exec \"$0\" --digest - --format json < \"$1\"",
                                    NW_WATCHDOG_BIN, files[2]});
  ASSERT_EQ(watchdog.wait_exit(kWait), 0) << joined(watchdog.stderr_lines());
  const auto digest = json_of({0, watchdog.stdout_lines(), {}});
  ASSERT_EQ(digest->size(), 2u);
  EXPECT_EQ(digest->getObject(0)->getValue<int>("cancelled"), 40);
  EXPECT_EQ(digest->getObject(1)->getValue<int>("failed"), 5);
}

TEST(DigestUsage, BadOptionsAreUsageErrors) {
  EXPECT_EQ(run({"--digest", "a", "--since", "last week"}).code, 64);
  EXPECT_EQ(run({"--digest", "a", "--format", "xml"}).code, 64);
  EXPECT_EQ(run({"--format", "json"}).code, 64);
}

// The daemon's own audit: three copies of one shape (different literals) and one other query
// cancelled by a real --once cycle against the simulator, summed up by --digest.
TEST(DigestOfTheDaemonsAudit, GroupsTheCopiesOfAShape) {
  e2e::Simulator sim;
  const std::string shape = "MATCH (p:Person)-[:KNOWS*1..6]->(f) WHERE p.id = ";
  for (int i = 0; i < 3; ++i)
    sim.inject({"aaaaaaaa-0000-4000-8000-00000000000" + std::to_string(i),
                shape + std::to_string(100 + i) + " RETURN count(f)", "running", 600000 + i, 0});
  sim.inject(
      {"bbbbbbbb-0000-4000-8000-000000000000", "MATCH (n) RETURN count(n)", "running", 400000, 0});
  e2e::Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), "\n[rule.long-reads]\nmax_elapsed = 30s\naction = cancel\n");
  ChildProcess once(NW_WATCHDOG_BIN, {"--config", config, "--once"});
  ASSERT_EQ(once.wait_exit(kWait), 0) << joined(once.stderr_lines());
  ASSERT_EQ(sim.cancels()->size(), 4u);

  const Outcome r = run({"--digest", ws.audit_path(), "--format", "json"});
  ASSERT_EQ(r.code, 0) << joined(r.err);
  EXPECT_EQ(r.err, Lines{});
  const auto digest = json_of(r);
  ASSERT_EQ(digest->size(), 2u) << joined(r.out);
  const auto top = digest->getObject(0);
  EXPECT_EQ(top->getValue<int>("cancelled"), 3);
  EXPECT_EQ(top->getValue<int>("records"), 3);  // the `sending` records are not counted
  // Burned: the elapsed time the daemon saw and audited for each of the three when it cancelled.
  std::int64_t burned = 0;
  for (const auto& record : ws.audit_records())
    if (record->getValue<std::string>("query").rfind(shape, 0) == 0)
      burned += record->getValue<std::int64_t>("elapsed_ms");
  EXPECT_GE(burned, 3 * 600000);
  EXPECT_EQ(top->getValue<std::int64_t>("burned_ms"), burned);
  const std::string expected_fingerprint =
      fingerprint_hex(fingerprint_query(Language::opencypher, shape + "100 RETURN count(f)").hash);
  EXPECT_EQ(top->getValue<std::string>("fingerprint"), expected_fingerprint);
  // Grouped by the fingerprint the daemon wrote in each record (not computed from the text).
  EXPECT_FALSE(top->getValue<bool>("fingerprint_computed"));
  for (const auto& record : ws.audit_records()) {
    if (record->getValue<std::string>("query").rfind(shape, 0) == 0) {
      EXPECT_EQ(record->getValue<std::string>("fingerprint"), expected_fingerprint);
    }
  }
  EXPECT_EQ(top->getArray("endpoints")->getElement<std::string>(0), "writer");
  EXPECT_EQ(digest->getObject(1)->getValue<int>("cancelled"), 1);
  EXPECT_EQ(digest->getObject(1)->getValue<std::string>("example"), "MATCH (n) RETURN count(n)");
}

}  // namespace
}  // namespace nw
