#pragma once
// The simulator behind its HTTP server: routes a request, applies the fault plan, asks
// the workload of the request's language, and writes Neptune's answer. One service is
// one Neptune instance: openCypher, Gremlin and SPARQL, each with its own workload
// (queue and worker slots), one fault plan and one cancel log. Knows nothing of
// sockets, so the whole protocol is testable with plain structs; SimServer only moves
// bytes. Thread-safe: the HTTP server calls handle() from many threads; one mutex
// guards all state, and a workload is advanced to the clock's "now" under it whenever
// it is asked.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nw/sim/fault_plan.h"
#include "nw/sim/neptune_json.h"
#include "nw/sim/query_language.h"
#include "nw/sim/request_router.h"
#include "nw/sim/seeded_random.h"
#include "nw/sim/sim_handler.h"
#include "nw/sim/wire_fault.h"
#include "nw/sim/workload.h"

namespace nw::sim {

// One cancel as the simulator received it (also the ones for unknown ids).
struct CancelRecord {
  std::string query_id;
  bool silent = false;
  Api api = Api::rest;
  bool found = false;
  std::int64_t elapsed_ms = 0;  // the query's clocks when it was cancelled; 0 if not found
  std::int64_t waited_ms = 0;
  Language language = Language::opencypher;  // whose status servlet received it
  // The cancelled query's full text, so that a checker can tell what each cancel was
  // for; empty when no query had that id.
  std::string query;
};

// "cancel query_id=<id> silent=<bool> api=<rest|legacy> found=<bool> elapsed_ms=<n>
//  waited_ms=<n> language=<opencypher|gremlin|sparql>[ instance=<i>] query=<JSON string>",
// on one line. Control characters in the id become '?'; the text is a JSON string (its
// newlines escaped) and comes last, so that it runs to the end of the line whatever it
// holds. One cancel is always one line.
std::string cancel_log_line(const CancelRecord& record, std::optional<int> instance = {});

class SimService : public SimHandler {
 public:
  using Clock = std::function<std::int64_t()>;  // monotonic milliseconds
  using CancelObserver = std::function<void(const CancelRecord&)>;

  // `on_cancel` runs under the service's lock, so observers see cancels in the order
  // /sim/cancels lists them; it should only print.
  // `workload` configures every language's workload (its `language` field is ignored);
  // only the languages in `synthetic` get synthetic arrivals, the others hold injected
  // queries only. The first form gives openCypher alone a synthetic workload.
  SimService(WorkloadConfig workload, FaultPlan faults, Clock clock, CancelObserver on_cancel = {});
  SimService(WorkloadConfig workload, const std::vector<Language>& synthetic, FaultPlan faults,
             Clock clock, CancelObserver on_cancel = {});

  SimResponse handle(const SimRequest& request) override;

  // An error in Neptune's shape with a fresh requestId, for failures the HTTP layer
  // detects itself (an oversized body).
  SimResponse error_response(int status, std::string_view code, std::string_view message) override;

  // Cuts injected delays short so that the server can stop at once.
  void shut_down();

  // Waits `ms` (the HTTP layer's slow answers) unless the service is shutting down or
  // does so meanwhile; false then, and the caller should stop sending.
  bool pause(std::int64_t ms) override;
  bool stopping() const override;

  std::vector<CancelRecord> cancels() const;

 private:
  SimResponse respond(const Route& route, const SimRequest& request, const ListQuirks& quirks);
  // The answer as a fault decision leaves it: errors, broken bodies, wire behaviour.
  SimResponse apply_faults(const Route& route, const SimRequest& request,
                           const FaultDecision& decision);
  SimResponse list(const Route& route, const ListQuirks& quirks = {});
  SimResponse status(const Route& route, const ListQuirks& quirks = {});
  SimResponse cancel(const Route& route);
  SimResponse inject(const SimRequest& request);
  SimResponse stats();
  SimResponse error(int status, std::string_view code,
                    std::string_view message);  // caller holds mutex_

  Workload& workload(Language language) { return workloads_[language_index(language)]; }

  struct RequestCounters {
    std::int64_t status = 0;  // all languages
    std::int64_t cancel = 0;
    std::int64_t status_by_language[kLanguages.size()] = {};
    std::int64_t cancel_by_language[kLanguages.size()] = {};
    std::int64_t faults[kFaultKinds] = {};  // by FaultKind: how often each fired
  };

  mutable std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  Clock clock_;
  std::int64_t start_ms_ = 0;  // the clock when the service was made: fault windows count from it
  CancelObserver on_cancel_;
  std::vector<Workload> workloads_;  // indexed by language_index()
  FaultPlan faults_;
  SeededRandom request_ids_;
  std::vector<CancelRecord> cancels_;
  RequestCounters counters_;
};

}  // namespace nw::sim
