// Cluster discovery on a scripted directory and the manual scheduler: the first description,
// refreshes, a failover, a failed refresh keeping the last topology, a reload keeping it, and
// every change audited as a topology record. Deterministic; no real time passes.
#include "nw/app/cluster_discovery.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "nw/io/logging.h"
#include "support/manual_clock.h"
#include "support/recording_journal.h"

namespace nw {
namespace {

using namespace std::chrono_literals;

// Answers describe() from a script, one entry per call; the last entry repeats.
class ScriptedDirectory : public ClusterDirectory {
 public:
  explicit ScriptedDirectory(std::shared_ptr<std::deque<Result<ClusterTopology>>> script)
      : script_(std::move(script)) {}
  Result<ClusterTopology> describe(std::chrono::steady_clock::time_point) override {
    ++calls;
    Result<ClusterTopology> next = script_->front();
    if (script_->size() > 1) script_->pop_front();
    return next;
  }
  std::string where() const override { return "http://127.0.0.1:1"; }
  int calls = 0;

 private:
  std::shared_ptr<std::deque<Result<ClusterTopology>>> script_;
};

DiscoveredInstance instance(const std::string& id, bool writer) {
  DiscoveredInstance i;
  i.id = id;
  i.writer = writer;
  i.status = "available";
  i.address = "127.0.0.1";
  i.port = static_cast<std::uint16_t>(9000 + id.back() - '0');
  return i;
}

class ClusterDiscoveryTest : public ::testing::Test {
 protected:
  ClusterDiscoveryTest() {
    ConfigResult parsed = parse_config(
        "[retry]\nmax_attempts = 2\ninitial_backoff = 1ms\nmax_backoff = 1ms\n"
        "[cluster.prod]\ncluster_id = prod-graph\nregion = us-east-1\nrefresh_interval = 30s\n"
        "scheme = http\n[rule.long]\nmax_elapsed = 10s\n",
        "t.ini");
    EXPECT_TRUE(parsed.ok());
    holder_ = std::make_unique<ConfigHolder>(
        std::make_shared<const WatchdogConfig>(std::move(parsed.config)));
    discovery_ = std::make_unique<ClusterDiscovery>(
        ClusterDiscovery::Services{*holder_, trail_, metrics_, *log_, stop_, clock_, scheduler_},
        [this](const ClusterConfig&) {
          auto d = std::make_unique<ScriptedDirectory>(script_);
          directory_ = d.get();
          return d;
        });
  }
  ~ClusterDiscoveryTest() override { scheduler_.stop(std::chrono::steady_clock::now()); }

  std::vector<std::string> endpoint_names() const {
    std::vector<std::string> out;
    for (const auto& e : discovery_->endpoints())
      out.push_back(e.name + ":" + std::string(to_string(e.role)));
    return out;
  }
  std::vector<std::string> topology_records() const {
    std::vector<std::string> out;
    for (const auto& r : journal_.records())
      if (r.event == AuditEvent::topology) out.push_back(r.endpoint + " " + r.change);
    return out;
  }
  void start() {
    discovery_->commit(discovery_->prepare(holder_->get()->clusters));
    discovery_->start(false);
  }

