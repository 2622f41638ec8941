#include "nw/core/quarantine.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nw/core/decide.h"
#include "nw/core/fingerprint.h"
#include "nw/core/rule_memo.h"

namespace nw {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
const auto kNow = std::chrono::system_clock::from_time_t(1795608000);  // 2026-11-25T12:00:00Z

std::uint64_t shape_of(const char* text) {
  return fingerprint_query(Language::opencypher, text).hash;
}

TEST(QuarantineList, ACancelStartsAQuarantineThatLaterCancelsExtend) {
  QuarantineList list;
  const auto fp = shape_of("MATCH (n {id: 1}) RETURN n");
  EXPECT_TRUE(list.cancelled("slow", fp, "match (n{id:?}) return n", "writer", kNow, minutes(10)));
  ASSERT_NE(list.find("slow", fp, kNow + minutes(9)), nullptr);
  EXPECT_EQ(list.find("slow", fp, kNow + minutes(10)), nullptr);  // over at last cancel + 10m
  EXPECT_EQ(list.find("other", fp, kNow), nullptr);               // per rule
  EXPECT_FALSE(list.cancelled("slow", fp, "", "reader", kNow + minutes(5), minutes(10)));
  const QuarantineEntry* e = list.find("slow", fp, kNow + minutes(14));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->since, kNow);
  EXPECT_EQ(e->last_cancel, kNow + minutes(5));
  EXPECT_EQ(e->cancels, 2u);
  EXPECT_EQ(e->endpoint, "reader");
  EXPECT_EQ(e->fingerprint_text, "match (n{id:?}) return n");
  EXPECT_EQ(list.in_force(kNow + minutes(14)), 1u);
  EXPECT_EQ(list.expire(kNow + minutes(15)), 1u);
  EXPECT_TRUE(list.empty());
  // A cancel after the quarantine ended starts a new one.
  EXPECT_TRUE(list.cancelled("slow", fp, "t", "writer", kNow + minutes(20), minutes(10)));
  EXPECT_EQ(list.find("slow", fp, kNow + minutes(21))->cancels, 1u);
}

TEST(QuarantineList, RestoreKeepsTheLaterEndAndTheBoundHolds) {
  QuarantineList list;
  QuarantineEntry e;
  e.rule = "r";
  e.fingerprint = 7;
  e.until = kNow + minutes(3);
  list.restore(e);
  e.until = kNow + minutes(1);
  list.restore(e);
  EXPECT_EQ(list.find("r", 7, kNow)->until, kNow + minutes(3));
  for (std::uint64_t i = 0; i < QuarantineList::kMaxEntries + 5; ++i)
    list.cancelled("r", 100 + i, "", "w", kNow + seconds(i), minutes(1));
  EXPECT_EQ(list.size(), QuarantineList::kMaxEntries);
  EXPECT_EQ(list.find("r", 100, kNow), nullptr);  // the soonest to end went first
  const auto all = list.entries();
  EXPECT_LE(all.front().until, all.back().until);
}

TEST(QuarantineList, ReasonNamesTheShapeTheRuleAndTheCancel) {
  QuarantineList list;
  list.cancelled("long-reads", 0x3f2a9c0e1b2d4f60ULL, "", "writer", kNow, minutes(10));
  EXPECT_EQ(quarantine_reason(*list.find("long-reads", 0x3f2a9c0e1b2d4f60ULL, kNow)),
            "quarantined: fingerprint 3f2a9c0e1b2d4f60 cancelled by [rule.long-reads] at "
            "2026-11-25T12:00:00Z");
}

Policy one_rule(std::optional<Millis> quarantine) {
  Policy p;
  Rule r;
  r.name = "slow";
  r.max_elapsed = Millis(60000);
  r.quarantine = quarantine;
  p.rules.push_back(r);
  return p;
}

StatusSnapshot snapshot_of(std::vector<QueryStatus> queries) {
  StatusSnapshot s;
  s.queries = std::move(queries);
  return s;
}

