#include "nw/app/offline_commands.h"

#include <iostream>

#include "nw/app/digest.h"
#include "nw/app/test_matching.h"
#include "nw/app/watchdog_app.h"
#include "nw/io/config_file.h"

namespace nw {

std::optional<WatchdogConfig> load_run_config(const CliOptions& opts, std::ostream& err) {
  ConfigResult loaded = load_config_file(opts.config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) err << e.format(opts.config_path) << "\n";
    err << "neptune-watchdog: " << loaded.errors.size() << " configuration error(s); not started\n";
    return std::nullopt;
  }
  if (opts.dry_run) loaded.config.policy.dry_run = true;
  // With replicas, cancelling belongs to the replica that owns each unit: a one-off cycle next
  // to them decides and audits but never cancels.
  if (opts.once && loaded.config.ha) loaded.config.policy.dry_run = true;
  return std::move(loaded.config);
}

std::optional<int> run_offline_command(const CliParse& cli, std::ostream& out, std::ostream& err) {
  if (!cli.error.empty()) {
    err << "neptune-watchdog: " << cli.error << "\nTry 'neptune-watchdog --help'.\n";
    return kExitUsage;
  }
  const CliOptions& opts = cli.options;
  if (opts.help) {
    out << help_text();
    return kExitOk;
  }
  if (opts.version) {
    out << "neptune-watchdog " NW_VERSION "\n";
    return kExitOk;
  }
  if (!opts.digest.empty())
    return run_digest(opts.digest,
                      DigestOptions{opts.digest_range, opts.digest_format, opts.digest_limit}, out,
                      err);
  // These modes come before --test-matching when both are given.
  const bool online_first = opts.show_ha || opts.cancel || opts.top || opts.admin;
  if (opts.test_matching.empty() || online_first) return std::nullopt;
  const auto config = load_run_config(opts, err);
  if (!config) return kExitConfig;
  return run_test_matching(*config, opts.test_matching,
                           TestMatchingOptions{opts.at.value_or(std::chrono::system_clock::now()),
                                               opts.language, &std::cin, opts.fingerprints},
                           out, err);
}

}  // namespace nw
