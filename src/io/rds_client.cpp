#include "nw/io/rds_client.h"

#include <algorithm>
#include <map>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>

#include "nw/core/url_encode.h"
#include "nw/io/aws_query.h"
#include "nw/io/http_exchange.h"
#include "nw/io/neptune_client.h"
#include "nw/io/request_signer.h"
#include "nw/io/tls_context.h"

namespace nw {

namespace {

using Poco::XML::Element;

// Management answers are small (about 2 KB per instance, 100 instances a page).
constexpr std::size_t kMaxManagementBody = 4u << 20;

// The error of a non-2xx answer: the service's code when it sent an <ErrorResponse>.
Failure answer_error(int status, Element* root, const std::string& what) {
  if (const auto error = aws_query_error(root)) {
    std::string message = error->message.substr(0, 300);
    for (char& c : message)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return {FailureKind::service_error, status, error->code,
            what + ": " + (message.empty() ? "(no message)" : message)};
  }
  return {FailureKind::service_error, status, "",
          what + " answered HTTP " + std::to_string(status) + " without an RDS error document"};
}

std::optional<std::uint16_t> port_of(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  const long value = std::stol(text);
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// The child elements of a list, whatever their member name (DBClusterMember, DBInstance).
std::vector<Element*> members_of(Element* list) {
  std::vector<Element*> out;
  if (!list) return out;
  for (Poco::XML::Node* n = list->firstChild(); n; n = n->nextSibling())
    if (n->nodeType() == Poco::XML::Node::ELEMENT_NODE) out.push_back(static_cast<Element*>(n));
  return out;
}

}  // namespace

Result<std::vector<ClusterMember>> parse_describe_db_clusters(int http_status,
                                                              const std::string& body,
                                                              const std::string& cluster_id) {
  const std::string what = "RDS DescribeDBClusters";
  const AwsXml document(body);
  Element* root = document.root();
  if (http_status / 100 != 2) return answer_error(http_status, root, what);
  Element* clusters = xml_child(xml_child(root, "DescribeDBClustersResult"), "DBClusters");
  if (!root || !clusters)
    return Failure{FailureKind::bad_response, http_status, "",
                   what + ": the answer is not a DescribeDBClustersResponse"};
  for (Element* cluster : members_of(clusters)) {
    if (xml_child_text(cluster, "DBClusterIdentifier") != cluster_id) continue;
    Element* list = xml_child(cluster, "DBClusterMembers");
    std::vector<ClusterMember> out;
    for (Element* m : members_of(list)) {
      ClusterMember member;
      member.id = xml_child_text(m, "DBInstanceIdentifier");
      const std::string writer = xml_child_text(m, "IsClusterWriter");
      if (member.id.empty() || (writer != "true" && writer != "false"))
        return Failure{
            FailureKind::bad_response, http_status, "",
            what + ": a DBClusterMember without DBInstanceIdentifier or IsClusterWriter"};
      member.writer = writer == "true";
      out.push_back(std::move(member));
    }
    return out;
  }
  return Failure{FailureKind::service_error, http_status, "DBClusterNotFoundFault",
                 what + ": the answer does not describe cluster " + cluster_id};
}

Result<InstancesPage> parse_describe_db_instances(int http_status, const std::string& body) {
  const std::string what = "RDS DescribeDBInstances";
  const AwsXml document(body);
  Element* root = document.root();
  if (http_status / 100 != 2) return answer_error(http_status, root, what);
  Element* result = xml_child(root, "DescribeDBInstancesResult");
  Element* list = xml_child(result, "DBInstances");
  if (!root || !result)
    return Failure{FailureKind::bad_response, http_status, "",
                   what + ": the answer is not a DescribeDBInstancesResponse"};
  InstancesPage page;
  page.marker = xml_child_text(result, "Marker");
  for (Element* i : members_of(list)) {
    DiscoveredInstance instance;
    instance.id = xml_child_text(i, "DBInstanceIdentifier");
    instance.status = xml_child_text(i, "DBInstanceStatus");
    if (instance.id.empty() || instance.status.empty())
      return Failure{FailureKind::bad_response, http_status, "",
                     what + ": a DBInstance without DBInstanceIdentifier or DBInstanceStatus"};
    if (Element* endpoint = xml_child(i, "Endpoint")) {
      instance.address = xml_child_text(endpoint, "Address");
      const std::string port = xml_child_text(endpoint, "Port");
      if (!port.empty()) {
        const auto p = port_of(port);
        if (!p)
          return Failure{
              FailureKind::bad_response, http_status, "",
              what + ": instance " + instance.id + " has port '" + port.substr(0, 20) + "'"};
        instance.port = *p;
      }
    }
    page.instances.push_back(std::move(instance));
  }
  return page;
}

ClusterTopology merge_topology(const std::vector<ClusterMember>& members,
                               const std::vector<DiscoveredInstance>& instances) {
  std::multimap<std::string, const DiscoveredInstance*> by_id;
  for (const auto& i : instances) by_id.emplace(i.id, &i);
  ClusterTopology out;
  for (const auto& m : members) {
    const auto range = by_id.equal_range(m.id);
    if (range.first == range.second) {
      DiscoveredInstance unknown;
      unknown.id = m.id;
      unknown.status = "unknown";
      unknown.writer = m.writer;
      out.instances.push_back(std::move(unknown));
      continue;
    }
    // An instance the list names twice stays twice, so that topology_problem() refuses it.
    for (auto it = range.first; it != range.second; ++it) {
      DiscoveredInstance instance = *it->second;
      instance.writer = m.writer;
      out.instances.push_back(std::move(instance));
    }
  }
  std::stable_sort(
      out.instances.begin(), out.instances.end(),
      [](const DiscoveredInstance& a, const DiscoveredInstance& b) { return a.id < b.id; });
  return out;
}

EndpointUrl management_endpoint(const ClusterConfig& cluster, const EnvLookup& env) {
  if (cluster.management_url) return *cluster.management_url;
  const std::string key = "cluster." + cluster.name + ".management_url";
  for (const char* name : {"AWS_ENDPOINT_URL_RDS", "AWS_ENDPOINT_URL"}) {
    const auto value = env ? env(name) : std::nullopt;
    if (!value || value->empty()) continue;
    std::string why;
    const auto url = parse_endpoint_url(*value, why);
    if (!url) throw EndpointSetupError(key, std::string(name) + " is not usable: " + why);
    if (!url->https && !is_loopback_host(url->host))
      throw EndpointSetupError(key, std::string(name) +
                                        " must be https:// (http:// only for a loopback host): "
                                        "the management requests are signed");
    return *url;
  }
  EndpointUrl url;
  url.https = true;
  url.host = "rds." + cluster.instance.region + ".amazonaws.com";
  url.port = 443;
  return url;
}

namespace {

class RdsDirectory : public ClusterDirectory {
 public:
  RdsDirectory(const ClusterConfig& cluster, EndpointUrl endpoint,
               std::shared_ptr<CredentialChain> credentials, std::shared_ptr<ExchangeReaper> reaper)
      : cluster_id_(cluster.cluster_id),
        region_(cluster.instance.region),
        endpoint_(std::move(endpoint)),
        credentials_(std::move(credentials)),
        connections_(origin_of(cluster, endpoint_), std::move(reaper), 1) {}

