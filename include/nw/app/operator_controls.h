#pragma once
// The operator's controls of the running daemon: the kill switch (a pause of all cancelling,
// for a while, by the admin socket's `pause`, or while the sentinel file exists, like
// pt-kill's --sentinel) and temporary protections (`protect --query-id ID --for 1h`,
// `protect --matches REGEX --for 1h`). They live here, not in the configuration, so a reload
// keeps them; they are not kept across a restart (the sentinel file is: it is a file).
//
// Every change is audited (`"event": "admin"`, with who asked) before it takes effect; one whose
// record cannot be written is refused (the sentinel file's excepted: the file decides). Poll
// loops take an immutable snapshot at each step (current()), so a change reaches every loop's
// next decision without a lock on their path.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "nw/app/audit_trail.h"
#include "nw/app/config_holder.h"
#include "nw/core/duration.h"
#include "nw/core/operator_controls.h"

namespace spdlog {
class logger;
}

namespace nw {

class Metrics;

// The longest pause or protection one request may ask for: a forgotten kill switch must end.
inline constexpr auto kMaxOperatorHold = std::chrono::hours(24 * 7);
// Temporary protections in force at once; more are refused (they expire on their own).
inline constexpr std::size_t kMaxTemporaryProtections = 1000;

struct ControlReply {
  bool ok = false;
  std::string message;  // for the operator: what changed, or why nothing did
};

class OperatorControls {
 public:
  using WallTime = std::chrono::system_clock::time_point;

  OperatorControls(AuditTrail& trail, const ConfigHolder& config, Metrics& metrics,
                   spdlog::logger& log);

  // The state in force; any thread.
  std::shared_ptr<const OperatorState> current() const;

  // Pauses every cancel for `length` (at most kMaxOperatorHold, 168h); a new pause replaces the one
  // in force. Decisions meanwhile are audited `paused` and nothing is sent.
  ControlReply pause(const std::string& requested_by, Millis length, const std::string& reason,
                     WallTime now);
  // Ends the admin socket's pause. A pause by the sentinel file lasts while the file exists.
  ControlReply resume(const std::string& requested_by, WallTime now);
  // Protects, for `length`, the query `query_id` (on any endpoint), or every query whose text
  // `regex` (RE2, searched) matches.
  ControlReply protect(const std::string& requested_by, const std::string& query_id,
                       const std::string& regex, Millis length, WallTime now);

  // From the main thread's tick: drops what expired (auditing an expired pause), follows the
  // sentinel file (`sentinel_path`, empty: none): it pauses while it exists, its first line
  // the reason (only a regular file owned by root or the daemon's user counts). Updates the
  // metric and /healthz's cause.
  void tend(WallTime now, const std::string& sentinel_path);

 private:
  // Under mutex_: a new snapshot from the sources; the gauge and health cause.
  void publish(WallTime now);
  // Writes the change's admin record; whether it was written.
  bool audit(const std::string& change, const std::string& requested_by, const std::string& detail,
             WallTime now);

  AuditTrail& trail_;
  const ConfigHolder& config_;
  Metrics& metrics_;
  spdlog::logger& log_;

  // Held across a change's audit record and its taking effect, so that changes are audited in
  // the order they take effect, and a change whose record cannot be written does not take effect
  // (the sentinel file's excepted: the file decides). Taken before mutex_.
  std::mutex change_mutex_;
  std::string sentinel_problem_;  // the main thread's: the last problem logged
  mutable std::mutex mutex_;
  std::optional<OperatorPause> socket_pause_;
  std::optional<OperatorPause> sentinel_pause_;
  std::vector<Protection> protections_;
  std::uint64_t protections_made_ = 0;  // numbers their section names
  std::shared_ptr<const OperatorState> state_;
};

}  // namespace nw
