#include "nw/io/systemd_notify.h"

#include <algorithm>

#include <systemd/sd-daemon.h>

namespace nw {
namespace {

// unset_environment = 0: later calls must still reach systemd.
void notify(const std::string& message) {
  sd_notify(0, message.c_str());
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
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace nw
