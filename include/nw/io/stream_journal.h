#pragma once
// An audit journal that writes each record as a JSON line to an open file descriptor (standard
// output): `--once --dry-run` is a rehearsal next to the running service, so its records are
// shown to the operator, not mixed into the service's audit file, which is the proof of what
// the service did. The lines are those of the audit file (nw/core/audit_record.h), each in
// one write(2), so a reader such as jq sees whole records.
#include <mutex>
#include <string>

#include "nw/core/audit_journal.h"

namespace nw {

class StreamJournal final : public AuditJournal {
 public:
  // `fd` stays open and owned by the caller; `name` is what messages call it.
  StreamJournal(int fd, std::string name);

  bool write(const AuditRecord& record) override;
  bool healthy() const override;
  std::string last_error() const override;
  const std::string& path() const override { return name_; }
  void close() override;

 private:
  const int fd_;
  const std::string name_;
  mutable std::mutex mutex_;
  bool healthy_ = true;
  bool closed_ = false;
  std::string last_error_;
};

}  // namespace nw
