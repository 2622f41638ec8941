// End to end, replicas of the real neptune-watchdog sharing the instances of the real
// neptune-sim through a real etcd (Debian's etcd-server) on loopback: every offender cancelled
// exactly once (DELETEs counted at the simulator), every record naming its replica and fencing
// token, a kill -9 and a SIGSTOP of an owner taken over by the other replica, etcd lost and
// back, a reload that re-balances, and a replica name used twice.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "support/child_process.h"
#include "support/etcd_server.h"
#include "support/eventually.h"

namespace nw {
namespace {

using e2e::http_get;
using e2e::joined;
using e2e::SimQuery;
using e2e::Simulator;
using e2e::Workspace;
using std::chrono::milliseconds;
using test::ChildProcess;
using test::EtcdServer;

constexpr int kInstances = 6;

// One replica's config: every simulator instance as a typed endpoint (one unit each), a rule
// that cancels queries over 1 s, the replica's own audit file, metrics on a free port.
std::string replica_config(Workspace& ws, Simulator& sim, const EtcdServer& etcd,
                           const std::string& replica, int endpoints = kInstances) {
  const std::string path = ws.path(replica + ".ini");
  std::ofstream out(path);
  out << "[watchdog]\npoll_interval = 200ms\naudit_log = " << ws.path(replica + ".jsonl")
      << "\nmetrics_listen = 127.0.0.1:0\nlog_level = debug\n"
      << "[retry]\nmax_attempts = 2\ninitial_backoff = 10ms\nmax_backoff = 20ms\n"
      << "[ha]\netcd = " << etcd.client_url() << "\ngroup = e2e\nreplica = " << replica
      << "\nlease_ttl = 3s\nrequest_timeout = 800ms\n";
  for (int i = 0; i < endpoints; ++i)
    out << "[endpoint.i" << i << "]\nurl = " << sim.url(static_cast<std::size_t>(i))
        << "\nrequest_timeout = 1s\n";
  out << "[rule.runaway]\nmax_elapsed = 1s\n";
  out.close();
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path;
}

struct Replica {
  Replica(const std::string& config)
      : process(std::make_unique<ChildProcess>(NW_WATCHDOG_BIN,
                                               std::vector<std::string>{"--config", config})) {
    const auto line = process->wait_for_stderr(
        [](const std::string& l) {
          return l.find("metrics on http://127.0.0.1:") != std::string::npos;
        },
        e2e::kStartTimeout);
    if (line)
      port = static_cast<std::uint16_t>(std::stoi(line->substr(line->find("127.0.0.1:") + 10)));
  }
  std::string metrics() const { return http_get(port, "/metrics").second; }
  int owned() const {
    const std::string m = metrics();
    const std::string name = "\nneptune_watchdog_ha_owned_units ";
    const auto at = m.find(name);
    return at == std::string::npos ? -1 : std::stoi(m.substr(at + name.size()));
  }
  std::unique_ptr<ChildProcess> process;
  std::uint16_t port = 0;
};

using test::eventually;

// DELETEs per query id, over every instance of the simulator.
std::map<std::string, int> deletes(Simulator& sim) {
  std::map<std::string, int> out;
  for (std::size_t i = 0; i < sim.instances(); ++i)
    for (const auto& id : sim.cancelled_ids(i)) ++out[id];
  return out;
}

std::vector<Poco::JSON::Object::Ptr> records(const std::string& path) {
  return e2e::read_audit_records(path);
}

std::string offender(int n) {
  char id[64];
  std::snprintf(id, sizeof id, "0ffe0000-0000-4000-8000-%012d", n);
  return id;
}

class HaEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdServer>();
    sim_ = std::make_unique<Simulator>(
        std::vector<std::string>{"--instances", std::to_string(kInstances)});
  }
  // Offenders on every instance, `per_instance` each, spread over `over`.
  void inject_over_time(int first, int per_instance, milliseconds over) {
    const int total = per_instance * kInstances;
    for (int n = 0; n < total; ++n) {
      sim_->inject(SimQuery{offender(first + n), "MATCH (n) RETURN n", "running", 5000},
                   static_cast<std::size_t>(n % kInstances));
      std::this_thread::sleep_for(over / total);
    }
  }
  std::unique_ptr<EtcdServer> etcd_;
  std::unique_ptr<Simulator> sim_;
  Workspace ws_;
};

