#include "nw/core/cluster_topology.h"

#include <algorithm>
#include <map>
#include <set>

namespace nw {

namespace {

std::string where(const DiscoveredInstance& i) {
  std::string out = std::string(to_string(i.role())) + ", " + i.status;
  if (!i.address.empty()) out += " at " + i.address + ":" + std::to_string(i.port);
  return out;
}

}  // namespace

std::optional<std::string> topology_problem(const ClusterTopology& topology) {
  std::set<std::string> seen;
  int writers = 0;
  for (const auto& i : topology.instances) {
    if (i.id.empty()) return std::string("an instance without a DBInstanceIdentifier");
    if (!seen.insert(i.id).second) return "instance " + i.id + " is named twice";
    if (i.status == "available" && (i.address.empty() || i.port == 0))
      return "instance " + i.id + " is available but has no endpoint address and port";
    if (i.writer) ++writers;
  }
  if (writers > 1) return std::to_string(writers) + " instances are marked as the writer";
  return std::nullopt;
}

std::vector<EndpointConfig> cluster_endpoints(const ClusterConfig& cluster,
                                              const ClusterTopology& topology) {
  std::vector<EndpointConfig> out;
  for (const auto& i : topology.instances) {
    if (!i.available() || cluster.roles.count(i.role()) == 0) continue;
    EndpointConfig e = cluster.instance;
    e.name = cluster.name + "/" + i.id;
    e.cluster = cluster.name;
    e.role = i.role();
    e.url.https = cluster.https;
    e.url.host = i.address;
    e.url.port = i.port;
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(),
            [](const EndpointConfig& a, const EndpointConfig& b) { return a.name < b.name; });
  return out;
}

std::vector<TopologyChange> topology_changes(const ClusterTopology* before,
                                             const ClusterTopology& after) {
  std::map<std::string, const DiscoveredInstance*> old, now;
  if (before)
    for (const auto& i : before->instances) old[i.id] = &i;
  for (const auto& i : after.instances) now[i.id] = &i;
  std::set<std::string> ids;
  for (const auto& [id, i] : old) ids.insert(id);
  for (const auto& [id, i] : now) ids.insert(id);
  std::vector<TopologyChange> out;
  for (const auto& id : ids) {
    const auto o = old.find(id);
    const auto n = now.find(id);
    if (o == old.end()) {
      out.push_back({id, "added", where(*n->second)});
      continue;
    }
    if (n == now.end()) {
      out.push_back({id, "removed", "was " + where(*o->second)});
      continue;
    }
    const DiscoveredInstance& a = *o->second;
    const DiscoveredInstance& b = *n->second;
    if (a.writer != b.writer)
      out.push_back({id, "role",
                     std::string(to_string(a.role())) + " -> " + std::string(to_string(b.role()))});
    if (a.status != b.status) out.push_back({id, "status", a.status + " -> " + b.status});
    if ((a.address != b.address || a.port != b.port) && !b.address.empty())
      out.push_back({id, "address",
                     a.address + ":" + std::to_string(a.port) + " -> " + b.address + ":" +
                         std::to_string(b.port)});
  }
  return out;
}

}  // namespace nw
