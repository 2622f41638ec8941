#include "nw/core/lease_guard.h"

#include <algorithm>

namespace nw {

void LeaseGuard::confirmed(std::int64_t lease, Clock::time_point sent, Clock::duration ttl) {
  const auto sure =
      sent + std::chrono::duration_cast<Clock::duration>(ttl * (1.0 - 2.0 * max_drift_));
  // Answers of one lease only ever extend what is sure: a late answer to an earlier keep-alive
  // says less than the one before it.
  sure_until_ = lease == lease_ ? std::max(sure_until_, sure) : sure;
  lease_ = lease;
}

void LeaseGuard::lost() {
  lease_ = 0;
  sure_until_ = Clock::time_point{};
}

std::optional<Clock::time_point> LeaseGuard::sure_until() const {
  if (lease_ == 0) return std::nullopt;
  return sure_until_;
}

bool LeaseGuard::sure_for(Clock::time_point now, Clock::duration needed) const {
  return lease_ != 0 && now + needed < sure_until_;
}

Clock::duration LeaseGuard::remaining(Clock::time_point now) const {
  if (lease_ == 0 || now >= sure_until_) return Clock::duration::zero();
  return sure_until_ - now;
}

}  // namespace nw
