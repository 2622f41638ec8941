#include "nw/sim/wire_fault.h"

#include <algorithm>
#include <cstdio>

#include "nw/sim/fault_plan.h"
#include "nw/sim/neptune_json.h"

namespace nw::sim {
namespace {

constexpr std::size_t kMaxTricklePieces = 200;
constexpr std::size_t kMinTricklePiece = 4;
constexpr std::int64_t kDripGapMs = 50;

constexpr std::string_view kHugePrefix = R"({"queries":[)";
// A filler query: the id's 12 digits keep every entry the same length.
constexpr std::size_t kIdDigits = 12;
constexpr std::size_t kFillerText = 900;
// The longest suffix: N as 19 digits, twice.
constexpr std::size_t kMaxSuffix = 2 + 22 + 19 + 21 + 19;

std::string filler_query(std::int64_t index) {
  // Zero-padded to a fixed width (indexes stay far below 10^12: 100 GiB / ~1 KB).
  std::string id = std::to_string(index);
  if (id.size() < kIdDigits) id.insert(0, kIdDigits - id.size(), '0');
  return R"({"queryId":"filler-)" + id + R"(","queryString":")" + std::string(kFillerText, 'x') +
         R"(","queryEvalStats":{"waited":0,"elapsed":0,"cancelled":false}})";
}

std::size_t filler_length() {
  static const std::size_t length = filler_query(0).size();
  return length;
}

}  // namespace

std::string not_json_body() {
  return "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n"
         "<body>\n<center><h1>502 Bad Gateway</h1></center>\n"
         "<hr><center>neptune-sim (not-json fault)</center>\n</body>\n</html>\n";
}

std::size_t truncated_length(std::size_t body_size) {
  return body_size / 2;
}

std::size_t reset_prefix_length(std::size_t body_size) {
  if (body_size <= 1) return 0;
  return std::max<std::size_t>(1, body_size / 3);
}

TricklePlan plan_trickle(std::size_t body_size, std::int64_t duration_ms) {
  TricklePlan plan;
  if (body_size == 0) return plan;
  plan.pieces = std::clamp<std::size_t>(body_size / kMinTricklePiece, 1, kMaxTricklePieces);
  plan.piece_bytes = (body_size + plan.pieces - 1) / plan.pieces;
  plan.pieces = (body_size + plan.piece_bytes - 1) / plan.piece_bytes;
  plan.gap_ms = duration_ms / static_cast<std::int64_t>(plan.pieces);
  return plan;
}

DripPlan plan_drip(std::size_t body_size, std::int64_t duration_ms) {
  char hex[2 * sizeof(std::size_t) + 1];
  std::snprintf(hex, sizeof hex, "%zx", body_size);
  DripPlan plan;
  plan.gap_ms = kDripGapMs;
  plan.line = std::string(hex) + ";drip=";
  const std::size_t wanted =
      static_cast<std::size_t>(std::max<std::int64_t>(0, duration_ms / kDripGapMs));
  const std::size_t bare = plan.line.size() + 1 + 2;  // one byte of value, then CRLF
  plan.line.append(std::max<std::size_t>(1, wanted > bare ? wanted - bare + 1 : 1), 'x');
  plan.line += "\r\n";
  return plan;
}

std::string extra_response_bytes() {
  const std::string body = cancel_success_body();
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

HugeListBody::HugeListBody(std::int64_t size) : size_(std::max(size, kMinHugeBytes)) {
  // n entries take n * (L + 1) - 1 bytes; keep room for the longest suffix.
  const std::int64_t room = size_ - static_cast<std::int64_t>(kHugePrefix.size() + kMaxSuffix) + 1;
  queries_ = std::max<std::int64_t>(0, room / static_cast<std::int64_t>(filler_length() + 1));
  const std::int64_t entries =
      queries_ == 0 ? 0 : queries_ * static_cast<std::int64_t>(filler_length() + 1) - 1;
  spaces_ = size_ - static_cast<std::int64_t>(kHugePrefix.size()) - entries -
            static_cast<std::int64_t>(suffix().size());
}

std::string HugeListBody::suffix() const {
  return R"(],"acceptedQueryCount":)" + std::to_string(queries_) + R"(,"runningQueryCount":)" +
         std::to_string(queries_) + "}";
}

bool HugeListBody::next(std::string& chunk, std::size_t max_bytes) {
  chunk.clear();
  while (phase_ < 3 && chunk.size() < max_bytes) {
    if (phase_ == 0) {
      chunk += kHugePrefix;
      phase_ = 1;
    } else if (phase_ == 1) {
      if (next_query_ == queries_) {
        phase_ = 2;
        continue;
      }
      if (next_query_ > 0) chunk += ',';
      chunk += filler_query(++next_query_);
    } else {
      chunk.append(static_cast<std::size_t>(spaces_), ' ');
      chunk += suffix();
      phase_ = 3;
    }
  }
  return !chunk.empty();
}

}  // namespace nw::sim
