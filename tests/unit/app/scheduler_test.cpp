// The deadline scheduler: order by due time, one task at a time per strand, dropped strands,
// stop, and (threaded) a blocked worker that does not hold up the others.
#include "nw/app/scheduler.h"

#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "nw/app/rule_cost.h"
#include "support/manual_clock.h"

namespace nw {
namespace {

using namespace std::chrono_literals;
using test::ManualClock;

struct ManualFixture : ::testing::Test {
  ManualClock clock;
  Scheduler scheduler{clock, Scheduler::Options{0, 0}};
  std::vector<std::string> ran;
};

TEST_F(ManualFixture, TasksRunAtTheirDueTimeInOrderAndNotBefore) {
  const auto a = scheduler.make_strand();
  const auto b = scheduler.make_strand();
  const auto t0 = clock.now();
  scheduler.schedule_at(a, t0 + 30ms, [&] { ran.push_back("a30"); });
  scheduler.schedule_at(b, t0 + 10ms, [&] { ran.push_back("b10"); });
  scheduler.schedule_at(a, t0 + 10ms, [&] { ran.push_back("a10"); });
  EXPECT_EQ(scheduler.run_due(), 0u);
  Scheduler::TimePoint next;
  ASSERT_TRUE(scheduler.next_due(next));
  EXPECT_EQ(next, t0 + 10ms);
  clock.advance(10ms);
  EXPECT_EQ(scheduler.run_due(), 2u);
  EXPECT_EQ(ran, (std::vector<std::string>{"b10", "a10"}));
  clock.advance(19ms);
  EXPECT_EQ(scheduler.run_due(), 0u);
  clock.advance(1ms);
  EXPECT_EQ(scheduler.run_due(), 1u);
  EXPECT_EQ(ran.back(), "a30");
  EXPECT_FALSE(scheduler.next_due(next));
}

TEST_F(ManualFixture, ATaskCanRescheduleItsStrandAndDueFollowUpsRunInTheSamePass) {
  const auto s = scheduler.make_strand();
  int count = 0;
  std::function<void()> tick = [&] {
    ++count;
    scheduler.schedule_at(s, clock.now() + (count < 3 ? 0ms : 100ms), tick);
  };
  scheduler.post(s, tick);
  EXPECT_EQ(scheduler.run_due(), 3u);  // the two follow-ups due at once ran too; the third waits
  clock.advance(100ms);
  EXPECT_EQ(scheduler.run_due(), 1u);
  EXPECT_EQ(count, 4);
}

TEST_F(ManualFixture, ADroppedStrandRunsNothingMoreAndOthersGoOn) {
  const auto a = scheduler.make_strand();
  const auto b = scheduler.make_strand();
  scheduler.schedule_at(a, clock.now() + 5ms, [&] { ran.push_back("a"); });
  scheduler.schedule_at(b, clock.now() + 5ms, [&] { ran.push_back("b"); });
  scheduler.drop_strand(a);
  scheduler.post(a, [&] { ran.push_back("a-late"); });  // scheduled after the drop: ignored
  clock.advance(5ms);
  scheduler.run_due();
  EXPECT_EQ(ran, std::vector<std::string>{"b"});
}

TEST_F(ManualFixture, AfterStopNothingRunsAndNothingIsKept) {
  const auto s = scheduler.make_strand();
  scheduler.post(s, [&] { ran.push_back("x"); });
  EXPECT_TRUE(scheduler.stop(std::chrono::steady_clock::now()));
  scheduler.post(s, [&] { ran.push_back("y"); });
  EXPECT_EQ(scheduler.run_due(), 0u);
  EXPECT_TRUE(ran.empty());
  EXPECT_TRUE(scheduler.wait_idle(std::chrono::steady_clock::now()));
}

TEST_F(ManualFixture, AnEscapingExceptionDoesNotStopTheOthers) {
  const auto s = scheduler.make_strand();
  scheduler.post(s, [] { throw std::runtime_error("boom"); });
  scheduler.post(s, [&] { ran.push_back("after"); });
  EXPECT_EQ(scheduler.run_due(), 2u);
  EXPECT_EQ(ran, std::vector<std::string>{"after"});
}

// Threaded: tasks of one strand never overlap, while other strands run in parallel.
TEST(SchedulerThreads, OneStrandRunsOneTaskAtATime) {
  SystemClock clock;
  Scheduler scheduler(clock, Scheduler::Options{4, 4});
  const auto s = scheduler.make_strand();
  std::atomic<int> inside{0}, overlaps{0}, done{0};
  for (int i = 0; i < 200; ++i)
    scheduler.post(s, [&] {
      if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
      std::this_thread::yield();
      inside.fetch_sub(1);
      done.fetch_add(1);
    });
  ASSERT_TRUE(scheduler.wait_idle(std::chrono::steady_clock::now() + 20s));
  EXPECT_EQ(done.load(), 200);
  EXPECT_EQ(overlaps.load(), 0);
}

// Every base worker is blocked (a slow peer each): a task of another strand still runs, on an
// extra worker, and the pool never exceeds max_workers.
TEST(SchedulerThreads, BlockedWorkersDoNotHoldUpOtherStrands) {
  SystemClock clock;
  Scheduler scheduler(clock, Scheduler::Options{2, 3, 10'000ms});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  for (int i = 0; i < 2; ++i)
    scheduler.post(scheduler.make_strand(), [released] { released.wait(); });
  std::promise<void> other_ran;
  scheduler.post(scheduler.make_strand(), [&] { other_ran.set_value(); });
  EXPECT_EQ(other_ran.get_future().wait_for(20s), std::future_status::ready);
  for (int i = 0; i < 5; ++i)
    scheduler.post(scheduler.make_strand(), [released] { released.wait(); });
  EXPECT_LE(scheduler.peak_threads(), 3u);
  release.set_value();
  EXPECT_TRUE(scheduler.wait_idle(std::chrono::steady_clock::now() + 20s));
}

// Matching an endpoint's answer is CPU work on its strand, which holds that strand's worker as
// a slow peer does. While one strand spends long evaluating an expensive regex, another
// endpoint's timed polls and a cancel still run, each while the evaluation is still going: the
// spare-worker rule gives them a worker, even when the pool starts with one.
TEST(SchedulerThreads, ALongEvaluationOnOneStrandDelaysNoOtherStrand) {
  SystemClock clock;
  // Declared before the scheduler: should an assertion end the test early, the tasks that
  // refer to them finish before they go.
  std::atomic<bool> evaluating{false}, others_done{false};
  std::promise<void> started;
  std::promise<bool> evaluation_ended;  // true: ended because the others had run
  int poll_runs = 0;                    // on the polls strand only
  std::atomic<int> ran_during_evaluation{0};
  std::function<void()> poll;
  Scheduler scheduler(clock, Scheduler::Options{1, 3, 10'000ms});
  const auto matching = scheduler.make_strand();
  const auto polls = scheduler.make_strand();
  const auto cancels = scheduler.make_strand();
  scheduler.post(matching, [&] {
    const re2::RE2 regex("(?i)(create|merge|delete|set).{0,500}(detach|remove)");
    const auto texts = near_miss_sample(regex, 4, 1024);
    evaluating = true;
    started.set_value();
    // Until the others have run; the guard only keeps a broken scheduler from hanging the test.
    const auto guard = std::chrono::steady_clock::now() + 30s;
    for (std::size_t i = 0; !others_done && std::chrono::steady_clock::now() < guard; ++i)
      re2::RE2::PartialMatch(texts[i % texts.size()], regex);
    evaluating = false;
    evaluation_ended.set_value(others_done.load());
  });
  ASSERT_EQ(started.get_future().wait_for(30s), std::future_status::ready);

  poll = [&] {
    ran_during_evaluation += evaluating ? 1 : 0;
    if (++poll_runs < 3) {
      scheduler.schedule_at(polls, clock.now() + 20ms, poll);
      return;
    }
    scheduler.post(cancels, [&] {
      ran_during_evaluation += evaluating ? 1 : 0;
      others_done = true;
    });
  };
  scheduler.schedule_at(polls, clock.now() + 20ms, poll);

  auto ended = evaluation_ended.get_future();
  ASSERT_EQ(ended.wait_for(60s), std::future_status::ready);
  EXPECT_TRUE(ended.get()) << "the evaluation ran into its guard: the others waited for it";
  EXPECT_EQ(ran_during_evaluation.load(), 4);  // three polls and the cancel
  EXPECT_LE(scheduler.peak_threads(), 3u);
  EXPECT_TRUE(scheduler.wait_idle(std::chrono::steady_clock::now() + 20s));
}

TEST(SchedulerThreads, StopWaitsForRunningTasksUpToItsDeadline) {
  SystemClock clock;
  Scheduler scheduler(clock, Scheduler::Options{1, 1});
  std::promise<void> started, release;
  auto released = release.get_future().share();
  scheduler.post(scheduler.make_strand(), [&, released] {
    started.set_value();
    released.wait();
  });
  started.get_future().wait();
  EXPECT_FALSE(scheduler.stop(std::chrono::steady_clock::now() + 50ms));
  release.set_value();
  EXPECT_TRUE(scheduler.stop(std::chrono::steady_clock::now() + 20s));
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// A loop that reschedules itself a little later, as every poll loop does: each run comes at
// its time, not when an idle worker happens to wake up.
TEST(SchedulerThreads, ALoopThatReschedulesItselfRunsOnTime) {
  SystemClock clock;
  Scheduler scheduler(clock, Scheduler::Options{4, 12, std::chrono::milliseconds(10'000)});
  const auto strand = scheduler.make_strand();
  std::atomic<int> runs{0};
  std::function<void()> tick = [&] {
    if (++runs < 10) scheduler.schedule_at(strand, clock.now() + std::chrono::milliseconds(20), tick);
  };
  scheduler.post(strand, tick);
  // Ten runs 20 ms apart take about 0.2 s; a lost wake-up would take 10 s each.
  for (int i = 0; i < 400 && runs.load() < 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(runs.load(), 10);
}

}  // namespace
}  // namespace nw
