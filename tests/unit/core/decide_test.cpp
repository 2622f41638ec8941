#include "nw/core/decide.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace nw {
namespace {

struct RuleSpec {
  const char* name;
  std::optional<long long> max_elapsed_ms;
  std::optional<long long> max_waited_ms;
  const char* matches = "";
  const char* excludes = "";
  RuleAction action = RuleAction::cancel;
  bool silent = false;
};

Rule make_rule(const RuleSpec& spec) {
  Rule r;
  r.name = spec.name;
  if (spec.max_elapsed_ms) r.max_elapsed = Millis(*spec.max_elapsed_ms);
  if (spec.max_waited_ms) r.max_waited = Millis(*spec.max_waited_ms);
  std::string error;
  if (*spec.matches) r.query_matches = compile_regex(spec.matches, error);
  if (*spec.excludes) r.query_excludes = compile_regex(spec.excludes, error);
  EXPECT_EQ(error, "");
  r.action = spec.action;
  r.silent = spec.silent;
  return r;
}

Policy make_policy(std::initializer_list<RuleSpec> specs, bool dry_run = false) {
  Policy p;
  for (const auto& s : specs) p.rules.push_back(make_rule(s));
  p.dry_run = dry_run;
  return p;
}

QueryStatus q(const char* id, long long elapsed, long long waited,
              const char* text = "MATCH (n) RETURN n", bool cancelled = false) {
  return QueryStatus{id, text, elapsed, waited, cancelled};
}

// "index:rule:reason" per decision, so a whole result compares in one go.
std::vector<std::string> summary(const std::vector<Decision>& decisions, const Policy& policy) {
  std::vector<std::string> out;
  for (const auto& d : decisions)
    out.push_back(std::to_string(d.query_index) + ":" + policy.rules.at(d.rule_index).name + ":" +
                  d.reason);
  return out;
}

using Lines = std::vector<std::string>;

// A Wednesday, 2026-11-25T12:00:00Z: no rule in these tables has a time window.
const auto kNow = std::chrono::system_clock::from_time_t(1795608000);

TEST(Decide, JudgesOneQueryAgainstItsLimits) {
  struct Row {
    const char* name;
    RuleSpec rule;
    QueryStatus query;
    Lines expected;
  } rows[] = {
      {"over max_elapsed",
       {"r", 300'000, {}},
       q("a", 312'000, 0),
       {"0:r:elapsed 312000ms > max_elapsed 300000ms"}},
      {"one ms over",
       {"r", 300'000, {}},
       q("a", 300'001, 0),
       {"0:r:elapsed 300001ms > max_elapsed 300000ms"}},
      {"equal to max_elapsed", {"r", 300'000, {}}, q("a", 300'000, 0), {}},
      {"under max_elapsed", {"r", 300'000, {}}, q("a", 299'999, 0), {}},
      {"64-bit elapsed",
       {"r", 300'000, {}},
       q("a", 3'000'000'000, 0),
       {"0:r:elapsed 3000000000ms > max_elapsed 300000ms"}},
      {"running query with long wait behind it",
       {"r", 300'000, {}},
       q("a", 312'000, 999'999),
       {"0:r:elapsed 312000ms > max_elapsed 300000ms"}},
      {"queued over max_waited",
       {"r", {}, 60'000},
       q("a", 0, 61'000),
       {"0:r:waited 61000ms > max_waited 60000ms"}},
      {"queued equal to max_waited", {"r", {}, 60'000}, q("a", 0, 60'000), {}},
      {"queued under max_waited", {"r", {}, 60'000}, q("a", 0, 59'999), {}},
      {"queued judged by waited only",
       {"r", 300'000, 60'000},
       q("a", 0, 61'000),
       {"0:r:waited 61000ms > max_waited 60000ms"}},
      {"queued without max_waited", {"r", 1, {}}, q("a", 0, 999'999'999), {}},
      {"running not judged by max_waited", {"r", {}, 60'000}, q("a", 1, 999'999), {}},
      {"running under elapsed, over waited", {"r", 300'000, 60'000}, q("a", 10, 999'999), {}},
      {"zero limit cancels any running query",
       {"r", 0, {}},
       q("a", 1, 0),
       {"0:r:elapsed 1ms > max_elapsed 0ms"}},
      {"brand new queued query", {"r", 0, 0}, q("a", 0, 0), {}},
      {"matches selects",
       {"r", 1000, {}, "^\\s*MATCH"},
       q("a", 5000, 0, "  MATCH (n) RETURN n"),
       {"0:r:elapsed 5000ms > max_elapsed 1000ms"}},
      {"matches searched not anchored",
       {"r", 1000, {}, "RETURN"},
       q("a", 5000, 0, "MATCH (n) RETURN n"),
       {"0:r:elapsed 5000ms > max_elapsed 1000ms"}},
      {"matches misses", {"r", 1000, {}, "^\\s*MATCH"}, q("a", 5000, 0, "CREATE (n)"), {}},
      {"excludes protects",
       {"r", 1000, {}, "", "watchdog:exempt"},
       q("a", 5000, 0, "MATCH (n) /* watchdog:exempt */ RETURN n"),
       {}},
      {"excludes does not match",
       {"r", 1000, {}, "", "watchdog:exempt"},
       q("a", 5000, 0),
       {"0:r:elapsed 5000ms > max_elapsed 1000ms"}},
      {"matches and excludes both hit",
       {"r", 1000, {}, "MATCH", "exempt"},
       q("a", 5000, 0, "MATCH exempt"),
       {}},
      {"empty text with a matches filter", {"r", 1000, {}, "MATCH"}, q("a", 5000, 0, ""), {}},
      {"empty id never decided", {"r", 1, 1}, q("", 5000, 0), {}},
      {"cancelled never decided", {"r", 1, 1}, q("a", 5000, 0, "MATCH (n) RETURN n", true), {}},
      {"cancelled queued never decided",
       {"r", 1, 1},
       q("a", 0, 5000, "MATCH (n) RETURN n", true),
       {}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Policy policy = make_policy({row.rule});
    StatusSnapshot snapshot;
    snapshot.queries.push_back(row.query);
    EXPECT_EQ(summary(decide(snapshot, policy, kNow), policy), row.expected);
  }
}

TEST(Decide, FirstSelectingRuleInFileOrderGoverns) {
  const RuleSpec exempt{"exempt", 3'600'000, {}, "watchdog:exempt"};
  const RuleSpec reports{"reports", 3'600'000, {}, "job:nightly"};
  const RuleSpec reads{"reads", 300'000, 60'000, "^\\s*MATCH"};
  const RuleSpec strict{"strict", 1'000, 1'000};
  struct Row {
    const char* name;
    Policy policy;
    std::vector<QueryStatus> queries;
    Lines expected;
  } rows[] = {
      {"generous early rule shields from strict later one",
       make_policy({exempt, strict}),
       {q("a", 500'000, 0, "MATCH (n) /* watchdog:exempt */ RETURN n")},
       {}},
      {"same query decided by strict when it comes first",
       make_policy({strict, exempt}),
       {q("a", 500'000, 0, "MATCH (n) /* watchdog:exempt */ RETURN n")},
       {"0:strict:elapsed 500000ms > max_elapsed 1000ms"}},
      {"shielded rule's own limit still applies",
       make_policy({exempt, strict}),
       {q("a", 3'600'001, 0, "MATCH /* watchdog:exempt */")},
       {"0:exempt:elapsed 3600001ms > max_elapsed 3600000ms"}},
      {"non-selecting rule is skipped",
       make_policy({reports, reads, strict}),
       {q("a", 400'000, 0, "MATCH (n) RETURN n")},
       {"0:reads:elapsed 400000ms > max_elapsed 300000ms"}},
      {"falls through to catch-all",
       make_policy({reports, reads, strict}),
       {q("a", 2'000, 0, "CREATE (n)")},
       {"0:strict:elapsed 2000ms > max_elapsed 1000ms"}},
      {"governing rule without max_waited shields queued query",
       make_policy({reports, strict}),
       {q("a", 0, 999'999, "/* job:nightly */ MATCH (n)")},
       {}},
      {"no rule selects",
       make_policy({reports, reads}),
       {q("a", 999'999'999, 0, "CREATE (n)")},
       {}},
      {"no rules at all", make_policy({}), {q("a", 999'999'999, 999'999)}, {}},
      {"mixed snapshot in snapshot order",
       make_policy({exempt, reads, strict}),
       {q("q0", 10, 0), q("q1", 400'000, 0), q("q2", 0, 70'000), q("q3", 2'000, 0, "CREATE (n)"),
        q("q4", 500'000, 0, "MATCH /* watchdog:exempt */"), q("", 999'999, 0),
        q("q6", 999'999, 0, "MATCH", true), q("q7", 0, 1'500, "MERGE (n)")},
       {"1:reads:elapsed 400000ms > max_elapsed 300000ms",
        "2:reads:waited 70000ms > max_waited 60000ms",
        "3:strict:elapsed 2000ms > max_elapsed 1000ms",
        "7:strict:waited 1500ms > max_waited 1000ms"}},
      {"an id naming several queries is never acted on",
       make_policy({strict}),
       {q("dup", 5'000, 0), q("dup", 6'000, 0), q("other", 7'000, 0), q("dup", 8'000, 0)},
       {"2:strict:elapsed 7000ms > max_elapsed 1000ms"}},
      {"duplicate id: an exempt copy shields the other",
       make_policy({exempt, strict}),
       {q("dup", 10'000'000, 0, "MATCH /* watchdog:exempt */"), q("dup", 6'000, 0)},
       {}},
      {"empty snapshot", make_policy({strict}), {}, {}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    StatusSnapshot snapshot;
    snapshot.queries = row.queries;
    EXPECT_EQ(summary(decide(snapshot, row.policy, kNow), row.policy), row.expected);
  }
}

TEST(Decide, CarriesActionSilentAndDryRun) {
  struct Row {
    const char* name;
    RuleAction action;
    bool silent;
    bool dry_run;
  } rows[] = {
      {"cancel", RuleAction::cancel, false, false},
      {"cancel silently", RuleAction::cancel, true, false},
      {"log", RuleAction::log, false, false},
      {"log, silent kept as configured", RuleAction::log, true, false},
      {"cancel in dry run", RuleAction::cancel, true, true},
      {"log in dry run", RuleAction::log, false, true},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Policy policy =
        make_policy({{"first", 1, {}, "^CREATE"}, {"r", 1'000, {}, "", "", row.action, row.silent}},
                    row.dry_run);
    StatusSnapshot snapshot;
    snapshot.queries = {q("a", 10, 0), q("b", 2'000, 0)};
    const auto decisions = decide(snapshot, policy, kNow);
    ASSERT_EQ(decisions.size(), 1u);
    EXPECT_EQ(decisions[0].query_index, 1u);
    EXPECT_EQ(decisions[0].rule_index, 1u);
    EXPECT_EQ(decisions[0].action, row.action);
    EXPECT_EQ(decisions[0].silent, row.silent);
    EXPECT_EQ(decisions[0].dry_run, row.dry_run);
    EXPECT_EQ(decisions[0].reason, "elapsed 2000ms > max_elapsed 1000ms");
  }
}

}  // namespace
}  // namespace nw
