// The sd_notify protocol as systemd sees it: a unix datagram socket stands in for systemd's
// NOTIFY_SOCKET, and the exact messages the real daemon sends are checked.
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <poll.h>
#include <regex>
#include <signal.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"

namespace nw::e2e {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::ChildProcess;

class NotifySocket {
 public:
  NotifySocket()
      : path_(fs::temp_directory_path() / ("nw-notify-" + std::to_string(::getpid()) + ".sock")) {
    fs::remove(path_);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot bind " + path_.string());
  }
  ~NotifySocket() {
    ::close(fd_);
    fs::remove(path_);
  }
  std::string path() const { return path_.string(); }

  // Receives messages until one satisfies `match` (returned) or the timeout passes.
  std::optional<std::string> wait_for(const std::function<bool(const std::string&)>& match,
                                      milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      std::string message(buffer, static_cast<std::size_t>(n));
      received.push_back(message);
      if (match(message)) return message;
    }
  }
  std::optional<std::string> wait_for(const std::string& exact, milliseconds timeout) {
    return wait_for([&](const std::string& m) { return m == exact; }, timeout);
  }

  std::vector<std::string> received;

 private:
  fs::path path_;
  int fd_ = -1;
};

TEST(SystemdNotify, ReadyStatusWatchdogReloadingAndStopping) {
  Simulator sim;
  sim.inject(
      SimQuery{"77777777-7777-4777-8777-777777777777", "MATCH (n) RETURN n", "running", 1000, 0});
  Workspace ws;
  const std::string config = ws.write_config(sim.url(), "\n[rule.long]\nmax_elapsed = 30s\n");
  NotifySocket systemd;
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config},
                        {"NOTIFY_SOCKET=" + systemd.path(), "WATCHDOG_USEC=1000000"});

  ASSERT_TRUE(systemd.wait_for("READY=1", milliseconds(20000)));
  const auto status = systemd.wait_for(
      [](const std::string& m) { return m.rfind("STATUS=", 0) == 0; }, milliseconds(20000));
  ASSERT_TRUE(status);
  EXPECT_TRUE(
      std::regex_match(*status, std::regex(R"(STATUS=1/1 endpoints healthy, 1 queries seen, )"
                                           R"(0 cancels in the last minute, last error: none)")))
      << *status;
  EXPECT_TRUE(systemd.wait_for("WATCHDOG=1", milliseconds(20000)));

  watchdog.signal(SIGHUP);
  ASSERT_TRUE(systemd.wait_for("RELOADING=1", milliseconds(20000)));
  EXPECT_TRUE(systemd.wait_for("READY=1", milliseconds(20000)));

  watchdog.signal(SIGTERM);
  EXPECT_TRUE(systemd.wait_for("STOPPING=1", milliseconds(20000)));
  EXPECT_EQ(watchdog.wait_exit(milliseconds(5000)), 0);

  // READY=1 came before any other state change, and nothing but the protocol's messages.
  ASSERT_FALSE(systemd.received.empty());
  EXPECT_EQ(systemd.received.front(), "READY=1");
  for (const auto& m : systemd.received)
    EXPECT_TRUE(m == "READY=1" || m == "RELOADING=1" || m == "STOPPING=1" || m == "WATCHDOG=1" ||
                m.rfind("STATUS=", 0) == 0)
        << m;
}

TEST(SystemdNotify, StatusReportsAFailingEndpoint) {
  std::string url;
  {
    Simulator gone;
    url = gone.url();
  }
  Workspace ws;
  const std::string retry = "max_attempts = 1\ninitial_backoff = 10ms\nmax_backoff = 20ms\n";
  NotifySocket systemd;
  ChildProcess watchdog(
      NW_WATCHDOG_BIN,
      {"--config", ws.write_config(url, "\n[rule.long]\nmax_elapsed = 30s\n", "", retry)},
      {"NOTIFY_SOCKET=" + systemd.path()});
  ASSERT_TRUE(systemd.wait_for("READY=1", milliseconds(20000)));  // polled once, if unsuccessfully
  const auto status = systemd.wait_for(
      [](const std::string& m) { return m.rfind("STATUS=", 0) == 0; }, milliseconds(20000));
  ASSERT_TRUE(status);
  EXPECT_EQ(
      status->rfind("STATUS=0/1 endpoints healthy, 0 queries seen, 0 cancels in the last minute, "
                    "last error: writer: transport error",
                    0),
      0u)
      << *status;
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(5000)), 0);
}

}  // namespace
}  // namespace nw::e2e

