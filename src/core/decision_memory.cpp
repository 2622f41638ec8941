#include "nw/core/decision_memory.h"

#include <unordered_set>

namespace nw {

bool DecisionMemory::first_time(const std::string& query_id, const std::string& rule) {
  return seen_.emplace(query_id, rule).second;
}

void DecisionMemory::keep_only(const StatusSnapshot& snapshot) {
  std::unordered_set<std::string_view> present;
  for (const auto& q : snapshot.queries) present.insert(q.id);
  for (auto it = seen_.begin(); it != seen_.end();)
    it = present.count(it->first) ? std::next(it) : seen_.erase(it);
}

}  // namespace nw
