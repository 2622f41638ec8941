#pragma once
// This replica's membership of its group and the units it owns, kept in etcd (docs/HA.md).
//
// Keys, under /neptune-watchdog/GROUP/:
//   members/REPLICA  {"replica":…,"host":…,"pid":…,"started":…}, with this replica's lease
//   owners/UNIT      REPLICA, with the owner's lease; created only if absent (one txn), so its
//                    creation revision is the unit's fencing token
//
// Three threads, none of them the scheduler's (each may wait on etcd for a request timeout):
//   - the keeper grants the lease, registers the member key and keeps the lease alive every
//     lease_ttl/3 (every 500 ms while a keep-alive fails); each answered keep-alive tells the
//     LeaseGuard when it was sent;
//   - the watcher reads the group's keys once, then watches them (a change is seen when etcd
//     makes it, not at the next poll of anything);
//   - the balancer, woken by the watcher or every 250 ms, compares who should own each unit
//     (rendezvous hashing over the live members) with who does, and acquires the units that are
//     free and should be this replica's, releases those that should be another's once the
//     daemon has drained them (drained()), and notices what it lost.
//
// The daemon's main thread reads working_units() whenever generation() moved on: it watches
// exactly those (the units held and not being released), and reports a unit as drained once no
// poll loop of it is left. Every cancel asks fence() just before it is sent.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nw/app/audit_trail.h"
#include "nw/app/config_holder.h"
#include "nw/app/ownership_gate.h"
#include "nw/core/clock.h"
#include "nw/core/lease_guard.h"
#include "nw/core/metrics.h"
#include "nw/io/etcd_client.h"

namespace spdlog {
class logger;
}

namespace nw {

struct ReplicaGroupOptions {
  std::string group = "default";
  std::string replica;  // this replica's name (unique in the group)
  std::string host;     // for the member key, so that a duplicate name can be traced
  std::chrono::seconds lease_ttl{10};
  double max_clock_drift = 0.01;  // see nw/core/lease_guard.h
};

// The layout of a group's keys in etcd (see the top of this file), for the group and for
// --show-ha. A key is a member's, a unit's owner key, or something else (written by hand).
std::string group_prefix(const std::string& group);  // "/neptune-watchdog/GROUP/"
std::string member_key(const std::string& group, const std::string& replica);
std::string owner_key(const std::string& group, const std::string& unit);
struct GroupKey {
  enum class Kind { member, owner, other };
  Kind kind = Kind::other;
  std::string name;  // the replica of a member key, the unit of an owner key
};
GroupKey parse_group_key(const std::string& group, const std::string& key);

// "host H, pid N, started T" from a member key's value, or the value itself (made printable)
// when it is not what a replica writes (a key written by hand).
std::string describe_member(const std::string& value);

class ReplicaGroup {
 public:
  struct Services {
    const ConfigHolder& config;  // the version in ownership and ha records
    AuditTrail& trail;
    Metrics& metrics;
    spdlog::logger& log;
    const Clock& clock;
  };

  // Builds the group's etcd clients: requests go through `reaper` (the daemon's: shutdown
  // ends them); the watch has a reaper of its own, which stop() aborts, so that a watch window
  // (lease_ttl/2, at most 5 s: a few requests per lease period) never holds up a stop. A
  // Failure (service_error) when the etcd settings cannot work (a bad URL, an unreadable
  // ca_file).
  static Result<std::unique_ptr<ReplicaGroup>> create(Services services, EtcdOptions etcd,
                                                      ReplicaGroupOptions options,
                                                      std::shared_ptr<ExchangeReaper> reaper);
  ~ReplicaGroup();
  ReplicaGroup(const ReplicaGroup&) = delete;
  ReplicaGroup& operator=(const ReplicaGroup&) = delete;

