#pragma once
// Deadline scheduling: Neptune reports each query's `elapsed` (or, while it is queued, its
// `waited`) in milliseconds, so one poll tells the exact instant each query will break the
// limit of the rule that governs it. The poller wakes at that instant and acts on the query's
// last observation advanced by the time since (or, with confirm_by_id, on Neptune's answer to
// a status request for it by id), instead of waiting for the next poll: a fixed interval
// would let a query run up to a whole interval past its limit.
//
// What is projected, and why it is safe:
// - A running query's `elapsed` only grows, so "observed elapsed + time since" never
//   overstates it as long as the observation instant is taken after Neptune's answer arrived.
//   A query that ended meanwhile answers the cancel with "not found", which is harmless. A
//   new query that a client started under the same id would be taken for the old one: that
//   is what confirm_by_id is for.
// - A queued query's `waited` stops when it starts running, so a projection could condemn a
//   query that started in time. Queued crossings are therefore marked `needs_fresh_status`:
//   the poller polls again at that instant instead of projecting.
// - Concurrency guards, rules whose time window opens later and protections that expire are
//   left to the regular polls: they depend on more than one query's clock.
// Pure: no I/O, no clocks of its own.
#include <chrono>
#include <cstdint>
#include <vector>

#include "nw/core/decide.h"
#include "nw/core/policy.h"
#include "nw/core/query_status.h"
#include "nw/core/rule_memo.h"

namespace nw {

struct Crossing {
  std::size_t query_index = 0;  // into the snapshot it was computed from
  // Milliseconds after the observation at which the query breaks its governing rule's limit
  // (the limit is exceeded, not reached: a query of exactly max_elapsed keeps it).
  std::int64_t due_after_ms = 0;
  bool needs_fresh_status = false;  // a queued query's `waited` limit: poll, do not project
};

// The upcoming limit crossings of a snapshot's queries, earliest first: one per query that a
// rule governs at `now`, that is within that rule's limits now, and that will break one of
// them if it keeps running (or waiting). Protected, ignored and unselected queries have none.
// With the poll loop's memo, the texts the poll's own decisions just matched are not matched again.
std::vector<Crossing> upcoming_crossings(const StatusSnapshot& snapshot, const Policy& policy,
                                         std::chrono::system_clock::time_point now,
                                         RuleMemo* memo = nullptr);

// The same from evaluations of `snapshot` already made.
std::vector<Crossing> crossings_of(const std::vector<Evaluation>& evaluations,
                                   const StatusSnapshot& snapshot, const Policy& policy);

// What one observation calls for, from one evaluation at one `now`: the decisions to act on
// now and, when asked, the limit crossings ahead. The poll loop assesses each poll once, so the
// decisions and the schedule of crossings can never disagree about a query (two evaluations
// at two instants could: a protection or a time window changing in between).
struct Assessment {
  std::vector<Decision> decisions;  // in snapshot order
  std::vector<Crossing> crossings;  // earliest first; empty unless asked for
  // Per rule of the policy (by index): the queries it governs, whether it condemns them or
  // they keep its limits. A rule at 0 poll after poll selects nothing: a dead rule.
  std::vector<std::size_t> governed;
};
// With overrides, quarantined shapes and temporary protections count as evaluate() says.
Assessment assess(const StatusSnapshot& snapshot, const Policy& policy,
                  std::chrono::system_clock::time_point now, RuleMemo* memo, bool with_crossings,
                  Overrides overrides = {});

// The queries at `indexes` of `seen`, with their clocks advanced by `since_ms`: `elapsed` for
// running queries, `waited` for queued ones. Counts are those of `seen`.
StatusSnapshot project(const StatusSnapshot& seen, const std::vector<std::size_t>& indexes,
                       std::int64_t since_ms);

// Rules with a limit shorter than `poll_interval`: a query that starts between two polls and
// breaks such a limit is first seen by the next poll, so it can be late by up to the difference.
struct ShortLimit {
  std::size_t rule_index = 0;
  const char* key = "";  // "max_elapsed" or "max_waited"
  Millis limit{0};
};
std::vector<ShortLimit> limits_shorter_than(const Policy& policy, Millis poll_interval);

}  // namespace nw
