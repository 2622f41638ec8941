#include "nw/core/replica_assignment.h"

#include <algorithm>
#include <cmath>

#include "nw/core/config.h"

namespace nw {

std::string cluster_unit(std::string_view cluster_name) {
  return "cluster." + std::string(cluster_name);
}

std::string endpoint_unit(std::string_view endpoint_name) {
  return "endpoint." + std::string(endpoint_name);
}

std::string unit_of_endpoint(std::string_view endpoint_name) {
  const auto slash = endpoint_name.find('/');
  return slash == std::string_view::npos ? endpoint_unit(endpoint_name)
                                         : cluster_unit(endpoint_name.substr(0, slash));
}

std::vector<std::string> config_units(const WatchdogConfig& config) {
  std::vector<std::string> out;
  for (const auto& e : config.endpoints) out.push_back(endpoint_unit(e.name));
  for (const auto& c : config.clusters) out.push_back(cluster_unit(c.name));
  return out;
}

std::uint64_t rendezvous_weight(std::string_view unit, std::string_view replica) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64 over unit, a NUL, replica
  const auto add = [&h](std::string_view s) {
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  };
  add(unit);
  h = (h ^ 0u) * 1099511628211ull;
  add(replica);
  // splitmix64's finalizer: FNV alone leaves names that differ only at the end close together.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

std::string rendezvous_owner(std::string_view unit, const std::vector<std::string>& members) {
  std::string best;
  std::uint64_t best_weight = 0;
  for (const auto& m : members) {
    const std::uint64_t w = rendezvous_weight(unit, m);
    if (best.empty() || w > best_weight || (w == best_weight && m < best)) {
      best = m;
      best_weight = w;
    }
  }
  return best;
}

}  // namespace nw

namespace nw {

std::map<std::string, std::string> assign_units(const std::vector<std::string>& units,
                                                const std::vector<std::string>& members) {
  std::map<std::string, std::string> out;
  if (members.empty()) return out;
  std::vector<std::string> order = units;
  std::sort(order.begin(), order.end());
  order.erase(std::unique(order.begin(), order.end()), order.end());
  const auto cap = static_cast<std::size_t>(std::ceil(
      static_cast<double>(order.size()) / static_cast<double>(members.size()) * kMaxLoad));
  std::map<std::string, std::size_t> load;
  std::vector<std::pair<std::uint64_t, std::string>> ranked;
  for (const auto& unit : order) {
    ranked.clear();
    for (const auto& m : members) ranked.emplace_back(rendezvous_weight(unit, m), m);
    // Highest weight first; a tie goes to the smaller name.
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (const auto& [weight, member] : ranked) {
      if (load[member] >= cap) continue;
      ++load[member];
      out[unit] = member;
      break;
    }
  }
  return out;
}

}  // namespace nw
