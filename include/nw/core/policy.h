#pragma once
// The operator's rules, compiled once at load time.
//
// A rule *selects* a query when its text filters admit it (`query_matches` found,
// `query_excludes` not found). The first rule in file order that selects a query governs it,
// and only that rule's limits decide whether the query is acted on: an early, narrow rule
// with a generous limit therefore shields its queries from a later, broad, strict one.
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "nw/core/duration.h"
#include "nw/core/query_status.h"
#include "nw/core/time_window.h"

namespace nw {

class RuleMatcher;

enum class RuleAction { cancel, log };

// Neptune cuts `queryString` at this many characters.
inline constexpr std::size_t kNeptuneQueryTextLimit = 1024;

std::string_view to_string(RuleAction action);

// True when Neptune may have cut `text`: it holds at least kNeptuneQueryTextLimit characters
// (UTF-8 code points), so whatever followed may be missing.
bool possibly_truncated(std::string_view text);

// True when `name` matches the glob `pattern` whole: `*` stands for any run of characters,
// `?` for any one, everything else for itself (no character classes, no escapes). A small
// matcher of our own rather than libc's fnmatch, so that the core stays standard C++ only;
// linear in practice, O(pattern x name) at worst.
bool glob_matches(std::string_view pattern, std::string_view name);

// True when a rule or protection limited to `patterns` (endpoint names or globs) applies to
// the endpoint named `endpoint`. No patterns: every endpoint. An empty `endpoint` (a snapshot
// that names none, e.g. one built by hand or judged by --test-matching): every rule applies.
bool applies_to_endpoint(const std::vector<std::string>& patterns, std::string_view endpoint);

// True when a rule or protection limited to `patterns` and `roles` applies to `scope`: its
// name matches (above) and, with roles given, the instance has one of them (an endpoint of
// unknown role, a typed one, has none). An unnamed scope: every rule applies.
bool applies_to_scope(const std::vector<std::string>& patterns, const std::set<InstanceRole>& roles,
                      EndpointScope scope);

struct Rule {
  std::string name;                   // the NAME of [rule.NAME]
  std::optional<Millis> max_elapsed;  // running longer than this breaks the rule
  std::optional<Millis> max_waited;   // queued longer than this breaks the rule
  // RE2: linear-time matching, so query text that anyone with database access controls
  // cannot make matching blow up. Shared so that copies of a policy stay cheap.
  std::shared_ptr<const re2::RE2> query_matches;
  std::shared_ptr<const re2::RE2> query_excludes;
  RuleAction action = RuleAction::cancel;
  bool silent = false;
  bool dry_run = false;  // this rule decides and audits but never cancels
  // Concurrency guards: beyond this many running (queued) queries governed by the rule, the
  // oldest are acted on, oldest first.
  std::optional<std::int64_t> max_running;
  std::optional<std::int64_t> max_queued;
  // Guards per query shape (nw/core/fingerprint.h): beyond this many running (queued) queries
  // of one fingerprint governed by the rule, the newest are acted on, newest first: the first
  // copies are doing the real work, the later ones are the application retrying.
  std::optional<std::int64_t> max_running_per_fingerprint;
  std::optional<std::int64_t> max_queued_per_fingerprint;
  // Once the rule has cancelled a query, new queries of the same fingerprint that it governs
  // are cancelled on sight for this long after its last such cancel (nw/core/quarantine.h).
  std::optional<Millis> quarantine;
  std::optional<TimeWindow> active;  // outside its window the rule does not exist
  std::optional<int> max_cancels_per_minute;
  std::set<Language> languages;  // empty: every language
  // Endpoint names or globs (`*`, `?`), as written; empty: every endpoint. Elsewhere the rule
  // does not exist: the next rule in order may govern the query.
  std::vector<std::string> endpoints;
  // Instance roles (writer, reader) in a discovered cluster; empty: any endpoint. Judged with
  // the topology at the time of the poll, so the rule follows a failover.
  std::set<InstanceRole> roles;

  bool covers(Language language) const {
    return languages.empty() || languages.count(language) > 0;
  }
  bool covers(Language language, EndpointScope endpoint) const {
    return covers(language) && applies_to_scope(endpoints, roles, endpoint);
  }
  // True when the text filters admit `text` (searched, not anchored). With query_excludes set,
  // text that is empty or may have been cut by Neptune is never selected: the marker that
  // would exempt it could be missing from what we see.
  bool selects(std::string_view text) const;
  bool active_at(std::chrono::system_clock::time_point now) const {
    return !active || active->contains(now);
  }
};

// A protection: queries it covers are never cancelled by any rule, budget or guard.
struct Protection {
  std::string section;  // "protect" or "protect.NAME", as written
  std::set<std::string> query_ids;
  std::shared_ptr<const re2::RE2> query_matches;
  std::optional<std::chrono::system_clock::time_point> until;  // expiry; absent: forever
  // Endpoint names or globs (`*`, `?`), as written; empty: every endpoint. Elsewhere it
  // protects nothing.
  std::vector<std::string> endpoints;
  std::set<InstanceRole> roles;  // as a rule's: empty, any endpoint

  // "id" or "text" when this protection covers the query at `now` on `endpoint` (empty: any
  // endpoint), else nullptr.
  const char* covers(const QueryStatus& query, std::chrono::system_clock::time_point now,
                     EndpointScope endpoint = {}) const;
};

struct Policy {
  std::vector<Rule> rules;  // in file order
  std::vector<Protection> protections;
  bool dry_run = false;                       // decide and audit, never cancel
  std::optional<int> max_cancels_per_minute;  // across all endpoints and rules
  // The rules' text filters compiled into one matcher (nw/core/rule_matcher.h), once per
  // configuration version and shared by every poll loop; null where a policy is built by
  // hand, and then each RuleMemo compiles its own.
  std::shared_ptr<const RuleMatcher> matcher;

  // The index of the first rule for `language` and `endpoint` (empty: any), active at `now`,
  // that selects `text`, if any.
  std::optional<std::size_t> governing_rule(std::string_view text,
                                            std::chrono::system_clock::time_point now,
                                            Language language = Language::opencypher,
                                            EndpointScope endpoint = {}) const;
};

// Compiles an operator's regex. Returns the RE2 error text in `error` when it is invalid.
std::shared_ptr<const re2::RE2> compile_regex(std::string_view pattern, std::string& error);

}  // namespace nw
