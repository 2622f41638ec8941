#include "nw/sim/sim_app.h"

#include <cerrno>
#include <chrono>
#include <ctime>
#include <memory>
#include <ostream>

#include <Poco/Exception.h>

#include "nw/sim/sim_options.h"
#include "nw/sim/sim_server.h"
#include "nw/sim/sim_service.h"

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

  SimService::CancelObserver print_cancel;
  if (!options.quiet) {
    print_cancel = [&out](const CancelRecord& record) {
      out << cancel_log_line(record) << std::endl;
    };
  }
  SimService service(options.workload, FaultPlan(options.faults, options.workload.seed),
                     steady_now_ms, print_cancel);

  std::unique_ptr<SimServer> server;
  try {
    server = std::make_unique<SimServer>(service, options.host, options.port);
  } catch (const Poco::Exception& e) {
    err << "neptune-sim: cannot listen on " << options.host << ":" << options.port << ": "
        << e.displayText() << std::endl;
    return kExitFailure;
  }
  if (!server->is_loopback()) {
    // The simulator has no authentication: off loopback only when asked for by name.
    if (!options.listen_given) {
      err << "neptune-sim: refusing to serve on non-loopback " << server->url() << std::endl;
      return kExitUsage;
    }
    err << "neptune-sim: warning: serving on non-loopback " << server->url()
        << " without authentication" << std::endl;
  }

  // The socket is already listening: a client that reads this line and connects at once
  // waits in the backlog until start(). Nothing is printed before this line.
  out << "neptune-sim: listening on " << server->url() << std::endl;
  server->start();

  wait_for_stop(options.duration_ms);

  service.shut_down();
  server->stop();
  out << std::flush;
  return 0;
}

}  // namespace nw::sim
