#include "nw/sim/sim_app.h"

#include <cerrno>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <vector>

#include <Poco/Exception.h>

#include "nw/sim/instance_fleet.h"
#include "nw/sim/management_service.h"
#include "nw/sim/sim_options.h"
#include "nw/sim/sim_server.h"
#include "nw/sim/sim_service.h"
#include "nw/sim/sim_tls.h"

namespace nw::sim {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;

std::int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Returns when a stop signal arrives or, with a positive duration, when it has passed.
void wait_for_stop(std::int64_t duration_ms) {
  const sigset_t signals = stop_signals();
  if (duration_ms <= 0) {
    int signal = 0;
    while (sigwait(&signals, &signal) != 0) {
    }
    return;
  }
  const std::int64_t deadline = steady_now_ms() + duration_ms;
  for (;;) {
    const std::int64_t left = deadline - steady_now_ms();
    if (left <= 0) return;
    timespec timeout{};
    timeout.tv_sec = static_cast<std::time_t>(left / 1000);
    timeout.tv_nsec = static_cast<long>(left % 1000) * 1'000'000L;
    if (sigtimedwait(&signals, nullptr, &timeout) > 0) return;
    if (errno != EINTR && errno != EAGAIN) return;
  }
}

}  // namespace

sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

int run_neptune_sim(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const Parsed<SimOptions> parsed = parse_sim_options(args);
  if (!parsed) {
    err << "neptune-sim: " << parsed.error << "\n(see neptune-sim --help)" << std::endl;
    return kExitUsage;
  }
  const SimOptions& options = *parsed.value;
  if (options.help) {
    out << sim_help_text() << std::flush;
    return 0;
  }

  Poco::Net::Context::Ptr tls;
  if (!options.tls_cert.empty()) {
    try {
      tls = make_server_tls_context(options.tls_cert, options.tls_key);
    } catch (const Poco::Exception& e) {
      err << "neptune-sim: cannot use --tls-cert " << options.tls_cert << " / --tls-key "
          << options.tls_key << ": " << e.displayText() << std::endl;
      return kExitFailure;
    }
  }

  const bool managed = !options.cluster.empty();
  const int instances = options.total_instances();
  // Cancels of all instances come from their handler threads: one line at a time.
  std::mutex out_mutex;
  FleetSettings settings;
  settings.host = options.host;
  settings.workload = options.workload;
  settings.languages = options.languages;
  settings.faults = options.faults;
  settings.tls = tls;
  settings.quiet = options.quiet;
  // Instances come and go under a management API: every cancel line says whose it is.
  settings.label_instances = instances > 1 || managed;
  settings.clock = steady_now_ms;
  // With a management API, instances may be added up to the limit: the pool's ceiling
  // allows for them (its threads start only with connections).
  InstanceFleet fleet(settings, out, out_mutex, managed ? kMaxInstances + 1 : instances);

  std::vector<const SimServer*> servers;
  for (int i = 0; i < instances; ++i) {
    const std::uint16_t port = options.port == 0 ? 0 : static_cast<std::uint16_t>(options.port + i);
    try {
      servers.push_back(&fleet.open(i, port));
    } catch (const Poco::Exception& e) {
      err << "neptune-sim: cannot listen on " << options.host << ":" << port << ": "
          << e.displayText() << std::endl;
      return kExitFailure;
    }
  }
  if (!servers.front()->is_loopback()) {
    // The simulator has no authentication: off loopback only when asked for by name.
    if (!options.listen_given) {
      err << "neptune-sim: refusing to serve on non-loopback " << servers.front()->url()
          << std::endl;
      return kExitUsage;
    }
    err << "neptune-sim: warning: serving on non-loopback " << options.host
        << " without authentication" << std::endl;
  }

  std::unique_ptr<ManagementService> management;
  std::unique_ptr<SimServer> management_server;
  if (managed) {
    ManagementConfig config;
    config.settings.region = options.region;
    config.settings.advertise_domain = options.advertise_domain;
    config.settings.instance_host = options.host;
    config.page_size = options.management_page_size;
    config.max_instances = kMaxInstances;
    config.seed = options.workload.seed;
    config.tls = static_cast<bool>(tls);
    management = std::make_unique<ManagementService>(config, fleet, steady_now_ms, wall_now_ms);
    for (const std::string& id : options.cluster_ids()) management->add_cluster(id);
    const std::vector<std::string> clusters = options.cluster_ids();
    for (int i = 0; i < instances; ++i) {
      const std::string& cluster = clusters[static_cast<std::size_t>(i / options.instances)];
      const auto added = management->add_started_instance(
          cluster, options.instance_id(i), i, servers[static_cast<std::size_t>(i)]->port());
      if (!added) {
        err << "neptune-sim: " << added.error << std::endl;
        return kExitUsage;
      }
    }
    const std::string host =
        options.management_host.empty() ? options.host : options.management_host;
    try {
      // Plain HTTP even with --tls-cert: the management plane is a separate service, and
      // a client reaches it through its own override (management_url) in tests.
      management_server = std::make_unique<SimServer>(*management, host, options.management_port,
                                                      nullptr, kMaxManagementThreads);
    } catch (const Poco::Exception& e) {
      err << "neptune-sim: cannot listen on " << host << ":" << options.management_port
          << " for the management API: " << e.displayText() << std::endl;
      return kExitFailure;
    }
    if (!management_server->is_loopback() && options.management_host.empty() &&
        !options.listen_given) {
      err << "neptune-sim: refusing to serve the management API on non-loopback "
          << management_server->url() << std::endl;
      return kExitUsage;
    }
  }

  {
    // The sockets are already listening: a client that reads a line and connects at
    // once waits in the backlog until start(). Nothing is printed before these lines,
    // and no cancel line before "ready" (observers wait for out_mutex).
    const std::lock_guard<std::mutex> lock(out_mutex);
    for (const SimServer* server : servers)
      out << "neptune-sim: listening on " << server->url() << "\n";
    // Worded apart from the instances' lines, which scripts collect by "listening on".
    if (management_server)
      out << "neptune-sim: management API on " << management_server->url() << "\n";
    out << std::flush;
    fleet.start_all();
    if (management_server) management_server->start();
    out << "neptune-sim: ready" << std::endl;
  }

  wait_for_stop(options.duration_ms);

  if (management) management->shut_down();
  if (management_server) management_server->stop();
  // Stops every instance and waits for every handler on the shared pool (the management
  // API's too), so that none outlives its service.
  fleet.shut_down();
  out << std::flush;
  return 0;
}

}  // namespace nw::sim
