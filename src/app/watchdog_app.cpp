#include "nw/app/watchdog_app.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "nw/app/admin_commands.h"
#include "nw/app/admin_service.h"
#include "nw/app/audit_trail.h"
#include "nw/app/cancel_dispatcher.h"
#include "nw/app/cli.h"
#include "nw/app/cluster_discovery.h"
#include "nw/app/config_holder.h"
#include "nw/app/endpoint_poller.h"
#include "nw/app/ha_report.h"
#include "nw/app/live_board.h"
#include "nw/app/notifier.h"
#include "nw/app/offline_commands.h"
#include "nw/app/operator_controls.h"
#include "nw/app/quarantine_book.h"
#include "nw/app/replica_group.h"
#include "nw/app/rule_cost.h"
#include "nw/app/scheduler.h"
#include "nw/app/supervisor.h"
#include "nw/app/top.h"
#include "nw/core/config_schema.h"
#include "nw/core/fingerprint.h"
#include "nw/core/notification.h"
#include "nw/core/replica_assignment.h"
#include "nw/core/rfc3339.h"
#include "nw/io/audit_log.h"
#include "nw/io/config_file.h"
#include "nw/io/credential_chains.h"
#include "nw/io/credentials.h"
#include "nw/io/etcd_client.h"
#include "nw/io/etcd_settings.h"
#include "nw/io/exchange_reaper.h"
#include "nw/io/logging.h"
#include "nw/io/metrics_server.h"
#include "nw/io/quarantine_state.h"
#include "nw/io/rds_client.h"
#include "nw/io/stream_journal.h"
#include "nw/io/systemd_notify.h"

namespace nw {
namespace {

// How long shutdown waits for an in-flight request before abandoning it; with the signal
// loop's tick this keeps a stop within DESIGN's 2 seconds.
constexpr auto kShutdownGrace = std::chrono::milliseconds(1500);
// How long the workers then have to return once their requests are aborted (a shut-down
// socket returns at once; a DNS wait sees the abort within 100 ms).
constexpr auto kAbortGrace = std::chrono::milliseconds(300);
constexpr long kSignalTickNanos = 100'000'000;
// How long shutdown gives the notifications still queued (nw/app/notifier.h).
constexpr auto kNotifyFlush = std::chrono::milliseconds(2000);
// The workers that run every loop's polls and cancels, and how many there may be while some
// are held by slow peers (see nw/app/scheduler.h).
constexpr std::size_t kWorkers = 4;
constexpr std::size_t kMaxWorkers = 12;

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1}) sigaddset(&set, s);
  return set;
}

// Counts the loops that finished their one cycle under --once.
class Completion {
 public:
  void finished(bool ok) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++finished_;
      all_ok_ = all_ok_ && ok;
    }
    cv_.notify_all();
  }
  bool all_finished(std::size_t total) {
    std::lock_guard<std::mutex> lock(mutex_);
    return finished_ == total;
  }
  bool all_ok() {
    std::lock_guard<std::mutex> lock(mutex_);
    return all_ok_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t finished_ = 0;
  bool all_ok_ = true;
};

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// --show-topology's output: each cluster's instances as the management API described them.
int print_topology(std::ostream& out, const WatchdogConfig& config,
                   const ClusterDiscovery& discovery, const std::vector<std::string>& problems) {
  if (config.clusters.empty()) {
    out << "no [cluster.NAME] section in " << config.origin << "\n";
    return kExitOk;
  }
  const auto topologies = discovery.topologies();
  for (const auto& cluster : config.clusters) {
    out << "[cluster." << cluster.name << "] " << cluster.cluster_id << " ("
        << cluster.instance.region << ")\n";
    const auto it = topologies.find(cluster.name);
    if (it == topologies.end() || !it->second) {
      out << "  not described (see below)\n";
      continue;
    }
    const auto watched = cluster_endpoints(cluster, *it->second);
    for (const auto& i : it->second->instances) {
      const bool is_watched = std::any_of(watched.begin(), watched.end(), [&](const auto& e) {
        return e.name == cluster.name + "/" + i.id;
      });
      out << "  " << i.id << "  " << to_string(i.role()) << "  " << i.status << "  "
          << (i.address.empty() ? std::string("(no endpoint)")
                                : i.address + ":" + std::to_string(i.port))
          << "  " << (is_watched ? "watched as " + cluster.name + "/" + i.id : "not watched")
          << "\n";
    }
  }
  for (const auto& problem : problems) std::cerr << "neptune-watchdog: " << problem << "\n";
  return problems.empty() ? kExitOk : kExitFailure;
}

void log_metrics_address(spdlog::logger& log, const std::string& listen, std::uint16_t port) {
  log.info("metrics on http://{}:{}/metrics, health on /healthz",
           listen.substr(0, listen.rfind(':')), port);
}

