// The notification sinks against real peers on loopback: a webhook receiver (an in-process
// HTTP server on port 0), SNS's Query API (the same server, its signature checked like the IAM
// tests check Neptune's), and a command (a shell script in a temporary folder).
#include "nw/io/notification_sinks.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "nw/io/credentials.h"
#include "support/aws_fixtures.h"
#include "support/scripted_http_server.h"

namespace nw {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using test::ScriptedHttpServer;
using test::ScriptedResponse;

const auto kTime = std::chrono::system_clock::time_point(seconds(1'780'000'000));

NotificationBatch two_cancels() {
  NotificationBatch batch;
  batch.sink = "chat";
  for (const char* id : {"q-1", "q-2"}) {
    AuditRecord r;
    r.time = kTime;
    r.endpoint = "writer";
    r.query_id = id;
    r.rule = "long-reads";
    r.outcome = AuditOutcome::cancelled;
    r.query = "MATCH (a)-[*1..9]->(b) RETURN count(b)";
    batch.events.push_back(*notification_of(r));
  }
  return batch;
}

NotifyConfig webhook_to(const ScriptedHttpServer& server, const std::string& target = "/hook") {
  NotifyConfig n;
  n.name = "chat";
  std::string why;
  n.webhook = parse_webhook_url("http://127.0.0.1:" + std::to_string(server.port()) + target, why);
  EXPECT_TRUE(n.webhook) << why;
  return n;
}

steady_clock::time_point in(milliseconds ms) {
  return steady_clock::now() + ms;
}

TEST(WebhookSink, PostsTheBatchAsJsonWithItsHeaders) {
  ScriptedHttpServer server;
  server.set_fallback(ScriptedResponse{204, "", "text/plain"});
  NotifyConfig n = webhook_to(server, "/services/T0/B0?token=x");
  n.headers = {{"Authorization", "Bearer s3cret"}, {"X-Team", "dba"}};
  auto sink = make_notification_sink(n, nullptr, nullptr);
  EXPECT_EQ(sink->where(), "webhook http://127.0.0.1:" + std::to_string(server.port()));
  const auto batch = two_cancels();
  EXPECT_EQ(sink->send(batch, in(seconds(5))), std::nullopt);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].uri, "/services/T0/B0?token=x");
  EXPECT_EQ(requests[0].content_type, "application/json");
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer s3cret");
  EXPECT_EQ(requests[0].header("X-Team"), "dba");
  EXPECT_EQ(requests[0].body, batch_json(batch));
}

TEST(WebhookSink, SlackFormatPostsTheReadableText) {
  ScriptedHttpServer server;
  server.set_fallback(ScriptedResponse{200, "ok", "text/plain"});
  NotifyConfig n = webhook_to(server);
  n.format = NotifyFormat::slack;
  auto sink = make_notification_sink(n, nullptr, nullptr);
  EXPECT_EQ(sink->send(two_cancels(), in(seconds(5))), std::nullopt);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, slack_payload(two_cancels()));
  EXPECT_EQ(requests[0].body.rfind("{\"text\":\"neptune-watchdog: 2 queries cancelled on writer by "
                                   "[rule.long-reads]\\n• query q-1 cancelled",
                                   0),
            0u)
      << requests[0].body;
}

