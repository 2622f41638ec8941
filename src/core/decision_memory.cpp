#include "nw/core/decision_memory.h"

#include <string_view>
#include <unordered_set>

namespace nw {

bool DecisionMemory::first_time(const std::string& query_id, const std::string& rule) {
  return queries_[query_id].recorded_rules.insert(rule).second;
}

int DecisionMemory::cancel_acknowledged(const std::string& query_id) {
  return ++queries_[query_id].acknowledged_cancels;
}

int DecisionMemory::acknowledged_cancels(const std::string& query_id) const {
  const auto it = queries_.find(query_id);
  return it == queries_.end() ? 0 : it->second.acknowledged_cancels;
}

void DecisionMemory::poll_listed(const StatusSnapshot& snapshot) {
  std::unordered_set<std::string_view> listed;
  listed.reserve(snapshot.queries.size());
  for (const auto& q : snapshot.queries) listed.insert(q.id);
  for (auto it = queries_.begin(); it != queries_.end();) {
    if (listed.count(it->first)) {
      it->second.polls_absent = 0;
      ++it;
    } else if (++it->second.polls_absent >= kPollsAbsentToForget) {
      it = queries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace nw
