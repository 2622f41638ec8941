#pragma once
// Neptune's management API: the RDS-compatible Query API (version 2014-10-31) that says which
// instances a DB cluster has. Two calls make one description of a cluster:
//
//   DescribeDBClusters  DBClusterIdentifier=ID       the members, and which one is the writer
//   DescribeDBInstances Filters: db-cluster-id = ID  each instance's status and endpoint,
//                       MaxRecords=100, Marker       page after page until no Marker comes back
//
// Each is a form-encoded POST to the management endpoint (https://rds.REGION.amazonaws.com, or
// management_url, AWS_ENDPOINT_URL_RDS, AWS_ENDPOINT_URL), signed with SigV4 for service `rds`
// by the cluster's credential chain, through the one HTTP exchange (nw/io/http_exchange.h).
// An answer that is not the documented XML, or describes an impossible cluster (an instance
// twice, an available instance without an endpoint), is a Failure: the caller keeps the last
// good topology. Service errors keep their code (Throttling, AccessDenied,
// DBClusterNotFoundFault) so that the caller can retry what is worth retrying.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nw/core/cluster_topology.h"
#include "nw/core/config.h"
#include "nw/core/failure.h"
#include "nw/io/credentials.h"

namespace nw {

class ExchangeReaper;
class CredentialChain;

// What describes a cluster: the RDS client, or a fake in tests.
class ClusterDirectory {
 public:
  virtual ~ClusterDirectory() = default;
  // One description of the cluster, every exchange within `deadline`.
  virtual Result<ClusterTopology> describe(std::chrono::steady_clock::time_point deadline) = 0;
  // Where it asks, for messages: "https://rds.us-east-1.amazonaws.com".
  virtual std::string where() const = 0;
};

// The members of a DescribeDBClusters answer for `cluster_id`: id and writer flag.
struct ClusterMember {
  std::string id;
  bool writer = false;
};
Result<std::vector<ClusterMember>> parse_describe_db_clusters(int http_status,
                                                              const std::string& body,
                                                              const std::string& cluster_id);

// One page of a DescribeDBInstances answer: its instances (status, address, port) and the
// Marker of the next page ("" on the last).
struct InstancesPage {
  std::vector<DiscoveredInstance> instances;
  std::string marker;
};
Result<InstancesPage> parse_describe_db_instances(int http_status, const std::string& body);

// The members with the instances' details: a member the instance list does not describe is
// kept with status "unknown" (no endpoint: not watched); an instance not a member is left out.
ClusterTopology merge_topology(const std::vector<ClusterMember>& members,
                               const std::vector<DiscoveredInstance>& instances);

// The management endpoint for `cluster`: management_url, else AWS_ENDPOINT_URL_RDS, else
// AWS_ENDPOINT_URL, else https://rds.REGION.amazonaws.com. Throws EndpointSetupError (key
// "cluster.NAME.management_url") for an environment value that is not a plain http(s) origin,
// or http:// to a host that is not loopback.
EndpointUrl management_endpoint(const ClusterConfig& cluster, const EnvLookup& env);

// The Query API client of one cluster. `credentials` signs every request (required: the
// management API takes no unsigned call). Throws EndpointSetupError when the TLS trust store
// cannot be loaded or the endpoint is unusable.
std::unique_ptr<ClusterDirectory> make_rds_directory(const ClusterConfig& cluster,
                                                     std::shared_ptr<CredentialChain> credentials,
                                                     std::shared_ptr<ExchangeReaper> reaper,
                                                     const EnvLookup& env);

}  // namespace nw
