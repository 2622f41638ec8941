#pragma once
// neptune-watchdog is two programs of one name. The one on PATH links only what the offline
// commands use (nw/app/offline_commands.h), so that `--version`, `--test-matching` and
// `--digest` start without loading the network stack (Poco's Net, NetSSL, Crypto and Util,
// OpenSSL, spdlog: about a dozen shared objects whose relocation was most of a start). For
// everything else it executes the online program, which has every command, in place: the same
// process id (which systemd's Type=notify and the unit's hardening follow), the same arguments,
// environment and signal mask.
#include <iosfwd>
#include <string>
#include <vector>

namespace nw {

// The exit code when the online program is missing or cannot be started (sysexits.h's
// EX_UNAVAILABLE): a broken install, which the unit does not restart.
inline constexpr int kExitUnavailable = 69;

// Where the online program is looked for, beside `launcher` (the absolute path of the running
// program): installed, ../libexec/neptune-watchdog/neptune-watchdog from the bin directory;
// in a build tree, libexec/neptune-watchdog/neptune-watchdog below the build directory.
std::vector<std::string> online_program_candidates(const std::string& launcher);

// Replaces this process with the online program, passing `argv` unchanged. Returns only on
// failure, after saying why on `err`: kExitUnavailable then.
int exec_online_program(char** argv, std::ostream& err);

}  // namespace nw
