#pragma once
// neptune-sim as a program: parse the command line, serve, wait for a stop signal or the
// --duration deadline, stop. main() only blocks the signals first.
#include <csignal>
#include <iosfwd>
#include <string>
#include <vector>

namespace nw::sim {

// The signals that stop the simulator: SIGTERM and SIGINT. main() must block them (and
// SIGPIPE) in every thread, i.e. before any thread starts, so that they are only ever
// taken by sigwait: a second signal during shutdown then cannot kill the process.
sigset_t stop_signals();

// Runs the simulator; returns the exit code (0, 64 usage, 1 failure). `out` receives the
// listening line and cancel lines, `err` diagnostics.
int run_neptune_sim(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace nw::sim
