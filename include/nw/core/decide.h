#pragma once
// The heart of the watchdog: what each query of one snapshot deserves, and why. No I/O:
// Neptune's own `elapsed` and `waited` counters are the measure; `now` only decides which
// time windows and protections are in force.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "nw/core/policy.h"
#include "nw/core/quarantine.h"
#include "nw/core/query_status.h"
#include "nw/core/rule_memo.h"

namespace nw {

enum class Verdict {
  act,              // its governing rule condemns it (a limit or a concurrency guard)
  within_limits,    // a rule governs it, and it keeps that rule's limits
  unselected,       // no active rule selects it
  protected_query,  // a protection covers it: never acted on
  ignored,          // already cancelled, or a repeated id in the same snapshot
};

std::string_view to_string(Verdict verdict);

// What the daemon adds to the configured policy while it runs: the query shapes in quarantine
// (nw/core/quarantine.h) and the operator's temporary protections (`protect --for`, checked
// after the configuration's, with the same meaning). Built from a quarantine list alone where
// only that applies.
struct Overrides {
  Overrides(const QuarantineList* quarantine_list = nullptr,
            const std::vector<Protection>* temporary = nullptr)
      : quarantine(quarantine_list), protections(temporary) {}
  const QuarantineList* quarantine;
  const std::vector<Protection>* protections;
};

struct Evaluation {
  std::size_t query_index = 0;  // into StatusSnapshot::queries
  Verdict verdict = Verdict::unselected;
  std::optional<std::size_t> rule_index;  // the governing rule, if any
  // e.g. "elapsed 312000ms > max_elapsed 300000ms", "running 5 > max_running 3",
  // "protected by [protect.backups] text", "no active rule selects it"
  std::string reason;
  std::int64_t excess_ms = 0;               // how far past the broken limit (0 for a guard)
  Condemnation cause = Condemnation::none;  // with Verdict::act
};

// One evaluation per query, in snapshot order. Protections apply before anything else.
//
// With a quarantine list, a query its governing rule keeps within limits is still acted on
// when the rule has `quarantine` and the query's shape is quarantined by that rule at `now`.
// The overrides' temporary protections cover queries as the configuration's do.
//
// With a memo (one per poll loop, kept from poll to poll), each query id's text is matched
// against the rules once, in one pass for all rules, and later polls reuse the answer; the
// result is the same as without. Without one, every rule's regexes are searched in turn.
std::vector<Evaluation> evaluate(const StatusSnapshot& snapshot, const Policy& policy,
                                 std::chrono::system_clock::time_point now,
                                 RuleMemo* memo = nullptr, Overrides overrides = {});

struct Decision {
  std::size_t query_index = 0;
  std::size_t rule_index = 0;
  RuleAction action = RuleAction::cancel;
  bool silent = false;
  bool dry_run = false;  // the policy's or the rule's
  std::string reason;
  std::int64_t excess_ms = 0;  // how far past the broken limit when observed (0 for a guard)
  Condemnation cause = Condemnation::limit;
};

// The evaluations that call for action, as decisions, in snapshot order.
std::vector<Decision> decide(const StatusSnapshot& snapshot, const Policy& policy,
                             std::chrono::system_clock::time_point now, RuleMemo* memo = nullptr,
                             Overrides overrides = {});

// evaluate() for acting rather than explaining: the same verdicts, rules and excesses, but
// the reasons of queries left alone are not worded (a string per query on every poll).
std::vector<Evaluation> evaluate_for_action(const StatusSnapshot& snapshot, const Policy& policy,
                                            std::chrono::system_clock::time_point now,
                                            RuleMemo* memo = nullptr, Overrides overrides = {});

// The evaluations that call for action, as decisions, in snapshot order (what decide() returns).
std::vector<Decision> decisions_of(std::vector<Evaluation> evaluations, const Policy& policy);

}  // namespace nw
