// The management API over loopback: a fleet of real instance listeners on port 0, the
// management service on its own listener, and a plain HTTP client that parses the XML as a
// discovery client would.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "nw/sim/instance_fleet.h"
#include "nw/sim/management_service.h"
#include "nw/sim/sim_server.h"

namespace nw::sim {
namespace {

using Poco::XML::Element;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

Reply exchange(std::uint16_t port, const std::string& method, const std::string& target,
               const std::string& body = {}, const std::string& content_type = {}) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!content_type.empty()) request.setContentType(content_type);
  if (!body.empty() || method == "POST")
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply reply;
  reply.status = response.getStatus();
  reply.content_type = response.getContentType();
  std::ostringstream text;
  Poco::StreamCopier::copyStream(in, text);
  reply.body = text.str();
  return reply;
}

// Throws Poco::XML::SAXParseException (a Poco::Exception) when the body is not XML.
Poco::AutoPtr<Poco::XML::Document> parse_xml(const std::string& body) {
  Poco::XML::DOMParser parser;
  return parser.parseString(body);
}

std::vector<Element*> child_elements(Poco::XML::Node* parent, const std::string& name) {
  std::vector<Element*> out;
  if (!parent) return out;
  for (Poco::XML::Node* node = parent->firstChild(); node; node = node->nextSibling()) {
    if (node->nodeType() == Poco::XML::Node::ELEMENT_NODE && node->nodeName() == name)
      out.push_back(static_cast<Element*>(node));
  }
  return out;
}

Element* child(Poco::XML::Node* parent, const std::string& name) {
  const auto all = child_elements(parent, name);
  return all.empty() ? nullptr : all.front();
}

std::string text(Poco::XML::Node* parent, const std::string& name) {
  Element* element = child(parent, name);
  return element ? element->innerText() : std::string("<absent>");
}

// The fields of a DBInstance that a watchdog reads.
struct Described {
  std::string id;
  std::string status;
  std::string cluster;
  bool has_endpoint = false;
  std::string address;
  int port = -1;
};

struct InstancesPage {
  std::vector<Described> instances;
  std::string marker;  // empty: the last page
};

InstancesPage instances_page(const std::string& body) {
  const auto document = parse_xml(body);
  Element* root = document->documentElement();
  EXPECT_EQ(root->nodeName(), "DescribeDBInstancesResponse");
  EXPECT_EQ(root->namespaceURI(), "http://rds.amazonaws.com/doc/2014-10-31/");
  EXPECT_FALSE(text(child(root, "ResponseMetadata"), "RequestId").empty());
  Element* result = child(root, "DescribeDBInstancesResult");
  InstancesPage page;
  if (Element* marker = child(result, "Marker")) page.marker = marker->innerText();
  for (Element* element : child_elements(child(result, "DBInstances"), "DBInstance")) {
    Described d;
    d.id = text(element, "DBInstanceIdentifier");
    d.status = text(element, "DBInstanceStatus");
    d.cluster = text(element, "DBClusterIdentifier");
    if (Element* endpoint = child(element, "Endpoint")) {
      d.has_endpoint = true;
      d.address = text(endpoint, "Address");
      d.port = std::stoi(text(endpoint, "Port"));
    }
    page.instances.push_back(d);
  }
  return page;
}

// DBClusterMember entries: (id, is writer), in order.
struct DescribedCluster {
  std::string id;
  std::string endpoint;
  std::string reader_endpoint;
  std::vector<std::pair<std::string, bool>> members;
};

std::vector<DescribedCluster> clusters_of(const std::string& body) {
  const auto document = parse_xml(body);
  Element* root = document->documentElement();
  EXPECT_EQ(root->nodeName(), "DescribeDBClustersResponse");
  EXPECT_EQ(root->namespaceURI(), "http://rds.amazonaws.com/doc/2014-10-31/");
  EXPECT_FALSE(text(child(root, "ResponseMetadata"), "RequestId").empty());
  std::vector<DescribedCluster> out;
  Element* result = child(root, "DescribeDBClustersResult");
  for (Element* element : child_elements(child(result, "DBClusters"), "DBCluster")) {
    DescribedCluster c;
    c.id = text(element, "DBClusterIdentifier");
    c.endpoint = text(element, "Endpoint");
    c.reader_endpoint = text(element, "ReaderEndpoint");
    for (Element* m : child_elements(child(element, "DBClusterMembers"), "DBClusterMember"))
      c.members.emplace_back(text(m, "DBInstanceIdentifier"), text(m, "IsClusterWriter") == "true");
    out.push_back(c);
  }
  return out;
}