TEST_F(HaEndToEnd, TwoReplicasShareTheUnitsAndCancelEveryOffenderExactlyOnce) {
  Replica a(replica_config(ws_, *sim_, *etcd_, "a"));
  Replica b(replica_config(ws_, *sim_, *etcd_, "b"));
  ASSERT_NE(a.port, 0) << joined(a.process->stderr_lines());
  ASSERT_NE(b.port, 0) << joined(b.process->stderr_lines());
  ASSERT_TRUE(eventually(
      [&] { return a.owned() + b.owned() == kInstances && a.owned() > 0 && b.owned() > 0; },
      milliseconds(15000)))
      << a.owned() << " + " << b.owned() << "\n"
      << joined(a.process->stderr_lines());
  inject_over_time(0, 3, milliseconds(3000));
  ASSERT_TRUE(
      eventually([&] { return deletes(*sim_).size() == 3u * kInstances; }, milliseconds(15000)));
  std::this_thread::sleep_for(milliseconds(1000));  // a second DELETE would arrive by now
  for (const auto& [id, count] : deletes(*sim_)) EXPECT_EQ(count, 1) << id;

  a.process->signal(SIGTERM);
  b.process->signal(SIGTERM);
  ASSERT_EQ(a.process->wait_exit(milliseconds(10000)), 0);
  ASSERT_EQ(b.process->wait_exit(milliseconds(10000)), 0);
  int cancelled = 0;
  for (const char* r : {"a", "b"}) {
    for (const auto& rec : records(ws_.path(std::string(r) + ".jsonl"))) {
      EXPECT_EQ(rec->getValue<std::string>("replica"), r);
      if (rec->has("event")) continue;  // ownership records carry their own revision
      EXPECT_GT(rec->getValue<std::int64_t>("owner_revision"), 0)
          << rec->getValue<std::string>("endpoint");
      cancelled += rec->getValue<std::string>("outcome") == "cancelled";
    }
  }
  EXPECT_EQ(cancelled, 3 * kInstances);
}

TEST_F(HaEndToEnd, AKilledReplicasUnitsAreTakenOverAndTheirOffendersCancelled) {
  Replica a(replica_config(ws_, *sim_, *etcd_, "a"));
  Replica b(replica_config(ws_, *sim_, *etcd_, "b"));
  ASSERT_TRUE(eventually([&] { return a.owned() + b.owned() == kInstances && b.owned() > 0; },
                         milliseconds(15000)));
  b.process->signal(SIGKILL);
  (void)b.process->wait_exit(milliseconds(5000));
  const auto killed = std::chrono::steady_clock::now();
  inject_over_time(100, 1, milliseconds(0));
  // lease_ttl (3 s) + one poll (200 ms) + the rule's limit (the offenders are past it already).
  ASSERT_TRUE(eventually([&] { return deletes(*sim_).size() == kInstances; }, milliseconds(10000)))
      << joined(a.process->stderr_lines());
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed);
  std::cout << "takeover after kill -9: " << took.count() << " ms\n";
  EXPECT_TRUE(eventually([&] { return a.owned() == kInstances; }, milliseconds(2000)));
  for (const auto& [id, count] : deletes(*sim_)) EXPECT_EQ(count, 1) << id;
}

TEST_F(HaEndToEnd, APausedOwnerSendsNoCancelForWhatItLostAndRejoins) {
  Replica a(replica_config(ws_, *sim_, *etcd_, "a"));
  Replica b(replica_config(ws_, *sim_, *etcd_, "b"));
  ASSERT_TRUE(eventually([&] { return a.owned() + b.owned() == kInstances && b.owned() > 0; },
                         milliseconds(15000)));
  b.process->signal(SIGSTOP);
  // Three lease periods, with offenders arriving meanwhile: a takes them over and cancels them.
  inject_over_time(200, 2, milliseconds(9000));
  ASSERT_TRUE(
      eventually([&] { return deletes(*sim_).size() == 2u * kInstances; }, milliseconds(10000)));
  b.process->signal(SIGCONT);
  // b wakes with the cancels it had planned (its queries were listed when it stopped); it
  // sends none of them, audits that it lost its units, and rejoins with a share again.
  ASSERT_TRUE(eventually([&] { return b.owned() > 0 && a.owned() + b.owned() == kInstances; },
                         milliseconds(15000)))
      << joined(b.process->stderr_lines());
  std::this_thread::sleep_for(milliseconds(1000));
  for (const auto& [id, count] : deletes(*sim_)) EXPECT_EQ(count, 1) << id;
  b.process->signal(SIGTERM);
  ASSERT_EQ(b.process->wait_exit(milliseconds(10000)), 0);
  bool lost = false;
  for (const auto& rec : records(ws_.path("b.jsonl")))
    lost = lost || (rec->has("event") && rec->getValue<std::string>("event") == "ownership" &&
                    rec->getValue<std::string>("change") == "lost");
  EXPECT_TRUE(lost);
}

