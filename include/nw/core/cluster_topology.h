#pragma once
// A DB cluster as the management API last described it, and what the watchdog makes of it:
// which instances it watches (as endpoints named "CLUSTER/INSTANCE_ID", built from the
// cluster's template) and what changed since the description before. Pure: the answers are
// read by the io layer (nw/io/rds_client.h) and the loops are run by the app's supervisor.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nw/core/config.h"

namespace nw {

struct DiscoveredInstance {
  std::string id;          // DBInstanceIdentifier
  std::string status;      // DBInstanceStatus: "available", "creating", "rebooting", ...
  std::string address;     // Endpoint/Address; empty while it has none (creating)
  std::uint16_t port = 0;  // Endpoint/Port
  bool writer = false;     // DBClusterMember/IsClusterWriter

  bool available() const { return status == "available" && !address.empty() && port != 0; }
  InstanceRole role() const { return writer ? InstanceRole::writer : InstanceRole::reader; }
  bool operator==(const DiscoveredInstance& o) const {
    return id == o.id && status == o.status && address == o.address && port == o.port &&
           writer == o.writer;
  }
};

// Every instance of the cluster, sorted by id, each once.
struct ClusterTopology {
  std::vector<DiscoveredInstance> instances;
};

// Why an answer cannot be taken as the cluster's topology (an instance named twice, a member
// the instance list does not have, an available instance without an endpoint); nullopt when
// it can. Such an answer is refused whole and the last good topology stays in force: a bad
// answer never removes coverage.
std::optional<std::string> topology_problem(const ClusterTopology& topology);

// The endpoints watched for `topology`: each available instance whose role is among the
// cluster's roles, named "NAME/INSTANCE_ID", with the template's keys, the scheme's url at the
// address and port found, the cluster's name and the instance's role. In id order.
std::vector<EndpointConfig> cluster_endpoints(const ClusterConfig& cluster,
                                              const ClusterTopology& topology);

// One change of the topology, audited as its own record (`"event": "topology"`).
struct TopologyChange {
  std::string instance;  // DBInstanceIdentifier
  // "added" (new in the cluster), "removed" (gone from it), "status" (e.g. available ->
  // rebooting), "role" (a failover made it the writer, or a reader), "address" (moved).
  std::string change;
  std::string detail;  // e.g. "reader, available at db-2.example:8182"; "writer -> reader"
};

// What changed from `before` (none: the first description, where every instance is "added")
// to `after`, in instance id order.
std::vector<TopologyChange> topology_changes(const ClusterTopology* before,
                                             const ClusterTopology& after);

}  // namespace nw
