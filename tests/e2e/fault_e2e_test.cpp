// The fault suite: the real neptune-watchdog against the real neptune-sim misbehaving in
// one way at a time, over loopback. For every mode the daemon must stay up, cancel nothing
// on an answer (or an entry of one) it could not fully trust, show the failure in its log and
// metrics, and recover by itself once the fault is over (the query over its limit is then
// cancelled, once). Nothing here asserts a timing: deadlines are only give-up bounds, and every
// "while the fault lasts" check is made from what the simulator says it has done.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "e2e_support.h"

namespace nw {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using e2e::joined;
using e2e::SimQuery;
using e2e::Simulator;
using e2e::Workspace;
using std::chrono::milliseconds;
using test::ChildProcess;

// Give-up bounds only.
constexpr milliseconds kWait{60000};

const SimQuery kRunaway{"f0f0f0f0-0000-4000-8000-000000000001", "MATCH (n) RETURN n /* runaway */",
                        "running", 600000, 0};
const std::string kRule = "\n[rule.long]\nmax_elapsed = 30s\n";

using e2e::http_get;

// How often the simulator has applied the fault `name` (a key of /sim/stats faultsInjected).
std::int64_t faults_injected(std::uint16_t sim_port, const std::string& name) {
  const auto reply = http_get(sim_port, "/sim/stats");
  const auto stats = Poco::JSON::Parser().parse(reply.second).extract<Poco::JSON::Object::Ptr>();
  return stats->getObject("faultsInjected")->getValue<std::int64_t>(name);
}

bool poll_until(const std::function<bool()>& condition, milliseconds give_up = kWait) {
  const auto deadline = Clock::now() + give_up;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return condition();
}

// The daemon with a /metrics server on a free loopback port.
class Daemon {
 public:
  explicit Daemon(const std::string& config)
      : process_(std::make_unique<ChildProcess>(NW_WATCHDOG_BIN,
                                                std::vector<std::string>{"--config", config})) {
    const auto line = process_->wait_for_stderr(
        [](const std::string& l) {
          return l.find("metrics on http://127.0.0.1:") != std::string::npos;
        },
        kWait);
    if (!line) throw std::runtime_error("the daemon did not start its metrics server");
    metrics_port_ =
        static_cast<std::uint16_t>(std::stoi(line->substr(line->find("127.0.0.1:") + 10)));
  }

  ChildProcess& process() { return *process_; }
  bool running() { return !process_->wait_exit(milliseconds(0)); }
  std::string metrics() { return http_get(metrics_port_, "/metrics").second; }

  int stop() {
    process_->signal(SIGTERM);
    return process_->wait_exit(milliseconds(10000)).value_or(-1);
  }

  // The poll errors the metrics count for the endpoint: all codes together, or one code
  // (transport, timeout, bad_response, a Neptune error code).
  long poll_errors(const std::string& code = "") {
    return sum_of("neptune_watchdog_poll_errors_total{endpoint=\"writer\",language=\"opencypher\"" +
                  (code.empty() ? "" : ",code=\"" + code + "\"}"));
  }

  // The status entries the metrics count as skipped for the endpoint's openCypher status.
  long malformed_entries() {
    return sum_of(
        "neptune_watchdog_malformed_entries_total{endpoint=\"writer\",language=\"opencypher\"}");
  }

  // The sum of the samples whose line starts with `prefix`.
  long sum_of(const std::string& prefix) {
    long total = 0;
    std::istringstream in(metrics());
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(prefix, 0) == 0) total += std::stol(line.substr(line.rfind(' ') + 1));
    }
    return total;
  }

  // The most memory the daemon has had resident so far (VmHWM), in kB; -1 if unknown.
  long peak_rss_kb() {
    std::ifstream in("/proc/" + std::to_string(process_->pid()) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
  }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t metrics_port_ = 0;
};

