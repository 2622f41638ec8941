#include "nw/app/quarantine_book.h"

#include <spdlog/spdlog.h>

#include "nw/core/fingerprint.h"
#include "nw/core/metrics.h"
#include "nw/io/quarantine_state.h"

namespace nw {

QuarantineBook::QuarantineBook(QuarantineList initial)
    : list_(std::make_shared<const QuarantineList>(std::move(initial))) {}

std::optional<QuarantineEntry> QuarantineBook::record_written(const AuditRecord& record,
                                                              const Policy& policy) {
  if (record.event != AuditEvent::decision || record.outcome != AuditOutcome::cancelled ||
      record.fingerprint.empty())
    return std::nullopt;
  const Rule* rule = nullptr;
  for (const Rule& r : policy.rules)
    if (r.name == record.rule) rule = &r;
  if (!rule || !rule->quarantine) return std::nullopt;
  // The record keeps the whole text Neptune showed: its shape is the record's fingerprint.
  const Fingerprint shape = fingerprint_query(record.language, record.query);
  std::lock_guard<std::mutex> lock(mutex_);
  auto next = std::make_shared<QuarantineList>(*list_);
  next->expire(record.time);
  const bool started = next->cancelled(rule->name, shape.hash, shape.text, record.endpoint,
                                       record.time, *rule->quarantine);
  std::optional<QuarantineEntry> out;
  if (started) out = *next->find(rule->name, shape.hash, record.time);
  list_ = std::move(next);
  dirty_ = true;
  return out;
}

std::shared_ptr<const QuarantineList> QuarantineBook::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return list_;
}

std::size_t QuarantineBook::in_force(std::chrono::system_clock::time_point now) const {
  return current()->in_force(now);
}

std::optional<std::string> QuarantineBook::save_if_changed(
    const std::string& path, std::chrono::system_clock::time_point now) {
  std::shared_ptr<const QuarantineList> list;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!dirty_ && list_->in_force(now) == list_->size()) return std::nullopt;
    auto pruned = std::make_shared<QuarantineList>(*list_);
    pruned->expire(now);
    list_ = pruned;
    list = std::move(pruned);
    dirty_ = false;
  }
  // Written outside the lock: polls go on reading the list meanwhile.
  auto error = save_quarantine_state(path, *list);
  if (error) {
    std::lock_guard<std::mutex> lock(mutex_);
    dirty_ = true;
  }
  return error;
}

void QuarantineBook::tend(std::chrono::system_clock::time_point now, const std::string& state_path,
                          Metrics& metrics, spdlog::logger& log) {
  metrics.quarantined_fingerprints(in_force(now));
  if (state_path.empty()) return;
  const auto error = save_if_changed(state_path, now);
  if (error && *error != last_save_error_)
    log.warn("quarantine_state: cannot save the quarantine list ({}); trying again", *error);
  else if (!error && !last_save_error_.empty())
    log.info("quarantine_state: saved to {} again", state_path);
  last_save_error_ = error.value_or("");
}

QuarantineList load_quarantine(const std::string& state_path,
                               std::chrono::system_clock::time_point now, spdlog::logger& log) {
  if (state_path.empty()) return {};
  QuarantineLoad loaded = load_quarantine_state(state_path, now);
  if (!loaded.problem.empty())
    log.warn("quarantine_state: {}; starting with no query shape in quarantine", loaded.problem);
  else if (!loaded.list.empty())
    log.info("quarantine_state: {} query shape(s) still in quarantine, from {}", loaded.list.size(),
             state_path);
  return std::move(loaded.list);
}

}  // namespace nw
