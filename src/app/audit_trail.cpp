#include "nw/app/audit_trail.h"

#include <cstdio>
#include <random>

namespace nw {

AuditTrail::AuditTrail(AuditJournal& journal) : journal_(journal) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%08x", static_cast<unsigned>(std::random_device{}()));
  id_prefix_ = prefix;
}

bool AuditTrail::record(const AuditRecord& record) {
  const bool written = journal_.write(record);
  for (const auto& observer : observers_) observer(record, written);
  return written;
}

std::string AuditTrail::next_record_id() {
  return id_prefix_ + "-" + std::to_string(next_id_.fetch_add(1));
}

}  // namespace nw
