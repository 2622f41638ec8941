// End to end, repeat offenders by query shape: a per-fingerprint cap cancels the newest copies,
// and a quarantined shape is cancelled on sight (and not without the rule's quarantine), across
// a restart with quarantine_state. The real neptune-watchdog and neptune-sim over loopback.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "nw/core/fingerprint.h"
#include "support/child_process.h"

namespace nw {
namespace {

using e2e::joined;
using e2e::running;
using e2e::SimQuery;
using e2e::Simulator;
using e2e::uuid;
using e2e::Workspace;
using std::chrono::milliseconds;
using test::ChildProcess;

constexpr milliseconds kWait{30000};

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string shape_of(const std::string& text) {
  return fingerprint_hex(fingerprint_query(Language::opencypher, text).hash);
}

TEST(OffendersEndToEnd, APerFingerprintCapCancelsTheNewestCopies) {
  Simulator sim;
  const std::vector<std::int64_t> elapsed = {40000, 10000, 30000, 20000};
  std::vector<SimQuery> copies;
  for (std::size_t i = 0; i < elapsed.size(); ++i)
    copies.push_back(running(10 + static_cast<int>(i),
                             "MATCH (n:Account {id: '" + std::to_string(i) + "'}) RETURN n",
                             elapsed[i]));
  for (const auto& q : copies) sim.inject(q);
  sim.inject(running(20, "MATCH (m:Other) RETURN m", 90000));  // another shape, alone
  Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), "\n[rule.copies]\nmax_running_per_fingerprint = 2\n");
  ASSERT_EQ(e2e::run_once(config), 0);

  const std::vector<std::string> newest = sorted({copies[1].id, copies[3].id});
  EXPECT_EQ(sorted(sim.cancelled_ids()), newest);
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 2u);
  const std::string fingerprint = shape_of(copies[0].text);
  for (const auto& r : records) {
    EXPECT_EQ(r->getValue<std::string>("outcome"), "cancelled");
    EXPECT_EQ(r->getValue<std::string>("fingerprint"), fingerprint);
    EXPECT_EQ(r->getValue<std::string>("reason"),
              "running 4 of fingerprint " + fingerprint +
                  " > max_running_per_fingerprint 2 (newest beyond the limit)");
  }
}

const std::string kShape = "MATCH (a:Person {name: 'NAME'})-[*1..6]->(b) RETURN count(b)";
std::string copy_of(const std::string& name) {
  std::string text = kShape;
  text.replace(text.find("NAME"), 4, name);
  return text;
}

// Waits until the simulator has seen `id` cancelled.
bool cancelled_soon(Simulator& sim, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto ids = sim.cancelled_ids();
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

const std::string kQuarantineRule =
    "\n[rule.reads]\nquery_matches = ^MATCH\nmax_elapsed = 30s\nquarantine = 10m\n";

TEST(OffendersEndToEnd, AQuarantinedShapeIsCancelledOnSightAcrossARestart) {
  Simulator sim;
  Workspace ws;
  const std::string state = ws.path("quarantine.json");
  const std::string config =
      ws.write_config(sim.url(), kQuarantineRule, "quarantine_state = " + state + "\n");
  const SimQuery runaway = running(1, copy_of("alice"), 600000);
  sim.inject(runaway);
  {
    ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
    ASSERT_TRUE(cancelled_soon(sim, runaway.id)) << joined(watchdog.stderr_lines());
    ASSERT_TRUE(watchdog.wait_for_stderr(
        [](const std::string& l) {
          return l.find("quarantine: [rule.reads]") != std::string::npos;
        },
        kWait))
        << joined(watchdog.stderr_lines());
    // A copy with another value, far within the limit, and another shape: only the copy goes.
    const SimQuery copy = running(2, copy_of("bob"), 1000);
    const SimQuery other = running(3, "MATCH (c:City) RETURN c.name", 1000);
    sim.inject(other);
    sim.inject(copy);
    ASSERT_TRUE(cancelled_soon(sim, copy.id)) << joined(watchdog.stderr_lines());
    // The state file is written within a second of the change.
    const auto saved = std::chrono::steady_clock::now() + kWait;
    while (!std::filesystem::exists(state) && std::chrono::steady_clock::now() < saved)
      std::this_thread::sleep_for(milliseconds(50));
    watchdog.signal(SIGTERM);
    EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);
    const auto ids = sim.cancelled_ids();
    EXPECT_EQ(std::count(ids.begin(), ids.end(), other.id), 0);
  }
  std::ifstream in(state);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"fingerprint\": \"" + shape_of(kShape) + "\""), std::string::npos)
      << text.str();

  // A restart keeps the quarantine: a new copy is cancelled on sight again.
  const SimQuery after_restart = running(4, copy_of("carol"), 500);
  sim.inject(after_restart);
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  ASSERT_TRUE(cancelled_soon(sim, after_restart.id)) << joined(watchdog.stderr_lines());
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);

  std::vector<std::string> reasons;
  for (const auto& r : ws.audit_records())
    if (r->getValue<std::string>("query_id") != runaway.id)
      reasons.push_back(r->getValue<std::string>("reason"));
  ASSERT_EQ(reasons.size(), 2u);
  for (const auto& reason : reasons)
    EXPECT_EQ(reason.rfind("quarantined: fingerprint " + shape_of(kShape) +
                               " cancelled by "
                               "[rule.reads] at ",
                           0),
              0u)
        << reason;

  // --check-config lists the shape in quarantine.
  ChildProcess check(NW_WATCHDOG_BIN, {"--config", config, "--check-config"});
  EXPECT_EQ(check.wait_exit(milliseconds(30000)), 0);
  const std::string out = joined(check.stdout_lines());
  EXPECT_NE(out.find("# quarantined: 1 query shape(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("[rule.reads] " + shape_of(kShape)), std::string::npos) << out;
}

TEST(OffendersEndToEnd, WithoutQuarantineACopyWithinTheLimitRuns) {
  Simulator sim;
  Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), "\n[rule.reads]\nquery_matches = ^MATCH\nmax_elapsed = 30s\n");
  const SimQuery runaway = running(1, copy_of("alice"), 600000);
  sim.inject(runaway);
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  ASSERT_TRUE(cancelled_soon(sim, runaway.id)) << joined(watchdog.stderr_lines());
  const SimQuery copy = running(2, copy_of("bob"), 1000);
  sim.inject(copy);
  // Several polls see the copy (poll_interval 200ms) and leave it alone.
  const auto is_poll = [](const std::string& l) {
    return l.find(" queries (") != std::string::npos;
  };
  const auto before = watchdog.stderr_lines();
  const auto target = std::count_if(before.begin(), before.end(), is_poll) + 5;
  long seen = 0;
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [&](const std::string& l) { return is_poll(l) && ++seen >= target; }, kWait))
      << joined(watchdog.stderr_lines());
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(10000)), 0);
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{runaway.id});
}

}  // namespace
}  // namespace nw