TEST(QuarantineDecisions, AQuarantinedShapeIsActedOnAtSightOnlyByItsRule) {
  QuarantineList list;
  list.cancelled("slow", shape_of("MATCH (n {id: 1}) RETURN n"), "", "writer", kNow, minutes(10));
  const StatusSnapshot s = snapshot_of({
      {"copy", "MATCH (n {id: 99}) RETURN n", 5, 0, false},       // same shape, just started
      {"queued", "match (n {id: 'x'})\nreturn n", 0, 10, false},  // same shape, queued
      {"other", "MATCH (m {key: 1}) RETURN m", 5, 0, false},      // another shape
  });
  for (bool with_memo : {false, true}) {
    RuleMemo memo;
    const auto decisions =
        decide(s, one_rule(Millis(600000)), kNow + minutes(1), with_memo ? &memo : nullptr, &list);
    ASSERT_EQ(decisions.size(), 2u);
    EXPECT_EQ(decisions[0].query_index, 0u);
    EXPECT_EQ(decisions[1].query_index, 1u);
    EXPECT_EQ(decisions[0].reason.rfind("quarantined: fingerprint ", 0), 0u);
  }
  // Not without the rule's quarantine key, not after it ends, not without the list.
  EXPECT_TRUE(decide(s, one_rule(std::nullopt), kNow, nullptr, &list).empty());
  EXPECT_TRUE(decide(s, one_rule(Millis(600000)), kNow + minutes(11), nullptr, &list).empty());
  EXPECT_TRUE(decide(s, one_rule(Millis(600000)), kNow, nullptr, nullptr).empty());
}

TEST(QuarantineDecisions, ProtectionsStillWinAndABrokenLimitKeepsItsReason) {
  QuarantineList list;
  list.cancelled("slow", shape_of("MATCH (n {id: 1}) RETURN n"), "", "writer", kNow, minutes(10));
  Policy p = one_rule(Millis(600000));
  Protection keep;
  keep.section = "protect";
  keep.query_ids = {"kept"};
  p.protections.push_back(keep);
  const StatusSnapshot s = snapshot_of({{"kept", "MATCH (n {id: 2}) RETURN n", 5, 0, false},
                                        {"long", "MATCH (n {id: 3}) RETURN n", 70000, 0, false}});
  const auto decisions = decide(s, p, kNow, nullptr, &list);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].query_index, 1u);
  EXPECT_EQ(decisions[0].reason, "elapsed 70000ms > max_elapsed 60000ms");
}

TEST(ShapeGuards, BeyondNCopiesOfOneShapeTheNewestAreActedOn) {
  Policy p;
  Rule r;
  r.name = "copies";
  r.max_running_per_fingerprint = 2;
  r.max_queued_per_fingerprint = 1;
  p.rules.push_back(r);
  const StatusSnapshot s = snapshot_of({
      {"a", "MATCH (n {id: 1}) RETURN n", 9000, 0, false},
      {"b", "MATCH (n {id: 2}) RETURN n", 100, 0, false},  // the newest copy
      {"c", "MATCH (n {id: 3}) RETURN n", 5000, 0, false},
      {"d", "MATCH (m:Other) RETURN m", 1, 0, false},      // another shape, alone
      {"e", "MATCH (n {id: 4}) RETURN n", 0, 300, false},  // queued copies: one may wait
      {"f", "MATCH (n {id: 5}) RETURN n", 0, 900, false},
  });
  for (bool with_memo : {false, true}) {
    RuleMemo memo;
    const auto decisions = decide(s, p, kNow, with_memo ? &memo : nullptr);
    ASSERT_EQ(decisions.size(), 2u);
    EXPECT_EQ(decisions[0].query_index, 1u);
    EXPECT_EQ(decisions[0].reason,
              "running 3 of fingerprint " +
                  fingerprint_hex(shape_of("MATCH (n {id: 1}) RETURN n")) +
                  " > max_running_per_fingerprint 2 (newest beyond the limit)");
    EXPECT_EQ(decisions[1].query_index, 4u);  // waited 300 ms: the newer of the two
    EXPECT_NE(decisions[1].reason.find("max_queued_per_fingerprint 1"), std::string::npos);
  }
}

}  // namespace
}  // namespace nw
