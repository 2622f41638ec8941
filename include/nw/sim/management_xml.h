#pragma once
// The bodies of Neptune's management API (the RDS Query API, version 2014-10-31) as the
// simulator answers DescribeDBClusters and DescribeDBInstances. Element names, their nesting
// and the names of list members (DBCluster, DBClusterMember, DBInstance, AvailabilityZone) are
// those of botocore's `neptune` service model (botocore/data/neptune/2014-10-31/
// service-2.json): an answer is
//   <ActionResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
//     <ActionResult>[<Marker/>]<DBClusters|DBInstances>...</...></ActionResult>
//     <ResponseMetadata><RequestId/></ResponseMetadata>
//   </ActionResponse>
// and an error
//   <ErrorResponse xmlns="..."><Error><Type>Sender|Receiver</Type><Code/><Message/></Error>
//     <RequestId/></ErrorResponse>
// Members are written in the model's order, with plausible values for the fields a watchdog
// does not read, so that a client meets a document as full as Neptune's. Pure.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nw/sim/cluster_topology.h"

namespace nw::sim {

inline constexpr const char* kXmlContentType = "text/xml";
inline constexpr std::string_view kRdsNamespace = "http://rds.amazonaws.com/doc/2014-10-31/";

struct ManagementSettings {
  std::string region = "us-east-1";
  // Instance addresses are INSTANCE_ID.advertise_domain; empty: instance_host itself.
  std::string advertise_domain;
  std::string instance_host = "127.0.0.1";  // where the instances listen
  std::string account_id = "123456789012";  // in ARNs
};

// `text` with &, <, > and both quotes escaped.
std::string xml_escape(std::string_view text);

// An instance's Endpoint/Address: the listen host, or INSTANCE_ID.DOMAIN.
std::string instance_address(const SimInstance& instance, const ManagementSettings& settings);
// A cluster's Endpoint (writer) or ReaderEndpoint: ID.cluster[-ro]-csimulated00.REGION.
// neptune.amazonaws.com as Neptune names them, or ID.cluster[-ro].DOMAIN. Nothing listens
// there: a watchdog polls instances.
std::string cluster_endpoint(const SimCluster& cluster, bool reader,
                             const ManagementSettings& settings);
// "arn:aws:rds:REGION:ACCOUNT:cluster:ID" (kind "cluster") or ":db:ID" (kind "db").
std::string rds_arn(std::string_view kind, std::string_view id, const ManagementSettings& settings);
// ms since the epoch as the API writes timestamps: 2026-12-05T04:52:36.123Z.
std::string iso8601_ms(std::int64_t wall_ms);

// One page of DescribeDBClusters; `marker` empty on the last page. `topology` gives the
// members' promotion tiers.
std::string describe_db_clusters_body(const std::vector<const SimCluster*>& page,
                                      const ClusterTopology& topology, std::string_view marker,
                                      std::string_view request_id,
                                      const ManagementSettings& settings);
// One page of DescribeDBInstances. An instance still `creating` has no Endpoint yet, as in
// RDS.
std::string describe_db_instances_body(const std::vector<const SimInstance*>& page,
                                       std::string_view marker, std::string_view request_id,
                                       const ManagementSettings& settings);
// <ErrorResponse>; Type is Sender for a client's fault (4xx), Receiver for the service's.
std::string management_error_body(bool sender, std::string_view code, std::string_view message,
                                  std::string_view request_id);

}  // namespace nw::sim