TEST_F(HaEndToEnd, WithoutEtcdNobodyCancelsAndCancellingResumesWhenItIsBack) {
  Replica a(replica_config(ws_, *sim_, *etcd_, "a"));
  Replica b(replica_config(ws_, *sim_, *etcd_, "b"));
  ASSERT_TRUE(eventually([&] { return a.owned() + b.owned() == kInstances; }, milliseconds(15000)));
  etcd_->kill();
  // Within the lease: both stop acting, /healthz 503 naming the cause.
  ASSERT_TRUE(eventually(
      [&] {
        return http_get(a.port, "/healthz").first == 503 &&
               http_get(b.port, "/healthz").first == 503;
      },
      milliseconds(6000)));
  EXPECT_NE(http_get(a.port, "/healthz").second.find("not acting for replica group e2e"),
            std::string::npos);
  inject_over_time(300, 1, milliseconds(0));
  std::this_thread::sleep_for(milliseconds(2000));
  EXPECT_TRUE(deletes(*sim_).empty());
  etcd_->restart();
  ASSERT_TRUE(eventually([&] { return deletes(*sim_).size() == kInstances; }, milliseconds(15000)))
      << joined(a.process->stderr_lines());
  for (const auto& [id, count] : deletes(*sim_)) EXPECT_EQ(count, 1) << id;
  a.process->signal(SIGTERM);
  b.process->signal(SIGTERM);
  ASSERT_EQ(a.process->wait_exit(milliseconds(10000)), 0);
  ASSERT_EQ(b.process->wait_exit(milliseconds(10000)), 0);
  for (const char* r : {"a", "b"}) {
    int stopped = 0, resumed = 0;
    for (const auto& rec : records(ws_.path(std::string(r) + ".jsonl"))) {
      if (!rec->has("event") || rec->getValue<std::string>("event") != "ha") continue;
      stopped += rec->getValue<std::string>("change") == "stopped";
      resumed += rec->getValue<std::string>("change") == "resumed";
    }
    EXPECT_EQ(stopped, 1) << r;
    EXPECT_EQ(resumed, 1) << r;
  }
}

TEST_F(HaEndToEnd, AReloadThatAddsAndRemovesEndpointsRebalancesWithoutWatchingTwice) {
  const std::string config_a = replica_config(ws_, *sim_, *etcd_, "a", kInstances - 2);
  const std::string config_b = replica_config(ws_, *sim_, *etcd_, "b", kInstances - 2);
  Replica a(config_a);
  Replica b(config_b);
  ASSERT_TRUE(
      eventually([&] { return a.owned() + b.owned() == kInstances - 2; }, milliseconds(15000)));
  replica_config(ws_, *sim_, *etcd_, "a");
  replica_config(ws_, *sim_, *etcd_, "b");
  a.process->signal(SIGHUP);
  b.process->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return a.owned() + b.owned() == kInstances; }, milliseconds(15000)));
  inject_over_time(400, 1, milliseconds(0));
  ASSERT_TRUE(eventually([&] { return deletes(*sim_).size() == kInstances; }, milliseconds(10000)));
  std::this_thread::sleep_for(milliseconds(1000));
  for (const auto& [id, count] : deletes(*sim_)) EXPECT_EQ(count, 1) << id;
  // And back: the two endpoints removed are released by whoever held them.
  replica_config(ws_, *sim_, *etcd_, "a", kInstances - 2);
  replica_config(ws_, *sim_, *etcd_, "b", kInstances - 2);
  a.process->signal(SIGHUP);
  b.process->signal(SIGHUP);
  ASSERT_TRUE(
      eventually([&] { return a.owned() + b.owned() == kInstances - 2; }, milliseconds(15000)));
}

