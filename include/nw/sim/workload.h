#pragma once
// The simulated query population of one query language on one Neptune instance: what
// that language's status endpoint would report at any moment (each language has its
// own queue and worker slots). Pure: no I/O, no threads, no clock of its own.
// Every call takes "now" in milliseconds on some monotonic clock, so tests replay a run
// exactly; the server passes steady_clock time. Not thread-safe: the caller locks.
//
// Model. Synthetic queries arrive as a Poisson process. Each needs one of `workers`
// slots to run (Neptune runs a bounded number of queries at once and queues the rest);
// one that arrives while all slots are busy waits in FIFO order. While it waits its
// `waited` clock grows and `elapsed` stays 0; when a slot frees, the oldest waiting
// query starts, its `waited` freezes and `elapsed` grows from 0. Runtimes are
// log-normal (heavy-tailed, as real graph workloads are) and capped. A finished or
// cancelled query disappears at once, as it does from Neptune's status servlet.
//
// Injected queries are placed by an operator or a test to stage a situation: they are
// pinned (hold no worker slot and never change state), their clocks start at the given
// values and grow in real time, and they stay until their runtime ends or a cancel.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nw/sim/parsed.h"
#include "nw/sim/query_language.h"
#include "nw/sim/seeded_random.h"

namespace nw::sim {

struct WorkloadConfig {
  // Picks the synthetic query texts, and separates the random streams: workloads of
  // different languages on one seed draw unrelated ids. openCypher keeps the streams it
  // always had, so a seed replays the same openCypher run as before.
  Language language = Language::opencypher;
  std::uint64_t seed = 1;
  double arrival_rate = 2.0;  // synthetic queries per second; 0: none
  int workers = 8;            // queries that can run at once (>= 1)
  std::int64_t runtime_median_ms = 2'000;
  std::int64_t runtime_max_ms = 600'000;  // no synthetic query runs longer
  double runtime_sigma = 1.5;             // log-normal shape: ~7% run over 10x the median
  // Neptune's queue holds 8,192 requests and rejects more (ThrottlingException). The
  // simulator drops such arrivals, which also bounds its memory under overload.
  std::size_t max_waiting = 8'192;
};

// One query as the status endpoint shows it.
struct QueryView {
  std::string id;
  std::string text;
  std::int64_t waited_ms = 0;
  std::int64_t elapsed_ms = 0;
  bool running = false;
};

struct WorkloadSnapshot {
  std::vector<QueryView> queries;   // in acceptance order
  std::int64_t accepted_count = 0;  // running + waiting, whatever was asked for
  std::int64_t running_count = 0;
  // Every query accepted since the workload started, finished ones included: what
  // SPARQL reports as acceptedQueryCount.
  std::int64_t accepted_since_start = 0;
};

// A query staged through the control API.
struct InjectedQuery {
  std::string id;  // empty: generate one
  std::string text;
  bool running = true;          // false: waiting
  std::int64_t elapsed_ms = 0;  // must be 0 for a waiting query
  std::int64_t waited_ms = 0;
  std::optional<std::int64_t> runtime_ms;  // ms after injection until it ends; none: never
  // Acknowledge cancels but keep running: a query whose cancel does not take effect.
  bool ignore_cancel = false;
};

struct CancelOutcome {
  bool found = false;
  std::int64_t elapsed_ms = 0;  // the query's clocks at the moment of the cancel
  std::int64_t waited_ms = 0;
  std::string text;  // the query's full text (before Neptune's 1024-character cut)
};

struct WorkloadCounters {
  std::int64_t accepted = 0;  // synthetic arrivals admitted + injections
  std::int64_t rejected = 0;  // synthetic arrivals dropped because the queue was full
  std::int64_t finished = 0;  // ended by their runtime
  std::int64_t cancelled = 0;
  std::int64_t running = 0;
  std::int64_t waiting = 0;
};

// The realistic texts synthetic queries are drawn from, per language. Some carry a
// `watchdog:exempt` marker so that demos can show an exclusion rule at work: a
// `/* watchdog:exempt */` comment in openCypher, `g.with('watchdog:exempt', true)` in
// Gremlin, a `# watchdog:exempt` comment line in SPARQL.
const std::vector<std::string>& synthetic_query_texts(Language language = Language::opencypher);

class Workload {
 public:
  Workload(WorkloadConfig config, std::int64_t start_ms);

  // Plays arrivals, starts and finishes up to now_ms. Time never goes back: an earlier
  // now_ms is treated as the latest one seen. The other calls advance first themselves.
  void advance_to(std::int64_t now_ms);

  WorkloadSnapshot snapshot(std::int64_t now_ms, bool include_waiting);
  std::optional<QueryView> find(std::string_view id, std::int64_t now_ms);
  // Removes the query at once; a freed worker slot goes to the oldest waiting query. A query
  // injected with ignore_cancel is found (the cancel is acknowledged) but stays.
  CancelOutcome cancel(std::string_view id, std::int64_t now_ms);
  // Fails on a duplicate id or an impossible state (negative clocks, a waiting query
  // with elapsed time, a runtime <= 0).
  Parsed<QueryView> inject(InjectedQuery query, std::int64_t now_ms);

  WorkloadCounters counters(std::int64_t now_ms);

 private:
  struct Query {
    std::uint64_t seq = 0;  // acceptance order
    std::string id;
    std::string text;
    bool pinned = false;
    bool running = false;
    std::int64_t waiting_since_ms = 0;  // waited = now - this, while waiting
    std::int64_t waited_final_ms = 0;   // waited, frozen once running
    std::int64_t started_ms = 0;        // elapsed = now - this, while running
    std::int64_t runtime_ms = 0;        // synthetic only: how long it runs once started
    bool ignore_cancel = false;         // acknowledged cancels leave it running
  };
  // (end time, seq): the next query to finish is on top; ties go to the older query so
  // that a replay does not depend on container order.
  using EndEvent = std::pair<std::int64_t, std::uint64_t>;

  QueryView view(const Query& q) const;
  void admit(Query q);
  void start(Query& q, std::int64_t at_ms);
  void arrive(std::int64_t at_ms);
  void remove(std::uint64_t seq, std::int64_t at_ms);
  void fill_free_slots(std::int64_t at_ms);
  std::int64_t sample_runtime_ms();

  WorkloadConfig config_;
  SeededRandom random_;        // synthetic arrivals: gaps, ids, texts, runtimes
  SeededRandom injected_ids_;  // ids for injected queries that came without one
  std::int64_t now_ms_;
  double next_arrival_ms_;
  std::uint64_t next_seq_ = 0;
  // Every query Neptune would list, in acceptance order; the other members index it.
  std::map<std::uint64_t, Query> queries_;
  std::unordered_map<std::string, std::uint64_t> seq_by_id_;
  std::deque<std::uint64_t> queue_;  // synthetic queries waiting for a slot, FIFO
  std::size_t busy_workers_ = 0;     // synthetic queries running
  // Ends of running queries with a runtime. Entries of cancelled queries stay until
  // they surface and are then skipped: cheaper than searching the heap on each cancel.
  std::priority_queue<EndEvent, std::vector<EndEvent>, std::greater<EndEvent>> ends_;
  WorkloadCounters counters_;
};

}  // namespace nw::sim
