#pragma once
// Which rules' text filters select a query text, for all rules at once.
//
// Rule::selects searches each rule's regexes one by one, so a text that no early rule selects
// costs a search per rule. RuleMatcher compiles every rule's `query_matches` into one
// RE2::Set (unanchored, as PartialMatch searches) and every `query_excludes` into another, so
// a text is scanned once for all candidates and once more, only if some candidate has an
// exemption, for the exemptions. The answer is exactly the rules for which Rule::selects is
// true; whatever the sets cannot answer (a regex compiled with other options, a set that did
// not compile, a DFA out of memory on one text) is searched rule by rule instead.
//
// Language and active window are not the matcher's business: they are cheap, and the window
// depends on the time, while the text filters' answer for a text never changes.
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

#include "nw/core/policy.h"

namespace nw {

class RuleMatcher {
 public:
  // Compiles the sets for `rules` (in file order). Costly: build once per configuration.
  explicit RuleMatcher(const std::vector<Rule>& rules);

  // The indices, ascending, of the rules whose text filters select `text`: exactly the i for
  // which rules[i].selects(text). Replaces the contents of `out`.
  void selecting(std::string_view text, std::vector<std::uint32_t>& out) const;

  // True when built from these very regexes, in this order. The matcher keeps the regexes it
  // was built from alive, so a later configuration cannot reuse their addresses.
  bool built_for(const std::vector<Rule>& rules) const;

  std::size_t rule_count() const { return rules_.size(); }

 private:
  // How one of a rule's two regexes is searched: through a set (its index there), or alone.
  struct Filter {
    std::shared_ptr<const re2::RE2> regex;  // null: the rule has no such filter
    int set_index = -1;                     // -1: searched alone
  };
  struct CompiledRule {
    Filter matches;
    Filter excludes;
  };

  // Which entries of `set` match `text`; false when the set could not answer.
  static bool match_set(const re2::RE2::Set& set, std::string_view text, std::vector<int>& hits);
  bool excluded(const CompiledRule& rule, std::string_view text,
                const std::vector<int>* hits) const;

  std::vector<CompiledRule> rules_;
  std::unique_ptr<re2::RE2::Set> matches_set_;   // null: no pattern in a set
  std::unique_ptr<re2::RE2::Set> excludes_set_;  // null: no pattern in a set
  // Per entry of matches_set_, the rules (ascending) whose query_matches it is.
  std::vector<std::vector<std::uint32_t>> rules_of_pattern_;
  // Rules that are candidates whatever the matches set says: no query_matches, or one
  // searched alone. Ascending.
  std::vector<std::uint32_t> always_candidates_;
};

}  // namespace nw
