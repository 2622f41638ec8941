#pragma once
// With replicas (docs/HA.md), what a cancel asks just before it is sent: does this replica own
// the unit, and is its lease sure to live for the cancel's whole request timeout? Present: yes,
// and the fence to write on the cancel's records. Without replicas there is no gate and every
// cancel may go.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "nw/core/clock.h"

namespace nw {

struct OwnerFence {
  std::string replica;
  std::int64_t revision = 0;  // the unit's owner key's creation revision in etcd
};

// `unit`: "cluster.NAME" or "endpoint.NAME" (nw/core/replica_assignment.h).
using OwnershipGate =
    std::function<std::optional<OwnerFence>(const std::string& unit, Clock::duration needed)>;

}  // namespace nw
