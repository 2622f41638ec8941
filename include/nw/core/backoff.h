#pragma once
// Retry back-off: capped exponential with full jitter (the AWS SDKs' recommendation), so a
// fleet of watchdogs throttled at the same moment does not retry in lock-step.
#include "nw/core/duration.h"

namespace nw {

struct RetrySettings {
  int max_attempts = 5;  // per request, first try included
  Millis initial_backoff{100};
  Millis max_backoff{5000};
};

// The ceiling of the pause after `failed_attempts` failures (1 = after the first try):
// min(max_backoff, initial_backoff * 2^(failed_attempts-1)).
Millis backoff_ceiling(const RetrySettings& settings, int failed_attempts);

// The pause itself: `unit_random` (drawn uniformly from [0, 1)) times the ceiling. The random
// draw is a parameter so that the arithmetic is exact under test.
Millis backoff_delay(const RetrySettings& settings, int failed_attempts, double unit_random);

}  // namespace nw
