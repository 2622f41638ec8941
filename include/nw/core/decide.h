#pragma once
// The heart of the watchdog: which queries of one snapshot break which rule. No I/O, no
// clock: Neptune's own `elapsed` and `waited` counters are the measure.
#include <cstddef>
#include <string>
#include <vector>

#include "nw/core/policy.h"
#include "nw/core/query_status.h"

namespace nw {

struct Decision {
  std::size_t query_index = 0;  // into StatusSnapshot::queries
  std::size_t rule_index = 0;   // into Policy::rules
  RuleAction action = RuleAction::cancel;
  bool silent = false;
  bool dry_run = false;
  std::string reason;  // e.g. "elapsed 312000ms > max_elapsed 300000ms"
};

// One decision per query that its governing rule's limits condemn, in snapshot order.
// Never acts on a query without an id, on one Neptune already shows as cancelled, or twice on
// the same id within one snapshot.
std::vector<Decision> decide(const StatusSnapshot& snapshot, const Policy& policy);

}  // namespace nw
