#pragma once
// The audit trail: every record goes first to the journal (AuditJournal; in the daemon the
// AuditLog: the file and/or the systemd journal), synchronously and flushed, which is the
// operator's proof; then every observer sees it (metrics, the diagnostic log; later the notifier
// and the live view). Observers run on the writing thread and must not block: they update memory or
// hand the record on. The trail holds no lock of its own, so no lock is held across its file I/O
// that polling or shutdown would need.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nw/core/audit_journal.h"
#include "nw/core/audit_record.h"

namespace nw {

class AuditTrail {
 public:
  // `written`: whether the journal took the record.
  using Observer = std::function<void(const AuditRecord& record, bool written)>;

  // A journal that outlives the trail (tests), or one the trail owns and may replace.
  explicit AuditTrail(AuditJournal& journal);
  explicit AuditTrail(std::shared_ptr<AuditJournal> journal);

  // A reload with a new audit_log: records from now on go to `journal`; a record being
  // written to the old one finishes there.
  void replace(std::shared_ptr<AuditJournal> journal);

  // Observers are added while the daemon starts, before any record is written.
  void observe(Observer observer) { observers_.push_back(std::move(observer)); }

  // Fills in what every record carries but its writer does not know: with replicas, the
  // replica's name and the fencing token of the record's unit (nw/app/replica_group.h). Set
  // while the daemon starts, before any record is written; it must not block.
  using Stamp = std::function<void(AuditRecord& record)>;
  void stamp_with(Stamp stamp) { stamp_ = std::move(stamp); }

  // Appends `record` to the journal, then tells every observer. Returns whether it was written.
  bool record(const AuditRecord& record);

  // Appends `record` to the journal without telling the observers: a decision they were told
  // of already (a cancel held back again while the audit log cannot be written) is still
  // offered to the journal, whose first success ends the pause, but is not logged or counted
  // again. Returns whether it was written.
  bool record_quietly(const AuditRecord& record);

  // A new id that pairs a `sending` record with its outcome: unique within this process's
  // audit trail and, with a random prefix per start, across restarts ("3f9c0a7e-42").
  std::string next_record_id();

  std::shared_ptr<AuditJournal> journal() const;
  bool healthy() const { return journal()->healthy(); }

 private:
  // `record` with what stamp_ fills in (only when a stamp is set: a copy per record).
  AuditRecord stamped(const AuditRecord& record) const;
  // Writes `record`, then tells the observers if asked.
  bool tell(const AuditRecord& record, bool observers);

  mutable std::mutex mutex_;  // guards the pointer only, never held across a write
  std::shared_ptr<AuditJournal> journal_;
  std::vector<Observer> observers_;
  Stamp stamp_;
  std::string id_prefix_;
  std::atomic<std::uint64_t> next_id_{1};
};

}  // namespace nw
