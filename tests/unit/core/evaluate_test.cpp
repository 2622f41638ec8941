// evaluate() and decide() with the policy features of issue 3: protections, per-rule dry run,
// concurrency guards, time windows, repeated ids and the query_excludes fail-safe.
#include <ctime>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nw/core/decide.h"
#include "nw/core/rule_memo.h"

namespace nw {
namespace {

using std::chrono::system_clock;
using Lines = std::vector<std::string>;

system_clock::time_point nov(int day, int hour, int minute, int second = 0) {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return system_clock::from_time_t(timegm(&tm));
}

// Wednesday 2026-11-25T12:00:00Z.
const auto kNow = nov(25, 12, 0);

std::shared_ptr<const re2::RE2> re(const char* pattern) {
  std::string error;
  auto compiled = compile_regex(pattern, error);
  EXPECT_EQ(error, "") << pattern;
  return compiled;
}

// A rule, fluently: R("r").elapsed(1000).matches("^MATCH").running(3)
struct R {
  Rule rule;
  explicit R(const char* name) { rule.name = name; }
  R& elapsed(long long ms) {
    rule.max_elapsed = Millis(ms);
    return *this;
  }
  R& waited(long long ms) {
    rule.max_waited = Millis(ms);
    return *this;
  }
  R& matches(const char* p) {
    rule.query_matches = re(p);
    return *this;
  }
  R& excludes(const char* p) {
    rule.query_excludes = re(p);
    return *this;
  }
  R& log() {
    rule.action = RuleAction::log;
    return *this;
  }
  R& silent() {
    rule.silent = true;
    return *this;
  }
  R& dry() {
    rule.dry_run = true;
    return *this;
  }
  R& running(std::int64_t n) {
    rule.max_running = n;
    return *this;
  }
  R& queued(std::int64_t n) {
    rule.max_queued = n;
    return *this;
  }
  R& active(const char* text) {
    std::string error;
    rule.active = parse_time_window(text, error);
    EXPECT_EQ(error, "") << text;
    return *this;
  }
  operator Rule() const { return rule; }  // NOLINT: builder
};

// A protection, fluently: P("protect.backups").ids({"a"}).matches("backup")
struct P {
  Protection protection;
  explicit P(const char* section) { protection.section = section; }
  P& ids(std::set<std::string> v) {
    protection.query_ids = std::move(v);
    return *this;
  }
  P& matches(const char* p) {
    protection.query_matches = re(p);
    return *this;
  }
  P& until(system_clock::time_point t) {
    protection.until = t;
    return *this;
  }
  operator Protection() const { return protection; }  // NOLINT: builder
};

Policy policy(std::vector<Rule> rules, std::vector<Protection> protections = {},
              bool dry_run = false) {
  Policy p;
  p.rules = std::move(rules);
  p.protections = std::move(protections);
  p.dry_run = dry_run;
  return p;
}

QueryStatus q(const char* id, long long elapsed, long long waited = 0,
              std::string text = "MATCH (n) RETURN n", bool cancelled = false) {
  return QueryStatus{id, std::move(text), elapsed, waited, cancelled};
}

// "index:verdict:rule:reason" per evaluation.
Lines evaluations(const std::vector<QueryStatus>& queries, const Policy& p,
                  system_clock::time_point now = kNow) {
  StatusSnapshot snapshot;
  snapshot.queries = queries;
  Lines out;
  for (const auto& e : evaluate(snapshot, p, now))
    out.push_back(std::to_string(e.query_index) + ":" + std::string(to_string(e.verdict)) + ":" +
                  (e.rule_index ? p.rules.at(*e.rule_index).name : "-") + ":" + e.reason);
  return out;
}

// "index:rule:reason" per decision.
Lines decisions(const std::vector<QueryStatus>& queries, const Policy& p,
                system_clock::time_point now = kNow) {
  StatusSnapshot snapshot;
  snapshot.queries = queries;
  Lines out;
  for (const auto& d : decide(snapshot, p, now))
    out.push_back(std::to_string(d.query_index) + ":" + p.rules.at(d.rule_index).name + ":" +
                  d.reason);
  return out;
}

struct Row {
  const char* name;
  Policy policy;
  std::vector<QueryStatus> queries;
  Lines expected;
  system_clock::time_point now = kNow;
};

void check_evaluations(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(evaluations(row.queries, row.policy, row.now), row.expected);
  }
}

const Rule kStrict = R("strict").elapsed(1000).waited(1000);

TEST(Evaluate, ProtectionsApplyFirst) {
  const auto hour = std::chrono::hours(1);
  check_evaluations({
      {"by id",
       policy({kStrict}, {P("protect").ids({"a"})}),
       {q("a", 5000), q("b", 5000)},
       {"0:protected:-:protected by [protect] id",
        "1:act:strict:elapsed 5000ms > max_elapsed 1000ms"}},
      {"by one id of several",
       policy({kStrict}, {P("protect").ids({"x", "b", "y"})}),
       {q("a", 5000), q("b", 5000)},
       {"0:act:strict:elapsed 5000ms > max_elapsed 1000ms",
        "1:protected:-:protected by [protect] id"}},
      {"by text",
       policy({kStrict}, {P("protect.backups").matches("backup")}),
       {q("a", 5000, 0, "CALL backup()"), q("b", 5000)},
       {"0:protected:-:protected by [protect.backups] text",
        "1:act:strict:elapsed 5000ms > max_elapsed 1000ms"}},
      {"text searched, not anchored",
       policy({kStrict}, {P("protect.b").matches("RETURN")}),
       {q("a", 5000)},
       {"0:protected:-:protected by [protect.b] text"}},
      {"id wins over text in one protection",
       policy({kStrict}, {P("protect").ids({"a"}).matches("MATCH")}),
       {q("a", 5000), q("b", 5000)},
       {"0:protected:-:protected by [protect] id", "1:protected:-:protected by [protect] text"}},
      {"first covering protection is named",
       policy({kStrict}, {P("protect.one").matches("x"), P("protect.two").matches("MATCH"),
                          P("protect.three").ids({"a"})}),
       {q("a", 5000)},
       {"0:protected:-:protected by [protect.two] text"}},
      {"not yet expired",
       policy({kStrict}, {P("protect").ids({"a"}).until(kNow + std::chrono::seconds(1))}),
       {q("a", 5000)},
       {"0:protected:-:protected by [protect] id"}},
      {"expires at until",
       policy({kStrict}, {P("protect").ids({"a"}).until(kNow)}),
       {q("a", 5000)},
       {"0:act:strict:elapsed 5000ms > max_elapsed 1000ms"}},
      {"expired",
       policy({kStrict}, {P("protect").matches("MATCH").until(kNow - hour)}),
       {q("a", 5000)},
       {"0:act:strict:elapsed 5000ms > max_elapsed 1000ms"}},
      {"an expired protection does not hide a later one",
       policy({kStrict},
              {P("protect.old").ids({"a"}).until(kNow - hour), P("protect.new").ids({"a"})}),
       {q("a", 5000)},
       {"0:protected:-:protected by [protect.new] id"}},
      {"protected before the repeated-id check",
       policy({kStrict}, {P("protect").matches("backup")}),
       {q("d", 5000, 0, "backup"), q("d", 5000)},
       {"0:protected:-:protected by [protect] text",
        "1:ignored:-:its queryId names 2 queries in this status reply: a cancel could hit the "
        "wrong one"}},
      {"protected and cancelled",
       policy({kStrict}, {P("protect").ids({"a"})}),
       {q("a", 5000, 0, "MATCH", true)},
       {"0:protected:-:protected by [protect] id"}},
      {"a protection of a query no rule selects",
       policy({R("w").elapsed(1).matches("^CREATE")}, {P("protect").ids({"a"})}),
       {q("a", 5000)},
       {"0:protected:-:protected by [protect] id"}},
      {"protections without rules",
       policy({}, {P("protect").ids({"a"})}),
       {q("a", 5000), q("b", 5000)},
       {"0:protected:-:protected by [protect] id", "1:no rule:-:no active rule selects it"}},
  });
}

TEST(Evaluate, AProtectedQueryIsNeverActedOnByAGuardAndIsNotCounted) {
  check_evaluations({
      {"guard of 0 does not touch it",
       policy({R("g").running(0)}, {P("protect").ids({"p"})}),
       {q("p", 9000), q("a", 10)},
       {"0:protected:-:protected by [protect] id",
        "1:act:g:running 1 > max_running 0 (oldest beyond the limit)"}},
      {"it does not count toward the limit",
       policy({R("g").running(1)}, {P("protect").ids({"p"})}),
       {q("p", 9000), q("a", 5000), q("b", 3000)},
       {"0:protected:-:protected by [protect] id",
        "1:act:g:running 2 > max_running 1 (oldest beyond the limit)",
        "2:within limits:g:within the limits of [rule.g]"}},
      {"without the protection the oldest two go",
       policy({R("g").running(1)}),
       {q("p", 9000), q("a", 5000), q("b", 3000)},
       {"0:act:g:running 3 > max_running 1 (oldest beyond the limit)",
        "1:act:g:running 3 > max_running 1 (oldest beyond the limit)",
        "2:within limits:g:within the limits of [rule.g]"}},
      {"queued guard",
       policy({R("g").queued(1)}, {P("protect").matches("backup")}),
       {q("p", 0, 9000, "backup"), q("a", 0, 5000), q("b", 0, 3000)},
       {"0:protected:-:protected by [protect] text",
        "1:act:g:queued 2 > max_queued 1 (oldest beyond the limit)",
        "2:within limits:g:within the limits of [rule.g]"}},
  });
}

TEST(Evaluate, ConcurrencyGuardsCancelTheOldestBeyondTheLimit) {
  const std::string run53 = "act:g:running 5 > max_running 3 (oldest beyond the limit)";
  const std::string within = "within limits:g:within the limits of [rule.g]";
  check_evaluations({
      {"max_running 3 of 5",
       policy({R("g").running(3)}),
       {q("a", 100), q("b", 500), q("c", 300), q("d", 400), q("e", 200)},
       {"0:" + within, "1:" + run53, "2:" + within, "3:" + run53, "4:" + within}},
      {"at the limit",
       policy({R("g").running(3)}),
       {q("a", 100), q("b", 500), q("c", 300)},
       {"0:" + within, "1:" + within, "2:" + within}},
      {"max_running 0",
       policy({R("g").running(0)}),
       {q("a", 1), q("b", 2)},
       {"0:act:g:running 2 > max_running 0 (oldest beyond the limit)",
        "1:act:g:running 2 > max_running 0 (oldest beyond the limit)"}},
      {"max_queued 1 of 3, by waited",
       policy({R("g").queued(1)}),
       {q("a", 0, 10), q("b", 0, 30), q("c", 0, 20)},
       {"0:" + within, "1:act:g:queued 3 > max_queued 1 (oldest beyond the limit)",
        "2:act:g:queued 3 > max_queued 1 (oldest beyond the limit)"}},
      {"running and queued are counted apart",
       policy({R("g").running(1).queued(1)}),
       {q("r", 100), q("w1", 0, 50), q("w2", 0, 60)},
       {"0:" + within, "1:" + within, "2:act:g:queued 2 > max_queued 1 (oldest beyond the limit)"}},
      {"max_running ignores queued queries",
       policy({R("g").running(1)}),
       {q("r", 100), q("w1", 0, 900), q("w2", 0, 800)},
       {"0:" + within, "1:" + within, "2:" + within}},
      {"a limit-breaking query keeps its limit reason",
       policy({R("g").elapsed(1000).running(2)}),
       {q("a", 400), q("b", 5000), q("c", 800), q("d", 600)},
       {"0:" + within, "1:act:g:elapsed 5000ms > max_elapsed 1000ms",
        "2:act:g:running 4 > max_running 2 (oldest beyond the limit)", "3:" + within}},
      {"limit breakers beyond the guard are all acted on",
       policy({R("g").elapsed(1000).running(1)}),
       {q("a", 3000), q("b", 2000), q("c", 4000)},
       {"0:act:g:elapsed 3000ms > max_elapsed 1000ms",
        "1:act:g:elapsed 2000ms > max_elapsed 1000ms",
        "2:act:g:elapsed 4000ms > max_elapsed 1000ms"}},
      {"ties go in snapshot order",
       policy({R("g").running(1)}),
       {q("a", 100), q("b", 100), q("c", 100)},
       {"0:act:g:running 3 > max_running 1 (oldest beyond the limit)",
        "1:act:g:running 3 > max_running 1 (oldest beyond the limit)", "2:" + within}},
      {"a guard counts only the queries its rule governs",
       policy({R("g").running(1).matches("^MATCH"), R("rest").elapsed(100'000)}),
       {q("m1", 100), q("c1", 900, 0, "CREATE (n)"), q("m2", 200), q("c2", 800, 0, "CREATE (n)")},
       {"0:" + within, "1:within limits:rest:within the limits of [rule.rest]",
        "2:act:g:running 2 > max_running 1 (oldest beyond the limit)",
        "3:within limits:rest:within the limits of [rule.rest]"}},
      {"an earlier rule's queries do not count for a later guard",
       policy({R("first").elapsed(100'000).matches("job:nightly"), R("g").running(1)}),
       {q("n1", 900, 0, "/* job:nightly */ MATCH"), q("n2", 800, 0, "/* job:nightly */ MATCH"),
        q("a", 100)},
       {"0:within limits:first:within the limits of [rule.first]",
        "1:within limits:first:within the limits of [rule.first]", "2:" + within}},
      {"guards of two rules",
       policy({R("g").running(1).matches("^MATCH"), R("h").running(1)}),
       {q("m1", 100), q("c1", 900, 0, "CREATE"), q("m2", 200), q("c2", 800, 0, "CREATE")},
       {"0:" + within, "1:act:h:running 2 > max_running 1 (oldest beyond the limit)",
        "2:act:g:running 2 > max_running 1 (oldest beyond the limit)",
        "3:within limits:h:within the limits of [rule.h]"}},
  });
}

TEST(Decide, GuardDecisionsCarryTheRulesActionAndComeInSnapshotOrder) {
  const Policy p = policy({R("g").running(3).log()});
  StatusSnapshot snapshot;
  snapshot.queries = {q("a", 100), q("b", 500), q("c", 300), q("d", 400), q("e", 200)};
  const auto ds = decide(snapshot, p, kNow);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].query_index, 1u);
  EXPECT_EQ(ds[1].query_index, 3u);
  for (const auto& d : ds) {
    EXPECT_EQ(d.rule_index, 0u);
    EXPECT_EQ(d.action, RuleAction::log);
    EXPECT_EQ(d.reason, "running 5 > max_running 3 (oldest beyond the limit)");
  }
}

TEST(Decide, PerRuleDryRunPropagates) {
  struct DryRow {
    const char* name;
    bool policy_dry_run;
    bool rule_dry_run;
    bool other_dry_run;
    bool expected_first;
    bool expected_second;
  } rows[] = {
      {"neither", false, false, false, false, false},
      {"first rule only", false, true, false, true, false},
      {"second rule only", false, false, true, false, true},
      {"whole policy", true, false, false, true, true},
      {"whole policy and a rule", true, true, false, true, true},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    R first = R("first").elapsed(1000).matches("^MATCH").silent();
    R second = R("second").running(0);
    if (row.rule_dry_run) first.dry();
    if (row.other_dry_run) second.dry();
    const Policy p = policy({first, second}, {}, row.policy_dry_run);
    StatusSnapshot snapshot;
    snapshot.queries = {q("a", 5000), q("b", 10, 0, "CREATE (n)")};
    const auto ds = decide(snapshot, p, kNow);
    ASSERT_EQ(ds.size(), 2u);
    EXPECT_EQ(ds[0].rule_index, 0u);
    EXPECT_EQ(ds[0].dry_run, row.expected_first);
    EXPECT_TRUE(ds[0].silent);
    EXPECT_EQ(ds[0].action, RuleAction::cancel);
    EXPECT_EQ(ds[1].rule_index, 1u);
    EXPECT_EQ(ds[1].dry_run, row.expected_second);
    EXPECT_FALSE(ds[1].silent);
    EXPECT_EQ(ds[1].reason, "running 1 > max_running 0 (oldest beyond the limit)");
  }
}

TEST(Evaluate, ARuleOutsideItsWindowDoesNotExist) {
  const Rule day = R("day").elapsed(1000).active("Mon-Fri 08:00-18:00");
  const Rule night = R("night").elapsed(100'000);
  const std::string act_day = "0:act:day:elapsed 5000ms > max_elapsed 1000ms";
  const std::string skipped =
      "; [rule.day] selects it but is outside its window (Mon-Fri 08:00-18:00)";
  const std::string night_within =
      "0:within limits:night:within the limits of [rule.night]" + skipped;
  check_evaluations({
      {"inside the window", policy({day, night}), {q("a", 5000)}, {act_day}, nov(25, 12, 0)},
      {"at the start", policy({day, night}), {q("a", 5000)}, {act_day}, nov(25, 8, 0)},
      {"last second", policy({day, night}), {q("a", 5000)}, {act_day}, nov(25, 17, 59, 59)},
      {"at the end a later rule governs",
       policy({day, night}),
       {q("a", 5000)},
       {night_within},
       nov(25, 18, 0)},
      {"evening", policy({day, night}), {q("a", 5000)}, {night_within}, nov(25, 20, 0)},
      {"weekend", policy({day, night}), {q("a", 5000)}, {night_within}, nov(28, 12, 0)},
      {"no other rule",
       policy({day}),
       {q("a", 5000)},
       {"0:no rule:-:no active rule selects it" + skipped},
       nov(28, 12, 0)},
      {"a windowed rule that would not select it is not mentioned",
       policy({R("w").elapsed(1000).matches("^CREATE").active("Mon-Fri 08:00-18:00"), night}),
       {q("a", 5000)},
       {"0:within limits:night:within the limits of [rule.night]"},
       nov(28, 12, 0)},
      {"only the first skipped rule is mentioned",
       policy({day, R("later").elapsed(1000).active("Sat,Sun 00:00-12:00"), night}),
       {q("a", 5000)},
       {night_within},
       nov(25, 20, 0)},
      {"a skipped rule after the governing one is not mentioned",
       policy({R("early").elapsed(100'000), day}),
       {q("a", 5000)},
       {"0:within limits:early:within the limits of [rule.early]"},
       nov(28, 12, 0)},
      {"a guard outside its window",
       policy({R("g").running(0).active("Sat,Sun 00:00-24:00")}),
       {q("a", 5000)},
       {"0:no rule:-:no active rule selects it; [rule.g] selects it but is outside its window "
        "(Sat,Sun 00:00-24:00)"},
       nov(25, 12, 0)},
      {"a guard inside its window",
       policy({R("g").running(0).active("Sat,Sun 00:00-24:00")}),
       {q("a", 5000)},
       {"0:act:g:running 1 > max_running 0 (oldest beyond the limit)"},
       nov(28, 12, 0)},
      {"overnight window on the next morning",
       policy({R("batch").elapsed(1000).active("Fri 22:00-06:00"), night}),
       {q("a", 5000)},
       {"0:act:batch:elapsed 5000ms > max_elapsed 1000ms"},
       nov(28, 5, 0)},
  });
}

TEST(Evaluate, RepeatedEmptyAndCancelledIdsAreIgnored) {
  const std::string dup2 =
      "ignored:-:its queryId names 2 queries in this status reply: a cancel could hit the wrong "
      "one";
  const std::string dup3 =
      "ignored:-:its queryId names 3 queries in this status reply: a cancel could hit the wrong "
      "one";
  check_evaluations({
      {"an id twice",
       policy({kStrict}),
       {q("d", 5000), q("a", 5000), q("d", 10)},
       {"0:" + dup2, "1:act:strict:elapsed 5000ms > max_elapsed 1000ms", "2:" + dup2}},
      {"an id three times",
       policy({kStrict}),
       {q("d", 5000), q("d", 0, 5000), q("d", 5000, 0, "X", true)},
       {"0:" + dup3, "1:" + dup3, "2:" + dup3}},
      {"a repeated id is not acted on by a guard",
       policy({R("g").running(0)}),
       {q("d", 5000), q("d", 10)},
       {"0:" + dup2, "1:" + dup2}},
      {"empty id", policy({kStrict}), {q("", 5000)}, {"0:ignored:-:no queryId"}},
      {"two empty ids",
       policy({kStrict}),
       {q("", 5000), q("", 5000)},
       {"0:ignored:-:no queryId", "1:ignored:-:no queryId"}},
      {"cancelled running",
       policy({kStrict}),
       {q("a", 5000, 0, "MATCH", true)},
       {"0:ignored:-:already cancelled"}},
      {"cancelled queued",
       policy({kStrict}),
       {q("a", 0, 5000, "MATCH", true)},
       {"0:ignored:-:already cancelled"}},
      {"cancelled and a guard of 0",
       policy({R("g").running(0)}),
       {q("a", 5000, 0, "MATCH", true)},
       {"0:ignored:-:already cancelled"}},
  });
  for (const auto& row : std::vector<std::vector<QueryStatus>>{
           {q("d", 5000), q("d", 10)}, {q("", 5000)}, {q("a", 5000, 0, "MATCH", true)}}) {
    EXPECT_EQ(decisions(row, policy({kStrict, R("g").running(0)})), Lines{});
  }
}

// An entry skipped as malformed still names a query: a readable entry under the same id is not
// cancelled either (the cancel could hit the other), while other ids are judged as usual.
TEST(Evaluate, AnIdThatAlsoNamesAMalformedEntryIsIgnored) {
  StatusSnapshot snapshot;
  snapshot.queries = {q("d", 5000), q("a", 5000)};
  snapshot.malformed = {MalformedEntry{"d", "a string is not valid UTF-8"},
                        MalformedEntry{"x", "queryEvalStats: 'elapsed' is negative"}};
  const Policy p = policy({kStrict});
  Lines out;
  for (const auto& e : evaluate(snapshot, p, kNow))
    out.push_back(std::to_string(e.query_index) + ":" + std::string(to_string(e.verdict)) + ":" +
                  e.reason);
  EXPECT_EQ(out, (Lines{"0:ignored:its queryId names 2 queries in this status reply: a cancel "
                        "could hit the wrong one",
                        "1:act:elapsed 5000ms > max_elapsed 1000ms"}));
  const auto acted = decide(snapshot, p, kNow);
  ASSERT_EQ(acted.size(), 1u);
  EXPECT_EQ(acted[0].query_index, 1u);
}

// Count characters, not bytes: Neptune cuts queryString at 1024 characters.
std::string repeat(const std::string& unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

TEST(Evaluate, QueryExcludesNeverSelectsEmptyOrPossiblyCutText) {
  const Rule exempting = R("exempting").elapsed(1000).excludes("watchdog:exempt");
  const Rule plain = R("plain").elapsed(1000);
  const std::string acts = "0:act:exempting:elapsed 5000ms > max_elapsed 1000ms";
  const std::string none = "0:no rule:-:no active rule selects it";
  const std::string e_acute = "\xC3\xA9";        // é, 2 bytes
  const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600, 4 bytes
  check_evaluations({
      {"ordinary text", policy({exempting}), {q("a", 5000, 0, "MATCH (n)")}, {acts}},
      {"exempt text",
       policy({exempting}),
       {q("a", 5000, 0, "MATCH /* watchdog:exempt */")},
       {none}},
      {"empty text", policy({exempting}), {q("a", 5000, 0, "")}, {none}},
      {"1023 ASCII characters", policy({exempting}), {q("a", 5000, 0, repeat("a", 1023))}, {acts}},
      {"1024 ASCII characters", policy({exempting}), {q("a", 5000, 0, repeat("a", 1024))}, {none}},
      {"2000 ASCII characters", policy({exempting}), {q("a", 5000, 0, repeat("a", 2000))}, {none}},
      {"1023 two-byte characters (2046 bytes)",
       policy({exempting}),
       {q("a", 5000, 0, repeat(e_acute, 1023))},
       {acts}},
      {"1024 two-byte characters",
       policy({exempting}),
       {q("a", 5000, 0, repeat(e_acute, 1024))},
       {none}},
      {"1000 four-byte characters (4000 bytes)",
       policy({exempting}),
       {q("a", 5000, 0, repeat(emoji, 1000))},
       {acts}},
      {"1023 four-byte characters",
       policy({exempting}),
       {q("a", 5000, 0, repeat(emoji, 1023))},
       {acts}},
      {"1024 four-byte characters",
       policy({exempting}),
       {q("a", 5000, 0, repeat(emoji, 1024))},
       {none}},
      {"1022 ASCII + one two-byte character",
       policy({exempting}),
       {q("a", 5000, 0, repeat("a", 1022) + e_acute)},
       {acts}},
      {"a later rule governs what query_excludes passes over",
       policy({exempting, plain}),
       {q("a", 5000, 0, repeat("a", 1024))},
       {"0:act:plain:elapsed 5000ms > max_elapsed 1000ms"}},
      {"without query_excludes empty text is selected",
       policy({plain}),
       {q("a", 5000, 0, "")},
       {"0:act:plain:elapsed 5000ms > max_elapsed 1000ms"}},
      {"without query_excludes long text is selected",
       policy({plain}),
       {q("a", 5000, 0, repeat("a", 1024))},
       {"0:act:plain:elapsed 5000ms > max_elapsed 1000ms"}},
  });
}

TEST(Evaluate, ReasonsForEveryVerdict) {
  check_evaluations({
      {"within limits",
       policy({kStrict}),
       {q("a", 10)},
       {"0:within limits:strict:within the limits of [rule.strict]"}},
      {"queued within limits",
       policy({kStrict}),
       {q("a", 0, 10)},
       {"0:within limits:strict:within the limits of [rule.strict]"}},
      {"unselected",
       policy({R("w").elapsed(1).matches("^CREATE")}),
       {q("a", 10)},
       {"0:no rule:-:no active rule selects it"}},
      {"act on waited",
       policy({kStrict}),
       {q("a", 0, 2000)},
       {"0:act:strict:waited 2000ms > max_waited 1000ms"}},
  });
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

TEST(EvaluateLanguages, ARuleRestrictedToALanguageGovernsOnlyItsQueries) {
  Policy policy;
  Rule gremlin_only;
  gremlin_only.name = "gremlin-only";
  gremlin_only.max_elapsed = Millis(1000);
  gremlin_only.languages = {Language::gremlin};
  Rule all;
  all.name = "all";
  all.max_elapsed = Millis(60'000);
  policy.rules = {gremlin_only, all};
  const auto now = std::chrono::system_clock::from_time_t(1795608000);
  for (Language language : {Language::opencypher, Language::gremlin, Language::sparql}) {
    SCOPED_TRACE(std::string(to_string(language)));
    StatusSnapshot snapshot;
    snapshot.language = language;
    snapshot.queries = {QueryStatus{"q", "x", 5000, 0, false}};
    const auto e = evaluate(snapshot, policy, now).at(0);
    ASSERT_TRUE(e.rule_index);
    EXPECT_EQ(policy.rules[*e.rule_index].name,
              language == Language::gremlin ? "gremlin-only" : "all");
    EXPECT_EQ(e.verdict, language == Language::gremlin ? Verdict::act : Verdict::within_limits);
  }
}

TEST(GlobMatches, StarAndQuestionMark) {
  struct Row {
    const char* pattern;
    const char* name;
    bool matches;
  } rows[] = {
      {"writer", "writer", true},
      {"writer", "writer-1", false},
      {"writer", "write", false},
      {"reader-*", "reader-1", true},
      {"reader-*", "reader-", true},
      {"reader-*", "reader", false},
      {"reader-?", "reader-1", true},
      {"reader-?", "reader-12", false},
      {"*", "", true},
      {"*", "anything", true},
      {"?", "", false},
      {"*-analytics", "eu-analytics", true},
      {"*-analytics", "analytics", false},
      {"a*b*c", "aXbYbZc", true},
      {"a*b*c", "aXbYbZ", false},
      {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
      {"**", "x", true},
      {"r?a*", "reader", true},
      {"", "", true},
      {"", "x", false},
      {"Writer", "writer", false},
  };
  for (const auto& row : rows)
    EXPECT_EQ(glob_matches(row.pattern, row.name), row.matches) << row.pattern << " ~ " << row.name;
  EXPECT_TRUE(applies_to_endpoint({}, "writer"));
  EXPECT_TRUE(applies_to_endpoint({"reader-*"}, ""));  // no endpoint named: every rule applies
  EXPECT_TRUE(applies_to_endpoint({"writer", "reader-*"}, "reader-2"));
  EXPECT_FALSE(applies_to_endpoint({"writer", "reader-*"}, "analytics"));
}

// A strict rule for the writer, a lenient one for the readers, a protection on the readers
// only: each endpoint's queries are judged by the rules and protections that apply to it,
// with and without a RuleMemo (the memo is shared whatever the endpoint).
TEST(EvaluateEndpoints, RulesAndProtectionsApplyOnlyToTheirEndpoints) {
  Rule writer = R("writer-strict").elapsed(1000);
  writer.endpoints = {"writer"};
  Rule readers = R("readers-lenient").elapsed(60'000);
  readers.endpoints = {"reader-*"};
  Protection backups = P("protect.backups").matches("backup");
  backups.endpoints = {"reader-?"};
  const Policy p = policy({writer, readers, R("all").elapsed(10'000)}, {backups});
  const std::vector<QueryStatus> queries = {q("a", 5000), q("b", 5000, 0, "CALL backup()")};
  struct Case {
    const char* endpoint;
    Lines expected;
  } cases[] = {
      {"writer",
       {"0:act:writer-strict:elapsed 5000ms > max_elapsed 1000ms",
        "1:act:writer-strict:elapsed 5000ms > max_elapsed 1000ms"}},
      {"reader-1",
       {"0:within limits:readers-lenient:within the limits of [rule.readers-lenient]",
        "1:protected:-:protected by [protect.backups] text"}},
      {"reader-10",  // reader-* but not reader-?
       {"0:within limits:readers-lenient:within the limits of [rule.readers-lenient]",
        "1:within limits:readers-lenient:within the limits of [rule.readers-lenient]"}},
      {"analytics",  // neither: the next rule in order governs
       {"0:within limits:all:within the limits of [rule.all]",
        "1:within limits:all:within the limits of [rule.all]"}},
      {"",  // a snapshot that names no endpoint: every rule and protection applies
       {"0:act:writer-strict:elapsed 5000ms > max_elapsed 1000ms",
        "1:protected:-:protected by [protect.backups] text"}},
  };
  RuleMemo memo;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.endpoint);
    StatusSnapshot snapshot;
    snapshot.endpoint = c.endpoint;
    snapshot.queries = queries;
    for (RuleMemo* m : {static_cast<RuleMemo*>(nullptr), &memo}) {
      Lines out;
      for (const auto& e : evaluate(snapshot, p, kNow, m))
        out.push_back(std::to_string(e.query_index) + ":" + std::string(to_string(e.verdict)) +
                      ":" + (e.rule_index ? p.rules.at(*e.rule_index).name : "-") + ":" + e.reason);
      EXPECT_EQ(out, c.expected) << (m ? "with a memo" : "without a memo");
    }
    EXPECT_EQ(p.governing_rule("MATCH", kNow, Language::opencypher, c.endpoint),
              evaluate(snapshot, p, kNow).at(0).rule_index);
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// Roles follow the topology at the time of the poll: the same endpoint judged as writer, then
// as reader after a failover, then with no role (a typed endpoint), where rules and protections
// limited to roles do not exist.
TEST(EvaluateRoles, RulesAndProtectionsApplyOnlyToTheirRoles) {
  Rule writer = R("writer-strict").elapsed(1000);
  writer.roles = {InstanceRole::writer};
  Rule readers = R("readers-lenient").elapsed(60'000);
  readers.roles = {InstanceRole::reader};
  Protection backups = P("protect.backups").matches("backup");
  backups.roles = {InstanceRole::reader};
  const Policy p = policy({writer, readers, R("all").elapsed(10'000)}, {backups});
  const std::vector<QueryStatus> queries = {q("a", 5000), q("b", 5000, 0, "CALL backup()")};
  struct Case {
    InstanceRole role;
    Lines expected;
  } cases[] = {
      {InstanceRole::writer,
       {"0:act:writer-strict:elapsed 5000ms > max_elapsed 1000ms",
        "1:act:writer-strict:elapsed 5000ms > max_elapsed 1000ms"}},
      {InstanceRole::reader,
       {"0:within limits:readers-lenient:within the limits of [rule.readers-lenient]",
        "1:protected:-:protected by [protect.backups] text"}},
      {InstanceRole::unknown,
       {"0:within limits:all:within the limits of [rule.all]",
        "1:within limits:all:within the limits of [rule.all]"}},
  };
  RuleMemo memo;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(to_string(c.role)));
    StatusSnapshot snapshot;
    snapshot.endpoint = "prod/db-1";
    snapshot.role = c.role;
    snapshot.queries = queries;
    for (RuleMemo* m : {static_cast<RuleMemo*>(nullptr), &memo}) {
      Lines out;
      for (const auto& e : evaluate(snapshot, p, kNow, m))
        out.push_back(std::to_string(e.query_index) + ":" + std::string(to_string(e.verdict)) +
                      ":" + (e.rule_index ? p.rules.at(*e.rule_index).name : "-") + ":" + e.reason);
      EXPECT_EQ(out, c.expected) << (m ? "with a memo" : "without a memo");
    }
  }
  // Names and roles together: a rule for the writer of one cluster only.
  EXPECT_TRUE(
      applies_to_scope({"prod/*"}, {InstanceRole::writer}, {"prod/db-1", InstanceRole::writer}));
  EXPECT_FALSE(
      applies_to_scope({"prod/*"}, {InstanceRole::writer}, {"prod/db-1", InstanceRole::reader}));
  EXPECT_FALSE(
      applies_to_scope({"prod/*"}, {InstanceRole::writer}, {"test/db-1", InstanceRole::writer}));
  EXPECT_TRUE(applies_to_scope({"prod/*"}, {InstanceRole::writer}, {}));  // unnamed: every rule
}

}  // namespace
}  // namespace nw
