#include "nw/core/backoff.h"

#include <gtest/gtest.h>

namespace nw {
namespace {

TEST(BackoffCeiling, DoublesFromInitialAndCapsAtMax) {
  const RetrySettings defaults{5, Millis(100), Millis(5000)};
  const RetrySettings capped_early{5, Millis(3000), Millis(5000)};
  const RetrySettings initial_over_max{5, Millis(8000), Millis(5000)};
  const RetrySettings equal{5, Millis(250), Millis(250)};
  struct Row {
    const char* name;
    RetrySettings settings;
    int failed_attempts;
    long long ceiling_ms;
  } rows[] = {
      {"no failure yet", defaults, 0, 0},
      {"negative attempts", defaults, -3, 0},
      {"after first try", defaults, 1, 100},
      {"after second", defaults, 2, 200},
      {"after third", defaults, 3, 400},
      {"after fourth", defaults, 4, 800},
      {"after fifth", defaults, 5, 1600},
      {"after sixth", defaults, 6, 3200},
      {"seventh reaches cap", defaults, 7, 5000},
      {"eighth stays capped", defaults, 8, 5000},
      {"many attempts never overflow", defaults, 1'000'000, 5000},
      {"int max attempts", defaults, 2147483647, 5000},
      {"cap not a power of two away", capped_early, 1, 3000},
      {"doubling past cap is clamped", capped_early, 2, 5000},
      {"initial above max is clamped", initial_over_max, 1, 5000},
      {"initial equals max", equal, 1, 250},
      {"initial equals max later", equal, 9, 250},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(backoff_ceiling(row.settings, row.failed_attempts).count(), row.ceiling_ms);
  }
}

TEST(BackoffDelay, IsFloorOfUnitTimesCeilingWithUClamped) {
  const RetrySettings s{5, Millis(100), Millis(5000)};
  struct Row {
    const char* name;
    int failed_attempts;
    double u;
    long long delay_ms;
  } rows[] = {
      {"u zero", 1, 0.0, 0},
      {"u half of 100", 1, 0.5, 50},
      {"u half of 400", 3, 0.5, 200},
      {"floor not round", 3, 0.999, 399},
      {"floor of tiny", 1, 0.009, 0},
      {"just below one", 1, 0.9999999, 99},
      {"u one is the ceiling", 2, 1.0, 200},
      {"u above one clamped", 2, 7.5, 200},
      {"u negative clamped", 2, -0.5, 0},
      {"capped ceiling", 20, 0.5, 2500},
      {"zero attempts", 0, 0.9, 0},
      {"negative attempts", -1, 0.9, 0},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(backoff_delay(s, row.failed_attempts, row.u).count(), row.delay_ms);
  }
}

TEST(BackoffDelay, NeverExceedsCeiling) {
  const RetrySettings s{5, Millis(100), Millis(5000)};
  for (int attempts = 0; attempts <= 12; ++attempts) {
    SCOPED_TRACE(attempts);
    for (double u : {0.0, 0.1, 0.25, 0.5, 0.75, 0.99, 1.0}) {
      const auto d = backoff_delay(s, attempts, u);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d, backoff_ceiling(s, attempts));
    }
  }
}

}  // namespace
}  // namespace nw
