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
