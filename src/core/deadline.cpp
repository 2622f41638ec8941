#include "nw/core/deadline.h"

#include <algorithm>

#include "nw/core/decide.h"

namespace nw {

std::vector<Crossing> crossings_of(const std::vector<Evaluation>& evaluations,
                                   const StatusSnapshot& snapshot, const Policy& policy) {
  std::vector<Crossing> crossings;
  for (const Evaluation& e : evaluations) {
    if (e.verdict != Verdict::within_limits || !e.rule_index) continue;
    const Rule& rule = policy.rules[*e.rule_index];
    const QueryStatus& q = snapshot.queries[e.query_index];
    // decide() condemns a clock strictly greater than the limit: due one millisecond past it.
    if (q.queued()) {
      if (rule.max_waited)
        crossings.push_back({e.query_index, rule.max_waited->count() - q.waited_ms + 1, true});
    } else if (rule.max_elapsed) {
      crossings.push_back({e.query_index, rule.max_elapsed->count() - q.elapsed_ms + 1, false});
    }
  }
  std::stable_sort(crossings.begin(), crossings.end(), [](const Crossing& a, const Crossing& b) {
    return a.due_after_ms < b.due_after_ms;
  });
  return crossings;
}

std::vector<Crossing> upcoming_crossings(const StatusSnapshot& snapshot, const Policy& policy,
                                         std::chrono::system_clock::time_point now,
                                         RuleMemo* memo) {
  return crossings_of(evaluate_for_action(snapshot, policy, now, memo), snapshot, policy);
}

Assessment assess(const StatusSnapshot& snapshot, const Policy& policy,
                  std::chrono::system_clock::time_point now, RuleMemo* memo, bool with_crossings,
                  Overrides overrides) {
  std::vector<Evaluation> evaluations = evaluate_for_action(snapshot, policy, now, memo, overrides);
  Assessment out;
  out.governed.assign(policy.rules.size(), 0);
  for (const Evaluation& e : evaluations)
    if (e.rule_index && (e.verdict == Verdict::act || e.verdict == Verdict::within_limits))
      ++out.governed.at(*e.rule_index);
  if (with_crossings) out.crossings = crossings_of(evaluations, snapshot, policy);
  out.decisions = decisions_of(std::move(evaluations), policy);
  return out;
}

StatusSnapshot project(const StatusSnapshot& seen, const std::vector<std::size_t>& indexes,
                       std::int64_t since_ms) {
  StatusSnapshot projected;
  projected.language = seen.language;
  projected.endpoint = seen.endpoint;
  projected.role = seen.role;
  projected.accepted_count = seen.accepted_count;
  projected.running_count = seen.running_count;
  projected.queries.reserve(indexes.size());
  for (std::size_t i : indexes) {
    QueryStatus q = seen.queries.at(i);
    (q.queued() ? q.waited_ms : q.elapsed_ms) += since_ms;
    projected.queries.push_back(std::move(q));
  }
  return projected;
}

std::vector<ShortLimit> limits_shorter_than(const Policy& policy, Millis poll_interval) {
  std::vector<ShortLimit> short_limits;
  for (std::size_t i = 0; i < policy.rules.size(); ++i) {
    const Rule& r = policy.rules[i];
    if (r.max_elapsed && *r.max_elapsed < poll_interval)
      short_limits.push_back({i, "max_elapsed", *r.max_elapsed});
    if (r.max_waited && *r.max_waited < poll_interval)
      short_limits.push_back({i, "max_waited", *r.max_waited});
  }
  return short_limits;
}

}  // namespace nw