  Result<ClusterTopology> describe(std::chrono::steady_clock::time_point deadline) override {
    auto clusters = call({{"Action", "DescribeDBClusters"},
                          {"Version", "2014-10-31"},
                          {"DBClusterIdentifier", cluster_id_}},
                         "RDS DescribeDBClusters", deadline);
    if (!clusters) return clusters.failure();
    auto members =
        parse_describe_db_clusters(clusters.value().status, clusters.value().body, cluster_id_);
    if (!members) return members.failure();
    std::vector<DiscoveredInstance> instances;
    std::string marker;
    // A bound on the pages, so that a peer that always sends a Marker cannot keep us here.
    for (int page = 0; page < 1000; ++page) {
      AwsQueryParams params = {{"Action", "DescribeDBInstances"},
                               {"Version", "2014-10-31"},
                               {"Filters.Filter.1.Name", "db-cluster-id"},
                               {"Filters.Filter.1.Values.Value.1", cluster_id_},
                               {"MaxRecords", "100"}};
      if (!marker.empty()) params.emplace_back("Marker", marker);
      auto answer = call(params, "RDS DescribeDBInstances", deadline);
      if (!answer) return answer.failure();
      auto parsed = parse_describe_db_instances(answer.value().status, answer.value().body);
      if (!parsed) return parsed.failure();
      for (auto& i : parsed.value().instances) instances.push_back(std::move(i));
      if (parsed.value().marker.empty()) {
        ClusterTopology topology = merge_topology(members.value(), instances);
        if (const auto problem = topology_problem(topology))
          return Failure{FailureKind::bad_response, answer.value().status, "",
                         "RDS answers for cluster " + cluster_id_ + ": " + *problem};
        return topology;
      }
      if (parsed.value().marker == marker)
        return Failure{FailureKind::bad_response, answer.value().status, "",
                       "RDS DescribeDBInstances: the same Marker twice"};
      marker = parsed.value().marker;
    }
    return Failure{FailureKind::bad_response, 0, "",
                   "RDS DescribeDBInstances: more than 1000 pages"};
  }