struct DescribedError {
  std::string type;
  std::string code;
  std::string message;
  std::string request_id;
};

DescribedError error_of(const Reply& reply) {
  EXPECT_EQ(reply.content_type, "text/xml");
  const auto document = parse_xml(reply.body);
  Element* root = document->documentElement();
  EXPECT_EQ(root->nodeName(), "ErrorResponse");
  EXPECT_EQ(root->namespaceURI(), "http://rds.amazonaws.com/doc/2014-10-31/");
  Element* error = child(root, "Error");
  return {text(error, "Type"), text(error, "Code"), text(error, "Message"),
          text(root, "RequestId")};
}

Poco::JSON::Object::Ptr json_object(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

class ManagementServerTest : public ::testing::Test {
 protected:
  ~ManagementServerTest() override {
    if (management_) management_->shut_down();
    if (server_) server_->stop();
    if (fleet_) fleet_->shut_down();
  }

  // Clusters `ids`, `per_cluster` instances each, named as neptune-sim names them.
  void start(const std::vector<std::string>& ids, int per_cluster, ManagementConfig config = {}) {
    FleetSettings settings;
    settings.workload.arrival_rate = 0;
    settings.quiet = true;
    settings.clock = steady_ms;
    fleet_ = std::make_unique<InstanceFleet>(settings, out_, out_mutex_, 64);
    config.settings.instance_host = "127.0.0.1";
    management_ = std::make_unique<ManagementService>(
        config, *fleet_, [this] { return now_ms_.load(); }, [] { return 1764900000123; });
    int index = 0;
    for (const std::string& id : ids) {
      management_->add_cluster(id);
      for (int i = 1; i <= per_cluster; ++i, ++index) {
        const std::uint16_t port = fleet_->open(index, 0).port();
        ASSERT_TRUE(management_->add_started_instance(id, id + "-instance-" + std::to_string(i),
                                                      index, port));
        ports_[id + "-instance-" + std::to_string(i)] = port;
      }
    }
    server_ = std::make_unique<SimServer>(*management_, "127.0.0.1", 0, fleet_->pool());
    fleet_->start_all();
    server_->start();
  }

  Reply query(const std::string& form) {
    return exchange(server_->port(), "POST", "/", form, "application/x-www-form-urlencoded");
  }
  Reply describe_instances(const std::string& extra = {}) {
    return query("Action=DescribeDBInstances&Version=2014-10-31" + extra);
  }
  Reply describe_clusters(const std::string& extra = {}) {
    return query("Action=DescribeDBClusters&Version=2014-10-31" + extra);
  }
  Reply control(const std::string& method, const std::string& path, const std::string& body = {}) {
    return exchange(server_->port(), method, path, body, body.empty() ? "" : "application/json");
  }

  // What the fleet printed; written by handler threads under out_mutex_.
  std::string output() {
    const std::lock_guard<std::mutex> lock(out_mutex_);
    return out_.str();
  }

  std::ostringstream out_;
  std::mutex out_mutex_;
  std::atomic<std::int64_t> now_ms_{1'000'000};
  std::map<std::string, std::uint16_t> ports_;
  std::unique_ptr<InstanceFleet> fleet_;
  std::unique_ptr<ManagementService> management_;
  std::unique_ptr<SimServer> server_;
};

TEST_F(ManagementServerTest, DescribesClustersWithTheirMembersAndWriter) {
  start({"alpha", "beta"}, 3);
  const Reply one = describe_clusters("&DBClusterIdentifier=BETA");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.content_type, "text/xml");
  const auto clusters = clusters_of(one.body);
  ASSERT_EQ(clusters.size(), 1u);
  EXPECT_EQ(clusters[0].id, "beta");
  EXPECT_EQ(clusters[0].endpoint, "beta.cluster-csimulated00.us-east-1.neptune.amazonaws.com");
  EXPECT_EQ(clusters[0].reader_endpoint,
            "beta.cluster-ro-csimulated00.us-east-1.neptune.amazonaws.com");
  const std::vector<std::pair<std::string, bool>> members = {
      {"beta-instance-1", true}, {"beta-instance-2", false}, {"beta-instance-3", false}};
  EXPECT_EQ(clusters[0].members, members);

  const auto all = clusters_of(describe_clusters().body);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "alpha");
  EXPECT_EQ(all[1].id, "beta");
  // The same through GET and a query string, as the Query API also allows.
  const Reply get = exchange(server_->port(), "GET",
                             "/?Action=DescribeDBClusters&Version=2014-10-31&"
                             "Filters.Filter.1.Name=db-cluster-id&"
                             "Filters.Filter.1.Values.Value.1=arn%3Aaws%3Ards%3Aus-east-1%"
                             "3A123456789012%3Acluster%3Aalpha");
  ASSERT_EQ(get.status, 200) << get.body;
  ASSERT_EQ(clusters_of(get.body).size(), 1u);
  EXPECT_EQ(clusters_of(get.body)[0].id, "alpha");
}

