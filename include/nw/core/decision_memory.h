#pragma once
// What one poll loop remembers about each query id from poll to poll:
//  - which (query, rule) decisions were already audited without a cancel (action `log`, any
//    action in dry-run, a budget refusal), so that a query that stays over its limit is
//    recorded once rather than on every poll;
//  - how many cancels Neptune acknowledged for it, so that a query still listed after its
//    cancel is retried once and then left to the operator.
// Cancels themselves are not remembered as decisions: a query that survives one is decided,
// sent and audited again (within the one retry).
#include <cstddef>
#include <set>
#include <string>
#include <unordered_map>

#include "nw/core/query_status.h"

namespace nw {

class DecisionMemory {
 public:
  // A query id is forgotten once this many successful polls in a row have not listed it.
  // One is not enough: a status answer can leave out a live query (a list served by another
  // instance behind a load balancer, a proxy's cached page that still parses), and forgetting
  // it would audit its `log` decision again and allow it more than one retried cancel. Neptune
  // query ids are fresh UUIDs, so waiting a poll longer mistakes no new query for an old one.
  static constexpr int kPollsAbsentToForget = 2;

  // True the first time a pair is seen (and remembers it); false afterwards.
  bool first_time(const std::string& query_id, const std::string& rule);

  // Counts a cancel Neptune acknowledged for `query_id`; returns how many it has acknowledged.
  int cancel_acknowledged(const std::string& query_id);
  // How many cancels Neptune has acknowledged for `query_id` (0 if none or forgotten).
  int acknowledged_cancels(const std::string& query_id) const;

  // After each successful poll: the ids `snapshot` lists are present again; the others count
  // one more absence, and are forgotten at kPollsAbsentToForget.
  void poll_listed(const StatusSnapshot& snapshot);

  // How many query ids are remembered.
  std::size_t size() const { return queries_.size(); }

 private:
  struct Remembered {
    std::set<std::string> recorded_rules;
    int acknowledged_cancels = 0;
    int polls_absent = 0;
  };
  std::unordered_map<std::string, Remembered> queries_;
};

}  // namespace nw
