#include "nw/core/decision_memory.h"

#include <gtest/gtest.h>

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
    std::size_t size_after;
  } rows[] = {
      {"new pair", "q1", "r1", true, 1},
      {"same pair again", "q1", "r1", false, 1},
      {"and again", "q1", "r1", false, 1},
      {"same query other rule", "q1", "r2", true, 2},
      {"other query same rule", "q2", "r1", true, 3},
      {"second pair repeated", "q1", "r2", false, 3},
      {"empty id is a pair too", "", "r1", true, 4},
  };
  DecisionMemory memory;
  EXPECT_EQ(memory.size(), 0u);
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(memory.first_time(row.query_id, row.rule), row.expected);
    EXPECT_EQ(memory.size(), row.size_after);
  }
}

TEST(DecisionMemory, KeepOnlyForgetsQueriesAbsentFromSnapshot) {
  struct Row {
    const char* name;
    StatusSnapshot snapshot;
    std::size_t size_after;
    bool q1_first_again, q2_first_again, q3_first_again;
  } rows[] = {
      {"all present", snapshot_of({"q1", "q2", "q3"}), 4, false, false, false},
      {"q2 ended", snapshot_of({"q1", "q3", "other"}), 3, false, true, false},
      {"empty snapshot forgets all", snapshot_of({}), 0, true, true, true},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    DecisionMemory memory;
    ASSERT_TRUE(memory.first_time("q1", "a"));
    ASSERT_TRUE(memory.first_time("q1", "b"));
    ASSERT_TRUE(memory.first_time("q2", "a"));
    ASSERT_TRUE(memory.first_time("q3", "a"));
    memory.keep_only(row.snapshot);
    EXPECT_EQ(memory.size(), row.size_after);
    EXPECT_EQ(memory.first_time("q1", "a"), row.q1_first_again);
    EXPECT_EQ(memory.first_time("q2", "a"), row.q2_first_again);
    EXPECT_EQ(memory.first_time("q3", "a"), row.q3_first_again);
  }
}

}  // namespace
}  // namespace nw
