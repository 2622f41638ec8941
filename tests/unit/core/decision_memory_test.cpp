#include "nw/core/decision_memory.h"

#include <vector>

#include <gtest/gtest.h>

namespace nw {
namespace {

QueryStatus query(const char* id, std::int64_t elapsed = 1000,
                  const char* text = "MATCH (n) RETURN n", std::int64_t waited = 0) {
  return QueryStatus{id, text, elapsed, waited, false};
}

StatusSnapshot listing(std::initializer_list<QueryStatus> queries) {
  StatusSnapshot s;
  s.queries = queries;
  return s;
}

StatusSnapshot snapshot_of(std::initializer_list<const char*> ids) {
  StatusSnapshot s;
  for (const char* id : ids) s.queries.push_back(query(id, 2000));
  return s;
}

// `snapshot` with entries for `ids` that could not be read.
StatusSnapshot with_malformed(StatusSnapshot snapshot, std::initializer_list<const char*> ids) {
  for (const char* id : ids)
    snapshot.malformed.push_back(MalformedEntry{id, "queryEvalStats: 'elapsed' is negative"});
  return snapshot;
}

TEST(DecisionMemory, FirstTimeIsTrueOncePerQueryAndRule) {
  struct Row {
    const char* name;
    QueryStatus query;
    const char* rule;
    bool expected;
    std::size_t queries_after;
  } rows[] = {
      {"new pair", query("q1"), "r1", true, 1},
      {"same pair again", query("q1"), "r1", false, 1},
      {"and again, older", query("q1", 5000), "r1", false, 1},
      {"same query other rule", query("q1", 5000), "r2", true, 1},
      {"other query same rule", query("q2"), "r1", true, 2},
      {"second pair repeated", query("q1", 6000), "r2", false, 2},
      {"empty id is a query too", query(""), "r1", true, 3},
      {"the id with another text is a new query", query("q1", 7000, "MATCH (m) RETURN m"), "r1",
       true, 3},
      {"the id younger again is a new query", query("q1", 10, "MATCH (m) RETURN m"), "r1", true, 3},
      {"which is then remembered", query("q1", 20, "MATCH (m) RETURN m"), "r1", false, 3},
      {"queued time counts into the age", query("q3", 0, "MATCH (n) RETURN n", 300), "r1", true, 4},
      {"started running: the same query", query("q3", 5, "MATCH (n) RETURN n", 300), "r1", false,
       4},
  };
  DecisionMemory memory;
  EXPECT_EQ(memory.size(), 0u);
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(memory.first_time(row.query, row.rule), row.expected);
    EXPECT_EQ(memory.size(), row.queries_after);
  }
}

TEST(DecisionMemory, CountsAcknowledgedCancelsPerQuery) {
  DecisionMemory memory;
  EXPECT_EQ(memory.acknowledged_cancels(query("q1")), 0);
  EXPECT_EQ(memory.size(), 0u);  // asking remembers nothing
  EXPECT_EQ(memory.cancel_acknowledged(query("q1", 1000)), 1);
  EXPECT_EQ(memory.cancel_acknowledged(query("q1", 1500)), 2);
  EXPECT_EQ(memory.cancel_acknowledged(query("q2")), 1);
  EXPECT_EQ(memory.acknowledged_cancels(query("q1", 2000)), 2);
  EXPECT_EQ(memory.acknowledged_cancels(query("q2", 2000)), 1);
  EXPECT_TRUE(memory.first_time(query("q1", 2000), "r"));  // decisions and cancels are kept apart
  EXPECT_EQ(memory.acknowledged_cancels(query("q1", 2000)), 2);
  // A new query under q1's id owes nothing to the old one's cancels.
  EXPECT_EQ(memory.acknowledged_cancels(query("q1", 3)), 0);
  EXPECT_EQ(memory.acknowledged_cancels(query("q1", 3000, "MATCH (x) RETURN x")), 0);
  EXPECT_EQ(memory.cancel_acknowledged(query("q1", 3)), 1);
}

// Each row is a sequence of polls after q1, q2 and q3 (all at 1000ms) were recorded and q1's
// cancel acknowledged; then whether each is still remembered.
TEST(DecisionMemory, ForgetsAQueryAfterTwoPollsWithoutItOrAtOnceWhenItsIdNamesAnotherQuery) {
  static_assert(DecisionMemory::kPollsAbsentToForget == 2);
  struct Row {
    const char* name;
    std::vector<StatusSnapshot> polls;
    bool q1_kept, q2_kept, q3_kept;
  } rows[] = {
      {"all listed", {snapshot_of({"q1", "q2", "q3"})}, true, true, true},
      {"one poll leaves q2 out", {snapshot_of({"q1", "q3", "other"})}, true, true, true},
      {"two polls in a row leave q2 out",
       {snapshot_of({"q1", "q3"}), snapshot_of({"q1", "q3"})},
       true,
       false,
       true},
      {"q2 back in between resets its count",
       {snapshot_of({"q1", "q3"}), snapshot_of({"q1", "q2", "q3"}), snapshot_of({"q1", "q3"})},
       true,
       true,
       true},
      {"one empty list forgets nothing", {listing({})}, true, true, true},
      {"two empty lists forget all", {listing({}), listing({})}, false, false, false},
      {"q2's id listed younger: another query",
       {listing({query("q1", 2000), query("q2", 400), query("q3", 2000)})},
       true,
       false,
       true},
      {"q3's id listed with another text: another query",
       {listing({query("q1", 2000), query("q2", 2000), query("q3", 2000, "CREATE (n)")})},
       true,
       true,
       false},
      {"q2 listed malformed twice: still listed",
       {with_malformed(snapshot_of({"q1", "q3"}), {"q2"}),
        with_malformed(snapshot_of({"q1", "q3"}), {"q2"})},
       true,
       true,
       true},
      {"q1 malformed, then readable: the same query, its cancel remembered",
       {with_malformed(snapshot_of({"q2", "q3"}), {"q1"}),
        with_malformed(snapshot_of({"q2", "q3"}), {"q1"}), snapshot_of({"q1", "q2", "q3"})},
       true,
       true,
       true},
      {"a malformed entry under another id keeps nothing",
       {with_malformed(snapshot_of({"q1", "q3"}), {"q4"}),
        with_malformed(snapshot_of({"q1", "q3"}), {"q4"})},
       true,
       false,
       true},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    DecisionMemory memory;
    ASSERT_TRUE(memory.first_time(query("q1"), "a"));
    ASSERT_TRUE(memory.first_time(query("q1"), "b"));
    ASSERT_TRUE(memory.first_time(query("q2"), "a"));
    ASSERT_TRUE(memory.first_time(query("q3"), "a"));
    ASSERT_EQ(memory.cancel_acknowledged(query("q1")), 1);
    for (const StatusSnapshot& poll : row.polls) memory.poll_listed(poll);
    EXPECT_EQ(memory.size(), std::size_t{row.q1_kept} + row.q2_kept + row.q3_kept);
    EXPECT_EQ(memory.acknowledged_cancels(query("q1", 2000)), row.q1_kept ? 1 : 0);
    EXPECT_EQ(memory.first_time(query("q1", 2000), "b"), !row.q1_kept);
    EXPECT_EQ(memory.first_time(query("q2", 2000), "a"), !row.q2_kept);
    EXPECT_EQ(memory.first_time(query("q3", 2000), "a"), !row.q3_kept);
  }
}

}  // namespace
}  // namespace nw