struct FaultCase {
  std::vector<std::string> sim_args;  // --fault ... (and anything else)
  std::string fault_name;             // its key in /sim/stats faultsInjected
  // The status requests the fault covers (its count); the check "nothing cancelled while it
  // lasts" is made only when the simulator confirms it was still on.
  std::int64_t covers = 0;
  // The answer cannot be trusted: no cancel may come of it, and the failure must show.
  bool untrusted = true;
  std::string endpoint_keys = "request_timeout = 2s\n";
  // When set: a "poll failed" line must say `failure_says` and none may say
  // `failure_never_says` (which of several ways of refusing an answer was taken), and the
  // metrics must count a poll error under `failure_code`.
  std::string failure_says = {};
  std::string failure_never_says = {};
  std::string failure_code = {};
  // When set: the daemon's resident memory never went past this (kB). Not checked under the
  // sanitizers, whose shadow memory and quarantine are not the daemon's footprint.
  long peak_rss_below_kb = 0;
  // When set: the answer is sound but the runaway's own entry is not. Then no poll fails: the
  // entry is skipped, the log says why (this text) once while it lasts, and the metrics count
  // it.
  std::string entry_skipped_because = {};
};

// How many cancels (in the simulator) and audit records name `id`.
std::size_t cancels_of(Simulator& sim, const std::string& id) {
  std::size_t n = 0;
  for (const auto& c : sim.cancelled_ids()) n += c == id;
  return n;
}

void run_fault_case(const FaultCase& c) {
  Simulator sim(c.sim_args);
  sim.inject(kRunaway);
  Workspace ws;
  const std::string retry = "max_attempts = 3\ninitial_backoff = 10ms\nmax_backoff = 50ms\n";
  Daemon daemon(
      ws.write_config(sim.url(), kRule, "metrics_listen = 127.0.0.1:0\n", retry, c.endpoint_keys));

  // While the fault lasts: the daemon has met it at least once, and the simulator, asked
  // before and after, confirms every status request so far was faulted.
  ASSERT_TRUE(poll_until([&] { return faults_injected(sim.port(), c.fault_name) >= 1; }))
      << "the daemon never met the fault\n"
      << joined(daemon.process().stderr_lines());
  const auto cancels_during = sim.cancels();
  const std::int64_t injected_after = faults_injected(sim.port(), c.fault_name);
  if (c.untrusted) {
    if (injected_after < c.covers) {
      EXPECT_EQ(cancels_during->size(), 0u)
          << "a cancel came of an answer the daemon could not trust";
    } else {
      ADD_FAILURE() << "the fault ended before it could be checked (" << injected_after << " of "
                    << c.covers << " faulted requests); give it a larger count";
    }
  }

  // Recovery, by itself: the runaway query is cancelled.
  ASSERT_TRUE(poll_until([&] { return cancels_of(sim, kRunaway.id) >= 1; }))
      << "no cancel after the fault ended\n"
      << joined(daemon.process().stderr_lines());
  if (c.untrusted) {
    EXPECT_GE(faults_injected(sim.port(), c.fault_name), c.covers)
        << "the cancel came before the fault was over";
  }
  EXPECT_TRUE(daemon.running()) << "the daemon died";

  if (c.untrusted && c.entry_skipped_because.empty()) {
    const auto lines = daemon.process().stderr_lines();
    std::size_t failed = 0;
    for (const auto& l : lines)
      failed += l.find("endpoint writer: poll failed after") != std::string::npos;
    EXPECT_GE(failed, 1u) << joined(lines);
    EXPECT_GE(daemon.poll_errors(), 1) << daemon.metrics();
  }
  if (!c.entry_skipped_because.empty()) {
    const auto lines = daemon.process().stderr_lines();
    std::size_t failed = 0, skipped = 0;
    for (const auto& l : lines) {
      failed += l.find("endpoint writer: poll failed after") != std::string::npos;
      skipped += l.find("endpoint writer: skipped the status entry of query " + kRunaway.id + ": " +
                        c.entry_skipped_because) != std::string::npos;
    }
    EXPECT_EQ(failed, 0u) << joined(lines);
    EXPECT_EQ(skipped, 1u) << "not said exactly once while the fault lasted\n" << joined(lines);
    EXPECT_GE(daemon.malformed_entries(), c.covers) << daemon.metrics();
  }
  if (!c.failure_says.empty()) {
    const auto lines = daemon.process().stderr_lines();
    std::size_t said = 0;
    for (const auto& l : lines) {
      if (l.find("endpoint writer: poll failed after") == std::string::npos) continue;
      said += l.find(c.failure_says) != std::string::npos;
      if (!c.failure_never_says.empty()) {
        EXPECT_EQ(l.find(c.failure_never_says), std::string::npos) << l;
      }
    }
    EXPECT_GE(said, 1u) << "no poll failure says \"" << c.failure_says << "\"\n" << joined(lines);
  }
  if (!c.failure_code.empty()) {
    EXPECT_GE(daemon.poll_errors(c.failure_code), 1) << daemon.metrics();
  }
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  if (c.peak_rss_below_kb > 0) {
    const long peak = daemon.peak_rss_kb();
    ASSERT_GT(peak, 0) << "no VmHWM for the daemon";
    EXPECT_LT(peak, c.peak_rss_below_kb) << "the daemon held far more than its response limit";
  }
#endif
  // A few more polls: the query is gone, so no second cancel.
  const auto polls_seen = daemon.process().stderr_lines().size();
  poll_until([&] { return daemon.process().stderr_lines().size() >= polls_seen + 4; },
             milliseconds(10000));
  EXPECT_EQ(daemon.stop(), 0);

  EXPECT_EQ(cancels_of(sim, kRunaway.id), 1u);
  const auto cancels = sim.cancels();
  for (std::size_t i = 0; i < cancels->size(); ++i) {
    const auto record = cancels->getObject(static_cast<unsigned>(i));
    EXPECT_EQ(record->getValue<std::string>("queryId"), kRunaway.id);
    EXPECT_EQ(record->getValue<std::string>("query"), kRunaway.text);
  }
  std::size_t audited = 0;
  for (const auto& r : ws.audit_records()) {
    if (r->getValue<std::string>("query_id") != kRunaway.id) continue;
    ++audited;
    EXPECT_EQ(r->getValue<std::string>("outcome"), "cancelled");
  }
  EXPECT_EQ(audited, 1u);
}

