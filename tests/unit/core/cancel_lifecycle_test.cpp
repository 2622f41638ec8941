// The cancel lifecycle, as a table: what each history leads to.
#include "nw/core/cancel_lifecycle.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

struct Row {
  CancelHistory history;
  CancelStep step;
};

TEST(CancelLifecycle, EachHistoryLeadsToOneStep) {
  const Row rows[] = {
      {{0, 0, false, false}, CancelStep::send},     // decided: the first cancel
      {{0, 0, false, true}, CancelStep::none},      // its cancel is in flight
      {{1, 0, false, false}, CancelStep::retry},    // acknowledged, still listed
      {{0, 1, false, false}, CancelStep::retry},    // "not found", still listed
      {{1, 0, false, true}, CancelStep::none},      // the retry is in flight
      {{2, 0, false, false}, CancelStep::give_up},  // survived the retry too
      {{1, 1, false, false}, CancelStep::give_up},  // one of each: the same bound
      {{0, 2, false, false}, CancelStep::give_up},
      {{2, 0, true, false}, CancelStep::none},         // given up: recorded once, nothing more
      {{0, 0, false, false, 1}, CancelStep::give_up},  // refused (AccessDenied): futile again
      {{0, 0, true, false, 1}, CancelStep::none},      // and given up once
      {{5, 3, true, false}, CancelStep::none},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(testing::Message()
                 << "acknowledged " << row.history.acknowledged << ", not_found "
                 << row.history.not_found << ", given_up " << row.history.given_up << ", in_flight "
                 << row.history.in_flight);
    EXPECT_EQ(to_string(next_cancel_step(row.history)), to_string(row.step));
  }
}

TEST(CancelLifecycle, ReasonsSayWhatHappened) {
  EXPECT_NE(lifecycle_reason(CancelStep::retry, {1, 0, false, false}).find("acknowledged"),
            std::string_view::npos);
  EXPECT_NE(lifecycle_reason(CancelStep::retry, {0, 1, false, false}).find("not found"),
            std::string_view::npos);
  EXPECT_NE(
      lifecycle_reason(CancelStep::give_up, {2, 0, false, false}).find("not cancelling it again"),
      std::string_view::npos);
  EXPECT_TRUE(lifecycle_reason(CancelStep::send, {}).empty());
}

}  // namespace
}  // namespace nw