// The diagnostic log's line for an audit record (an observer of the audit trail).
void log_audit_record(spdlog::logger& log, const AuditRecord& r, bool written,
                      const AuditJournal& audit, bool pause_on_audit_failure) {
  if (r.event == AuditEvent::admin) {
    // OperatorControls logs the change itself, as it happens.
    if (!written)
      log.error("audit log {}: admin record ({} by {}) NOT written: {}", audit.path(), r.change,
                printable(r.requested_by), audit.last_error());
    return;
  }
  if (r.event == AuditEvent::ownership || r.event == AuditEvent::ha) {
    // The replica group logs these itself, as they happen.
    if (!written)
      log.error("audit log {}: {} record of {} NOT written: {}", audit.path(), to_string(r.event),
                r.unit.empty() ? r.replica : r.unit, audit.last_error());
    return;
  }
  if (r.event == AuditEvent::topology) {
    log.info("cluster {}: instance {} {}: {}", r.cluster, r.instance, r.change,
             printable(r.detail));
    if (!written)
      log.error("audit log {}: topology record of {} NOT written: {}", audit.path(), r.endpoint,
                audit.last_error());
    return;
  }
  const std::string loop = r.language == Language::opencypher
                               ? r.endpoint
                               : r.endpoint + "/" + std::string(to_string(r.language));
  const auto level = r.outcome == AuditOutcome::failed || r.outcome == AuditOutcome::given_up
                         ? spdlog::level::warn
                     : r.outcome == AuditOutcome::sending ? spdlog::level::debug
                                                          : spdlog::level::info;
  log.log(level, "endpoint {}: query {} {} by rule {} ({}){}", loop, loggable_id(r.query_id),
          to_string(r.outcome), r.rule, r.reason,
          r.outcome == AuditOutcome::failed ? ": " + printable(r.error) : std::string());
  if (!written)
    log.error("audit log {}: record for query {} NOT written: {}{}", audit.path(),
              loggable_id(r.query_id), audit.last_error(),
              pause_on_audit_failure ? "; cancelling is paused until it can be written" : "");
}

std::string host_name() {
  char host[256] = {};
  return ::gethostname(host, sizeof host - 1) == 0 ? host : "";
}

// This replica's name: [ha] replica, or the host name.
std::string replica_name(const HaSettings& ha) {
  if (!ha.replica.empty()) return ha.replica;
  const std::string host = host_name();
  return host.empty() ? "localhost" : host;
}

// --show-ha: the group as etcd has it now.
int show_ha(const WatchdogConfig& config) {
  if (!config.ha) {
    std::cout << "no [ha] section in " << config.origin << ": one daemon watches everything\n";
    return kExitOk;
  }
  const EtcdSettings settings = etcd_options_for(*config.ha);
  if (!settings.options) {
    std::cerr << config.origin << ": " << settings.error << "\n";
    return kExitConfig;
  }
  auto etcd = EtcdClient::create(*settings.options, nullptr);
  if (!etcd) {
    std::cerr << config.origin << ": ha.etcd: " << etcd.failure().describe() << "\n";
    return kExitConfig;
  }
  return print_ha_group(std::cout, std::cerr, *etcd.value(), config.ha->group,
                        config_units(config)) == 0
             ? kExitOk
             : kExitFailure;
}

}  // namespace

