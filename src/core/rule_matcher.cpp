#include "nw/core/rule_matcher.h"

#include <algorithm>
#include <map>
#include <string>

namespace nw {
namespace {

// The options every set is compiled with: compile_regex's. max_mem only bounds memory (a set
// holds many patterns, so it gets more); log_errors only silences stderr.
re2::RE2::Options set_options() {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(std::int64_t{64} << 20);
  return options;
}

// True when a regex compiled with `a` matches exactly what one compiled with `b` matches.
bool same_semantics(const re2::RE2::Options& a, const re2::RE2::Options& b) {
  return a.encoding() == b.encoding() && a.posix_syntax() == b.posix_syntax() &&
         a.longest_match() == b.longest_match() && a.literal() == b.literal() &&
         a.never_nl() == b.never_nl() && a.dot_nl() == b.dot_nl() &&
         a.never_capture() == b.never_capture() && a.case_sensitive() == b.case_sensitive() &&
         a.perl_classes() == b.perl_classes() && a.word_boundary() == b.word_boundary() &&
         a.one_line() == b.one_line();
}

bool search(const re2::RE2& regex, std::string_view text) {
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), regex);
}

// Builds one set from the filters it can hold, deduplicating patterns. On any failure the
// set is dropped and every filter is searched alone.
template <class GetFilter>
std::unique_ptr<re2::RE2::Set> build_set(std::vector<std::uint32_t> rule_indices,
                                         GetFilter filter_of, std::size_t& patterns) {
  const re2::RE2::Options options = set_options();
  auto set = std::make_unique<re2::RE2::Set>(options, re2::RE2::UNANCHORED);
  std::map<std::string, int> index_of;
  for (std::uint32_t i : rule_indices) {
    auto& filter = filter_of(i);
    if (!filter.regex || !same_semantics(filter.regex->options(), options)) continue;
    const std::string& pattern = filter.regex->pattern();
    auto [it, added] = index_of.emplace(pattern, 0);
    if (added) {
      std::string error;
      it->second = set->Add(re2::StringPiece(pattern), &error);
      if (it->second < 0) return nullptr;
    }
    filter.set_index = it->second;
  }
  patterns = index_of.size();
  if (patterns == 0 || !set->Compile()) return nullptr;
  return set;
}

}  // namespace

RuleMatcher::RuleMatcher(const std::vector<Rule>& rules) {
  rules_.resize(rules.size());
  std::vector<std::uint32_t> all(rules.size());
  for (std::uint32_t i = 0; i < rules.size(); ++i) {
    all[i] = i;
    rules_[i].matches.regex = rules[i].query_matches;
    rules_[i].excludes.regex = rules[i].query_excludes;
  }
  const auto reset = [&](auto member) {
    for (auto& r : rules_) (r.*member).set_index = -1;
  };
  std::size_t patterns = 0;
  matches_set_ = build_set(
      all, [&](std::uint32_t i) -> Filter& { return rules_[i].matches; }, patterns);
  if (!matches_set_) reset(&CompiledRule::matches);
  rules_of_pattern_.assign(matches_set_ ? patterns : 0, {});
  for (std::uint32_t i = 0; i < rules_.size(); ++i) {
    const Filter& m = rules_[i].matches;
    if (m.set_index >= 0)
      rules_of_pattern_[static_cast<std::size_t>(m.set_index)].push_back(i);
    else
      always_candidates_.push_back(i);
  }
  excludes_set_ = build_set(
      all, [&](std::uint32_t i) -> Filter& { return rules_[i].excludes; }, patterns);
  if (!excludes_set_) reset(&CompiledRule::excludes);
}

bool RuleMatcher::built_for(const std::vector<Rule>& rules) const {
  if (rules.size() != rules_.size()) return false;
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (rules[i].query_matches != rules_[i].matches.regex ||
        rules[i].query_excludes != rules_[i].excludes.regex)
      return false;
  return true;
}

bool RuleMatcher::match_set(const re2::RE2::Set& set, std::string_view text,
                            std::vector<int>& hits) {
  re2::RE2::Set::ErrorInfo error{re2::RE2::Set::kNoError};
  const bool any = set.Match(re2::StringPiece(text.data(), text.size()), &hits, &error);
  if (error.kind != re2::RE2::Set::kNoError) return false;
  if (!any) hits.clear();
  return true;
}

bool RuleMatcher::excluded(const CompiledRule& rule, std::string_view text,
                           const std::vector<int>* hits) const {
  const Filter& x = rule.excludes;
  if (!x.regex) return false;
  if (x.set_index >= 0 && hits)
    return std::find(hits->begin(), hits->end(), x.set_index) != hits->end();
  return search(*x.regex, text);
}

void RuleMatcher::selecting(std::string_view text, std::vector<std::uint32_t>& out) const {
  out.clear();
  // Scratch kept per thread: no allocation per text once warm.
  thread_local std::vector<int> match_hits, exclude_hits;
  thread_local std::vector<std::uint32_t> candidates;

  // Candidates: rules whose query_matches is found (or that have none), ascending.
  candidates.clear();
  bool matches_answered = false;
  if (matches_set_ && match_set(*matches_set_, text, match_hits)) {
    matches_answered = true;
    candidates = always_candidates_;
    for (int hit : match_hits) {
      const auto& rules = rules_of_pattern_[static_cast<std::size_t>(hit)];
      candidates.insert(candidates.end(), rules.begin(), rules.end());
    }
    std::sort(candidates.begin(), candidates.end());
  } else {
    for (std::uint32_t i = 0; i < rules_.size(); ++i) candidates.push_back(i);
  }

  const bool cut_or_empty = text.empty() || possibly_truncated(text);
  // The exemptions are searched at most once per text, and only if a candidate has one.
  enum { unknown, answered, unanswerable } exemptions = unknown;
  for (std::uint32_t i : candidates) {
    const CompiledRule& rule = rules_[i];
    if (rule.excludes.regex && cut_or_empty) continue;
    const bool set_says = matches_answered && rule.matches.set_index >= 0;
    if (rule.matches.regex && !set_says && !search(*rule.matches.regex, text)) continue;
    if (rule.excludes.regex && rule.excludes.set_index >= 0 && exemptions == unknown)
      exemptions = match_set(*excludes_set_, text, exclude_hits) ? answered : unanswerable;
    if (excluded(rule, text, exemptions == answered ? &exclude_hits : nullptr)) continue;
    out.push_back(i);
  }
}

}  // namespace nw
