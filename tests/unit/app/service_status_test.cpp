#include "nw/app/service_status.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

using Clock = ServiceStatus::Clock;
using std::chrono::seconds;

TEST(ServiceStatus, ReadyOnlyOnceEveryEndpointWasPolled) {
  const auto t0 = Clock::time_point{} + seconds(1000);
  ServiceStatus s({"a", "b"}, t0);
  EXPECT_FALSE(s.all_polled_once());
  s.cycle_finished("a", true, 3, "", t0);
  EXPECT_FALSE(s.all_polled_once());
  s.cycle_finished("b", false, 0, "transport error", t0);  // polled, if unsuccessfully
  EXPECT_TRUE(s.all_polled_once());
}

TEST(ServiceStatus, ProgressMeansEveryLoopKeepsItsPromise) {
  const auto t0 = Clock::time_point{} + seconds(1000);
  ServiceStatus s({"a", "b"}, t0);
  EXPECT_TRUE(s.making_progress(t0 + seconds(59)));  // start-up grace
  EXPECT_FALSE(s.making_progress(t0 + seconds(61)));
  s.promise_progress_by("a", t0 + seconds(100));
  s.promise_progress_by("b", t0 + seconds(70));
  EXPECT_TRUE(s.making_progress(t0 + seconds(70)));
  EXPECT_FALSE(s.making_progress(t0 + seconds(71)));  // b broke its promise: hung
  s.promise_progress_by("b", t0 + seconds(200));
  EXPECT_TRUE(s.making_progress(t0 + seconds(90)));
}

TEST(ServiceStatus, SummaryCountsHealthyEndpointsQueriesAndRecentCancels) {
  const auto t0 = Clock::time_point{} + seconds(1000);
  ServiceStatus s({"writer", "reader"}, t0);
  const auto v0 = s.version();
  s.cycle_finished("writer", true, 30, "", t0);
  s.cycle_finished("reader", false, 0, "timeout", t0);
  EXPECT_GT(s.version(), v0);
  s.cancel_sent(t0);
  s.cancel_sent(t0 + seconds(30));
  EXPECT_EQ(s.summary(t0 + seconds(40)),
            "1/2 endpoints healthy, 30 queries seen, 2 cancels in the last minute, last error: reader: timeout");
  EXPECT_EQ(s.summary(t0 + seconds(80)),
            "1/2 endpoints healthy, 30 queries seen, 1 cancels in the last minute, last error: reader: timeout");
  s.cycle_finished("reader", true, 12, "", t0 + seconds(81));
  EXPECT_EQ(s.summary(t0 + seconds(200)),
            "2/2 endpoints healthy, 42 queries seen, 0 cancels in the last minute, last error: reader: timeout");
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// Loops come and go with reloads: a removed one no longer holds back readiness or progress.
TEST(ServiceStatus, LoopsCanBeAddedAndRemovedWhileRunning) {
  const auto t0 = ServiceStatus::Clock::time_point{} + std::chrono::seconds(1000);
  ServiceStatus s({"a"}, t0);
  s.cycle_finished("a", true, 1, "", t0);
  EXPECT_TRUE(s.all_polled_once());
  s.add("b", t0);
  EXPECT_FALSE(s.all_polled_once());
  EXPECT_FALSE(s.making_progress(t0 + std::chrono::minutes(2)));  // b never reported
  s.promise_progress_by("a", t0 + std::chrono::minutes(5));
  s.remove("b");
  EXPECT_TRUE(s.all_polled_once());
  EXPECT_TRUE(s.making_progress(t0 + std::chrono::minutes(2)));
  s.cycle_finished("gone", false, 0, "x", t0);  // a report from a removed loop is ignored
  EXPECT_EQ(s.summary(t0).rfind("1/1 endpoints healthy", 0), 0u);
}

}  // namespace
}  // namespace nw