namespace nw::e2e {
namespace {

using std::chrono::milliseconds;
using test::ChildProcess;

using e2e::http_get;

// A watchdog that cannot write its audit log (here /dev/full, whose every flush fails) polls
// but cancels nothing under on_audit_failure = pause: /healthz answers 503 with the cause, the
// metrics show the pause and the failed writes and count no unwritten record as a decision, and
// the decision held back is logged once, not at every poll.
TEST(Metrics, APausedWatchdogIsVisibleInHealthAndMetrics) {
  Simulator sim;
  sim.inject(
      SimQuery{"99999999-9999-4999-8999-999999999999", "MATCH (n) RETURN n", "running", 600000, 0});
  Workspace ws;
  std::string config = ws.write_config(sim.url(), "\n[rule.long]\nmax_elapsed = 30s\n",
                                       "metrics_listen = 127.0.0.1:0\non_audit_failure = pause\n");
  {
    std::ifstream in(config);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    const auto at = s.find("audit_log = ");
    s.replace(at, s.find('\n', at) - at, "audit_log = /dev/full");
    std::ofstream(config) << s;
  }
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  const auto line = watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("metrics on http://127.0.0.1:") != std::string::npos;
      },
      milliseconds(20000));
  ASSERT_TRUE(line);
  const auto port =
      static_cast<std::uint16_t>(std::stoi(line->substr(line->find("127.0.0.1:") + 10)));
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("cancelling is paused") != std::string::npos; },
      milliseconds(20000)));

  std::pair<int, std::string> health;
  for (int i = 0; i < 100 && (health = http_get(port, "/healthz")).first == 200; ++i)
    std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(health.first, 503);
  EXPECT_EQ(health.second.find("cancelling paused: the audit log /dev/full cannot be written ("),
            0u)
      << health.second;

  // Several more polls (every 200 ms) decide the same query again: it is held back each time,
  // but logged and counted once. Two records failed: its cancel's `sending` record, then the
  // record of the cancel held back.
  std::this_thread::sleep_for(milliseconds(1200));
  const std::string metrics = http_get(port, "/metrics").second;
  EXPECT_NE(metrics.find("\nneptune_watchdog_cancelling_paused 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nneptune_watchdog_audit_write_errors_total 2\n"), std::string::npos)
      << metrics;
  std::size_t held_back_lines = 0;
  for (const auto& l : watchdog.stderr_lines())
    held_back_lines += l.find("not sent: the audit log cannot be written") != std::string::npos;
  EXPECT_EQ(held_back_lines, 1u);
  EXPECT_EQ(metrics.find("neptune_watchdog_decisions_total{"), std::string::npos)
      << "an unwritten record counted as a decision\n"
      << metrics;
  EXPECT_TRUE(sim.cancels()->empty());
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(5000)), 0);
}

// The configuration version in force and the last reload's result, as an alert sees them: a
// refused reload keeps the version and sets last_reload_success to 0; an applied one replaces
// the version's series and sets it back to 1.
TEST(Metrics, TheConfigVersionAndTheLastReloadFollowSighup) {
  Simulator sim;
  Workspace ws;
  const std::string metrics_key = "metrics_listen = 127.0.0.1:0\n";
  const std::string config =
      ws.write_config(sim.url(), "\n[rule.long]\nmax_elapsed = 30s\n", metrics_key);
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  const auto line = watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("metrics on http://127.0.0.1:") != std::string::npos;
      },
      milliseconds(20000));
  ASSERT_TRUE(line);
  const auto port =
      static_cast<std::uint16_t>(std::stoi(line->substr(line->find("127.0.0.1:") + 10)));
  // The version in force: the only config_info series.
  const auto in_force = [&] {
    const std::string text = http_get(port, "/metrics").second;
    const std::string prefix = "\nneptune_watchdog_config_info{version=\"";
    const auto at = text.find(prefix);
    if (at == std::string::npos || text.find(prefix, at + 1) != std::string::npos)
      return std::string("?");
    return text.substr(at + prefix.size(), text.find('"', at + prefix.size()) - at - prefix.size());
  };
  const auto last_reload = [&] {
    const std::string text = http_get(port, "/metrics").second;
    const std::string key = "\nneptune_watchdog_last_reload_success ";
    const auto at = text.find(key);
    return at == std::string::npos ? std::string("?") : text.substr(at + key.size(), 1);
  };
  // The result is reported once the reload has ended, just after its log line: wait for it.
  const auto reload_reported = [&](const char* value) {
    for (int i = 0; i < 100 && last_reload() != value; ++i)
      std::this_thread::sleep_for(milliseconds(50));
    return last_reload();
  };
  const std::string first = in_force();
  EXPECT_EQ(first.size(), 12u) << first;
  EXPECT_EQ(last_reload(), "1");

  ws.write_config(sim.url(), "\n[rule.long]\nmax_elapsed = 30s\nquery_matches = (\n", metrics_key);
  watchdog.signal(SIGHUP);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("reload rejected") != std::string::npos; },
      milliseconds(20000)));
  EXPECT_EQ(reload_reported("0"), "0");
  EXPECT_EQ(in_force(), first);

  ws.write_config(sim.url(), "\n[rule.long]\nmax_elapsed = 40s\n", metrics_key);
  watchdog.signal(SIGHUP);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("configuration reloaded") != std::string::npos; },
      milliseconds(20000)));
  EXPECT_EQ(reload_reported("1"), "1");
  const std::string second = in_force();
  EXPECT_EQ(second.size(), 12u) << second;
  EXPECT_NE(second, first);
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(5000)), 0);
}

