// Notifications end to end: the real neptune-watchdog cancels queries in the real neptune-sim
// and tells a webhook receiver (an in-process HTTP server on a loopback port 0) and a command
// about it; receivers that fail or hang change nothing about the cancels.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "e2e/e2e_support.h"
#include "support/eventually.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

using e2e::run_once;
using e2e::SimQuery;
using e2e::Simulator;
using e2e::Workspace;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::ScriptedHttpServer;
using test::ScriptedResponse;

const std::string kLongReadsRule =
    "\n[rule.long-reads]\nmax_elapsed = 30s\nquery_matches = ^\\s*MATCH\naction = cancel\n";

const SimQuery kLong1{"11111111-1111-4111-8111-111111111111",
                      "MATCH (a)-[*1..9]->(b) RETURN count(b)", "running", 600000, 0};
const SimQuery kLong2{"22222222-2222-4222-8222-222222222222",
                      "MATCH (a)-[*1..8]->(b) RETURN count(b)", "running", 700000, 0};

std::string webhook_section(const std::string& name, const ScriptedHttpServer& server,
                            const std::string& extra = "") {
  return "\n[notify." + name + "]\nwebhook = http://127.0.0.1:" + std::to_string(server.port()) +
         "/hook/" + name + "\ntimeout = 1s\n" + extra;
}

Poco::JSON::Object::Ptr parsed(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(NotifyEndToEnd, TheCancelsReachTheWebhookInOneMessageAndTheCommandGetsTheJson) {
  Simulator sim;
  sim.inject(kLong1);
  sim.inject(kLong2);
  ScriptedHttpServer receiver;
  receiver.set_fallback(ScriptedResponse{200, "ok", "text/plain"});
  Workspace ws;
  const std::string out = ws.path("command.json");
  const std::string script = ws.path("page.sh");
  std::ofstream(script) << "#!/bin/sh\ncat > '" << out << "'\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const std::string config = ws.write_config(
      sim.url(), kLongReadsRule + webhook_section("chat", receiver, "format = slack\n") +
                     webhook_section("json", receiver) + "\n[notify.pager]\ncommand = " + script +
                     "\n");
  ASSERT_EQ(run_once(config), 0);
  ASSERT_EQ(sim.cancelled_ids().size(), 2u);

  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);  // one message per sink for both cancels
  for (const auto& r : requests) {
    if (r.uri == "/hook/chat") {
      EXPECT_NE(r.body.find("neptune-watchdog: 2 queries cancelled on writer by "
                            "[rule.long-reads]"),
                std::string::npos)
          << r.body;
    } else {
      EXPECT_EQ(r.uri, "/hook/json");
      const auto body = parsed(r.body);
      EXPECT_EQ(body->getValue<int>("count"), 2);
      const auto events = body->getArray("events");
      ASSERT_EQ(events->size(), 2u);
      for (unsigned i = 0; i < 2; ++i) {
        EXPECT_EQ(events->getObject(i)->getValue<std::string>("outcome"), "cancelled");
        EXPECT_EQ(events->getObject(i)->getValue<std::string>("rule"), "long-reads");
      }
    }
  }
  const auto command_body = parsed(read_file(out));
  EXPECT_EQ(command_body->getValue<std::string>("sink"), "pager");
  EXPECT_EQ(command_body->getValue<int>("count"), 2);
}

// A rule with quarantine puts the cancelled query's shape in quarantine: a section that asked
// for `quarantine` hears of it, with the fingerprint the audit record carries.
TEST(NotifyEndToEnd, AShapePutInQuarantineIsTold) {
  Simulator sim;
  sim.inject(kLong1);
  ScriptedHttpServer receiver;
  receiver.set_fallback(ScriptedResponse{200, "ok", "text/plain"});
  Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), kLongReadsRule + "quarantine = 10m\n" +
                                     webhook_section("oncall", receiver, "on = quarantine\n"));
  ASSERT_EQ(run_once(config), 0);
  ASSERT_EQ(sim.cancelled_ids().size(), 1u);
  const auto records = ws.audit_records();
  ASSERT_EQ(records.size(), 1u);
  const std::string fingerprint = records[0]->getValue<std::string>("fingerprint");

  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u) << "only the quarantine, not the cancel, was asked for";
  const auto events = parsed(requests[0].body)->getArray("events");
  ASSERT_EQ(events->size(), 1u);
  const auto event = events->getObject(0);
  EXPECT_EQ(event->getValue<std::string>("event"), "quarantine");
  EXPECT_EQ(event->getValue<std::string>("rule"), "long-reads");
  EXPECT_EQ(event->getValue<std::string>("fingerprint"), fingerprint);
  EXPECT_NE(event->getValue<std::string>("detail").find("cancelled on sight until"),
            std::string::npos);
}

TEST(NotifyEndToEnd, FailingAndHangingWebhooksDoNotStopTheCancelsNorTheirRecords) {
  Simulator sim;
  sim.inject(kLong1);
  ScriptedHttpServer failing;
  failing.set_fallback(ScriptedResponse{500, "oops", "text/plain"});
  ScriptedHttpServer hanging;
  hanging.set_fallback(ScriptedResponse{200, "late", "text/plain", seconds(60)});
  Workspace ws;
  const std::string config =
      ws.write_config(sim.url(), kLongReadsRule + webhook_section("failing", failing, "") +
                                     webhook_section("hanging", hanging, "batch_window = 100ms\n"));
  test::ChildProcess watchdog(NW_WATCHDOG_BIN, {"--config", config});
  ASSERT_TRUE(test::eventually([&] { return sim.cancelled_ids().size() == 1; }, seconds(20)));
  // A second offender while the hanging receiver holds its sink's thread.
  sim.inject(kLong2);
  ASSERT_TRUE(test::eventually([&] { return sim.cancelled_ids().size() == 2; }, seconds(20)));
  ASSERT_TRUE(test::eventually(
      [&] {
        std::size_t cancelled = 0;
        for (const auto& r : ws.audit_records())
          cancelled += r->getValue<std::string>("outcome") == "cancelled";
        return cancelled == 2;
      },
      seconds(20)));
  watchdog.signal(SIGTERM);
  const auto code = watchdog.wait_exit(seconds(20));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_GE(failing.requests().size(), 1u);
  EXPECT_GE(hanging.requests().size(), 1u);
}

}  // namespace
}  // namespace nw
