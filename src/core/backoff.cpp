#include "nw/core/backoff.h"

#include <algorithm>
#include <cmath>

namespace nw {

Millis backoff_ceiling(const RetrySettings& settings, int failed_attempts) {
  if (failed_attempts < 1) return Millis(0);
  const auto cap = settings.max_backoff.count();
  auto ceiling = settings.initial_backoff.count();
  // Doubling stops at the cap, so the value can never overflow however many attempts.
  for (int i = 1; i < failed_attempts && ceiling < cap; ++i) ceiling *= 2;
  return Millis(std::min(ceiling, cap));
}

Millis backoff_delay(const RetrySettings& settings, int failed_attempts, double unit_random) {
  const double u = std::clamp(unit_random, 0.0, 1.0);
  const auto ceiling = backoff_ceiling(settings, failed_attempts).count();
  return Millis(static_cast<Millis::rep>(std::floor(u * static_cast<double>(ceiling))));
}

}  // namespace nw
