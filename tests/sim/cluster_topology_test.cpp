// The clusters' membership, writer and statuses, without sockets.
#include "nw/sim/cluster_topology.h"

#include <gtest/gtest.h>

namespace nw::sim {
namespace {

SimInstance member(const std::string& cluster, const std::string& id, int index) {
  SimInstance instance;
  instance.cluster = cluster;
  instance.id = id;
  instance.index = index;
  instance.port = static_cast<std::uint16_t>(9000 + index);
  return instance;
}

ClusterTopology three_instances() {
  ClusterTopology topology;
  topology.add_cluster("prod", 0);
  for (int i = 1; i <= 3; ++i)
    EXPECT_TRUE(topology.add_instance(member("prod", "prod-instance-" + std::to_string(i), i - 1)));
  return topology;
}

TEST(ClusterTopology, TheFirstInstanceIsTheWriterAndTheOthersReaders) {
  const ClusterTopology topology = three_instances();
  const SimCluster* cluster = topology.cluster("prod");
  ASSERT_NE(cluster, nullptr);
  EXPECT_EQ(cluster->writer, "prod-instance-1");
  EXPECT_EQ(cluster->members,
            (std::vector<std::string>{"prod-instance-1", "prod-instance-2", "prod-instance-3"}));
  EXPECT_EQ(topology.instance("PROD-Instance-2")->port, 9001) << "identifiers take any case";
  EXPECT_EQ(topology.next_instance_id("prod"), "prod-instance-4");
}

TEST(ClusterTopology, RefusesBadIdentifiersDuplicatesAndUnknownStatuses) {
  ClusterTopology topology = three_instances();
  EXPECT_FALSE(topology.add_instance(member("prod", "prod-instance-2", 9)));
  EXPECT_FALSE(topology.add_instance(member("nope", "nope-1", 9)));
  EXPECT_FALSE(topology.add_instance(member("prod", "1starts-with-a-digit", 9)));
  EXPECT_FALSE(topology.add_instance(member("prod", "two--hyphens", 9)));
  EXPECT_FALSE(topology.add_instance(member("prod", "ends-with-", 9)));
  SimInstance odd = member("prod", "odd", 9);
  odd.status = "sleeping";
  EXPECT_FALSE(topology.add_instance(odd));
  EXPECT_FALSE(topology.set_status("prod-instance-1", "sleeping", std::nullopt));
  EXPECT_EQ(identifier_problem(std::string(64, 'a')), "an identifier has 1 to 63 characters");
  EXPECT_FALSE(identifier_problem("my-cluster-1"));
}

TEST(ClusterTopology, FailoverGoesToTheTargetOrTheNextAvailableMember) {
  ClusterTopology topology = three_instances();
  ASSERT_TRUE(topology.failover("prod", std::string_view("prod-instance-3")));
  EXPECT_EQ(topology.cluster("prod")->writer, "prod-instance-3");
  EXPECT_FALSE(topology.failover("prod", std::string_view("prod-instance-3"))) << "already writer";
  EXPECT_FALSE(topology.failover("prod", std::string_view("other")));

  // Without a target: the next member after the writer, in order of creation, wrapping
  // round, and one that is available before one that is not.
  ASSERT_TRUE(topology.set_status("prod-instance-1", "rebooting", std::nullopt));
  const auto next = topology.failover("prod", std::nullopt);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next.value, "prod-instance-2");
  EXPECT_EQ(*topology.failover("prod", std::nullopt).value, "prod-instance-3");
}

TEST(ClusterTopology, RemovingTheWriterHandsTheRoleOn) {
  ClusterTopology topology = three_instances();
  const auto removed = topology.remove_instance("prod-instance-1");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed.value->index, 0);
  EXPECT_EQ(topology.cluster("prod")->writer, "prod-instance-2");
  EXPECT_EQ(topology.instance("prod-instance-1"), nullptr);
  EXPECT_TRUE(topology.remove_instance("prod-instance-2"));
  EXPECT_FALSE(topology.failover("prod", std::nullopt)) << "one member: nobody to fail over to";
  EXPECT_TRUE(topology.remove_instance("prod-instance-3"));
  EXPECT_EQ(topology.cluster("prod")->writer, "");
  EXPECT_FALSE(topology.remove_instance("prod-instance-3"));
  // Generated names move on: a removed instance's name is not given to a new one.
  EXPECT_EQ(topology.next_instance_id("prod"), "prod-instance-4");
  ASSERT_TRUE(topology.add_instance(member("prod", "prod-instance-4", 3)));
  EXPECT_EQ(topology.cluster("prod")->writer, "prod-instance-4");
}

TEST(ClusterTopology, ATimedStatusEndsAvailable) {
  ClusterTopology topology = three_instances();
  ASSERT_TRUE(topology.set_status("prod-instance-2", "rebooting", 5'000));
  topology.settle(4'999);
  EXPECT_EQ(topology.instance("prod-instance-2")->status, "rebooting");
  topology.settle(5'000);
  EXPECT_EQ(topology.instance("prod-instance-2")->status, "available");
  ASSERT_TRUE(topology.set_status("prod-instance-2", "modifying", std::nullopt));
  topology.settle(1'000'000);
  EXPECT_EQ(topology.instance("prod-instance-2")->status, "modifying") << "until told otherwise";
}

}  // namespace
}  // namespace nw::sim
