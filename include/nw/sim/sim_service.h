#pragma once
// The simulator behind its HTTP server: routes a request, applies the fault plan, asks
// the workload, and writes Neptune's answer. Knows nothing of sockets, so the whole
// protocol is testable with plain structs; SimServer only moves bytes. Thread-safe: the
// HTTP server calls handle() from many threads; one mutex guards all state, and the
// workload is advanced to the clock's "now" under it on every request.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "nw/sim/fault_plan.h"
#include "nw/sim/request_router.h"
#include "nw/sim/seeded_random.h"
#include "nw/sim/workload.h"

namespace nw::sim {

inline constexpr const char* kJsonContentType = "application/json; charset=UTF-8";

struct SimRequest {
  std::string method;
  std::string target;  // "/path?query" as received, still percent-encoded
  std::string content_type;
  std::string body;
};

struct SimResponse {
  int status = 200;
  std::string content_type = kJsonContentType;
  std::string body;
};

// One cancel as the simulator received it (also the ones for unknown ids).
struct CancelRecord {
  std::string query_id;
  bool silent = false;
  Api api = Api::rest;
  bool found = false;
  std::int64_t elapsed_ms = 0;  // the query's clocks when it was cancelled; 0 if not found
  std::int64_t waited_ms = 0;
};

// "cancel query_id=<id> silent=<bool> api=<rest|legacy> found=<bool> elapsed_ms=<n> waited_ms=<n>"
// Control characters in the id become '?', so one cancel is always one line.
std::string cancel_log_line(const CancelRecord& record);

class SimService {
 public:
  using Clock = std::function<std::int64_t()>;  // monotonic milliseconds
  using CancelObserver = std::function<void(const CancelRecord&)>;

  // `on_cancel` runs under the service's lock, so observers see cancels in the order
  // /sim/cancels lists them; it should only print.
  SimService(WorkloadConfig workload, FaultPlan faults, Clock clock, CancelObserver on_cancel = {});

  SimResponse handle(const SimRequest& request);

  // An error in Neptune's shape with a fresh requestId, for failures the HTTP layer
  // detects itself (an oversized body).
  SimResponse error_response(int status, std::string_view code, std::string_view message);

  // Cuts injected delays short so that the server can stop at once.
  void shut_down();

  std::vector<CancelRecord> cancels() const;

 private:
  SimResponse respond(const Route& route, const SimRequest& request);
  SimResponse cancel(const Route& route);
  SimResponse inject(const SimRequest& request);
  SimResponse stats();
  SimResponse error(int status, std::string_view code,
                    std::string_view message);  // caller holds mutex_

  struct RequestCounters {
    std::int64_t status = 0;
    std::int64_t cancel = 0;
    std::int64_t faults_429 = 0;
    std::int64_t faults_408 = 0;
    std::int64_t faults_500 = 0;
    std::int64_t faults_delay = 0;
  };

  mutable std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  Clock clock_;
  CancelObserver on_cancel_;
  Workload workload_;
  FaultPlan faults_;
  SeededRandom request_ids_;
  std::vector<CancelRecord> cancels_;
  RequestCounters counters_;
};

}  // namespace nw::sim
