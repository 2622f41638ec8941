// Property tests over many random policies and snapshots (fixed seed): whatever the operator
// writes and whatever Neptune reports, no action ever targets a query that no rule selects, a
// protected query, a cancelled query or a query whose id is missing or repeated in the
// snapshot; and no cancel budget is ever exceeded. The fast paths (RuleMatcher's one pass over
// all rules, RuleMemo's remembered answers) agree with the plain rule-by-rule loop.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nw/core/cancel_budget.h"
#include "nw/core/decide.h"
#include "nw/core/rule_matcher.h"
#include "nw/core/rule_memo.h"

namespace nw {
namespace {

using std::chrono::system_clock;

constexpr std::uint32_t kSeed = 20261125;
constexpr int kPolicyCases = 4000;
constexpr int kBudgetCases = 600;
constexpr int kMatcherCases = 300;
constexpr int kMemoCases = 600;

std::shared_ptr<const re2::RE2> re(const std::string& pattern) {
  std::string error;
  auto compiled = compile_regex(pattern, error);
  EXPECT_EQ(error, "") << pattern;
  return compiled;
}

// Shared by every case, compiled once.
struct Pools {
  std::vector<std::shared_ptr<const re2::RE2>> regexes;
  std::vector<TimeWindow> windows;
  std::vector<std::string> texts;
  std::vector<std::string> ids;

