#pragma once
// Caps on kill storms: `[watchdog] max_cancels_per_minute` across everything, and the same key
// per rule. Each is a token bucket holding at most the per-minute figure (the burst) and
// refilled continuously at that rate. Shared by every endpoint thread.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "nw/core/policy.h"

namespace nw {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(int per_minute, Clock::time_point now);

  bool has_token(Clock::time_point now);  // refills, then reports
  void take();                            // call only after has_token() said yes
  int per_minute() const { return per_minute_; }

 private:
  int per_minute_;
  double tokens_;
  Clock::time_point last_;
};

class CancelBudget {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CancelBudget(const Policy& policy, Clock::time_point now = Clock::now());

  // Takes one token from the global bucket and the rule's bucket, or none at all when either
  // is empty. Returns the exhausted bucket's description ("[watchdog] max_cancels_per_minute
  // 10") on refusal, nullopt on success.
  std::optional<std::string> try_spend(const Rule& rule, Clock::time_point now = Clock::now());

  // Adopts a reloaded policy. A bucket whose rate is unchanged keeps its tokens, so a reload
  // cannot be used to reset a budget.
  void reconfigure(const Policy& policy, Clock::time_point now = Clock::now());

  // True at most once a minute while cancels are being refused: when to warn.
  bool should_warn(Clock::time_point now = Clock::now());

 private:
  std::mutex mutex_;
  std::optional<TokenBucket> global_;
  std::map<std::string, TokenBucket> per_rule_;  // by rule name
  std::optional<Clock::time_point> last_warning_;
};

}  // namespace nw
