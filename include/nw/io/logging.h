#pragma once
// Diagnostic logging to stderr, where journald collects it under systemd. The audit trail is
// separate (audit_log.h): diagnostics may be noisy; the audit is a record.
#include <memory>

#include "nw/core/config.h"

namespace spdlog {
class logger;
}

namespace nw {

std::shared_ptr<spdlog::logger> make_diagnostic_logger(LogLevel level);

}  // namespace nw
