#include "nw/io/audit_log.h"

#include <sys/uio.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-journal.h>

namespace nw {

std::size_t unanswered_cancels(const std::string& path, std::uint64_t tail_bytes) {
  // Only a regular file has a tail: /dev/full, say, reads as endless zeros.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > static_cast<std::streamoff>(tail_bytes) ? size - static_cast<std::streamoff>(tail_bytes) : 0;
  in.seekg(from);
  std::string line;
  if (from > 0) std::getline(in, line);  // most likely the end of a cut record
  // Inside a JSON string a quote is escaped, so these sequences only ever match fields.
  static const std::string kSending = R"("outcome":"sending")";
  static const std::string kRecordId = R"("record_id":")";
  std::set<std::string> open;
  while (std::getline(in, line)) {
    const auto at = line.find(kRecordId);
    if (at == std::string::npos) continue;
    const auto begin = at + kRecordId.size();
    const std::string id = line.substr(begin, line.find('"', begin) - begin);
    if (line.find(kSending) != std::string::npos)
      open.insert(id);
    else
      open.erase(id);
  }
  return open.size();
}

AuditLog::AuditLog(const WatchdogSettings& settings)
    : path_(settings.audit_log),
      journal_(settings.audit_journal),
      max_size_(settings.audit_max_size),
      max_files_(settings.audit_max_files) {
  if (!path_.empty()) logger_ = open_file();
}

AuditLog::AuditLog(const std::string& path) : path_(path) { logger_ = open_file(); }

AuditLog::~AuditLog() {
  if (logger_) logger_->flush();
}

std::shared_ptr<spdlog::logger> AuditLog::open_file() const {
  std::shared_ptr<spdlog::logger> logger;
  try {
    spdlog::sink_ptr sink;
    // The rotating sink renames audit.jsonl to audit.1.jsonl (and so on) *before* a write
    // that would exceed the limit, so no record is split or lost across files.
    if (max_size_ > 0)
      sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path_, max_size_,
                                                                     static_cast<std::size_t>(max_files_));
    else
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path_, /*truncate=*/false);
    logger = std::make_shared<spdlog::logger>("audit", std::move(sink));
  } catch (const spdlog::spdlog_ex& e) {
    throw AuditOpenError(e.what());
  }
  logger->set_pattern("%v");  // the record is the whole line
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  // spdlog reports sink errors here instead of throwing. The handler runs inside write(),
  // under mutex_, the only caller.
  auto* self = const_cast<AuditLog*>(this);
  logger->set_error_handler([self](const std::string& message) {
    self->write_failed_ = true;
    self->last_error_ = message;
  });
  return logger;
}

bool AuditLog::write(const AuditRecord& record) {
  const std::string line = to_json_line(record);
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return false;
  write_failed_ = false;
  if (logger_) logger_->info(line);
  if (journal_) {
    const std::vector<std::string> fields = journal_fields(record);
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (const auto& f : fields) iov.push_back({const_cast<char*>(f.data()), f.size()});
    const int rc = sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
    if (rc < 0) {
      write_failed_ = true;
      last_error_ = std::string("journal: ") + std::strerror(-rc);
    }
  }
  healthy_ = !write_failed_;
  return healthy_;
}

bool AuditLog::healthy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return healthy_;
}

bool AuditLog::reopen() {
  if (path_.empty()) return true;
  std::shared_ptr<spdlog::logger> fresh;
  try {
    fresh = open_file();
  } catch (const AuditOpenError& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = e.what();
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (logger_) logger_->flush();
  logger_ = std::move(fresh);
  return true;
}

void AuditLog::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!closed_ && logger_) logger_->flush();
  closed_ = true;
}

std::string AuditLog::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

std::string AuditLog::destinations() const {
  if (path_.empty()) return "journal";
  return journal_ ? "journal and " + path_ : path_;
}

}  // namespace nw
