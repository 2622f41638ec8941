#include "nw/core/policy.h"

namespace nw {

std::string_view to_string(RuleAction action) {
  return action == RuleAction::cancel ? "cancel" : "log";
}

bool possibly_truncated(std::string_view text) {
  // A character takes at least one byte: shorter text is whole, with no need to count.
  if (text.size() < kNeptuneQueryTextLimit) return false;
  std::size_t chars = 0;
  for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
  return chars >= kNeptuneQueryTextLimit;
}

bool Rule::selects(std::string_view text) const {
  // An exemption marker cannot be seen in text that is missing or was cut: such a query may
  // be exempt, so a rule with query_excludes leaves it alone.
  if (query_excludes && (text.empty() || possibly_truncated(text))) return false;
  const re2::StringPiece subject(text.data(), text.size());
  if (query_matches && !re2::RE2::PartialMatch(subject, *query_matches)) return false;
  if (query_excludes && re2::RE2::PartialMatch(subject, *query_excludes)) return false;
  return true;
}

bool glob_matches(std::string_view pattern, std::string_view name) {
  // Greedy with one backtrack point: the last `*` seen takes one more character each time
  // what follows it fails to match.
  std::size_t p = 0, n = 0;
  std::size_t star = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool applies_to_endpoint(const std::vector<std::string>& patterns, std::string_view endpoint) {
  if (patterns.empty() || endpoint.empty()) return true;
  for (const auto& pattern : patterns)
    if (glob_matches(pattern, endpoint)) return true;
  return false;
}

bool applies_to_scope(const std::vector<std::string>& patterns, const std::set<InstanceRole>& roles,
                      EndpointScope scope) {
  if (scope.name.empty()) return true;
  if (!applies_to_endpoint(patterns, scope.name)) return false;
  return roles.empty() || roles.count(scope.role) > 0;
}

std::optional<std::size_t> Policy::governing_rule(std::string_view text,
                                                  std::chrono::system_clock::time_point now,
                                                  Language language, EndpointScope endpoint) const {
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (rules[i].covers(language, endpoint) && rules[i].active_at(now) && rules[i].selects(text))
      return i;
  return std::nullopt;
}

const char* Protection::covers(const QueryStatus& query, std::chrono::system_clock::time_point now,
                               EndpointScope endpoint) const {
  if (until && now >= *until) return nullptr;
  if (!applies_to_scope(endpoints, roles, endpoint)) return nullptr;
  if (query_ids.count(query.id)) return "id";
  if (query_matches && re2::RE2::PartialMatch(
                           re2::StringPiece(query.text.data(), query.text.size()), *query_matches))
    return "text";
  return nullptr;
}

std::shared_ptr<const re2::RE2> compile_regex(std::string_view pattern, std::string& error) {
  re2::RE2::Options options;
  options.set_log_errors(false);  // errors are reported by the config loader, not on stderr
  auto re = std::make_shared<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    error = re->error();
    return nullptr;
  }
  return re;
}

}  // namespace nw
