// --test-matching: offline rehearsal of a policy on captured status replies.
#include "nw/app/test_matching.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nw {
namespace {

namespace fs = std::filesystem;
using Lines = std::vector<std::string>;

// Wednesday 2026-11-25T12:00:00Z.
const auto kNow = std::chrono::system_clock::from_time_t(1795608000);

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("nw-test-matching-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) const {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

std::string entry(const std::string& id, const std::string& text, long long elapsed, long long waited = 0,
                  bool cancelled = false) {
  return "{\"queryId\":\"" + id + "\",\"queryString\":\"" + text + "\",\"queryEvalStats\":{\"waited\":" +
         std::to_string(waited) + ",\"elapsed\":" + std::to_string(elapsed) +
         ",\"cancelled\":" + (cancelled ? "true" : "false") + "}}";
}

std::string body(const std::vector<std::string>& entries) {
  std::string out = "{\"acceptedQueryCount\":" + std::to_string(entries.size()) + ",\"runningQueryCount\":" +
                    std::to_string(entries.size()) + ",\"queries\":[";
  for (std::size_t i = 0; i < entries.size(); ++i) out += (i ? "," : "") + entries[i];
  return out + "]}";
}

const std::string kConfig =
    "[endpoint.e]\nurl = http://127.0.0.1:1\n"
    "[protect]\nquery_ids = p1\n"
    "[protect.backups]\nquery_matches = backup\n"
    "[rule.logged]\nmax_elapsed = 1s\nquery_matches = ^LOG\naction = log\n"
    "[rule.rehearsal]\nmax_elapsed = 1s\nquery_matches = ^DRY\ndry_run = true\n"
    "[rule.quiet]\nmax_elapsed = 1s\nquery_matches = ^QUIET\nsilent = true\n"
    "[rule.quiet-dry]\nmax_elapsed = 1s\nquery_matches = ^QDRY\nsilent = true\ndry_run = true\n"
    "[rule.guard]\nmax_running = 1\nquery_matches = ^GUARD\n"
    "[rule.reads]\nmax_elapsed = 300s\nquery_matches = ^MATCH\n";

WatchdogConfig config(const std::string& text) {
  const ConfigResult r = parse_config(text, "f.ini");
  for (const auto& e : r.errors) ADD_FAILURE() << e.format("f.ini");
  return r.config;
}

Lines lines(const std::string& text) {
  Lines out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

struct Outcome {
  int code;
  Lines out;
  Lines err;
};

Outcome run(const WatchdogConfig& c, const std::vector<std::string>& paths) {
  std::ostringstream out, err;
  const int code = run_test_matching(c, paths, kNow, out, err);
  return {code, lines(out.str()), lines(err.str())};
}

const std::string kCapture = body({
    entry("q-cancel", "MATCH (a)-[*1..9]->(b) RETURN count(b)", 312000),
    entry("q-within", "MATCH (n) RETURN n", 1000),
    entry("q-queued", "MATCH (q) RETURN q", 0, 120000),
    entry("q-log", "LOG me", 5000),
    entry("q-dry", "DRY run", 5000),
    entry("q-quiet", "QUIET please", 5000),
    entry("q-qdry", "QDRY both", 5000),
    entry("p1", "MATCH (p) RETURN p", 999999),
    entry("q-backup", "MATCH (n) /* backup */ RETURN n", 999999),
    entry("q-none", "CREATE (n:Event)", 999999),
    entry("q-cancelled", "MATCH (c) RETURN c", 999999, 0, true),
    entry("g1", "GUARD one", 200),
    entry("g2", "GUARD two", 100),
});

TEST(TestMatching, PrintsOneLinePerQueryWithTheRuleAndTheReason) {
  TempDir dir;
  const std::string f = dir.write("capture.json", kCapture);
  struct Row {
    const char* name;
    std::string config;
    Lines expected;
  } rows[] = {
      {"as configured", kConfig,
       {f + ": q-cancel: cancel by [rule.reads]: elapsed 312000ms > max_elapsed 300000ms",
        f + ": q-within: none: within the limits of [rule.reads]",
        f + ": q-queued: none: within the limits of [rule.reads]",
        f + ": q-log: log by [rule.logged]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-dry: cancel (dry run) by [rule.rehearsal]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-quiet: cancel silently by [rule.quiet]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-qdry: cancel (dry run) silently by [rule.quiet-dry]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": p1: none: protected by [protect] id",
        f + ": q-backup: none: protected by [protect.backups] text",
        f + ": q-none: none: no active rule selects it",
        f + ": q-cancelled: none: already cancelled",
        f + ": g1: cancel by [rule.guard]: running 2 > max_running 1 (oldest beyond the limit)",
        f + ": g2: none: within the limits of [rule.guard]"}},
      {"whole policy in dry run", "[watchdog]\ndry_run = true\n" + kConfig,
       {f + ": q-cancel: cancel (dry run) by [rule.reads]: elapsed 312000ms > max_elapsed 300000ms",
        f + ": q-within: none: within the limits of [rule.reads]",
        f + ": q-queued: none: within the limits of [rule.reads]",
        f + ": q-log: log by [rule.logged]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-dry: cancel (dry run) by [rule.rehearsal]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-quiet: cancel (dry run) silently by [rule.quiet]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-qdry: cancel (dry run) silently by [rule.quiet-dry]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": p1: none: protected by [protect] id",
        f + ": q-backup: none: protected by [protect.backups] text",
        f + ": q-none: none: no active rule selects it",
        f + ": q-cancelled: none: already cancelled",
        f + ": g1: cancel (dry run) by [rule.guard]: running 2 > max_running 1 (oldest beyond the limit)",
        f + ": g2: none: within the limits of [rule.guard]"}},
      {"a queued query over max_waited", kConfig + "max_waited = 60s\n",
       {f + ": q-cancel: cancel by [rule.reads]: elapsed 312000ms > max_elapsed 300000ms",
        f + ": q-within: none: within the limits of [rule.reads]",
        f + ": q-queued: cancel by [rule.reads]: waited 120000ms > max_waited 60000ms",
        f + ": q-log: log by [rule.logged]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-dry: cancel (dry run) by [rule.rehearsal]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-quiet: cancel silently by [rule.quiet]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-qdry: cancel (dry run) silently by [rule.quiet-dry]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": p1: none: protected by [protect] id",
        f + ": q-backup: none: protected by [protect.backups] text",
        f + ": q-none: none: no active rule selects it",
        f + ": q-cancelled: none: already cancelled",
        f + ": g1: cancel by [rule.guard]: running 2 > max_running 1 (oldest beyond the limit)",
        f + ": g2: none: within the limits of [rule.guard]"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Outcome r = run(config(row.config), {f});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, row.expected);
    EXPECT_EQ(r.err, Lines{});
  }
}

TEST(TestMatching, ReadsADirectoryOfJsonFilesInNameOrder) {
  TempDir dir;
  dir.write("caps/b.json", body({entry("b1", "MATCH (n)", 400000)}));
  dir.write("caps/a.json", body({entry("a1", "MATCH (n)", 10), entry("a2", "CREATE (n)", 10)}));
  dir.write("caps/c.json", "{\"queries\":[]}");
  dir.write("caps/d.json", "{}");
  dir.write("caps/notes.txt", "not JSON at all");
  dir.write("caps/sub/e.json", body({entry("e1", "MATCH (n)", 400000)}));
  const std::string caps = dir.path("caps");
  const std::string single = dir.write("single.json", body({entry("s1", "MATCH (n)", 400000)}));
  const Outcome r = run(config(kConfig), {caps, single});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, (Lines{
                       caps + "/a.json: a1: none: within the limits of [rule.reads]",
                       caps + "/a.json: a2: none: no active rule selects it",
                       caps + "/b.json: b1: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms",
                       caps + "/c.json: no queries",
                       caps + "/d.json: no queries",
                       single + ": s1: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms",
                   }));
  EXPECT_EQ(r.err, Lines{});
}

// An entry the daemon would skip is named, with why, after the queries that were evaluated; the
// file itself is read.
TEST(TestMatching, NamesTheEntriesItSkipsAsMalformed) {
  TempDir dir;
  const std::string f = dir.write(
      "capture.json", body({entry("q-neg", "MATCH (n)", -5), entry("q-long", "MATCH (n)", 400000),
                            "{\"queryId\":\"q-text\",\"queryString\":\"MATCH \\ud800\"}"}));
  const std::string only = dir.write("only.json", body({entry("q-neg", "MATCH (n)", -5)}));
  const Outcome r = run(config(kConfig), {f, only});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out,
            (Lines{
                f + ": q-long: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms",
                f + ": q-neg: none: skipped, its entry is malformed (queryEvalStats: 'elapsed' is "
                    "negative)",
                f + ": q-text: none: skipped, its entry is malformed (a string escapes a lone "
                    "UTF-16 surrogate)",
                only + ": q-neg: none: skipped, its entry is malformed (queryEvalStats: 'elapsed' "
                       "is negative)",
            }));
  EXPECT_EQ(r.err, Lines{});
}

TEST(TestMatching, ReportsUnreadableAndBadFilesAndStillPrintsTheOthers) {
  TempDir dir;
  const std::string good = dir.write("good.json", body({entry("g", "MATCH (n)", 400000)}));
  const std::string missing = dir.path("missing.json");
  const std::string not_object = dir.write("array.json", "[1, 2]");
  const std::string bad_json = dir.write("bad.json", "{\"queries\": [");
  const std::string bad_shape = dir.write("shape.json", "{\"queries\": 5}");
  dir.write("empty-dir/readme.txt", "nothing here");
  const std::string empty_dir = dir.path("empty-dir");
  const std::string also_good = dir.write("also.json", body({entry("h", "MATCH (n)", 10)}));

  const Outcome r = run(config(kConfig), {missing, good, not_object, bad_json, bad_shape, empty_dir, also_good});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, (Lines{
                       good + ": g: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms",
                       also_good + ": h: none: within the limits of [rule.reads]",
                   }));
  ASSERT_EQ(r.err.size(), 5u) << ::testing::PrintToString(r.err);
  EXPECT_EQ(r.err[0], empty_dir + ": no *.json files");  // directories are listed before files are read
  EXPECT_EQ(r.err[1], missing + ": cannot read the file");
  EXPECT_EQ(r.err[2], not_object + ": status body: not a JSON object");
  EXPECT_EQ(r.err[3].rfind(bad_json + ": status body: ", 0), 0u) << r.err[3];
  EXPECT_EQ(r.err[4], bad_shape + ": status body: 'queries' is not an array");
}

TEST(TestMatching, EachErrorAloneFailsTheRun) {
  TempDir dir;
  struct Row {
    const char* name;
    std::string path;
    std::string err_prefix;
  } rows[] = {
      {"missing file", dir.path("nope.json"), dir.path("nope.json") + ": cannot read the file"},
      {"not JSON", dir.write("x.json", "hello"), dir.path("x.json") + ": status body: "},
      {"empty file", dir.write("empty.json", ""), dir.path("empty.json") + ": status body: "},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Outcome r = run(config(kConfig), {row.path});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, Lines{});
    ASSERT_EQ(r.err.size(), 1u);
    EXPECT_EQ(r.err[0].rfind(row.err_prefix, 0), 0u) << r.err[0];
  }
}

}  // namespace
}  // namespace nw
