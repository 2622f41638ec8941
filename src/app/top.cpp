#include "nw/app/top.h"

#include <csignal>
#include <functional>
#include <memory>
#include <ostream>
#include <sstream>

#include "nw/app/manual_cancel.h"
#include "nw/core/clock.h"
#include "nw/core/top_view.h"
#include "nw/io/admin_protocol.h"
#include "nw/io/admin_socket.h"
#include "nw/io/credential_chains.h"
#include "nw/io/exchange_reaper.h"
#include "nw/io/neptune_client.h"
#include "nw/io/terminal_screen.h"

namespace nw {

namespace {

constexpr auto kRefresh = std::chrono::seconds(1);
constexpr auto kAskTimeout = std::chrono::seconds(5);
constexpr auto kCancelTimeout = std::chrono::seconds(120);

// Where the view comes from, and how a cancel goes out.
class Source {
 public:
  virtual ~Source() = default;
  virtual std::optional<LiveFleet> fetch(std::string& error) = 0;
  // What happened, in a line for the screen.
  virtual std::string cancel(const TopRow& row) = 0;
};

class DaemonSource final : public Source {
 public:
  explicit DaemonSource(std::string path) : path_(std::move(path)) {}
  std::optional<LiveFleet> fetch(std::string& error) override {
    AdminRequest request;
    request.op = AdminOp::status;
    const auto text = admin_exchange(path_, admin_request_json(request), kAskTimeout, error);
    if (!text) return std::nullopt;
    const auto answer = parse_admin_answer(*text, error);
    if (!answer) return std::nullopt;
    if (!answer->fleet) {
      error = answer->message;
      return std::nullopt;
    }
    return answer->fleet;
  }
  std::string cancel(const TopRow& row) override {
    AdminRequest request;
    request.op = AdminOp::cancel;
    request.endpoint = row.endpoint;
    request.language = row.language;
    request.query_id = row.query.id;
    std::string error;
    const auto text = admin_exchange(path_, admin_request_json(request), kCancelTimeout, error);
    if (!text) return error;
    const auto answer = parse_admin_answer(*text, error);
    return answer ? answer->message : error;
  }

 private:
  std::string path_;
};

// No daemon: the endpoints polled here, with the daemon's client, credentials and policy.
class DirectSource final : public Source {
 public:
  explicit DirectSource(const WatchdogConfig& config) : config_(config) {
    CredentialChainOptions options;
    options.reaper = reaper_;
    chains_ = std::make_unique<CredentialChains>(options);
    for (const EndpointConfig& e : config.endpoints)
      for (Language language : e.languages)
        loops_.push_back({e.name, language,
                          make_neptune_client(e, language, chains_->for_endpoint(e), reaper_)});
  }
  std::optional<LiveFleet> fetch(std::string&) override {
    LiveFleet fleet;
    fleet.config_version = config_.version;
    for (Loop& loop : loops_) {
      LiveInstance in;
      in.endpoint = loop.endpoint;
      in.language = loop.language;
      auto polled = loop.client->list_queries();
      const auto now = clock_.wall_now();
      if (polled) {
        StatusSnapshot& snapshot = polled.value();
        snapshot.endpoint = loop.endpoint;
        in.polled_at = now;
        in.queries = live_queries(snapshot, config_.policy, now);
      } else {
        ++loop.failed;
        in.last_error = polled.failure().describe();
      }
      in.failed_polls = loop.failed;
      fleet.instances.push_back(std::move(in));
    }
    fleet.at = clock_.wall_now();
    return fleet;
  }
  std::string cancel(const TopRow& row) override {
    ManualCancel cancel;
    cancel.endpoint = row.endpoint;
    cancel.language = row.language;
    cancel.query_id = row.query.id;
    cancel.requested_by = operator_name();
    std::ostringstream out, err;
    run_manual_cancel(config_, cancel, out, err);
    std::string said = out.str() + err.str();
    while (!said.empty() && said.back() == '\n') said.pop_back();
    return said;
  }

 private:
  struct Loop {
    std::string endpoint;
    Language language;
    std::unique_ptr<NeptuneClient> client;
    std::uint64_t failed = 0;
  };
  const WatchdogConfig& config_;
  std::shared_ptr<ExchangeReaper> reaper_ = std::make_shared<ExchangeReaper>();
  std::unique_ptr<CredentialChains> chains_;
  std::vector<Loop> loops_;
  SystemClock clock_;
};

std::unique_ptr<Source> source_for(const WatchdogConfig& config) {
  std::string error;
  if (!config.watchdog.admin_socket.empty() &&
      admin_exchange(config.watchdog.admin_socket, "", std::chrono::seconds(1), error))
    return std::make_unique<DaemonSource>(config.watchdog.admin_socket);
  return std::make_unique<DirectSource>(config);
}

}  // namespace

int run_top(const WatchdogConfig& config, bool once, std::ostream& out, std::ostream& err) {
  std::unique_ptr<Source> source;
  try {
    source = source_for(config);
  } catch (const EndpointSetupError& e) {
    err << config.origin << ": " << e.key << ": " << e.what() << "\n";
    return 78;
  }
  std::string error;
  if (once || !stdout_is_terminal()) {
    const auto fleet = source->fetch(error);
    if (!fleet) {
      err << "neptune-watchdog top: " << error << "\n";
      return 69;
    }
    TopState state;
    std::size_t ignored = 0;
    std::vector<std::string> lines = render_top(*fleet, state, 200, 1000, ignored);
    lines.pop_back();  // the keys' line: there are no keys here
    for (const std::string& line : lines)
      if (!line.empty()) out << line << "\n";
    return 0;
  }
  // The daemon's signals are blocked for its signal loop (main.cpp); here a hang-up, SIGTERM
  // or SIGINT must end the program as for any terminal program (ncurses restores the terminal
  // on SIGINT and SIGTERM).
  sigset_t ending;
  sigemptyset(&ending);
  for (int signal : {SIGHUP, SIGINT, SIGTERM, SIGQUIT}) sigaddset(&ending, signal);
  pthread_sigmask(SIG_UNBLOCK, &ending, nullptr);
  TerminalScreen screen;
  TopState state;
  LiveFleet fleet;
  auto next_fetch = std::chrono::steady_clock::now();
  for (;;) {
    if (std::chrono::steady_clock::now() >= next_fetch) {
      if (auto fetched = source->fetch(error))
        fleet = std::move(*fetched);
      else
        state.message = "no view: " + error;
      next_fetch = std::chrono::steady_clock::now() + kRefresh;
    }
    std::size_t highlight = 0;
    const auto lines = render_top(fleet, state, screen.width(), screen.height(), highlight);
    screen.draw(lines, highlight);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        next_fetch - std::chrono::steady_clock::now());
    const auto key = screen.key(std::max(std::chrono::milliseconds(1), wait));
    if (!key) continue;
    const std::size_t page = screen.height() > 8 ? screen.height() - 8 : 1;
    const TopCommand command = top_key(state, fleet, *key, page);
    if (command.kind == TopCommand::Kind::quit) return 0;
    if (command.kind == TopCommand::Kind::cancel) {
      state.message = "cancelling " + command.row.query.id + " ...";
      screen.draw(render_top(fleet, state, screen.width(), screen.height(), highlight), highlight);
      state.message = source->cancel(command.row);
      next_fetch = std::chrono::steady_clock::now();
    }
  }
}

}  // namespace nw
