#pragma once
// The clusters of the configuration in force, followed through the management API: each
// [cluster.NAME] has a tracker on a strand of its own that describes the cluster every
// refresh_interval (at once after a start or a reload, and again sooner while it has never
// succeeded), audits and logs every change of its topology, and keeps the last good topology
// when a refresh fails (it is logged, counted, and after 3 failures in a row /healthz says
// degraded): coverage is never dropped because discovery failed.
//
// The endpoints the topologies in force describe are read by the main thread (endpoints(),
// when generation() moved on) and handed to the Supervisor with the typed ones; the
// Supervisor starts, drains and stops their loops and follows a failover's roles.
//
// prepare/commit, endpoints and generation are for the main thread; the trackers run on the
// scheduler's workers and share only what is under the mutex.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nw/app/audit_trail.h"
#include "nw/app/config_holder.h"
#include "nw/app/scheduler.h"
#include "nw/app/stop_token.h"
#include "nw/core/clock.h"
#include "nw/core/cluster_topology.h"
#include "nw/core/metrics.h"
#include "nw/io/rds_client.h"

namespace spdlog {
class logger;
}

namespace nw {

class ClusterDiscovery {
 public:
  // Builds the management client of a cluster; throws EndpointSetupError for a setting that
  // cannot work.
  using DirectoryFactory = std::function<std::unique_ptr<ClusterDirectory>(const ClusterConfig&)>;

  struct Services {
    const ConfigHolder& config;
    AuditTrail& trail;
    Metrics& metrics;
    spdlog::logger& log;
    StopToken& stop;
    const Clock& clock;
    Scheduler& scheduler;
    RunMode mode = RunMode::service;
    bool audit_changes = true;  // false for --show-topology, which only prints
  };

  ClusterDiscovery(Services services, DirectoryFactory make_directory);
  ~ClusterDiscovery();
  ClusterDiscovery(const ClusterDiscovery&) = delete;
  ClusterDiscovery& operator=(const ClusterDiscovery&) = delete;

  struct Tracker;
  // The trackers a configuration needs, built (clients included) but not started. A cluster
  // that keeps its name, cluster id and region keeps its last topology.
  struct Plan {
    std::vector<std::shared_ptr<Tracker>> trackers;
    std::vector<std::string> removed;  // cluster names
  };
  // Throws EndpointSetupError; changes nothing in force either way.
  Plan prepare(const std::vector<ClusterConfig>& clusters);
  // Puts a plan in force: the old trackers stop; the new ones wait for start().
  void commit(Plan plan);
  // Starts the trackers in force: their first refresh at once, or, when describe_now() has
  // just described them (start-up), after refresh_interval (kFirstRetry for a cluster it could
  // not describe).
  void start(bool described);
  // The endpoints a plan's topologies describe (what a reload will watch once committed).
  static std::vector<EndpointConfig> endpoints(const Plan& plan);

  // Describes every cluster in force now, all at once on the scheduler's workers (in manual
  // mode on the calling thread), with the [retry] policy, and waits for them (start-up, --once,
  // --show-topology). Returns one line per cluster that could not be described.
  // With a deadline (the daemon's start: typed endpoints are not held up by a management API
  // that does not answer), it returns then, and the clusters still being described are taken
  // in when their answers come.
  std::vector<std::string> describe_now(
      std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

  // The endpoints of every cluster's topology in force, in cluster order, then id order.
  std::vector<EndpointConfig> endpoints() const;
  // Moves on whenever a topology in force changed (or clusters were committed).
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The topologies in force, by cluster name (for --show-topology); a cluster never described
  // successfully has none.
  std::map<std::string, std::optional<ClusterTopology>> topologies() const;

  // The shortest delay before a cluster that was never described is asked again.
  static constexpr std::chrono::seconds kFirstRetry{5};
  // Refreshes that may hold a scheduler worker at once (describe_now() at start-up, before any
  // poll, is not limited), and how soon one that found them all busy tries again.
  static constexpr int kMaxRefreshing = 2;
  static constexpr std::chrono::milliseconds kBusyRetry{200};

 private:
  // One refresh of `tracker` (with retries), its result taken in. Returns the failure, if any.
  std::optional<Failure> refresh(Tracker& tracker);
  void schedule(const std::shared_ptr<Tracker>& tracker, Clock::time_point at);
  void step(const std::shared_ptr<Tracker>& tracker);
  void take(Tracker& tracker, const ClusterTopology& topology);
  void failed(Tracker& tracker, const Failure& failure);

  Services services_;
  DirectoryFactory make_directory_;
  mutable std::mutex mutex_;  // guards trackers_ and every tracker's topology and failures
  std::vector<std::shared_ptr<Tracker>> trackers_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> refreshing_{0};  // refreshes running on the scheduler's workers now
};

// Whether a failed management call is worth another try: throttling, a server error, a lost
// or late answer.
bool discovery_retryable(const Failure& failure);

}  // namespace nw
