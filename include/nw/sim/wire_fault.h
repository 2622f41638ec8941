#pragma once
// The bytes of slow and broken answers (see fault_plan.h), apart from the sockets that
// carry them: what a not-json page says, how a huge body is produced without holding
// it, how a trickle is paced and how much of a body a truncated or reset answer gets
// out. Pure, so that every shape is unit-tested; SimServer only writes and waits.
#include <cstddef>
#include <cstdint>
#include <string>

namespace nw::sim {

// What the HTTP layer does to an answer. All zero / none: send it as is.
struct WireFault {
  // huge: a HugeListBody with its Content-Length; huge_chunked: the same body in chunked
  // transfer encoding, with no Content-Length.
  // drip_chunk: the answer chunked, its chunk-size line dripped over drip_ms, then close;
  // extra_response: the answer, then extra_response_bytes() in the same write.
  enum class Break { none, reset, truncated, huge, huge_chunked, drip_chunk, extra_response };
  std::int64_t slow_headers_ms = 0;  // hold the status line this long
  std::int64_t trickle_ms = 0;       // spread the body over this long
  Break breaks = Break::none;
  // With Break::huge or huge_chunked: the body's size (the answer's own is unused).
  std::int64_t huge_bytes = 0;
  std::int64_t drip_ms = 0;  // with Break::drip_chunk
};

// A 200's body that is not JSON: the HTML error page a proxy or load balancer in front of
// Neptune sends.
std::string not_json_body();

// How much of a `body_size`-byte body each break sends before it stops: truncated sends
// half, reset a third (at least one byte of a non-empty body, never all of it).
std::size_t truncated_length(std::size_t body_size);
std::size_t reset_prefix_length(std::size_t body_size);

// trickle=D: the body goes out in `pieces` pieces of `piece_bytes` (the last may be
// shorter), with `gap_ms` before each, so the last arrives about D after the headers.
// A few bytes at a time: at most 200 pieces, so long bodies get longer pieces.
struct TricklePlan {
  std::size_t pieces = 0;
  std::size_t piece_bytes = 0;
  std::int64_t gap_ms = 0;
};
TricklePlan plan_trickle(std::size_t body_size, std::int64_t duration_ms);

// drip-chunk=D: the chunk-size line of a `body_size`-byte body, "<hex size>;drip=xxx...\r\n",
// padded with a chunk extension to one byte per `gap_ms` of D (at least the bare line), so
// that it arrives one byte every `gap_ms` and ends about D after the headers. Clients may
// cap the digits of a chunk size, so the padding is an extension rather than leading zeros.
struct DripPlan {
  std::string line;
  std::int64_t gap_ms = 0;
};
DripPlan plan_drip(std::size_t body_size, std::int64_t duration_ms);

// extra-response: a complete HTTP/1.1 answer nobody asked for, as a cancel's success looks
// (200, {"status":"200 OK","payload":true}), sent right after the real answer.
std::string extra_response_bytes();

// huge=SIZE (and huge-chunked=SIZE): a status list of exactly `size` bytes, valid JSON from the
// first byte to the last, made of filler queries (elapsed 0, so no policy should want them) and
// produced a piece at a time so that 100 MB never sit in memory:
//   {"queries":[{"queryId":"filler-000000000001","queryString":"xxx...",
//    "queryEvalStats":{"waited":0,"elapsed":0,"cancelled":false}},...   ],
//    "acceptedQueryCount":N,"runningQueryCount":N}
// with spaces before "]" to reach the exact size.
class HugeListBody {
 public:
  explicit HugeListBody(std::int64_t size);  // size >= kMinHugeBytes (fault_plan.h)

  std::int64_t size() const { return size_; }
  std::int64_t filler_queries() const { return queries_; }

  // Replaces `chunk` with the next piece (about `max_bytes`, never empty while anything
  // is left); false once the whole body has been produced.
  bool next(std::string& chunk, std::size_t max_bytes = 64 * 1024);

 private:
  std::string suffix() const;

  std::int64_t size_ = 0;
  std::int64_t queries_ = 0;
  std::int64_t spaces_ = 0;
  // Progress: 0 prefix, 1 queries, 2 spaces and suffix, 3 done.
  int phase_ = 0;
  std::int64_t next_query_ = 0;
};

}  // namespace nw::sim
