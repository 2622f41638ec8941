#include "nw/core/cancel_budget.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace nw {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kT0 = Clock::time_point(std::chrono::hours(1000));

Rule rule(const char* name, std::optional<int> per_minute = std::nullopt) {
  Rule r;
  r.name = name;
  r.max_elapsed = Millis(1000);
  r.max_cancels_per_minute = per_minute;
  return r;
}

Policy policy(std::optional<int> global, std::vector<Rule> rules) {
  Policy p;
  p.max_cancels_per_minute = global;
  p.rules = std::move(rules);
  return p;
}

// "ok" or the refusal text for each try_spend(rule, t), in order.
std::vector<std::string> spend(CancelBudget& budget, const Rule& r, int times,
                               Clock::time_point t) {
  std::vector<std::string> out;
  for (int i = 0; i < times; ++i) out.push_back(budget.try_spend(r, t).value_or("ok"));
  return out;
}

using Lines = std::vector<std::string>;

TEST(TokenBucket, StartsFullWithTheBurstAndRefillsContinuously) {
  TokenBucket bucket(2, kT0);
  EXPECT_EQ(bucket.per_minute(), 2);
  ASSERT_TRUE(bucket.has_token(kT0));
  bucket.take();
  ASSERT_TRUE(bucket.has_token(kT0));
  bucket.take();
  EXPECT_FALSE(bucket.has_token(kT0));
  // 2 per minute: one token every 30 s. (Instants chosen so that the sums are exact in
  // binary floating point.)
  EXPECT_FALSE(bucket.has_token(kT0 + seconds(15)));
  EXPECT_TRUE(bucket.has_token(kT0 + seconds(30)));
  bucket.take();
  EXPECT_FALSE(bucket.has_token(kT0 + seconds(30)));
  EXPECT_FALSE(bucket.has_token(kT0 + seconds(45)));
  EXPECT_TRUE(bucket.has_token(kT0 + seconds(60)));
}

TEST(TokenBucket, AnEmptyBucketHasNoTokenJustBeforeTheRefill) {
  struct Row {
    int per_minute;
    milliseconds after;
    bool token;
  } rows[] = {
      {1, milliseconds(59'999), false}, {1, milliseconds(60'000), true},
      {2, milliseconds(29'999), false}, {2, milliseconds(30'000), true},
      {4, milliseconds(14'999), false}, {4, milliseconds(15'000), true},
      {60, milliseconds(999), false},   {120, milliseconds(499), false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::to_string(row.per_minute) + "/min after " +
                 std::to_string(row.after.count()) + "ms");
    TokenBucket bucket(row.per_minute, kT0);
    for (int i = 0; i < row.per_minute; ++i) bucket.take();
    EXPECT_EQ(bucket.has_token(kT0 + row.after), row.token);
  }
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
  TokenBucket bucket(3, kT0);
  const auto later = kT0 + std::chrono::hours(5);
  int granted = 0;
  while (bucket.has_token(later) && granted < 100) {
    bucket.take();
    ++granted;
  }
  EXPECT_EQ(granted, 3);
}

TEST(TokenBucket, ATimeBeforeTheLastRefillAddsNothing) {
  TokenBucket bucket(1, kT0);
  bucket.take();
  EXPECT_FALSE(bucket.has_token(kT0 - std::chrono::hours(1)));
  EXPECT_FALSE(bucket.has_token(kT0));
  EXPECT_TRUE(bucket.has_token(kT0 + seconds(60)));
}

