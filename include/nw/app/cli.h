#pragma once
// The command line of neptune-watchdog (README.md "Running it", man/neptune-watchdog.8).
#include <string>
#include <vector>

namespace nw {

inline constexpr const char* kDefaultConfigPath = "/etc/neptune-watchdog/neptune-watchdog.ini";

struct CliOptions {
  std::string config_path = kDefaultConfigPath;
  bool check_config = false;
  bool once = false;
  bool dry_run = false;
  bool help = false;
  bool version = false;
  std::vector<std::string> test_matching;  // files or directories of captured status JSON
};

struct CliParse {
  CliOptions options;
  std::string error;  // non-empty: a usage error (exit 64)
};

// Parses the arguments after the program name.
CliParse parse_cli(const std::vector<std::string>& args);

std::string help_text();

}  // namespace nw