TEST_F(ManagementServerTest, DescribesInstancesWithEndpointsThatAnswer) {
  start({"alpha", "beta"}, 3);
  const Reply reply = describe_instances(
      "&Filters.Filter.1.Name=db-cluster-id&Filters.Filter.1.Values.Value.1=alpha");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const InstancesPage page = instances_page(reply.body);
  EXPECT_TRUE(page.marker.empty());
  ASSERT_EQ(page.instances.size(), 3u);
  for (const Described& d : page.instances) {
    EXPECT_EQ(d.cluster, "alpha");
    EXPECT_EQ(d.status, "available");
    ASSERT_TRUE(d.has_endpoint);
    EXPECT_EQ(d.address, "127.0.0.1");
    EXPECT_EQ(d.port, ports_.at(d.id)) << d.id;
    // What a watchdog does with what it discovered: poll the instance there.
    const Reply status = exchange(static_cast<std::uint16_t>(d.port), "GET", "/opencypher/status");
    EXPECT_EQ(status.status, 200) << d.id;
  }
  const InstancesPage one =
      instances_page(describe_instances("&DBInstanceIdentifier=beta-instance-2").body);
  ASSERT_EQ(one.instances.size(), 1u);
  EXPECT_EQ(one.instances[0].id, "beta-instance-2");
  EXPECT_EQ(one.instances[0].cluster, "beta");
  const InstancesPage none = instances_page(
      describe_instances(
          "&Filters.Filter.1.Name=db-cluster-id&Filters.Filter.1.Values.Value.1=gamma")
          .body);
  EXPECT_TRUE(none.instances.empty()) << "an unknown cluster in a filter is no error";
}

TEST_F(ManagementServerTest, SmallPagesListEveryInstanceExactlyOnce) {
  ManagementConfig config;
  config.page_size = 2;
  start({"alpha", "beta", "gamma"}, 3, config);
  std::multiset<std::string> seen;
  std::string marker;
  int pages = 0;
  do {
    const Reply reply =
        describe_instances("&MaxRecords=20" + (marker.empty() ? "" : "&Marker=" + marker));
    ASSERT_EQ(reply.status, 200) << reply.body;
    const InstancesPage page = instances_page(reply.body);
    EXPECT_LE(page.instances.size(), 2u);
    for (const Described& d : page.instances) seen.insert(d.id);
    marker = page.marker;
    ASSERT_LT(++pages, 20) << "pagination does not end";
  } while (!marker.empty());
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen.size(), 9u);
  for (const auto& entry : ports_) EXPECT_EQ(seen.count(entry.first), 1u) << entry.first;

  // Clusters page the same way.
  std::set<std::string> clusters;
  marker.clear();
  do {
    const Reply reply = describe_clusters(marker.empty() ? "" : "&Marker=" + marker);
    ASSERT_EQ(reply.status, 200) << reply.body;
    for (const auto& c : clusters_of(reply.body)) EXPECT_TRUE(clusters.insert(c.id).second);
    const auto document = parse_xml(reply.body);
    Element* marker_element =
        child(child(document->documentElement(), "DescribeDBClustersResult"), "Marker");
    marker = marker_element ? marker_element->innerText() : "";
  } while (!marker.empty());
  EXPECT_EQ(clusters, (std::set<std::string>{"alpha", "beta", "gamma"}));
}