TEST(CancelBudget, LimitsAndRefusalTexts) {
  const std::string global3 = "[watchdog] max_cancels_per_minute 3";
  struct Row {
    const char* name;
    Policy policy;
    Rule spender;
    int times;
    Lines expected;
  } rows[] = {
      {"no limits at all",
       policy(std::nullopt, {rule("r")}),
       rule("r"),
       5,
       {"ok", "ok", "ok", "ok", "ok"}},
      {"global burst is the per-minute figure",
       policy(3, {rule("r")}),
       rule("r"),
       5,
       {"ok", "ok", "ok", global3, global3}},
      {"global applies to a rule it does not list",
       policy(3, {rule("r")}),
       rule("other"),
       4,
       {"ok", "ok", "ok", global3}},
      {"rule burst",
       policy(std::nullopt, {rule("r", 2)}),
       rule("r", 2),
       4,
       {"ok", "ok", "[rule.r] max_cancels_per_minute 2", "[rule.r] max_cancels_per_minute 2"}},
      {"the rule's bucket is found by name",
       policy(std::nullopt, {rule("r", 2)}),
       rule("r"),
       3,
       {"ok", "ok", "[rule.r] max_cancels_per_minute 2"}},
      {"a rule without a limit",
       policy(std::nullopt, {rule("r", 2), rule("free")}),
       rule("free"),
       4,
       {"ok", "ok", "ok", "ok"}},
      {"the smaller of global and rule",
       policy(5, {rule("r", 1)}),
       rule("r", 1),
       2,
       {"ok", "[rule.r] max_cancels_per_minute 1"}},
      {"global checked first when both are empty",
       policy(1, {rule("r", 1)}),
       rule("r", 1),
       2,
       {"ok", "[watchdog] max_cancels_per_minute 1"}},
  };
  for (auto& row : rows) {
    SCOPED_TRACE(row.name);
    CancelBudget budget(row.policy, kT0);
    EXPECT_EQ(spend(budget, row.spender, row.times, kT0), row.expected);
  }
}

