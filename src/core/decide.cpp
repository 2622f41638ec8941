#include "nw/core/decide.h"

#include <algorithm>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "nw/core/fingerprint.h"

namespace nw {

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::act:
      return "act";
    case Verdict::within_limits:
      return "within limits";
    case Verdict::unselected:
      return "no rule";
    case Verdict::protected_query:
      return "protected";
    case Verdict::ignored:
      return "ignored";
  }
  return "ignored";
}

namespace {

std::string ms(std::int64_t v) {
  return std::to_string(v) + "ms";
}

struct BrokenLimit {
  std::string reason;
  std::int64_t excess_ms;
};

// Which limit the query breaks, if any. A queued query is judged by how long it has waited;
// a running one by how long it has run, since its queue time is already spent.
std::optional<BrokenLimit> broken_limit(const QueryStatus& q, const Rule& rule) {
  if (q.queued()) {
    if (rule.max_waited && q.waited_ms > rule.max_waited->count())
      return BrokenLimit{
          "waited " + ms(q.waited_ms) + " > max_waited " + ms(rule.max_waited->count()),
          q.waited_ms - rule.max_waited->count()};
    return std::nullopt;
  }
  if (rule.max_elapsed && q.elapsed_ms > rule.max_elapsed->count())
    return BrokenLimit{
        "elapsed " + ms(q.elapsed_ms) + " > max_elapsed " + ms(rule.max_elapsed->count()),
        q.elapsed_ms - rule.max_elapsed->count()};
  return std::nullopt;
}

// Concurrency guards: of the candidates a rule governs, all but the `limit` youngest are
// condemned, oldest first.
void apply_guard(std::vector<Evaluation*> candidates, std::optional<std::int64_t> limit,
                 const StatusSnapshot& snapshot, bool queued) {
  if (!limit || static_cast<std::int64_t>(candidates.size()) <= *limit) return;
  const auto age = [&](const Evaluation* e) {
    const auto& q = snapshot.queries[e->query_index];
    return queued ? q.waited_ms : q.elapsed_ms;
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const Evaluation* a, const Evaluation* b) { return age(a) > age(b); });
  const std::string what = queued ? "queued " : "running ";
  const std::string reason = what + std::to_string(candidates.size()) + " > max_" +
                             (queued ? "queued " : "running ") + std::to_string(*limit) +
                             " (oldest beyond the limit)";
  const std::size_t excess = candidates.size() - static_cast<std::size_t>(*limit);
  for (std::size_t i = 0; i < excess; ++i) {
    if (candidates[i]->verdict == Verdict::act) continue;  // a broken limit already says why
    candidates[i]->verdict = Verdict::act;
    candidates[i]->reason = reason;
    candidates[i]->cause = Condemnation::guard;
  }
}

// Per-shape guards: of the candidates a rule governs, per fingerprint, all but the `limit`
// oldest are condemned, newest first: the first copies are doing the work the application
// wanted, the later ones are its retries.
void apply_shape_guard(const std::vector<Evaluation*>& candidates,
                       std::optional<std::int64_t> limit, const StatusSnapshot& snapshot,
                       bool queued,
                       const std::function<std::uint64_t(std::size_t)>& fingerprint_of) {
  if (!limit || static_cast<std::int64_t>(candidates.size()) <= *limit) return;
  std::unordered_map<std::uint64_t, std::vector<Evaluation*>> shapes;
  for (Evaluation* e : candidates)
    if (!snapshot.queries[e->query_index].text.empty())  // no text: no known shape
      shapes[fingerprint_of(e->query_index)].push_back(e);
  const auto age = [&](const Evaluation* e) {
    const auto& q = snapshot.queries[e->query_index];
    return queued ? q.waited_ms : q.elapsed_ms;
  };
  for (auto& [fingerprint, copies] : shapes) {
    // Copies already condemned (a broken limit) are on their way out: the limit counts the
    // ones that stay, so that exactly `limit` keep running.
    const std::size_t listed = copies.size();
    copies.erase(std::remove_if(copies.begin(), copies.end(),
                                [](const Evaluation* e) { return e->verdict == Verdict::act; }),
                 copies.end());
    if (static_cast<std::int64_t>(copies.size()) <= *limit) continue;
    std::stable_sort(copies.begin(), copies.end(),
                     [&](const Evaluation* a, const Evaluation* b) { return age(a) < age(b); });
    const std::string reason =
        std::string(queued ? "queued " : "running ") + std::to_string(listed) + " of fingerprint " +
        fingerprint_hex(fingerprint) + " > max_" + (queued ? "queued" : "running") +
        "_per_fingerprint " + std::to_string(*limit) + " (newest beyond the limit)";
    const std::size_t excess = copies.size() - static_cast<std::size_t>(*limit);
    for (std::size_t i = 0; i < excess; ++i) {
      copies[i]->verdict = Verdict::act;
      copies[i]->reason = reason;
      copies[i]->cause = Condemnation::shape_guard;
    }
  }
}

