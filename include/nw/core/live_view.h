#pragma once
// The live view of one instance, as `status` and `top` show it: every query of its last
// status answer with what the rules think of it now: the governing rule, its limit for the
// query's state, how long until the rule acts, and the reason in words. Pure: the snapshot,
// the policy and the instant come in; the daemon's admin socket and `top` without a daemon
// both build it here, so the two can never disagree.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nw/core/decide.h"
#include "nw/core/policy.h"
#include "nw/core/query_status.h"

namespace nw {

struct LiveQuery {
  std::string id;
  bool queued = false;
  std::int64_t elapsed_ms = 0;
  std::int64_t waited_ms = 0;
  std::string text;
  std::string fingerprint;  // 16 hex digits; empty when the query shows no text
  Verdict verdict = Verdict::unselected;
  std::string rule;    // the governing rule's name; empty when none governs it
  std::string reason;  // evaluate()'s reason, in words
  // The governing rule's limit on the query's clock now (max_elapsed while running, max_waited
  // while queued), if it has one.
  std::optional<std::int64_t> limit_ms;
  // How long until the rule acts: 0 when it acts now (a limit broken, a guard, a quarantine);
  // absent when nothing will act on its clock (protected, unselected, no limit on that clock).
  std::optional<std::int64_t> action_in_ms;
};

// One instance (an endpoint and a language) in the live view.
struct LiveInstance {
  std::string endpoint;  // the [endpoint.NAME], or CLUSTER/INSTANCE
  Language language = Language::opencypher;
  std::string role;  // "writer", "reader"; empty for a typed endpoint
  // The last successful poll's instant; absent before the first.
  std::optional<std::chrono::system_clock::time_point> polled_at;
  std::string last_error;          // of the last poll; empty when it succeeded
  std::uint64_t failed_polls = 0;  // since the loop started
  std::vector<LiveQuery> queries;  // of the last successful poll
};

// An instance's header line in `status` and `top`: how many of its queries run and wait, the
// oldest one's age, and how long before `at` it was polled (absent: not yet).
struct LiveSummary {
  std::int64_t running = 0;
  std::int64_t queued = 0;
  std::int64_t oldest_ms = 0;
  std::optional<std::int64_t> poll_age_ms;
};
LiveSummary summarize(const LiveInstance& instance, std::chrono::system_clock::time_point at);

// Everything `status` shows and `top` draws.
struct LiveFleet {
  std::chrono::system_clock::time_point at;  // when the view was made
  std::string config_version;
  std::string pause;  // describe_pause() of the operator's pause in force; empty: none
  std::size_t temporary_protections = 0;
  std::vector<LiveInstance> instances;  // by endpoint, then language
};

// The queries of `snapshot`, in its order, judged at `now` under `policy` and `overrides`.
std::vector<LiveQuery> live_queries(const StatusSnapshot& snapshot, const Policy& policy,
                                    std::chrono::system_clock::time_point now,
                                    Overrides overrides = {});

// Sort orders of the live view: by time to action (soonest first, then the oldest), or by age
// (the oldest first).
enum class LiveSort { action, age };

// Sorts `queries` by `sort`; ties by id, so that a refreshed view does not jump around.
void sort_live(std::vector<LiveQuery>& queries, LiveSort sort);

}  // namespace nw

namespace nw {

// The live view as text, for `status` and scripts: per instance a header line (running,
// queued, the oldest, the last poll's age, failed polls, its last error) and a row per query,
// sorted by time to action, cut to `width` columns (0: no limit). Text from the wire is made
// safe for a terminal.
std::string format_live_text(const LiveFleet& fleet, std::size_t width = 0);

// "1.2s", "3m04s", "2h05m": a duration in milliseconds, short.
std::string short_duration(std::int64_t ms);

}  // namespace nw