// --- Neptune errors: storms of 429, 408 and 500 -----------------------------------------

TEST(FaultEndToEnd, TooManyRequestsStorm) {
  run_fault_case({{"--fault", "429,on=status,count=40"}, "429", 40});
}

TEST(FaultEndToEnd, ClientTimeoutStorm) {
  run_fault_case({{"--fault", "408,on=status,count=40"}, "408", 40});
}

TEST(FaultEndToEnd, ThrottlingStorm) {
  run_fault_case({{"--fault", "500,on=status,count=40"}, "500", 40});
}

// Storms of each kind, one after the other on a clock, as a soak script would stage them.
// The check while they last is against the simulator's clock: it started after t0, so
// while less than the windows' end has passed since t0, every request met a storm.
TEST(FaultEndToEnd, StormsOnATimeWindowEndBySchedule) {
  const auto t0 = Clock::now();
  Simulator sim({"--fault", "429,on=status,during=0s..3s", "--fault", "500,on=status,during=3s..6s",
                 "--fault", "408,on=status,during=6s..9s,share=0.5"});
  sim.inject(kRunaway);
  Workspace ws;
  Daemon daemon(ws.write_config(sim.url(), kRule, "metrics_listen = 127.0.0.1:0\n",
                                "max_attempts = 2\ninitial_backoff = 10ms\nmax_backoff = 50ms\n"));
  ASSERT_TRUE(poll_until([&] { return faults_injected(sim.port(), "429") >= 1; }));
  const auto during = sim.cancels();
  if (Clock::now() - t0 < std::chrono::seconds(3)) {
    EXPECT_EQ(during->size(), 0u);
  }
  ASSERT_TRUE(poll_until([&] { return cancels_of(sim, kRunaway.id) >= 1; }))
      << joined(daemon.process().stderr_lines());
  EXPECT_TRUE(daemon.running());
  EXPECT_GE(daemon.poll_errors(), 1);
  EXPECT_EQ(daemon.stop(), 0);
  EXPECT_EQ(cancels_of(sim, kRunaway.id), 1u);
}