TEST_F(ManagementServerTest, AddStatusFailoverAndRemoveAreReflected) {
  start({"alpha"}, 2);
  const Reply added = control("POST", "/sim/clusters/alpha/instances", "{}");
  ASSERT_EQ(added.status, 201) << added.body;
  const auto instance = json_object(added.body);
  EXPECT_EQ(instance->getValue<std::string>("instanceId"), "alpha-instance-3");
  EXPECT_FALSE(instance->getValue<bool>("writer"));
  const auto new_port = static_cast<std::uint16_t>(instance->getValue<int>("port"));
  EXPECT_EQ(exchange(new_port, "GET", "/opencypher/status").status, 200) << "it serves";
  EXPECT_NE(output().find("neptune-sim: instance alpha-instance-3 added at http://127.0.0.1:"),
            std::string::npos)
      << output();

  InstancesPage page = instances_page(describe_instances().body);
  ASSERT_EQ(page.instances.size(), 3u);
  EXPECT_EQ(page.instances[2].id, "alpha-instance-3");
  EXPECT_EQ(page.instances[2].port, new_port);
  EXPECT_EQ(page.instances[2].status, "available");
  EXPECT_EQ(clusters_of(describe_clusters().body)[0].members.back(),
            (std::pair<std::string, bool>{"alpha-instance-3", false}));

  ASSERT_EQ(
      control("POST", "/sim/instances/alpha-instance-2/status", R"({"status":"rebooting"})").status,
      200);
  page = instances_page(describe_instances("&DBInstanceIdentifier=alpha-instance-2").body);
  EXPECT_EQ(page.instances.at(0).status, "rebooting");
  EXPECT_EQ(exchange(ports_.at("alpha-instance-2"), "GET", "/opencypher/status").status, 200)
      << "a rebooting instance keeps serving";

  const Reply failover =
      control("POST", "/sim/clusters/alpha/failover", R"({"target":"alpha-instance-3"})");
  ASSERT_EQ(failover.status, 200) << failover.body;
  EXPECT_EQ(json_object(failover.body)->getValue<std::string>("writer"), "alpha-instance-3");
  EXPECT_EQ(json_object(failover.body)->getValue<std::string>("previousWriter"),
            "alpha-instance-1");
  auto members = clusters_of(describe_clusters().body)[0].members;
  EXPECT_EQ(members, (std::vector<std::pair<std::string, bool>>{{"alpha-instance-1", false},
                                                                {"alpha-instance-2", false},
                                                                {"alpha-instance-3", true}}));
  // Without a target: the next available member, wrapping round past the rebooting one.
  const Reply next = control("POST", "/sim/clusters/alpha/failover", "{}");
  EXPECT_EQ(json_object(next.body)->getValue<std::string>("writer"), "alpha-instance-1");

  const Reply removed = control("DELETE", "/sim/instances/alpha-instance-3");
  ASSERT_EQ(removed.status, 200) << removed.body;
  page = instances_page(describe_instances().body);
  ASSERT_EQ(page.instances.size(), 2u);
  for (const Described& d : page.instances) EXPECT_NE(d.id, "alpha-instance-3");
  members = clusters_of(describe_clusters().body)[0].members;
  EXPECT_EQ(members.size(), 2u);
  EXPECT_THROW(exchange(new_port, "GET", "/opencypher/status"), Poco::Exception)
      << "a removed instance stops listening";
  EXPECT_EQ(describe_instances("&DBInstanceIdentifier=alpha-instance-3").status, 404);
  EXPECT_NE(output().find("neptune-sim: instance alpha-instance-3 removed"), std::string::npos);

  const auto topology = json_object(control("GET", "/sim/clusters").body);
  EXPECT_EQ(topology->getArray("clusters")->getObject(0)->getValue<std::string>("writer"),
            "alpha-instance-1");
  EXPECT_GE(topology->getObject("requests")->getValue<int>("DescribeDBInstances"), 4);
}

