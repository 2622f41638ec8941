#pragma once
// What an operator has told the running daemon, beyond its configuration file: a pause of all
// cancelling (the kill switch: `neptune-watchdog pause`, or the sentinel file) and temporary
// protections (`neptune-watchdog protect --for 1h`). The admin socket and the sentinel file
// change it (nw/app/operator_controls.h); every poll loop judges its decisions under the
// state in force at its step. Pure values: no I/O, no clock.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "nw/core/policy.h"

namespace nw {

struct OperatorPause {
  std::string requested_by;  // "alice", "sentinel file /run/neptune-watchdog/pause"
  std::string reason;        // as the operator gave it; may be empty
  std::chrono::system_clock::time_point since;
  // Absent: until resumed (or, for the sentinel file, while it exists).
  std::optional<std::chrono::system_clock::time_point> until;
};

// "cancelling paused by alice since 2026-12-05T03:00:00Z until 2026-12-05T03:30:00Z: deploy".
std::string describe_pause(const OperatorPause& pause);

struct OperatorState {
  std::optional<OperatorPause> pause;
  // Temporary protections, each with its `until`; their section names who asked
  // ("protect by alice"), so that a decision's reason says it.
  std::vector<Protection> protections;

  // The pause in force at `now`, if any.
  const OperatorPause* pause_at(std::chrono::system_clock::time_point now) const {
    return pause && (!pause->until || now < *pause->until) ? &*pause : nullptr;
  }
};

}  // namespace nw
