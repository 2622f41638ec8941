// [notify.NAME] sections: parsed, refused with the section or key named, printed back with
// the headers' values hidden.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nw/core/config.h"

namespace nw {
namespace {

using Lines = std::vector<std::string>;

const std::string kBase = "[endpoint.e]\nurl = https://db:8182\n[rule.r]\nmax_elapsed = 5m\n";

// The section under test comes first, so its first key is on line 2.
ConfigResult notify(const std::string& lines) {
  return parse_config("[notify.oncall]\n" + lines + "\n" + kBase, "f.ini");
}

Lines formatted(const ConfigResult& result) {
  Lines out;
  for (const auto& e : result.errors) out.push_back(e.format("f.ini"));
  return out;
}

TEST(NotifyConfig, AWebhookSectionWithItsDefaults) {
  const ConfigResult r = notify("webhook = https://hooks.example.com/services/T0/B0?x=1");
  ASSERT_EQ(formatted(r), Lines{});
  ASSERT_EQ(r.config.notifications.size(), 1u);
  const NotifyConfig& n = r.config.notifications[0];
  EXPECT_EQ(n.name, "oncall");
  EXPECT_EQ(n.on, (std::set<NotifyOn>{NotifyOn::cancelled, NotifyOn::given_up}));
  EXPECT_TRUE(n.rules.empty());
  EXPECT_EQ(n.batch_window, Millis(10'000));
  EXPECT_EQ(n.timeout, Millis(5'000));
  ASSERT_TRUE(n.webhook);
  EXPECT_TRUE(n.webhook->origin.https);
  EXPECT_EQ(n.webhook->origin.host, "hooks.example.com");
  EXPECT_EQ(n.webhook->origin.port, 443);
  EXPECT_EQ(n.webhook->target, "/services/T0/B0?x=1");
  EXPECT_EQ(n.format, NotifyFormat::json);
}

TEST(NotifyConfig, EveryKeyOfEachSink) {
  const ConfigResult r = parse_config(
      "[notify.chat]\non = cancelled, given_up, budget_exhausted, paused, quarantine\n"
      "rules = r\nbatch_window = 1m\ntimeout = 2s\nwebhook = http://127.0.0.1:9000\n"
      "format = slack\nheaders = Authorization: Bearer s3cret, X-Team: dba\n"
      "[notify.pager]\ncommand = /usr/local/bin/page-oncall\nargs = --team, dba\n"
      "command_timeout = 3s\n"
      "[notify.topic]\nsns_topic_arn = arn:aws:sns:eu-west-1:123456789012:oncall\n"
      "profile = ops\nrole_arn = arn:aws:iam::123456789012:role/notify\n"
      "sns_url = http://127.0.0.1:9001\n" +
          kBase,
      "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  const auto& n = r.config.notifications;
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[0].on.size(), 5u);
  EXPECT_EQ(n[0].rules, Lines{"r"});
  EXPECT_EQ(n[0].webhook->target, "/");
  EXPECT_EQ(n[0].headers, (std::vector<std::pair<std::string, std::string>>{
                              {"Authorization", "Bearer s3cret"}, {"X-Team", "dba"}}));
  EXPECT_EQ(n[1].command, "/usr/local/bin/page-oncall");
  EXPECT_EQ(n[1].args, (Lines{"--team", "dba"}));
  EXPECT_EQ(n[1].command_timeout, Millis(3000));
  EXPECT_EQ(n[2].sns_region(), "eu-west-1");
  EXPECT_EQ(n[2].profile, "ops");
  ASSERT_TRUE(n[2].sns_url);
  EXPECT_EQ(n[2].sns_url->port, 9001);
  // --check-config: every key, the headers' values hidden, and it parses back.
  const std::string described = describe_config(r.config);
  EXPECT_NE(described.find("[notify.chat]\non = cancelled, given_up, budget_exhausted, paused, "
                           "quarantine\nrules = r\nbatch_window = 1m\ntimeout = 2s\n"
                           "webhook = http://127.0.0.1:9000/\nformat = slack\n"
                           "headers = Authorization: <hidden>, X-Team: <hidden>\n"),
            std::string::npos)
      << described;
  EXPECT_EQ(described.find("s3cret"), std::string::npos);
  EXPECT_NE(described.find("[notify.pager]\non = cancelled, given_up\nbatch_window = 10s\n"
                           "timeout = 5s\ncommand = /usr/local/bin/page-oncall\n"
                           "args = --team, dba\ncommand_timeout = 3s\n\n"),
            std::string::npos)
      << described;
  EXPECT_TRUE(parse_config(described, "again.ini").ok());
}

// A webhook's path is often its secret (Slack's is): --check-config shows its origin only.
TEST(NotifyConfig, AWebhooksPathIsNotPrinted) {
  const auto r = parse_config(
      "[endpoint.e]\nurl = http://127.0.0.1:1\n[rule.r]\nmax_elapsed = 1m\n"
      "[notify.chat]\nwebhook = https://hooks.slack.com/services/T000/B000/XXXXSECRET\n",
      "f.ini");
  ASSERT_TRUE(r.ok());
  const std::string described = describe_config(r.config);
  EXPECT_NE(described.find("webhook = https://hooks.slack.com:443/<hidden>\n"), std::string::npos)
      << described;
  EXPECT_EQ(described.find("XXXXSECRET"), std::string::npos);
  EXPECT_EQ(r.config.notifications.at(0).webhook->target, "/services/T000/B000/XXXXSECRET");
}

TEST(NotifyConfig, BadSectionsAreRefusedWithTheirKeyNamed) {
  struct Row {
    const char* name;
    std::string lines;
    Lines expected;
  } rows[] = {
      {"no sink",
       "on = cancelled",
       {"f.ini: notify.oncall: a notification needs one sink: webhook, command or sns_topic_arn "
        "(line 1)"}},
      {"two sinks",
       "webhook = https://h.example/x\ncommand = /bin/true",
       {"f.ini: notify.oncall: one sink per section, not webhook, command: use one "
        "[notify.NAME] each (line 1)"}},
      {"three sinks",
       "webhook = https://h.example/x\ncommand = /bin/true\n"
       "sns_topic_arn = arn:aws:sns:us-east-1:123456789012:t",
       {"f.ini: notify.oncall: one sink per section, not webhook, command, sns_topic_arn: use "
        "one [notify.NAME] each (line 1)"}},
      {"not a URL",
       "webhook = hooks.example.com",
       {"f.ini: notify.oncall.webhook: bad webhook URL: must start with https:// (or http:// "
        "for a loopback host) (line 2)"}},
      {"plain http elsewhere",
       "webhook = http://hooks.example.com/x",
       {"f.ini: notify.oncall.webhook: bad webhook URL: needs https://: what is posted names "
        "queries and may carry a secret header (http:// is accepted only for a loopback host: "
        "127.0.0.0/8, ::1 or localhost) (line 2)"}},
      {"credentials in the URL",
       "webhook = https://user:pw@h.example/x",
       {"f.ini: notify.oncall.webhook: bad webhook URL: must not contain credentials (line 2)"}},
      {"a fragment",
       "webhook = https://h.example/x#y",
       {"f.ini: notify.oncall.webhook: bad webhook URL: must not have a fragment (#...) "
        "(line 2)"}},
      {"unknown event",
       "on = cancelled, exploded\ncommand = /bin/true",
       {"f.ini: notify.oncall.on: unknown event 'exploded' (expected cancelled, given_up, "
        "budget_exhausted, paused or quarantine) (line 2)"}},
      {"a rule that does not exist",
       "rules = r, nope\ncommand = /bin/true",
       {"f.ini: notify.oncall.rules: names no [rule.nope] section"}},
      {"bad ARN",
       "sns_topic_arn = arn:aws:sqs:us-east-1:123456789012:t",
       {"f.ini: notify.oncall.sns_topic_arn: bad topic ARN 'arn:aws:sqs:us-east-1:123456789012:t' "
        "(expected arn:aws:sns:REGION:ACCOUNT:TOPIC, e.g. "
        "arn:aws:sns:us-east-1:123456789012:oncall) (line 2)"}},
      {"short account",
       "sns_topic_arn = arn:aws:sns:us-east-1:1234:t",
       {"f.ini: notify.oncall.sns_topic_arn: bad account '1234' in topic ARN (12 digits) "
        "(expected arn:aws:sns:REGION:ACCOUNT:TOPIC, e.g. "
        "arn:aws:sns:us-east-1:123456789012:oncall) (line 2)"}},
      {"FIFO topic",
       "sns_topic_arn = arn:aws:sns:us-east-1:123456789012:t.fifo",
       {"f.ini: notify.oncall.sns_topic_arn: FIFO topics are not supported (use a standard "
        "topic) (line 2)"}},
      {"relative command",
       "command = page-oncall",
       {"f.ini: notify.oncall.command: expected an absolute path to a program (it is run "
        "without a shell), got 'page-oncall' (line 2)"}},
      {"a key of another sink",
       "command = /bin/true\nformat = slack",
       {"f.ini: notify.oncall.format: only used with webhook (line 3)"}},
      {"a secret header never quoted",
       "webhook = https://h.example/x\nheaders = Authorization",
       {"f.ini: notify.oncall.headers: expected 'Name: value' entries separated by commas "
        "(line 3)"}},
      {"a header the request sets",
       "webhook = https://h.example/x\nheaders = Host: x",
       {"f.ini: notify.oncall.headers: header Host is set by the request itself (line 3)"}},
      {"a batch window too short",
       "command = /bin/true\nbatch_window = 10ms",
       {"f.ini: notify.oncall.batch_window: must be at least 100ms (line 3)"}},
      {"SNS over plain http elsewhere",
       "sns_topic_arn = arn:aws:sns:us-east-1:123456789012:t\nsns_url = http://sns.example",
       {"f.ini: notify.oncall.sns_url: needs https://: the requests are signed and carry the "
        "session token (http:// is accepted only for a loopback host: 127.0.0.0/8, ::1 or "
        "localhost) (line 3)"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(formatted(notify(row.lines)), row.expected);
  }
}

}  // namespace
}  // namespace nw
