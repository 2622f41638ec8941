// End to end, the admin socket: `status`, `cancel` through the daemon, `pause`/`resume`, the
// sentinel file, `protect`, an unauthorised peer and bad input, with the real daemon against
// the real neptune-sim over loopback.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <pwd.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "nw/io/admin_socket.h"
#include "support/child_process.h"
#include "support/eventually.h"

namespace nw {
namespace {

using e2e::CommandRun;
using e2e::joined;
using e2e::running;
using e2e::Simulator;
using e2e::Workspace;
using std::chrono::milliseconds;
using test::ChildProcess;

using Daemon = e2e::AdminDaemon;

std::string me() {
  const passwd* pw = ::getpwuid(::getuid());
  return pw ? pw->pw_name : "uid " + std::to_string(::getuid());
}

std::vector<std::string> outcomes_of(const Workspace& ws, const std::string& query_id) {
  std::vector<std::string> out;
  for (const auto& r : ws.all_audit_records())
    if (!r->has("event") && r->getValue<std::string>("query_id") == query_id)
      out.push_back(r->getValue<std::string>("outcome"));
  return out;
}

std::vector<Poco::JSON::Object::Ptr> admin_records(const Workspace& ws) {
  std::vector<Poco::JSON::Object::Ptr> out;
  for (const auto& r : ws.all_audit_records())
    if (r->has("event") && r->getValue<std::string>("event") == "admin") out.push_back(r);
  return out;
}

// Waits until `done` holds, up to 15 s.
bool eventually(const std::function<bool()>& done) {
  return test::eventually(done, milliseconds(15000));
}

TEST(AdminSocketEndToEnd, StatusShowsEachQueryWithItsRuleAndTimeToAction) {
  Simulator sim;
  const auto slow = running(1, "MATCH (n:Account) RETURN n", 2000);
  const auto other = running(2, "MATCH (m:Other) RETURN m", 1000);
  sim.inject(slow);
  sim.inject(other);
  Workspace ws;
  Daemon daemon(ws, sim.url(), "\n[rule.accounts]\nquery_matches = Account\nmax_elapsed = 1h\n");
  ASSERT_TRUE(daemon.ready) << joined(daemon.process.stderr_lines());
  CommandRun status;
  ASSERT_TRUE(eventually([&] {
    status = daemon.run({"status"});
    return Daemon::contains(status.out, slow.id.substr(0, 8));
  })) << status.out
      << status.err;
  EXPECT_EQ(status.code, 0);
  EXPECT_TRUE(Daemon::contains(status.out, "writer (opencypher): 2 running, 0 queued"))
      << status.out;
  // The governed query: its rule, its limit and when the rule acts; the other: no rule.
  const auto row_of = [&](const std::string& id) {
    const auto at = status.out.find(id.substr(0, 8));
    return status.out.substr(at, status.out.find('\n', at) - at);
  };
  EXPECT_TRUE(Daemon::contains(row_of(slow.id), "accounts")) << row_of(slow.id);
  EXPECT_TRUE(Daemon::contains(row_of(slow.id), "1h00m")) << row_of(slow.id);
  EXPECT_TRUE(Daemon::contains(row_of(slow.id), "MATCH (n:Account) RETURN n"));
  EXPECT_TRUE(Daemon::contains(row_of(other.id), " - ")) << row_of(other.id);

  const CommandRun json = daemon.run({"status", "--json"});
  EXPECT_EQ(json.code, 0);
  const auto parsed = Poco::JSON::Parser().parse(json.out).extract<Poco::JSON::Object::Ptr>();
  const auto instances = parsed->getObject("status")->getArray("instances");
  ASSERT_EQ(instances->size(), 1u);
  EXPECT_EQ(instances->getObject(0)->getArray("queries")->size(), 2u);
  EXPECT_TRUE(sim.cancelled_ids().empty());
}

TEST(AdminSocketEndToEnd, CancelGoesThroughTheDaemonAndIsAuditedWithWhoAsked) {
  Simulator sim;
  const auto target = running(1, "MATCH (n) RETURN n", 2000);
  sim.inject(target);
  Workspace ws;
  Daemon daemon(ws, sim.url(), "\n[rule.r]\nmax_elapsed = 1h\n");
  ASSERT_TRUE(daemon.ready) << joined(daemon.process.stderr_lines());
  CommandRun run;
  ASSERT_TRUE(eventually([&] {
    run = daemon.run({"cancel", "--endpoint", "writer", target.id});
    return !Daemon::contains(run.err, "was not listed");
  })) << run.err;
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_TRUE(Daemon::contains(run.out, "cancelled")) << run.out;
  EXPECT_TRUE(Daemon::contains(run.out, "through the daemon on " + daemon.socket)) << run.out;
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{target.id});
  EXPECT_EQ(outcomes_of(ws, target.id), (std::vector<std::string>{"sending", "cancelled"}));
  for (const auto& r : ws.all_audit_records()) {
    EXPECT_EQ(r->getValue<std::string>("rule"), "manual");
    EXPECT_EQ(r->getValue<std::string>("requested_by"), me());
    EXPECT_EQ(r->getValue<std::string>("mode"), "service");
  }
}

TEST(AdminSocketEndToEnd, PauseHoldsEveryCancelAcrossPollsAndReloadsAndResumeLetsThemThrough) {
  Simulator sim;
  Workspace ws;
  Daemon daemon(ws, sim.url(), "\n[rule.r]\nmax_elapsed = 5s\n");
  ASSERT_TRUE(daemon.ready) << joined(daemon.process.stderr_lines());
  const CommandRun paused = daemon.run({"pause", "--for", "10m", "--reason", "deploy"});
  ASSERT_EQ(paused.code, 0) << paused.out << paused.err;
  EXPECT_TRUE(Daemon::contains(paused.out, "cancelling paused by " + me())) << paused.out;

  const auto offender = running(1, "MATCH (n) RETURN n", 60000);
  sim.inject(offender);
  ASSERT_TRUE(eventually([&] { return !outcomes_of(ws, offender.id).empty(); }));
  daemon.process.signal(SIGHUP);  // a reload keeps the pause
  ASSERT_TRUE(daemon.process.wait_for_stderr(
      [](const std::string& l) { return Daemon::contains(l, "configuration reloaded"); },
      milliseconds(10000)));
  std::this_thread::sleep_for(milliseconds(1500));  // several polls and crossings
  EXPECT_TRUE(sim.cancelled_ids().empty());
  // The held-back decision is recorded once, not at every poll.
  EXPECT_EQ(outcomes_of(ws, offender.id), std::vector<std::string>{"paused"});

  const CommandRun resumed = daemon.run({"resume"});
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  ASSERT_TRUE(eventually([&] { return !sim.cancelled_ids().empty(); }));
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{offender.id});
  const auto admin = admin_records(ws);
  ASSERT_EQ(admin.size(), 2u);
  EXPECT_EQ(admin[0]->getValue<std::string>("change"), "pause");
  EXPECT_EQ(admin[0]->getValue<std::string>("requested_by"), me());
  EXPECT_TRUE(Daemon::contains(admin[0]->getValue<std::string>("detail"), "deploy"));
  EXPECT_EQ(admin[1]->getValue<std::string>("change"), "resume");
  // A second resume has nothing to end.
  EXPECT_EQ(daemon.run({"resume"}).code, 1);
}

