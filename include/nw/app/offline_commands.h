#pragma once
// The commands that need no network and no daemon: usage errors, --help, --version, --digest
// and --test-matching. The program neptune-watchdog starts as (src/main.cpp) runs these
// itself, with only the libraries they use, and executes the online program for everything
// else (nw/io/online_program.h); the online program runs them through the same function, so
// the two can never answer differently.
#include <iosfwd>
#include <optional>

#include "nw/app/cli.h"
#include "nw/core/config.h"

namespace nw {

// The exit code of the command `cli` names, if it is one of those above; nullopt when it needs
// the online program (the daemon, --once, --check-config, cancel, status, top, ...).
std::optional<int> run_offline_command(const CliParse& cli, std::ostream& out, std::ostream& err);

// The configuration of --config as a run uses it: --dry-run applied, and a one-off cycle next to
// replicas made a dry run. Errors are printed to `err` as `file: key: message (line N)`;
// nullopt then (exit kExitConfig).
std::optional<WatchdogConfig> load_run_config(const CliOptions& opts, std::ostream& err);

}  // namespace nw
