#pragma once
// What one poll loop remembers about each query from poll to poll:
//  - which (query, rule) decisions were already audited without a cancel (action `log`, any
//    action in dry-run, a budget refusal), so that a query that stays over its limit is
//    recorded once rather than on every poll;
//  - how many cancels Neptune acknowledged for it, so that a query still listed after its
//    cancel is retried once and then left to the operator.
// Cancels themselves are not remembered as decisions: a query that survives one is decided,
// sent and audited again (within the one retry).
//
// Entries are keyed by query id, and each is tied to the query it was made for: its text and
// its age (`waited` + `elapsed`, which never goes back for one query). An id listed with another
// text or a younger age is a new query that a client started under an old id: it starts with
// nothing remembered, so it is audited and cancelled on its own account.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>

#include "nw/core/cancel_lifecycle.h"
#include "nw/core/query_status.h"

namespace nw {

class DecisionMemory {
 public:
  // A query is forgotten once this many successful polls in a row have not listed its id.
  // One is not enough: a status answer can leave out a live query (a list served by another
  // instance behind a load balancer, a proxy's cached page that still parses), and forgetting
  // it would audit its `log` decision again and allow it more than one retried cancel.
  static constexpr int kPollsAbsentToForget = 2;

  // True the first time `rule` is recorded for this query (and remembers it); false afterwards.
  bool first_time(const QueryStatus& query, const std::string& rule);

  // Counts a cancel Neptune acknowledged for `query`; returns how many it has acknowledged.
  int cancel_acknowledged(const QueryStatus& query);
  // How many cancels Neptune has acknowledged for this query (0 if none, forgotten, or if the
  // id now names another query).
  int acknowledged_cancels(const QueryStatus& query) const;

  // Neptune answered a cancel of `query` with "not found" (while a poll may still list it).
  void cancel_not_found(const QueryStatus& query);
  // Neptune refused a cancel of `query` (AccessDenied).
  void cancel_refused(const QueryStatus& query);
  // The query was given up on (audited `given_up`): nothing more is sent for it.
  void gave_up(const QueryStatus& query);
  // What the cancel lifecycle needs to know of this query (nw/core/cancel_lifecycle.h);
  // `in_flight` is the caller's to fill in.
  CancelHistory history(const QueryStatus& query) const;

  // After each successful poll: the queries `snapshot` lists are present again (an id that
  // now names another query is forgotten at once), and so are the ids of its malformed
  // entries; the others count one more absence, and are forgotten at kPollsAbsentToForget.
  void poll_listed(const StatusSnapshot& snapshot);

  // How many queries given up on the last poll_listed() listed (or listed unreadable): left
  // to the operator, and still running.
  std::size_t given_up_listed() const;

  // How many queries are remembered.
  std::size_t size() const { return queries_.size(); }

 private:
  struct Remembered {
    std::string text;
    std::int64_t age_ms = 0;  // the oldest age seen
    std::set<std::string> recorded_rules;
    int acknowledged_cancels = 0;
    int polls_absent = 0;
    int not_found_cancels = 0;
    int refused_cancels = 0;
    bool given_up = false;
  };
  static std::int64_t age_of(const QueryStatus& q) { return q.waited_ms + q.elapsed_ms; }
  static bool same_query(const Remembered& r, const QueryStatus& q) {
    return r.text == q.text && age_of(q) >= r.age_ms;
  }
  // The entry for `query`, made afresh when there is none or it was another query's.
  Remembered& entry_for(const QueryStatus& query);

  std::unordered_map<std::string, Remembered> queries_;
};

}  // namespace nw
