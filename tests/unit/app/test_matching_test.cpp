// --test-matching: offline rehearsal of a policy on captured status replies.
#include "nw/app/test_matching.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "nw/core/fingerprint.h"

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

std::string entry(const std::string& id, const std::string& text, long long elapsed,
                  long long waited = 0, bool cancelled = false) {
  return "{\"queryId\":\"" + id + "\",\"queryString\":\"" + text +
         "\",\"queryEvalStats\":{\"waited\":" + std::to_string(waited) +
         ",\"elapsed\":" + std::to_string(elapsed) +
         ",\"cancelled\":" + (cancelled ? "true" : "false") + "}}";
}

std::string body(const std::vector<std::string>& entries) {
  std::string out = "{\"acceptedQueryCount\":" + std::to_string(entries.size()) +
                    ",\"runningQueryCount\":" + std::to_string(entries.size()) + ",\"queries\":[";
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

Outcome run(const WatchdogConfig& c, const std::vector<std::string>& paths,
            TestMatchingOptions options = TestMatchingOptions{kNow}) {
  std::ostringstream out, err;
  const int code = run_test_matching(c, paths, options, out, err);
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
      {"as configured",
       kConfig,
       {f + ": q-cancel: cancel by [rule.reads]: elapsed 312000ms > max_elapsed 300000ms",
        f + ": q-within: none: within the limits of [rule.reads]",
        f + ": q-queued: none: within the limits of [rule.reads]",
        f + ": q-log: log by [rule.logged]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-dry: cancel (dry run) by [rule.rehearsal]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-quiet: cancel silently by [rule.quiet]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-qdry: cancel (dry run) silently by [rule.quiet-dry]: elapsed 5000ms > max_elapsed "
            "1000ms",
        f + ": p1: none: protected by [protect] id",
        f + ": q-backup: none: protected by [protect.backups] text",
        f + ": q-none: none: no active rule selects it",
        f + ": q-cancelled: none: already cancelled",
        f + ": g1: cancel by [rule.guard]: running 2 > max_running 1 (oldest beyond the limit)",
        f + ": g2: none: within the limits of [rule.guard]"}},
      {"whole policy in dry run",
       "[watchdog]\ndry_run = true\n" + kConfig,
       {f + ": q-cancel: cancel (dry run) by [rule.reads]: elapsed 312000ms > max_elapsed 300000ms",
        f + ": q-within: none: within the limits of [rule.reads]",
        f + ": q-queued: none: within the limits of [rule.reads]",
        f + ": q-log: log by [rule.logged]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-dry: cancel (dry run) by [rule.rehearsal]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-quiet: cancel (dry run) silently by [rule.quiet]: elapsed 5000ms > max_elapsed "
            "1000ms",
        f + ": q-qdry: cancel (dry run) silently by [rule.quiet-dry]: elapsed 5000ms > max_elapsed "
            "1000ms",
        f + ": p1: none: protected by [protect] id",
        f + ": q-backup: none: protected by [protect.backups] text",
        f + ": q-none: none: no active rule selects it",
        f + ": q-cancelled: none: already cancelled",
        f + ": g1: cancel (dry run) by [rule.guard]: running 2 > max_running 1 (oldest beyond the "
            "limit)",
        f + ": g2: none: within the limits of [rule.guard]"}},
      {"a queued query over max_waited",
       kConfig + "max_waited = 60s\n",
       {f + ": q-cancel: cancel by [rule.reads]: elapsed 312000ms > max_elapsed 300000ms",
        f + ": q-within: none: within the limits of [rule.reads]",
        f + ": q-queued: cancel by [rule.reads]: waited 120000ms > max_waited 60000ms",
        f + ": q-log: log by [rule.logged]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-dry: cancel (dry run) by [rule.rehearsal]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-quiet: cancel silently by [rule.quiet]: elapsed 5000ms > max_elapsed 1000ms",
        f + ": q-qdry: cancel (dry run) silently by [rule.quiet-dry]: elapsed 5000ms > max_elapsed "
            "1000ms",
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

TEST(TestMatching, WithFingerprintsEachQueryShowsItsShape) {
  TempDir dir;
  const std::string f =
      dir.write("capture.json", body({entry("a", "MATCH (n {id: 'x1'}) RETURN n", 312000),
                                      entry("b", "MATCH (n {id: \\\"y2\\\"})\\nRETURN n", 1000)}));
  TestMatchingOptions options{kNow};
  options.fingerprints = true;
  const Outcome r = run(config(kConfig), {f}, options);
  const std::string shape =
      "  fingerprint " +
      fingerprint_hex(
          fingerprint_query(Language::opencypher, "MATCH (n {id: 'x1'}) RETURN n").hash) +
      ": match (n{id:?}) return n";
  EXPECT_EQ(r.out,
            (Lines{f + ": a: cancel by [rule.reads]: elapsed 312000ms > max_elapsed 300000ms",
                   shape, f + ": b: none: within the limits of [rule.reads]", shape}));
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
  EXPECT_EQ(
      r.out,
      (Lines{
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

  const Outcome r =
      run(config(kConfig), {missing, good, not_object, bad_json, bad_shape, empty_dir, also_good});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out,
            (Lines{
                good + ": g: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms",
                also_good + ": h: none: within the limits of [rule.reads]",
            }));
  ASSERT_EQ(r.err.size(), 5u) << ::testing::PrintToString(r.err);
  EXPECT_EQ(r.err[0],
            empty_dir + ": no *.json files");  // directories are listed before files are read
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

// Neptune's bodies differ by language only in SPARQL's queryEvalStats (subqueries, no waited):
// such a body is read as SPARQL's, and rules limited to other languages do not select it.
const std::string kSparql =
    "{\"acceptedQueryCount\":9, \"runningQueryCount\":1, \"queries\":[{\"queryId\":\"s1\","
    "\"queryEvalStats\":{\"subqueries\":0,\"elapsed\":400000,\"cancelled\":false},"
    "\"queryString\":\"SELECT ?s WHERE { ?s ?p ?o }\"}]}";
const std::string kByLanguage =
    "[endpoint.e]\nurl = http://127.0.0.1:1\n"
    "[rule.cypher]\nmax_elapsed = 1s\nlanguages = opencypher\n"
    "[rule.gremlin]\nmax_elapsed = 2s\nlanguages = gremlin\n"
    "[rule.sparql]\nmax_elapsed = 3s\nlanguages = sparql\n";

TEST(TestMatching, ReadsTheLanguageFromTheBodyOrFromTheOption) {
  TempDir dir;
  const std::string sparql = dir.write("sparql.json", kSparql);
  const std::string plain = dir.write("plain.json", body({entry("q1", "g.V().count()", 400000)}));
  const std::string note = plain +
                           ": read as openCypher's status; a Gremlin status looks the same and the "
                           "rules judge the two differently: for a Gremlin capture give "
                           "--language gremlin";
  struct Row {
    const char* name;
    std::optional<Language> language;
    std::string path;
    int code;
    Lines out, err;
  } rows[] = {
      {"SPARQL from the body",
       std::nullopt,
       sparql,
       0,
       {sparql + ": s1: cancel by [rule.sparql]: elapsed 400000ms > max_elapsed 3000ms"},
       {}},
      {"SPARQL from the body and the option",
       Language::sparql,
       sparql,
       0,
       {sparql + ": s1: cancel by [rule.sparql]: elapsed 400000ms > max_elapsed 3000ms"},
       {}},
      {"a SPARQL body is not Gremlin's",
       Language::gremlin,
       sparql,
       1,
       {},
       {sparql + ": a SPARQL status (queryEvalStats has subqueries and no waited), not Gremlin's"}},
      {"openCypher when the body does not say, with a note",
       std::nullopt,
       plain,
       0,
       {plain + ": q1: cancel by [rule.cypher]: elapsed 400000ms > max_elapsed 1000ms"},
       {note}},
      {"--language opencypher",
       Language::opencypher,
       plain,
       0,
       {plain + ": q1: cancel by [rule.cypher]: elapsed 400000ms > max_elapsed 1000ms"},
       {}},
      {"--language gremlin",
       Language::gremlin,
       plain,
       0,
       {plain + ": q1: cancel by [rule.gremlin]: elapsed 400000ms > max_elapsed 2000ms"},
       {}},
      {"--language sparql",
       Language::sparql,
       plain,
       0,
       {plain + ": q1: cancel by [rule.sparql]: elapsed 400000ms > max_elapsed 3000ms"},
       {}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Outcome r = run(config(kByLanguage), {row.path}, TestMatchingOptions{kNow, row.language});
    EXPECT_EQ(r.code, row.code);
    EXPECT_EQ(r.out, row.out);
    EXPECT_EQ(r.err, row.err);
  }
}

// Without a rule limited to some languages, the language changes nothing: no note.
TEST(TestMatching, NoLanguageNoteWhenTheRulesTreatEveryLanguageAlike) {
  TempDir dir;
  const std::string plain = dir.write("plain.json", body({entry("q1", "MATCH (n)", 400000)}));
  const Outcome r = run(config(kConfig), {plain});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out,
            Lines{plain + ": q1: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms"});
  EXPECT_EQ(r.err, Lines{});
}

// A capture names no endpoint: a rule limited to endpoints is judged as if it applied, and a
// note on standard error says so.
TEST(TestMatching, RulesLimitedToEndpointsAreJudgedAsIfTheyAppliedWithANote) {
  TempDir dir;
  const std::string plain = dir.write("plain.json", body({entry("q1", "MATCH (n)", 5000)}));
  const Outcome r = run(config("[endpoint.writer]\nurl = http://127.0.0.1:1\n"
                               "[rule.writer]\nmax_elapsed = 1s\nendpoints = writer\n"
                               "[rule.all]\nmax_elapsed = 1h\n"),
                        {plain});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out,
            Lines{plain + ": q1: cancel by [rule.writer]: elapsed 5000ms > max_elapsed 1000ms"});
  EXPECT_EQ(r.err, Lines{"note: rules and protections limited to endpoints (endpoints = ...) are "
                         "judged as if they applied to every capture"});
}

// An error reply captured instead of a status says nothing of the queries: an error, not
// "no queries".
TEST(TestMatching, AnErrorReplyIsAnErrorNotAnEmptyList) {
  TempDir dir;
  const std::string throttled =
      dir.write("429.json",
                "{\"requestId\":\"r1\",\"code\":\"TooManyRequestsException\",\"detailedMessage\":"
                "\"Too many requests\"}");
  const std::string denied = dir.write(
      "403.json", "{\"code\":\"AccessDeniedException\",\"detailedMessage\":\"not authorized\"}");
  const std::string bare = dir.write("bare.json", "{\"code\":\"ThrottlingException\"}");
  const std::string good = dir.write("good.json", body({entry("g", "MATCH (n)", 400000)}));
  const Outcome r = run(config(kConfig), {throttled, denied, bare, good});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out,
            Lines{good + ": g: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms"});
  EXPECT_EQ(
      r.err,
      (Lines{
          throttled + ": an error reply, not a status: TooManyRequestsException: Too many requests",
          denied + ": an error reply, not a status: AccessDeniedException: not authorized",
          bare + ": an error reply, not a status: ThrottlingException",
      }));
}

// One query's status (GET /opencypher/status/{id}) is judged as that query.
TEST(TestMatching, JudgesASingleQueryAnswer) {
  const std::string single = std::string(NW_TEST_DATA_DIR) + "/opencypher_single_query.json";
  const Outcome r = run(config(kConfig), {single});
  EXPECT_EQ(r.code, 0);
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(
      r.out[0],
      single + ": eadc6eea-698b-4a2f-8554-5270ab17ebee: none: within the limits of [rule.reads]");
  EXPECT_EQ(r.err, Lines{});
}

// Windows are judged at --at, not at the machine's time.
TEST(TestMatching, JudgesWindowsAtTheGivenInstant) {
  TempDir dir;
  const std::string f = dir.write("c.json", body({entry("q1", "MATCH (n)", 400000)}));
  const std::string windowed =
      "[endpoint.e]\nurl = http://127.0.0.1:1\n"
      "[rule.day]\nmax_elapsed = 300s\nquery_matches = ^MATCH\nactive = Mon-Fri 07:00-19:00 UTC\n"
      "[rule.night]\nmax_elapsed = 10m\naction = log\n";
  // Wednesday 2026-12-02: 12:00 and 03:00 UTC.
  const auto noon = std::chrono::system_clock::from_time_t(1796212800);
  const auto night = std::chrono::system_clock::from_time_t(1796180400);
  const Outcome day = run(config(windowed), {f}, TestMatchingOptions{noon});
  EXPECT_EQ(day.out,
            Lines{f + ": q1: cancel by [rule.day]: elapsed 400000ms > max_elapsed 300000ms"});
  const Outcome at_night = run(config(windowed), {f}, TestMatchingOptions{night});
  EXPECT_EQ(at_night.out,
            Lines{f + ": q1: none: within the limits of [rule.night]; [rule.day] selects it but "
                      "is outside its window (Mon-Fri 07:00-19:00 UTC)"});
}

TEST(TestMatching, ReadsStandardInputForADash) {
  TempDir dir;
  const std::string f = dir.write("c.json", body({entry("f1", "MATCH (n)", 10)}));
  std::istringstream in(body({entry("s1", "MATCH (n)", 400000)}));
  TestMatchingOptions options{kNow};
  options.standard_input = &in;
  const Outcome r = run(config(kConfig), {"-", f, "-"}, options);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, (Lines{"-: s1: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms",
                          f + ": f1: none: within the limits of [rule.reads]"}));
  EXPECT_EQ(r.err, Lines{"-: standard input was already read"});
}

// The memo is keyed by query id but checks the text: one id in two captures, with two texts,
// is judged by each text.
TEST(TestMatching, AnIdReusedWithAnotherTextIsJudgedByItsOwnText) {
  TempDir dir;
  const std::string a = dir.write("a.json", body({entry("same", "MATCH (n)", 400000)}));
  const std::string b = dir.write("b.json", body({entry("same", "CREATE (n)", 400000)}));
  const Outcome r = run(config(kConfig), {a, b, a});
  EXPECT_EQ(r.out,
            (Lines{a + ": same: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms",
                   b + ": same: none: no active rule selects it",
                   a + ": same: cancel by [rule.reads]: elapsed 400000ms > max_elapsed 300000ms"}));
}

}  // namespace
}  // namespace nw
