// neptune-watchdog as started (src/main.cpp) and the online program it executes
// (nw/io/online_program.h): the offline commands load no network library, everything else runs
// in the same process as the online program, and a missing online program is named.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "nw/io/online_program.h"
#include "support/child_process.h"

namespace nw {
namespace {

using e2e::joined;
using e2e::Simulator;
using e2e::Workspace;
using test::ChildProcess;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The shared objects the dynamic loader maps for `program` (what ldd prints), read by running
// it with LD_TRACE_LOADED_OBJECTS: the loader lists them and exits without running the program.
std::string loaded_objects(const std::string& program) {
  ChildProcess run(program, {"--version"}, {"LD_TRACE_LOADED_OBJECTS=1"});
  EXPECT_EQ(run.wait_exit(std::chrono::seconds(30)), 0);
  return joined(run.stdout_lines());
}

std::string online_program() {
  for (const auto& path : online_program_candidates(NW_WATCHDOG_BIN))
    if (std::filesystem::exists(path)) return path;
  return "";
}

TEST(Launcher, TheOfflineCommandsLoadNoNetworkLibrary) {
  const std::string launcher = loaded_objects(NW_WATCHDOG_BIN);
  EXPECT_TRUE(contains(launcher, "libre2")) << launcher;
  for (const char* network :
       {"libPocoNet.", "libPocoNetSSL", "libssl", "libcrypto", "libncursesw", "libspdlog"})
    EXPECT_FALSE(contains(launcher, network)) << network << " is loaded:\n" << launcher;
  // The online program does load them: the two are different programs.
  ASSERT_FALSE(online_program().empty());
  const std::string online = loaded_objects(online_program());
  EXPECT_TRUE(contains(online, "libPocoNet.")) << online;
  EXPECT_TRUE(contains(online, "libssl")) << online;
  // Neither program loads libsystemd: the daemon speaks systemd's protocols itself
  // (nw/io/unix_datagram.h).
  EXPECT_FALSE(contains(online, "libsystemd")) << online;
  // Only `top` draws a screen: it opens ncurses itself, so the daemon never loads it.
  EXPECT_FALSE(contains(online, "libncursesw")) << online;
}

TEST(Launcher, TheDaemonRunsAsTheOnlineProgramInTheSameProcess) {
  Simulator sim;
  Workspace ws;
  const auto config = ws.write_config(sim.url(), "\n[rule.r]\nmax_elapsed = 1h\n");
  ChildProcess daemon(NW_WATCHDOG_BIN, {"--config", config});
  ASSERT_TRUE(daemon
                  .wait_for_stderr([](const std::string& l) { return contains(l, " queries ("); },
                                   std::chrono::seconds(20))
                  .has_value())
      << joined(daemon.stderr_lines());
  // The process the test started is now the online program: exec in place, same process id.
  const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(daemon.pid()) + "/exe");
  EXPECT_EQ(std::filesystem::canonical(exe), std::filesystem::canonical(online_program()));
}

TEST(Launcher, AMissingOnlineProgramIsNamedAndTheOfflineCommandsStillWork) {
  Workspace ws;
  const std::string alone = ws.path("neptune-watchdog");
  std::filesystem::copy_file(NW_WATCHDOG_BIN, alone);
  ChildProcess version(alone, {"--version"});
  EXPECT_EQ(version.wait_exit(std::chrono::seconds(30)), 0);
  EXPECT_TRUE(contains(joined(version.stdout_lines()), "neptune-watchdog "));

  std::ofstream(ws.path("empty.ini")) << "[watchdog]\n";
  ChildProcess check(alone, {"--check-config", "--config", ws.path("empty.ini")});
  EXPECT_EQ(check.wait_exit(std::chrono::seconds(30)), 69);
  const std::string err = joined(check.stderr_lines());
  EXPECT_TRUE(contains(err, "the online program is missing")) << err;
  EXPECT_TRUE(contains(err, "libexec/neptune-watchdog/neptune-watchdog")) << err;
}

TEST(Launcher, TheOnlineProgramIsLookedForInTheInstalledAndTheBuildLayout) {
  const auto candidates = online_program_candidates("/usr/bin/neptune-watchdog");
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_EQ(candidates[0], "/usr/libexec/neptune-watchdog/neptune-watchdog");
  EXPECT_EQ(candidates[1], "/usr/bin/libexec/neptune-watchdog/neptune-watchdog");
}

}  // namespace
}  // namespace nw
