// The operator's controls: pause (socket and sentinel file), resume, temporary protections,
// expiries, and the admin records each change writes.
#include "nw/app/operator_controls.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "nw/core/config.h"
#include "nw/core/metrics.h"
#include "support/recording_journal.h"

namespace nw {
namespace {

using namespace std::chrono_literals;

const auto kNow = std::chrono::system_clock::from_time_t(1795608000);

struct Fixture {
  test::RecordingJournal journal;
  AuditTrail trail{journal};
  ConfigHolder holder{std::make_shared<const WatchdogConfig>()};
  Metrics metrics;
  std::shared_ptr<spdlog::logger> log =
      std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
  OperatorControls controls{trail, holder, metrics, *log};

  std::vector<std::string> changes() const {
    std::vector<std::string> out;
    for (const auto& r : journal.records()) out.push_back(r.change + " by " + r.requested_by);
    return out;
  }
};

TEST(OperatorControls, APauseHoldsUntilItEndsOrIsResumed) {
  Fixture f;
  EXPECT_EQ(f.controls.current()->pause_at(kNow), nullptr);
  const ControlReply paused = f.controls.pause("alice", Millis(30min), "deploy", kNow);
  ASSERT_TRUE(paused.ok) << paused.message;
  EXPECT_EQ(paused.message,
            "cancelling paused by alice since 2026-11-25T12:00:00Z until 2026-11-25T12:30:00Z: "
            "deploy");
  ASSERT_NE(f.controls.current()->pause_at(kNow + 29min), nullptr);
  EXPECT_FALSE(f.metrics.health(kNow, Millis(1000), {}).healthy);
  const ControlReply resumed = f.controls.resume("bob", kNow + 1min);
  ASSERT_TRUE(resumed.ok);
  EXPECT_EQ(f.controls.current()->pause_at(kNow + 1min), nullptr);
  EXPECT_TRUE(f.metrics.health(kNow, Millis(1000), {}).healthy);
  EXPECT_FALSE(f.controls.resume("bob", kNow + 2min).ok);  // nothing to resume
  // One that runs out is audited as it ends, at the tick after.
  ASSERT_TRUE(f.controls.pause("carol", Millis(1min), "", kNow + 3min).ok);
  f.controls.tend(kNow + 5min, "");
  EXPECT_EQ(f.changes(), (std::vector<std::string>{"pause by alice", "resume by bob",
                                                   "pause by carol", "resume by carol"}));
  EXPECT_EQ(f.controls.current()->pause, std::nullopt);
}

TEST(OperatorControls, AForgottenPauseMustEnd) {
  Fixture f;
  EXPECT_FALSE(f.controls.pause("alice", Millis(24h * 8), "", kNow).ok);
  EXPECT_FALSE(f.controls.pause("alice", Millis(0), "", kNow).ok);
  EXPECT_TRUE(f.journal.records().empty());
}

TEST(OperatorControls, TheSentinelFilePausesWhileItExistsAndOutranksResume) {
  Fixture f;
  const auto dir =
      std::filesystem::temp_directory_path() / ("nw-sentinel-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string sentinel = (dir / "pause").string();
  f.controls.tend(kNow, sentinel);
  EXPECT_EQ(f.controls.current()->pause, std::nullopt);
  std::ofstream(sentinel) << "maintenance\nsecond line\n";
  f.controls.tend(kNow + 1s, sentinel);
  const OperatorPause* pause = f.controls.current()->pause_at(kNow + 1h);
  ASSERT_NE(pause, nullptr);
  EXPECT_EQ(pause->requested_by, "sentinel file " + sentinel);
  EXPECT_EQ(pause->reason, "maintenance");
  EXPECT_FALSE(f.controls.resume("alice", kNow + 2s).ok);
  std::filesystem::remove(sentinel);
  f.controls.tend(kNow + 3s, sentinel);
  EXPECT_EQ(f.controls.current()->pause, std::nullopt);
  EXPECT_EQ(f.changes(), (std::vector<std::string>{"pause by sentinel file " + sentinel,
                                                   "resume by sentinel file " + sentinel}));
  std::filesystem::remove_all(dir);
}

TEST(OperatorControls, ProtectionsExpireOnTheirOwn) {
  Fixture f;
  ASSERT_TRUE(f.controls.protect("alice", "q-1", "", Millis(1h), kNow).ok);
  ASSERT_TRUE(f.controls.protect("alice", "", "Backup", Millis(2h), kNow).ok);
  EXPECT_FALSE(f.controls.protect("alice", "", "(", Millis(1h), kNow).ok);
  EXPECT_FALSE(f.controls.protect("alice", "q", "x", Millis(1h), kNow).ok);
  EXPECT_FALSE(f.controls.protect("alice", "", "", Millis(1h), kNow).ok);
  const auto state = f.controls.current();
  ASSERT_EQ(state->protections.size(), 2u);
  EXPECT_EQ(state->protections[0].section, "protect by alice #1");
  EXPECT_STREQ(state->protections[0].covers({"q-1", "", 1, 0, false}, kNow), "id");
  EXPECT_STREQ(state->protections[1].covers({"x", "MATCH (b:Backup)", 1, 0, false}, kNow), "text");
  f.controls.tend(kNow + 90min, "");
  EXPECT_EQ(f.controls.current()->protections.size(), 1u);
  f.controls.tend(kNow + 3h, "");
  EXPECT_TRUE(f.controls.current()->protections.empty());
  EXPECT_EQ(f.changes(), (std::vector<std::string>{"protect by alice", "protect by alice"}));
}

}  // namespace
}  // namespace nw
