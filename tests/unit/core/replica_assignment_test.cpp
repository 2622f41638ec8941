#include "nw/core/replica_assignment.h"

#include <map>

#include <gtest/gtest.h>

namespace nw {
namespace {

std::vector<std::string> units(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(cluster_unit("graph-" + std::to_string(i)));
  return out;
}

TEST(ReplicaAssignment, UnitNamesFollowTheSections) {
  EXPECT_EQ(cluster_unit("prod"), "cluster.prod");
  EXPECT_EQ(endpoint_unit("writer"), "endpoint.writer");
  EXPECT_EQ(unit_of_endpoint("writer"), "endpoint.writer");
  EXPECT_EQ(unit_of_endpoint("prod/prod-instance-2"), "cluster.prod");
}

TEST(ReplicaAssignment, WeightsArePinnedAcrossVersions) {
  // Replicas of two versions must agree during a rolling upgrade: these values never change.
  EXPECT_EQ(rendezvous_weight("cluster.prod", "replica-a"), 0xb2e47e571acc04bfull);
  EXPECT_EQ(rendezvous_weight("endpoint.writer", "host-1"), 0xbf5b7bf6ae6a14e7ull);
  EXPECT_NE(rendezvous_weight("ab", "c"), rendezvous_weight("a", "bc"));
}

TEST(ReplicaAssignment, NoMembersNoOwner) {
  EXPECT_EQ(rendezvous_owner("cluster.prod", {}), "");
  EXPECT_EQ(rendezvous_owner("cluster.prod", {"only"}), "only");
}

TEST(ReplicaAssignment, OwnerDoesNotDependOnMemberOrder) {
  const std::vector<std::string> a = {"r1", "r2", "r3"}, b = {"r3", "r1", "r2"};
  for (const auto& u : units(50)) EXPECT_EQ(rendezvous_owner(u, a), rendezvous_owner(u, b)) << u;
}

TEST(ReplicaAssignment, AJoiningMemberTakesOnlyUnitsItNowOwns) {
  const std::vector<std::string> before = {"r1", "r2"}, after = {"r1", "r2", "r3"};
  int moved = 0;
  for (const auto& u : units(300)) {
    const auto was = rendezvous_owner(u, before), now = rendezvous_owner(u, after);
    if (was != now) {
      EXPECT_EQ(now, "r3") << u;  // nothing moves between the members that stayed
      ++moved;
    }
  }
  EXPECT_GT(moved, 60);  // about a third
  EXPECT_LT(moved, 140);
}

TEST(ReplicaAssignment, ALeavingMemberHandsOverOnlyItsOwnUnits) {
  const std::vector<std::string> before = {"r1", "r2", "r3"}, after = {"r1", "r3"};
  for (const auto& u : units(300)) {
    const auto was = rendezvous_owner(u, before);
    if (was != "r2") {
      EXPECT_EQ(rendezvous_owner(u, after), was) << u;
    }
  }
}

std::map<std::string, int> shares(const std::map<std::string, std::string>& plan) {
  std::map<std::string, int> out;
  for (const auto& [unit, member] : plan) ++out[member];
  return out;
}

TEST(ReplicaAssignment, BoundedLoadsKeepEveryShareWithinTheBound) {
  // These names give plain rendezvous 29, 15 and 16 of 60 units (1.45 times even).
  const std::vector<std::string> members = {"watchdog-1", "watchdog-2", "watchdog-3"};
  const auto plan = assign_units(units(60), members);
  ASSERT_EQ(plan.size(), 60u);
  for (const auto& [member, count] : shares(plan)) EXPECT_LE(count, 24) << member;  // 1.2 × 20
  // Many name sets: never above the bound, whatever the names.
  for (int set = 0; set < 200; ++set) {
    const std::vector<std::string> names = {"a" + std::to_string(set), "b" + std::to_string(set),
                                            "c" + std::to_string(set)};
    for (const auto& [member, count] : shares(assign_units(units(60), names)))
      EXPECT_LE(count, 24) << member;
  }
  EXPECT_TRUE(assign_units(units(3), {}).empty());
  EXPECT_EQ(assign_units({}, members).size(), 0u);
}

TEST(ReplicaAssignment, WithBoundedLoadsAJoiningMemberTakesAboutItsShareAndLittleElseMoves) {
  for (int set = 0; set < 50; ++set) {
    const std::vector<std::string> two = {"a" + std::to_string(set), "b" + std::to_string(set)};
    std::vector<std::string> three = two;
    three.push_back("c" + std::to_string(set));
    const auto before = assign_units(units(60), two), after = assign_units(units(60), three);
    int to_new = 0, between_old = 0;
    for (const auto& u : units(60)) {
      if (before.at(u) == after.at(u)) continue;
      (after.at(u) == three[2] ? to_new : between_old) += 1;
    }
    EXPECT_GE(to_new, 12) << set;  // its share of 20: the others hold at most 24 each
    EXPECT_LE(to_new, 24) << set;
    EXPECT_LE(between_old, 6) << set;  // of 60
  }
}

TEST(ReplicaAssignment, SharesAreNearlyEvenForManyUnits) {
  const std::vector<std::string> members = {"watchdog-1", "watchdog-2", "watchdog-3"};
  std::map<std::string, int> share;
  const int n = 3000;
  for (const auto& u : units(n)) ++share[rendezvous_owner(u, members)];
  ASSERT_EQ(share.size(), 3u);
  for (const auto& [m, count] : share) {
    EXPECT_GT(count, n / 3 * 0.9) << m;
    EXPECT_LT(count, n / 3 * 1.1) << m;
  }
}

}  // namespace
}  // namespace nw
