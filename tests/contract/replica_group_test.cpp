// Replicas sharing units through a real etcd (Debian's etcd-server) on loopback: membership,
// rendezvous ownership, hand-over only after a drain, a lease lost behind a replica's back, a
// replica name used twice, keys written by hand, and an etcd outage.
#include "nw/app/replica_group.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "nw/core/replica_assignment.h"
#include "nw/io/logging.h"
#include "support/etcd_server.h"
#include "support/eventually.h"
#include "support/recording_journal.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

using namespace std::chrono_literals;
using test::EtcdServer;

using test::eventually;

EtcdOptions etcd_options(const EtcdServer& server) {
  EtcdOptions options;
  options.endpoints = {server.client_url()};
  options.request_timeout = 800ms;
  options.watch_window = 300ms;
  return options;
}

std::unique_ptr<EtcdClient> etcd_client(const EtcdServer& server) {
  auto made = EtcdClient::create(etcd_options(server), nullptr);
  EXPECT_TRUE(made.ok()) << (made ? "" : made.failure().describe());
  return std::move(made.value());
}

// One replica as the daemon has it, with the daemon's side played by drain(): a unit being
// released is reported drained at once (no loop of it runs in a test).
struct Replica {
  Replica(const EtcdServer& server, const std::string& name)
      : holder(std::make_shared<const WatchdogConfig>([] {
          WatchdogConfig c;
          c.version = "0123456789ab";
          return c;
        }())),
        trail(journal),
        log(make_diagnostic_logger(LogLevel::error)),
        made(ReplicaGroup::create(
            ReplicaGroup::Services{holder, trail, metrics, *log, clock}, etcd_options(server),
            ReplicaGroupOptions{"test", name, "host-of-" + name, 3s, 0.01}, nullptr)),
        group(*made.value()) {}

  std::optional<std::string> join() { return group.join(std::chrono::steady_clock::now() + 8s); }
  void start(const std::vector<std::string>& units) {
    group.set_units(units);
    group.start();
  }
  void drain_released() {
    for (const auto& unit : group.releasing_units()) group.drained(unit);
  }
  std::vector<AuditRecord> ownership(const std::string& change) const {
    std::vector<AuditRecord> out;
    for (const auto& r : journal.records())
      if (r.event == AuditEvent::ownership && r.change == change) out.push_back(r);
    return out;
  }

  ConfigHolder holder;
  test::RecordingJournal journal;
  AuditTrail trail;
  Metrics metrics;
  std::shared_ptr<spdlog::logger> log;
  SystemClock clock;
  Result<std::unique_ptr<ReplicaGroup>> made;
  ReplicaGroup& group;
};

std::vector<std::string> units(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(cluster_unit("graph-" + std::to_string(i)));
  return out;
}

class ReplicaGroupTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<EtcdServer>(); }
  std::unique_ptr<EtcdServer> server_;
};

TEST_F(ReplicaGroupTest, OneReplicaAloneOwnsEveryUnitWithAFencingToken) {
  Replica r1(*server_, "r1");
  ASSERT_EQ(r1.join(), std::nullopt);
  r1.start(units(5));
  ASSERT_TRUE(eventually([&] { return r1.group.working_units().size() == 5; }, 5s));
  for (const auto& unit : units(5)) {
    const auto fence = r1.group.fence(unit, 500ms);
    ASSERT_TRUE(fence) << unit;
    EXPECT_EQ(fence->replica, "r1");
    EXPECT_GT(fence->revision, 0);
  }
  // A cancel that could outlive the lease is not allowed, even to the owner.
  EXPECT_FALSE(r1.group.fence(units(1)[0], 10s));
  const auto acquired = r1.ownership("acquired");
  ASSERT_EQ(acquired.size(), 5u);
  for (const auto& r : acquired) {
    EXPECT_EQ(r.replica, "r1");
    EXPECT_EQ(r.owner_revision, r1.group.fence(r.unit, 0ms)->revision);
  }
  EXPECT_EQ(r1.group.not_acting_cause(), "");
  // The keys say the same to anyone who reads etcd.
  auto keys = etcd_client(*server_)->range("/neptune-watchdog/test/owners/");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys.value().kvs.size(), 5u);
  for (const auto& kv : keys.value().kvs) EXPECT_EQ(kv.value, "r1");
}

