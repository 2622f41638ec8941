#pragma once
// An audit journal in memory: what the daemon would have written, for tests. It can be told to
// refuse writes, as a full disk would.
#include <mutex>
#include <string>
#include <vector>

#include "nw/core/audit_journal.h"

namespace nw::test {

class RecordingJournal final : public AuditJournal {
 public:
  bool write(const AuditRecord& record) override {
    std::lock_guard<std::mutex> guard(mutex_);
    if (refuse_) {
      healthy_ = false;
      return false;
    }
    records_.push_back(record);
    healthy_ = true;
    return true;
  }
  bool healthy() const override {
    std::lock_guard<std::mutex> guard(mutex_);
    return healthy_;
  }
  std::string last_error() const override { return "refused by the test"; }
  const std::string& path() const override { return path_; }

  void refuse_writes(bool refuse) {
    std::lock_guard<std::mutex> guard(mutex_);
    refuse_ = refuse;
  }
  std::vector<AuditRecord> records() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return records_;
  }
  // The outcomes in order, e.g. {"sending", "cancelled"}.
  std::vector<std::string> outcomes() const {
    std::vector<std::string> out;
    for (const auto& r : records()) out.emplace_back(to_string(r.outcome));
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<AuditRecord> records_;
  bool refuse_ = false;
  bool healthy_ = true;
  std::string path_ = "(recording journal)";
};

}  // namespace nw::test
