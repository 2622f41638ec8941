#include "nw/io/systemd_notify.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <unistd.h>

#include "nw/io/unix_datagram.h"

namespace nw {
namespace {

// The environment is read on each call and never unset: later calls must still reach systemd.
// A notification that cannot be delivered is dropped, as sd_notify's callers drop it: the
// service manager's own timeouts say what went missing. Nor does one wait for a manager that
// does not read (sd_notify would): the main thread that sends them also handles the signals.
void notify(const std::string& message) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return;
  send_unix_datagram(socket, message, -1, /*wait=*/false);
}

// A positive decimal number that fits, and nothing else.
std::optional<unsigned long long> positive_number(const char* text) {
  if (text == nullptr || *text < '0' || *text > '9') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || value == 0) return std::nullopt;
  return value;
}

}  // namespace

void SystemdNotifier::ready() {
  notify("READY=1");
}
void SystemdNotifier::reloading() {
  notify("RELOADING=1");
}
void SystemdNotifier::stopping() {
  notify("STOPPING=1");
}
void SystemdNotifier::watchdog() {
  notify("WATCHDOG=1");
}

void SystemdNotifier::status(const std::string& line) {
  std::string text = line;
  std::replace(text.begin(), text.end(), '\n', ' ');
  notify("STATUS=" + text);
}

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() {
  const auto usec = positive_number(std::getenv("WATCHDOG_USEC"));
  if (!usec) return std::nullopt;
  // WATCHDOG_PID names the process the keep-alives are expected from, when it is set: a child
  // that inherited the environment is not it.
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid != nullptr) {
    const auto expected = positive_number(pid);
    if (!expected || *expected != static_cast<unsigned long long>(::getpid())) return std::nullopt;
  }
  return std::chrono::microseconds(*usec);
}

}  // namespace nw