TEST_F(ReplicaGroupTest, ASecondReplicaTakesItsShareOnlyAfterTheFirstDrainedIt) {
  const auto all = units(16);
  Replica r1(*server_, "r1");
  ASSERT_EQ(r1.join(), std::nullopt);
  r1.start(all);
  ASSERT_TRUE(eventually([&] { return r1.group.working_units().size() == all.size(); }, 5s));

  Replica r2(*server_, "r2");
  ASSERT_EQ(r2.join(), std::nullopt);
  r2.start(all);
  std::vector<std::string> share2;
  for (const auto& [u, owner] : assign_units(all, {"r1", "r2"}))
    if (owner == "r2") share2.push_back(u);
  ASSERT_FALSE(share2.empty());
  ASSERT_TRUE(eventually([&] { return r1.group.releasing_units().size() == share2.size(); }, 5s));
  // Not drained yet: r1 still holds them, r2 must not take them.
  std::this_thread::sleep_for(700ms);
  for (const auto& u : share2) {
    EXPECT_TRUE(r1.group.holder_of(u)) << u;
    EXPECT_FALSE(r2.group.holder_of(u)) << u;
  }
  r1.drain_released();
  ASSERT_TRUE(eventually([&] { return r2.group.working_units().size() == share2.size(); }, 5s));
  EXPECT_EQ(r1.group.working_units().size(), all.size() - share2.size());
  for (const auto& u : all) EXPECT_FALSE(r1.group.holder_of(u) && r2.group.holder_of(u)) << u;
  EXPECT_EQ(r1.ownership("released").size(), share2.size());
  EXPECT_EQ(r2.ownership("acquired").size(), share2.size());

  // r2 stops: its lease is revoked, and r1 takes its share back without waiting for expiry.
  r2.group.stop();
  ASSERT_TRUE(eventually([&] { return r1.group.working_units().size() == all.size(); }, 2s));
}

TEST_F(ReplicaGroupTest, NoUnitIsEverHeldByTwoReplicasWhileTheyComeAndGo) {
  const auto all = units(12);
  Replica r1(*server_, "r1");
  ASSERT_EQ(r1.join(), std::nullopt);
  r1.start(all);
  auto r2 = std::make_unique<Replica>(*server_, "r2");
  ASSERT_EQ(r2->join(), std::nullopt);
  r2->start(all);
  const auto deadline = std::chrono::steady_clock::now() + 6s;
  int round = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    r1.drain_released();
    if (r2) r2->drain_released();
    for (const auto& u : all)
      ASSERT_FALSE(r1.group.fence(u, 0ms) && r2 && r2->group.fence(u, 0ms)) << u;
    if (++round == 100) r2.reset();  // leaves mid-way (its destructor revokes the lease)
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(r1.group.working_units().size(), all.size());
}

TEST_F(ReplicaGroupTest, ALeaseRevokedBehindItsBackLosesTheUnitsAndTheReplicaRejoins) {
  Replica r1(*server_, "r1");
  ASSERT_EQ(r1.join(), std::nullopt);
  r1.start(units(3));
  ASSERT_TRUE(eventually([&] { return r1.group.working_units().size() == 3; }, 5s));
  const auto before = r1.group.fence(units(1)[0], 0ms)->revision;
  auto other = etcd_client(*server_);
  auto member = other->range("/neptune-watchdog/test/members/r1");
  ASSERT_TRUE(member.ok());
  ASSERT_EQ(member.value().kvs.size(), 1u);
  ASSERT_TRUE(other->revoke(member.value().kvs[0].lease).ok());
  ASSERT_TRUE(eventually([&] { return r1.ownership("lost").size() == 3; }, 5s));
  ASSERT_TRUE(eventually(
      [&] {
        const auto f = r1.group.fence(units(1)[0], 0ms);
        return f && f->revision > before;
      },
      5s));
}

TEST_F(ReplicaGroupTest, ASecondProcessWithTheSameNameIsRefusedNamingTheFirst) {
  Replica r1(*server_, "r1");
  ASSERT_EQ(r1.join(), std::nullopt);
  r1.start(units(2));
  Replica again(*server_, "r1");
  const auto refused = again.join();
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("replica name r1 is in use by another process"), std::string::npos)
      << *refused;
  EXPECT_NE(refused->find("host-of-r1"), std::string::npos) << *refused;
  // The first goes on owning everything.
  EXPECT_TRUE(eventually([&] { return r1.group.working_units().size() == 2; }, 5s));
}

