#pragma once
// The DB clusters the simulator's instances belong to, as Neptune's management plane sees
// them: which instances each cluster has, in what status, on which port, and which one is
// the writer. Pure: no I/O, no threads, no clock of its own (a timed status takes "now" in
// monotonic milliseconds). Not thread-safe: ManagementService locks around it.
//
// Identifiers follow RDS's rules (1 to 63 letters, digits and hyphens, a letter first, no
// hyphen last or twice in a row) and, as RDS stores them, in lower case: lookups take any case.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nw/sim/parsed.h"

namespace nw::sim {

// Why `id` is not a valid RDS identifier; none when it is one.
std::optional<std::string> identifier_problem(std::string_view id);
std::string lower_case(std::string_view text);

// The DB instance statuses of the RDS API that a Neptune instance shows (DBInstanceStatus):
// "available", "creating", "rebooting", "modifying", ... The simulator keeps serving an
// instance whatever its status says; only the management API reports it.
bool is_instance_status(std::string_view status);
inline constexpr std::string_view kAvailable = "available";
inline constexpr std::string_view kCreating = "creating";

struct SimInstance {
  std::string id;
  std::string cluster;
  int index = 0;  // order of creation over the whole process (cancel lines' instance=I)
  std::uint16_t port = 0;
  std::string status{kAvailable};
  // A status set for a while: it becomes "available" at this monotonic time.
  std::optional<std::int64_t> available_at_ms;
  int promotion_tier = 1;
  std::int64_t created_wall_ms = 0;  // InstanceCreateTime, ms since the epoch
};

struct SimCluster {
  std::string id;
  std::vector<std::string> members;  // in order of creation
  std::string writer;                // empty only while the cluster has no instance
  std::int64_t created_wall_ms = 0;  // ClusterCreateTime
  int next_number = 1;               // the N of the next generated "ID-instance-N"
};

class ClusterTopology {
 public:
  // `id` must be a valid identifier (lower-cased here); a second one of a name is ignored.
  void add_cluster(std::string_view id, std::int64_t wall_ms);

  const SimCluster* cluster(std::string_view id) const;
  const SimInstance* instance(std::string_view id) const;
  // Sorted by identifier: the order the Describe actions list them in.
  std::vector<const SimCluster*> clusters() const;
  std::vector<const SimInstance*> instances() const;
  std::size_t instance_count() const { return instances_.size(); }

  // "CLUSTER-instance-N" with the cluster's next N that no instance has.
  std::string next_instance_id(std::string_view cluster) const;

  // Adds `instance` (its id lower-cased) to its cluster, as a reader, or as the writer when
  // the cluster has none. Fails on an unknown cluster, an invalid or taken id, an unknown
  // status.
  Parsed<SimInstance> add_instance(SimInstance instance);
  // Removes the instance. A writer that goes hands the role on as a failover does.
  Parsed<SimInstance> remove_instance(std::string_view id);
  // A new status; with `available_at_ms`, the instance becomes available again then.
  Parsed<SimInstance> set_status(std::string_view id, std::string_view status,
                                 std::optional<std::int64_t> available_at_ms);
  // Makes `target` (a reader of the cluster) the writer, or without a target the next
  // member after the writer, in order of creation, that is available (else simply the
  // next). Returns the new writer's id. Fails with fewer than two members.
  Parsed<std::string> failover(std::string_view cluster, std::optional<std::string_view> target);

  // Ends the timed statuses that are due by `now_ms`.
  void settle(std::int64_t now_ms);

 private:
  std::string next_writer(const SimCluster& cluster) const;

  std::map<std::string, SimCluster, std::less<>> clusters_;
  std::map<std::string, SimInstance, std::less<>> instances_;
};

}  // namespace nw::sim
