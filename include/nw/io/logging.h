#pragma once
// Diagnostic logging to stderr, where journald collects it under systemd. The audit trail is
// separate (audit_log.h): diagnostics may be noisy; the audit is a record.
#include <memory>

#include <spdlog/common.h>

#include "nw/core/config.h"

namespace spdlog {
class logger;
}

namespace nw {

// Under journald (JOURNAL_STREAM names stderr), lines carry their syslog priority as a "<N>"
// prefix, so `journalctl -p warning` works; elsewhere they start with a UTC timestamp.
std::shared_ptr<spdlog::logger> make_diagnostic_logger(LogLevel level);

spdlog::level::level_enum spdlog_level(LogLevel level);

// True when stderr is connected to the journal (JOURNAL_STREAM matches its device and inode).
bool stderr_is_journal();

}  // namespace nw
