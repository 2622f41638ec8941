#pragma once
// Fault injection for the status and cancel endpoints: which requests get a Neptune error,
// a slow or broken answer, or a status list that is sound JSON in structure but strange,
// so that operators and tests can watch the watchdog retry, back off, refuse what it
// cannot trust, and recover. Pure: decisions come from a seeded random stream, the order of
// requests and their time since the start only. The bytes themselves are written by
// SimService (bodies) and SimServer (the wire).
//
// A spec, as given to --fault:
//   KIND[,share=F][,count=N][,on=status|cancel|all][,during=FROM..TO]
//   KIND  Neptune errors:
//           429 (TooManyRequestsException), 408 (ClientTimeoutException),
//           500 (ThrottlingException)
//         Slow answers (they add up with each other and with everything else):
//           delay=D         wait D, then work out the answer (fresh clocks)
//           slow-headers=D  work out the answer, then hold it D before the status line
//           trickle=D       send the body a few bytes at a time, spread over D
//         Broken answers (the request is served, then its answer is damaged):
//           reset           headers and part of the body, then a TCP reset
//           truncated       Content-Length of the whole body, half of it, then close
//           not-json        200, application/json, but an HTML error page
//           huge=SIZE       200 with a body of SIZE bytes (e.g. 100MB, 64MiB), streamed:
//                           a status list padded with filler queries
//           huge-chunked=SIZE  the same body, sent with Transfer-Encoding: chunked and no
//                           Content-Length (the client learns its size only by reading it)
//           wrong-type      the answer as is, but Content-Type: text/html
//           drip-chunk=D    the answer chunked, its chunk-size line sent one byte at a time
//                           over D (a chunk extension pads it), then the body, then close
//           extra-response  the answer, kept alive, and in the same write a complete second
//                           answer nobody asked for: 200 with a cancel's success body, which
//                           a client that reuses the connection takes as its next answer
//         Strange status lists (JSON in structure; status requests only):
//           duplicate-ids   some queries are listed twice under the same queryId
//           bad-numbers     elapsed/waited negative or past 64 bits
//                           (e.g. 99999999999999999999999)
//           malformed-entries  three more entries ahead of the others, each malformed in one
//                           way: a negative elapsed, a lone surrogate (\ud800) in the
//                           queryString, bytes that are not UTF-8 in the queryString
//   share=F  apply to that random share (0..1) of the requests it sees
//   count=N  apply at most N times (alone: to the first N requests it sees)
//   on=      which requests it sees: status (list and single-query), cancel, or all
//   during=  which requests it sees by time since the simulator started: from FROM
//            (included) to TO (excluded), e.g. during=60s..90s; during=60s.. has no end.
//            A count only counts the requests inside the window.
// Specs are tried in the order given. Slow answers and strange lists add up; the first
// error or broken answer that fires decides the request, and specs after it do not see
// that request (so "--fault 429,count=2 --fault 500,count=1" gives 429, 429, 500, then
// normal answers). An error answers without serving the request (a cancel does not
// happen); a broken answer damages a served one (a cancel does happen, its reply is lost).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nw/sim/parsed.h"
#include "nw/sim/seeded_random.h"

namespace nw::sim {

enum class FaultKind {
  too_many_requests,
  client_timeout,
  throttling,
  delay,
  slow_headers,
  trickle,
  reset,
  truncated,
  not_json,
  huge,
  huge_chunked,
  wrong_type,
  drip_chunk,
  extra_response,
  duplicate_ids,
  bad_numbers,
  malformed_entries,
};
inline constexpr std::size_t kFaultKinds = 17;

// What a kind does to a request (see the spec above).
enum class FaultClass { error, slow, broken, strange_list };
FaultClass fault_class(FaultKind kind);
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
  std::int64_t delay_ms = 0;    // delay, slow-headers, trickle, drip-chunk: how long
  std::int64_t size_bytes = 0;  // huge, huge-chunked: the body's size
  std::optional<double> share;
  std::optional<std::int64_t> count;
  FaultScope on = FaultScope::all;
  std::optional<FaultWindow> during;  // none: always
};

Parsed<FaultSpec> parse_fault_spec(std::string_view text);

// "429", "delay", "slow-headers", "huge", ...: the names used on the command line and in
// /sim/stats.
std::string_view fault_name(FaultKind kind);

// "100MB", "64MiB", "512KB", "4096B" or "4096" to bytes: KB/MB/GB are powers of 1000,
// KiB/MiB/GiB of 1024. At least kMinHugeBytes (room for the JSON around the filler),
// at most 100 GiB.
inline constexpr std::int64_t kMinHugeBytes = 1024;
std::optional<std::int64_t> parse_size_bytes(std::string_view text);

// What Neptune would send for an error fault.
struct FaultError {
  int http_status = 0;
  std::string_view code;     // e.g. "TooManyRequestsException"
  std::string_view message;  // detailedMessage
};
FaultError fault_error(FaultKind kind);  // a kind of FaultClass::error

struct FaultDecision {
  std::int64_t delay_ms = 0;         // delay: before the answer is worked out
  std::int64_t slow_headers_ms = 0;  // after it, before the status line
  std::int64_t trickle_ms = 0;       // the body is spread over this long
  std::optional<FaultKind> error;    // a FaultClass::error kind: answers instead
  std::optional<FaultKind> broken;   // a FaultClass::broken kind: damages the answer
  std::int64_t huge_bytes = 0;       // with broken == huge or huge_chunked
  std::int64_t drip_ms = 0;          // with broken == drip_chunk
  bool duplicate_ids = false;
  bool bad_numbers = false;
  bool malformed_entries = false;
  std::vector<FaultKind> fired;  // every spec that applied, in order: for the counters
  bool none() const { return fired.empty(); }
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
