#include "nw/core/deadline.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nw/core/decide.h"

namespace nw {
namespace {

Rule rule(const char* name, std::optional<long long> max_elapsed,
          std::optional<long long> max_waited, const char* matches = "") {
  Rule r;
  r.name = name;
  if (max_elapsed) r.max_elapsed = Millis(*max_elapsed);
  if (max_waited) r.max_waited = Millis(*max_waited);
  std::string error;
  if (*matches) r.query_matches = compile_regex(matches, error);
  EXPECT_EQ(error, "");
  return r;
}

QueryStatus q(const char* id, long long elapsed, long long waited,
              const char* text = "MATCH (n) RETURN n", bool cancelled = false) {
  return QueryStatus{id, text, elapsed, waited, cancelled};
}

StatusSnapshot snapshot(std::vector<QueryStatus> queries) {
  StatusSnapshot s;
  s.queries = std::move(queries);
  return s;
}

// "index:due:fresh" per crossing.
std::vector<std::string> summary(const std::vector<Crossing>& crossings) {
  std::vector<std::string> out;
  for (const auto& c : crossings)
    out.push_back(std::to_string(c.query_index) + ":" + std::to_string(c.due_after_ms) +
                  (c.needs_fresh_status ? ":fresh" : ""));
  return out;
}

const auto kNow = std::chrono::system_clock::from_time_t(1795608000);

TEST(UpcomingCrossings, OnePerGovernedQueryWithinItsLimitsEarliestFirst) {
  Policy policy;
  policy.rules = {rule("reports", 60'000, std::nullopt, "report"), rule("all", 10'000, 3'000)};
  const auto s = snapshot({
      q("a", 4'000, 0),  // all: 6s to go
      q("b", 50'000, 0,
        "MATCH report"),  // reports: 10s to go (the later, strict rule does not govern it)
      q("c", 0, 2'500),   // queued: waited clock, 0.5s to go, needs fresh status
      q("d", 12'000, 0),  // already over: decided by the poll, no crossing
      q("e", 10'000, 0),  // exactly at the limit keeps it: due 1ms later
      q("f", 9'000, 0, "MATCH (n)", true),  // already cancelled: ignored
  });
  EXPECT_EQ(summary(upcoming_crossings(s, policy, kNow)),
            (std::vector<std::string>{"4:1", "2:501:fresh", "0:6001", "1:10001"}));
}

TEST(UpcomingCrossings, ProtectedUnselectedAndLimitlessQueriesHaveNone) {
  Policy policy;
  policy.rules = {rule("writes", 5'000, std::nullopt, "CREATE"),
                  rule("queue-only", std::nullopt, 1'000)};
  Protection p;
  p.section = "protect";
  p.query_ids = {"kept"};
  policy.protections.push_back(p);
  const auto s = snapshot({
      q("kept", 1'000, 0, "CREATE (n)"),    // protected
      q("running", 1'000, 0, "MATCH (n)"),  // governed by queue-only: no running limit
      q("queued", 0, 200, "MATCH (n)"),     // queue-only: 801ms to go
  });
  EXPECT_EQ(summary(upcoming_crossings(s, policy, kNow)),
            (std::vector<std::string>{"2:801:fresh"}));
  EXPECT_TRUE(upcoming_crossings(snapshot({q("x", 1, 0)}), Policy{}, kNow).empty());
}

// One evaluation gives what decide() and upcoming_crossings() give, at the same instant: the
// poll loop's decisions and its schedule of crossings cannot disagree about a query.
TEST(Assess, GivesTheDecisionsAndTheCrossingsOfOneEvaluation) {
  Policy policy;
  policy.rules = {rule("reports", 60'000, std::nullopt, "report"), rule("all", 10'000, 3'000)};
  policy.rules[1].max_running = 2;
  const auto s = snapshot({q("a", 70'000, 0, "report x"), q("b", 5'000, 0), q("c", 0, 1'000),
                           q("d", 12'000, 0), q("e", 2'000, 0), q("f", 1'000, 0),
                           q("g", 30'000, 0, "report y")});
  const auto now = std::chrono::system_clock::time_point(std::chrono::hours(500'000));
  RuleMemo memo;
  const Assessment both = assess(s, policy, now, &memo, true);
  const auto decisions = decide(s, policy, now);
  ASSERT_EQ(both.decisions.size(), decisions.size());
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    EXPECT_EQ(both.decisions[i].query_index, decisions[i].query_index);
    EXPECT_EQ(both.decisions[i].rule_index, decisions[i].rule_index);
    EXPECT_EQ(both.decisions[i].reason, decisions[i].reason);
    EXPECT_EQ(both.decisions[i].excess_ms, decisions[i].excess_ms);
  }
  EXPECT_FALSE(both.decisions.empty());
  EXPECT_EQ(summary(both.crossings), summary(upcoming_crossings(s, policy, now)));
  EXPECT_FALSE(both.crossings.empty());
  EXPECT_TRUE(assess(s, policy, now, nullptr, false).crossings.empty());
}

TEST(Project, AdvancesTheClockThatRunsAndKeepsTheRest) {
  auto s = snapshot({q("a", 4'000, 100), q("b", 0, 700), q("c", 9'000, 0)});
  s.accepted_count = 3;
  const StatusSnapshot p = project(s, {2, 0}, 250);
  ASSERT_EQ(p.queries.size(), 2u);
  EXPECT_EQ(p.queries[0].id, "c");
  EXPECT_EQ(p.queries[0].elapsed_ms, 9'250);
  EXPECT_EQ(p.queries[1].elapsed_ms, 4'250);
  EXPECT_EQ(p.queries[1].waited_ms, 100);  // a running query's queue time is spent
  EXPECT_EQ(p.accepted_count, 3);
  const StatusSnapshot queued = project(s, {1}, 250);
  EXPECT_EQ(queued.queries.at(0).waited_ms, 950);
  EXPECT_EQ(queued.queries.at(0).elapsed_ms, 0);
}

// The projection at a crossing's instant is what decide() condemns, and a millisecond earlier
// it is not: the schedule never acts before the limit is broken.
TEST(Project, AtTheCrossingDecideActsAndNotAMillisecondBefore) {
  Policy policy;
  policy.rules = {rule("all", 10'000, std::nullopt)};
  const auto s = snapshot({q("a", 3'217, 0), q("b", 9'999, 0), q("c", 1, 0)});
  for (const Crossing& c : upcoming_crossings(s, policy, kNow)) {
    SCOPED_TRACE(c.query_index);
    EXPECT_EQ(decide(project(s, {c.query_index}, c.due_after_ms), policy, kNow).size(), 1u);
    EXPECT_TRUE(decide(project(s, {c.query_index}, c.due_after_ms - 1), policy, kNow).empty());
  }
}

TEST(LimitsShorterThan, NamesEachRuleAndKeyBelowThePollInterval) {
  Policy policy;
  policy.rules = {rule("fast", 2'000, 10'000), rule("slow", 30'000, 1'000),
                  rule("even", 5'000, std::nullopt)};
  const auto found = limits_shorter_than(policy, Millis(5'000));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].rule_index, 0u);
  EXPECT_STREQ(found[0].key, "max_elapsed");
  EXPECT_EQ(found[0].limit, Millis(2'000));
  EXPECT_EQ(found[1].rule_index, 1u);
  EXPECT_STREQ(found[1].key, "max_waited");
}

}  // namespace
}  // namespace nw
