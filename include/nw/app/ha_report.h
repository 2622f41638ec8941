#pragma once
// --show-ha: the replica group as etcd has it now (docs/HA.md): its members, and for every unit
// of the configuration, and every unit some replica owns, who owns it with which revision.
#include <iosfwd>
#include <string>
#include <vector>

#include "nw/io/etcd_client.h"

namespace nw {

// Prints the group `group` read through `etcd`; `units` are the configuration's. Returns 0, or
// 1 (with the reason on `err`) when etcd could not be read.
int print_ha_group(std::ostream& out, std::ostream& err, EtcdClient& etcd, const std::string& group,
                   const std::vector<std::string>& units);

}  // namespace nw
