#pragma once
// The configuration in force. A reload swaps in a new immutable configuration; each poll
// cycle takes one snapshot of it at its start, so a cycle never mixes two configurations.
#include <memory>
#include <mutex>

#include "nw/core/config.h"

namespace nw {

class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const WatchdogConfig> config)
      : config_(std::move(config)) {}

  std::shared_ptr<const WatchdogConfig> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return config_;
  }

  void set(std::shared_ptr<const WatchdogConfig> config) {
    std::lock_guard<std::mutex> lock(mutex_);
    config_ = std::move(config);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const WatchdogConfig> config_;
};

}  // namespace nw
