#pragma once
// A stop request shared by the signal loop and the pollers. Every wait in the daemon
// (the poll schedule, retry back-off) goes through it, so SIGTERM ends a wait at once.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace nw {

class StopToken {
 public:
  void request_stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
  }

  bool stop_requested() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
  }

  // Waits until `deadline`; returns false early when stop is requested.
  bool sleep_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return !cv_.wait_until(lock, deadline, [this] { return stopped_; });
  }

  template <class Rep, class Period>
  bool sleep_for(std::chrono::duration<Rep, Period> d) {
    return sleep_until(std::chrono::steady_clock::now() + d);
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace nw
