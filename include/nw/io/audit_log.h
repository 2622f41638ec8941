#pragma once
// The audit journal: one JSON line per record, from any number of threads. To a file (rotated
// by size, or reopened on SIGUSR1 for logrotate), to the journal with structured fields, or
// both.
//
// The file is the operator's proof, so nothing here ever truncates it:
// - it is opened O_APPEND (created 0600: query texts are not for every local user; 0640 and
//   the group named by audit_group, for a log shipper, when that is set), and each record goes
//   out in one write() of the whole line; a file that already exists keeps its mode and group;
// - after a failed or short write, the next record starts on a new line, so one record lost
//   to a full disk never takes the next one with it (line-oriented readers skip the fragment);
// - rotation renames audit.jsonl to audit.1.jsonl (and so on) with our own code; if a rename
//   fails (an append-only archive, a directory in the way), the live file stays in place and
//   grows, healthy() is false until a later rotation succeeds (cancelling pauses under
//   on_audit_failure = pause), and the next try comes a minute later;
// - a live file that was deleted under us (st_nlink == 0) is reopened at its path;
// - a symbolic link at the path is never followed (O_NOFOLLOW; links in the directories above
//   are): opening, reopening or rotating onto one fails with a message saying so.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <utility>

#include "nw/core/audit_journal.h"
#include "nw/core/audit_record.h"
#include "nw/core/config.h"

namespace nw {

struct AuditOpenError : std::runtime_error {
  // `key`: the setting at fault, for "FILE: KEY: message".
  explicit AuditOpenError(const std::string& message, std::string key = "watchdog.audit_log")
      : std::runtime_error(message), key(std::move(key)) {}
  std::string key;
};

// The id of the group called `name`. Throws AuditOpenError (key watchdog.audit_group,
// "no group named 'NAME'") when there is none.
gid_t audit_group_id(const std::string& name);

// How many cancels in the last `tail_bytes` of the audit file at `path` have a `sending`
// record and no outcome record with the same record_id: the daemon stopped (or crashed) while
// they were being sent. 0 when the file is not a regular file or cannot be read.
std::size_t unanswered_cancels(const std::string& path, std::uint64_t tail_bytes = 4u << 20);

class AuditLog final : public AuditJournal {
 public:
  // Opens the file (creating parent directories) for appending, per [watchdog] audit_*.
  // Throws AuditOpenError with the reason when that is impossible (or audit_group names no
  // group, or one the daemon may not give a file to).
  explicit AuditLog(const WatchdogSettings& settings);
  // A plain file, never rotated.
  explicit AuditLog(const std::string& path);
  ~AuditLog();

  // Appends and flushes one record to every destination. Returns false when it could not be
  // written everywhere (e.g. a full disk); the reason is then in last_error().
  bool write(const AuditRecord& record) override;

  // Closes and reopens the file at its path (after logrotate moved it). Returns false and
  // keeps writing to the old file when the path cannot be opened; healthy() is then false until
  // a later reopen (or rotation) opens the path.
  bool reopen();

  // Flushes and refuses every later write (which then returns false). For an exit that does
  // not wait for other threads: none of them can leave a partial line behind.
  void close() override;

  std::string last_error() const override;
  // False from a failed write until the next write succeeds, while rotation fails, and after a
  // failed reopen until the path opens.
  bool healthy() const override;
  // Rotations that failed so far (each left the live file in place).
  std::uint64_t rotation_failures() const;
  const std::string& path() const override { return path_; }
  std::string destinations() const;  // "/var/log/x.jsonl", "journal", "journal and /var/..."

 private:
  // Opens path_ for appending, creating it (0600, or 0640 and group_) and its parent
  // directories; a symbolic link at path_ is refused. Throws AuditOpenError naming the path,
  // or the group when a new file cannot be given to it (the new file is then removed).
  int open_file() const;
  // Under mutex_. Appends `line` and a newline in one write(); false on failure (last_error_).
  bool append(const std::string& line);
  // Under mutex_. Renames the files one up and opens a fresh live file; false (and the live
  // file kept) when a step fails.
  bool rotate();
  std::string archive_name(int index) const;  // audit.jsonl -> audit.1.jsonl

  std::string path_;  // empty: no file
  bool journal_ = false;
  std::uint64_t max_size_ = 0;
  int max_files_ = 0;
  std::string group_;         // audit_group; empty: none
  std::optional<gid_t> gid_;  // its id, resolved once at construction
  mutable std::mutex mutex_;
  int fd_ = -1;
  std::uint64_t size_ = 0;    // of the live file
  bool broken_line_ = false;  // the last write stopped partway through its line
  bool rotation_failed_ = false;
  bool reopen_failed_ = false;  // reopen() could not open the path; writing to the old file
  std::uint64_t rotation_failures_ = 0;
  std::chrono::steady_clock::time_point next_rotation_try_{};
  std::string last_error_;
  bool healthy_ = true;
  bool closed_ = false;
};

}  // namespace nw