TEST(CancelBudget, RefillsAtThePerMinuteRate) {
  const Rule r = rule("r", 4);  // one token every 15 s
  CancelBudget budget(policy(std::nullopt, {r}), kT0);
  EXPECT_EQ(spend(budget, r, 4, kT0), (Lines{"ok", "ok", "ok", "ok"}));
  const std::string no = "[rule.r] max_cancels_per_minute 4";
  EXPECT_EQ(spend(budget, r, 1, kT0 + milliseconds(7'500)), Lines{no});
  EXPECT_EQ(spend(budget, r, 2, kT0 + seconds(15)), (Lines{"ok", no}));
  EXPECT_EQ(spend(budget, r, 3, kT0 + seconds(45)), (Lines{"ok", "ok", no}));
  EXPECT_EQ(spend(budget, r, 5, kT0 + std::chrono::hours(2)), (Lines{"ok", "ok", "ok", "ok", no}));
}

TEST(CancelBudget, ARuleRefusalSpendsNoGlobalToken) {
  const Rule tight = rule("tight", 1);
  const Rule other = rule("other");
  CancelBudget budget(policy(3, {tight, other}), kT0);
  EXPECT_EQ(spend(budget, tight, 3, kT0), (Lines{"ok", "[rule.tight] max_cancels_per_minute 1",
                                                 "[rule.tight] max_cancels_per_minute 1"}));
  // The two refusals took nothing from the global bucket: two of its three tokens are left.
  EXPECT_EQ(spend(budget, other, 3, kT0),
            (Lines{"ok", "ok", "[watchdog] max_cancels_per_minute 3"}));
}

TEST(CancelBudget, AGlobalRefusalSpendsNoRuleToken) {
  const Rule r = rule("r", 3);
  const Rule other = rule("other");
  CancelBudget budget(policy(2, {r, other}), kT0);
  EXPECT_EQ(spend(budget, r, 1, kT0), Lines{"ok"});      // global 1 left, rule 2 left
  EXPECT_EQ(spend(budget, other, 1, kT0), Lines{"ok"});  // global empty
  EXPECT_EQ(spend(budget, r, 2, kT0),
            (Lines{"[watchdog] max_cancels_per_minute 2", "[watchdog] max_cancels_per_minute 2"}));
  // Drop the global limit; the rule's unchanged rate keeps its bucket, which must still hold
  // the two tokens the refusals did not take.
  budget.reconfigure(policy(std::nullopt, {r, other}), kT0);
  EXPECT_EQ(spend(budget, r, 3, kT0), (Lines{"ok", "ok", "[rule.r] max_cancels_per_minute 3"}));
}

TEST(CancelBudget, ReconfigureKeepsUnchangedRatesAndResetsChangedOnes) {
  struct Row {
    const char* name;
    Policy before;
    Policy after;
    Rule spender;
    Lines after_reload;  // spending right after the reload, at the same instant
  } rows[] = {
      {"unchanged global rate keeps its empty bucket",
       policy(2, {rule("r")}),
       policy(2, {rule("r")}),
       rule("r"),
       {"[watchdog] max_cancels_per_minute 2"}},
      {"unchanged global rate with other rule changes",
       policy(2, {rule("r")}),
       policy(2, {rule("r"), rule("new", 9)}),
       rule("r"),
       {"[watchdog] max_cancels_per_minute 2"}},
      {"changed global rate starts full",
       policy(2, {rule("r")}),
       policy(3, {rule("r")}),
       rule("r"),
       {"ok", "ok", "ok", "[watchdog] max_cancels_per_minute 3"}},
      {"lowered global rate starts full too",
       policy(2, {rule("r")}),
       policy(1, {rule("r")}),
       rule("r"),
       {"ok", "[watchdog] max_cancels_per_minute 1"}},
      {"removed global limit",
       policy(2, {rule("r")}),
       policy(std::nullopt, {rule("r")}),
       rule("r"),
       {"ok", "ok", "ok"}},
      {"unchanged rule rate keeps its empty bucket",
       policy(std::nullopt, {rule("r", 2)}),
       policy(std::nullopt, {rule("x", 5), rule("r", 2)}),
       rule("r", 2),
       {"[rule.r] max_cancels_per_minute 2"}},
      {"changed rule rate starts full",
       policy(std::nullopt, {rule("r", 2)}),
       policy(std::nullopt, {rule("r", 3)}),
       rule("r", 3),
       {"ok", "ok", "ok", "[rule.r] max_cancels_per_minute 3"}},
      {"removed rule limit",
       policy(std::nullopt, {rule("r", 2)}),
       policy(std::nullopt, {rule("r")}),
       rule("r"),
       {"ok", "ok", "ok"}},
      {"a renamed rule is a new bucket",
       policy(std::nullopt, {rule("r", 2)}),
       policy(std::nullopt, {rule("renamed", 2)}),
       rule("renamed", 2),
       {"ok", "ok", "[rule.renamed] max_cancels_per_minute 2"}},
  };
  for (auto& row : rows) {
    SCOPED_TRACE(row.name);
    CancelBudget budget(row.before, kT0);
    // Empty every bucket the spender draws on.
    for (int i = 0; i < 10; ++i) budget.try_spend(row.spender, kT0);
    budget.reconfigure(row.after, kT0);
    EXPECT_EQ(spend(budget, row.spender, static_cast<int>(row.after_reload.size()), kT0),
              row.after_reload);
  }
}

TEST(CancelBudget, AKeptBucketKeepsRefillingFromWhereItWas) {
  const Rule r = rule("r", 2);
  CancelBudget budget(policy(std::nullopt, {r}), kT0);
  EXPECT_EQ(spend(budget, r, 2, kT0), (Lines{"ok", "ok"}));
  budget.reconfigure(policy(std::nullopt, {r}), kT0 + seconds(20));
  EXPECT_EQ(spend(budget, r, 1, kT0 + seconds(15)), Lines{"[rule.r] max_cancels_per_minute 2"});
  EXPECT_EQ(spend(budget, r, 2, kT0 + seconds(30)),
            (Lines{"ok", "[rule.r] max_cancels_per_minute 2"}));
}

TEST(CancelBudget, WarnsAtMostOncePerMinute) {
  CancelBudget budget(policy(1, {rule("r")}), kT0);
  struct Row {
    Clock::time_point t;
    bool warn;
  } rows[] = {
      {kT0, true},
      {kT0, false},
      {kT0 + seconds(1), false},
      {kT0 + milliseconds(59'999), false},
      {kT0 + seconds(60), true},
      {kT0 + seconds(60) + milliseconds(1), false},
      {kT0 + seconds(119), false},
      {kT0 + seconds(300), true},
      {kT0 + seconds(301), false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::chrono::duration_cast<milliseconds>(row.t - kT0).count());
    EXPECT_EQ(budget.should_warn(row.t), row.warn);
  }
}

}  // namespace
}  // namespace nw
