#pragma once
// neptune-sim's command line. Parsing is separate from running so that every usage
// error is testable, and so that the program can exit 64 (EX_USAGE) before it binds.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nw/sim/fault_plan.h"
#include "nw/sim/parsed.h"
#include "nw/sim/workload.h"

namespace nw::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8182;
  bool listen_given = false;  // --listen was on the command line
  WorkloadConfig workload;
  std::vector<FaultSpec> faults;
  std::int64_t duration_ms = 0;  // 0: run until SIGTERM/SIGINT
  bool quiet = false;
  bool help = false;
};

// "HOST:PORT" or "[IPv6]:PORT"; port 0 asks the kernel for a free one.
Parsed<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text);

// `args` excludes the program name. An error message names the offending option.
Parsed<SimOptions> parse_sim_options(const std::vector<std::string>& args);

// The --help text: options, fault specs, endpoints and the control API.
std::string sim_help_text();

}  // namespace nw::sim
