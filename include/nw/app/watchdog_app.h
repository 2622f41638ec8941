#pragma once
// Composes the daemon: command line, configuration, audit trail, the scheduler and its poll
// loops (kept by the Supervisor), and a signal loop on the main thread. SIGHUP applies a new
// file whole (policy, endpoints added, removed or changed, a new audit_log or metrics_listen)
// or, if any part of it cannot work, rejects it whole.
#include <string>
#include <vector>

#include "nw/app/cli.h"

namespace nw {

// Exit codes (README.md "Running it"; sysexits.h values).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitNoInput = 66;  // --digest: a file that cannot be read
// 69: the online program is missing (nw/io/online_program.h, kExitUnavailable).
inline constexpr int kExitConfig = 78;

// Blocks SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1 and SIGPIPE in the calling thread. Call first
// thing in main(), before any thread exists: threads inherit the mask, so these signals are then
// only ever taken by the main thread's sigtimedwait loop and can never kill the process
// midway through writing an audit record.
void block_process_signals();

class WatchdogApp {
 public:
  // Runs to completion and returns the process exit code. `args` excludes the program name.
  int run(const std::vector<std::string>& args);
};

}  // namespace nw
