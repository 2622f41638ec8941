#include "nw/core/policy.h"

namespace nw {

std::string_view to_string(RuleAction action) {
  return action == RuleAction::cancel ? "cancel" : "log";
}

bool Rule::selects(std::string_view text) const {
  const re2::StringPiece subject(text.data(), text.size());
  if (query_matches && !re2::RE2::PartialMatch(subject, *query_matches)) return false;
  if (query_excludes && re2::RE2::PartialMatch(subject, *query_excludes)) return false;
  return true;
}

std::optional<std::size_t> Policy::governing_rule(std::string_view text) const {
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (rules[i].selects(text)) return i;
  return std::nullopt;
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
