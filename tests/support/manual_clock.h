#pragma once
// A clock that moves only when a test says so: schedules, back-off and deadlines become
// deterministic and take no real time.
#include <atomic>
#include <chrono>

#include "nw/core/clock.h"

namespace nw::test {

class ManualClock final : public Clock {
 public:
  // Starts at an arbitrary fixed instant of both clocks.
  ManualClock()
      : steady_(time_point(std::chrono::hours(1000))),
        wall_(std::chrono::system_clock::time_point(std::chrono::seconds(1'790'000'000))) {}

  time_point now() const override { return steady_.load(); }
  std::chrono::system_clock::time_point wall_now() const override { return wall_.load(); }

  void advance(duration d) {
    steady_.store(steady_.load() + d);
    wall_.store(wall_.load() + std::chrono::duration_cast<std::chrono::system_clock::duration>(d));
  }

 private:
  std::atomic<time_point> steady_;
  std::atomic<std::chrono::system_clock::time_point> wall_;
};

}  // namespace nw::test
