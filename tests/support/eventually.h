#pragma once
// Waits for something a test cannot be told about (another thread, process or server), looking
// every 20 ms: whether `condition` held within `within`.
#include <chrono>
#include <functional>
#include <thread>

namespace nw::test {

inline bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

}  // namespace nw::test
