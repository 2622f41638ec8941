#include "nw/sim/cluster_topology.h"

#include <algorithm>
#include <array>

namespace nw::sim {
namespace {

// DBInstanceStatus values of the RDS API reference ("Viewing DB instance status"), the ones
// that apply to a Neptune instance.
constexpr std::array<std::string_view, 23> kInstanceStatuses = {
    "available",
    "backing-up",
    "configuring-enhanced-monitoring",
    "configuring-iam-database-auth",
    "configuring-log-exports",
    "creating",
    "deleting",
    "failed",
    "inaccessible-encryption-credentials",
    "incompatible-network",
    "incompatible-parameters",
    "maintenance",
    "modifying",
    "rebooting",
    "renaming",
    "resetting-master-credentials",
    "starting",
    "stopped",
    "stopping",
    "storage-full",
    "storage-optimization",
    "upgrading",
    "moving-to-vpc",
};

}  // namespace

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::string> identifier_problem(std::string_view id) {
  if (id.empty() || id.size() > 63) return "an identifier has 1 to 63 characters";
  const auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!is_letter(id.front())) return "an identifier starts with a letter";
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (!is_letter(c) && !(c >= '0' && c <= '9') && c != '-')
      return "an identifier has only letters, digits and hyphens";
    if (c == '-' && i > 0 && id[i - 1] == '-') return "an identifier has no two hyphens in a row";
  }
  if (id.back() == '-') return "an identifier does not end with a hyphen";
  return std::nullopt;
}

bool is_instance_status(std::string_view status) {
  return std::find(kInstanceStatuses.begin(), kInstanceStatuses.end(), status) !=
         kInstanceStatuses.end();
}

void ClusterTopology::add_cluster(std::string_view id, std::int64_t wall_ms) {
  std::string key = lower_case(id);
  if (clusters_.count(key) != 0) return;
  SimCluster cluster;
  cluster.id = key;
  cluster.created_wall_ms = wall_ms;
  clusters_.emplace(std::move(key), std::move(cluster));
}

const SimCluster* ClusterTopology::cluster(std::string_view id) const {
  const auto it = clusters_.find(lower_case(id));
  return it == clusters_.end() ? nullptr : &it->second;
}

const SimInstance* ClusterTopology::instance(std::string_view id) const {
  const auto it = instances_.find(lower_case(id));
  return it == instances_.end() ? nullptr : &it->second;
}

std::vector<const SimCluster*> ClusterTopology::clusters() const {
  std::vector<const SimCluster*> out;
  for (const auto& entry : clusters_) out.push_back(&entry.second);
  return out;
}

std::vector<const SimInstance*> ClusterTopology::instances() const {
  std::vector<const SimInstance*> out;
  for (const auto& entry : instances_) out.push_back(&entry.second);
  return out;
}

std::string ClusterTopology::next_instance_id(std::string_view cluster_id) const {
  const SimCluster* found = cluster(cluster_id);
  int number = found ? found->next_number : 1;
  for (;; ++number) {
    std::string id = lower_case(cluster_id) + "-instance-" + std::to_string(number);
    if (instances_.count(id) == 0) return id;
  }
}

Parsed<SimInstance> ClusterTopology::add_instance(SimInstance instance) {
  using Result = Parsed<SimInstance>;
  const auto cluster_it = clusters_.find(lower_case(instance.cluster));
  if (cluster_it == clusters_.end()) return Result::fail("no cluster " + instance.cluster);
  SimCluster& owner = cluster_it->second;
  if (const auto problem = identifier_problem(instance.id))
    return Result::fail("instance id '" + instance.id + "': " + *problem);
  if (!is_instance_status(instance.status))
    return Result::fail("unknown instance status '" + instance.status + "'");
  instance.id = lower_case(instance.id);
  instance.cluster = owner.id;
  if (instances_.count(instance.id) != 0)
    return Result::fail("an instance named " + instance.id + " exists already");

  // Keep generated names moving forward, past the ones given by hand too.
  const std::string prefix = owner.id + "-instance-";
  if (instance.id.rfind(prefix, 0) == 0) {
    const std::string tail = instance.id.substr(prefix.size());
    if (!tail.empty() && tail.size() < 9 &&
        tail.find_first_not_of("0123456789") == std::string::npos)
      owner.next_number = std::max(owner.next_number, std::stoi(tail) + 1);
  }
  owner.members.push_back(instance.id);
  if (owner.writer.empty()) owner.writer = instance.id;
  instances_.emplace(instance.id, instance);
  return Result::ok(std::move(instance));
}

