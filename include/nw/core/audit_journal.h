#pragma once
// Where audit records go first, synchronously: the operator's proof. The daemon's is AuditLog
// (nw/io/audit_log.h: a file and/or the systemd journal); tests record into memory
// (tests/support/recording_journal.h).
#include <string>

#include "nw/core/audit_record.h"

namespace nw {

class AuditJournal {
 public:
  virtual ~AuditJournal() = default;
  // Appends one record, flushed. False when it could not be written (the reason: last_error()).
  virtual bool write(const AuditRecord& record) = 0;
  // False from a failed write until the next one succeeds (and while the journal cannot be
  // kept, e.g. a failed rotation): cancelling pauses under on_audit_failure = pause.
  virtual bool healthy() const = 0;
  virtual std::string last_error() const = 0;
  // What to call it in messages (the file's path).
  virtual const std::string& path() const = 0;
  // Refuses every later write: for an exit that does not wait for other threads.
  virtual void close() {}
};

}  // namespace nw
