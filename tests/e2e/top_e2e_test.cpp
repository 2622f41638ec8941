// End to end, `neptune-watchdog top` in a real terminal: tmux runs it in an 80x24 window, keys
// are sent to it, and the screen is read back with capture-pane. Against the real neptune-sim
// over loopback, with and without a daemon.
#include <chrono>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "support/child_process.h"
#include "support/eventually.h"

namespace nw {
namespace {

using e2e::joined;
using e2e::running;
using e2e::Simulator;
using e2e::Workspace;
using std::chrono::milliseconds;
using test::ChildProcess;

// A tmux server of the test's own with one 80x24 window running `command`.
class Tmux {
 public:
  explicit Tmux(const std::string& command)
      : socket_("nw-top-" + std::to_string(::getpid()) + "-" + std::to_string(++made_)) {
    run({"new-session", "-d", "-s", "top", "-x", "80", "-y", "24", command});
  }
  ~Tmux() { kill(); }
  // Ends the server and with it the terminal: its programs get a hang-up.
  void kill() { run({"kill-server"}); }
  // Whether the window's program still runs (the session ends with it).
  bool running() {
    ChildProcess has("/usr/bin/tmux", {"-L", socket_, "has-session", "-t", "top"});
    return has.wait_exit(milliseconds(10000)) == 0;
  }
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  void send(const std::string& key) { run({"send-keys", "-t", "top", key}); }
  std::vector<std::string> screen() {
    ChildProcess capture("/usr/bin/tmux", {"-L", socket_, "capture-pane", "-p", "-t", "top"});
    capture.wait_exit(milliseconds(10000));
    return capture.stdout_lines();
  }
  // Waits until a line of the screen holds `text`; the screen as last read.
  std::vector<std::string> wait_for(const std::string& text) {
    std::vector<std::string> lines;
    for (int i = 0; i < 100; ++i) {
      lines = screen();
      for (const auto& l : lines)
        if (l.find(text) != std::string::npos) return lines;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return lines;
  }

 private:
  void run(std::vector<std::string> args) {
    args.insert(args.begin(), {"-L", socket_});
    ChildProcess tmux("/usr/bin/tmux", args);
    tmux.wait_exit(milliseconds(10000));
  }
  static inline int made_ = 0;
  std::string socket_;
};

bool holds(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

// The line of the screen that shows `id` (by its first 8 characters).
std::size_t row_of(const std::vector<std::string>& lines, const std::string& id) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find(id.substr(0, 8)) != std::string::npos) return i;
  return lines.size();
}

TEST(TopEndToEnd, ShowsEveryQuerySortedByTimeToActionAndCancelsTheOneConfirmed) {
  Simulator sim;
  const auto soon = running(1, "MATCH (a:Account) RETURN a", 50000);     // 10 s left
  const auto later = running(2, "MATCH (a:Account) RETURN a.id", 5000);  // 55 s left
  const auto free = running(3, "RETURN 1", 90000);                       // no rule
  for (const auto& q : {soon, later, free}) sim.inject(q);
  Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), "\n[rule.accounts]\nquery_matches = Account\nmax_elapsed = 1m\n");
  Tmux tmux(std::string(NW_WATCHDOG_BIN) + " top --config " + config);
  auto screen = tmux.wait_for(free.id.substr(0, 8));
  ASSERT_TRUE(holds(screen, "3 queries")) << joined(screen);
  EXPECT_TRUE(holds(screen, "writer/opencypher: 3 running, 0 queued")) << joined(screen);
  // 80x24: every line fits (none wraps onto the next), the key line is the last.
  EXPECT_EQ(screen.size(), 24u);
  for (const auto& l : screen) EXPECT_LE(l.size(), 80u) << l;
  for (const auto& q : {soon, later, free})
    EXPECT_EQ(screen.at(row_of(screen, q.id)).rfind("writer ", 0), 0u) << joined(screen);
  // By time to action: the one the rule acts on first, then the other; the ungoverned last.
  EXPECT_LT(row_of(screen, soon.id), row_of(screen, later.id));
  EXPECT_LT(row_of(screen, later.id), row_of(screen, free.id));
  EXPECT_TRUE(holds(screen, "accounts")) << joined(screen);

