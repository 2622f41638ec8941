#pragma once
// Runs a program the daemon starts itself (a profile's credential_process, a notification's
// command) the one careful way: without a shell (no expansion, globbing or pipes), in a process
// group of its own with the default signal mask and dispositions, none of the daemon's file
// descriptors but the three it is given, fed `input` on its standard input (or /dev/null),
// its standard output collected up to a cap and its standard error drained and dropped (either
// may hold a secret: neither is ever logged). At the deadline the whole group is killed.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "nw/core/failure.h"

namespace nw {

struct ProgramRun {
  std::vector<std::string> argv;  // argv[0] is the program, looked up in PATH when not a path
  std::string input;              // written to its standard input, then closed; empty: /dev/null
  // "NAME=value" entries added to the daemon's environment (replacing a variable of that name).
  std::vector<std::string> environment;
  std::size_t max_output = 64u << 10;  // standard output kept; more is dropped and flagged
  // Asked every 100 ms at most: true ends the run as the deadline would (shutdown).
  std::function<bool()> abandoned;
};

struct ProgramExit {
  int exit_status = 0;  // when it exited
  int signal = 0;       // when a signal ended it (not ours: a timeout is a Failure)
  std::string output;
  bool output_too_large = false;
};

// Runs `run` until it exits or `deadline` passes. A Failure of kind `timeout` when it was
// killed at the deadline or abandoned ("PROGRAM did not finish in time; killed"), of kind
// `service_error` when it could not be started ("cannot run PROGRAM: REASON"). Only the program is
// named in messages: its arguments may hold a secret.
Result<ProgramExit> run_program(const ProgramRun& run,
                                std::chrono::steady_clock::time_point deadline);

}  // namespace nw
