#pragma once
// Shared by the end-to-end tests: the real neptune-sim binary on a loopback port with its
// control API, a temporary workspace holding a watchdog config and its audit log, and a
// one-shot watchdog run.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "support/child_process.h"

namespace nw::e2e {

namespace fs = std::filesystem;

// Every record of an audit file (one JSON object per line), in order.
inline std::vector<Poco::JSON::Object::Ptr> read_audit_records(const std::string& path) {
  std::vector<Poco::JSON::Object::Ptr> records;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      records.push_back(Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>());
  return records;
}
using test::ChildProcess;

inline constexpr std::chrono::milliseconds kStartTimeout{10000};

struct SimQuery {
  std::string id;
  std::string text;
  std::string state;  // running | waiting
  std::int64_t elapsed = 0;
  std::int64_t waited = 0;
  bool ignore_cancel = false;  // the simulator acknowledges cancels but keeps it running
  std::string language = {};   // empty: the simulator's default (opencypher)
};

// A query id in the UUID form Neptune gives, numbered: 00000007-0000-4000-8000-000000000007.
inline std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08d-0000-4000-8000-%012d", n, n);
  return buf;
}

// A running query to inject, with id uuid(n).
inline SimQuery running(int n, const std::string& text, std::int64_t elapsed) {
  return SimQuery{uuid(n), text, "running", elapsed, 0};
}

class Simulator {
 public:
  // With "--instances N" among the arguments, waits until all N instances listen.
  explicit Simulator(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--arrival-rate",
                                     "0",        "--seed",      "7"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    const bool several = std::find(args.begin(), args.end(), "--instances") != args.end();
    process_ = std::make_unique<test::ChildProcess>(NW_SIM_BIN, args);
    const auto line = process_->wait_for_stdout(
        [several](const std::string& l) {
          return several ? l == "neptune-sim: ready"
                         : l.find("listening on http://127.0.0.1:") != std::string::npos;
        },
        several ? kStartTimeout * 3 : kStartTimeout);
    if (!line) throw std::runtime_error("neptune-sim did not start");
    for (const auto& l : process_->stdout_lines())
      if (l.find("listening on http://127.0.0.1:") != std::string::npos)
        ports_.push_back(static_cast<std::uint16_t>(std::stoi(l.substr(l.rfind(':') + 1))));
  }

  std::size_t instances() const { return ports_.size(); }
  // With --cluster: the management API's address ("http://127.0.0.1:PORT").
  std::string management_url() const {
    for (const auto& l : process_->stdout_lines())
      if (const auto at = l.find("management API on "); at != std::string::npos)
        return l.substr(at + 18);
    return "";
  }
  // A control request to the management listener (add or remove an instance, fail over, ...).
  std::pair<int, std::string> manage(const std::string& method, const std::string& path,
                                     const std::string& body = "{}") {
    const std::string url = management_url();
    return request_to(static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1))), method,
                      path, body);
  }
  std::uint16_t port(std::size_t instance = 0) const { return ports_.at(instance); }
  std::string url(std::size_t instance = 0) const {
    return "http://127.0.0.1:" + std::to_string(port(instance));
  }

  void inject(const SimQuery& q, std::size_t instance = 0) { inject_at_port(q, port(instance)); }
  // An instance added while the simulator runs (its port from the control API's answer).
  void inject_at_port(const SimQuery& q, std::uint16_t port) {
    Poco::JSON::Object body;
    body.set("queryId", q.id);
    body.set("queryString", q.text);
    body.set("state", q.state);
    body.set("elapsed", q.elapsed);
    body.set("waited", q.waited);
    if (q.ignore_cancel) body.set("ignoreCancel", true);
    if (!q.language.empty()) body.set("language", q.language);
    std::ostringstream text;
    body.stringify(text);
    ASSERT_EQ(request_to(port, "POST", "/sim/queries", text.str()).first, 201);
  }

  // Every cancel the simulator (instance) received, in order.
  Poco::JSON::Array::Ptr cancels(std::size_t instance = 0) {
    const auto reply = request("GET", "/sim/cancels", "", instance);
    Poco::JSON::Parser parser;
    return parser.parse(reply.second).extract<Poco::JSON::Array::Ptr>();
  }

  std::vector<std::string> cancelled_ids(std::size_t instance = 0) {
    std::vector<std::string> ids;
    auto list = cancels(instance);
    for (std::size_t i = 0; i < list->size(); ++i)
      ids.push_back(list->getObject(static_cast<unsigned>(i))->getValue<std::string>("queryId"));
    return ids;
  }

 private:
  std::pair<int, std::string> request(const std::string& method, const std::string& path,
                                      const std::string& body, std::size_t instance) {
    return request_to(port(instance), method, path, body);
  }
  std::pair<int, std::string> request_to(std::uint16_t port, const std::string& method,
                                         const std::string& path, const std::string& body) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!body.empty()) {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::string text;
    Poco::StreamCopier::copyToString(session.receiveResponse(resp), text);
    return {resp.getStatus(), text};
  }

  std::unique_ptr<test::ChildProcess> process_;
  std::vector<std::uint16_t> ports_;
};

