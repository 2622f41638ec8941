#include "nw/core/cancel_budget.h"

#include <algorithm>

namespace nw {

TokenBucket::TokenBucket(int per_minute, Clock::time_point now)
    : per_minute_(per_minute), tokens_(per_minute), last_(now) {}

bool TokenBucket::has_token(Clock::time_point now) {
  if (now > last_) {
    const double minutes = std::chrono::duration<double, std::ratio<60>>(now - last_).count();
    tokens_ = std::min<double>(per_minute_, tokens_ + minutes * per_minute_);
    last_ = now;
  }
  return tokens_ >= 1.0;
}

void TokenBucket::take() {
  tokens_ -= 1.0;
}

CancelBudget::CancelBudget(const Policy& policy, Clock::time_point now) {
  reconfigure(policy, now);
}

std::optional<std::string> CancelBudget::try_spend(const Rule& rule, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (global_ && !global_->has_token(now))
    return "[watchdog] max_cancels_per_minute " + std::to_string(global_->per_minute());
  auto it = per_rule_.find(rule.name);
  if (it != per_rule_.end() && !it->second.has_token(now))
    return "[rule." + rule.name + "] max_cancels_per_minute " +
           std::to_string(it->second.per_minute());
  if (global_) global_->take();
  if (it != per_rule_.end()) it->second.take();
  return std::nullopt;
}

void CancelBudget::reconfigure(const Policy& policy, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!policy.max_cancels_per_minute)
    global_.reset();
  else if (!global_ || global_->per_minute() != *policy.max_cancels_per_minute)
    global_.emplace(*policy.max_cancels_per_minute, now);

  std::map<std::string, TokenBucket> next;
  for (const auto& rule : policy.rules) {
    if (!rule.max_cancels_per_minute) continue;
    auto old = per_rule_.find(rule.name);
    if (old != per_rule_.end() && old->second.per_minute() == *rule.max_cancels_per_minute)
      next.emplace(rule.name, old->second);
    else
      next.emplace(rule.name, TokenBucket(*rule.max_cancels_per_minute, now));
  }
  per_rule_ = std::move(next);
}

bool CancelBudget::should_warn(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_warning_ && now - *last_warning_ < std::chrono::minutes(1)) return false;
  last_warning_ = now;
  return true;
}

}  // namespace nw
