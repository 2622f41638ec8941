#pragma once
// The operator's rules, compiled once at load time.
//
// A rule *selects* a query when its text filters admit it (`query_matches` found,
// `query_excludes` not found). The first rule in file order that selects a query governs it,
// and only that rule's limits decide whether the query is acted on: an early, narrow rule
// with a generous limit therefore shields its queries from a later, broad, strict one.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "nw/core/duration.h"
#include "nw/core/query_status.h"

namespace nw {

enum class RuleAction { cancel, log };

std::string_view to_string(RuleAction action);

struct Rule {
  std::string name;                  // the NAME of [rule.NAME]
  std::optional<Millis> max_elapsed;  // running longer than this breaks the rule
  std::optional<Millis> max_waited;   // queued longer than this breaks the rule
  // RE2: linear-time matching, so query text that anyone with database access controls
  // cannot make matching blow up. Shared so that copies of a policy stay cheap.
  std::shared_ptr<const re2::RE2> query_matches;
  std::shared_ptr<const re2::RE2> query_excludes;
  RuleAction action = RuleAction::cancel;
  bool silent = false;

  // True when the text filters admit `text` (searched, not anchored).
  bool selects(std::string_view text) const;
};

struct Policy {
  std::vector<Rule> rules;  // in file order
  bool dry_run = false;     // decide and audit, never cancel

  // The index of the first rule that selects `text`, if any.
  std::optional<std::size_t> governing_rule(std::string_view text) const;
};

// Compiles an operator's regex. Returns the RE2 error text in `error` when it is invalid.
std::shared_ptr<const re2::RE2> compile_regex(std::string_view pattern, std::string& error);

}  // namespace nw