TEST_F(ManagementServerTest, ACreatingInstanceHasNoEndpointUntilItIsAvailable) {
  start({"alpha"}, 1);
  const Reply added =
      control("POST", "/sim/clusters/alpha/instances",
              R"({"instanceId":"alpha-late","status":"creating","availableAfter":5000})");
  ASSERT_EQ(added.status, 201) << added.body;
  Described late =
      instances_page(describe_instances("&DBInstanceIdentifier=alpha-late").body).instances.at(0);
  EXPECT_EQ(late.status, "creating");
  EXPECT_FALSE(late.has_endpoint);
  now_ms_ += 5'000;
  late =
      instances_page(describe_instances("&DBInstanceIdentifier=alpha-late").body).instances.at(0);
  EXPECT_EQ(late.status, "available");
  EXPECT_TRUE(late.has_endpoint);

  ASSERT_EQ(control("POST", "/sim/instances/alpha-late/status",
                    R"({"status":"modifying","availableAfter":1000})")
                .status,
            200);
  EXPECT_EQ(instances_page(describe_instances("&DBInstanceIdentifier=alpha-late").body)
                .instances.at(0)
                .status,
            "modifying");
  now_ms_ += 1'000;
  EXPECT_EQ(instances_page(describe_instances("&DBInstanceIdentifier=alpha-late").body)
                .instances.at(0)
                .status,
            "available");
}

TEST_F(ManagementServerTest, AnAdvertisedDomainNamesEachInstance) {
  ManagementConfig config;
  config.settings.advertise_domain = "neptune.test";
  config.settings.region = "eu-west-1";
  start({"alpha"}, 2, config);
  const InstancesPage page = instances_page(describe_instances().body);
  ASSERT_EQ(page.instances.size(), 2u);
  EXPECT_EQ(page.instances[0].address, "alpha-instance-1.neptune.test");
  EXPECT_EQ(page.instances[0].port, ports_.at("alpha-instance-1")) << "the port is the real one";
  EXPECT_EQ(page.instances[1].address, "alpha-instance-2.neptune.test");
  const auto clusters = clusters_of(describe_clusters().body);
  EXPECT_EQ(clusters.at(0).endpoint, "alpha.cluster.neptune.test");
  EXPECT_EQ(clusters.at(0).reader_endpoint, "alpha.cluster-ro.neptune.test");
  EXPECT_NE(describe_clusters().body.find("<AvailabilityZone>eu-west-1a</AvailabilityZone>"),
            std::string::npos);
}