  std::shared_ptr<std::deque<Result<ClusterTopology>>> script_ =
      std::make_shared<std::deque<Result<ClusterTopology>>>();
  ScriptedDirectory* directory_ = nullptr;
  test::ManualClock clock_;
  Scheduler scheduler_{clock_, Scheduler::Options{0, 0}};
  test::RecordingJournal journal_;
  AuditTrail trail_{journal_};
  StopToken stop_;
  Metrics metrics_;
  std::shared_ptr<spdlog::logger> log_ = make_diagnostic_logger(LogLevel::error);
  std::unique_ptr<ConfigHolder> holder_;
  std::unique_ptr<ClusterDiscovery> discovery_;
};

TEST_F(ClusterDiscoveryTest, FollowsTheClusterAndAuditsEachChange) {
  script_->push_back(ClusterTopology{{instance("db-1", true), instance("db-2", false)}});
  script_->push_back(
      ClusterTopology{{instance("db-1", false), instance("db-2", true), instance("db-3", false)}});
  start();
  const auto before = discovery_->generation();
  scheduler_.run_due();
  EXPECT_EQ(endpoint_names(), (std::vector<std::string>{"prod/db-1:writer", "prod/db-2:reader"}));
  EXPECT_GT(discovery_->generation(), before);
  EXPECT_EQ(topology_records(), (std::vector<std::string>{"prod/db-1 added", "prod/db-2 added"}));
  // Nothing more until refresh_interval has passed.
  clock_.advance(29s);
  scheduler_.run_due();
  EXPECT_EQ(directory_->calls, 1);
  clock_.advance(1s);
  scheduler_.run_due();
  EXPECT_EQ(directory_->calls, 2);
  EXPECT_EQ(endpoint_names(),
            (std::vector<std::string>{"prod/db-1:reader", "prod/db-2:writer", "prod/db-3:reader"}));
  EXPECT_EQ(topology_records(),
            (std::vector<std::string>{"prod/db-1 added", "prod/db-2 added", "prod/db-1 role",
                                      "prod/db-2 role", "prod/db-3 added"}));
  EXPECT_NE(metrics_.render().find("neptune_watchdog_cluster_instances{cluster=\"prod\"} 3"),
            std::string::npos);
}

TEST_F(ClusterDiscoveryTest, AFailedRefreshKeepsTheLastTopologyAndDegradesAfterThree) {
  script_->push_back(ClusterTopology{{instance("db-1", true)}});
  script_->push_back(Failure{FailureKind::service_error, 403, "AccessDenied", "not authorized"});
  start();
  scheduler_.run_due();
  const auto generation = discovery_->generation();
  for (int i = 1; i <= 3; ++i) {
    clock_.advance(30s);
    scheduler_.run_due();
    EXPECT_EQ(endpoint_names(), std::vector<std::string>{"prod/db-1:writer"}) << i;
    EXPECT_EQ(metrics_.health(std::chrono::system_clock::now(), 1s, {}).degraded.empty(), i < 3);
  }
  EXPECT_EQ(discovery_->generation(), generation);  // nothing for the supervisor to do
  EXPECT_EQ(directory_->calls, 4);                  // AccessDenied is not retried
  const std::string text = metrics_.render();
  EXPECT_NE(text.find("neptune_watchdog_discovery_refreshes_total{cluster=\"prod\",outcome="
                      "\"AccessDenied\"} 3"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("neptune_watchdog_discovery_consecutive_failures{cluster=\"prod\"} 3"),
            std::string::npos);
}

TEST_F(ClusterDiscoveryTest, ThrottlingIsRetriedAndANeverDescribedClusterIsAskedSoon) {
  script_->push_back(Failure{FailureKind::service_error, 400, "Throttling", "Rate exceeded"});
  script_->push_back(Failure{FailureKind::service_error, 400, "Throttling", "Rate exceeded"});
  script_->push_back(ClusterTopology{{instance("db-1", true)}});
  start();
  scheduler_.run_due();
  EXPECT_EQ(directory_->calls, 2);  // max_attempts = 2
  EXPECT_TRUE(endpoint_names().empty());
  clock_.advance(ClusterDiscovery::kFirstRetry);  // not a whole refresh_interval
  scheduler_.run_due();
  EXPECT_EQ(endpoint_names(), std::vector<std::string>{"prod/db-1:writer"});
}

TEST_F(ClusterDiscoveryTest, AReloadKeepsTheTopologyAndRefreshesAtOnce) {
  script_->push_back(ClusterTopology{{instance("db-1", true)}});
  start();
  scheduler_.run_due();
  auto plan = discovery_->prepare(holder_->get()->clusters);
  // What the reload will watch is known before it commits: no gap in coverage.
  ASSERT_EQ(ClusterDiscovery::endpoints(plan).size(), 1u);
  discovery_->commit(std::move(plan));
  EXPECT_EQ(endpoint_names(), std::vector<std::string>{"prod/db-1:writer"});
  discovery_->start(false);
  scheduler_.run_due();
  EXPECT_EQ(directory_->calls, 1);  // the new tracker's own directory, asked at once
  // No change, so no new topology record.
  EXPECT_EQ(topology_records(), std::vector<std::string>{"prod/db-1 added"});
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// A management API that does not answer: every describe() waits until the test lets it go.
class StuckDirectory : public ClusterDirectory {
 public:
  struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool open = false;
    int inside = 0, most_inside = 0, calls = 0;
  };
  explicit StuckDirectory(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
  Result<ClusterTopology> describe(std::chrono::steady_clock::time_point) override {
    std::unique_lock<std::mutex> lock(gate_->mutex);
    ++gate_->calls;
    gate_->most_inside = std::max(gate_->most_inside, ++gate_->inside);
    gate_->changed.notify_all();
    gate_->changed.wait(lock, [&] { return gate_->open; });
    --gate_->inside;
    return ClusterTopology{{instance("db-1", true)}};
  }
  std::string where() const override { return "http://127.0.0.1:1"; }

 private:
  std::shared_ptr<Gate> gate_;
};

// However many clusters wait on their management API, they hold at most kMaxRefreshing
// workers: the polls and cancels of every endpoint still find one.
TEST(ClusterDiscoveryThreads, RefreshesThatHangHoldAtMostTwoWorkers) {
  std::string clusters;
  for (int i = 1; i <= 5; ++i)
    clusters += "[cluster.c" + std::to_string(i) + "]\ncluster_id = c" + std::to_string(i) +
                "\nregion = us-east-1\nscheme = http\n";
  ConfigResult parsed = parse_config(clusters + "[rule.long]\nmax_elapsed = 10s\n", "t.ini");
  ASSERT_TRUE(parsed.ok());
  ConfigHolder holder(std::make_shared<const WatchdogConfig>(std::move(parsed.config)));
  SystemClock clock;
  Scheduler scheduler(clock, Scheduler::Options{4, 12});
  test::RecordingJournal journal;
  AuditTrail trail(journal);
  StopToken stop;
  Metrics metrics;
  auto log = make_diagnostic_logger(LogLevel::error);
  auto gate = std::make_shared<StuckDirectory::Gate>();
  {
    ClusterDiscovery discovery(
        ClusterDiscovery::Services{holder, trail, metrics, *log, stop, clock, scheduler},
        [gate](const ClusterConfig&) { return std::make_unique<StuckDirectory>(gate); });
    discovery.commit(discovery.prepare(holder.get()->clusters));
    discovery.start(false);
    {
      std::unique_lock<std::mutex> lock(gate->mutex);
      ASSERT_TRUE(
          gate->changed.wait_for(lock, std::chrono::seconds(5), [&] { return gate->inside == 2; }));
    }
    // Another strand's task still runs while both refreshes hang.
    std::promise<void> ran;
    scheduler.post(scheduler.make_strand(), [&ran] { ran.set_value(); });
    EXPECT_EQ(ran.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the others keep trying
    {
      std::lock_guard<std::mutex> lock(gate->mutex);
      EXPECT_EQ(gate->most_inside, ClusterDiscovery::kMaxRefreshing);
      gate->open = true;
    }
    gate->changed.notify_all();
    // Once the API answers, every cluster is described.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (discovery.endpoints().size() < 5 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(discovery.endpoints().size(), 5u);
    stop.request_stop();
    scheduler.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
  }
}

}  // namespace
}  // namespace nw
