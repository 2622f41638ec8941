// Regex cost at load: which regexes are warned about (decided by RE2's program size, so the
// same file always gets the same warnings), the deterministic near-miss sample, and the
// warning's text. Measured times are reported, never asserted.
#include "nw/app/rule_cost.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

using namespace std::chrono_literals;

const char* const kCounted = "(?i)(create|merge|delete|set).{0,500}(detach|remove)";
const char* const kPlain = "(?i)(create|merge|delete|set).*(detach|remove)";

Policy policy_of(const std::string& text) {
  ConfigResult parsed =
      parse_config("[endpoint.e]\nurl = http://127.0.0.1:1\n" + text, "costs.ini");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.errors[0].format("costs.ini"));
  return parsed.config.policy;
}

std::shared_ptr<const re2::RE2> compiled(const std::string& pattern) {
  std::string error;
  auto regex = compile_regex(pattern, error);
  EXPECT_TRUE(regex) << error;
  return regex;
}

TEST(RuleCost, ACountedRepetitionIsWarnedAboutWithItsCostAndAPlainRuleIsNot) {
  const Policy policy =
      policy_of(std::string("[rule.plain]\nmax_elapsed = 1m\nquery_matches = ") + kPlain +
                "\n[rule.counted]\nmax_elapsed = 1m\nquery_matches = " + kCounted +
                "\nquery_excludes = watchdog:exempt\n" +
                "[protect.backups]\nquery_matches = nightly-backup\n");
  // A small budget: the test is about which regexes are warned about, not how long they take.
  const auto costs = measure_regex_costs(policy, 1ms);
  ASSERT_EQ(costs.size(), 4u);
  EXPECT_EQ(costs[0].key, "rule.plain.query_matches");
  EXPECT_EQ(costs[1].key, "rule.counted.query_matches");
  EXPECT_EQ(costs[2].key, "rule.counted.query_excludes");
  EXPECT_EQ(costs[3].key, "protect.backups.query_matches");
  EXPECT_FALSE(costs[0].large);
  EXPECT_EQ(costs[0].counted_instructions, 0);
  EXPECT_EQ(costs[0].texts_measured, 0u);  // a plain rule costs nothing to load
  EXPECT_TRUE(costs[1].large);
  EXPECT_EQ(costs[1].program_size, 4542);
  EXPECT_EQ(costs[1].counted_instructions, 4492);
  EXPECT_GE(costs[1].texts_measured, 8u);  // past its budget, still a few texts
  EXPECT_GT(costs[1].seconds_per_1000, 0);
  EXPECT_FALSE(costs[2].large);
  EXPECT_FALSE(costs[3].large);

  const auto warnings = regex_cost_warnings(costs);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].key, "rule.counted.query_matches");
  const std::string& m = warnings[0].message;
  EXPECT_EQ(m.rfind("costs about ", 0), 0u) << m;
  // Whether it says "expensive" depends on the measured time: not asserted.
  EXPECT_NE(m.find(" per 1,000 texts of 1 KiB (RE2 program size 4,542, 4,492 of it from counted "
                   "repetitions; warned above 200): counted repetitions like .{0,500} copy their "
                   "operand once per count"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.substr(m.size() - 28), "; prefer .* or a small bound") << m;
  EXPECT_EQ(warnings[0].format("costs.ini").rfind("costs.ini: rule.counted.query_matches: ", 0),
            0u);
}

TEST(RuleCost, APlainPolicyGetsNoWarning) {
  const Policy policy = policy_of(
      "[rule.reads]\nmax_elapsed = 1m\nquery_matches = ^\\s*(MATCH|OPTIONAL MATCH|WITH)\n"
      "query_excludes = /\\*\\s*job:nightly-report\\s*\\*/\n"
      "[rule.writes]\nmax_elapsed = 1m\nquery_matches = (?i)\\b(CREATE|MERGE|DELETE|SET)\\b\n"
      "[rule.all]\nmax_elapsed = 1h\n");
  EXPECT_TRUE(regex_cost_warnings(policy).empty());
}

// The warning depends on the compiled programs only. The threshold sits where the measured
// cost climbs: a short bound is left alone, a longer one is warned about.
TEST(RuleCost, WhatCountedRepetitionsAddDecidesTheWarning) {
  const auto cost = [](const std::string& pattern) {
    Policy policy = policy_of("[rule.r]\nmax_elapsed = 1m\nquery_matches = " + pattern + "\n");
    return measure_regex_costs(policy, 1ms).at(0);
  };
  EXPECT_FALSE(cost("(?i)(create|merge|delete|set).{0,20}(detach|remove)").large);
  EXPECT_TRUE(cost("(?i)(create|merge|delete|set).{0,25}(detach|remove)").large);
  EXPECT_TRUE(cost("^MATCH[^;]{0,100}DELETE").large);
  // Braces that RE2 reads as literals, and a brace in a class, are no repetition: only the
  // {2} after the class counts, for one instruction.
  EXPECT_EQ(cost("\\{id: 4\\}x{,500}[{]{2}").counted_instructions, 1);
  // A large program without counted repetitions: its DFA needs few states, and it is cheap.
  std::string words = "(?i)\\b(";
  std::uint32_t seed = 1;
  for (int i = 0; i < 300; ++i) {
    words += i ? "|" : "";
    for (int letter = 0; letter < 7; ++letter) {
      seed = seed * 1103515245u + 12345u;
      words += static_cast<char>('a' + (seed >> 16) % 26);
    }
  }
  words += ")\\b";
  const RegexCost alternation = cost(words);
  EXPECT_GT(alternation.program_size, 1000);
  EXPECT_EQ(alternation.counted_instructions, 0);
  EXPECT_FALSE(alternation.large);
}

// The sample is the same on every run, of the asked size, and near misses: the rule's
// leading words appear, its tail does not, so no text matches and each search reads it all.
TEST(RuleCost, TheSampleIsDeterministicNearMisses) {
  const auto regex = compiled(kCounted);
  const auto a = near_miss_sample(*regex, 50, 1024);
  const auto b = near_miss_sample(*regex, 50, 1024);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 50u);
  for (const std::string& text : a) {
    EXPECT_EQ(text.size(), 1024u);
    EXPECT_FALSE(re2::RE2::PartialMatch(text, *regex));
    EXPECT_NE(text.find("create"), std::string::npos);
    EXPECT_EQ(text.find("detach"), std::string::npos);
    EXPECT_EQ(text.find("remove"), std::string::npos);
  }
}

}  // namespace
}  // namespace nw
