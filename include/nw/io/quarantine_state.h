#pragma once
// The quarantine list kept across restarts (`[watchdog] quarantine_state = PATH`): one JSON
// document, replaced whole and atomically (a temporary file in the same directory, fsync,
// rename), so that a crash leaves the old list or the new one, never half of one.
//
//   {"version": 1, "quarantine": [{"rule": "long-reads", "fingerprint": "3f2a9c0e1b2d4f60",
//     "fingerprint_text": "match (n{id:?}) return n", "since": "2026-12-05T02:14:07Z",
//     "last_cancel": "...", "until": "...", "endpoint": "writer", "cancels": 3}]}
//
// Only entries still in force are read back; an unreadable file is a problem to report, not a
// reason to stop: quarantine only adds cancels, and the daemon starts with an empty list.
#include <chrono>
#include <optional>
#include <string>

#include "nw/core/quarantine.h"

namespace nw {

struct QuarantineLoad {
  QuarantineList list;
  std::string problem;  // empty: read whole (a missing file is an empty list, no problem)
};

// Reads `path`, keeping the entries in force at `now`.
QuarantineLoad load_quarantine_state(const std::string& path,
                                     std::chrono::system_clock::time_point now);

// Replaces `path` with `list`. Returns the error text, or nullopt.
std::optional<std::string> save_quarantine_state(const std::string& path,
                                                 const QuarantineList& list);

// The document save_quarantine_state() writes.
std::string quarantine_state_json(const QuarantineList& list);

}  // namespace nw
