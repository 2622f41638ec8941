#include "nw/core/decision_memory.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace nw {

DecisionMemory::Remembered& DecisionMemory::entry_for(const QueryStatus& query) {
  auto [it, inserted] = queries_.try_emplace(query.id);
  Remembered& r = it->second;
  if (inserted || !same_query(r, query))
    r = Remembered{query.text, age_of(query), {}, 0, 0, 0, false};
  r.age_ms = std::max(r.age_ms, age_of(query));
  return r;
}

bool DecisionMemory::first_time(const QueryStatus& query, const std::string& rule) {
  return entry_for(query).recorded_rules.insert(rule).second;
}

int DecisionMemory::cancel_acknowledged(const QueryStatus& query) {
  return ++entry_for(query).acknowledged_cancels;
}

int DecisionMemory::acknowledged_cancels(const QueryStatus& query) const {
  const auto it = queries_.find(query.id);
  if (it == queries_.end() || !same_query(it->second, query)) return 0;
  return it->second.acknowledged_cancels;
}

void DecisionMemory::cancel_not_found(const QueryStatus& query) {
  ++entry_for(query).not_found_cancels;
}

void DecisionMemory::cancel_refused(const QueryStatus& query) {
  ++entry_for(query).refused_cancels;
}

void DecisionMemory::gave_up(const QueryStatus& query) {
  entry_for(query).given_up = true;
}

CancelHistory DecisionMemory::history(const QueryStatus& query) const {
  CancelHistory h;
  const auto it = queries_.find(query.id);
  if (it == queries_.end() || !same_query(it->second, query)) return h;
  h.acknowledged = it->second.acknowledged_cancels;
  h.not_found = it->second.not_found_cancels;
  h.refused = it->second.refused_cancels;
  h.given_up = it->second.given_up;
  return h;
}

std::size_t DecisionMemory::given_up_listed() const {
  std::size_t n = 0;
  for (const auto& [id, r] : queries_) n += r.given_up && r.polls_absent == 0;
  return n;
}

void DecisionMemory::poll_listed(const StatusSnapshot& snapshot) {
  std::unordered_map<std::string_view, const QueryStatus*> listed;
  listed.reserve(snapshot.queries.size());
  for (const auto& q : snapshot.queries) listed.emplace(q.id, &q);
  // A query whose entry could not be read this time is still listed: what was recorded and
  // sent for it stands (its clocks and text are unknown, so its age is not updated).
  std::unordered_set<std::string_view> unreadable;
  for (const auto& m : snapshot.malformed) unreadable.insert(m.id);
  for (auto it = queries_.begin(); it != queries_.end();) {
    Remembered& r = it->second;
    const auto found = listed.find(it->first);
    if (found == listed.end() && unreadable.count(it->first) > 0) {
      r.polls_absent = 0;
      ++it;
    } else if (found != listed.end()) {
      if (!same_query(r, *found->second)) {  // another query under the old id
        it = queries_.erase(it);
        continue;
      }
      r.age_ms = age_of(*found->second);
      r.polls_absent = 0;
      ++it;
    } else if (++r.polls_absent >= kPollsAbsentToForget) {
      it = queries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace nw