void block_process_signals() {
  sigset_t set = handled_signals();
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WatchdogApp::run(const std::vector<std::string>& args) {
  const CliParse cli = parse_cli(args);
  if (const auto code = run_offline_command(cli, std::cout, std::cerr)) return *code;
  const CliOptions& opts = cli.options;
  std::optional<WatchdogConfig> run_config = load_run_config(opts, std::cerr);
  if (!run_config) return kExitConfig;
  // A one-off cycle next to replicas is a dry run (load_run_config); it says so when it starts.
  const bool once_beside_replicas = opts.once && run_config->ha && !opts.dry_run;
  WatchdogConfig start_config = std::move(*run_config);
  const auto now = std::chrono::system_clock::now();
  if (opts.show_ha) return show_ha(start_config);
  if (opts.cancel) {
    ManualCancel cancel = *opts.cancel;
    cancel.requested_by = operator_name();
    if (const auto code = cancel_through_daemon(start_config, cancel, std::cout, std::cerr))
      return *code;
    return run_manual_cancel(start_config, cancel, std::cout, std::cerr);
  }
  if (opts.top) return run_top(start_config, opts.top_once, std::cout, std::cerr);
  if (opts.admin)
    return run_admin_command(start_config, *opts.admin, opts.json, std::cout, std::cerr);
  if (opts.check_config) {
    // The same TLS set-up as the daemon's (no connection is made), so a bad ca_file fails here.
    // Every endpoint is tried, so that one run lists every error.
    bool setup_ok = true;
    for (const auto& endpoint : start_config.endpoints) {
      try {
        // The chain is built but not consulted: --check-config contacts nothing.
        make_neptune_client(endpoint, Language::opencypher,
                            endpoint.auth == AuthMode::iam
                                ? std::make_shared<CredentialChain>(CredentialChainOptions{})
                                : nullptr);
      } catch (const EndpointSetupError& e) {
        std::cerr << opts.config_path << ": " << e.key << ": " << e.what() << "\n";
        setup_ok = false;
      }
    }
    for (const auto& cluster : start_config.clusters) {
      try {
        // The management client is built but not asked: --show-topology asks.
        make_rds_directory(cluster, std::make_shared<CredentialChain>(CredentialChainOptions{}),
                           nullptr, process_environment());
        // The instances' TLS set-up, as one found would have it.
        EndpointConfig instance = cluster.instance;
        instance.name = cluster.name;
        instance.url.https = cluster.https;
        instance.url.host = "instance";
        instance.url.port = 8182;
        make_neptune_client(instance, Language::opencypher,
                            instance.auth == AuthMode::iam
                                ? std::make_shared<CredentialChain>(CredentialChainOptions{})
                                : nullptr);
      } catch (const EndpointSetupError& e) {
        std::cerr << opts.config_path << ": " << e.key << ": " << e.what() << "\n";
        setup_ok = false;
      }
    }
    // The group is looked up here, not in the core's parser (no system calls there); the file
    // itself is not created: --check-config changes nothing.
    if (!start_config.watchdog.audit_group.empty()) {
      try {
        audit_group_id(start_config.watchdog.audit_group);
      } catch (const AuditOpenError& e) {
        std::cerr << opts.config_path << ": " << e.key << ": " << e.what() << "\n";
        setup_ok = false;
      }
    }
    if (!start_config.watchdog.admin_group.empty()) {
      try {
        audit_group_id(start_config.watchdog.admin_group);
      } catch (const AuditOpenError& e) {
        std::cerr << opts.config_path << ": watchdog.admin_group: " << e.what() << "\n";
        setup_ok = false;
      }
    }
    // The sinks' TLS set-up (a webhook's ca_file); nothing is sent.
    CredentialChains check_chains;
    const auto make_sink =
        daemon_notification_sinks(check_chains, std::make_shared<NotifierReaper>());
    for (const auto& section : start_config.notifications) {
      try {
        make_sink(section);
      } catch (const EndpointSetupError& e) {
        std::cerr << opts.config_path << ": " << e.key << ": " << e.what() << "\n";
        setup_ok = false;
      }
    }
    if (start_config.ha)
      for (const std::string& problem : etcd_setup_problems(*start_config.ha)) {
        std::cerr << opts.config_path << ": " << problem << "\n";
        setup_ok = false;
      }
    if (!setup_ok) return kExitConfig;
    std::cout << describe_config(start_config);
    for (const auto& w : config_warnings(start_config, now))
      std::cout << "# warning: " << w.format(opts.config_path) << "\n";
    for (const auto& w : regex_cost_warnings(start_config.policy))
      std::cout << "# warning: " << w.format(opts.config_path) << "\n";
    if (!start_config.watchdog.quarantine_state.empty()) {
      const QuarantineLoad kept =
          load_quarantine_state(start_config.watchdog.quarantine_state, now);
      if (!kept.problem.empty())
        std::cout << "# warning: quarantine_state: " << kept.problem << "\n";
      std::cout << describe_quarantine(kept.list, now);
    }
    std::cout << "\n# configuration OK: version " << start_config.version << ", "
              << start_config.endpoints.size() << " endpoint(s), "
              << (start_config.clusters.empty()
                      ? std::string()
                      : std::to_string(start_config.clusters.size()) + " cluster(s), ")
              << start_config.policy.rules.size() << " rule(s), "
              << start_config.policy.protections.size() << " protection(s)"
              << (start_config.notifications.empty()
                      ? std::string()
                      : ", " + std::to_string(start_config.notifications.size()) +
                            " notification(s)")
              << "\n";
    return kExitOk;
  }
  ConfigHolder holder(std::make_shared<const WatchdogConfig>(std::move(start_config)));
  const auto config = holder.get();
  const auto log = make_diagnostic_logger(config->watchdog.log_level);
  for (const auto& w : config_warnings(*config, now)) log->warn("{}", w.format(config->origin));
  for (const auto& w : regex_cost_warnings(config->policy))
    log->warn("{}", w.format(config->origin));
  CancelBudget budget(config->policy);

  // --once --dry-run is a rehearsal, often next to the running service: its records go to
  // standard output as JSON lines, and the service's audit file (its proof) is not touched.
  const bool rehearsal = (opts.once && opts.dry_run) || opts.show_topology;
  std::shared_ptr<AuditLog> audit;  // null in a rehearsal
  std::shared_ptr<AuditJournal> journal;
  if (rehearsal) {
    journal = std::make_shared<StreamJournal>(STDOUT_FILENO, "standard output");
  } else {
    try {
      audit = std::make_shared<AuditLog>(config->watchdog);
    } catch (const AuditOpenError& e) {
      std::cerr << config->origin << ": " << e.key << ": " << e.what() << "\n";
      return kExitConfig;
    }
    journal = audit;
  }
  if (audit && !config->watchdog.audit_log.empty()) {
    if (const std::size_t unanswered = unanswered_cancels(config->watchdog.audit_log);
        unanswered > 0)
      log->warn(
          "{} cancels were sent or about to be sent when the daemon stopped (their `sending` "
          "records "
          "in {} have no outcome record)",
          unanswered, config->watchdog.audit_log);
  }

  StopToken stop;
  ServiceStatus status({});
  Metrics metrics;
  metrics.config_in_force(config->version);
  SystemClock clock;
  // Every loop's polls and every cancel run on it. Before returning, stop() ends its work, so
  // no task outlives the loops it refers to.
  const auto workers = static_cast<std::size_t>(config->watchdog.workers);
  Scheduler scheduler(clock, Scheduler::Options{workers, 3 * workers});
  // Holds every HTTP exchange (Neptune's and the credential sources') to its request_timeout,
  // and at shutdown ends those still waiting on a peer, so that no worker outlives run().
  const auto reaper = std::make_shared<ExchangeReaper>();

  // One credential chain per identity (profile, region, role), shared by the endpoints that
  // sign with it, so temporary credentials are fetched and refreshed once. Only auth = iam
  // consults a chain.
  CredentialChainOptions chain_options;
  chain_options.log = log;
  chain_options.reaper = reaper;
  CredentialChains chains(chain_options);
  AuditTrail trail(journal);
  // [notify.NAME]: messages to the people on call, from a queue and threads of their own, with
  // an exchange reaper of their own so that shutdown's abort of Neptune's exchanges leaves
  // their last flush alone. A rehearsal notifies nobody.
  const auto notify_reaper = std::make_shared<NotifierReaper>();
  NotifierOptions notifier_options;
  notifier_options.abort_sends = [notify_reaper] { notify_reaper->abort_all(); };
  Notifier notifier(metrics, *log, daemon_notification_sinks(chains, notify_reaper),
                    notifier_options);
  try {
    if (!rehearsal) notifier.configure(config->notifications);
  } catch (const EndpointSetupError& e) {
    std::cerr << config->origin << ": " << e.key << ": " << e.what() << "\n";
    return kExitConfig;
  }
  // Whether cancelling is paused, for the gauge and /healthz: judged here, on the writing thread
  // right after a write, because the journal's state is guarded by the lock its writes hold,
  // which the metrics server's thread must never wait for.
  // The moment it becomes paused is a notification (`paused`): the records it cannot write
  // never reach the trail's observers.
  const auto report_audit_health = [&metrics, &holder, &trail, &notifier] {
    const auto journal = trail.journal();
    const bool paused = holder.get()->watchdog.pause_on_audit_failure && !journal->healthy();
    const std::string cause = paused ? "the audit log " + journal->path() + " cannot be written (" +
                                           journal->last_error() + "); on_audit_failure = pause"
                                     : std::string();
    metrics.cancelling_paused(paused, cause);
    notifier.cancelling_paused(paused, cause);
  };
  trail.observe([&metrics, &report_audit_health](const AuditRecord& r, bool written) {
    // Decisions are what the audit log holds: a record it could not take is a write error.
    if (written && r.event != AuditEvent::decision) {
      // Not a decision: counted by discovery's and the replica group's own series.
    } else if (written)
      metrics.decision_recorded(r.endpoint, std::string(to_string(r.language)), r.rule, r.outcome);
    else
      metrics.audit_write_failed();
    report_audit_health();
  });
  trail.observe([&log = *log, &holder, &trail](const AuditRecord& r, bool written) {
    log_audit_record(log, r, written, *trail.journal(),
                     holder.get()->watchdog.pause_on_audit_failure);
  });
  // Query shapes in quarantine: kept across reloads and, with quarantine_state, restarts
  // (--once neither reads nor writes that file: it is the service's).
  const std::string quarantine_path = opts.once ? "" : config->watchdog.quarantine_state;
  QuarantineBook quarantine(load_quarantine(quarantine_path, clock.wall_now(), *log));
  trail.observe([&notifier](const AuditRecord& r, bool written) { notifier.record(r, written); });
  trail.observe([&quarantine, &holder, &log = *log, &notifier](const AuditRecord& r, bool written) {
    if (!written) return;
    const auto started = quarantine.record_written(r, holder.get()->policy);
    if (!started) return;
    const std::string detail = "new queries of its shape (fingerprint " +
                               fingerprint_hex(started->fingerprint) +
                               ") are cancelled on sight until " + format_rfc3339(started->until);
    log.warn("quarantine: [rule.{}] cancelled query {} on {}; {}", started->rule,
             loggable_id(r.query_id), r.endpoint, detail);
    notifier.notify(quarantine_event(r.time, r.endpoint, started->rule,
                                     fingerprint_hex(started->fingerprint),
                                     detail + ": " + started->fingerprint_text));
  });
  CancelDispatcher cancels(trail, budget, status, metrics, *log, stop, scheduler, clock,
                           3 * workers / 2);
  if (once_beside_replicas)
    log->warn("--once with an [ha] section: a dry run; the replicas that own the units cancel");
  // The operator's kill switch and temporary protections, and what each loop saw last (the
  // admin socket's live view and its cancels).
  OperatorControls controls(trail, holder, metrics, *log);
  // The sentinel file is looked at before the first poll: a pause set while the daemon was
  // down holds from the start.
  controls.tend(clock.wall_now(), config->watchdog.pause_sentinel);
  // Rules' cancels already waiting their turn are held by a pause too.
  cancels.pause_with(
      [&controls, &clock] { return controls.current()->pause_at(clock.wall_now()) != nullptr; });
  LiveBoard board;
  const PollerServices services{
      holder,      trail,     cancels, status,    metrics,
      *log,        stop,      clock,   scheduler, opts.once ? RunMode::once : RunMode::service,
      &quarantine, &controls, &board};

  // With [ha]: this replica's share of the fleet, kept in etcd (docs/HA.md). It acts only on
  // the units it owns: the supervisor and discovery get those alone, and every cancel passes
  // the group's gate.
  std::unique_ptr<ReplicaGroup> group;
  // The trail and the dispatcher outlive the group: they forget it before it goes (by then the
  // scheduler has stopped, so nothing records or cancels meanwhile).
  struct ForgetGroup {
    AuditTrail& trail;
    CancelDispatcher& cancels;
    ~ForgetGroup() {
      trail.stamp_with({});
      cancels.gate_with({});
    }
  } forget_group{trail, cancels};
  std::set<std::string> working_units;  // the units watched now (main thread)
  if (config->ha && !opts.once && !opts.show_topology) {
    const EtcdSettings settings = etcd_options_for(*config->ha);
    if (!settings.options) {
      std::cerr << config->origin << ": " << settings.error << "\n";
      return kExitConfig;
    }
    ReplicaGroupOptions group_options;
    group_options.group = config->ha->group;
    group_options.replica = replica_name(*config->ha);
    group_options.host = host_name();
    group_options.lease_ttl =
        std::chrono::duration_cast<std::chrono::seconds>(config->ha->lease_ttl);
    auto made = ReplicaGroup::create(ReplicaGroup::Services{holder, trail, metrics, *log, clock},
                                     *settings.options, group_options, reaper);
    if (!made) {
      std::cerr << config->origin << ": ha.etcd: " << made.failure().describe() << "\n";
      return kExitConfig;
    }
    group = std::move(made.value());
    // A replica name held by another live process is found here, within a lease; etcd not
    // answering is not an error: the group goes on trying once started, and nothing is owned
    // (nor cancelled) until it answers.
    if (const auto refused = group->join(std::chrono::steady_clock::now() + config->ha->lease_ttl +
                                         std::chrono::seconds(3))) {
      std::cerr << config->origin << ": ha.replica: " << *refused << "\n";
      return kExitConfig;
    }
    trail.stamp_with([g = group.get()](AuditRecord& r) {
      if (r.replica.empty()) r.replica = g->replica();
      if (r.owner_revision != 0 ||
          (r.event != AuditEvent::decision && r.event != AuditEvent::topology))
        return;
      if (const auto fence = g->holder_of(unit_of_endpoint(r.endpoint)))
        r.owner_revision = fence->revision;
    });
    cancels.gate_with([g = group.get()](const std::string& unit, Clock::duration needed) {
      return g->fence(unit, needed);
    });
    group->set_units(config_units(*config));
    group->start();
    log->info("ha: replica {} of group {} (etcd {})", group->replica(), group_options.group,
              join(config->ha->etcd));
  }
  // Whether a unit is this replica's to watch now (always, without [ha]).
  const auto watched = [&](const std::string& unit) {
    return !group || working_units.count(unit) > 0;
  };
  // The clusters of `c` this replica describes: those it owns.
  const auto owned_clusters = [&](const WatchdogConfig& c) {
    std::vector<ClusterConfig> out;
    for (const auto& cluster : c.clusters)
      if (watched(cluster_unit(cluster.name))) out.push_back(cluster);
    return out;
  };
  // The typed endpoints of `c` this replica watches.
  const auto owned_endpoints = [&](const WatchdogConfig& c) {
    std::vector<EndpointConfig> out;
    for (const auto& endpoint : c.endpoints)
      if (watched(endpoint_unit(endpoint.name))) out.push_back(endpoint);
    return out;
  };
  if (group) {
    // Its first units are usually taken within milliseconds of joining: start with them.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (group->generation() == 0 && !config_units(*config).empty() &&
           group->not_acting_cause().empty() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    working_units = group->working_units();
  }
  std::uint64_t ownership_generation = group ? group->generation() : 0;
  Supervisor supervisor(services, [&](const EndpointConfig& endpoint, Language language) {
    return make_neptune_client(endpoint, language, chains.for_endpoint(endpoint), reaper);
  });
  // Follows every [cluster.NAME] through the management API; the loops of the instances it
  // finds are the supervisor's, like the typed endpoints'.
  ClusterDiscovery discovery(
      ClusterDiscovery::Services{holder, trail, metrics, *log, stop, clock, scheduler,
                                 opts.once ? RunMode::once : RunMode::service, !opts.show_topology},
      [&](const ClusterConfig& cluster) {
        // The management API is signed whatever the instances' auth: with the identity the
        // cluster's instances would use (its profile and role), or the default chain's.
        return make_rds_directory(
            cluster,
            chains.get(credential_chain_key(cluster.instance), cluster.instance.request_timeout),
            reaper, process_environment());
      });
  // The daemon spreads its loops' first polls over the first second (or poll_interval, if
  // shorter), so that a large fleet is not polled in bursts.
  const auto spread = [&] {
    return std::min<Clock::duration>(holder.get()->watchdog.poll_interval, std::chrono::seconds(1));
  };
  // Whatever path leaves run(), no task of the scheduler outlives the loops it refers to.
  struct StopOnExit {
    Scheduler& scheduler;
    ~StopOnExit() { scheduler.stop(std::chrono::steady_clock::now() + std::chrono::seconds(5)); }
  } stop_on_exit{scheduler};

  // /healthz judges the endpoints in force (they change with reloads).
  std::mutex endpoint_names_mutex;
  std::vector<std::string> endpoint_names;
  const auto health = [&] {
    std::vector<std::string> names;
    {
      std::lock_guard<std::mutex> lock(endpoint_names_mutex);
      names = endpoint_names;
    }
    return metrics.health(std::chrono::system_clock::now(), holder.get()->watchdog.poll_interval,
                          names);
  };
  std::unique_ptr<MetricsServer> metrics_server;
  // --once serves no metrics: it is over before a scrape, and the service next to it holds the
  // port (binding it would fail the run).
  if (!config->watchdog.metrics_listen.empty() && !opts.once && !opts.show_topology) {
    try {
      metrics_server =
          std::make_unique<MetricsServer>(config->watchdog.metrics_listen, metrics, health);
    } catch (const MetricsListenError& e) {
      // The address itself was checked with the configuration. A port still held (by the
      // instance being restarted, say) is worth a restart by systemd, so exit 1; any other
      // refusal (not a local address, a privileged port) will not pass by itself: 78.
      std::cerr << config->origin << ": watchdog.metrics_listen: " << e.what() << "\n";
      return e.address_in_use ? kExitFailure : kExitConfig;
    }
    log_metrics_address(*log, config->watchdog.metrics_listen, metrics_server->port());
  }
  // The admin socket: the service's only (--once and rehearsals take no requests).
  AdminService admin(AdminService::Services{holder, controls, board, cancels, scheduler, stop,
                                            clock, &quarantine});
  std::unique_ptr<AdminSocketServer> admin_socket;
  if (!config->watchdog.admin_socket.empty() && !opts.once && !opts.show_topology) {
    AdminSocketOptions admin_options;
    admin_options.path = config->watchdog.admin_socket;
    try {
      if (!config->watchdog.admin_group.empty())
        admin_options.group = audit_group_id(config->watchdog.admin_group);
    } catch (const AuditOpenError& e) {
      std::cerr << config->origin << ": watchdog.admin_group: " << e.what() << "\n";
      return kExitConfig;
    }
    try {
      admin_socket = std::make_unique<AdminSocketServer>(
          admin_options, [&admin](const std::string& request, const AdminPeer& peer) {
            return admin.handle(request, peer);
          });
    } catch (const AdminSocketError& e) {
      std::cerr << config->origin << ": watchdog.admin_socket: " << e.what() << "\n";
      return kExitConfig;
    }
    log->info("admin socket on {}", admin_socket->path());
  }
  // Every cluster is described once before the first poll, so that its instances are watched
  // from the start; one that cannot be described is asked again within seconds.
  try {
    discovery.commit(discovery.prepare(owned_clusters(*config)));
  } catch (const EndpointSetupError& e) {
    std::cerr << config->origin << ": " << e.key << ": " << e.what() << "\n";
    return kExitConfig;
  }
  // The service waits for one management answer's time at most; --once and --show-topology wait
  // for every cluster's answer.
  std::optional<std::chrono::steady_clock::time_point> describe_deadline;
  if (!opts.once && !opts.show_topology) {
    Millis longest{0};
    for (const auto& cluster : config->clusters)
      longest = std::max(longest, cluster.instance.request_timeout);
    describe_deadline = std::chrono::steady_clock::now() + longest;
  }
  const auto discovery_problems = discovery.describe_now(describe_deadline);
  if (opts.show_topology) return print_topology(std::cout, *config, discovery, discovery_problems);
  for (const auto& problem : discovery_problems) log->error("{}", problem);
  if (!opts.once) discovery.start(true);
  // The typed endpoints of the configuration in force and the instances its clusters have now.
  const auto fleet = [&] {
    std::vector<EndpointConfig> all = owned_endpoints(*holder.get());
    for (auto& e : discovery.endpoints()) all.push_back(std::move(e));
    return all;
  };
  try {
    supervisor.apply(fleet(), clock.now(), spread(), !opts.once);
  } catch (const EndpointSetupError& e) {
    std::cerr << config->origin << ": " << e.key << ": " << e.what() << "\n";
    return kExitConfig;
  }
  std::uint64_t fleet_generation = discovery.generation();
  {
    std::lock_guard<std::mutex> lock(endpoint_names_mutex);
    endpoint_names = supervisor.endpoint_names();
  }
  // A topology changed: the instances it adds are polled, those it removes drain, a failover
  // moves the roles. A client that cannot be built (an unreadable ca_file) leaves the loops as
  // they are until the next change.
  // `at_once`: the new loops poll now rather than spread over a second (units taken over from
  // a replica that died: their offenders have waited for the lease to expire already).
  const auto follow_topology = [&](bool at_once = false) {
    fleet_generation = discovery.generation();
    Supervisor::Changes changes;
    try {
      changes =
          supervisor.apply(fleet(), clock.now(), at_once ? Clock::duration::zero() : spread());
    } catch (const EndpointSetupError& e) {
      log->error("topology change not applied: {}: {}", e.key, e.what());
      return;
    }
    {
      std::lock_guard<std::mutex> lock(endpoint_names_mutex);
      endpoint_names = supervisor.endpoint_names();
    }
    if (changes.any())
      log->info("topology: endpoints added [{}], removed [{}], changed [{}], new roles [{}]",
                join(changes.added), join(changes.removed), join(changes.changed),
                join(changes.roles_changed));
  };

  // With replicas: the units this replica owns changed. Those it acquired are watched (a
  // cluster is described at once), those it gives up stop, and are reported drained (so the
  // group releases them) once none of their loops, and none of their cancels, is left.
  const auto follow_ownership = [&] {
    ownership_generation = group->generation();
    working_units = group->working_units();
    try {
      discovery.commit(discovery.prepare(owned_clusters(*holder.get())));
      discovery.start(false);
      fleet_generation = discovery.generation();
    } catch (const EndpointSetupError& e) {
      log->error("ha: clusters not followed: {}: {}", e.key, e.what());
    }
    follow_topology(true);
  };
  const auto report_drained = [&] {
    for (const auto& unit : group->releasing_units())
      if (!supervisor.has_loops_of(unit) && !cancels.has_cancels_of(unit)) group->drained(unit);
  };

  const auto loops = supervisor.loops();
  log->info(
      "neptune-watchdog {} started: config version {}, {} endpoint(s), {} rule(s), poll every {}, "
      "{}audit to {}",
      NW_VERSION, config->version, loops.size(), config->policy.rules.size(),
      format_duration(config->watchdog.poll_interval),
      config->policy.dry_run ? "DRY RUN (no cancels), " : "",
      audit ? audit->destinations() : journal->path());

  // Under --once each loop runs one cycle.
  Completion completion;
  if (opts.once)
    for (EndpointPoller* p : loops)
      scheduler.post(p->strand(), [p, &completion] { completion.finished(p->poll_once()); });

  // SIGHUP: everything that can fail first (the file, a new audit file, a new listener, the
  // new loops' clients), then, if all of it worked, the swap. Returns whether it was applied.
  const auto reload = [&] {
    const auto current = holder.get();
    log->info("SIGHUP: reloading {}", opts.config_path);
    ConfigResult next_loaded = load_config_file(opts.config_path);
    const auto reject = [&](const std::string& why) {
      log->error("reload rejected: {}; still running config version {}", why, current->version);
      return false;
    };
    if (!next_loaded.ok()) {
      for (const auto& e : next_loaded.errors)
        log->error("reload rejected: {}", e.format(opts.config_path));
      return reject(std::to_string(next_loaded.errors.size()) + " error(s)");
    }
    if (opts.dry_run) next_loaded.config.policy.dry_run = true;
    WatchdogConfig& next = next_loaded.config;
    const auto& a = current->watchdog;
    const WatchdogSettings b = next.watchdog;  // a copy: `next` moves into the holder below
    std::shared_ptr<AuditLog> next_audit;
    if (a.audit_log != b.audit_log || a.audit_journal != b.audit_journal ||
        a.audit_max_size != b.audit_max_size || a.audit_max_files != b.audit_max_files ||
        a.audit_group != b.audit_group) {
      try {
        next_audit = std::make_shared<AuditLog>(b);
      } catch (const AuditOpenError& e) {
        return reject(opts.config_path + ": " + e.key + ": " + e.what());
      }
    }
    std::unique_ptr<MetricsServer> next_metrics;
    const bool metrics_change = a.metrics_listen != b.metrics_listen;
    if (metrics_change && !b.metrics_listen.empty()) {
      try {
        next_metrics = std::make_unique<MetricsServer>(b.metrics_listen, metrics, health);
      } catch (const MetricsListenError& e) {
        return reject(opts.config_path + ": watchdog.metrics_listen: " + e.what());
      }
    }
    Supervisor::Plan plan;
    ClusterDiscovery::Plan clusters;
    Notifier::Plan notifications;
    try {
      notifications = notifier.prepare(next.notifications);
      clusters = discovery.prepare(owned_clusters(next));
      std::vector<EndpointConfig> endpoints = owned_endpoints(next);
      for (auto& e : ClusterDiscovery::endpoints(clusters)) endpoints.push_back(std::move(e));
      plan = supervisor.prepare(endpoints);
    } catch (const EndpointSetupError& e) {
      return reject(opts.config_path + ": " + e.key + ": " + e.what());
    }
    // Nothing can fail from here on.
    // The keys declared Reload::next_start (nw/core/config_schema.h), e.g. watchdog.workers.
    for (const KeyChange& c : restart_only_changes(*current, next))
      log->warn("reload: {} = {} takes effect at the next start; still {}", c.key, c.after,
                c.before);
    log->set_level(spdlog_level(b.log_level));
    for (const auto& w : config_warnings(next, std::chrono::system_clock::now()))
      log->warn("{}", w.format(opts.config_path));
    for (const auto& w : regex_cost_warnings(next.policy))
      log->warn("{}", w.format(opts.config_path));
    budget.reconfigure(next.policy);
    const std::string version = next.version;
    const std::size_t rules = next.policy.rules.size();
    const std::vector<std::string> units = config_units(next);
    holder.set(std::make_shared<const WatchdogConfig>(std::move(next)));
    metrics.config_in_force(version);
    if (next_audit) {
      trail.replace(next_audit);
      audit = next_audit;
      log->info("reload: audit records now go to {}", audit->destinations());
    }
    if (metrics_change) {
      metrics_server = std::move(next_metrics);
      if (metrics_server)
        log_metrics_address(*log, b.metrics_listen, metrics_server->port());
      else
        log->info("reload: metrics are no longer served");
    }
    const auto changes = supervisor.commit(std::move(plan), clock.now(), spread());
    notifier.commit(std::move(notifications));
    // Every cluster is asked again at once: a SIGHUP is also how an operator says "look now".
    discovery.commit(std::move(clusters));
    discovery.start(false);
    fleet_generation = discovery.generation();
    // The group re-balances: units added are taken by their owners, units removed released.
    if (group) group->set_units(units);
    {
      std::lock_guard<std::mutex> lock(endpoint_names_mutex);
      endpoint_names = supervisor.endpoint_names();
    }
    if (changes.any())
      log->info("reload: endpoints added [{}], removed [{}], changed [{}]", join(changes.added),
                join(changes.removed), join(changes.changed));
    log->info("configuration reloaded: version {} (was {}), {} rule(s)", version, current->version,
              rules);
    return true;
  };

  SystemdNotifier systemd;
  const auto watchdog_interval = SystemdNotifier::watchdog_interval();
  if (watchdog_interval)
    log->info(
        "systemd watchdog on: keep-alive every {}ms while every poll loop makes progress",
        std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_interval / 2).count());
  auto last_keepalive = std::chrono::steady_clock::now();
  bool ready = false;
  std::uint64_t status_version = 0;

  const sigset_t signals = handled_signals();
  bool signalled = false;
  auto last_quarantine_tend = clock.wall_now();
  // Under --once, until every loop's cycle and every cancel it sent have finished.
  const auto once_done = [&] {
    return completion.all_finished(loops.size()) &&
           scheduler.wait_idle(std::chrono::steady_clock::now());
  };
  while (!opts.once || !once_done()) {
    const timespec tick{0, kSignalTickNanos};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGHUP && opts.once) {
      log->info("SIGHUP ignored: --once runs one cycle under the configuration it started with");
    } else if (sig == SIGHUP) {
      systemd.reloading();
      metrics.config_reloaded(reload());
      report_audit_health();  // another audit_log or on_audit_failure may be in force
      systemd.ready();
    } else if (sig == SIGUSR1 && !audit) {
      log->info("SIGUSR1 ignored: records go to {}", journal->path());
    } else if (sig == SIGUSR1) {
      if (audit->reopen())
        log->info("SIGUSR1: reopened the audit log {}", audit->path());
      else
        log->error(
            "SIGUSR1: cannot reopen the audit log {}: {}; still writing the old file, and the "
            "audit log counts as failed until a reopen succeeds",
            audit->path(), audit->last_error());
      report_audit_health();  // a reopen changes whether the log can be written
    } else if (sig > 0) {
      log->info("received {}, stopping", sig == SIGTERM  ? "SIGTERM"
                                         : sig == SIGINT ? "SIGINT"
                                                         : "SIGQUIT");
      signalled = true;
      break;
    }
    if (clock.wall_now() - last_quarantine_tend >= std::chrono::seconds(1)) {
      last_quarantine_tend = clock.wall_now();
      quarantine.tend(last_quarantine_tend, quarantine_path, metrics, *log);
      controls.tend(last_quarantine_tend, holder.get()->watchdog.pause_sentinel);
    }
    if (group && group->generation() != ownership_generation) follow_ownership();
    if (!opts.once && discovery.generation() != fleet_generation) follow_topology();
    supervisor.collect();
    if (group) report_drained();
    const auto now = std::chrono::steady_clock::now();
    // With replicas: ready once a member that acts (etcd answered, the lease is sure).
    if (!ready && status.all_polled_once() && (!group || group->not_acting_cause().empty())) {
      ready = true;
      systemd.ready();
    }
    if (status.version() != status_version) {
      status_version = status.version();
      systemd.status(status.summary(now));
    }
    // The keep-alive stops when any poll loop breaks its promise, so systemd restarts a hung
    // daemon.
    if (watchdog_interval && now - last_keepalive >= *watchdog_interval / 2 &&
        status.making_progress(now)) {
      systemd.watchdog();
      last_keepalive = now;
    }
  }
  systemd.stopping();
  stop.request_stop();
  admin_socket.reset();  // its requests end first: an operator's cancel waits on the scheduler

  const bool finished = scheduler.stop(std::chrono::steady_clock::now() + kShutdownGrace);
  // Cancels still waiting for Neptune's answer, and any whose send had not started, are
  // audited as failed now, so that every `sending` record has its outcome.
  const std::size_t abandoned = cancels.abandon_in_flight();
  if (!finished) {
    // A request is still waiting on a peer: end it (its socket is shut down, a DNS wait gives
    // up) and wait for the workers, which return at once.
    reaper->abort_all();
    log->warn(
        "stopped with requests still in flight (abandoned after {}ms; {} cancel(s) audited as "
        "failed)",
        kShutdownGrace.count(), abandoned);
    if (!scheduler.stop(std::chrono::steady_clock::now() + kAbortGrace)) {
      // Never seen: a worker held outside any network exchange (a hung file system). The stop
      // promise wins; no record can be written after close(), so none is left half-written.
      log->error("a worker did not return {}ms after its requests were aborted; leaving without it",
                 kAbortGrace.count());
      trail.journal()->close();
      log->flush();
      std::fflush(nullptr);
      std::_Exit(kExitOk);
    }
  } else if (abandoned > 0) {
    log->warn("{} cancel(s) not answered at shutdown, audited as failed", abandoned);
  }
  quarantine.tend(clock.wall_now(), quarantine_path, metrics, *log);
  // Every record is written by now: what the notifications still hold is sent, within 2 s.
  notifier.stop(std::chrono::steady_clock::now() + kNotifyFlush);
  // Every cancel is audited by now: the lease goes, and with it this replica's units.
  if (group) group->stop();
  log->info("stopped");
  // --once fails when an endpoint could not be polled, or a cluster could not be described
  // (its instances were not looked at).
  if (opts.once && !signalled && (!completion.all_ok() || !discovery_problems.empty()))
    return kExitFailure;
  return kExitOk;
}

}  // namespace nw
