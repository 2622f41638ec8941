#include "nw/core/rule_memo.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nw/core/config.h"
#include "nw/core/decide.h"

namespace nw {
namespace {

using Indices = std::vector<std::uint32_t>;

Rule rule(const char* name, const char* matches, const char* excludes = "") {
  Rule r;
  r.name = name;
  r.max_elapsed = Millis(1'000);
  std::string error;
  if (*matches) r.query_matches = compile_regex(matches, error);
  if (*excludes) r.query_excludes = compile_regex(excludes, error);
  EXPECT_EQ(error, "");
  return r;
}

Policy policy() {
  Policy p;
  p.rules = {rule("reads", "^MATCH", "exempt"), rule("writes", "CREATE|MERGE"), rule("all", "")};
  return p;
}

TEST(RuleMemo, RemembersTheRulesThatSelectAnIdsText) {
  const Policy p = policy();
  RuleMemo memo;
  memo.begin(p, Language::opencypher);
  EXPECT_EQ(memo.selecting("a", "MATCH (n) RETURN n"), (Indices{0, 2}));
  EXPECT_EQ(memo.selecting("b", "CREATE (n)"), (Indices{1, 2}));
  EXPECT_EQ(memo.selecting("c", "MATCH (n) /* exempt */"), (Indices{2}));
  memo.end();
  EXPECT_EQ(memo.misses(), 3u);
  EXPECT_EQ(memo.hits(), 0u);

  memo.begin(p, Language::opencypher);
  EXPECT_EQ(memo.selecting("a", "MATCH (n) RETURN n"), (Indices{0, 2}));
  EXPECT_EQ(memo.selecting("b", "CREATE (n)"), (Indices{1, 2}));
  memo.end();
  EXPECT_EQ(memo.hits(), 2u);
  EXPECT_EQ(memo.misses(), 3u);
}

TEST(RuleMemo, AnIdReusedForAnotherTextIsMatchedAfresh) {
  const Policy p = policy();
  RuleMemo memo;
  memo.begin(p, Language::opencypher);
  EXPECT_EQ(memo.selecting("a", "MATCH (n)"), (Indices{0, 2}));
  memo.end();
  memo.begin(p, Language::opencypher);
  EXPECT_EQ(memo.selecting("a", "MATCH (n) /* exempt */"), (Indices{2}));
  memo.end();
  EXPECT_EQ(memo.hits(), 0u);
  EXPECT_EQ(memo.misses(), 2u);
}

TEST(RuleMemo, ForgetsIdsTheLatestSnapshotDidNotShow) {
  const Policy p = policy();
  RuleMemo memo;
  memo.begin(p, Language::opencypher);
  memo.selecting("a", "MATCH (n)");
  memo.selecting("b", "CREATE (n)");
  memo.end();
  memo.begin(p, Language::gremlin);  // another language's table is left alone
  memo.selecting("a", "g.V()");
  memo.end();
  EXPECT_EQ(memo.size(), 3u);
  memo.begin(p, Language::opencypher);
  memo.selecting("b", "CREATE (n)");
  memo.end();
  EXPECT_EQ(memo.size(), 2u);  // opencypher b, gremlin a
  memo.begin(p, Language::opencypher);
  memo.end();
  EXPECT_EQ(memo.size(), 1u);
}

TEST(RuleMemo, AReloadForgetsEverything) {
  Policy p = policy();
  RuleMemo memo;
  memo.begin(p, Language::opencypher);
  EXPECT_EQ(memo.selecting("a", "MERGE (n)"), (Indices{1, 2}));
  memo.end();

  Policy same = p;  // a copy shares the compiled regexes: nothing to forget
  memo.begin(same, Language::opencypher);
  EXPECT_EQ(memo.selecting("a", "MERGE (n)"), (Indices{1, 2}));
  memo.end();
  EXPECT_EQ(memo.hits(), 1u);

  Policy reloaded = policy();  // the same text, compiled again, and a narrower writes rule
  reloaded.rules[1] = rule("writes", "CREATE");
  memo.begin(reloaded, Language::opencypher);
  EXPECT_EQ(memo.selecting("a", "MERGE (n)"), (Indices{2}));
  memo.end();
  EXPECT_EQ(memo.hits(), 1u);
}

TEST(RuleMemo, HoldsNoMoreThanItsBound) {
  const Policy p = policy();
  RuleMemo memo(2);
  memo.begin(p, Language::opencypher);
  EXPECT_EQ(memo.selecting("a", "MATCH (n)"), (Indices{0, 2}));
  EXPECT_EQ(memo.selecting("b", "MATCH (m)"), (Indices{0, 2}));
  EXPECT_EQ(memo.selecting("c", "CREATE (n)"), (Indices{1, 2}));  // answered, not remembered
  memo.end();
  EXPECT_EQ(memo.size(), 2u);
}

TEST(RuleMemo, DecideWithAMemoDecidesAsWithout) {
  const Policy p = policy();
  StatusSnapshot s;
  s.queries = {QueryStatus{"a", "MATCH (n)", 5'000, 0, false},
               QueryStatus{"b", "MATCH /* exempt */", 5'000, 0, false},
               QueryStatus{"c", "CREATE (n)", 10, 0, false}};
  const auto now = std::chrono::system_clock::from_time_t(1795608000);
  RuleMemo memo;
  for (int poll = 0; poll < 3; ++poll) {
    const auto with = decide(s, p, now, &memo);
    const auto without = decide(s, p, now);
    ASSERT_EQ(with.size(), 2u);
    ASSERT_EQ(without.size(), 2u);
    for (std::size_t i = 0; i < with.size(); ++i) {
      EXPECT_EQ(with[i].query_index, without[i].query_index);
      EXPECT_EQ(with[i].rule_index, without[i].rule_index);
      EXPECT_EQ(with[i].reason, without[i].reason);
    }
  }
  EXPECT_EQ(memo.hits(), 6u);  // matched on the first poll only
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// A parsed configuration compiles its rules' matcher once; every poll loop's memo shares it
// (100 endpoints x 3 languages used to compile 300 identical sets).
TEST(RuleMemo, LoopsShareTheConfigurationsCompiledMatcher) {
  const ConfigResult parsed = parse_config(
      "[endpoint.a]\nurl = http://127.0.0.1:1\n[rule.r]\nmax_elapsed = 1s\nquery_matches = "
      "^MATCH\n",
      "t.ini");
  ASSERT_TRUE(parsed.ok());
  ASSERT_NE(parsed.config.policy.matcher, nullptr);
  RuleMemo first, second;
  first.begin(parsed.config.policy, Language::opencypher);
  second.begin(parsed.config.policy, Language::gremlin);
  EXPECT_EQ(first.matcher(), parsed.config.policy.matcher.get());
  EXPECT_EQ(second.matcher(), parsed.config.policy.matcher.get());
  // A policy built by hand has none: the memo compiles its own.
  Policy by_hand = parsed.config.policy;
  by_hand.matcher = nullptr;
  RuleMemo third;
  third.begin(by_hand, Language::opencypher);
  EXPECT_NE(third.matcher(), nullptr);
  EXPECT_NE(third.matcher(), parsed.config.policy.matcher.get());
}

}  // namespace
}  // namespace nw
