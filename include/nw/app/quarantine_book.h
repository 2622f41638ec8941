#pragma once
// The daemon's quarantine list (nw/core/quarantine.h), shared by every poll loop: an observer
// of the audit trail adds to it when a rule with `quarantine` has cancelled a query, and each
// loop takes the list in force at its poll. Readers get an immutable snapshot (one pointer
// copy under a short lock), so a poll never waits for a writer and never sees half a change.
//
// It outlives reloads (a rule that loses its `quarantine` key stops acting on its entries,
// which end on their own) and, with `quarantine_state`, restarts: the main thread saves a
// changed list from its tick (save_if_changed), never the audit observer, which must not block.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "nw/core/audit_record.h"
#include "nw/core/policy.h"
#include "nw/core/quarantine.h"

namespace spdlog {
class logger;
}

namespace nw {

class Metrics;

class QuarantineBook {
 public:
  explicit QuarantineBook(QuarantineList initial = {});

  // An audit record written. A `cancelled` decision of a rule of `policy` that has a
  // quarantine starts or extends its shape's quarantine; the entry is returned when one
  // started (for the log and the notifications), else nullopt.
  std::optional<QuarantineEntry> record_written(const AuditRecord& record, const Policy& policy);

  // The list in force; expired entries are dropped from the next snapshot a change makes.
  std::shared_ptr<const QuarantineList> current() const;

  // Quarantines in force at `now`.
  std::size_t in_force(std::chrono::system_clock::time_point now) const;

  // Writes the list to `path` when it changed since the last save (or expired entries can be
  // dropped from it). Returns the error text of a failed write; the next call tries again.
  std::optional<std::string> save_if_changed(const std::string& path,
                                             std::chrono::system_clock::time_point now);

  // From the main thread's tick: the gauge of quarantines in force and, with a `state_path`,
  // the list saved when it changed. A failed save is logged when its error is new, and tried
  // again at the next tick.
  void tend(std::chrono::system_clock::time_point now, const std::string& state_path,
            Metrics& metrics, spdlog::logger& log);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const QuarantineList> list_;
  bool dirty_ = false;
  std::string last_save_error_;  // the main thread's only
};

// The list kept in `state_path` (empty: none) at start: what is still in force, with a log line
// saying how many, or what was wrong with the file (then an empty list: the daemon starts).
QuarantineList load_quarantine(const std::string& state_path,
                               std::chrono::system_clock::time_point now, spdlog::logger& log);

}  // namespace nw
