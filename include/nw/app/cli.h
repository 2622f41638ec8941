#pragma once
// The command line of neptune-watchdog (README.md "Running it", man/neptune-watchdog.8).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "nw/app/manual_cancel.h"
#include "nw/core/audit_digest.h"
#include "nw/core/query_status.h"
#include "nw/io/admin_protocol.h"

namespace nw {

inline constexpr const char* kDefaultConfigPath = "/etc/neptune-watchdog/neptune-watchdog.ini";

struct CliOptions {
  std::string config_path = kDefaultConfigPath;
  bool check_config = false;
  // Asks the management API once for every [cluster.NAME] and prints the instances found.
  bool show_topology = false;
  // Reads the [ha] replica group from etcd and prints its members and units' owners.
  bool show_ha = false;
  bool once = false;
  bool dry_run = false;
  bool help = false;
  bool version = false;
  bool fingerprints = false;  // --test-matching: print each query's shape too
  // The `cancel` subcommand: `neptune-watchdog cancel [--config FILE] --endpoint NAME
  // [--language L] [--silent] QUERY_ID` (requested_by is filled in by the app).
  std::optional<ManualCancel> cancel;
  // `status [--json]`, `pause --for 30m [--reason TEXT]`, `resume`, `protect (--query-id ID |
  // --matches REGEX) --for 1h`: a request to the running daemon's admin socket.
  std::optional<AdminRequest> admin;
  bool json = false;  // status: the daemon's answer as it is
  // `top [--once]`: the live view on a terminal.
  bool top = false;
  bool top_once = false;
  // Files or directories of captured status JSON; "-" reads standard input.
  std::vector<std::string> test_matching;
  // --test-matching only. --language: how to read every body (unset: from each body).
  // --at: the instant at which time windows and protection expiries are judged (unset: now).
  std::optional<Language> language;
  std::optional<std::chrono::system_clock::time_point> at;
  // Audit files to sum up by query fingerprint ("-" reads standard input); no configuration.
  std::vector<std::string> digest;
  // --digest only. --since/--until (RFC 3339, or a duration back from the time of the parse),
  // --format, --limit (unset: 20 in text, all in JSON; 0: all).
  DigestRange digest_range;
  DigestFormat digest_format = DigestFormat::text;
  std::optional<std::size_t> digest_limit;
};

struct CliParse {
  CliOptions options;
  std::string error;  // non-empty: a usage error (exit 64)
};

// Parses the arguments after the program name. `now` turns --since 2h into a time.
CliParse parse_cli(const std::vector<std::string>& args,
                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

std::string help_text();

}  // namespace nw