// --- Slow answers: past the request timeout, they are failures --------------------------

TEST(FaultEndToEnd, SlowHeadersPastTheRequestTimeout) {
  run_fault_case({{"--fault", "slow-headers=4s,on=status,count=6"},
                  "slow-headers",
                  6,
                  true,
                  "request_timeout = 1s\n"});
}

TEST(FaultEndToEnd, TrickledBodyPastTheRequestTimeout) {
  run_fault_case(
      {{"--fault", "trickle=4s,on=status,count=6"}, "trickle", 6, true, "request_timeout = 1s\n"});
}

// A chunk-size line dripped one byte at a time: every byte would restart a per-read
// timeout, but request_timeout holds the whole exchange, so each poll fails as a timeout.
TEST(FaultEndToEnd, DrippedChunkSizeLinePastTheRequestTimeout) {
  FaultCase c{{"--fault", "drip-chunk=4s,on=status,count=6"},
              "drip-chunk",
              6,
              true,
              "request_timeout = 1s\n"};
  c.failure_says = "no answer within request_timeout";
  c.failure_code = "timeout";
  run_fault_case(c);
}

// --- Broken answers -------------------------------------------------------------------

TEST(FaultEndToEnd, ConnectionResetMidBody) {
  run_fault_case({{"--fault", "reset,on=status,count=30"}, "reset", 30});
}

TEST(FaultEndToEnd, TruncatedBody) {
  run_fault_case({{"--fault", "truncated,on=status,count=30"}, "truncated", 30});
}

TEST(FaultEndToEnd, HtmlPageLabelledJson) {
  run_fault_case({{"--fault", "not-json,on=status,count=30"}, "not-json", 30});
}

// The peak resident memory the daemon may reach while 100 MB answers are refused at a 1M
// limit: its own few MB plus the limit's worth, far below one such body.
constexpr long kHugePeakRssKb = 48 * 1024;

// A body far over [endpoint] max_response_bytes is refused, not read into memory: its
// Content-Length says so before a byte of it is read.
TEST(FaultEndToEnd, HugeBodyOverTheResponseLimit) {
  FaultCase c{{"--fault", "huge=100MB,on=status,count=12"},
              "huge",
              12,
              true,
              "request_timeout = 5s\nmax_response_bytes = 1M\n"};
  c.failure_says = "bytes exceeds the limit of";
  c.failure_code = "bad_response";
  c.peak_rss_below_kb = kHugePeakRssKb;
  run_fault_case(c);
}

// The same body chunked, with no Content-Length: the daemon counts while it reads and gives
// up once past the limit. The message proves it was the counting that refused it (the
// Content-Length check says "response of N bytes exceeds the limit of M").
TEST(FaultEndToEnd, HugeChunkedBodyOverTheResponseLimit) {
  FaultCase c{{"--fault", "huge-chunked=100MB,on=status,count=12"},
              "huge-chunked",
              12,
              true,
              "request_timeout = 5s\nmax_response_bytes = 1M\n"};
  c.failure_says = "response exceeds the limit of";
  c.failure_never_says = "bytes exceeds the limit of";
  c.failure_code = "bad_response";
  c.peak_rss_below_kb = kHugePeakRssKb;
  run_fault_case(c);
}

// A JSON body labelled text/html: a page from something between the daemon and Neptune (a
// proxy, a load balancer) is not Neptune's answer, however JSON-like, so nothing comes of it.
TEST(FaultEndToEnd, JsonLabelledHtml) {
  run_fault_case({{"--fault", "wrong-type,on=status,count=30"}, "wrong-type", 30});
}