  std::string where() const override {
    return (endpoint_.https ? "https://" : "http://") + endpoint_.host + ":" +
           std::to_string(endpoint_.port);
  }

 private:
  static HttpOrigin origin_of(const ClusterConfig& cluster, const EndpointUrl& endpoint) {
    HttpOrigin origin;
    origin.https = endpoint.https;
    origin.host = endpoint.host;
    origin.port = endpoint.port;
    if (origin.https) {
      // The public endpoint's certificate chains to the system's trust store; a management_url
      // of one's own (a proxy, a simulator) is trusted like the instances, with ca_file.
      const std::string ca_file = cluster.management_url ? cluster.instance.ca_file : "";
      try {
        origin.tls = make_client_tls_context(ca_file);
      } catch (const Poco::Exception& e) {
        throw EndpointSetupError("cluster." + cluster.name + ".ca_file",
                                 "cannot load the TLS trust store: " + e.displayText());
      }
    }
    return origin;
  }

  Result<HttpAnswer> call(const AwsQueryParams& params, const std::string& what,
                          std::chrono::steady_clock::time_point deadline) {
    HttpCall http;
    http.method = Poco::Net::HTTPRequest::HTTP_POST;
    http.target = "/";
    http.headers = {{"Accept", "text/xml"}};
    http.body = aws_query_body(params);
    http.content_type = kAwsQueryContentType;
    http.what = what;
    return connections_.exchange(
        http, ExchangeLimits{deadline, kMaxManagementBody}, [&](Poco::Net::HTTPRequest& request) {
          return sign_request(request, http.target, http.body, *credentials_, region_, "rds");
        });
  }

  std::string cluster_id_;
  std::string region_;
  EndpointUrl endpoint_;
  std::shared_ptr<CredentialChain> credentials_;
  HttpConnections connections_;
};

}  // namespace

std::unique_ptr<ClusterDirectory> make_rds_directory(const ClusterConfig& cluster,
                                                     std::shared_ptr<CredentialChain> credentials,
                                                     std::shared_ptr<ExchangeReaper> reaper,
                                                     const EnvLookup& env) {
  if (!credentials)
    throw EndpointSetupError("cluster." + cluster.name,
                             "the management API needs credentials to sign its requests");
  return std::make_unique<RdsDirectory>(cluster, management_endpoint(cluster, env),
                                        std::move(credentials), std::move(reaper));
}

}  // namespace nw
