#include "nw/app/cluster_discovery.h"

#include <algorithm>
#include <condition_variable>
#include <random>

#include <spdlog/spdlog.h>

#include "nw/app/retry.h"
#include "nw/core/audit_record.h"
#include "nw/io/neptune_client.h"

namespace nw {

struct ClusterDiscovery::Tracker {
  ClusterConfig config;
  std::unique_ptr<ClusterDirectory> directory;
  Scheduler::StrandId strand = 0;
  std::atomic<bool> retired{false};
  // Under the discovery's mutex:
  std::optional<ClusterTopology> topology;  // the last good one: what is watched
  int failures = 0;                         // failed refreshes in a row
  // Said once a minute while it stays the same (an AccessDenied until IAM is fixed).
  std::string last_warning;
  std::chrono::steady_clock::time_point last_warned{};
  std::mt19937_64 rng{std::random_device{}()};
};

bool discovery_retryable(const Failure& failure) {
  switch (failure.kind) {
    case FailureKind::transport:
    case FailureKind::timeout:
      return true;
    case FailureKind::service_error:
    case FailureKind::neptune_error:
      return failure.code == "Throttling" || failure.code == "ThrottlingException" ||
             failure.code == "RequestLimitExceeded" || failure.code == "RequestThrottled" ||
             failure.http_status == 429 || failure.http_status >= 500;
    default:
      return false;
  }
}

ClusterDiscovery::ClusterDiscovery(Services services, DirectoryFactory make_directory)
    : services_(services), make_directory_(std::move(make_directory)) {}

ClusterDiscovery::~ClusterDiscovery() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& t : trackers_) {
    t->retired.store(true);
    services_.scheduler.drop_strand(t->strand);
  }
}

ClusterDiscovery::Plan ClusterDiscovery::prepare(const std::vector<ClusterConfig>& clusters) {
  Plan plan;
  for (const auto& cluster : clusters) {
    auto tracker = std::make_shared<Tracker>();
    tracker->config = cluster;
    tracker->directory = make_directory_(cluster);
    plan.trackers.push_back(std::move(tracker));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& old : trackers_) {
    const auto kept = std::find_if(plan.trackers.begin(), plan.trackers.end(), [&](const auto& t) {
      return t->config.name == old->config.name;
    });
    if (kept == plan.trackers.end()) {
      plan.removed.push_back(old->config.name);
      continue;
    }
    // The same cluster: what it was last seen as stays watched until the new tracker's
    // first refresh, so a reload never opens a gap in coverage.
    if ((*kept)->config.cluster_id == old->config.cluster_id &&
        (*kept)->config.instance.region == old->config.instance.region)
      (*kept)->topology = old->topology;
  }
  return plan;
}

void ClusterDiscovery::commit(Plan plan) {
  std::vector<std::shared_ptr<Tracker>> old;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    old.swap(trackers_);
    for (auto& t : plan.trackers) {
      t->strand = services_.scheduler.make_strand();
      trackers_.push_back(t);
    }
  }
  for (auto& t : old) {
    t->retired.store(true);
    services_.scheduler.drop_strand(t->strand);
  }
  for (const auto& name : plan.removed) services_.metrics.forget_cluster(name);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

void ClusterDiscovery::start(bool described) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = services_.clock.now();
  // After the start's description, the next refreshes are spread over the first interval (the
  // i-th of n at (i+1)/n of it), so that a large fleet does not ask the management API all at
  // once every interval: its Describe calls are rate-limited per account and region.
  const auto n = static_cast<long>(trackers_.size());
  long i = 0;
  for (const auto& t : trackers_) {
    Clock::duration wait{0};
    if (described)
      wait = t->topology ? Clock::duration(t->config.refresh_interval) * (i + 1) / n
                         : std::chrono::duration_cast<Clock::duration>(kFirstRetry);
    ++i;
    schedule(t, now + wait);
  }
}

std::vector<EndpointConfig> ClusterDiscovery::endpoints(const Plan& plan) {
  std::vector<EndpointConfig> out;
  for (const auto& t : plan.trackers) {
    if (!t->topology) continue;
    for (auto& e : cluster_endpoints(t->config, *t->topology)) out.push_back(std::move(e));
  }
  return out;
}

void ClusterDiscovery::schedule(const std::shared_ptr<Tracker>& tracker, Clock::time_point at) {
  services_.scheduler.schedule_at(tracker->strand, at, [this, tracker] { step(tracker); });
}

void ClusterDiscovery::step(const std::shared_ptr<Tracker>& tracker) {
  if (tracker->retired.load() || services_.stop.stop_requested()) return;
  // A refresh blocks its worker for as long as the management API takes to answer (or not):
  // at most kMaxRefreshing at a time, so that a management API that does not answer never
  // holds the workers the polls and cancels need. The others try again shortly.
  if (refreshing_.fetch_add(1) >= kMaxRefreshing) {
    refreshing_.fetch_sub(1);
    schedule(tracker, services_.clock.now() + kBusyRetry);
    return;
  }
  refresh(*tracker);
  refreshing_.fetch_sub(1);
  if (tracker->retired.load() || services_.stop.stop_requested()) return;
  Clock::duration wait = tracker->config.refresh_interval;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Never described: ask again soon rather than leave the cluster unwatched for a whole
    // refresh_interval.
    if (!tracker->topology)
      wait =
          std::min<Clock::duration>(wait, std::chrono::duration_cast<Clock::duration>(kFirstRetry));
  }
  schedule(tracker, services_.clock.now() + wait);
}

