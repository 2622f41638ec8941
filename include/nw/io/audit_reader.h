#pragma once
// Reads audit files for --digest: the daemon's JSON lines (README.md "Audit log"), plain or
// gzip-compressed (told by the first two bytes, 1f 8b, not by the name: a rotated
// audit.jsonl.1 and a compressed audit.jsonl.2.gz are read alike), from a path or standard
// input. Files are read in blocks of megabytes and each line is parsed in place with simdjson's
// On-Demand API; every decision record goes to a callback as a DigestRecord whose views point
// into the reader's buffers.
//
// What is not a decision record is never an error: a line that is not one JSON object, or whose
// decision record lacks a field the digest needs (time, endpoint, rule, outcome, elapsed_ms, and
// fingerprint or language and query), or has one of the wrong type or value, is skipped and
// counted; so is a line with invalid UTF-8 (the daemon writes none: such a line is damaged) and
// one longer than kMaxAuditLine. Records with an `event` field (topology, ownership, ha) are
// counted as events and not handed on. A file that cannot be opened or read, or whose gzip data
// is corrupt or cut short, is an error naming the file; the records read before it are kept.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "nw/core/audit_digest.h"

namespace nw {

// Longer lines are skipped: a record's query is cut to 512 characters, so even escaped
// throughout a record stays under 8 KiB.
inline constexpr std::size_t kMaxAuditLine = std::size_t{256} << 10;

struct AuditReadResult {
  std::uint64_t lines = 0;      // lines with something other than whitespace
  std::uint64_t decisions = 0;  // handed to the callback
  std::uint64_t events = 0;     // records with an `event` field
  std::uint64_t skipped = 0;    // lines that are not a readable decision record or event
  bool compressed = false;
  std::string error;  // empty: read to its end. Else "PATH: why" (the records before it count)
};

class AuditReader {
 public:
  // `standard_input`: the descriptor the path "-" reads.
  explicit AuditReader(int standard_input = 0);
  ~AuditReader();
  AuditReader(const AuditReader&) = delete;
  AuditReader& operator=(const AuditReader&) = delete;

  // Reads `path` to its end (or its first error), handing each decision record on in file
  // order. The parser and buffers are kept for the next file.
  AuditReadResult read(const std::string& path,
                       const std::function<void(const DigestRecord&)>& on_record);

 private:
  struct State;
  std::unique_ptr<State> state_;
  int standard_input_;
};

}  // namespace nw