// A temporary directory with a config file and the audit log path.
class Workspace {
 public:
  Workspace() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("nw-e2e-" + std::string(info->test_suite_name()) + "-" + std::string(info->name()) +
            "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~Workspace() { std::filesystem::remove_all(dir_); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  std::string audit_path() const { return (dir_ / "audit.jsonl").string(); }
  // A path for any other file of the test.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes the config: [watchdog] with a fast poll, one [endpoint.writer] with `endpoint_keys`,
  // then `sections` (whose first lines may add keys to the endpoint).
  std::string write_config(const std::string& endpoint_url, const std::string& sections,
                           const std::string& watchdog_extra = "", const std::string& retry = "",
                           const std::string& endpoint_keys = "request_timeout = 2s\n") {
    const auto path = dir_ / "watchdog.ini";
    std::ofstream out(path);
    const bool own_interval = watchdog_extra.find("poll_interval") != std::string::npos;
    out << "[watchdog]\n"
        << (own_interval ? "" : "poll_interval = 200ms\n") << "audit_log = " << audit_path()
        << "\nlog_level = debug\n"
        << watchdog_extra << "\n[retry]\n"
        << (retry.empty() ? "max_attempts = 5\ninitial_backoff = 10ms\nmax_backoff = 50ms\n"
                          : retry)
        << "\n[endpoint.writer]\nurl = " << endpoint_url << "\n"
        << endpoint_keys << sections;
    out.close();
    // Whatever the umask: the daemon refuses a config others can write.
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                  std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    return path.string();
  }

  // Every record in the file, the write-ahead `sending` records included.
  std::vector<Poco::JSON::Object::Ptr> all_audit_records() const {
    return read_audit_records(audit_path());
  }

  // The topology records of discovered clusters, as "ENDPOINT CHANGE: DETAIL".
  std::vector<std::string> topology_records() const {
    std::vector<std::string> out;
    for (const auto& r : all_audit_records())
      if (r->has("event") && r->getValue<std::string>("event") == "topology")
        out.push_back(r->getValue<std::string>("endpoint") + " " +
                      r->getValue<std::string>("change") + ": " +
                      r->getValue<std::string>("detail"));
    return out;
  }

  // The decisions' records: all but the write-ahead `sending` ones. Checks on the way that
  // each record of a sent cancel's outcome follows the `sending` record with its record_id.
  std::vector<Poco::JSON::Object::Ptr> audit_records() const {
    std::vector<Poco::JSON::Object::Ptr> records;
    std::set<std::string> sending;
    for (const auto& r : all_audit_records()) {
      if (r->has("event")) continue;  // a topology record: topology_records()
      const std::string outcome = r->getValue<std::string>("outcome");
      const std::string id = r->has("record_id") ? r->getValue<std::string>("record_id") : "";
      if (outcome == "sending") {
        EXPECT_FALSE(id.empty()) << "a sending record without a record_id";
        EXPECT_TRUE(sending.insert(id).second) << "record_id " << id << " written ahead twice";
        continue;
      }
      if (!id.empty()) {
        EXPECT_EQ(sending.erase(id), 1u)
            << outcome << " record " << id << " without its sending record";
      }
      records.push_back(r);
    }
    return records;
  }

 private:
  std::filesystem::path dir_;
};

// Made-up keys in the AWS documentation's example form, for a daemon whose management requests
// are signed (the simulator does not check signatures), with every other credential source off.
inline const std::vector<std::string> kExampleCredentials = {
    "AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_CONFIG_FILE=/nonexistent",
    "AWS_EC2_METADATA_DISABLED=true"};

// One plain-HTTP GET on loopback (the simulator's control API, the daemon's metrics and health).
inline std::pair<int, std::string> http_get(std::uint16_t port, const std::string& path) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  return {response.getStatus(), body};
}

