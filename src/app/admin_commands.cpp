#include "nw/app/admin_commands.h"

#include <ostream>

#include "nw/core/live_view.h"
#include "nw/io/admin_socket.h"

namespace nw {

namespace {

constexpr int kDone = 0;
constexpr int kRefused = 1;
constexpr int kUnavailable = 69;  // EX_UNAVAILABLE

// An operator's cancel waits for Neptune's answer, with its retries.
constexpr std::chrono::seconds kAnswerTimeout{120};

// The daemon's answer to `request`, or an exit code with the problem printed.
std::optional<AdminAnswer> ask(const WatchdogConfig& config, const AdminRequest& request,
                               std::ostream& err, int& code) {
  const std::string& path = config.watchdog.admin_socket;
  std::string error;
  const auto text = admin_exchange(path, admin_request_json(request), kAnswerTimeout, error);
  if (!text) {
    err << "neptune-watchdog: " << error << "\n";
    code = kUnavailable;
    return std::nullopt;
  }
  auto answer = parse_admin_answer(*text, error);
  if (!answer) {
    err << "neptune-watchdog: " << error << "\n";
    code = kRefused;
  }
  return answer;
}

}  // namespace

int run_admin_command(const WatchdogConfig& config, const AdminRequest& request, bool json,
                      std::ostream& out, std::ostream& err) {
  if (config.watchdog.admin_socket.empty()) {
    err << "neptune-watchdog: " << config.origin
        << " sets no [watchdog] admin_socket: there is no running daemon to ask\n";
    return kUnavailable;
  }
  if (json && request.op == AdminOp::status) {
    std::string error;
    const auto text = admin_exchange(config.watchdog.admin_socket, admin_request_json(request),
                                     kAnswerTimeout, error);
    if (!text) {
      err << "neptune-watchdog: " << error << "\n";
      return kUnavailable;
    }
    out << *text;
    return kDone;
  }
  int code = kDone;
  const auto answer = ask(config, request, err, code);
  if (!answer) return code;
  if (!answer->ok) {
    err << "neptune-watchdog: " << answer->message << "\n";
    return kRefused;
  }
  if (answer->fleet)
    out << format_live_text(*answer->fleet);
  else
    out << answer->message << "\n";
  return kDone;
}

std::optional<int> cancel_through_daemon(const WatchdogConfig& config, const ManualCancel& cancel,
                                         std::ostream& out, std::ostream& err) {
  if (config.watchdog.admin_socket.empty()) return std::nullopt;
  std::string error;
  // Only whether a daemon listens: without one, the caller cancels on its own.
  if (!admin_exchange(config.watchdog.admin_socket, "", std::chrono::seconds(1), error))
    return std::nullopt;
  AdminRequest request;
  request.op = AdminOp::cancel;
  request.endpoint = cancel.endpoint;
  request.language = cancel.language;
  request.query_id = cancel.query_id;
  request.silent = cancel.silent;
  int code = kDone;
  const auto answer = ask(config, request, err, code);
  if (!answer) return code;
  (answer->ok ? out : err) << answer->message << " (through the daemon on "
                           << config.watchdog.admin_socket << ")\n";
  return answer->ok ? kDone : kRefused;
}

}  // namespace nw