// The daemon's own /metrics and /healthz, fed by real polls and cancels.
TEST(Metrics, TheDaemonServesMetricsAndHealth) {
  auto sim = std::make_unique<Simulator>();
  sim->inject(
      SimQuery{"88888888-8888-4888-8888-888888888888", "MATCH (n) RETURN n", "running", 600000, 0});
  Workspace ws;
  const std::string config = ws.write_config(
      sim->url(), "\n[rule.long]\nmax_elapsed = 30s\n", "metrics_listen = 127.0.0.1:0\n",
      "max_attempts = 1\ninitial_backoff = 10ms\nmax_backoff = 20ms\n");
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  const auto line = watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("metrics on http://127.0.0.1:") != std::string::npos;
      },
      milliseconds(20000));
  ASSERT_TRUE(line);
  const auto port_text = line->substr(line->find("127.0.0.1:") + 10);
  const auto port = static_cast<std::uint16_t>(std::stoi(port_text));
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) { return l.find("cancelled by rule long") != std::string::npos; },
      milliseconds(20000)));

  // The per-poll gauges are set once the poll's actions are handed on, which may be after the
  // cancel they started has ended: wait for them.
  std::pair<int, std::string> metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = http_get(port, "/metrics");
    if (metrics.second.find("neptune_watchdog_rule_selected_queries{") != std::string::npos) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(metrics.first, 200);
  for (const char* sample :
       {"neptune_watchdog_decisions_total{endpoint=\"writer\",language=\"opencypher\",rule="
        "\"long\",outcome=\"cancelled\"} 1",
        "neptune_watchdog_cancels_total{endpoint=\"writer\",language=\"opencypher\",rule=\"long\"} "
        "1",
        "neptune_watchdog_build_info{version=\"",
        // What an on-call engineer alerts on, set by every poll and at start.
        "neptune_watchdog_oldest_running_query_seconds{endpoint=\"writer\",language=\"opencypher\"}"
        " ",
        "neptune_watchdog_oldest_queued_query_seconds{endpoint=\"writer\",language=\"opencypher\"} "
        "0\n",
        "neptune_watchdog_queries_given_up{endpoint=\"writer\",language=\"opencypher\"} 0\n",
        "neptune_watchdog_rule_selected_queries{endpoint=\"writer\",language=\"opencypher\",rule="
        "\"long\"} ",
        "neptune_watchdog_config_info{version=\"", "neptune_watchdog_last_reload_success 1\n"})
    EXPECT_NE(metrics.second.find(sample), std::string::npos) << sample << "\n" << metrics.second;
  EXPECT_EQ(metrics.second.find("88888888"), std::string::npos) << "a query id in the metrics";
  EXPECT_EQ(http_get(port, "/healthz").first, 200);

  sim.reset();  // Neptune goes away: after three poll intervals without success, unhealthy
  std::pair<int, std::string> health;
  for (int i = 0; i < 100 && (health = http_get(port, "/healthz")).first == 200; ++i)
    std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(health.first, 503);
  EXPECT_NE(health.second.find("endpoint writer: no successful poll for"), std::string::npos)
      << health.second;
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(5000)), 0);
}

// logrotate moves the audit file and sends SIGUSR1: later records go to a new file.
TEST(AuditLogRotation, SigusrOneReopensTheAuditFile) {
  Simulator sim;
  sim.inject(
      SimQuery{"99999999-9999-4999-8999-999999999991", "MATCH (a) RETURN a", "running", 600000, 0});
  Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), "\n[rule.long]\nmax_elapsed = 30s\n", "audit_max_size = 0\n");
  ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("99999999-9999-4999-8999-999999999991 cancelled") != std::string::npos;
      },
      milliseconds(20000)));
  fs::rename(ws.audit_path(), ws.audit_path() + ".1");
  watchdog.signal(SIGUSR1);
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("SIGUSR1: reopened the audit log") != std::string::npos;
      },
      milliseconds(20000)));
  sim.inject(
      SimQuery{"99999999-9999-4999-8999-999999999992", "MATCH (b) RETURN b", "running", 600000, 0});
  ASSERT_TRUE(watchdog.wait_for_stderr(
      [](const std::string& l) {
        return l.find("99999999-9999-4999-8999-999999999992 cancelled") != std::string::npos;
      },
      milliseconds(20000)));
  watchdog.signal(SIGTERM);
  EXPECT_EQ(watchdog.wait_exit(milliseconds(5000)), 0);
  const auto lines = [](const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  };
  const auto rotated = lines(ws.audit_path() + ".1");
  const auto fresh = lines(ws.audit_path());
  ASSERT_EQ(rotated.size(), 2u);  // `sending`, then `cancelled`
  ASSERT_EQ(fresh.size(), 2u);
  EXPECT_NE(rotated[0].find("999999999991"), std::string::npos);
  EXPECT_NE(fresh[0].find("999999999992"), std::string::npos);
}

}  // namespace
}  // namespace nw::e2e
