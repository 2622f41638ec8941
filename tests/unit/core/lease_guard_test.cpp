#include "nw/core/lease_guard.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

using namespace std::chrono_literals;
const Clock::time_point t0 = Clock::time_point{} + 1000s;

TEST(LeaseGuard, NothingIsSureWithoutALease) {
  LeaseGuard guard;
  EXPECT_FALSE(guard.sure_for(t0));
  EXPECT_FALSE(guard.sure_until());
  EXPECT_EQ(guard.remaining(t0), Clock::duration::zero());
}

TEST(LeaseGuard, SureFromTheSendNotTheAnswerLessTheDrift) {
  LeaseGuard guard(0.01);
  guard.confirmed(7, t0, 10s);  // sent at t0; the answer's arrival does not matter
  ASSERT_TRUE(guard.sure_until());
  EXPECT_EQ(*guard.sure_until(), t0 + 9800ms);  // 10 s less 2 × 1%
  EXPECT_TRUE(guard.sure_for(t0 + 9s));
  EXPECT_FALSE(guard.sure_for(t0 + 9800ms));
  EXPECT_EQ(guard.remaining(t0 + 9s), 800ms);
}

TEST(LeaseGuard, ACancelNeedsTheLeaseForItsWholeTimeout) {
  LeaseGuard guard(0.01);
  guard.confirmed(7, t0, 10s);
  EXPECT_TRUE(guard.sure_for(t0 + 4s, 5s));
  EXPECT_FALSE(guard.sure_for(t0 + 5s, 5s));  // would still be in flight when etcd may expire it
}

TEST(LeaseGuard, KeepAlivesOnlyExtendAndALateAnswerTakesNothingBack) {
  LeaseGuard guard(0.0);
  guard.confirmed(7, t0 + 3s, 10s);
  guard.confirmed(7, t0, 10s);  // the answer to an earlier keep-alive, arriving late
  EXPECT_EQ(*guard.sure_until(), t0 + 13s);
}

TEST(LeaseGuard, ALostLeaseEndsEverythingAndANewOneStartsAfresh) {
  LeaseGuard guard(0.0);
  guard.confirmed(7, t0 + 3s, 10s);
  guard.lost();
  EXPECT_FALSE(guard.sure_for(t0 + 4s));
  guard.confirmed(8, t0 + 5s, 10s);
  EXPECT_EQ(guard.lease(), 8);
  EXPECT_EQ(*guard.sure_until(), t0 + 15s);
}

TEST(LeaseGuard, APausedProcessFindsItsTimeUpOnWaking) {
  LeaseGuard guard;
  guard.confirmed(7, t0, 10s);
  // SIGSTOP for 30 s: the monotonic clock went on; the plan made before the pause is refused.
  EXPECT_FALSE(guard.sure_for(t0 + 30s, 1s));
}

}  // namespace
}  // namespace nw