// After each of the first status answers, a cancel's success arrives in the same write,
// unasked. The first real cancel meets a 429 (and cancels nothing), so a daemon that sent it
// on that connection and took the waiting bytes for its answer would audit a cancel the
// simulator never made. Every "cancelled" in the audit is one the simulator made.
TEST(FaultEndToEnd, ExtraResponseIsNeverTakenForTheCancelAnswer) {
  Simulator sim(
      {"--fault", "extra-response,on=status,count=6", "--fault", "429,on=cancel,count=1"});
  sim.inject(kRunaway);
  Workspace ws;
  Daemon daemon(ws.write_config(sim.url(), kRule, "metrics_listen = 127.0.0.1:0\n",
                                "max_attempts = 3\ninitial_backoff = 10ms\nmax_backoff = 50ms\n"));

  ASSERT_TRUE(poll_until([&] { return faults_injected(sim.port(), "extra-response") >= 1; }))
      << "the daemon never met the fault\n"
      << joined(daemon.process().stderr_lines());
  ASSERT_TRUE(poll_until([&] { return cancels_of(sim, kRunaway.id) >= 1; }))
      << "no cancel\n"
      << joined(daemon.process().stderr_lines());
  EXPECT_EQ(faults_injected(sim.port(), "429"), 1) << "the first cancel met its 429";
  EXPECT_TRUE(daemon.running()) << "the daemon died";

  // A few more polls: the query is gone, so no second cancel.
  const auto polls_seen = daemon.process().stderr_lines().size();
  poll_until([&] { return daemon.process().stderr_lines().size() >= polls_seen + 4; },
             milliseconds(10000));
  EXPECT_EQ(daemon.stop(), 0);

  // One record, "cancelled", for the one cancel the simulator made: a cancel audited on the
  // word of the extra answer would also leave a cancel_ineffective behind (the query outlived
  // it) and a second cancel.
  EXPECT_EQ(cancels_of(sim, kRunaway.id), 1u);
  std::size_t audited = 0, cancelled = 0;
  for (const auto& r : ws.audit_records()) {
    if (r->getValue<std::string>("query_id") != kRunaway.id) continue;
    ++audited;
    cancelled += r->getValue<std::string>("outcome") == "cancelled";
  }
  EXPECT_EQ(cancelled, cancels_of(sim, kRunaway.id))
      << "an audited cancel the simulator did not make\n"
      << joined(daemon.process().stderr_lines());
  EXPECT_EQ(audited, 1u) << joined(daemon.process().stderr_lines());
}

// --- Strange lists --------------------------------------------------------------------

// The runaway query listed twice under one queryId: whatever the daemon makes of the list,
// it cancels that query once, not once per entry.
TEST(FaultEndToEnd, DuplicateQueryIds) {
  run_fault_case({{"--fault", "duplicate-ids,on=status,count=30"}, "duplicate-ids", 30, false});
}

// Clocks past 64 bits or negative: the entries that carry them cannot be trusted, so nothing
// is cancelled on their word (an overflowing elapsed must not read as "very long"). They are
// skipped, not the whole answer: no poll fails, and the runaway's entry is named once.
TEST(FaultEndToEnd, NegativeAndOverflowingClocks) {
  FaultCase c{{"--fault", "bad-numbers,on=status,count=30"}, "bad-numbers", 30};
  c.entry_skipped_because = "a number is out of range";
  run_fault_case(c);
}

// As neptune-sim's malformed-entries fault lists them, with why each is skipped.
const std::pair<std::string, std::string> kMalformedEntries[] = {
    {"badc0de0-0000-4000-8000-000000000001", "queryEvalStats: 'elapsed' is negative"},
    {"badc0de0-0000-4000-8000-000000000002", "a string escapes a lone UTF-16 surrogate"},
    {"badc0de0-0000-4000-8000-000000000003", "a string is not valid UTF-8"},
};