// "; [rule.x] selects it but is outside its active window" for the first rule before
// `before` that would have governed the query at another time: the operator's likely question.
std::string outside_window_note(const Policy& policy, const std::string& text, std::size_t before,
                                std::chrono::system_clock::time_point now, Language language,
                                EndpointScope endpoint) {
  for (std::size_t i = 0; i < before; ++i) {
    const Rule& r = policy.rules[i];
    if (r.covers(language, endpoint) && !r.active_at(now) && r.selects(text))
      return "; [rule." + r.name + "] selects it but is outside its window (" + r.active->text +
             ")";
  }
  return "";
}

// The same two questions answered from the rules that select the text (ascending), as a
// RuleMemo gives them.
std::optional<std::size_t> governing_of(const Policy& policy,
                                        const std::vector<std::uint32_t>& selecting,
                                        std::chrono::system_clock::time_point now,
                                        Language language, EndpointScope endpoint) {
  for (std::uint32_t i : selecting)
    if (policy.rules[i].covers(language, endpoint) && policy.rules[i].active_at(now)) return i;
  return std::nullopt;
}

std::string outside_window_note(const Policy& policy, const std::vector<std::uint32_t>& selecting,
                                std::size_t before, std::chrono::system_clock::time_point now,
                                Language language, EndpointScope endpoint) {
  for (std::uint32_t i : selecting) {
    if (i >= before) break;
    const Rule& r = policy.rules[i];
    if (r.covers(language, endpoint) && !r.active_at(now))
      return "; [rule." + r.name + "] selects it but is outside its window (" + r.active->text +
             ")";
  }
  return "";
}

// Per query, how many entries of the snapshot carry its id, malformed ones included. Sorting
// indices by (hash, id) brings equal ids together without a node allocation per query; the id
// comparison on equal hashes keeps the count exact even when ids are chosen to collide.
std::vector<std::size_t> same_id_counts(const StatusSnapshot& snapshot) {
  const auto& queries = snapshot.queries;
  std::vector<std::pair<std::size_t, std::size_t>> keyed(queries.size());  // (hash, index)
  for (std::size_t i = 0; i < queries.size(); ++i)
    keyed[i] = {std::hash<std::string_view>{}(queries[i].id), i};
  std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return queries[a.second].id < queries[b.second].id;
  });
  std::vector<std::size_t> counts(queries.size(), 1);
  for (std::size_t lo = 0, hi = 0; lo < keyed.size(); lo = hi) {
    hi = lo + 1;
    while (hi < keyed.size() && keyed[hi].first == keyed[lo].first &&
           queries[keyed[hi].second].id == queries[keyed[lo].second].id)
      ++hi;
    for (std::size_t k = lo; k < hi; ++k) counts[keyed[k].second] = hi - lo;
  }
  // An entry skipped as malformed still names a query that a cancel by its id could hit.
  if (!snapshot.malformed.empty()) {
    std::unordered_map<std::string_view, std::size_t> malformed;
    for (const MalformedEntry& m : snapshot.malformed) ++malformed[m.id];
    for (std::size_t i = 0; i < queries.size(); ++i)
      if (const auto it = malformed.find(queries[i].id); it != malformed.end())
        counts[i] += it->second;
  }
  return counts;
}