  // Start-up, before the threads: grants the lease and registers the member key, waiting for
  // `deadline` at most. An error message (the daemon does not start) when another live process
  // holds this replica's name: its key is still held by another lease a lease_ttl after it was
  // first seen (a key of this replica's own previous run would have expired by then). etcd
  // not answering is not an error: the keeper goes on trying once started.
  std::optional<std::string> join(std::chrono::steady_clock::time_point deadline);
  void start();
  // Stops the threads and revokes the lease, which deletes this replica's keys at once: the
  // others take its units without waiting for the lease to expire. Call once no cancel can be
  // sent any more.
  void stop();

  // The units of the configuration in force ("cluster.NAME", "endpoint.NAME").
  void set_units(const std::vector<std::string>& units);
  // The units to watch now: held, and not being released.
  std::set<std::string> working_units() const;
  // The units being released: the daemon stops their loops and then calls drained().
  std::set<std::string> releasing_units() const;
  void drained(const std::string& unit);
  // Moves on whenever working_units() or releasing_units() changed.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The fence for a cancel of `unit` that may take `needed` (its request timeout): present
  // only while this replica holds the unit and its lease is sure to live that long.
  std::optional<OwnerFence> fence(const std::string& unit, Clock::duration needed) const;
  // The fence to stamp on a record of `unit` (no time needed: records are not actions).
  std::optional<OwnerFence> holder_of(const std::string& unit) const;

  const std::string& replica() const { return options_.replica; }
  // Why this replica does not act now (empty while it does), for /healthz and the ha records.
  std::string not_acting_cause() const;

  // How often the keeper renews the lease, and how soon it tries again after a failure.
  std::chrono::milliseconds keep_alive_period() const;
  static constexpr std::chrono::milliseconds kRetryPeriod{500};
  static constexpr std::chrono::milliseconds kBalancePeriod{250};

 private:
  struct View;
  void keeper();
  void watcher();
  void balancer();
  // A new lease, its grant confirmed to the guard; 0 when etcd did not grant one.
  std::int64_t grant_lease();
  // One keep-alive of `lease`, confirmed to the guard: its TTL again (0: the lease is gone), or
  // nullopt when etcd did not answer.
  std::optional<std::int64_t> renew(std::int64_t lease);
  // One registration attempt with the lease in force; true when the member key is ours.
  bool register_member(std::int64_t lease);
  // This replica no longer holds `unit` (released or lost).
  void forget(const std::string& unit);
  void lose_everything(const std::string& why);
  void reconcile();
  void check_acting();
  void record_ownership(const std::string& unit, std::int64_t revision, const std::string& change,
                        const std::string& detail);
  std::string member_value() const;
  bool sleep_for(std::chrono::milliseconds pause);

  ReplicaGroup(Services services, std::unique_ptr<EtcdClient> etcd,
               std::unique_ptr<EtcdClient> watch_etcd, std::shared_ptr<ExchangeReaper> watch_reaper,
               ReplicaGroupOptions options);

  Services services_;
  std::unique_ptr<EtcdClient> etcd_;
  std::unique_ptr<EtcdClient> watch_etcd_;
  std::shared_ptr<ExchangeReaper> watch_reaper_;
  ReplicaGroupOptions options_;
  std::string member_value_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  LeaseGuard guard_;
  bool registered_ = false;
  std::string duplicate_;        // who holds this replica's name, when another process does
  std::string last_etcd_error_;  // the last failure of a request to etcd
  std::unique_ptr<View> view_;   // the group's keys as last read or watched
  bool view_ok_ = false;
  std::vector<std::string> units_;
  std::map<std::string, std::int64_t> held_;  // unit → owner key revision
  std::set<std::string> releasing_;
  std::set<std::string> drained_;
  bool acting_ = false;
  bool ever_acted_ = false;
  std::atomic<std::uint64_t> generation_{0};
  std::optional<std::pair<std::int64_t, std::chrono::steady_clock::time_point>> foreign_holder_;

  std::thread keeper_thread_, watcher_thread_, balancer_thread_;
};

}  // namespace nw