  // `s`: by age, the oldest first.
  tmux.send("s");
  screen = tmux.wait_for("sort: age");
  EXPECT_LT(row_of(screen, free.id), row_of(screen, soon.id)) << joined(screen);
  EXPECT_LT(row_of(screen, soon.id), row_of(screen, later.id)) << joined(screen);

  // Select `later` (the last row by age), confirm its cancel.
  tmux.send("End");
  tmux.send("c");
  screen = tmux.wait_for("? (y/n)");
  ASSERT_TRUE(holds(screen, "cancel query " + later.id)) << joined(screen);
  tmux.send("y");
  // The outcome on the last line (cut at 80 columns).
  screen = tmux.wait_for("(opencypher): cancelled (1");
  EXPECT_TRUE(holds(screen, "query " + later.id + " on writer (opencypher): cancelled (1"))
      << joined(screen);
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{later.id});
  const auto records = ws.all_audit_records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]->getValue<std::string>("outcome"), "cancelled");
  EXPECT_EQ(records[1]->getValue<std::string>("rule"), "manual");

  // `n` at the confirmation cancels nothing; `q` quits.
  tmux.send("c");
  tmux.wait_for("? (y/n)");
  tmux.send("n");
  screen = tmux.wait_for("not cancelled");
  EXPECT_EQ(sim.cancelled_ids().size(), 1u);
  tmux.send("q");
  EXPECT_TRUE(test::eventually([&] { return !tmux.running(); }, milliseconds(10000)));
}

TEST(TopEndToEnd, ReadsTheRunningDaemonsViewAndFiltersByText) {
  Simulator sim;
  const auto report = running(1, "MATCH (r:Report) RETURN r", 4000);
  const auto other = running(2, "MATCH (o:Other) RETURN o", 4000);
  sim.inject(report);
  sim.inject(other);
  Workspace ws;
  const e2e::AdminDaemon daemon(ws, sim.url(), "\n[rule.r]\nmax_elapsed = 1h\n");
  ASSERT_TRUE(daemon.ready) << joined(daemon.process.stderr_lines());
  const std::string& config = daemon.config;
  // --once, for scripts: one frame as text.
  const auto once = e2e::run_watchdog({"top", "--config", config, "--once"});
  EXPECT_EQ(once.code, 0) << once.err;
  EXPECT_NE(once.out.find("writer/opencypher"), std::string::npos) << once.out;

  Tmux tmux(std::string(NW_WATCHDOG_BIN) + " top --config " + config);
  auto screen = tmux.wait_for(other.id.substr(0, 8));
  ASSERT_TRUE(holds(screen, report.id.substr(0, 8))) << joined(screen);
  tmux.send("/");
  for (const char c : std::string("Report")) tmux.send(std::string(1, c));
  tmux.send("Enter");
  screen = tmux.wait_for("text: /Report/");
  EXPECT_TRUE(holds(screen, report.id.substr(0, 8))) << joined(screen);
  EXPECT_FALSE(holds(screen, other.id.substr(0, 8))) << joined(screen);
  EXPECT_TRUE(holds(screen, "1 queries")) << joined(screen);
  // The terminal goes away (a closed SSH session): top ends, it does not spin on a dead tty.
  const std::string pattern = "top --config " + config;
  tmux.kill();
  EXPECT_TRUE(test::eventually(
      [&] {
        ChildProcess pgrep("/usr/bin/pgrep", {"-f", pattern});
        return pgrep.wait_exit(milliseconds(10000)) == 1;  // 1: no process matched
      },
      milliseconds(10000)));
}

}  // namespace
}  // namespace nw
