#pragma once
// The daemon's sense of time, injected so that schedules can be tested deterministically.
// `now()` is monotonic (deadlines, intervals, back-off); `wall_now()` is the calendar time
// (audit timestamps, time windows, protections that expire). Code that decides or schedules
// reads time only through a Clock; tests pass a manual one (tests/support/manual_clock.h).
#include <chrono>

namespace nw {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
};

// The real clocks.
class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace nw
