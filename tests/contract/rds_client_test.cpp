// The management API client against a real HTTP server on loopback: the signed form requests
// of DescribeDBClusters and every page of DescribeDBInstances, and answers that are refused.
#include "nw/io/rds_client.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "nw/io/credentials.h"
#include "support/aws_fixtures.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

using test::ScriptedHttpServer;
using test::ScriptedResponse;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(NW_TEST_DATA_DIR) + "/rds/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

using test::example_chain;

ClusterConfig cluster_at(const ScriptedHttpServer& server) {
  ClusterConfig c;
  c.name = "prod";
  c.cluster_id = "prod-graph";
  c.instance.region = "us-east-1";
  std::string why;
  c.management_url = parse_endpoint_url("http://127.0.0.1:" + std::to_string(server.port()), why);
  return c;
}

ScriptedResponse xml(const std::string& body, int status = 200) {
  return ScriptedResponse{status, body, "text/xml"};
}

TEST(RdsDirectory, DescribesAClusterPageByPageWithSignedForms) {
  ScriptedHttpServer server;
  server.enqueue(xml(fixture("describe_db_clusters.xml")));
  server.enqueue(xml(fixture("describe_db_instances_page1.xml")));
  server.enqueue(xml(fixture("describe_db_instances_page2.xml")));
  auto directory = make_rds_directory(cluster_at(server), example_chain(), nullptr, {});
  const auto topology =
      directory->describe(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(topology) << topology.failure().describe();
  ASSERT_EQ(topology.value().instances.size(), 3u);
  EXPECT_TRUE(topology.value().instances[0].writer);
  EXPECT_EQ(topology.value().instances[2].status, "creating");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  const auto clusters = test::decode_form(requests[0].body);
  EXPECT_EQ(clusters.at("Action"), "DescribeDBClusters");
  EXPECT_EQ(clusters.at("Version"), "2014-10-31");
  EXPECT_EQ(clusters.at("DBClusterIdentifier"), "prod-graph");
  const auto first = test::decode_form(requests[1].body);
  EXPECT_EQ(first.at("Action"), "DescribeDBInstances");
  EXPECT_EQ(first.at("Filters.Filter.1.Name"), "db-cluster-id");
  EXPECT_EQ(first.at("Filters.Filter.1.Values.Value.1"), "prod-graph");
  EXPECT_EQ(first.count("Marker"), 0u);
  EXPECT_EQ(test::decode_form(requests[2].body).at("Marker"), "cHJvZC1ncmFwaC0y");
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.uri, "/");
    EXPECT_EQ(r.content_type, "application/x-www-form-urlencoded; charset=utf-8");
    // Signed for the rds service in the cluster's region.
    const std::string auth = r.header("Authorization");
    EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u);
    EXPECT_NE(auth.find("/us-east-1/rds/aws4_request"), std::string::npos);
    EXPECT_FALSE(r.header("X-Amz-Date").empty());
  }
}

TEST(RdsDirectory, ThrottlingAndBadAnswersAreFailuresWithTheirKind) {
  ScriptedHttpServer server;
  server.enqueue(xml(fixture("error_throttling.xml"), 400));
  server.enqueue(xml(fixture("describe_db_clusters.xml")));
  server.enqueue(xml(fixture("describe_db_instances_page1.xml").substr(0, 300)));
  auto directory = make_rds_directory(cluster_at(server), example_chain(), nullptr, {});
  const auto deadline = [] { return std::chrono::steady_clock::now() + std::chrono::seconds(5); };
  const auto throttled = directory->describe(deadline());
  ASSERT_FALSE(throttled);
  EXPECT_EQ(throttled.failure().code, "Throttling");
  const auto truncated = directory->describe(deadline());
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.failure().kind, FailureKind::bad_response);
}

TEST(RdsDirectory, WithoutCredentialsNothingIsSent) {
  ScriptedHttpServer server;
  CredentialChainOptions options;
  options.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_EC2_METADATA_DISABLED") return "true";
    if (name == "AWS_SHARED_CREDENTIALS_FILE" || name == "AWS_CONFIG_FILE") return "/nonexistent";
    return std::nullopt;
  };
  auto directory = make_rds_directory(
      cluster_at(server), std::make_shared<CredentialChain>(std::move(options)), nullptr, {});
  const auto described =
      directory->describe(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  ASSERT_FALSE(described);
  EXPECT_EQ(described.failure().kind, FailureKind::credentials);
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace nw