TEST(AdminSocketEndToEnd, TheSentinelFilePausesWhileItExists) {
  Simulator sim;
  Workspace ws;
  const std::string sentinel = ws.path("pause");
  std::ofstream(sentinel) << "maintenance window\n";
  Daemon daemon(ws, sim.url(), "\n[rule.r]\nmax_elapsed = 5s\n",
                "pause_sentinel = " + sentinel + "\n");
  ASSERT_TRUE(daemon.ready) << joined(daemon.process.stderr_lines());
  const auto offender = running(1, "MATCH (n) RETURN n", 60000);
  sim.inject(offender);
  ASSERT_TRUE(eventually([&] { return !outcomes_of(ws, offender.id).empty(); }));
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_TRUE(sim.cancelled_ids().empty());
  EXPECT_EQ(outcomes_of(ws, offender.id), std::vector<std::string>{"paused"});
  const CommandRun status = daemon.run({"status"});
  EXPECT_TRUE(
      Daemon::contains(status.out, "cancelling paused by sentinel file " + sentinel + " since"))
      << status.out;
  EXPECT_TRUE(Daemon::contains(status.out, "maintenance window")) << status.out;
  // The socket cannot lift the sentinel's pause; removing the file does.
  EXPECT_EQ(daemon.run({"resume"}).code, 1);
  std::filesystem::remove(sentinel);
  ASSERT_TRUE(eventually([&] { return !sim.cancelled_ids().empty(); }));
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{offender.id});
}