TEST_F(HaEndToEnd, ThreeReplicasCancelEveryOffenderExactlyOnce) {
  Replica a(replica_config(ws_, *sim_, *etcd_, "a"));
  Replica b(replica_config(ws_, *sim_, *etcd_, "b"));
  Replica c(replica_config(ws_, *sim_, *etcd_, "c"));
  ASSERT_TRUE(eventually([&] { return a.owned() + b.owned() + c.owned() == kInstances; },
                         milliseconds(15000)));
  inject_over_time(700, 3, milliseconds(3000));
  ASSERT_TRUE(
      eventually([&] { return deletes(*sim_).size() == 3u * kInstances; }, milliseconds(15000)));
  std::this_thread::sleep_for(milliseconds(1000));
  for (const auto& [id, count] : deletes(*sim_)) EXPECT_EQ(count, 1) << id;
}

TEST_F(HaEndToEnd, ASecondProcessWithTheSameReplicaNameRefusesToStart) {
  const std::string config = replica_config(ws_, *sim_, *etcd_, "a");
  Replica a(config);
  ASSERT_NE(a.port, 0);
  ChildProcess again(NW_WATCHDOG_BIN, {"--config", config});
  const auto code = again.wait_exit(milliseconds(20000));
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 78);
  const std::string err = joined(again.stderr_lines());
  EXPECT_NE(err.find("replica name a is in use by another process"), std::string::npos) << err;
  EXPECT_NE(err.find("pid " + std::to_string(a.process->pid())), std::string::npos) << err;
}

TEST_F(HaEndToEnd, EtcdUnreachableAtStartIsNotAnErrorAndTheReplicaJoinsWhenItAnswers) {
  etcd_->kill();
  Replica a(replica_config(ws_, *sim_, *etcd_, "a"));
  ASSERT_NE(a.port, 0) << joined(a.process->stderr_lines());
  const auto health = http_get(a.port, "/healthz");
  EXPECT_EQ(health.first, 503);
  EXPECT_NE(health.second.find("not acting for replica group e2e"), std::string::npos)
      << health.second;
  EXPECT_EQ(a.owned(), 0);
  inject_over_time(500, 1, milliseconds(0));
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_TRUE(deletes(*sim_).empty());
  etcd_->restart();
  ASSERT_TRUE(eventually([&] { return a.owned() == kInstances; }, milliseconds(15000)))
      << joined(a.process->stderr_lines());
  ASSERT_TRUE(eventually([&] { return deletes(*sim_).size() == kInstances; }, milliseconds(10000)));
  EXPECT_TRUE(
      eventually([&] { return http_get(a.port, "/healthz").first == 200; }, milliseconds(5000)));
}

