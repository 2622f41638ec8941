#pragma once
// --test-matching: rehearse a policy offline on captured status replies (the body of
// GET /opencypher/status). One line per query: what the watchdog would do, by which rule, and
// why, or why nothing applies. Budgets are not simulated: they depend on the minute.
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "nw/core/config.h"

namespace nw {

// Prints the evaluation of every query in `paths` (files, or directories whose *.json files
// are read in name order). Returns 0, or 1 when a file could not be read or parsed (reported
// on `err`; the other files are still evaluated).
int run_test_matching(const WatchdogConfig& config, const std::vector<std::string>& paths,
                      std::chrono::system_clock::time_point now, std::ostream& out,
                      std::ostream& err);

}  // namespace nw
