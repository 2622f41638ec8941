// End to end, a watchdog following a discovered cluster of the real neptune-sim through its
// management API: instances found at start, a reader added and removed while it runs, a
// failover moving a writer-only rule, and a management API that fails keeping the last
// topology in force.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "support/child_process.h"

namespace nw {
namespace {

using e2e::joined;
using e2e::SimQuery;
using e2e::Simulator;
using e2e::Workspace;
using std::chrono::milliseconds;
using test::ChildProcess;

using e2e::kExampleCredentials;

std::string cluster_config(Workspace& ws, Simulator& sim, const std::string& rules) {
  const std::string path = ws.path("cluster.ini");
  std::ofstream out(path);
  out << "[watchdog]\npoll_interval = 200ms\naudit_log = " << ws.audit_path()
      << "\nlog_level = debug\n[retry]\nmax_attempts = 2\ninitial_backoff = 10ms\n"
         "max_backoff = 20ms\n[cluster.demo]\ncluster_id = demo\nregion = us-east-1\n"
         "management_url = "
      << sim.management_url() << "\nscheme = http\nrefresh_interval = 1s\nrequest_timeout = 2s\n"
      << rules;
  out.close();
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path;
}

bool has(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

std::uint16_t port_of(const std::string& json) {
  const auto at = json.find("\"port\"");
  return static_cast<std::uint16_t>(std::stoi(json.substr(json.find(':', at) + 1)));
}

TEST(ClusterEndToEnd, FollowsReadersAndFailoversWithoutLosingCoverage) {
  Simulator sim({"--cluster", "demo", "--instances", "2"});
  Workspace ws;
  const std::string config =
      cluster_config(ws, sim,
                     "[rule.runaway]\nquery_matches = RUNAWAY\nmax_elapsed = 1s\n"
                     "[rule.writer-strict]\nroles = writer\nmax_elapsed = 1s\n"
                     "[rule.readers]\nroles = reader\nmax_elapsed = 1h\n");
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config}, kExampleCredentials);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("started: config version") != std::string::npos; },
      e2e::kStartTimeout))
      << joined(watchdog.stderr_lines());
  EXPECT_TRUE(has(watchdog.stderr_lines(), "2 endpoint(s)")) << joined(watchdog.stderr_lines());

  // A reader joins: polled within one refresh (1s), and judged by the readers' rule.
  const auto added = sim.manage("POST", "/sim/clusters/demo/instances");
  ASSERT_EQ(added.first, 201) << added.second;
  const std::uint16_t reader_port = port_of(added.second);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("topology: endpoints added [demo/demo-instance-3]") != std::string::npos;
      },
      milliseconds(8000)))
      << joined(watchdog.stderr_lines());
  // It is watched: a runaway there is cancelled.
  sim.inject_at_port(SimQuery{"runaway-on-3", "MATCH (n) RETURN n // RUNAWAY", "running", 5000},
                     reader_port);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("query runaway-on-3 cancelled by rule runaway") != std::string::npos;
      },
      milliseconds(5000)))
      << joined(watchdog.stderr_lines());

  // A long query on instance 2 (a reader): within the readers' hour, left alone.
  sim.inject(SimQuery{"long-on-2", "MATCH (n) RETURN n", "running", 5000}, 1);
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_TRUE(sim.cancelled_ids(1).empty());
  // Instance 2 becomes the writer: the writer's rule now governs it, and cancels the query.
  ASSERT_EQ(
      sim.manage("POST", "/sim/clusters/demo/failover", R"({"target":"demo-instance-2"})").first,
      200);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("query long-on-2 cancelled by rule writer-strict") != std::string::npos;
      },
      milliseconds(8000)))
      << joined(watchdog.stderr_lines());

  // The management API fails: the last topology stays watched.
  ASSERT_EQ(sim.manage("POST", "/sim/management/fault", R"({"fault":"access-denied"})").first, 200);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("AccessDenied") != std::string::npos; },
      milliseconds(8000)))
      << joined(watchdog.stderr_lines());
  sim.inject(SimQuery{"long-on-2-again", "MATCH (m) RETURN m", "running", 5000}, 1);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("query long-on-2-again cancelled by rule writer-strict") != std::string::npos;
      },
      milliseconds(8000)))
      << joined(watchdog.stderr_lines());
  ASSERT_EQ(sim.manage("DELETE", "/sim/management/fault", "").first, 200);

  // A reader removed: its loop stops, nothing of it is polled any more.
  ASSERT_EQ(sim.manage("DELETE", "/sim/instances/demo-instance-3", "").first, 200);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("removed [demo/demo-instance-3]") != std::string::npos;
      },
      milliseconds(8000)))
      << joined(watchdog.stderr_lines());

  watchdog.signal(SIGTERM);
  ASSERT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);
  const auto topology = ws.topology_records();
  for (const char* expected :
       {"demo/demo-instance-1 added: writer, available", "demo/demo-instance-2 added: reader",
        "demo/demo-instance-3 added: reader", "demo/demo-instance-2 role: reader -> writer",
        "demo/demo-instance-1 role: writer -> reader", "demo/demo-instance-3 removed"})
    EXPECT_TRUE(has(topology, expected)) << expected << "\n" << joined(topology);
  // Every decision record names an endpoint of the cluster; no secret reached any output.
  for (const auto& r : ws.audit_records())
    EXPECT_EQ(r->getValue<std::string>("endpoint").rfind("demo/", 0), 0u);
  for (const auto& l : watchdog.stderr_lines()) EXPECT_EQ(l.find("EXAMPLEKEY"), std::string::npos);
}

TEST(ClusterEndToEnd, ShowTopologyPrintsTheInstancesAndRoles) {
  Simulator sim({"--cluster", "demo", "--instances", "3"});
  Workspace ws;
  const std::string config =
      cluster_config(ws, sim, "roles = reader\n[rule.r]\nmax_elapsed = 1h\n");
  ChildProcess show(NW_WATCHDOG_BIN, {"--config", config, "--show-topology"}, kExampleCredentials);
  ASSERT_EQ(show.wait_exit(milliseconds(20000)), 0) << joined(show.stderr_lines());
  const auto lines = show.stdout_lines();
  EXPECT_TRUE(has(lines, "[cluster.demo] demo (us-east-1)")) << joined(lines);
  EXPECT_TRUE(has(lines, "demo-instance-1  writer  available  127.0.0.1:" +
                             std::to_string(sim.port(0)) + "  not watched"))
      << joined(lines);
  EXPECT_TRUE(has(lines, "demo-instance-2  reader  available  127.0.0.1:" +
                             std::to_string(sim.port(1)) + "  watched as demo/demo-instance-2"))
      << joined(lines);
  EXPECT_FALSE(std::filesystem::exists(ws.audit_path())) << "--show-topology audits nothing";
  // A management API that refuses: exit 1 and the reason.
  ASSERT_EQ(sim.manage("POST", "/sim/management/fault", R"({"fault":"access-denied"})").first, 200);
  ChildProcess refused(NW_WATCHDOG_BIN, {"--config", config, "--show-topology"},
                       kExampleCredentials);
  ASSERT_EQ(refused.wait_exit(milliseconds(20000)), 1);
  EXPECT_TRUE(has(refused.stderr_lines(), "AccessDenied")) << joined(refused.stderr_lines());
}

}  // namespace
}  // namespace nw