// Clusters are units too: each moves whole, and only its owner describes it, audits its
// topology and polls its instances.
TEST(HaClustersEndToEnd, EachClusterIsDescribedAndWatchedByItsOwnerAlone) {
  EtcdServer etcd;
  Simulator sim({"--cluster", "g", "--clusters", "4", "--instances", "2"});
  Workspace ws;
  const auto config = [&](const std::string& replica) {
    const std::string path = ws.path(replica + ".ini");
    std::ofstream out(path);
    out << "[watchdog]\npoll_interval = 200ms\naudit_log = " << ws.path(replica + ".jsonl")
        << "\nmetrics_listen = 127.0.0.1:0\n[retry]\nmax_attempts = 2\ninitial_backoff = 10ms\n"
        << "max_backoff = 20ms\n[ha]\netcd = " << etcd.client_url()
        << "\ngroup = clusters\nreplica = " << replica << "\nlease_ttl = 3s\n"
        << "request_timeout = 800ms\n";
    for (int c = 1; c <= 4; ++c)
      out << "[cluster.c" << c << "]\ncluster_id = g-" << c << "\nregion = us-east-1\n"
          << "management_url = " << sim.management_url() << "\nscheme = http\n"
          << "refresh_interval = 1s\nrequest_timeout = 1s\n";
    out << "[rule.runaway]\nmax_elapsed = 1s\n";
    out.close();
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
  };
  ChildProcess a(NW_WATCHDOG_BIN, {"--config", config("a")}, e2e::kExampleCredentials);
  ChildProcess b(NW_WATCHDOG_BIN, {"--config", config("b")}, e2e::kExampleCredentials);
  for (auto* p : {&a, &b})
    ASSERT_TRUE(p->wait_for_stderr(
        [](const std::string& l) { return l.find("started: config version") != std::string::npos; },
        e2e::kStartTimeout));
  std::this_thread::sleep_for(milliseconds(3000));  // settled: every cluster owned, described
  for (std::size_t i = 0; i < sim.instances(); ++i)
    sim.inject(SimQuery{offender(600 + static_cast<int>(i)), "MATCH (n) RETURN n", "running", 5000},
               i);
  ASSERT_TRUE(
      eventually([&] { return deletes(sim).size() == sim.instances(); }, milliseconds(10000)));
  std::this_thread::sleep_for(milliseconds(1000));
  for (const auto& [id, count] : deletes(sim)) EXPECT_EQ(count, 1) << id;
  a.signal(SIGTERM);
  b.signal(SIGTERM);
  ASSERT_EQ(a.wait_exit(milliseconds(10000)), 0);
  ASSERT_EQ(b.wait_exit(milliseconds(10000)), 0);
  // A cluster's instances are described (topology records) only by a replica that owned it,
  // and the offenders of each were cancelled by one replica, with its owner revision.
  std::map<std::string, std::set<std::string>> described;  // cluster -> replicas
  std::map<std::string, std::set<std::string>> owned;      // cluster -> replicas
  std::map<std::string, std::set<std::string>> decided;    // cluster -> replicas
  for (const char* r : {"a", "b"})
    for (const auto& rec : records(ws.path(std::string(r) + ".jsonl"))) {
      const std::string event = rec->has("event") ? rec->getValue<std::string>("event") : "";
      if (event == "topology") described[rec->getValue<std::string>("cluster")].insert(r);
      if (event == "ownership" && rec->getValue<std::string>("change") == "acquired")
        owned[rec->getValue<std::string>("unit").substr(8)].insert(r);
      if (event.empty()) {
        const std::string endpoint = rec->getValue<std::string>("endpoint");
        decided[endpoint.substr(0, endpoint.find('/'))].insert(r);
        EXPECT_GT(rec->getValue<std::int64_t>("owner_revision"), 0);
      }
    }
  EXPECT_EQ(described.size(), 4u);
  for (const auto& [cluster, replicas] : described)
    for (const auto& r : replicas) EXPECT_TRUE(owned[cluster].count(r)) << cluster << " " << r;
  EXPECT_EQ(decided.size(), 4u);
  for (const auto& [cluster, replicas] : decided) EXPECT_EQ(replicas.size(), 1u) << cluster;
}

TEST_F(HaEndToEnd, OnceBesideTheReplicasDecidesButNeverCancels) {
  inject_over_time(800, 1, milliseconds(0));
  const std::string config = replica_config(ws_, *sim_, *etcd_, "a");
  ChildProcess once(NW_WATCHDOG_BIN, {"--config", config, "--once"});
  ASSERT_EQ(once.wait_exit(milliseconds(30000)), 0) << joined(once.stderr_lines());
  EXPECT_TRUE(deletes(*sim_).empty());
  int dry_runs = 0;
  for (const auto& rec : records(ws_.path("a.jsonl")))
    dry_runs += rec->getValue<std::string>("outcome") == "dry_run";
  EXPECT_EQ(dry_runs, kInstances);
  EXPECT_NE(joined(once.stderr_lines()).find("--once with an [ha] section: a dry run"),
            std::string::npos);
}

TEST_F(HaEndToEnd, ShowHaPrintsTheMembersAndOwners) {
  Replica a(replica_config(ws_, *sim_, *etcd_, "a"));
  ASSERT_TRUE(eventually([&] { return a.owned() == kInstances; }, milliseconds(15000)));
  ChildProcess show(NW_WATCHDOG_BIN, {"--config", ws_.path("a.ini"), "--show-ha"});
  ASSERT_EQ(show.wait_exit(milliseconds(10000)), 0);
  const std::string out = joined(show.stdout_lines());
  EXPECT_NE(out.find("members (1):"), std::string::npos) << out;
  EXPECT_NE(out.find("endpoint.i0  a (owner revision"), std::string::npos) << out;
  etcd_->kill();
  ChildProcess unreachable(NW_WATCHDOG_BIN, {"--config", ws_.path("a.ini"), "--show-ha"});
  EXPECT_EQ(unreachable.wait_exit(milliseconds(10000)), 1);
}

}  // namespace
}  // namespace nw
