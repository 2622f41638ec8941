#include "nw/io/rds_client.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "nw/io/neptune_client.h"

namespace nw {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(NW_TEST_DATA_DIR) + "/rds/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

TEST(RdsXml, ClusterMembersAndTheWriter) {
  const auto members =
      parse_describe_db_clusters(200, fixture("describe_db_clusters.xml"), "prod-graph");
  ASSERT_TRUE(members) << members.failure().describe();
  ASSERT_EQ(members.value().size(), 3u);
  EXPECT_EQ(members.value()[0].id, "prod-graph-1");
  EXPECT_TRUE(members.value()[0].writer);
  EXPECT_EQ(members.value()[2].id, "prod-graph-3");
  EXPECT_FALSE(members.value()[2].writer);
  // Another cluster's answer is not this cluster's.
  const auto other = parse_describe_db_clusters(200, fixture("describe_db_clusters.xml"), "x");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.failure().code, "DBClusterNotFoundFault");
}

TEST(RdsXml, InstancePagesWithMarkerAndWithoutEndpoint) {
  const auto first = parse_describe_db_instances(200, fixture("describe_db_instances_page1.xml"));
  ASSERT_TRUE(first) << first.failure().describe();
  EXPECT_EQ(first.value().marker, "cHJvZC1ncmFwaC0y");
  ASSERT_EQ(first.value().instances.size(), 2u);
  const DiscoveredInstance& one = first.value().instances[0];
  EXPECT_EQ(one.id, "prod-graph-1");
  EXPECT_EQ(one.status, "available");
  EXPECT_EQ(one.address, "prod-graph-1.cxmpl0example.us-east-1.neptune.amazonaws.com");
  EXPECT_EQ(one.port, 8182);
  const auto second = parse_describe_db_instances(200, fixture("describe_db_instances_page2.xml"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second.value().marker, "");
  ASSERT_EQ(second.value().instances.size(), 1u);
  EXPECT_EQ(second.value().instances[0].status, "creating");
  EXPECT_EQ(second.value().instances[0].address, "");  // creating: no endpoint yet
  EXPECT_FALSE(second.value().instances[0].available());
}

TEST(RdsXml, ErrorDocumentsKeepTheirCode) {
  const auto throttled = parse_describe_db_instances(400, fixture("error_throttling.xml"));
  ASSERT_FALSE(throttled);
  EXPECT_EQ(throttled.failure().kind, FailureKind::service_error);
  EXPECT_EQ(throttled.failure().code, "Throttling");
  EXPECT_EQ(throttled.failure().http_status, 400);
  const auto missing =
      parse_describe_db_clusters(404, fixture("error_cluster_not_found.xml"), "prod-graf");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().code, "DBClusterNotFoundFault");
  EXPECT_NE(missing.failure().message.find("DBCluster prod-graf not found."), std::string::npos);
}

TEST(RdsXml, WhatIsNotTheDocumentedShapeIsRefused) {
  const std::string page = fixture("describe_db_instances_page1.xml");
  for (const std::string& body :
       {std::string("not xml at all"), page.substr(0, page.size() / 2),
        std::string("<html><body>502 Bad Gateway</body></html>"),
        std::string("<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances>"
                    "<DBInstance><DBInstanceIdentifier>a</DBInstanceIdentifier></DBInstance>"
                    "</DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>"),
        std::string("<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances>"
                    "<DBInstance><DBInstanceIdentifier>a</DBInstanceIdentifier><DBInstanceStatus>"
                    "available</DBInstanceStatus><Endpoint><Address>h</Address><Port>99999</Port>"
                    "</Endpoint></DBInstance></DBInstances></DescribeDBInstancesResult>"
                    "</DescribeDBInstancesResponse>")}) {
    SCOPED_TRACE(body.substr(0, 60));
    const auto parsed = parse_describe_db_instances(200, body);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.failure().kind, FailureKind::bad_response);
  }
  // A 5xx from something that is not RDS (a proxy) has no code.
  const auto proxy = parse_describe_db_clusters(502, "<html>bad gateway</html>", "c");
  ASSERT_FALSE(proxy);
  EXPECT_EQ(proxy.failure().code, "");
  EXPECT_EQ(proxy.failure().http_status, 502);
}

TEST(RdsXml, MergedTopologyAndItsProblems) {
  const auto members =
      parse_describe_db_clusters(200, fixture("describe_db_clusters.xml"), "prod-graph");
  auto instances = parse_describe_db_instances(200, fixture("describe_db_instances_page1.xml"))
                       .value()
                       .instances;
  const auto page2 = parse_describe_db_instances(200, fixture("describe_db_instances_page2.xml"));
  for (const auto& i : page2.value().instances) instances.push_back(i);
  const ClusterTopology topology = merge_topology(members.value(), instances);
  ASSERT_EQ(topology.instances.size(), 3u);
  EXPECT_TRUE(topology.instances[0].writer);
  EXPECT_FALSE(topology.instances[1].writer);
  EXPECT_EQ(topology_problem(topology), std::nullopt);
  // The same instance twice: refused whole.
  instances.push_back(instances[0]);
  EXPECT_EQ(topology_problem(merge_topology(members.value(), instances)),
            "instance prod-graph-1 is named twice");
  // An available instance without an endpoint: refused whole.
  instances.pop_back();
  instances[1].address.clear();
  EXPECT_EQ(topology_problem(merge_topology(members.value(), instances)),
            "instance prod-graph-2 is available but has no endpoint address and port");
}

TEST(RdsEndpoint, ManagementUrlThenEnvironmentThenRegion) {
  ClusterConfig cluster;
  cluster.name = "prod";
  cluster.instance.region = "eu-west-1";
  std::map<std::string, std::string> vars;
  const EnvLookup env = [&vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_EQ(management_endpoint(cluster, env).to_string(),
            "https://rds.eu-west-1.amazonaws.com:443");
  vars["AWS_ENDPOINT_URL"] = "https://all.example:8443";
  EXPECT_EQ(management_endpoint(cluster, env).to_string(), "https://all.example:8443");
  vars["AWS_ENDPOINT_URL_RDS"] = "http://127.0.0.1:9000";
  EXPECT_EQ(management_endpoint(cluster, env).to_string(), "http://127.0.0.1:9000");
  vars["AWS_ENDPOINT_URL_RDS"] = "http://rds.example";
  EXPECT_THROW(management_endpoint(cluster, env), EndpointSetupError);
  std::string why;
  cluster.management_url = parse_endpoint_url("http://localhost:7000", why);
  EXPECT_EQ(management_endpoint(cluster, env).to_string(), "http://localhost:7000");
}

}  // namespace
}  // namespace nw