// Entries the daemon cannot read (a negative elapsed; a lone surrogate, and bytes that are not
// UTF-8, in the text of entries an hour old) listed at every poll next to a query over its
// limit: no poll fails, the runaway is cancelled, none of the malformed entries is, each is
// named once however many polls list it, and the metrics count them at every poll.
TEST(FaultEndToEnd, MalformedEntriesAreSkippedAndTheRunawayNextToThemCancelled) {
  Simulator sim({"--fault", "malformed-entries,on=status"});
  sim.inject(kRunaway);
  Workspace ws;
  Daemon daemon(ws.write_config(sim.url(), kRule, "metrics_listen = 127.0.0.1:0\n"));
  ASSERT_TRUE(poll_until([&] { return cancels_of(sim, kRunaway.id) >= 1; }))
      << "the runaway was not cancelled\n"
      << joined(daemon.process().stderr_lines());
  // Several more polls that list the malformed entries, as the simulator counts them.
  const std::int64_t listed = faults_injected(sim.port(), "malformed-entries") + 5;
  ASSERT_TRUE(
      poll_until([&] { return faults_injected(sim.port(), "malformed-entries") >= listed; }));
  // Each poll is done with before the next is sent: all but the last were counted.
  EXPECT_GE(daemon.malformed_entries(), 3 * (listed - 1)) << daemon.metrics();
  EXPECT_EQ(daemon.malformed_entries() % 3, 0) << daemon.metrics();
  EXPECT_EQ(daemon.poll_errors(), 0) << daemon.metrics();
  EXPECT_TRUE(daemon.running());
  EXPECT_EQ(daemon.stop(), 0);

  EXPECT_EQ(sim.cancelled_ids(), std::vector<std::string>{kRunaway.id});
  const auto lines = daemon.process().stderr_lines();
  for (const auto& [id, why] : kMalformedEntries) {
    SCOPED_TRACE(id);
    std::size_t named = 0;
    for (const auto& l : lines)
      named +=
          l.find("endpoint writer: skipped the status entry of query " + id) != std::string::npos;
    EXPECT_EQ(named, 1u) << joined(lines);
    std::size_t with_why = 0;
    for (const auto& l : lines)
      with_why += l.find("query " + id + ": " + why + "; the other entries are acted on") !=
                  std::string::npos;
    EXPECT_EQ(with_why, 1u) << joined(lines);
  }
  for (const auto& l : lines) EXPECT_EQ(l.find("poll failed"), std::string::npos) << l;
  std::size_t audited = 0;
  for (const auto& r : ws.audit_records()) {
    EXPECT_EQ(r->getValue<std::string>("query_id"), kRunaway.id);
    EXPECT_EQ(r->getValue<std::string>("outcome"), "cancelled");
    ++audited;
  }
  EXPECT_EQ(audited, 1u);
}

// --- TLS: the certificate served is the fault -------------------------------------------

// A private CA and leaf certificates made for this run with the openssl tool.
class Certificates {
 public:
  Certificates()
      : dir_(fs::temp_directory_path() / ("nw-fault-tls-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=nw-fault-test-ca -keyout " +
        path("ca.key") + " -out " + path("ca.crt"));
    leaf("good", "127.0.0.1", "IP:127.0.0.1,DNS:localhost", 2);
    leaf("wrong-host", "wrong.test", "DNS:wrong.test", 2);
    leaf("expired", "127.0.0.1", "IP:127.0.0.1,DNS:localhost", -1);
  }
  ~Certificates() { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  void leaf(const std::string& name, const std::string& cn, const std::string& san, int days) {
    std::ofstream(path(name + ".ext")) << "subjectAltName=" << san << "\n";
    run("openssl req -newkey rsa:2048 -nodes -subj /CN=" + cn + " -keyout " + path(name + ".key") +
        " -out " + path(name + ".csr"));
    // -days -1: valid until yesterday, i.e. expired.
    run("openssl x509 -req -in " + path(name + ".csr") + " -CA " + path("ca.crt") + " -CAkey " +
        path("ca.key") + " -CAcreateserial -days " + std::to_string(days) + " -extfile " +
        path(name + ".ext") + " -out " + path(name + ".crt"));
  }
  static void run(const std::string& cmd) {
    if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0)
      throw std::runtime_error("failed: " + cmd);
  }

