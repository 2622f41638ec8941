#include "nw/core/decision_memory.h"

#include <gtest/gtest.h>

#include <vector>

namespace nw {
namespace {

StatusSnapshot snapshot_of(std::initializer_list<const char*> ids) {
  StatusSnapshot s;
  for (const char* id : ids) s.queries.push_back(QueryStatus{id, "MATCH (n) RETURN n", 1, 0, false});
  return s;
}

TEST(DecisionMemory, FirstTimeIsTrueOncePerPair) {
  struct Row {
    const char* name;
    const char* query_id;
    const char* rule;
    bool expected;
    std::size_t ids_after;
  } rows[] = {
      {"new pair", "q1", "r1", true, 1},
      {"same pair again", "q1", "r1", false, 1},
      {"and again", "q1", "r1", false, 1},
      {"same query other rule", "q1", "r2", true, 1},
      {"other query same rule", "q2", "r1", true, 2},
      {"second pair repeated", "q1", "r2", false, 2},
      {"empty id is a query too", "", "r1", true, 3},
  };
  DecisionMemory memory;
  EXPECT_EQ(memory.size(), 0u);
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(memory.first_time(row.query_id, row.rule), row.expected);
    EXPECT_EQ(memory.size(), row.ids_after);
  }
}

TEST(DecisionMemory, CountsAcknowledgedCancelsPerQuery) {
  DecisionMemory memory;
  EXPECT_EQ(memory.acknowledged_cancels("q1"), 0);
  EXPECT_EQ(memory.size(), 0u);  // asking remembers nothing
  EXPECT_EQ(memory.cancel_acknowledged("q1"), 1);
  EXPECT_EQ(memory.cancel_acknowledged("q1"), 2);
  EXPECT_EQ(memory.cancel_acknowledged("q2"), 1);
  EXPECT_EQ(memory.acknowledged_cancels("q1"), 2);
  EXPECT_EQ(memory.acknowledged_cancels("q2"), 1);
  EXPECT_TRUE(memory.first_time("q1", "r"));  // decisions and cancels are kept apart
  EXPECT_EQ(memory.acknowledged_cancels("q1"), 2);
}

// Each row is a sequence of polls (the ids each one lists) after q1, q2 and q3 were recorded
// and q1's cancel acknowledged; then whether each is still remembered.
TEST(DecisionMemory, ForgetsAQueryOnlyAfterTwoPollsInARowLeaveItOut) {
  static_assert(DecisionMemory::kPollsAbsentToForget == 2);
  struct Row {
    const char* name;
    std::vector<StatusSnapshot> polls;
    bool q1_kept, q2_kept, q3_kept;
  } rows[] = {
      {"all listed", {snapshot_of({"q1", "q2", "q3"})}, true, true, true},
      {"one poll leaves q2 out", {snapshot_of({"q1", "q3", "other"})}, true, true, true},
      {"two polls in a row leave q2 out", {snapshot_of({"q1", "q3"}), snapshot_of({"q1", "q3"})}, true, false, true},
      {"q2 back in between resets its count",
       {snapshot_of({"q1", "q3"}), snapshot_of({"q1", "q2", "q3"}), snapshot_of({"q1", "q3"})},
       true, true, true},
      {"one empty list forgets nothing", {snapshot_of({})}, true, true, true},
      {"two empty lists forget all", {snapshot_of({}), snapshot_of({})}, false, false, false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    DecisionMemory memory;
    ASSERT_TRUE(memory.first_time("q1", "a"));
    ASSERT_TRUE(memory.first_time("q1", "b"));
    ASSERT_TRUE(memory.first_time("q2", "a"));
    ASSERT_TRUE(memory.first_time("q3", "a"));
    ASSERT_EQ(memory.cancel_acknowledged("q1"), 1);
    for (const StatusSnapshot& poll : row.polls) memory.poll_listed(poll);
    EXPECT_EQ(memory.size(), std::size_t{row.q1_kept} + row.q2_kept + row.q3_kept);
    EXPECT_EQ(memory.acknowledged_cancels("q1"), row.q1_kept ? 1 : 0);
    EXPECT_EQ(memory.first_time("q1", "b"), !row.q1_kept);
    EXPECT_EQ(memory.first_time("q2", "a"), !row.q2_kept);
    EXPECT_EQ(memory.first_time("q3", "a"), !row.q3_kept);
  }
}

}  // namespace
}  // namespace nw
