#pragma once
// The audit trail: one JSON line per decision, written and flushed before the watchdog acts
// on the next poll, from any number of endpoint threads.
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "nw/core/audit_record.h"

namespace spdlog {
class logger;
}

namespace nw {

struct AuditOpenError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AuditLog {
 public:
  // Opens (creating parent directories and the file) for appending.
  // Throws AuditOpenError with the reason when that is impossible.
  explicit AuditLog(const std::string& path);
  ~AuditLog();

  // Appends and flushes one record. Returns false when the line could not be written
  // (e.g. a full disk); the reason is then in last_error().
  bool write(const AuditRecord& record);

  // Flushes and refuses every later write (which then returns false). For an exit that does
  // not wait for other threads: none of them can leave a partial line behind.
  void close();

  std::string last_error() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::shared_ptr<spdlog::logger> logger_;
  mutable std::mutex mutex_;
  std::string last_error_;
  bool write_failed_ = false;
  bool closed_ = false;
};

}  // namespace nw
