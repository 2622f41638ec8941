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
#include "nw/sim/query_language.h"
#include "nw/sim/workload.h"

namespace nw::sim {

// Instances one process serves at most (each listens on its own port).
inline constexpr int kMaxInstances = 1000;

struct SimOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8182;  // instance i listens on port + i (or a free port each, for 0)
  bool listen_given = false;  // --listen was on the command line
  int instances = 1;
  WorkloadConfig workload;  // for every language; instance i's seed derives from seed and i
  // The languages with a synthetic workload (--arrival-rate each); all are served.
  std::vector<Language> languages = {Language::opencypher};
  std::vector<FaultSpec> faults;
  // HTTPS with this PEM certificate (chain) and key; both or neither. Empty: plain HTTP.
  std::string tls_cert;
  std::string tls_key;
  std::int64_t duration_ms = 0;  // 0: run until SIGTERM/SIGINT
  // The management API (--cluster): empty cluster, none. With clusters > 0, that many
  // clusters named CLUSTER-1 ... CLUSTER-K, each of `instances` instances; else one cluster.
  std::string cluster;
  int clusters = 0;
  std::string region = "us-east-1";
  std::string management_host;  // empty: `host`
  std::uint16_t management_port = 0;
  int management_page_size = 100;
  std::string advertise_domain;  // empty: instance addresses are `host`

  // Instances served at start: instances, times clusters with --clusters.
  int total_instances() const { return clusters > 0 ? clusters * instances : instances; }
  // The clusters' identifiers, in order (none without --cluster).
  std::vector<std::string> cluster_ids() const;
  // Instance `i` (of total_instances()) of cluster_ids()[i / instances]: CLUSTER-instance-N,
  // N from 1.
  std::string instance_id(int i) const;
  bool quiet = false;
  bool help = false;
};

// "HOST:PORT" or "[IPv6]:PORT"; port 0 asks the kernel for a free one.
Parsed<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text);

// "opencypher,gremlin": names in any case, comma-separated, each at most once.
Parsed<std::vector<Language>> parse_language_list(std::string_view text);

// `args` excludes the program name. An error message names the offending option.
Parsed<SimOptions> parse_sim_options(const std::vector<std::string>& args);

// The --help text: options, fault specs, endpoints and the control API.
std::string sim_help_text();

}  // namespace nw::sim
