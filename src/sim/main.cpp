// neptune-sim: a simulator of Neptune instances' query-status endpoints (openCypher,
// Gremlin, SPARQL).
#include <csignal>
#include <iostream>
#include <pthread.h>

#include "nw/sim/sim_app.h"

int main(int argc, char** argv) {
  // Before any thread exists: every thread inherits this mask, so SIGTERM/SIGINT reach
  // only the sigwait in run_neptune_sim, and a closed stdout is an error, not a kill.
  sigset_t blocked = nw::sim::stop_signals();
  sigaddset(&blocked, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);

  return nw::sim::run_neptune_sim({argv + 1, argv + argc}, std::cout, std::cerr);
}
