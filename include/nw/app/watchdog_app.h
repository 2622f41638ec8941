#pragma once
// Composes the daemon: command line, configuration, audit log, one poller thread per
// endpoint, and a signal loop on the main thread.
#include <string>
#include <vector>

#include "nw/app/cli.h"
#include "nw/app/config_holder.h"
#include "nw/core/cancel_budget.h"

namespace spdlog {
class logger;
}

namespace nw {

// Exit codes (README.md "Running it"; sysexits.h values).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitConfig = 78;

// Blocks SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1 and SIGPIPE in the calling thread. Call first thing
// in main(), before any thread exists: threads inherit the mask, so these signals are then
// only ever taken by the main thread's sigtimedwait loop and can never kill the process
// midway through writing an audit record.
void block_process_signals();

class WatchdogApp {
 public:
  // Runs to completion and returns the process exit code. `args` excludes the program name.
  int run(const std::vector<std::string>& args);

 private:
  // SIGHUP: parse and validate the file again; swap it in between polls if it is valid, keep
  // the running configuration (and log every error) if not. Budgets and per-query memory
  // survive. Endpoint and audit_log changes need a restart. Returns whether it was applied.
  static bool reload(const CliOptions& opts, ConfigHolder& holder, CancelBudget& budget,
                     spdlog::logger& log);
};

}  // namespace nw