Parsed<SimInstance> ClusterTopology::remove_instance(std::string_view id) {
  using Result = Parsed<SimInstance>;
  const auto it = instances_.find(lower_case(id));
  if (it == instances_.end()) return Result::fail("no instance " + std::string(id));
  SimInstance removed = it->second;
  SimCluster& owner = clusters_.at(removed.cluster);
  if (owner.writer == removed.id) {
    owner.writer = owner.members.size() > 1 ? next_writer(owner) : std::string();
  }
  owner.members.erase(std::find(owner.members.begin(), owner.members.end(), removed.id));
  instances_.erase(it);
  return Result::ok(std::move(removed));
}

Parsed<SimInstance> ClusterTopology::set_status(std::string_view id, std::string_view status,
                                                std::optional<std::int64_t> available_at_ms) {
  using Result = Parsed<SimInstance>;
  const auto it = instances_.find(lower_case(id));
  if (it == instances_.end()) return Result::fail("no instance " + std::string(id));
  if (!is_instance_status(status))
    return Result::fail("unknown instance status '" + std::string(status) + "'");
  it->second.status = std::string(status);
  it->second.available_at_ms = status == kAvailable ? std::nullopt : available_at_ms;
  return Result::ok(it->second);
}

std::string ClusterTopology::next_writer(const SimCluster& cluster) const {
  const auto writer = std::find(cluster.members.begin(), cluster.members.end(), cluster.writer);
  const std::size_t start = writer == cluster.members.end()
                                ? 0
                                : static_cast<std::size_t>(writer - cluster.members.begin()) + 1;
  const std::size_t n = cluster.members.size();
  std::string fallback;
  for (std::size_t k = 0; k < n; ++k) {
    const std::string& candidate = cluster.members[(start + k) % n];
    if (candidate == cluster.writer) continue;
    if (fallback.empty()) fallback = candidate;
    if (instances_.at(candidate).status == kAvailable) return candidate;
  }
  return fallback;
}

Parsed<std::string> ClusterTopology::failover(std::string_view cluster_id,
                                              std::optional<std::string_view> target) {
  using Result = Parsed<std::string>;
  const auto it = clusters_.find(lower_case(cluster_id));
  if (it == clusters_.end()) return Result::fail("no cluster " + std::string(cluster_id));
  SimCluster& owner = it->second;
  if (owner.members.size() < 2)
    return Result::fail("cluster " + owner.id + " has no reader to fail over to");
  std::string next;
  if (target) {
    next = lower_case(*target);
    if (std::find(owner.members.begin(), owner.members.end(), next) == owner.members.end())
      return Result::fail("instance " + std::string(*target) + " is not a member of cluster " +
                          owner.id);
    if (next == owner.writer) return Result::fail("instance " + next + " is the writer already");
  } else {
    next = next_writer(owner);
  }
  owner.writer = next;
  return Result::ok(std::move(next));
}

void ClusterTopology::settle(std::int64_t now_ms) {
  for (auto& entry : instances_) {
    SimInstance& instance = entry.second;
    if (instance.available_at_ms && *instance.available_at_ms <= now_ms) {
      instance.status = std::string(kAvailable);
      instance.available_at_ms.reset();
    }
  }
}

}  // namespace nw::sim