// What evaluate() does; `explain` false skips wording the reasons of queries left alone,
// which decide() drops anyway (a string per query on every poll).
std::vector<Evaluation> evaluate(const StatusSnapshot& snapshot, const Policy& policy,
                                 std::chrono::system_clock::time_point now, RuleMemo* memo,
                                 bool explain, Overrides overrides) {
  const QuarantineList* quarantine = overrides.quarantine;
  if (memo) memo->begin(policy, snapshot.language);
  const auto fingerprint_of = [&](std::size_t index) {
    const QueryStatus& q = snapshot.queries[index];
    return memo ? memo->fingerprint(q.id, q.text)
                : fingerprint_query(snapshot.language, q.text).hash;
  };
  std::vector<Evaluation> out(snapshot.queries.size());
  // Clients may choose their own query ids, and Neptune cancels by id: when one id names
  // several entries, a cancel meant for one would hit the others, so none of them is touched.
  const std::vector<std::size_t> id_count = same_id_counts(snapshot);
  // Per rule, the queries it governs that a guard may count: running and queued.
  std::vector<std::vector<Evaluation*>> running(policy.rules.size()), queued(policy.rules.size());

  for (std::size_t i = 0; i < snapshot.queries.size(); ++i) {
    const QueryStatus& q = snapshot.queries[i];
    Evaluation& e = out[i];
    e.query_index = i;
    const char* how = nullptr;
    const Protection* protection = nullptr;
    for (const auto& p : policy.protections)
      if ((how = p.covers(q, now, snapshot.scope()))) {
        protection = &p;
        break;
      }
    if (!protection && overrides.protections)
      for (const auto& p : *overrides.protections)
        if ((how = p.covers(q, now, snapshot.scope()))) {
          protection = &p;
          break;
        }
    if (protection) {
      e.verdict = Verdict::protected_query;
      if (explain) e.reason = "protected by [" + protection->section + "] " + how;
      continue;
    }
    if (q.id.empty()) {
      e.verdict = Verdict::ignored;
      if (explain) e.reason = "no queryId";
      continue;
    }
    if (id_count[i] > 1) {
      e.verdict = Verdict::ignored;
      if (explain)
        e.reason = "its queryId names " + std::to_string(id_count[i]) +
                   " queries in this status reply: a cancel could hit the wrong one";
      continue;
    }
    if (q.cancelled) {
      e.verdict = Verdict::ignored;
      if (explain) e.reason = "already cancelled";
      continue;
    }
    // From the memo, the rules whose text filters select the text; valid until its next lookup.
    const std::vector<std::uint32_t>* selecting = memo ? &memo->selecting(q.id, q.text) : nullptr;
    const auto note = [&](std::size_t before) {
      return selecting ? outside_window_note(policy, *selecting, before, now, snapshot.language,
                                             snapshot.scope())
                       : outside_window_note(policy, q.text, before, now, snapshot.language,
                                             snapshot.scope());
    };
    // Languages, endpoints and windows are applied after the memo's lookup: the memo and the
    // shared matcher stay per configuration version, whatever endpoint a loop polls.
    e.rule_index = selecting
                       ? governing_of(policy, *selecting, now, snapshot.language, snapshot.scope())
                       : policy.governing_rule(q.text, now, snapshot.language, snapshot.scope());
    if (!e.rule_index) {
      e.verdict = Verdict::unselected;
      if (explain) e.reason = "no active rule selects it" + note(policy.rules.size());
      continue;
    }
    const Rule& rule = policy.rules[*e.rule_index];
    // A query without text has no known shape.
    const QuarantineEntry* quarantined =
        rule.quarantine && quarantine && !quarantine->empty() && !q.text.empty()
            ? quarantine->find(rule.name, fingerprint_of(i), now)
            : nullptr;
    // One that started before the quarantine did is not a new copy: a quarantine is for what
    // the application sends again.
    if (quarantined &&
        now - std::chrono::milliseconds(q.elapsed_ms + q.waited_ms) < quarantined->since)
      quarantined = nullptr;
    if (auto broken = broken_limit(q, rule)) {
      e.verdict = Verdict::act;
      e.reason = std::move(broken->reason);
      e.excess_ms = broken->excess_ms;
      e.cause = Condemnation::limit;
    } else if (quarantined) {
      e.verdict = Verdict::act;
      e.reason = quarantine_reason(*quarantined);
      e.cause = Condemnation::quarantine;
    } else {
      e.verdict = Verdict::within_limits;
      if (explain) e.reason = "within the limits of [rule." + rule.name + "]" + note(*e.rule_index);
    }
    (q.queued() ? queued : running)[*e.rule_index].push_back(&e);
  }

  for (std::size_t r = 0; r < policy.rules.size(); ++r) {
    apply_guard(running[r], policy.rules[r].max_running, snapshot, false);
    apply_guard(queued[r], policy.rules[r].max_queued, snapshot, true);
    apply_shape_guard(running[r], policy.rules[r].max_running_per_fingerprint, snapshot, false,
                      fingerprint_of);
    apply_shape_guard(queued[r], policy.rules[r].max_queued_per_fingerprint, snapshot, true,
                      fingerprint_of);
  }
  if (memo) memo->end();
  return out;
}

}  // namespace

std::vector<Evaluation> evaluate(const StatusSnapshot& snapshot, const Policy& policy,
                                 std::chrono::system_clock::time_point now, RuleMemo* memo,
                                 Overrides overrides) {
  return evaluate(snapshot, policy, now, memo, true, overrides);
}

std::vector<Evaluation> evaluate_for_action(const StatusSnapshot& snapshot, const Policy& policy,
                                            std::chrono::system_clock::time_point now,
                                            RuleMemo* memo, Overrides overrides) {
  return evaluate(snapshot, policy, now, memo, false, overrides);
}

std::vector<Decision> decisions_of(std::vector<Evaluation> evaluations, const Policy& policy) {
  std::vector<Decision> decisions;
  for (auto& e : evaluations) {
    if (e.verdict != Verdict::act) continue;
    const Rule& rule = policy.rules[*e.rule_index];
    decisions.push_back(Decision{e.query_index, *e.rule_index, rule.action, rule.silent,
                                 policy.dry_run || rule.dry_run, std::move(e.reason), e.excess_ms,
                                 e.cause});
  }
  return decisions;
}

std::vector<Decision> decide(const StatusSnapshot& snapshot, const Policy& policy,
                             std::chrono::system_clock::time_point now, RuleMemo* memo,
                             Overrides overrides) {
  return decisions_of(evaluate(snapshot, policy, now, memo, false, overrides), policy);
}

}  // namespace nw