TEST(AdminSocketEndToEnd, AProtectedQueryIsLeftAloneWhileItsNeighbourIsCancelled) {
  Simulator sim;
  const auto kept = running(1, "MATCH (n:Report) RETURN n", 2000);
  sim.inject(kept);
  Workspace ws;
  Daemon daemon(ws, sim.url(), "\n[rule.r]\nmax_elapsed = 4s\n");
  ASSERT_TRUE(daemon.ready) << joined(daemon.process.stderr_lines());
  const CommandRun by_id = daemon.run({"protect", "--query-id", kept.id, "--for", "1h"});
  ASSERT_EQ(by_id.code, 0) << by_id.out << by_id.err;
  const CommandRun by_text = daemon.run({"protect", "--matches", "Backup", "--for", "1h"});
  ASSERT_EQ(by_text.code, 0) << by_text.out << by_text.err;
  const auto backup = running(2, "MATCH (b:Backup) RETURN b", 60000);
  const auto victim = running(3, "MATCH (v) RETURN v", 60000);
  sim.inject(backup);
  sim.inject(victim);
  ASSERT_TRUE(eventually([&] { return !sim.cancelled_ids().empty(); }));
  std::this_thread::sleep_for(milliseconds(3000));  // `kept` passes its limit meanwhile
  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{victim.id});
  const CommandRun status = daemon.run({"status"});
  EXPECT_TRUE(Daemon::contains(status.out, "2 temporary protection(s)")) << status.out;
  EXPECT_EQ(daemon.run({"protect", "--matches", "(", "--for", "1h"}).code, 1);
}

TEST(AdminSocketEndToEnd, BadInputIsAnsweredAndDisconnectedWithoutDisturbingTheDaemon) {
  Simulator sim;
  Workspace ws;
  Daemon daemon(ws, sim.url(), "\n[rule.r]\nmax_elapsed = 1h\n");
  ASSERT_TRUE(daemon.ready) << joined(daemon.process.stderr_lines());
  std::string error;
  // Garbage.
  auto answer = admin_exchange(daemon.socket, "this is not json", milliseconds(5000), error);
  ASSERT_TRUE(answer) << error;
  EXPECT_TRUE(Daemon::contains(*answer, "\"ok\":false")) << *answer;
  // An unknown operation.
  answer = admin_exchange(daemon.socket, R"({"op":"shutdown"})", milliseconds(5000), error);
  ASSERT_TRUE(answer) << error;
  EXPECT_TRUE(Daemon::contains(*answer, "unknown op")) << *answer;
  // Nothing at all: answered and closed within the request deadline.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", daemon.socket.c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    timeval limit{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    char buffer[512] = {};
    const ssize_t n = ::recv(fd, buffer, sizeof buffer - 1, 0);
    ASSERT_GT(n, 0);
    EXPECT_TRUE(Daemon::contains(buffer, "no request line within 1 s")) << buffer;
    ::close(fd);
  }
  // A 100 MB line, sent a MiB at a time: refused once it passes the cap, and the connection
  // closed, so the sender's writes fail long before the 100th MiB.
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", daemon.socket.c_str());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const std::string mib(1u << 20, 'x');
    std::size_t sent = 0;
    while (sent < (100u << 20)) {
      const ssize_t n = ::send(fd, mib.data(), mib.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    EXPECT_LT(sent, 100u << 20) << "the daemon read the whole line";
    ::close(fd);
  }
  // The daemon still answers.
  const CommandRun status = daemon.run({"status"});
  EXPECT_EQ(status.code, 0) << status.err;
}

TEST(AdminSocketEndToEnd, APeerThatIsNeitherRootNorTheDaemonsUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a child as another user";
  Simulator sim;
  Workspace ws;
  Daemon daemon(ws, sim.url(), "\n[rule.r]\nmax_elapsed = 1h\n");
  ASSERT_TRUE(daemon.ready) << joined(daemon.process.stderr_lines());
  // Let the file system pass anyone, so that the daemon's own check is what refuses.
  ::chmod(daemon.socket.c_str(), 0666);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    std::string error;
    const auto answer =
        admin_exchange(daemon.socket, R"({"op":"pause","for":"1h"})", milliseconds(5000), error);
    const std::string text = answer ? *answer : "exchange failed: " + error;
    [[maybe_unused]] const auto w = ::write(pipe_fds[1], text.data(), text.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[1024];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(pipe_fds[0]);
  int wstatus = 0;
  ::waitpid(child, &wstatus, 0);
  EXPECT_TRUE(Daemon::contains(text, "not authorised")) << text;
  // Nothing changed, nothing was audited.
  EXPECT_TRUE(admin_records(ws).empty());
  const CommandRun status = daemon.run({"status"});
  EXPECT_FALSE(Daemon::contains(status.out, "cancelling paused")) << status.out;
}

}  // namespace
}  // namespace nw
