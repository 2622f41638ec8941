#include "nw/core/decide.h"

#include <optional>
#include <unordered_set>

namespace nw {
namespace {

// Which limit the query breaks, if any. A queued query is judged by how long it has waited;
// a running one by how long it has run, since its queue time is already spent.
std::optional<std::string> broken_limit(const QueryStatus& q, const Rule& rule) {
  if (q.queued()) {
    if (rule.max_waited && q.waited_ms > rule.max_waited->count())
      return "waited " + std::to_string(q.waited_ms) + "ms > max_waited " +
             std::to_string(rule.max_waited->count()) + "ms";
    return std::nullopt;
  }
  if (rule.max_elapsed && q.elapsed_ms > rule.max_elapsed->count())
    return "elapsed " + std::to_string(q.elapsed_ms) + "ms > max_elapsed " +
           std::to_string(rule.max_elapsed->count()) + "ms";
  return std::nullopt;
}

}  // namespace

std::vector<Decision> decide(const StatusSnapshot& snapshot, const Policy& policy) {
  std::vector<Decision> decisions;
  std::unordered_set<std::string_view> decided;
  for (std::size_t i = 0; i < snapshot.queries.size(); ++i) {
    const QueryStatus& q = snapshot.queries[i];
    if (q.id.empty() || q.cancelled) continue;
    const auto rule_index = policy.governing_rule(q.text);
    if (!rule_index) continue;
    const Rule& rule = policy.rules[*rule_index];
    auto reason = broken_limit(q, rule);
    if (!reason || !decided.insert(q.id).second) continue;
    decisions.push_back(
        Decision{i, *rule_index, rule.action, rule.silent, policy.dry_run, std::move(*reason)});
  }
  return decisions;
}

}  // namespace nw