TEST_F(ReplicaGroupTest, KeysWrittenByHandNeitherBlockAUnitNorCountAsAMember) {
  auto other = etcd_client(*server_);
  // An owner key without a lease would block the unit forever; a member key without a lease
  // is no live replica (rendezvous would give it units nobody then takes).
  ASSERT_TRUE(
      other->put_if_absent("/neptune-watchdog/test/owners/cluster.graph-0", "garbage", 0).ok());
  ASSERT_TRUE(other->put_if_absent("/neptune-watchdog/test/members/ghost", "{not json", 0).ok());
  ASSERT_TRUE(other->put_if_absent("/neptune-watchdog/test/whatever", "\x01\x02", 0).ok());
  Replica r1(*server_, "r1");
  ASSERT_EQ(r1.join(), std::nullopt);
  r1.start(units(6));
  ASSERT_TRUE(eventually([&] { return r1.group.working_units().size() == 6; }, 5s));
}

TEST_F(ReplicaGroupTest, AnEtcdOutageStopsCancelsWithinTheLeaseAndTheyResumeAfter) {
  Replica r1(*server_, "r1");
  ASSERT_EQ(r1.join(), std::nullopt);
  r1.start(units(3));
  ASSERT_TRUE(eventually([&] { return r1.group.working_units().size() == 3; }, 5s));
  const auto revision = r1.group.fence(units(1)[0], 0ms)->revision;
  server_->kill();
  // Within lease_ttl (3 s), less the drift margin: no cancel may go.
  ASSERT_TRUE(eventually([&] { return !r1.group.fence(units(1)[0], 0ms); }, 3500ms));
  EXPECT_NE(r1.group.not_acting_cause(), "");
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& r : r1.journal.records())
          if (r.event == AuditEvent::ha && r.change == "stopped") return true;
        return false;
      },
      2s));
  server_->restart();
  // etcd keeps leases across a restart (its new leader renews them): the same keys, the same
  // fencing tokens, and cancels may go again.
  ASSERT_TRUE(eventually([&] { return r1.group.fence(units(1)[0], 0ms).has_value(); }, 10s));
  EXPECT_EQ(r1.group.fence(units(1)[0], 0ms)->revision, revision);
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& r : r1.journal.records())
          if (r.event == AuditEvent::ha && r.change == "resumed") return true;
        return false;
      },
      2s));
}

TEST(ReplicaGroupKeys, TheLayoutOfAGroupsKeys) {
  EXPECT_EQ(member_key("prod", "wd-1"), "/neptune-watchdog/prod/members/wd-1");
  EXPECT_EQ(owner_key("prod", "cluster.c"), "/neptune-watchdog/prod/owners/cluster.c");
  const GroupKey owner = parse_group_key("prod", "/neptune-watchdog/prod/owners/cluster.c");
  EXPECT_EQ(owner.kind, GroupKey::Kind::owner);
  EXPECT_EQ(owner.name, "cluster.c");
  EXPECT_EQ(parse_group_key("prod", "/neptune-watchdog/prod/members/wd-1").name, "wd-1");
  for (const char* other : {"/neptune-watchdog/prod/owners/", "/neptune-watchdog/prod/whatever",
                            "/neptune-watchdog/other/members/wd-1", "members/wd-1"})
    EXPECT_EQ(parse_group_key("prod", other).kind, GroupKey::Kind::other) << other;
}

TEST(ReplicaGroupBadInput, AnEtcdThatAnswersNonsenseGetsNoUnitActedOn) {
  test::ScriptedHttpServer garbage;
  garbage.set_fallback(test::ScriptedResponse{200, "<html>not etcd</html>", "text/html"});
  EtcdOptions options;
  options.endpoints = {"http://127.0.0.1:" + std::to_string(garbage.port())};
  options.request_timeout = 500ms;
  ConfigHolder holder(std::make_shared<const WatchdogConfig>());
  test::RecordingJournal journal;
  AuditTrail trail(journal);
  Metrics metrics;
  auto log = make_diagnostic_logger(LogLevel::error);
  SystemClock clock;
  auto made =
      ReplicaGroup::create(ReplicaGroup::Services{holder, trail, metrics, *log, clock}, options,
                           ReplicaGroupOptions{"test", "r1", "h", 3s, 0.01}, nullptr);
  ASSERT_TRUE(made.ok());
  ReplicaGroup& group = *made.value();
  // Not a configuration error: the daemon starts, and keeps trying.
  EXPECT_EQ(group.join(std::chrono::steady_clock::now() + 2s), std::nullopt);
  group.set_units(units(3));
  group.start();
  std::this_thread::sleep_for(1500ms);
  for (const auto& unit : units(3)) EXPECT_FALSE(group.fence(unit, 0ms)) << unit;
  EXPECT_TRUE(group.working_units().empty());
  EXPECT_NE(group.not_acting_cause().find("etcd:"), std::string::npos) << group.not_acting_cause();
  EXPECT_FALSE(garbage.requests().empty());
}

