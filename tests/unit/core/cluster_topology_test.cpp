#include "nw/core/cluster_topology.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace nw {
namespace {

DiscoveredInstance instance(std::string id, bool writer, std::string status = "available",
                            std::uint16_t port = 8182) {
  DiscoveredInstance i;
  i.id = id;
  i.writer = writer;
  i.status = std::move(status);
  if (i.status == "available") i.address = id + ".example";
  i.port = port;
  return i;
}

ClusterConfig cluster() {
  ClusterConfig c;
  c.name = "prod";
  c.cluster_id = "prod-graph";
  c.instance.region = "us-east-1";
  c.instance.languages = {Language::opencypher, Language::gremlin};
  return c;
}

std::vector<std::string> lines(const std::vector<TopologyChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.instance + " " + c.change + ": " + c.detail);
  return out;
}

TEST(ClusterTopology, EndpointsOfTheAvailableInstancesOfTheRolesWatched) {
  ClusterTopology t{{instance("db-1", true), instance("db-2", false),
                     instance("db-3", false, "creating"), instance("db-4", false, "rebooting")}};
  ClusterConfig c = cluster();
  auto endpoints = cluster_endpoints(c, t);
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints[0].name, "prod/db-1");
  EXPECT_EQ(endpoints[0].role, InstanceRole::writer);
  EXPECT_EQ(endpoints[0].cluster, "prod");
  EXPECT_EQ(endpoints[0].url.to_string(), "https://db-1.example:8182");
  EXPECT_EQ(endpoints[0].languages, c.instance.languages);  // the template's keys
  EXPECT_EQ(endpoints[1].name, "prod/db-2");
  EXPECT_EQ(endpoints[1].role, InstanceRole::reader);
  c.roles = {InstanceRole::reader};
  c.https = false;
  endpoints = cluster_endpoints(c, t);
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].url.to_string(), "http://db-2.example:8182");
}

TEST(ClusterTopology, ChangesFromOneDescriptionToTheNext) {
  const ClusterTopology first{{instance("db-1", true), instance("db-2", false)}};
  EXPECT_EQ(lines(topology_changes(nullptr, first)),
            (std::vector<std::string>{"db-1 added: writer, available at db-1.example:8182",
                                      "db-2 added: reader, available at db-2.example:8182"}));
  EXPECT_TRUE(topology_changes(&first, first).empty());
  // A failover, a reader added, one rebooting, one gone.
  const ClusterTopology second{{instance("db-1", false, "rebooting"), instance("db-2", true),
                                instance("db-5", false, "available", 8183)}};
  EXPECT_EQ(
      lines(topology_changes(&first, second)),
      (std::vector<std::string>{
          "db-1 role: writer -> reader", "db-1 status: available -> rebooting",
          "db-2 role: reader -> writer", "db-5 added: reader, available at db-5.example:8183"}));
  const ClusterTopology third{{instance("db-2", true)}};
  EXPECT_EQ(lines(topology_changes(&second, third)),
            (std::vector<std::string>{"db-1 removed: was reader, rebooting",
                                      "db-5 removed: was reader, available at db-5.example:8183"}));
}

TEST(ClusterTopology, ProblemsThatRefuseAnAnswer) {
  EXPECT_EQ(topology_problem(ClusterTopology{{instance("a", true), instance("b", true)}}),
            "2 instances are marked as the writer");
  EXPECT_EQ(topology_problem(ClusterTopology{{instance("", false)}}),
            "an instance without a DBInstanceIdentifier");
  EXPECT_EQ(topology_problem(ClusterTopology{}), std::nullopt);  // an empty cluster is a cluster
}

}  // namespace
}  // namespace nw
