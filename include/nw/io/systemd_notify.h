#pragma once
// The sd_notify(3) protocol: readiness, status, watchdog keep-alives, reload and stop. Every
// call is a no-op when the daemon does not run under systemd (no NOTIFY_SOCKET), so the same
// code runs in a terminal, in tests and as a service. Spoken without libsystemd: one datagram
// to NOTIFY_SOCKET per message (nw/io/unix_datagram.h says why).
#include <chrono>
#include <optional>
#include <string>

namespace nw {

class SystemdNotifier {
 public:
  void ready();
  void reloading();
  void stopping();
  void status(const std::string& line);  // one line; newlines are replaced
  void watchdog();

  // The watchdog interval systemd expects keep-alives within (WatchdogSec=), if it is on for
  // this process: WATCHDOG_USEC, when WATCHDOG_PID is unset or names this process.
  static std::optional<std::chrono::microseconds> watchdog_interval();
};

}  // namespace nw