TEST(WebhookSink, ServerErrorsAndRedirectsAreWorthRetryingRefusalsAreNot) {
  ScriptedHttpServer server;
  server.enqueue(ScriptedResponse{500, "oops", "text/plain"});
  server.enqueue(ScriptedResponse{429, "slow down", "text/plain"});
  server.enqueue(ScriptedResponse{302, "", "text/plain"});
  server.enqueue(ScriptedResponse{404, "no such hook", "text/plain"});
  auto sink = make_notification_sink(webhook_to(server), nullptr, nullptr);
  struct Row {
    int status;
    bool retry;
  } rows[] = {{500, true}, {429, true}, {302, true}, {404, false}};
  for (const auto& row : rows) {
    SCOPED_TRACE(row.status);
    const auto failure = sink->send(two_cancels(), in(seconds(5)));
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->http_status, row.status);
    EXPECT_EQ(worth_retrying(*failure), row.retry);
    // The path (which can be the webhook's secret) is never in a message.
    EXPECT_EQ(failure->message.find("/hook"), std::string::npos) << failure->message;
  }
  // The redirect was not followed: one request per send.
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(WebhookSink, AHangingReceiverIsCutAtTheDeadline) {
  ScriptedHttpServer server;
  server.set_fallback(ScriptedResponse{200, "late", "text/plain", seconds(30)});
  auto sink = make_notification_sink(webhook_to(server), nullptr, nullptr);
  const auto start = steady_clock::now();
  const auto failure = sink->send(two_cancels(), in(milliseconds(300)));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->kind, FailureKind::timeout);
  EXPECT_TRUE(worth_retrying(*failure));
  EXPECT_LT(steady_clock::now() - start, seconds(10));  // only a guard against a hang
}

using test::example_chain;

NotifyConfig topic_at(const ScriptedHttpServer& server) {
  NotifyConfig n;
  n.name = "topic";
  n.sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:oncall";
  std::string why;
  n.sns_url = parse_endpoint_url("http://127.0.0.1:" + std::to_string(server.port()), why);
  return n;
}

const char* const kPublishAnswer =
    R"(<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>
  <ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>
</PublishResponse>)";

TEST(SnsSink, PublishIsASignedFormForTheTopicsRegion) {
  ScriptedHttpServer server;
  server.enqueue(ScriptedResponse{200, kPublishAnswer, "text/xml"});
  auto sink = make_notification_sink(topic_at(server), example_chain(), nullptr);
  const auto batch = two_cancels();
  EXPECT_EQ(sink->send(batch, in(seconds(5))), std::nullopt);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].uri, "/");
  EXPECT_EQ(requests[0].content_type, "application/x-www-form-urlencoded; charset=utf-8");
  const auto form = test::decode_form(requests[0].body);
  EXPECT_EQ(form.at("Action"), "Publish");
  EXPECT_EQ(form.at("Version"), "2010-03-31");
  EXPECT_EQ(form.at("TopicArn"), "arn:aws:sns:eu-west-1:123456789012:oncall");
  EXPECT_EQ(form.at("Subject"), sns_subject(batch));
  EXPECT_EQ(form.at("Message"), batch_json(batch));
  const std::string auth = requests[0].header("Authorization");
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u);
  EXPECT_NE(auth.find("/eu-west-1/sns/aws4_request"), std::string::npos);
  EXPECT_NE(auth.find("SignedHeaders="), std::string::npos);
  EXPECT_FALSE(requests[0].header("X-Amz-Date").empty());
}

TEST(SnsSink, ErrorAnswersKeepTheirCodeAndThrottlingIsRetried) {
  ScriptedHttpServer server;
  const auto error = [](const std::string& code, const std::string& message) {
    return "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>"
           "<Type>Sender</Type><Code>" +
           code + "</Code><Message>" + message +
           "</Message></Error><RequestId>x</RequestId></ErrorResponse>";
  };
  server.enqueue(ScriptedResponse{400, error("Throttling", "Rate exceeded"), "text/xml"});
  server.enqueue(
      ScriptedResponse{403, error("AuthorizationError", "not authorized to publish"), "text/xml"});
  auto sink = make_notification_sink(topic_at(server), example_chain(), nullptr);
  const auto throttled = sink->send(two_cancels(), in(seconds(5)));
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->code, "Throttling");
  EXPECT_TRUE(worth_retrying(*throttled));
  const auto refused = sink->send(two_cancels(), in(seconds(5)));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, "AuthorizationError");
  EXPECT_FALSE(worth_retrying(*refused));
}

