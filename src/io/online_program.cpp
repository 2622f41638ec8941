#include "nw/io/online_program.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <unistd.h>

namespace nw {

std::vector<std::string> online_program_candidates(const std::string& launcher) {
  const std::filesystem::path dir = std::filesystem::path(launcher).parent_path();
  return {(dir / NW_ONLINE_PROGRAM_FROM_BINDIR).lexically_normal().string(),
          (dir / "libexec/neptune-watchdog/neptune-watchdog").string()};
}

int exec_online_program(char** argv, std::ostream& err) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    err << "neptune-watchdog: cannot find its own path (/proc/self/exe): " << error.message()
        << "\n";
    return kExitUnavailable;
  }
  const auto candidates = online_program_candidates(self.string());
  for (const std::string& path : candidates) {
    if (access(path.c_str(), X_OK) != 0) continue;
    if (std::filesystem::equivalent(path, self, error)) continue;  // never itself, in a loop
    execv(path.c_str(), argv);
    err << "neptune-watchdog: cannot start " << path << ": " << std::strerror(errno) << "\n";
    return kExitUnavailable;
  }
  err << "neptune-watchdog: the online program is missing (looked for " << candidates.front()
      << " and " << candidates.back() << "); reinstall neptune-watchdog\n";
  return kExitUnavailable;
}

}  // namespace nw