std::optional<Failure> ClusterDiscovery::refresh(Tracker& tracker) {
  const auto config = services_.config.get();
  const auto request_timeout = tracker.config.instance.request_timeout;
  auto attempted = call_with_retries<ClusterTopology>(
      [&] {
        return tracker.directory->describe(std::chrono::steady_clock::now() + request_timeout);
      },
      config->retry, services_.stop,
      [&tracker] { return std::uniform_real_distribution<double>(0, 1)(tracker.rng); },
      [&](const Failure& f, int attempts, Millis pause) {
        services_.log.debug("cluster {}: {} (try {}), again in {}ms", tracker.config.name,
                            printable(f.describe()), attempts, pause.count());
      },
      discovery_retryable);
  if (tracker.retired.load()) return std::nullopt;
  if (!attempted.result) {
    failed(tracker, attempted.result.failure());
    return attempted.result.failure();
  }
  take(tracker, attempted.result.value());
  return std::nullopt;
}

void ClusterDiscovery::take(Tracker& tracker, const ClusterTopology& topology) {
  std::vector<TopologyChange> changes;
  std::size_t watched = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    changes = topology_changes(tracker.topology ? &*tracker.topology : nullptr, topology);
    const bool first = !tracker.topology;
    tracker.topology = topology;
    tracker.failures = 0;
    tracker.last_warning.clear();
    watched = cluster_endpoints(tracker.config, topology).size();
    if (first || !changes.empty()) generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  services_.metrics.discovery_refreshed(tracker.config.name, true, "", 0, "");
  services_.metrics.cluster_instances(tracker.config.name, watched);
  const std::string version = services_.config.get()->version;
  if (!services_.audit_changes) return;
  for (const auto& c : changes)
    services_.trail.record(topology_record(services_.clock.wall_now(), tracker.config.name,
                                           c.instance, c.change, c.detail, version,
                                           services_.mode));
}

void ClusterDiscovery::failed(Tracker& tracker, const Failure& failure) {
  int failures = 0;
  bool say = false;
  const std::string text = printable(failure.describe());
  const auto now = std::chrono::steady_clock::now();
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failures = ++tracker.failures;
    known = tracker.topology.has_value();
    // A lasting problem (an AccessDenied until IAM is fixed) is said once a minute.
    if (text != tracker.last_warning || now - tracker.last_warned >= std::chrono::minutes(1)) {
      say = true;
      tracker.last_warning = text;
      tracker.last_warned = now;
    }
  }
  std::string code = failure.code;
  if (code.empty()) {
    switch (failure.kind) {
      case FailureKind::transport:
        code = "transport";
        break;
      case FailureKind::timeout:
        code = "timeout";
        break;
      case FailureKind::bad_response:
        code = "bad_response";
        break;
      case FailureKind::credentials:
        code = "credentials";
        break;
      case FailureKind::tls:
        code = "tls";
        break;
      default:
        code = "error";
    }
  }
  services_.metrics.discovery_refreshed(tracker.config.name, false, code, failures, text);
  if (say)
    services_.log.warn("cluster {}: discovery through {} failed ({} in a row): {}; {}",
                       tracker.config.name, tracker.directory->where(), failures, text,
                       known ? "the last topology found is still watched"
                             : "none of its instances is watched yet");
}

std::vector<std::string> ClusterDiscovery::describe_now(
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::vector<std::shared_ptr<Tracker>> trackers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    trackers = trackers_;
  }
  std::vector<std::string> problems;
  const auto problem = [](const Tracker& t, const Failure& failure) {
    return "cluster " + t.config.name + " (" + t.config.cluster_id + " via " +
           t.directory->where() + "): " + printable(failure.describe());
  };
  if (services_.scheduler.threads() == 0) {  // manual mode: here, one after another
    for (auto& t : trackers)
      if (const auto failure = refresh(*t)) problems.push_back(problem(*t, *failure));
    return problems;
  }
  // Every cluster at once on the workers, so that a fleet of slow management answers costs
  // the start one answer's time, not their sum.
  struct Pending {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t left = 0;
    std::vector<std::string> problems;
  };
  auto pending = std::make_shared<Pending>();
  pending->left = trackers.size();
  for (auto& t : trackers)
    services_.scheduler.post(t->strand, [this, t, pending, problem] {
      const auto failure = refresh(*t);
      std::lock_guard<std::mutex> lock(pending->mutex);
      if (failure) pending->problems.push_back(problem(*t, *failure));
      if (--pending->left == 0) pending->done.notify_all();
    });
  std::unique_lock<std::mutex> lock(pending->mutex);
  const auto all_done = [&] { return pending->left == 0; };
  if (!deadline) {
    pending->done.wait(lock, all_done);
  } else if (!pending->done.wait_until(lock, *deadline, all_done)) {
    // The ones still asking go on on their strands; what they find is taken in when it comes.
    pending->problems.push_back(std::to_string(pending->left) +
                                " cluster(s) not described yet: their instances are watched as "
                                "soon as the management API answers");
  }
  std::sort(pending->problems.begin(), pending->problems.end());
  return pending->problems;
}

std::vector<EndpointConfig> ClusterDiscovery::endpoints() const {
  std::vector<EndpointConfig> out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& t : trackers_) {
    if (!t->topology) continue;
    // Roles and the template from the configuration in force (a reload may change them).
    for (auto& e : cluster_endpoints(t->config, *t->topology)) out.push_back(std::move(e));
  }
  return out;
}

std::map<std::string, std::optional<ClusterTopology>> ClusterDiscovery::topologies() const {
  std::map<std::string, std::optional<ClusterTopology>> out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& t : trackers_) out[t->config.name] = t->topology;
  return out;
}

}  // namespace nw