// A clock whose calendar time an operator (or NTP) steps while the monotonic time goes on.
class SteppedWallClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now() + step_.load();
  }
  std::atomic<std::chrono::system_clock::duration> step_{std::chrono::system_clock::duration{}};
};

TEST_F(ReplicaGroupTest, AStepOfTheWallClockChangesNothing) {
  ConfigHolder holder(std::make_shared<const WatchdogConfig>());
  test::RecordingJournal journal;
  AuditTrail trail(journal);
  Metrics metrics;
  auto log = make_diagnostic_logger(LogLevel::error);
  SteppedWallClock clock;
  auto made = ReplicaGroup::create(ReplicaGroup::Services{holder, trail, metrics, *log, clock},
                                   etcd_options(*server_),
                                   ReplicaGroupOptions{"test", "r1", "h", 3s, 0.01}, nullptr);
  ASSERT_TRUE(made.ok());
  ReplicaGroup& group = *made.value();
  ASSERT_EQ(group.join(std::chrono::steady_clock::now() + 5s), std::nullopt);
  group.set_units(units(3));
  group.start();
  ASSERT_TRUE(eventually([&] { return group.working_units().size() == 3; }, 5s));
  const auto before = journal.records().size();
  for (const auto step : {std::chrono::hours(-2), std::chrono::hours(3), std::chrono::hours(0)}) {
    clock.step_ = std::chrono::duration_cast<std::chrono::system_clock::duration>(step);
    const auto until = std::chrono::steady_clock::now() + 2s;  // more than a keep-alive period
    while (std::chrono::steady_clock::now() < until) {
      for (const auto& unit : units(3)) ASSERT_TRUE(group.fence(unit, 0ms)) << unit;
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_EQ(journal.records().size(), before);  // nothing lost, stopped or acquired again
}

TEST(ReplicaGroupMembers, OneEtcdMemberLostOfThreeMovesNothingAndLeavesNoGap) {
  test::EtcdCluster etcd;
  EtcdOptions options;
  options.endpoints = etcd.client_urls();
  options.request_timeout = 800ms;
  options.watch_window = 300ms;
  const auto replica = [&](const std::string& name) {
    struct R {
      ConfigHolder holder{std::make_shared<const WatchdogConfig>()};
      test::RecordingJournal journal;
      AuditTrail trail{journal};
      Metrics metrics;
      std::shared_ptr<spdlog::logger> log = make_diagnostic_logger(LogLevel::error);
      SystemClock clock;
      std::unique_ptr<ReplicaGroup> group;
    };
    auto r = std::make_unique<R>();
    auto made = ReplicaGroup::create(
        ReplicaGroup::Services{r->holder, r->trail, r->metrics, *r->log, r->clock}, options,
        // The default lease: losing the leader member means an election (about a second, more
        // under a sanitizer) during which no keep-alive is answered; the lease must cover it.
        ReplicaGroupOptions{"test", name, "h", 10s, 0.01}, nullptr);
    EXPECT_TRUE(made.ok());
    r->group = std::move(made.value());
    EXPECT_EQ(r->group->join(std::chrono::steady_clock::now() + 5s), std::nullopt);
    r->group->set_units(units(8));
    r->group->start();
    return r;
  };
  auto r1 = replica("r1");
  auto r2 = replica("r2");
  const auto settled = [&] {
    for (const auto* r : {r1.get(), r2.get()})  // the daemon's part: nothing runs to drain
      for (const auto& unit : r->group->releasing_units()) r->group->drained(unit);
    // Both hold a share (at most 5 of 8 each: kMaxLoad), nothing is on its way.
    const auto one = r1->group->working_units().size(), two = r2->group->working_units().size();
    return one + two == 8 && one >= 3 && two >= 3 && r1->group->releasing_units().empty() &&
           r2->group->releasing_units().empty();
  };
  ASSERT_TRUE(eventually(settled, 8s));
  const auto records1 = r1->journal.records().size(), records2 = r2->journal.records().size();
  etcd.kill(0);  // the member every request went to first
  // 6 s, past the election and two keep-alive periods: every unit keeps exactly one owner that
  // may act, all the time.
  const auto until = std::chrono::steady_clock::now() + 6s;
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& unit : units(8)) {
      const bool one = r1->group->fence(unit, 0ms).has_value();
      const bool two = r2->group->fence(unit, 0ms).has_value();
      ASSERT_TRUE(one != two) << unit;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(r1->journal.records().size(), records1);
  EXPECT_EQ(r2->journal.records().size(), records2);
}

}  // namespace
}  // namespace nw
