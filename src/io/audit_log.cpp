#include "nw/io/audit_log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

namespace nw {

AuditLog::AuditLog(const std::string& path) : path_(path) {
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
    logger_ = std::make_shared<spdlog::logger>("audit", std::move(sink));
  } catch (const spdlog::spdlog_ex& e) {
    throw AuditOpenError(e.what());
  }
  logger_->set_pattern("%v");  // the record is the whole line
  logger_->set_level(spdlog::level::info);
  logger_->flush_on(spdlog::level::info);
  // spdlog reports sink errors here instead of throwing; this object is the only user.
  logger_->set_error_handler([this](const std::string& message) {
    write_failed_ = true;
    last_error_ = message;
  });
}

AuditLog::~AuditLog() {
  if (logger_) logger_->flush();
}

bool AuditLog::write(const AuditRecord& record) {
  const std::string line = to_json_line(record);
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return false;
  write_failed_ = false;
  logger_->info(line);
  return !write_failed_;
}

void AuditLog::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!closed_) logger_->flush();
  closed_ = true;
}

std::string AuditLog::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

}  // namespace nw
