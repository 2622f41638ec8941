#pragma once
// Fault injection for the status endpoints: which requests get a throttling error or a
// slow answer, so that operators and tests can watch the watchdog retry and back off.
// Pure: decisions come from a seeded random stream and the order of requests only.
//
// A spec, as given to --fault:
//   KIND[,share=F][,count=N][,on=status|cancel|all][,during=FROM..TO]
//   KIND  429 (TooManyRequestsException), 408 (ClientTimeoutException),
//         500 (ThrottlingException), or delay=DURATION (answer normally, but late).
//   share=F  apply to that random share (0..1) of the requests it sees
//   count=N  apply at most N times (alone: to the first N requests it sees)
//   on=      which requests it sees: status (list and single-query), cancel, or all
//   during=  which requests it sees by time since the simulator started: from FROM
//            (included) to TO (excluded), e.g. during=60s..90s; during=60s.. has no end.
//            A count only counts the requests inside the window.
// Specs are tried in the order given. Every delay that fires adds up; the first error
// that fires answers the request, and specs after it do not see that request (so
// "--fault 429,count=2 --fault 500,count=1" gives 429, 429, 500, then normal answers).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nw/sim/parsed.h"
#include "nw/sim/seeded_random.h"

namespace nw::sim {

enum class FaultKind { too_many_requests, client_timeout, throttling, delay };
enum class FaultScope { status, cancel, all };
enum class RequestKind { status, cancel };

// A span of time since the simulator started, in milliseconds: [from_ms, to_ms).
struct FaultWindow {
  std::int64_t from_ms = 0;
  std::optional<std::int64_t> to_ms;  // none: open-ended
  bool contains(std::int64_t since_start_ms) const {
    return since_start_ms >= from_ms && (!to_ms || since_start_ms < *to_ms);
  }
};

struct FaultSpec {
  FaultKind kind = FaultKind::too_many_requests;
  std::int64_t delay_ms = 0;  // only for FaultKind::delay
  std::optional<double> share;
  std::optional<std::int64_t> count;
  FaultScope on = FaultScope::all;
  std::optional<FaultWindow> during;  // none: always
};

Parsed<FaultSpec> parse_fault_spec(std::string_view text);

// "429", "408", "500" or "delay": the names used on the command line and in /sim/stats.
std::string_view fault_name(FaultKind kind);

// What Neptune would send for an error fault.
struct FaultError {
  int http_status = 0;
  std::string_view code;     // e.g. "TooManyRequestsException"
  std::string_view message;  // detailedMessage
};
FaultError fault_error(FaultKind kind);  // kind != delay

struct FaultDecision {
  std::int64_t delay_ms = 0;
  std::optional<FaultKind> error;  // never FaultKind::delay
  bool none() const { return delay_ms == 0 && !error; }
};

class FaultPlan {
 public:
  FaultPlan() = default;  // no faults
  FaultPlan(std::vector<FaultSpec> specs, std::uint64_t seed);

  // Decides for one request that arrived `since_start_ms` after the simulator started,
  // and updates the counts. Not thread-safe: the caller locks.
  FaultDecision decide(RequestKind request, std::int64_t since_start_ms);

 private:
  struct ArmedSpec {
    FaultSpec spec;
    std::int64_t applied = 0;
  };
  std::vector<ArmedSpec> specs_;
  SeededRandom random_{1, 0};
};

}  // namespace nw::sim