  fs::path dir_;
};

// neptune-sim over HTTPS. Its control API is HTTPS too; the test's own client to it does
// not verify (it talks to the child it just started, whose certificate is the fault).
class TlsSimulator {
 public:
  TlsSimulator(const Certificates& certs, const std::string& name, std::uint16_t port) {
    process_ = std::make_unique<ChildProcess>(
        NW_SIM_BIN,
        std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port), "--arrival-rate",
                                 "0", "--tls-cert", certs.path(name + ".crt"), "--tls-key",
                                 certs.path(name + ".key")});
    const auto line = process_->wait_for_stdout(
        [](const std::string& l) {
          return l.find("listening on https://127.0.0.1:") != std::string::npos;
        },
        kWait);
    if (!line)
      throw std::runtime_error("neptune-sim did not start over HTTPS: " +
                               joined(process_->stderr_lines()));
    port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

  void inject(const SimQuery& q) {
    Poco::JSON::Object body;
    body.set("queryId", q.id);
    body.set("queryString", q.text);
    body.set("elapsed", q.elapsed);
    std::ostringstream text;
    body.stringify(text);
    ASSERT_EQ(request("POST", "/sim/queries", text.str()).first, 201);
  }

  // Cancel lines the simulator printed: what it received, whatever the TLS outcome.
  std::size_t cancel_lines() const {
    std::size_t n = 0;
    for (const auto& l : process_->stdout_lines()) n += l.rfind("cancel query_id=", 0) == 0;
    return n;
  }

  void stop() {
    process_->signal(SIGTERM);
    process_->wait_exit(milliseconds(10000));
  }

 private:
  std::pair<int, std::string> request(const std::string& method, const std::string& path,
                                      const std::string& body) {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    Poco::Net::HTTPSClientSession session("127.0.0.1", port_, context);
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::string text;
    Poco::StreamCopier::copyToString(session.receiveResponse(resp), text);
    return {resp.getStatus(), text};
  }

  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
};

// The daemon meets a certificate it must refuse, says so, cancels nothing; the endpoint is
// then served with a good certificate on the same port, and the daemon carries on by itself.
void run_tls_case(const std::string& bad_certificate) {
  const Certificates certs;
  auto bad = std::make_unique<TlsSimulator>(certs, bad_certificate, 0);
  const std::uint16_t port = bad->port();
  bad->inject(kRunaway);
  Workspace ws;
  Daemon daemon(ws.write_config(bad->url(), kRule, "metrics_listen = 127.0.0.1:0\n",
                                "max_attempts = 2\ninitial_backoff = 10ms\nmax_backoff = 50ms\n",
                                "request_timeout = 2s\nca_file = " + certs.path("ca.crt") + "\n"));
  const auto refused = daemon.process().wait_for_stderr(
      [](const std::string& l) {
        return l.find("endpoint writer: poll failed after") != std::string::npos &&
               l.find("TLS") != std::string::npos;
      },
      kWait);
  ASSERT_TRUE(refused) << joined(daemon.process().stderr_lines());
  EXPECT_GE(daemon.poll_errors(), 1);
  bad->stop();
  EXPECT_EQ(bad->cancel_lines(), 0u);
  bad.reset();

  TlsSimulator good(certs, "good", port);
  good.inject(kRunaway);
  ASSERT_TRUE(poll_until([&] { return good.cancel_lines() >= 1; }))
      << "no cancel once the certificate was right\n"
      << joined(daemon.process().stderr_lines());
  EXPECT_TRUE(daemon.running());
  EXPECT_EQ(daemon.stop(), 0);
}

TEST(FaultEndToEnd, CertificateForAnotherHost) {
  run_tls_case("wrong-host");
}

TEST(FaultEndToEnd, ExpiredCertificate) {
  run_tls_case("expired");
}

}  // namespace
}  // namespace nw
