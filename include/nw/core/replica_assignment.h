#pragma once
// Which replica of a group should watch which unit (docs/HA.md). The units are the sections
// that name what is watched: "cluster.NAME" (a cluster moves as a whole, with every instance
// discovery finds in it) and "endpoint.NAME" (a typed endpoint). Each unit's owner among the
// live members is chosen by rendezvous (highest-random-weight) hashing with bounded loads:
// every member scores every unit, and the units, taken in name order, each go to the highest
// scoring member that has fewer than kMaxLoad × the even share. Plain rendezvous would leave
// 60 units among 3 replicas up to 1.7 times the even share for some name sets; the bound keeps
// every share within 1.2 times, and a member that joins still takes about its share while the
// others keep theirs (a few units at most move between them). Every replica computes the same
// answer from the same units and members with no coordination; what makes ownership safe is the
// owner key in etcd, never this function (two replicas that disagree for a moment, say while
// one has not yet seen a member join, only delay a hand-over).
//
// The weight is a fixed function of the two names (FNV-1a 64 then a 64-bit finalizer): it must
// not change between versions, or replicas of two versions would pull units back and forth
// during a rolling upgrade. A test pins values.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nw {

// The unit names of a cluster section and of a typed endpoint section.
std::string cluster_unit(std::string_view cluster_name);
std::string endpoint_unit(std::string_view endpoint_name);
// The unit an endpoint belongs to, by its name: a discovered instance ("CLUSTER/INSTANCE")
// belongs to its cluster's unit, a typed endpoint (no '/' in its name) to its own.
std::string unit_of_endpoint(std::string_view endpoint_name);

struct WatchdogConfig;
// Every unit of `config`: its typed endpoints', then its clusters', in file order.
std::vector<std::string> config_units(const WatchdogConfig& config);

// The score of `replica` for `unit`; the highest score owns the unit.
std::uint64_t rendezvous_weight(std::string_view unit, std::string_view replica);
// The member that should own `unit` without a bound on loads (ties, which need a 64-bit
// collision, go to the smaller name); empty when there are no members.
std::string rendezvous_owner(std::string_view unit, const std::vector<std::string>& members);

// No member is given more than this times the even share (rounded up).
inline constexpr double kMaxLoad = 1.2;
// The owner of every unit (see the top of this file); empty when there are no members.
std::map<std::string, std::string> assign_units(const std::vector<std::string>& units,
                                                const std::vector<std::string>& members);

}  // namespace nw
