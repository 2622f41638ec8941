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
#include <Poco/ThreadPool.h>

#include "nw/sim/seeded_random.h"
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

  // Cancels of all instances come from their handler threads: one line at a time.
  std::mutex out_mutex;
  const bool many = options.instances > 1;
  std::vector<std::unique_ptr<SimService>> services;
  for (int i = 0; i < options.instances; ++i) {
    SimService::CancelObserver print_cancel;
    if (!options.quiet) {
      print_cancel = [&out, &out_mutex, many, i](const CancelRecord& record) {
        const std::lock_guard<std::mutex> lock(out_mutex);
        out << cancel_log_line(record, many ? std::optional<int>(i) : std::nullopt) << std::endl;
      };
    }
    WorkloadConfig workload = options.workload;
    workload.seed = instance_seed(options.workload.seed, static_cast<std::uint64_t>(i));
    services.push_back(std::make_unique<SimService>(workload, options.languages,
                                                    FaultPlan(options.faults, workload.seed),
                                                    steady_now_ms, print_cancel));
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

  // One pool for every server (declared after the services, so it goes first, and
  // before the servers, so it outlives them).
  const std::unique_ptr<Poco::ThreadPool> pool = make_shared_server_pool(options.instances);
  std::vector<std::unique_ptr<SimServer>> servers;
  for (int i = 0; i < options.instances; ++i) {
    const std::uint16_t port = options.port == 0 ? 0 : static_cast<std::uint16_t>(options.port + i);
    try {
      servers.push_back(std::make_unique<SimServer>(*services[static_cast<std::size_t>(i)],
                                                    options.host, port, *pool, tls));
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

  {
    // The sockets are already listening: a client that reads a line and connects at
    // once waits in the backlog until start(). Nothing is printed before these lines,
    // and no cancel line before "ready" (observers wait for out_mutex).
    const std::lock_guard<std::mutex> lock(out_mutex);
    for (const auto& server : servers) out << "neptune-sim: listening on " << server->url() << "\n";
    out << std::flush;
    for (const auto& server : servers) server->start();
    out << "neptune-sim: ready" << std::endl;
  }

  wait_for_stop(options.duration_ms);

  for (const auto& service : services) service->shut_down();
  stop_servers(servers);
  // Handlers run on the shared pool: wait for them so none outlives its service.
  pool->joinAll();
  out << std::flush;
  return 0;
}

}  // namespace nw::sim
