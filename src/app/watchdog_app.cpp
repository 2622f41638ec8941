#include "nw/app/watchdog_app.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "nw/app/cli.h"
#include "nw/app/endpoint_poller.h"
#include "nw/io/config_file.h"
#include "nw/io/logging.h"

namespace nw {
namespace {

// How long shutdown waits for an in-flight request before abandoning it; with the signal
// loop's tick this keeps a stop within DESIGN's 2 seconds.
constexpr auto kShutdownGrace = std::chrono::milliseconds(1700);
constexpr long kSignalTickNanos = 100'000'000;

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGQUIT, SIGHUP}) sigaddset(&set, s);
  return set;
}

// Counts finished poller threads so that the main thread can wait for them with a deadline.
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
  bool wait_all(std::size_t total, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_until(lock, deadline, [&] { return finished_ == total; });
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

}  // namespace

void block_process_signals() {
  sigset_t set = handled_signals();
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WatchdogApp::run(const std::vector<std::string>& args) {
  const CliParse cli = parse_cli(args);
  if (!cli.error.empty()) {
    std::cerr << "neptune-watchdog: " << cli.error << "\nTry 'neptune-watchdog --help'.\n";
    return kExitUsage;
  }
  const CliOptions& opts = cli.options;
  if (opts.help) {
    std::cout << help_text();
    return kExitOk;
  }
  if (opts.version) {
    std::cout << "neptune-watchdog " NW_VERSION "\n";
    return kExitOk;
  }

  ConfigResult loaded = load_config_file(opts.config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.format(opts.config_path) << "\n";
    std::cerr << "neptune-watchdog: " << loaded.errors.size() << " configuration error(s); not started\n";
    return kExitConfig;
  }
  if (opts.dry_run) loaded.config.policy.dry_run = true;
  if (opts.check_config) {
    std::cout << describe_config(loaded.config) << "\n# configuration OK: "
              << loaded.config.endpoints.size() << " endpoint(s), " << loaded.config.policy.rules.size()
              << " rule(s)\n";
    return kExitOk;
  }
  const auto config = std::make_shared<const WatchdogConfig>(std::move(loaded.config));
  const auto log = make_diagnostic_logger(config->watchdog.log_level);

  std::unique_ptr<AuditLog> audit;
  try {
    audit = std::make_unique<AuditLog>(config->watchdog.audit_log);
  } catch (const AuditOpenError& e) {
    std::cerr << config->origin << ": watchdog.audit_log: cannot open '" << config->watchdog.audit_log
              << "': " << e.what() << "\n";
    return kExitConfig;
  }

  StopToken stop;
  std::vector<std::unique_ptr<EndpointPoller>> pollers;
  try {
    for (const auto& endpoint : config->endpoints)
      pollers.push_back(std::make_unique<EndpointPoller>(endpoint, config, make_neptune_client(endpoint),
                                                         *audit, *log, stop));
  } catch (const EndpointSetupError& e) {
    std::cerr << config->origin << ": " << e.key << ": " << e.what() << "\n";
    return kExitConfig;
  }

  log->info("neptune-watchdog {} started: {} endpoint(s), {} rule(s), poll every {}, {}audit to {}",
            NW_VERSION, pollers.size(), config->policy.rules.size(),
            format_duration(config->watchdog.poll_interval),
            config->policy.dry_run ? "DRY RUN (no cancels), " : "", audit->path());

  Completion completion;
  std::vector<std::thread> threads;
  for (auto& poller : pollers) {
    threads.emplace_back([&, p = poller.get()] {
      bool ok = true;
      if (opts.once) ok = p->poll_once();
      else p->run();
      completion.finished(ok);
    });
  }

  const sigset_t signals = handled_signals();
  bool signalled = false;
  while (!completion.all_finished(threads.size())) {
    const timespec tick{0, kSignalTickNanos};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGHUP) {
      log->warn("SIGHUP: reloading is not supported by this version; restart to apply a changed "
                "configuration (the current one stays in force)");
    } else if (sig > 0) {
      log->info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGQUIT");
      signalled = true;
      break;
    }
  }
  stop.request_stop();

  if (!completion.wait_all(threads.size(), std::chrono::steady_clock::now() + kShutdownGrace)) {
    // A request is still waiting on Neptune. Record any cancel it carried, then leave without
    // waiting for it: the operator asked us to stop.
    for (const auto& p : pollers)
      if (auto record = p->in_flight_cancel()) audit->write(*record);
    log->warn("stopped with requests still in flight (abandoned after {}ms)", kShutdownGrace.count());
    log->flush();
    std::fflush(nullptr);
    std::_Exit(kExitOk);
  }
  for (auto& t : threads) t.join();
  log->info("stopped");
  if (opts.once && !signalled && !completion.all_ok()) return kExitFailure;
  return kExitOk;
}

}  // namespace nw