TEST_F(ManagementServerTest, ErrorsHaveTheQueryApisShape) {
  start({"alpha"}, 1);
  Reply r = describe_clusters("&DBClusterIdentifier=nope");
  EXPECT_EQ(r.status, 404);
  DescribedError e = error_of(r);
  EXPECT_EQ(e.type, "Sender");
  EXPECT_EQ(e.code, "DBClusterNotFoundFault");
  EXPECT_EQ(e.message, "DBCluster nope not found.");
  EXPECT_EQ(e.request_id.size(), 36u);

  r = describe_instances("&DBInstanceIdentifier=nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r).code, "DBInstanceNotFound");

  r = query("Version=2014-10-31");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r).code, "MissingAction");
  r = query("Action=DescribeDBClusters");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r).code, "MissingParameter");
  r = query("Action=DescribeDBClusters&Version=2013-01-10");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r).code, "InvalidAction");
  r = query("Action=DeleteDBCluster&Version=2014-10-31");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r).code, "InvalidAction");
  EXPECT_EQ(error_of(r).message, "Could not find operation DeleteDBCluster for version 2014-10-31");
  for (const char* records : {"19", "101", "x"}) {
    r = describe_instances(std::string("&MaxRecords=") + records);
    EXPECT_EQ(r.status, 400) << records;
    EXPECT_EQ(error_of(r).code, "InvalidParameterValue");
  }
  r = describe_instances("&Filters.Filter.1.Name=colour&Filters.Filter.1.Values.Value.1=red");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r).code, "InvalidParameterValue");
  r = describe_instances("&Marker=not-a-marker");
  EXPECT_EQ(r.status, 400);
  r = exchange(server_->port(), "GET", "/elsewhere");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_of(r).type, "Sender");

  // The control API answers in the instances' JSON error shape.
  r = control("POST", "/sim/clusters/nope/instances", "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json_object(r.body)->getValue<std::string>("code"), "DBClusterNotFoundFault");
  r = control("POST", "/sim/clusters/alpha/instances", R"({"name":"x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(
      json_object(r.body)->getValue<std::string>("detailedMessage").find("unknown key 'name'"),
      std::string::npos);
  r = control("POST", "/sim/clusters/alpha/instances", R"({"instanceId":"alpha-instance-1"})");
  EXPECT_EQ(r.status, 409);
  r = control("POST", "/sim/instances/alpha-instance-1/status", R"({"status":"sleeping"})");
  EXPECT_EQ(r.status, 400);
  r = control("POST", "/sim/clusters/alpha/failover", "{}");
  EXPECT_EQ(r.status, 400) << "a single instance has nobody to fail over to";
  r = control("DELETE", "/sim/instances/nope");
  EXPECT_EQ(r.status, 404);
  r = control("GET", "/sim/clusters/alpha/failover");
  EXPECT_EQ(r.status, 405);
}

TEST_F(ManagementServerTest, FaultsMakeTheQueryApiFail) {
  start({"alpha"}, 2);
  ASSERT_EQ(control("POST", "/sim/management/fault", R"({"fault":"throttling","count":2})").status,
            200);
  for (int i = 0; i < 2; ++i) {
    const Reply r = describe_instances();
    EXPECT_EQ(r.status, 400);
    const DescribedError e = error_of(r);
    EXPECT_EQ(e.type, "Sender");
    EXPECT_EQ(e.code, "Throttling");
    EXPECT_EQ(e.message, "Rate exceeded");
  }
  EXPECT_EQ(describe_instances().status, 200) << "the count is used up";

  ASSERT_EQ(control("POST", "/sim/management/fault",
                    R"({"fault":"access-denied","action":"DescribeDBInstances"})")
                .status,
            200);
  EXPECT_EQ(describe_clusters().status, 200) << "only the action named";
  Reply r = describe_instances();
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_of(r).code, "AccessDenied");
  EXPECT_NE(error_of(r).message.find("rds:DescribeDBInstances"), std::string::npos);

  ASSERT_EQ(control("POST", "/sim/management/fault", R"({"fault":"internal-failure"})").status,
            200);
  r = describe_clusters();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(error_of(r).type, "Receiver");
  EXPECT_EQ(error_of(r).code, "InternalFailure");

  ASSERT_EQ(control("POST", "/sim/management/fault", R"({"fault":"unavailable"})").status, 200);
  EXPECT_EQ(describe_clusters().status, 503);

  for (const char* kind : {"not-xml", "broken-xml", "truncated"}) {
    ASSERT_EQ(control("POST", "/sim/management/fault",
                      std::string(R"({"fault":")") + kind + R"(","count":1})")
                  .status,
              200);
    std::string body;
    try {
      const Reply broken = describe_instances();
      EXPECT_EQ(broken.status, 200) << kind;
      body = broken.body;
    } catch (const Poco::Exception&) {
      // A truncated answer may end in an error on the client's side instead.
    }
    EXPECT_THROW(parse_xml(body), Poco::Exception) << kind << ": " << body;
  }
  EXPECT_EQ(describe_instances().status, 200);

  ASSERT_EQ(control("POST", "/sim/management/fault", R"({"fault":"throttling"})").status, 200);
  EXPECT_EQ(describe_clusters().status, 400);
  EXPECT_EQ(describe_clusters().status, 400) << "no count: until cleared";
  ASSERT_EQ(control("DELETE", "/sim/management/fault").status, 200);
  EXPECT_EQ(describe_clusters().status, 200);
  EXPECT_EQ(control("POST", "/sim/management/fault", R"({"fault":"gremlins"})").status, 400);
  const auto stats = json_object(control("GET", "/sim/clusters").body)->getObject("requests");
  EXPECT_GE(stats->getValue<int>("faulted"), 9);
}

TEST_F(ManagementServerTest, InstancesComeAndGoWhileOthersDescribe) {
  start({"alpha"}, 2);
  std::atomic<bool> done{false};
  std::atomic<int> answered{0};
  std::thread describer([&] {
    while (!done) {
      const Reply r = describe_instances();
      EXPECT_EQ(r.status, 200);
      EXPECT_NO_THROW(instances_page(r.body));
      ++answered;
    }
  });
  for (int i = 0; i < 5; ++i) {
    const Reply added = control("POST", "/sim/clusters/alpha/instances", "{}");
    ASSERT_EQ(added.status, 201) << added.body;
    ASSERT_EQ(control("DELETE", "/sim/instances/" +
                                    json_object(added.body)->getValue<std::string>("instanceId"))
                  .status,
              200);
  }
  done = true;
  describer.join();
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(instances_page(describe_instances().body).instances.size(), 2u);
}

}  // namespace
}  // namespace nw::sim
