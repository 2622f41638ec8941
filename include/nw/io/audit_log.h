#pragma once
// The audit trail: one JSON line per decision, written and flushed before the watchdog acts
// on the next poll, from any number of endpoint threads. To a file (rotated by size, or
// reopened on SIGUSR1 for logrotate), to the journal with structured fields, or both.
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "nw/core/audit_record.h"
#include "nw/core/config.h"

namespace spdlog {
class logger;
}

namespace nw {

struct AuditOpenError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How many cancels in the last `tail_bytes` of the audit file at `path` have a `sending`
// record and no outcome record with the same record_id: the daemon stopped (or crashed) while
// they were being sent. 0 when the file is not a regular file or cannot be read.
std::size_t unanswered_cancels(const std::string& path, std::uint64_t tail_bytes = 4u << 20);

class AuditLog {
 public:
  // Opens the file (creating parent directories) for appending, per [watchdog] audit_*.
  // Throws AuditOpenError with the reason when that is impossible.
  explicit AuditLog(const WatchdogSettings& settings);
  // A plain file, never rotated.
  explicit AuditLog(const std::string& path);
  ~AuditLog();

  // Appends and flushes one record to every destination. Returns false when it could not be
  // written everywhere (e.g. a full disk); the reason is then in last_error().
  bool write(const AuditRecord& record);

  // Closes and reopens the file at its path (after logrotate moved it). Returns false and
  // keeps writing to the old file when the path cannot be opened.
  bool reopen();

  // Flushes and refuses every later write (which then returns false). For an exit that does
  // not wait for other threads: none of them can leave a partial line behind.
  void close();

  std::string last_error() const;
  // False from a failed write until the next write succeeds.
  bool healthy() const;
  const std::string& path() const { return path_; }
  std::string destinations() const;  // "/var/log/x.jsonl", "journal", "journal and /var/..."

 private:
  std::shared_ptr<spdlog::logger> open_file() const;

  std::string path_;  // empty: no file
  bool journal_ = false;
  std::uint64_t max_size_ = 0;
  int max_files_ = 0;
  std::shared_ptr<spdlog::logger> logger_;
  mutable std::mutex mutex_;
  std::string last_error_;
  bool write_failed_ = false;
  bool healthy_ = true;
  bool closed_ = false;
};

}  // namespace nw