// A child's output lines as one text, for a failure message.
inline std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// A run of neptune-watchdog that ends by itself (a subcommand, --digest, --test-matching).
struct CommandRun {
  std::optional<int> code;  // nullopt: still running after the timeout (then killed)
  std::string out;          // the lines joined, each with its newline
  std::string err;
  std::vector<std::string> out_lines, err_lines;
};
inline CommandRun run_watchdog(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  test::ChildProcess command(NW_WATCHDOG_BIN, args);
  CommandRun run;
  run.code = command.wait_exit(timeout);
  run.out_lines = command.stdout_lines();
  run.err_lines = command.stderr_lines();
  run.out = joined(run.out_lines);
  run.err = joined(run.err_lines);
  return run;
}

// The daemon with an admin socket (`[watchdog] admin_socket`) and a config in the workspace, ready
// once it says so.
struct AdminDaemon {
  AdminDaemon(Workspace& ws, const std::string& url, const std::string& rules,
              const std::string& watchdog_extra = "")
      : socket(short_socket_path()),
        config(ws.write_config(url, rules, "admin_socket = " + socket + "\n" + watchdog_extra)),
        process(NW_WATCHDOG_BIN, {"--config", config}) {
    ready =
        process
            .wait_for_stderr([](const std::string& l) { return contains(l, "admin socket on"); },
                             std::chrono::milliseconds(20000))
            .has_value();
  }
  // The daemon removes its socket when it stops, but not when the test ends it with SIGKILL:
  // the path, outside the workspace, would stay in /tmp.
  ~AdminDaemon() { ::unlink(socket.c_str()); }
  AdminDaemon(const AdminDaemon&) = delete;
  AdminDaemon& operator=(const AdminDaemon&) = delete;
  // A Unix socket's path has at most 107 bytes; the workspace's can be longer.
  static std::string short_socket_path() {
    static int made = 0;
    return "/tmp/nw-admin-" + std::to_string(::getpid()) + "-" + std::to_string(++made) + ".sock";
  }
  static bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
  CommandRun run(std::vector<std::string> args) const {
    args.insert(args.begin() + 1, {"--config", config});
    return run_watchdog(args);
  }
  std::string socket;
  std::string config;
  test::ChildProcess process;
  bool ready = false;
};

// One poll-and-act cycle (--once); the exit code, or -1 when it did not end within a minute.
inline int run_once(const std::string& config, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"--config", config, "--once"};
  args.insert(args.end(), extra.begin(), extra.end());
  test::ChildProcess watchdog(NW_WATCHDOG_BIN, args);
  const auto code = watchdog.wait_exit(std::chrono::milliseconds(60000));
  return code.value_or(-1);
}

}  // namespace nw::e2e
