#include "nw/app/audit_trail.h"

#include <cstdio>
#include <random>

namespace nw {

AuditTrail::AuditTrail(AuditJournal& journal)
    : AuditTrail(std::shared_ptr<AuditJournal>(&journal, [](AuditJournal*) {})) {}

AuditTrail::AuditTrail(std::shared_ptr<AuditJournal> journal) : journal_(std::move(journal)) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%08x", static_cast<unsigned>(std::random_device{}()));
  id_prefix_ = prefix;
}

void AuditTrail::replace(std::shared_ptr<AuditJournal> journal) {
  std::lock_guard<std::mutex> lock(mutex_);
  journal_ = std::move(journal);
}

std::shared_ptr<AuditJournal> AuditTrail::journal() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return journal_;
}

bool AuditTrail::record(const AuditRecord& record) {
  if (stamp_) return tell(stamped(record), true);
  return tell(record, true);
}

bool AuditTrail::record_quietly(const AuditRecord& record) {
  if (stamp_) return tell(stamped(record), false);
  return tell(record, false);
}

AuditRecord AuditTrail::stamped(const AuditRecord& record) const {
  AuditRecord out = record;
  stamp_(out);
  return out;
}

bool AuditTrail::tell(const AuditRecord& record, bool observers) {
  const bool written = journal()->write(record);
  if (observers)
    for (const auto& observer : observers_) observer(record, written);
  return written;
}

std::string AuditTrail::next_record_id() {
  return id_prefix_ + "-" + std::to_string(next_id_.fetch_add(1));
}

}  // namespace nw