  Pools() {
    for (const char* p :
         {"^MATCH", "CREATE", "exempt", "RETURN", "(?i)match", "x{2,}", "^$", "\\(n\\)", "."})
      regexes.push_back(re(p));
    for (const char* w :
         {"Mon-Fri 08:00-18:00", "daily 22:00-06:00", "Sat,Sun 00:00-24:00",
          "Fri-Mon 12:00-13:00 +05:30", "Wed 00:00-12:00 UTC-03:00", "daily 00:00-00:00"}) {
      std::string error;
      windows.push_back(*parse_time_window(w, error));
    }
    texts = {"MATCH (n) RETURN n",
             "CREATE (n:Event) RETURN n",
             "MATCH (n) /* exempt */ RETURN n",
             "",
             "xxxx",
             "match (m) return m",
             std::string(1024, 'x'),
             std::string(1023, 'M'),
             "RETURN 1",
             "MATCH (\xC3\xA9) RETURN \xF0\x9F\x98\x80"};
    ids = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", ""};
  }
};

const Pools& pools() {
  static const Pools p;
  return p;
}

// A Monday, 2026-11-23T00:00:00Z; `now` falls somewhere in the following two weeks.
const auto kMonday = system_clock::from_time_t(1795392000);

template <class T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
}

bool chance(std::mt19937& rng, double p) {
  return std::bernoulli_distribution(p)(rng);
}

std::int64_t between(std::mt19937& rng, std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
}

Policy random_policy(std::mt19937& rng, system_clock::time_point now) {
  const Pools& pool = pools();
  Policy policy;
  policy.dry_run = chance(rng, 0.1);
  const int rules = static_cast<int>(between(rng, 0, 5));
  for (int i = 0; i < rules; ++i) {
    Rule r;
    r.name = "r" + std::to_string(i);
    if (chance(rng, 0.6)) r.max_elapsed = Millis(between(rng, 0, 10'000));
    if (chance(rng, 0.4)) r.max_waited = Millis(between(rng, 0, 10'000));
    if (chance(rng, 0.5)) r.query_matches = pick(rng, pool.regexes);
    if (chance(rng, 0.3)) r.query_excludes = pick(rng, pool.regexes);
    r.action = chance(rng, 0.7) ? RuleAction::cancel : RuleAction::log;
    r.silent = chance(rng, 0.5);
    r.dry_run = chance(rng, 0.2);
    if (chance(rng, 0.3)) r.max_running = between(rng, 0, 4);
    if (chance(rng, 0.3)) r.max_queued = between(rng, 0, 4);
    if (chance(rng, 0.3)) r.active = pick(rng, pool.windows);
    policy.rules.push_back(std::move(r));
  }
  const int protections = static_cast<int>(between(rng, 0, 2));
  for (int i = 0; i < protections; ++i) {
    Protection p;
    p.section = "protect.p" + std::to_string(i);
    const int ids = static_cast<int>(between(rng, 0, 3));
    for (int k = 0; k < ids; ++k) p.query_ids.insert(pick(rng, pool.ids));
    if (ids == 0 || chance(rng, 0.4)) p.query_matches = pick(rng, pool.regexes);
    if (chance(rng, 0.4)) p.until = now + std::chrono::minutes(between(rng, -120, 120));
    policy.protections.push_back(std::move(p));
  }
  return policy;
}

StatusSnapshot random_snapshot(std::mt19937& rng) {
  const Pools& pool = pools();
  StatusSnapshot s;
  const int n = static_cast<int>(between(rng, 0, 14));
  for (int i = 0; i < n; ++i) {
    QueryStatus q;
    q.id =
        chance(rng, 0.3) ? "u" + std::to_string(between(rng, 0, 1'000'000)) : pick(rng, pool.ids);
    q.text = pick(rng, pool.texts);
    const bool queued = chance(rng, 0.35);
    q.elapsed_ms = queued ? 0 : between(rng, 1, 20'000);
    q.waited_ms = between(rng, 0, 20'000);
    q.cancelled = chance(rng, 0.1);
    s.queries.push_back(std::move(q));
  }
  return s;
}

// Independent statements of the contract, written without calling the code under test.
std::size_t utf8_chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool oracle_selects(const Rule& r, const std::string& text) {
  if (r.query_excludes && (text.empty() || utf8_chars(text) >= 1024)) return false;
  if (r.query_matches && !re2::RE2::PartialMatch(text, *r.query_matches)) return false;
  if (r.query_excludes && re2::RE2::PartialMatch(text, *r.query_excludes)) return false;
  return true;
}

std::optional<std::size_t> oracle_governing(const Policy& p, const std::string& text,
                                            system_clock::time_point now) {
  for (std::size_t i = 0; i < p.rules.size(); ++i)
    if ((!p.rules[i].active || p.rules[i].active->contains(now)) &&
        oracle_selects(p.rules[i], text))
      return i;
  return std::nullopt;
}

bool oracle_protected(const Policy& p, const QueryStatus& q, system_clock::time_point now) {
  for (const auto& pr : p.protections) {
    if (pr.until && now >= *pr.until) continue;
    if (pr.query_ids.count(q.id)) return true;
    if (pr.query_matches && re2::RE2::PartialMatch(q.text, *pr.query_matches)) return true;
  }
  return false;
}

bool breaks_limit(const QueryStatus& q, const Rule& r) {
  if (q.queued()) return r.max_waited && q.waited_ms > r.max_waited->count();
  return r.max_elapsed && q.elapsed_ms > r.max_elapsed->count();
}

std::string describe(const StatusSnapshot& s, const Policy& p, system_clock::time_point now) {
  std::string out = "now=" + std::to_string(system_clock::to_time_t(now)) + " rules:";
  for (const auto& r : p.rules) {
    out += " [" + r.name;
    if (r.max_elapsed) out += " e" + std::to_string(r.max_elapsed->count());
    if (r.max_waited) out += " w" + std::to_string(r.max_waited->count());
    if (r.query_matches) out += " m/" + r.query_matches->pattern() + "/";
    if (r.query_excludes) out += " x/" + r.query_excludes->pattern() + "/";
    if (r.max_running) out += " R" + std::to_string(*r.max_running);
    if (r.max_queued) out += " Q" + std::to_string(*r.max_queued);
    if (r.active) out += " @" + r.active->text;
    out += "]";
  }
  out += " protections:" + std::to_string(p.protections.size()) + " queries:";
  for (const auto& q : s.queries)
    out += " {" + q.id + " e" + std::to_string(q.elapsed_ms) + " w" + std::to_string(q.waited_ms) +
           (q.cancelled ? " cancelled" : "") + " '" + q.text.substr(0, 20) + "'}";
  return out;
}

TEST(PolicyProperty, NoDecisionEverTargetsTheWrongQuery) {
  std::mt19937 rng(kSeed);
  std::size_t total_decisions = 0, guard_decisions = 0;
  for (int c = 0; c < kPolicyCases; ++c) {
    const auto now = kMonday + std::chrono::seconds(between(rng, 0, 14 * 24 * 3600));
    const Policy policy = random_policy(rng, now);
    const StatusSnapshot snapshot = random_snapshot(rng);
    const auto decisions = decide(snapshot, policy, now);
    const auto evaluations = evaluate(snapshot, policy, now);
    SCOPED_TRACE("case " + std::to_string(c) + ": " + describe(snapshot, policy, now));
    ASSERT_EQ(evaluations.size(), snapshot.queries.size());

    std::map<std::string, int> id_count;
    for (const auto& q : snapshot.queries) ++id_count[q.id];
    std::vector<bool> decided(snapshot.queries.size(), false);
    std::size_t previous = 0;
    for (std::size_t k = 0; k < decisions.size(); ++k) {
      const Decision& d = decisions[k];
      ASSERT_LT(d.query_index, snapshot.queries.size());
      if (k > 0) {
        EXPECT_GT(d.query_index, previous) << "decisions out of snapshot order";
      }
      previous = d.query_index;
      decided[d.query_index] = true;
      const QueryStatus& q = snapshot.queries[d.query_index];
      EXPECT_FALSE(q.id.empty());
      EXPECT_EQ(id_count[q.id], 1) << q.id;
      EXPECT_FALSE(q.cancelled) << q.id;
      EXPECT_FALSE(oracle_protected(policy, q, now)) << q.id;
      for (const auto& p : policy.protections) EXPECT_EQ(p.covers(q, now), nullptr) << q.id;
      const auto governing = policy.governing_rule(q.text, now);
      ASSERT_TRUE(governing.has_value()) << q.id;
      EXPECT_EQ(*governing, d.rule_index) << q.id;
      EXPECT_EQ(oracle_governing(policy, q.text, now), std::optional<std::size_t>(d.rule_index))
          << q.id;
      const Rule& rule = policy.rules.at(d.rule_index);
      EXPECT_EQ(d.action, rule.action);
      EXPECT_EQ(d.silent, rule.silent);
      EXPECT_EQ(d.dry_run, policy.dry_run || rule.dry_run);
      EXPECT_FALSE(d.reason.empty());
      guard_decisions += d.reason.find("(oldest beyond the limit)") != std::string::npos;
    }
    total_decisions += decisions.size();

    // Per rule and kind (running, queued): the queries it may act on.
    std::map<std::pair<std::size_t, bool>, std::vector<std::size_t>> eligible;
    for (std::size_t i = 0; i < snapshot.queries.size(); ++i) {
      const QueryStatus& q = snapshot.queries[i];
      const bool ok =
          !q.id.empty() && id_count[q.id] == 1 && !q.cancelled && !oracle_protected(policy, q, now);
      const auto governing = oracle_governing(policy, q.text, now);
      EXPECT_EQ(evaluations[i].query_index, i);
      EXPECT_EQ(evaluations[i].verdict == Verdict::act, decided[i]) << i;
      if (!ok || !governing) {
        EXPECT_FALSE(decided[i]) << i;
        continue;
      }
      EXPECT_EQ(evaluations[i].rule_index, governing) << i;
      // Completeness: every query that breaks its governing rule's limit is acted on.
      if (breaks_limit(q, policy.rules[*governing])) {
        EXPECT_TRUE(decided[i]) << "missed " << q.id;
      }
      eligible[{*governing, q.queued()}].push_back(i);
    }
    // Guards: what is left untouched fits within the limit, and nothing younger is acted on
    // by a guard while something older is spared.
    for (const auto& [key, members] : eligible) {
      const Rule& rule = policy.rules[key.first];
      const auto limit = key.second ? rule.max_queued : rule.max_running;
      const auto age = [&](std::size_t i) {
        return key.second ? snapshot.queries[i].waited_ms : snapshot.queries[i].elapsed_ms;
      };
      std::int64_t spared = 0, oldest_spared = -1,
                   youngest_guarded = std::numeric_limits<std::int64_t>::max();
      for (std::size_t i : members) {
        if (!decided[i]) {
          ++spared;
          oldest_spared = std::max(oldest_spared, age(i));
        } else if (!breaks_limit(snapshot.queries[i], rule)) {
          EXPECT_TRUE(limit.has_value()) << "acted on without a broken limit or a guard: " << i;
          youngest_guarded = std::min(youngest_guarded, age(i));
        }
      }
      if (limit) {
        EXPECT_LE(spared, *limit) << rule.name;
        if (static_cast<std::int64_t>(members.size()) <= *limit) {
          EXPECT_EQ(youngest_guarded, std::numeric_limits<std::int64_t>::max()) << rule.name;
        }
      }
      EXPECT_LE(oldest_spared, youngest_guarded) << rule.name;
    }
    if (::testing::Test::HasFailure()) break;  // one failing case is enough to read
  }
  // The generator must actually exercise the code: many decisions, guards among them.
  EXPECT_GT(total_decisions, static_cast<std::size_t>(kPolicyCases));
  EXPECT_GT(guard_decisions, static_cast<std::size_t>(kPolicyCases / 10));
}

// The largest number of grants within any closed window of length `width`.
std::size_t max_in_window(const std::vector<std::chrono::steady_clock::time_point>& grants,
                          std::chrono::steady_clock::duration width) {
  std::size_t best = 0, lo = 0;
  for (std::size_t hi = 0; hi < grants.size(); ++hi) {
    while (grants[hi] - grants[lo] > width) ++lo;
    best = std::max(best, hi - lo + 1);
  }
  return best;
}

TEST(PolicyProperty, NoCancelBudgetIsEverExceeded) {
  using Clock = std::chrono::steady_clock;
  using std::chrono::milliseconds;
  std::mt19937 rng(kSeed + 1);
  std::size_t total_grants = 0, total_refusals = 0;
  const std::vector<milliseconds> widths = {milliseconds(0),      milliseconds(1'000),
                                            milliseconds(10'000), milliseconds(30'000),
                                            milliseconds(60'000), milliseconds(150'000)};
  for (int c = 0; c < kBudgetCases; ++c) {
    Policy policy;
    if (chance(rng, 0.8)) policy.max_cancels_per_minute = static_cast<int>(between(rng, 1, 20));
    const int rules = static_cast<int>(between(rng, 1, 4));
    for (int i = 0; i < rules; ++i) {
      Rule r;
      r.name = "r" + std::to_string(i);
      r.max_elapsed = Millis(1);
      if (chance(rng, 0.6)) r.max_cancels_per_minute = static_cast<int>(between(rng, 1, 10));
      policy.rules.push_back(std::move(r));
    }
    if (!policy.max_cancels_per_minute && !policy.rules[0].max_cancels_per_minute)
      policy.rules[0].max_cancels_per_minute = 3;
    SCOPED_TRACE("case " + std::to_string(c));

    Clock::time_point t = Clock::time_point(std::chrono::hours(24));
    CancelBudget budget(policy, t);
    std::vector<Clock::time_point> all;
    std::map<std::string, std::vector<Clock::time_point>> by_rule;
    const int steps = static_cast<int>(between(rng, 50, 400));
    for (int s = 0; s < steps; ++s) {
      // Bursts at one instant, steady trickles, and long quiet gaps.
      const int kind = static_cast<int>(between(rng, 0, 9));
      if (kind < 4)
        t += milliseconds(0);
      else if (kind < 8)
        t += milliseconds(between(rng, 1, 5'000));
      else if (kind < 9)
        t += milliseconds(between(rng, 5'000, 40'000));
      else
        t += milliseconds(between(rng, 40'000, 200'000));
      // A reload of the same limits must not refill anything.
      if (chance(rng, 0.05)) budget.reconfigure(policy, t);
      const Rule& r = pick(rng, policy.rules);
      if (budget.try_spend(r, t)) {
        ++total_refusals;
        continue;
      }
      all.push_back(t);
      by_rule[r.name].push_back(t);
    }
    total_grants += all.size();

    // Tokens start at the per-minute figure P and refill continuously at P per minute, capped
    // at P: within any window of length W at most P + P*W/60s grants.
    const auto bound = [](int per_minute, milliseconds w) {
      return per_minute + per_minute * static_cast<double>(w.count()) / 60'000.0 + 1e-9;
    };
    for (const auto w : widths) {
      SCOPED_TRACE("window " + std::to_string(w.count()) + "ms");
      if (policy.max_cancels_per_minute) {
        EXPECT_LE(static_cast<double>(max_in_window(all, w)),
                  bound(*policy.max_cancels_per_minute, w));
      }
      for (const auto& r : policy.rules) {
        if (r.max_cancels_per_minute) {
          EXPECT_LE(static_cast<double>(max_in_window(by_rule[r.name], w)),
                    bound(*r.max_cancels_per_minute, w))
              << r.name;
        }
      }
    }
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(total_grants, static_cast<std::size_t>(kBudgetCases) * 10);
  EXPECT_GT(total_refusals, static_cast<std::size_t>(kBudgetCases) * 10);
}

// --- The fast paths against the rule-by-rule loop. ---

// Regexes as operators write them, and the corners of RE2 a set might treat differently:
// anchors, case folding, alternations, word boundaries, empty and catch-all patterns, UTF-8,
// repetition that makes a DFA grow.
const std::vector<std::string>& matcher_patterns() {
  static const std::vector<std::string> patterns = {"^MATCH",
                                                    "CREATE",
                                                    "exempt",
                                                    "RETURN\\s+n$",
                                                    "(?i)match",
                                                    "x{2,}",
                                                    "^$",
                                                    "\\(n\\)",
                                                    ".",
                                                    "",
                                                    "\\bDETACH\\s+DELETE\\b",
                                                    "client 9[0-9]{2}\\b",
                                                    "\\{code:'(SEA|LAX|JFK)'\\}",
                                                    "job:nightly|job:hourly",
                                                    "(?s)MATCH.*RETURN",
                                                    "\xC3\xA9",
                                                    "[\xC3\xA9\xC3\xA8]+",
                                                    "^\\s*/\\*",
                                                    "(a|b)*c{3}",
                                                    "\\d{4}-\\d{2}",
                                                    "(?m)^RETURN",
                                                    "\\pL{5}",
                                                    "[^a-z ]{3}",
                                                    "(?i)WATCHDOG:EXEMPT",
                                                    "M.{0,40}N"};
  return patterns;
}

std::shared_ptr<const re2::RE2> random_regex(std::mt19937& rng) {
  const std::string& pattern = pick(rng, matcher_patterns());
  if (!chance(rng, 0.1)) return re(pattern);
  // Now and then a regex compiled with other options than compile_regex's: a set cannot hold
  // it, so it is searched alone.
  re2::RE2::Options options;
  options.set_log_errors(false);
  if (chance(rng, 0.5))
    options.set_case_sensitive(false);
  else
    options.set_longest_match(true);
  return std::make_shared<re2::RE2>(pattern, options);
}

std::string random_text(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {"MATCH (n) ",
                                                  "RETURN n",
                                                  "CREATE ",
                                                  "/* watchdog:exempt */",
                                                  "exempt",
                                                  "x",
                                                  "xx",
                                                  "\xC3\xA9",
                                                  "DETACH DELETE ",
                                                  "client 957 ",
                                                  "{code:'SEA'}",
                                                  "job:nightly",
                                                  "\n",
                                                  " ",
                                                  "2026-11",
                                                  "ccc",
                                                  "ab",
                                                  "\xFF",
                                                  "\xF0\x9F\x98\x80",
                                                  "return",
                                                  "N",
                                                  "M"};
  std::string text;
  const int kind = static_cast<int>(between(rng, 0, 9));
  if (kind == 0) return "";
  if (kind == 1) {
    // Around Neptune's cut: 1,023 to 1,025 characters, some of them two bytes long.
    const std::size_t chars = static_cast<std::size_t>(between(rng, 1023, 1025));
    for (std::size_t i = 0; i < chars; ++i) text += chance(rng, 0.1) ? "\xC3\xA9" : "x";
    if (chance(rng, 0.5)) text.replace(0, 5, "MATCH");
    return text;
  }
  const int n = static_cast<int>(between(rng, 1, 8));
  for (int i = 0; i < n; ++i) text += pick(rng, pieces);
  return text;
}

Rule random_matcher_rule(std::mt19937& rng, int i) {
  Rule r;
  r.name = "r" + std::to_string(i);
  r.max_elapsed = Millis(between(rng, 0, 10'000));
  if (chance(rng, 0.8)) r.query_matches = random_regex(rng);
  if (chance(rng, 0.5)) r.query_excludes = random_regex(rng);
  if (chance(rng, 0.3)) r.active = pick(rng, pools().windows);
  if (chance(rng, 0.2)) r.languages.insert(static_cast<Language>(between(rng, 0, 2)));
  if (chance(rng, 0.1)) r.languages.insert(static_cast<Language>(between(rng, 0, 2)));
  if (chance(rng, 0.2)) {
    static const std::vector<std::string> patterns = {"writer", "reader-*", "reader-?",
                                                      "*",      "w?iter",   "nowhere"};
    const int n = static_cast<int>(between(rng, 1, 2));
    for (int k = 0; k < n; ++k) r.endpoints.push_back(pick(rng, patterns));
  }
  return r;
}

std::vector<std::uint32_t> selecting_one_by_one(const Policy& policy, const std::string& text) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < policy.rules.size(); ++i)
    if (policy.rules[i].selects(text)) out.push_back(i);
  return out;
}

TEST(PolicyProperty, OnePassSelectsExactlyWhatEachRuleSelects) {
  std::mt19937 rng(kSeed + 2);
  std::size_t selected = 0, empty = 0;
  for (int c = 0; c < kMatcherCases; ++c) {
    const auto now = kMonday + std::chrono::seconds(between(rng, 0, 14 * 24 * 3600));
    Policy policy;
    const int rules = static_cast<int>(between(rng, 0, chance(rng, 0.1) ? 120 : 12));
    for (int i = 0; i < rules; ++i) policy.rules.push_back(random_matcher_rule(rng, i));
    const RuleMatcher matcher(policy.rules);
    EXPECT_TRUE(matcher.built_for(policy.rules));
    std::vector<std::uint32_t> fast;
    for (int t = 0; t < 40; ++t) {
      const std::string text = random_text(rng);
      const Language language = static_cast<Language>(between(rng, 0, 2));
      static const std::vector<std::string> endpoints = {"", "writer", "reader-1", "reader-10",
                                                         "analytics"};
      const std::string endpoint = pick(rng, endpoints);
      SCOPED_TRACE("case " + std::to_string(c) + " text '" + text.substr(0, 60) + "'");
      matcher.selecting(text, fast);
      ASSERT_EQ(fast, selecting_one_by_one(policy, text));
      // First rule in file order, language, endpoint and window applied: as governing_rule.
      std::optional<std::size_t> first;
      for (std::uint32_t i : fast) {
        const Rule& r = policy.rules[i];
        const bool on_endpoint =
            endpoint.empty() || r.endpoints.empty() ||
            std::any_of(r.endpoints.begin(), r.endpoints.end(), [&](const std::string& p) {
              return p == "*" || p == endpoint || (p == "w?iter" && endpoint == "writer") ||
                     (p == "reader-*" && endpoint.rfind("reader-", 0) == 0) ||
                     (p == "reader-?" && endpoint == "reader-1");
            });
        if (r.covers(language) && on_endpoint && r.active_at(now)) {
          first = i;
          break;
        }
      }
      ASSERT_EQ(first, policy.governing_rule(text, now, language, endpoint));
      selected += fast.size();
      empty += fast.empty();
    }
  }
  // The generator must produce both outcomes, often.
  EXPECT_GT(selected, static_cast<std::size_t>(kMatcherCases) * 20);
  EXPECT_GT(empty, static_cast<std::size_t>(kMatcherCases));
}

TEST(PolicyProperty, MatcherNoticesOtherRules) {
  std::mt19937 rng(kSeed + 3);
  Policy policy;
  for (int i = 0; i < 5; ++i) policy.rules.push_back(random_matcher_rule(rng, i));
  const RuleMatcher matcher(policy.rules);
  Policy copy = policy;  // copies share the compiled regexes
  EXPECT_TRUE(matcher.built_for(copy.rules));
  copy.rules[2].query_matches = re("recompiled");
  EXPECT_FALSE(matcher.built_for(copy.rules));
  copy = policy;
  copy.rules.pop_back();
  EXPECT_FALSE(matcher.built_for(copy.rules));
}

std::string evaluation_line(const Evaluation& e) {
  return std::to_string(e.query_index) + " " + std::string(to_string(e.verdict)) + " " +
         (e.rule_index ? std::to_string(*e.rule_index) : "-") + " " + std::to_string(e.excess_ms) +
         " " + e.reason;
}

std::vector<std::string> evaluation_lines(const std::vector<Evaluation>& evaluations) {
  std::vector<std::string> out;
  for (const auto& e : evaluations) out.push_back(evaluation_line(e));
  return out;
}

TEST(PolicyProperty, RememberedSelectionDecidesAsMatchingAfresh) {
  // Poll after poll through one memo: ids stay (mostly with their text, sometimes reused for
  // another), come and go; the language changes; the configuration is reloaded now and then,
  // or its rules edited in place. Every evaluation equals the one made without a memo.
  std::mt19937 rng(kSeed + 4);
  std::size_t hits = 0;
  for (int c = 0; c < kMemoCases; ++c) {
    const auto bound = static_cast<std::size_t>(chance(rng, 0.8) ? 1'000 : between(rng, 0, 6));
    RuleMemo memo(bound);
    auto now = kMonday + std::chrono::seconds(between(rng, 0, 14 * 24 * 3600));
    Policy policy = random_policy(rng, now);
    for (std::size_t i = 0; i < policy.rules.size(); ++i)
      if (chance(rng, 0.3)) policy.rules[i] = random_matcher_rule(rng, static_cast<int>(i));
    std::vector<QueryStatus> live;
    const int polls = static_cast<int>(between(rng, 2, 8));
    for (int poll = 0; poll < polls; ++poll) {
      if (chance(rng, 0.15)) policy = random_policy(rng, now);  // a reload
      if (chance(rng, 0.1) && !policy.rules.empty())            // an edit of one rule's regex
        policy
            .rules[static_cast<std::size_t>(
                between(rng, 0, static_cast<std::int64_t>(policy.rules.size()) - 1))]
            .query_matches = random_regex(rng);
      now += std::chrono::minutes(between(rng, 0, 600));
      // Some queries end, some text is reused under an old id, new queries arrive.
      std::vector<QueryStatus> next;
      for (auto& q : live) {
        if (chance(rng, 0.2)) continue;
        if (chance(rng, 0.1)) q.text = random_text(rng);
        q.elapsed_ms += between(rng, 0, 5'000);
        next.push_back(q);
      }
      const StatusSnapshot fresh = random_snapshot(rng);
      for (auto q : fresh.queries) {
        if (chance(rng, 0.5)) q.text = random_text(rng);
        next.push_back(std::move(q));
      }
      live = next;
      StatusSnapshot snapshot;
      snapshot.language =
          chance(rng, 0.8) ? Language::opencypher : static_cast<Language>(between(rng, 0, 2));
      snapshot.queries = live;
      SCOPED_TRACE("case " + std::to_string(c) + " poll " + std::to_string(poll) + ": " +
                   describe(snapshot, policy, now));
      const auto expected = evaluation_lines(evaluate(snapshot, policy, now));
      ASSERT_EQ(evaluation_lines(evaluate(snapshot, policy, now, &memo)), expected);
      // decide() through the memo: the same decisions as without.
      const auto plain = decide(snapshot, policy, now);
      const auto memoized = decide(snapshot, policy, now, &memo);
      ASSERT_EQ(plain.size(), memoized.size());
      for (std::size_t k = 0; k < plain.size(); ++k) {
        EXPECT_EQ(plain[k].query_index, memoized[k].query_index);
        EXPECT_EQ(plain[k].rule_index, memoized[k].rule_index);
        EXPECT_EQ(plain[k].reason, memoized[k].reason);
      }
      EXPECT_LE(memo.size(), bound);
    }
    hits += memo.hits();
  }
  EXPECT_GT(hits, static_cast<std::size_t>(kMemoCases));
}

}  // namespace
}  // namespace nw
