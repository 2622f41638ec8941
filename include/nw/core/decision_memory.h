#pragma once
// Remembers which (query, rule) decisions were already audited without a cancel (action
// `log`, or any action in dry-run), so that a query that stays over its limit is recorded
// once rather than on every poll. Cancels are not remembered: a query that survives a
// cancel is decided, sent and audited again.
#include <set>
#include <string>
#include <utility>

#include "nw/core/query_status.h"

namespace nw {

class DecisionMemory {
 public:
  // True the first time a pair is seen (and remembers it); false afterwards.
  bool first_time(const std::string& query_id, const std::string& rule);

  // Forgets queries absent from `snapshot`: they ended, and ids are not reused.
  void keep_only(const StatusSnapshot& snapshot);

  std::size_t size() const { return seen_.size(); }

 private:
  std::set<std::pair<std::string, std::string>> seen_;
};

}  // namespace nw