TEST(SnsSink, TheDefaultEndpointIsTheTopicsRegion) {
  NotifyConfig n;
  n.sns_topic_arn = "arn:aws:sns:ap-southeast-2:123456789012:oncall";
  EXPECT_EQ(sns_endpoint(n).to_string(), "https://sns.ap-southeast-2.amazonaws.com:443");
  n.sns_topic_arn = "arn:aws-cn:sns:cn-north-1:123456789012:oncall";
  EXPECT_EQ(sns_endpoint(n).to_string(), "https://sns.cn-north-1.amazonaws.com.cn:443");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CommandSink, TheProgramGetsTheJsonOnStdinAndTheMainFieldsInItsEnvironment) {
  test::TempDir dir("nw-notify");
  const std::string out = dir.path("out");
  const std::string script =
      dir.write("page.sh",
                "#!/bin/sh\ncat > '" + out + ".json'\nenv | grep '^NW_' | sort > '" + out +
                    ".env'\necho \"$@\" > '" + out + ".args'\n",
                true);
  NotifyConfig n;
  n.name = "pager";
  n.command = script;
  n.args = {"--team", "dba"};
  auto sink = make_notification_sink(n, nullptr, nullptr);
  const auto batch = two_cancels();
  EXPECT_EQ(sink->send(batch, in(seconds(10))), std::nullopt);
  EXPECT_EQ(read_file(out + ".json"), batch_json(batch));
  const std::string env = read_file(out + ".env");
  for (const char* line :
       {"NW_COUNT=2\n", "NW_ENDPOINT=writer\n", "NW_EVENT=cancelled\n", "NW_OUTCOME=cancelled\n",
        "NW_QUERY_ID=q-1\n", "NW_RULE=long-reads\n", "NW_SINK=chat\n"})
    EXPECT_NE(env.find(line), std::string::npos) << line << " in\n" << env;
  EXPECT_EQ(read_file(out + ".args"), "--team dba\n");
}

TEST(CommandSink, AFailingCommandFailsAndAHangingOneIsKilledAtItsLimit) {
  test::TempDir dir("nw-notify");
  NotifyConfig n;
  n.name = "pager";
  n.command = dir.write("fail.sh", "#!/bin/sh\nexit 3\n", true);
  const auto failed =
      make_notification_sink(n, nullptr, nullptr)->send(two_cancels(), in(seconds(10)));
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->message.find("exited with status 3"), std::string::npos) << failed->message;
  EXPECT_FALSE(worth_retrying(*failed));

  // It does not read its input (more than a pipe holds) and sleeps: killed at the limit.
  const std::string pid_file = dir.path("pid");
  n.command = dir.write("hang.sh", "#!/bin/sh\necho $$ > '" + pid_file + "'\nsleep 30\n", true);
  n.command_timeout = milliseconds(300);
  NotificationBatch big = two_cancels();
  for (int i = 0; i < 2000; ++i) big.events.push_back(big.events.front());
  const auto start = steady_clock::now();
  const auto hung = make_notification_sink(n, nullptr, nullptr)->send(big, in(seconds(10)));
  ASSERT_TRUE(hung);
  EXPECT_FALSE(worth_retrying(*hung));  // it may have paged someone before it hung
  EXPECT_NE(hung->message.find("did not finish within command_timeout; killed"), std::string::npos);
  EXPECT_LT(steady_clock::now() - start, seconds(10));  // only a guard against a hang
  const std::string pid = read_file(pid_file);
  ASSERT_FALSE(pid.empty());
  EXPECT_FALSE(std::filesystem::exists("/proc/" + pid.substr(0, pid.find('\n'))));
}

TEST(CommandSink, AMissingProgramIsAFailureNotACrash) {
  NotifyConfig n;
  n.name = "pager";
  n.command = "/nonexistent/page-oncall";
  const auto failure =
      make_notification_sink(n, nullptr, nullptr)->send(two_cancels(), in(seconds(5)));
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->message.find("cannot run /nonexistent/page-oncall"), std::string::npos)
      << failure->message;
}

}  // namespace
}  // namespace nw
