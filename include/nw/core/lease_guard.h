#pragma once
// What a replica may conclude about its etcd lease from its own monotonic clock alone, which
// decides whether it may send a cancel (docs/HA.md, "Never two replicas at once").
//
// etcd expires a lease TTL after the last keep-alive it took, timed by its leader's clock; the
// replica cannot see that moment, only when it sent the keep-alive that was answered. etcd
// took it after it was sent, so the lease lives at least until sent + TTL by etcd's clock. By
// this host's clock, which may run slower or faster than the leader's by at most `max_drift`
// (a fraction: 0.01 is 1%, far beyond what any NTP-disciplined or even free-running crystal
// does), that is at least sent + TTL × (1 − 2 × max_drift). A replica is *sure* of its lease
// until then, and sends a cancel only when it is sure of it for the cancel's whole request
// timeout after the send: the cancel has reached Neptune or been abandoned before etcd could
// expire the lease and hand its units to another replica.
//
// Only the monotonic clock is read: a step of the wall clock changes nothing. A process paused
// (SIGSTOP, a stalled VM) finds on waking that its time is up, since the monotonic clock went
// on meanwhile.
#include <cstdint>
#include <optional>

#include "nw/core/clock.h"

namespace nw {

class LeaseGuard {
 public:
  explicit LeaseGuard(double max_drift = 0.01) : max_drift_(max_drift) {}

  // A grant or keep-alive of lease `lease` sent at `sent` was answered with `ttl`. A lease
  // other than the one confirmed before replaces it (after lost(), a new grant).
  void confirmed(std::int64_t lease, Clock::time_point sent, Clock::duration ttl);
  // The lease is gone (etcd said so, or it was revoked): nothing is sure any more.
  void lost();

  std::int64_t lease() const { return lease_; }
  // The last moment the lease is sure to live; nullopt without a lease.
  std::optional<Clock::time_point> sure_until() const;
  // Whether the lease is sure to live for `needed` after `now`.
  bool sure_for(Clock::time_point now, Clock::duration needed = Clock::duration::zero()) const;
  // How long it is still sure to live after `now` (zero when not).
  Clock::duration remaining(Clock::time_point now) const;

 private:
  double max_drift_;
  std::int64_t lease_ = 0;
  Clock::time_point sure_until_{};
};

}  // namespace nw
