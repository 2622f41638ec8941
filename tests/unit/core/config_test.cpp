#include "nw/core/config.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace nw {
namespace {

using Lines = std::vector<std::string>;

const std::string kEndpoint = "[endpoint.e]\nurl = https://db:8182\n";
const std::string kRule = "[rule.r]\nmax_elapsed = 5m\n";

// The section under test comes first, so its key is on line 2.
std::string watchdog(const std::string& line) {
  return "[watchdog]\n" + line + "\n" + kEndpoint + kRule;
}
std::string retry(const std::string& line) {
  return "[retry]\n" + line + "\n" + kEndpoint + kRule;
}
std::string endpoint(const std::string& line, const std::string& url = "url = https://db:8182") {
  return "[endpoint.x]\n" + line + "\n" + url + "\n" + kRule;
}
std::string rule(const std::string& line, const std::string& limit = "max_elapsed = 5m") {
  return "[rule.x]\n" + line + "\n" + limit + "\n" + kEndpoint;
}

Lines formatted(const ConfigResult& result) {
  Lines out;
  for (const auto& e : result.errors) out.push_back(e.format("f.ini"));
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ParseConfig, DefaultsForEveryOmittedKey) {
  const ConfigResult r = parse_config(kEndpoint + kRule, "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  const WatchdogConfig& c = r.config;
  EXPECT_EQ(c.origin, "f.ini");
  EXPECT_EQ(c.watchdog.poll_interval, Millis(5000));
  EXPECT_EQ(c.watchdog.audit_log, "/var/log/neptune-watchdog/audit.jsonl");
  EXPECT_EQ(c.watchdog.log_level, LogLevel::info);
  EXPECT_FALSE(c.policy.dry_run);
  EXPECT_EQ(c.retry.max_attempts, 5);
  EXPECT_EQ(c.retry.initial_backoff, Millis(100));
  EXPECT_EQ(c.retry.max_backoff, Millis(5000));
  ASSERT_EQ(c.endpoints.size(), 1u);
  const EndpointConfig& e = c.endpoints[0];
  EXPECT_EQ(e.name, "e");
  EXPECT_EQ(e.url.to_string(), "https://db:8182");
  EXPECT_EQ(e.api, ApiForm::rest);
  EXPECT_TRUE(e.include_waiting);
  EXPECT_EQ(e.request_timeout, Millis(10'000));
  EXPECT_EQ(e.max_response_bytes, 56ull << 20);  // the largest list Neptune can send
  EXPECT_EQ(e.auth, AuthMode::none);
  EXPECT_EQ(e.region, "");
  EXPECT_EQ(e.ca_file, "");
  ASSERT_EQ(c.policy.rules.size(), 1u);
  const Rule& rl = c.policy.rules[0];
  EXPECT_EQ(rl.name, "r");
  EXPECT_EQ(rl.max_elapsed, Millis(300'000));
  EXPECT_EQ(rl.max_waited, std::nullopt);
  EXPECT_EQ(rl.query_matches, nullptr);
  EXPECT_EQ(rl.query_excludes, nullptr);
  EXPECT_EQ(rl.action, RuleAction::cancel);
  EXPECT_FALSE(rl.silent);
}

TEST(ParseConfig, AcceptsGoodValuesOfEveryKey) {
  using Check = std::function<void(const WatchdogConfig&)>;
  const auto x = [](const WatchdogConfig& c) -> const EndpointConfig& { return c.endpoints.at(0); };
  const auto rx = [](const WatchdogConfig& c) -> const Rule& { return c.policy.rules.at(0); };
  struct Row {
    const char* name;
    std::string text;
    Check check;
  } rows[] = {
      {"poll_interval ms", watchdog("poll_interval = 250ms"),
       [](auto& c) { EXPECT_EQ(c.watchdog.poll_interval, Millis(250)); }},
      {"poll_interval m", watchdog("poll_interval = 2m"),
       [](auto& c) { EXPECT_EQ(c.watchdog.poll_interval, Millis(120'000)); }},
      {"dry_run true", watchdog("dry_run = true"), [](auto& c) { EXPECT_TRUE(c.policy.dry_run); }},
      {"dry_run yes", watchdog("dry_run = yes"), [](auto& c) { EXPECT_TRUE(c.policy.dry_run); }},
      {"dry_run on", watchdog("dry_run = on"), [](auto& c) { EXPECT_TRUE(c.policy.dry_run); }},
      {"dry_run TRUE", watchdog("dry_run = TRUE"), [](auto& c) { EXPECT_TRUE(c.policy.dry_run); }},
      {"dry_run false", watchdog("dry_run = false"),
       [](auto& c) { EXPECT_FALSE(c.policy.dry_run); }},
      {"dry_run No", watchdog("dry_run = No"), [](auto& c) { EXPECT_FALSE(c.policy.dry_run); }},
      {"dry_run off", watchdog("dry_run = off"), [](auto& c) { EXPECT_FALSE(c.policy.dry_run); }},
      {"audit_log", watchdog("audit_log = /tmp/a b/audit.jsonl"),
       [](auto& c) { EXPECT_EQ(c.watchdog.audit_log, "/tmp/a b/audit.jsonl"); }},
      {"log_level trace", watchdog("log_level = trace"),
       [](auto& c) { EXPECT_EQ(c.watchdog.log_level, LogLevel::trace); }},
      {"log_level debug", watchdog("log_level = debug"),
       [](auto& c) { EXPECT_EQ(c.watchdog.log_level, LogLevel::debug); }},
      {"log_level info", watchdog("log_level = info"),
       [](auto& c) { EXPECT_EQ(c.watchdog.log_level, LogLevel::info); }},
      {"log_level warn", watchdog("log_level = warn"),
       [](auto& c) { EXPECT_EQ(c.watchdog.log_level, LogLevel::warn); }},
      {"log_level error", watchdog("log_level = error"),
       [](auto& c) { EXPECT_EQ(c.watchdog.log_level, LogLevel::error); }},
      {"schedule default", watchdog("log_level = info"),
       [](auto& c) { EXPECT_EQ(c.watchdog.schedule, Schedule::deadline); }},
      {"schedule fixed", watchdog("schedule = fixed"),
       [](auto& c) { EXPECT_EQ(c.watchdog.schedule, Schedule::fixed); }},
      {"schedule deadline", watchdog("schedule = deadline"),
       [](auto& c) { EXPECT_EQ(c.watchdog.schedule, Schedule::deadline); }},
      {"confirm_by_id default", watchdog("log_level = info"),
       [](auto& c) { EXPECT_FALSE(c.watchdog.confirm_by_id); }},
      {"confirm_by_id true", watchdog("confirm_by_id = true"),
       [](auto& c) { EXPECT_TRUE(c.watchdog.confirm_by_id); }},
      {"max_attempts 1", retry("max_attempts = 1"),
       [](auto& c) { EXPECT_EQ(c.retry.max_attempts, 1); }},
      {"max_attempts 100", retry("max_attempts = 100"),
       [](auto& c) { EXPECT_EQ(c.retry.max_attempts, 100); }},
      {"initial_backoff", retry("initial_backoff = 250ms"),
       [](auto& c) { EXPECT_EQ(c.retry.initial_backoff, Millis(250)); }},
      {"max_backoff", retry("max_backoff = 10s"),
       [](auto& c) { EXPECT_EQ(c.retry.max_backoff, Millis(10'000)); }},
      {"initial equals max",
       "[retry]\ninitial_backoff = 2s\nmax_backoff = 2s\n" + kEndpoint + kRule,
       [](auto& c) { EXPECT_EQ(c.retry.initial_backoff, c.retry.max_backoff); }},
      {"url https", endpoint("api = rest", "url = https://db-1.x.neptune.amazonaws.com:8182"),
       [x](auto& c) {
         EXPECT_EQ(x(c).url.to_string(), "https://db-1.x.neptune.amazonaws.com:8182");
         EXPECT_TRUE(x(c).url.https);
       }},
      {"url http default port", endpoint("api = rest", "url = http://127.0.0.1/"),
       [x](auto& c) {
         EXPECT_EQ(x(c).url.to_string(), "http://127.0.0.1:80");
         EXPECT_FALSE(x(c).url.https);
       }},
      {"url ipv6", endpoint("api = rest", "url = https://[::1]:8182"),
       [x](auto& c) { EXPECT_EQ(x(c).url.host, "::1"); }},
      {"api rest", endpoint("api = rest"), [x](auto& c) { EXPECT_EQ(x(c).api, ApiForm::rest); }},
      {"api legacy", endpoint("api = legacy"),
       [x](auto& c) { EXPECT_EQ(x(c).api, ApiForm::legacy); }},
      {"include_waiting false", endpoint("include_waiting = false"),
       [x](auto& c) { EXPECT_FALSE(x(c).include_waiting); }},
      {"include_waiting true", endpoint("include_waiting = true"),
       [x](auto& c) { EXPECT_TRUE(x(c).include_waiting); }},
      {"request_timeout", endpoint("request_timeout = 3s"),
       [x](auto& c) { EXPECT_EQ(x(c).request_timeout, Millis(3000)); }},
      {"max_response_bytes", endpoint("max_response_bytes = 8M"),
       [x](auto& c) { EXPECT_EQ(x(c).max_response_bytes, 8ull << 20); }},
      {"auth none", endpoint("auth = none"),
       [x](auto& c) { EXPECT_EQ(x(c).auth, AuthMode::none); }},
      {"region", endpoint("region = us-east-1"),
       [x](auto& c) { EXPECT_EQ(x(c).region, "us-east-1"); }},
      {"region empty", endpoint("region ="), [x](auto& c) { EXPECT_EQ(x(c).region, ""); }},
      {"ca_file with https", endpoint("ca_file = /etc/ssl/neptune.pem"),
       [x](auto& c) { EXPECT_EQ(x(c).ca_file, "/etc/ssl/neptune.pem"); }},
      {"empty ca_file with http", endpoint("ca_file =", "url = http://127.0.0.1:18182"),
       [x](auto& c) { EXPECT_EQ(x(c).ca_file, ""); }},
      {"endpoint name chars", "[endpoint.Reader-1_b.2]\nurl = http://h:1\n" + kRule,
       [x](auto& c) { EXPECT_EQ(x(c).name, "Reader-1_b.2"); }},
      {"max_elapsed", rule("max_elapsed = 300s", "action = cancel"),
       [rx](auto& c) {
         EXPECT_EQ(rx(c).max_elapsed, Millis(300'000));
         EXPECT_EQ(rx(c).max_waited, std::nullopt);
       }},
      {"max_waited only", rule("max_waited = 60s", "action = cancel"),
       [rx](auto& c) {
         EXPECT_EQ(rx(c).max_waited, Millis(60'000));
         EXPECT_EQ(rx(c).max_elapsed, std::nullopt);
       }},
      {"both limits", rule("max_waited = 1h"),
       [rx](auto& c) {
         EXPECT_EQ(rx(c).max_waited, Millis(3'600'000));
         EXPECT_EQ(rx(c).max_elapsed, Millis(300'000));
       }},
      {"query_matches", rule("query_matches = ^\\s*MATCH"),
       [rx](auto& c) {
         ASSERT_NE(rx(c).query_matches, nullptr);
         EXPECT_EQ(rx(c).query_matches->pattern(), "^\\s*MATCH");
         EXPECT_TRUE(rx(c).selects("  MATCH (n) RETURN n"));
         EXPECT_FALSE(rx(c).selects("CREATE (n)"));
       }},
      {"query_matches with ; and #", rule("query_matches = a;b#c"),
       [rx](auto& c) {
         ASSERT_NE(rx(c).query_matches, nullptr);
         EXPECT_EQ(rx(c).query_matches->pattern(), "a;b#c");
         EXPECT_TRUE(rx(c).selects("xa;b#cx"));
       }},
      {"query_excludes", rule("query_excludes = watchdog:exempt"),
       [rx](auto& c) {
         ASSERT_NE(rx(c).query_excludes, nullptr);
         EXPECT_EQ(rx(c).query_excludes->pattern(), "watchdog:exempt");
         EXPECT_FALSE(rx(c).selects("MATCH (n) /* watchdog:exempt */ RETURN n"));
         EXPECT_TRUE(rx(c).selects("MATCH (n) RETURN n"));
       }},
      {"action cancel", rule("action = cancel"),
       [rx](auto& c) { EXPECT_EQ(rx(c).action, RuleAction::cancel); }},
      {"action log", rule("action = log"),
       [rx](auto& c) { EXPECT_EQ(rx(c).action, RuleAction::log); }},
      {"silent true", rule("silent = true"), [rx](auto& c) { EXPECT_TRUE(rx(c).silent); }},
      {"silent off", rule("silent = off"), [rx](auto& c) { EXPECT_FALSE(rx(c).silent); }},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const ConfigResult r = parse_config(row.text, "f.ini");
    EXPECT_EQ(formatted(r), Lines{});
    EXPECT_TRUE(r.ok());
    row.check(r.config);
  }
}

TEST(ParseConfig, RejectsBadValuesWithExactMessages) {
  const std::string bad_duration = " (use a whole number with ms, s, m or h, e.g. 300s)";
  struct Row {
    const char* name;
    std::string text;
    Lines errors;
  } rows[] = {
      {"poll_interval bare number",
       watchdog("poll_interval = 5"),
       {"f.ini: watchdog.poll_interval: bad duration '5'" + bad_duration + " (line 2)"}},
      {"poll_interval empty",
       watchdog("poll_interval ="),
       {"f.ini: watchdog.poll_interval: bad duration ''" + bad_duration + " (line 2)"}},
      {"poll_interval zero",
       watchdog("poll_interval = 0ms"),
       {"f.ini: watchdog.poll_interval: must be greater than 0 (line 2)"}},
      {"dry_run word",
       watchdog("dry_run = maybe"),
       {"f.ini: watchdog.dry_run: expected true or false, got 'maybe' (line 2)"}},
      {"dry_run digit",
       watchdog("dry_run = 1"),
       {"f.ini: watchdog.dry_run: expected true or false, got '1' (line 2)"}},
      {"audit_log empty",
       watchdog("audit_log ="),
       {"f.ini: watchdog.audit_log: must not be empty (line 2)"}},
      {"metrics_listen without port",
       watchdog("metrics_listen = 127.0.0.1"),
       {"f.ini: watchdog.metrics_listen: invalid listen address '127.0.0.1': expected host:port, "
        "e.g. "
        "127.0.0.1:9464 (line 2)"}},
      {"log_level unknown",
       watchdog("log_level = verbose"),
       {"f.ini: watchdog.log_level: unknown value 'verbose' (expected one of: trace, debug, info, "
        "warn, error) (line 2)"}},
      {"log_level upper case",
       watchdog("log_level = INFO"),
       {"f.ini: watchdog.log_level: unknown value 'INFO' (expected one of: trace, debug, info, "
        "warn, error) (line 2)"}},
      {"schedule unknown",
       watchdog("schedule = eager"),
       {"f.ini: watchdog.schedule: unknown value 'eager' (expected one of: deadline, fixed) (line "
        "2)"}},
      {"watchdog unknown key",
       watchdog("pol_interval = 5s"),
       {"f.ini: watchdog.pol_interval: unknown key (line 2)"}},
      {"max_attempts zero",
       retry("max_attempts = 0"),
       {"f.ini: retry.max_attempts: expected a whole number from 1 to 100, got '0' (line 2)"}},
      {"max_attempts too many",
       retry("max_attempts = 101"),
       {"f.ini: retry.max_attempts: expected a whole number from 1 to 100, got '101' (line 2)"}},
      {"max_attempts negative",
       retry("max_attempts = -1"),
       {"f.ini: retry.max_attempts: expected a whole number from 1 to 100, got '-1' (line 2)"}},
      {"max_attempts word",
       retry("max_attempts = five"),
       {"f.ini: retry.max_attempts: expected a whole number from 1 to 100, got 'five' (line 2)"}},
      {"max_attempts fraction",
       retry("max_attempts = 2.5"),
       {"f.ini: retry.max_attempts: expected a whole number from 1 to 100, got '2.5' (line 2)"}},
      {"max_attempts empty",
       retry("max_attempts ="),
       {"f.ini: retry.max_attempts: expected a whole number from 1 to 100, got '' (line 2)"}},
      {"initial_backoff zero",
       retry("initial_backoff = 0s"),
       {"f.ini: retry.initial_backoff: must be greater than 0 (line 2)"}},
      {"initial_backoff fraction",
       retry("initial_backoff = 0.5s"),
       {"f.ini: retry.initial_backoff: bad duration '0.5s'" + bad_duration + " (line 2)"}},
      {"max_backoff bare",
       retry("max_backoff = 10"),
       {"f.ini: retry.max_backoff: bad duration '10'" + bad_duration + " (line 2)"}},
      {"max_backoff zero",
       retry("max_backoff = 0ms"),
       {"f.ini: retry.max_backoff: must be greater than 0 (line 2)"}},
      {"initial above max",
       "[retry]\ninitial_backoff = 10s\nmax_backoff = 1s\n" + kEndpoint + kRule,
       {"f.ini: retry.initial_backoff: is larger than retry.max_backoff"}},
      {"default initial above max",
       retry("max_backoff = 50ms"),
       {"f.ini: retry.initial_backoff: is larger than retry.max_backoff"}},
      {"retry unknown key", retry("jitter = full"), {"f.ini: retry.jitter: unknown key (line 2)"}},
      {"url missing",
       "[endpoint.x]\napi = rest\n" + kRule,
       {"f.ini: endpoint.x.url: missing required key (line 1)"}},
      {"url empty",
       endpoint("api = rest", "url ="),
       {"f.ini: endpoint.x.url: must not be empty (line 3)"}},
      {"url bad scheme",
       endpoint("api = rest", "url = ftp://db:8182"),
       {"f.ini: endpoint.x.url: bad url 'ftp://db:8182': must start with http:// or https:// (line "
        "3)"}},
      {"url with path",
       endpoint("api = rest", "url = https://db:8182/opencypher/status"),
       {"f.ini: endpoint.x.url: bad url 'https://db:8182/opencypher/status': must be "
        "scheme://host:port only: the "
        "status paths are fixed (line 3)"}},
      {"url with credentials",
       endpoint("api = rest", "url = https://u:p@db:8182"),
       {"f.ini: endpoint.x.url: bad url 'https://u:p@db:8182': must not contain credentials (line "
        "3)"}},
      {"url bad port",
       endpoint("api = rest", "url = https://db:99999"),
       {"f.ini: endpoint.x.url: bad url 'https://db:99999': bad port '99999' (line 3)"}},
      {"api unknown",
       endpoint("api = soap"),
       {"f.ini: endpoint.x.api: unknown value 'soap' (expected one of: rest, legacy) (line 2)"}},
      {"include_waiting word",
       endpoint("include_waiting = sometimes"),
       {"f.ini: endpoint.x.include_waiting: expected true or false, got 'sometimes' (line 2)"}},
      {"request_timeout zero",
       endpoint("request_timeout = 0s"),
       {"f.ini: endpoint.x.request_timeout: must be at least 100ms (line 2)"}},
      {"request_timeout bare",
       endpoint("request_timeout = 10"),
       {"f.ini: endpoint.x.request_timeout: bad duration '10'" + bad_duration + " (line 2)"}},
      {"max_response_bytes too small",
       endpoint("max_response_bytes = 1K"),
       {"f.ini: endpoint.x.max_response_bytes: size '1K' out of range (64K to 1G) (line 2)"}},
      {"max_response_bytes too large",
       endpoint("max_response_bytes = 2G"),
       {"f.ini: endpoint.x.max_response_bytes: size '2G' out of range (64K to 1G) (line 2)"}},
      {"max_response_bytes word",
       endpoint("max_response_bytes = lots"),
       {"f.ini: endpoint.x.max_response_bytes: bad size 'lots' (bytes, or a whole number with K, M "
        "or G, e.g. 100M) (line 2)"}},
      {"auth iam without a region",
       endpoint("auth = iam"),
       {"f.ini: endpoint.x.region: required with auth = iam (the cluster's region, e.g. us-east-1) "
        "(line 1)"}},
      {"iam over plain http",
       endpoint("auth = iam\nregion = us-east-1", "url = http://db-1.example.com:8182"),
       {"f.ini: endpoint.x.url: auth = iam needs https://: over plain http:// the signed requests "
        "and the session token would cross the network in the clear (http:// is accepted only "
        "for a loopback host: 127.0.0.0/8, ::1 or localhost) (line 4)"}},
      {"iam over plain http to an address that is not loopback",
       endpoint("auth = iam\nregion = us-east-1", "url = http://10.0.0.7:8182"),
       {"f.ini: endpoint.x.url: auth = iam needs https://: over plain http:// the signed requests "
        "and the session token would cross the network in the clear (http:// is accepted only "
        "for a loopback host: 127.0.0.0/8, ::1 or localhost) (line 4)"}},
      {"profile without iam",
       endpoint("profile = prod"),
       {"f.ini: endpoint.x.profile: only used with auth = iam (line 2)"}},
      {"role_arn without iam",
       endpoint("role_arn = arn:aws:iam::123456789012:role/watchdog"),
       {"f.ini: endpoint.x.role_arn: only used with auth = iam (the role's credentials sign) "
        "(line 2)"}},
      {"role_arn not an arn",
       endpoint("role_arn = watchdog\nauth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.role_arn: expected arn:PARTITION:iam::ACCOUNT:role/NAME (line 2)"}},
      {"role_arn of a user",
       endpoint("role_arn = arn:aws:iam::123456789012:user/ops\nauth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.role_arn: expected arn:PARTITION:iam::ACCOUNT:role/NAME (a role, not "
        "another kind of IAM resource) (line 2)"}},
      {"role_arn with a short account",
       endpoint("role_arn = arn:aws:iam::1234:role/w\nauth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.role_arn: expected arn:PARTITION:iam::ACCOUNT:role/NAME (ACCOUNT is the "
        "12-digit account id) (line 2)"}},
      {"role_arn with a region",
       endpoint("role_arn = arn:aws:iam:us-east-1:123456789012:role/w\nauth = iam\n"
                "region = us-east-1"),
       {"f.ini: endpoint.x.role_arn: expected arn:PARTITION:iam::ACCOUNT:role/NAME (a role's ARN "
        "has no region: iam::) (line 2)"}},
      {"role_arn of another partition",
       endpoint("role_arn = arn:gcp:iam::123456789012:role/w\nauth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.role_arn: expected arn:PARTITION:iam::ACCOUNT:role/NAME (PARTITION is "
        "aws, aws-cn, aws-us-gov, ...) (line 2)"}},
      {"role name with a space",
       endpoint("role_arn = arn:aws:iam::123456789012:role/a b\nauth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.role_arn: expected arn:PARTITION:iam::ACCOUNT:role/NAME (NAME is 1 to "
        "64 "
        "letters, digits or +=,.@_-) (line 2)"}},
      {"external_id without role_arn",
       endpoint("external_id = ops-7\nauth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.external_id: only used with role_arn (line 2)"}},
      {"role_session_name without role_arn",
       endpoint("role_session_name = wd\nauth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.role_session_name: only used with role_arn (line 2)"}},
      {"role_session_name too short",
       endpoint("role_session_name = w\nrole_arn = arn:aws:iam::123456789012:role/w\n"
                "auth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.role_session_name: expected 2 to 64 letters, digits or +=,.@_- (STS "
        "RoleSessionName) (line 2)"}},
      {"role_session_name with a slash",
       endpoint("role_session_name = a/b\nrole_arn = arn:aws:iam::123456789012:role/w\n"
                "auth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.role_session_name: expected 2 to 64 letters, digits or +=,.@_- (STS "
        "RoleSessionName) (line 2)"}},
      {"role_session_name too long",
       endpoint("role_session_name = " + std::string(65, 'w') +
                "\nrole_arn = arn:aws:iam::123456789012:role/w\nauth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.role_session_name: expected 2 to 64 letters, digits or +=,.@_- (STS "
        "RoleSessionName) (line 2)"}},
      {"external_id with a space",
       endpoint("external_id = a b\nrole_arn = arn:aws:iam::123456789012:role/w\n"
                "auth = iam\nregion = us-east-1"),
       {"f.ini: endpoint.x.external_id: expected 2 to 1224 letters, digits or +=,.@:/_- (STS "
        "ExternalId) (line 2)"}},
      {"auth unknown",
       endpoint("auth = basic"),
       {"f.ini: endpoint.x.auth: unknown value 'basic' (expected one of: none, iam) (line 2)"}},
      {"auth empty", endpoint("auth ="), {"f.ini: endpoint.x.auth: must not be empty (line 2)"}},
      {"ca_file on http",
       endpoint("ca_file = /etc/ssl/neptune.pem", "url = http://db:8182"),
       {"f.ini: endpoint.x.ca_file: set for a plain http:// url (line 2)"}},
      {"ca_file with a bad https url",
       endpoint("ca_file = /etc/ssl/neptune.pem", "url = https://db:0"),
       {"f.ini: endpoint.x.url: bad url 'https://db:0': bad port '0' (line 3)"}},
      {"endpoint unknown key",
       endpoint("password = hunter2"),
       {"f.ini: endpoint.x.password: unknown key (line 2)"}},
      {"endpoint bad name",
       "[endpoint.a b]\nurl = https://db:8182\n" + kRule,
       {"f.ini: endpoint.a b: endpoint name must use letters, digits, '-', '_' or '.' (line 1)"}},
      {"endpoint empty name",
       "[endpoint.]\nurl = https://db:8182\n" + kRule,
       {"f.ini: endpoint.: endpoint name must use letters, digits, '-', '_' or '.' (line 1)"}},
      {"max_elapsed bad duration at line 3",
       "[rule.r]\naction = log\nmax_elapsed = 5x\n" + kEndpoint,
       {"f.ini: rule.r.max_elapsed: bad duration '5x'" + bad_duration + " (line 3)"}},
      {"max_elapsed negative",
       rule("max_elapsed = -5s", "max_waited = 1m"),
       {"f.ini: rule.x.max_elapsed: bad duration '-5s'" + bad_duration + " (line 2)"}},
      {"max_waited bare",
       rule("max_waited = 60"),
       {"f.ini: rule.x.max_waited: bad duration '60'" + bad_duration + " (line 2)"}},
      {"query_matches bad regex",
       rule("query_matches = (MATCH"),
       {"f.ini: rule.x.query_matches: bad regex '(MATCH': missing ): (MATCH (line 2)"}},
      {"query_excludes bad regex",
       rule("query_excludes = [z-a]"),
       {"f.ini: rule.x.query_excludes: bad regex '[z-a]': invalid character class range: z-a (line "
        "2)"}},
      {"query_matches empty",
       rule("query_matches ="),
       {"f.ini: rule.x.query_matches: empty pattern (remove the key to match every query) (line "
        "2)"}},
      {"query_excludes empty",
       rule("query_excludes ="),
       {"f.ini: rule.x.query_excludes: empty pattern (remove the key to match every query) (line "
        "2)"}},
      {"action unknown",
       rule("action = kill"),
       {"f.ini: rule.x.action: unknown value 'kill' (expected one of: cancel, log) (line 2)"}},
      {"silent word",
       rule("silent = quietly"),
       {"f.ini: rule.x.silent: expected true or false, got 'quietly' (line 2)"}},
      {"rule unknown key",
       rule("max_runtime = 5m"),
       {"f.ini: rule.x.max_runtime: unknown key (line 2)"}},
      {"rule without a limit",
       "[rule.x]\naction = log\nsilent = true\n" + kEndpoint,
       {"f.ini: rule.x: a rule needs at least one limit (max_elapsed, max_waited, max_running, "
        "max_queued, max_running_per_fingerprint or max_queued_per_fingerprint) (line 1)"}},
      {"rule bad name",
       "[rule.a/b]\nmax_elapsed = 5m\n" + kEndpoint,
       {"f.ini: rule.a/b: rule name must use letters, digits, '-', '_' or '.' (line 1)"}},
      {"unknown section",
       "[metrics]\nport = 9100\n" + kEndpoint + kRule,
       {"f.ini: metrics: unknown section (expected watchdog, retry, ha, endpoint.NAME, "
        "cluster.NAME, "
        "rule.NAME, "
        "protect, protect.NAME or notify.NAME) (line 1)"}},
      {"section without name",
       "[endpoint]\nurl = https://db:8182\n" + kEndpoint + kRule,
       {"f.ini: endpoint: unknown section (expected watchdog, retry, ha, endpoint.NAME, "
        "cluster.NAME, "
        "rule.NAME, "
        "protect, protect.NAME or notify.NAME) (line 1)"}},
      {"section name case",
       "[Watchdog]\n" + kEndpoint + kRule,
       {"f.ini: Watchdog: unknown section (expected watchdog, retry, ha, endpoint.NAME, "
        "cluster.NAME, "
        "rule.NAME, "
        "protect, protect.NAME or notify.NAME) (line 1)"}},
      {"no endpoint",
       kRule,
       {"f.ini: endpoint: no [endpoint.NAME] or [cluster.NAME] section: nothing to watch"}},
      {"no rule", kEndpoint, {"f.ini: rule: no [rule.NAME] section: nothing to enforce"}},
      {"empty file",
       "",
       {"f.ini: endpoint: no [endpoint.NAME] or [cluster.NAME] section: nothing to watch",
        "f.ini: rule: no [rule.NAME] section: nothing to enforce"}},
      {"ini: line without equals",
       kEndpoint + "oops\n" + kRule,
       {"f.ini: line 3: expected 'key = value', '[section]' or a comment"}},
      {"ini: key before any section",
       "dry_run = true\n" + kEndpoint + kRule,
       {"f.ini: dry_run: key outside of any [section] (line 1)"}},
      {"ini: duplicate key",
       "[watchdog]\ndry_run = true\ndry_run = false\n" + kEndpoint + kRule,
       {"f.ini: watchdog.dry_run: key appears twice in the section (line 3)"}},
      {"ini: duplicate section",
       kEndpoint + kRule + "[rule.r]\n",
       {"f.ini: rule.r: section appears twice (line 5)"}},
      {"ini: unclosed header",
       kEndpoint + kRule + "[rule.y\n",
       {"f.ini: line 5: section header without closing ']'"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const ConfigResult r = parse_config(row.text, "f.ini");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(formatted(r), row.errors);
  }
}

TEST(ParseConfig, ReportsAllErrorsInLineOrder) {
  const std::string text =
      "[watchdog]\n"           // 1
      "poll_interval = 5\n"    // 2
      "dry_run = perhaps\n"    // 3
      "[retry]\n"              // 4
      "max_attempts = 0\n"     // 5
      "[endpoint.writer]\n"    // 6
      "url = ftp://db\n"       // 7
      "auth = iam\n"           // 8
      "[rule.first]\n"         // 9
      "query_matches = (\n"    // 10
      "colour = red\n"         // 11
      "[rule.second]\n"        // 12
      "max_elapsed = 5x\n"     // 13
      "[mystery]\n"            // 14
      "this line is broken\n"  // 15
      "[rule.third]\n"         // 16
      "max_waited = 1m\n";     // 17
  const std::string d = " (use a whole number with ms, s, m or h, e.g. 300s)";
  const Lines expected = {
      "f.ini: watchdog.poll_interval: bad duration '5'" + d + " (line 2)",
      "f.ini: watchdog.dry_run: expected true or false, got 'perhaps' (line 3)",
      "f.ini: retry.max_attempts: expected a whole number from 1 to 100, got '0' (line 5)",
      "f.ini: endpoint.writer.region: required with auth = iam (the cluster's region, e.g. "
      "us-east-1) (line 6)",
      "f.ini: endpoint.writer.url: bad url 'ftp://db': must start with http:// or https:// (line "
      "7)",
      "f.ini: rule.first: a rule needs at least one limit (max_elapsed, max_waited, max_running, "
      "max_queued, max_running_per_fingerprint or max_queued_per_fingerprint) (line 9)",
      "f.ini: rule.first.query_matches: bad regex '(': missing ): ( (line 10)",
      "f.ini: rule.first.colour: unknown key (line 11)",
      "f.ini: rule.second.max_elapsed: bad duration '5x'" + d + " (line 13)",
      "f.ini: mystery: unknown section (expected watchdog, retry, ha, endpoint.NAME, cluster.NAME, "
      "rule.NAME, "
      "protect, protect.NAME or notify.NAME) (line 14)",
      "f.ini: line 15: expected 'key = value', '[section]' or a comment",
  };
  const ConfigResult r = parse_config(text, "f.ini");
  EXPECT_EQ(formatted(r), expected);
  EXPECT_FALSE(r.ok());
}

TEST(ParseConfig, KeepsRulesAndEndpointsInFileOrder) {
  const std::string text =
      "[rule.zeta]\nmax_elapsed = 1s\n"
      "[endpoint.writer]\nurl = https://w:8182\n"
      "[rule.alpha]\nmax_elapsed = 2s\n"
      "[endpoint.reader-2]\nurl = https://r2:8182\n"
      "[endpoint.reader-1]\nurl = https://r1:8182\n"
      "[rule.mid]\nmax_waited = 3s\n";
  const ConfigResult r = parse_config(text, "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  Lines rules, endpoints;
  for (const auto& rl : r.config.policy.rules) rules.push_back(rl.name);
  for (const auto& e : r.config.endpoints) endpoints.push_back(e.name + "=" + e.url.to_string());
  EXPECT_EQ(rules, (Lines{"zeta", "alpha", "mid"}));
  EXPECT_EQ(endpoints, (Lines{"writer=https://w:8182", "reader-2=https://r2:8182",
                              "reader-1=https://r1:8182"}));
  EXPECT_EQ(r.config.policy.rules[0].max_elapsed, Millis(1000));
  EXPECT_EQ(r.config.policy.rules[1].max_elapsed, Millis(2000));
  EXPECT_EQ(r.config.policy.rules[2].max_waited, Millis(3000));
}

TEST(ConfigError, FormatsFileKeyMessageAndLine) {
  struct Row {
    const char* name;
    ConfigError error;
    const char* origin;
    const char* text;
  } rows[] = {
      {"key and line",
       {"rule.r.max_elapsed", "bad", 3},
       "f.ini",
       "f.ini: rule.r.max_elapsed: bad (line 3)"},
      {"key without line", {"endpoint", "none", 0}, "/etc/x.ini", "/etc/x.ini: endpoint: none"},
      {"line without key", {"", "broken line", 7}, "f.ini", "f.ini: line 7: broken line"},
      {"neither", {"", "empty", 0}, "f.ini", "f.ini: empty"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(row.error.format(row.origin), row.text);
  }
}

TEST(DescribeConfig, PrintsEffectiveValuesAndReparsesToTheSame) {
  const std::string text =
      "[watchdog]\npoll_interval = 2000ms\ndry_run = yes\naudit_log = /tmp/audit.jsonl\nlog_level "
      "= debug\n"
      "[retry]\nmax_attempts = 7\ninitial_backoff = 250ms\nmax_backoff = 120s\n"
      "[endpoint.writer]\nurl = https://db-1:8182/\napi = legacy\ninclude_waiting = off\n"
      "request_timeout = 30s\nregion = eu-west-1\nca_file = /etc/ssl/n.pem\n"
      "[endpoint.sim]\nurl = http://127.0.0.1:18182\n"
      "[rule.reads]\nquery_matches = ^\\s*MATCH\nquery_excludes = watchdog:exempt\nmax_elapsed = "
      "300s\n"
      "max_waited = 60000ms\naction = cancel\nsilent = true\n"
      "[rule.all]\nmax_waited = 90m\naction = log\n";
  const ConfigResult r = parse_config(text, "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  const std::string described = describe_config(r.config);
  const char* expected_lines[] = {
      "# effective configuration of f.ini\n",
      "[watchdog]\npoll_interval = 2s\nschedule = deadline\nconfirm_by_id = false\ndry_run = "
      "true\naudit_log = /tmp/audit.jsonl\naudit_max_size = 104857600\n"
      "audit_max_files = 10\nmetrics_listen = \non_audit_failure = pause\nworkers = "
      "4\nmax_cancels_in_flight = 4\n"
      "log_level = debug\n",
      "[retry]\nmax_attempts = 7\ninitial_backoff = 250ms\nmax_backoff = 2m\n",
      "[endpoint.writer]\nurl = https://db-1:8182\napi = legacy\ninclude_waiting = false\n"
      "request_timeout = 30s\nmax_response_bytes = 58720256\nauth = none\nregion = "
      "eu-west-1\nca_file = /etc/ssl/n.pem\n",
      "[endpoint.sim]\nurl = http://127.0.0.1:18182\napi = rest\ninclude_waiting = true\n"
      "request_timeout = 10s\nmax_response_bytes = 58720256\nauth = none\nca_file = \n",
      "[rule.reads]\nmax_elapsed = 5m\nmax_waited = 1m\nquery_matches = ^\\s*MATCH\n"
      "query_excludes = watchdog:exempt\naction = cancel\nsilent = true\n",
      "[rule.all]\nmax_waited = 90m\naction = log\nsilent = false\n",
  };
  for (const char* part : expected_lines) {
    SCOPED_TRACE(part);
    EXPECT_NE(described.find(part), std::string::npos) << described;
  }
  EXPECT_LT(described.find("[rule.reads]"), described.find("[rule.all]"));

  const ConfigResult again = parse_config(described, "f.ini");
  ASSERT_EQ(formatted(again), Lines{}) << described;
  EXPECT_EQ(describe_config(again.config), described);
}

TEST(ShippedConfig, ParsesWithoutErrors) {
  struct Row {
    const char* name;
    std::string path;
  } rows[] = {
      {"production example",
       std::string(NW_SOURCE_DIR) + "/etc/neptune-watchdog/neptune-watchdog.ini"},
      {"demo", std::string(NW_SOURCE_DIR) + "/etc/demo/neptune-watchdog.ini"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const std::string text = read_file(row.path);
    if (text.empty()) {
      ADD_FAILURE() << "missing or empty: " << row.path;
      continue;
    }
    const ConfigResult r = parse_config(text, row.path);
    Lines errors;
    for (const auto& e : r.errors) errors.push_back(e.format(row.path));
    EXPECT_EQ(errors, Lines{});
    EXPECT_FALSE(r.config.endpoints.empty() && r.config.clusters.empty());
    EXPECT_FALSE(r.config.policy.rules.empty());
  }
}

// What --check-config prints is itself the same configuration: for the shipped files and the
// README's examples, parse(describe(parse(X))) describes as parse(X) does. The README's
// fragments are completed with an endpoint and a rule where they lack one.
TEST(DescribeConfig, TheShippedFilesAndTheReadmeExamplesReparseToTheSame) {
  struct Row {
    std::string name, text;
  };
  const std::string root = std::string(NW_SOURCE_DIR) + "/";
  std::vector<Row> rows = {
      {"production example", read_file(root + "etc/neptune-watchdog/neptune-watchdog.ini")},
      {"demo", read_file(root + "etc/demo/neptune-watchdog.ini")},
  };
  const std::string readme = read_file(root + "README.md");
  for (std::size_t at = readme.find("```ini\n"); at != std::string::npos;
       at = readme.find("```ini\n", at + 1)) {
    const std::size_t start = at + 7;
    std::string block = readme.substr(start, readme.find("```", start) - start);
    if (block.find("[Service]") != std::string::npos) continue;  // a systemd drop-in
    if (block.find("[endpoint.") == std::string::npos)
      block += "[endpoint.readme-e]\nurl = https://db:8182\n";
    if (block.find("[rule.") == std::string::npos) block += "[rule.readme-r]\nmax_elapsed = 5m\n";
    rows.push_back({"README.md at byte " + std::to_string(at), block});
  }
  ASSERT_GE(rows.size(), 5u);
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    ASSERT_FALSE(row.text.empty());
    const ConfigResult first = parse_config(row.text, "f.ini");
    ASSERT_EQ(formatted(first), Lines{}) << row.text;
    const std::string described = describe_config(first.config);
    const ConfigResult again = parse_config(described, "f.ini");
    ASSERT_EQ(formatted(again), Lines{}) << described;
    EXPECT_EQ(describe_config(again.config), described);
  }
}

// ---- Policy keys (issue 3): protections, per-rule dry run, guards, windows, budgets ----

std::string protect(const std::string& lines) {
  return "[protect]\n" + lines + kEndpoint + kRule;
}

std::chrono::system_clock::time_point epoch(std::time_t seconds) {
  return std::chrono::system_clock::from_time_t(seconds);
}

TEST(ParseConfig, AcceptsThePolicyKeys) {
  using Check = std::function<void(const WatchdogConfig&)>;
  const auto rx = [](const WatchdogConfig& c) -> const Rule& { return c.policy.rules.at(0); };
  const auto px = [](const WatchdogConfig& c) -> const Protection& {
    return c.policy.protections.at(0);
  };
  using Ids = std::set<std::string>;
  struct Row {
    const char* name;
    std::string text;
    Check check;
  } rows[] = {
      {"defaults of the policy keys", kEndpoint + kRule,
       [rx](auto& c) {
         EXPECT_FALSE(rx(c).dry_run);
         EXPECT_EQ(rx(c).max_running, std::nullopt);
         EXPECT_EQ(rx(c).max_queued, std::nullopt);
         EXPECT_FALSE(rx(c).active.has_value());
         EXPECT_EQ(rx(c).max_cancels_per_minute, std::nullopt);
         EXPECT_EQ(c.policy.max_cancels_per_minute, std::nullopt);
         EXPECT_TRUE(c.policy.protections.empty());
       }},
      {"rule dry_run true", rule("dry_run = true"), [rx](auto& c) { EXPECT_TRUE(rx(c).dry_run); }},
      {"rule dry_run off", rule("dry_run = off"), [rx](auto& c) { EXPECT_FALSE(rx(c).dry_run); }},
      {"rule dry_run leaves the policy alone", rule("dry_run = yes"),
       [](auto& c) { EXPECT_FALSE(c.policy.dry_run); }},
      {"max_running as the only limit", rule("max_running = 3", "action = cancel"),
       [rx](auto& c) {
         EXPECT_EQ(rx(c).max_running, 3);
         EXPECT_EQ(rx(c).max_elapsed, std::nullopt);
       }},
      {"max_running 0 with action = log", rule("max_running = 0", "action = log"),
       [rx](auto& c) { EXPECT_EQ(rx(c).max_running, 0); }},
      {"zero time limits with action = log",
       rule("max_elapsed = 0s\nmax_waited = 0ms", "action = log"),
       [rx](auto& c) {
         EXPECT_EQ(rx(c).max_elapsed, Millis(0));
         EXPECT_EQ(rx(c).max_waited, Millis(0));
       }},
      {"max_running 1000000", rule("max_running = 1000000"),
       [rx](auto& c) { EXPECT_EQ(rx(c).max_running, 1'000'000); }},
      {"max_queued as the only limit", rule("max_queued = 2", "action = log"),
       [rx](auto& c) {
         EXPECT_EQ(rx(c).max_queued, 2);
         EXPECT_EQ(rx(c).max_running, std::nullopt);
       }},
      {"active with the default zone", rule("active = Mon-Fri 08:00-18:00"),
       [rx](auto& c) {
         ASSERT_TRUE(rx(c).active.has_value());
         EXPECT_EQ(rx(c).active->text, "Mon-Fri 08:00-18:00");
         EXPECT_EQ(rx(c).active->start_minute, 480);
         EXPECT_EQ(rx(c).active->end_minute, 1080);
         EXPECT_EQ(rx(c).active->zone, TimeWindow::Zone::utc);
         EXPECT_EQ(rx(c).active->days.to_ulong(), 0b0011111ul);
         EXPECT_TRUE(rx(c).active_at(epoch(1795608000)));  // Wednesday 12:00Z
         EXPECT_FALSE(rx(c).active_at(epoch(1795867200)));
       }},  // Saturday 12:00Z
      {"active overnight with an offset", rule("active = daily 22:00-06:00 UTC-03:00"),
       [rx](auto& c) {
         ASSERT_TRUE(rx(c).active.has_value());
         EXPECT_EQ(rx(c).active->zone, TimeWindow::Zone::fixed_offset);
         EXPECT_EQ(rx(c).active->offset_minutes, -180);
         EXPECT_TRUE(rx(c).active_at(epoch(1795608000 + 13 * 3600)));  // 01:00Z = 22:00 local
         EXPECT_FALSE(rx(c).active_at(epoch(1795608000)));
       }},  // 12:00Z = 09:00 local
      {"active local", rule("active = Sat,Sun 00:00-24:00 local"),
       [rx](auto& c) {
         ASSERT_TRUE(rx(c).active.has_value());
         EXPECT_EQ(rx(c).active->zone, TimeWindow::Zone::local);
       }},
      {"rule max_cancels_per_minute 1", rule("max_cancels_per_minute = 1"),
       [rx](auto& c) {
         EXPECT_EQ(rx(c).max_cancels_per_minute, 1);
         EXPECT_EQ(c.policy.max_cancels_per_minute, std::nullopt);
       }},
      {"rule max_cancels_per_minute 100000", rule("max_cancels_per_minute = 100000"),
       [rx](auto& c) { EXPECT_EQ(rx(c).max_cancels_per_minute, 100'000); }},
      {"watchdog max_cancels_per_minute", watchdog("max_cancels_per_minute = 10"),
       [rx](auto& c) {
         EXPECT_EQ(c.policy.max_cancels_per_minute, 10);
         EXPECT_EQ(rx(c).max_cancels_per_minute, std::nullopt);
       }},
      {"protect query_ids", protect("query_ids = a, b ,c\n"),
       [px](auto& c) {
         EXPECT_EQ(px(c).section, "protect");
         EXPECT_EQ(px(c).query_ids, (Ids{"a", "b", "c"}));
         EXPECT_EQ(px(c).query_matches, nullptr);
         EXPECT_EQ(px(c).until, std::nullopt);
       }},
      {"protect one id", protect("query_ids = 11111111-1111-4111-8111-111111111111\n"),
       [px](auto& c) {
         EXPECT_EQ(px(c).query_ids, (Ids{"11111111-1111-4111-8111-111111111111"}));
       }},
      {"protect repeated id", protect("query_ids = a,a\n"),
       [px](auto& c) { EXPECT_EQ(px(c).query_ids, (Ids{"a"})); }},
      {"protect query_matches", protect("query_matches = /\\* backup \\*/\n"),
       [px](auto& c) {
         ASSERT_NE(px(c).query_matches, nullptr);
         EXPECT_EQ(px(c).query_matches->pattern(), "/\\* backup \\*/");
         EXPECT_TRUE(px(c).query_ids.empty());
         EXPECT_STREQ(
             px(c).covers(QueryStatus{"q", "MATCH /* backup */ (n)", 1, 0, false}, epoch(0)),
             "text");
       }},
      {"protect until UTC", protect("query_ids = a\nuntil = 2026-12-01T00:00:00Z\n"),
       [px](auto& c) { EXPECT_EQ(px(c).until, epoch(1796083200)); }},
      {"protect until with an offset",
       protect("query_ids = a\nuntil = 2026-12-01T00:00:00+02:00\n"),
       [px](auto& c) { EXPECT_EQ(px(c).until, epoch(1796076000)); }},
      {"named protections in file order",
       "[protect.backups]\nquery_matches = backup\n" + kEndpoint + "[protect]\nquery_ids = x\n" +
           kRule + "[protect.ops-team_2.b]\nquery_ids = y\n",
       [](auto& c) {
         ASSERT_EQ(c.policy.protections.size(), 3u);
         EXPECT_EQ(c.policy.protections[0].section, "protect.backups");
         EXPECT_EQ(c.policy.protections[1].section, "protect");
         EXPECT_EQ(c.policy.protections[2].section, "protect.ops-team_2.b");
       }},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const ConfigResult r = parse_config(row.text, "f.ini");
    EXPECT_EQ(formatted(r), Lines{});
    EXPECT_TRUE(r.ok());
    row.check(r.config);
  }
}

TEST(ParseConfig, RejectsBadPolicyValuesWithExactMessages) {
  const std::string count = "expected a whole number from 0 to 1000000, got ";
  const std::string rate = "expected a whole number from 1 to 100000, got ";
  const std::string rfc = " (use RFC 3339 between 1970 and 2200, e.g. 2026-12-01T00:00:00Z)";
  struct Row {
    const char* name;
    std::string text;
    Lines errors;
  } rows[] = {
      {"rule dry_run word",
       rule("dry_run = maybe"),
       {"f.ini: rule.x.dry_run: expected true or false, got 'maybe' (line 2)"}},
      {"max_running negative",
       rule("max_running = -1"),
       {"f.ini: rule.x.max_running: " + count + "'-1' (line 2)"}},
      {"max_running too many",
       rule("max_running = 1000001"),
       {"f.ini: rule.x.max_running: " + count + "'1000001' (line 2)"}},
      {"max_running fraction",
       rule("max_running = 2.5"),
       {"f.ini: rule.x.max_running: " + count + "'2.5' (line 2)"}},
      {"max_running word",
       rule("max_running = ten"),
       {"f.ini: rule.x.max_running: " + count + "'ten' (line 2)"}},
      {"max_running empty",
       rule("max_running ="),
       {"f.ini: rule.x.max_running: " + count + "'' (line 2)"}},
      {"a query id that would read as a comment",
       protect("query_ids = a,#b\n"),
       {"f.ini: protect.query_ids: query id '#b' may not start with '#' or ';' (they start "
        "comments) (line 2)"}},
      {"max_elapsed 0s cancels everything",
       rule("max_elapsed = 0s", "action = cancel"),
       {"f.ini: rule.x.max_elapsed: 0s would cancel every running query this rule selects as soon "
        "as it is seen: write the longest a query may run (e.g. max_elapsed = 300s), or action = "
        "log to only record them (line 2)"}},
      {"max_waited 0ms cancels everything, action left to its default",
       rule("max_waited = 0ms", "query_matches = x"),
       {"f.ini: rule.x.max_waited: 0s would cancel every queued query this rule selects as soon "
        "as it is seen: write the longest a query may wait (e.g. max_waited = 60s), or action = "
        "log to only record them (line 2)"}},
      {"max_running 0 cancels everything, with a generous limit beside it",
       rule("max_running = 0", "max_elapsed = 1h"),
       {"f.ini: rule.x.max_running: 0 would cancel every running query this rule selects: write "
        "how many may run at once (e.g. max_running = 20), or action = log to only record them "
        "(line 2)"}},
      {"max_queued negative",
       rule("max_queued = -3"),
       {"f.ini: rule.x.max_queued: " + count + "'-3' (line 2)"}},
      {"max_queued with a unit",
       rule("max_queued = 5s"),
       {"f.ini: rule.x.max_queued: " + count + "'5s' (line 2)"}},
      {"active without hours",
       rule("active = Mon-Fri"),
       {"f.ini: rule.x.active: bad window 'Mon-Fri': expected 'DAYS HH:MM-HH:MM [ZONE]', e.g. "
        "'Mon-Fri 08:00-18:00 "
        "UTC' (line 2)"}},
      {"active bad days",
       rule("active = Weekdays 08:00-18:00"),
       {"f.ini: rule.x.active: bad window 'Weekdays 08:00-18:00': bad days 'Weekdays' (use "
        "Mon..Sun, ranges like "
        "Mon-Fri, lists like Sat,Sun, or daily) (line 2)"}},
      {"active bad hours",
       rule("active = Mon-Fri 8-18"),
       {"f.ini: rule.x.active: bad window 'Mon-Fri 8-18': bad hours '8-18' (use HH:MM-HH:MM, e.g. "
        "08:00-18:00 or "
        "22:00-06:00) (line 2)"}},
      {"active named zone without a tz database",
       rule("active = Mon-Fri 08:00-18:00 Europe/Berlin"),
       {"f.ini: rule.x.active: bad window 'Mon-Fri 08:00-18:00 Europe/Berlin': bad time zone "
        "'Europe/Berlin': tz database names are looked up only when the file is loaded "
        "(line 2)"}},
      {"active empty",
       rule("active ="),
       {"f.ini: rule.x.active: bad window '': expected 'DAYS HH:MM-HH:MM [ZONE]', e.g. 'Mon-Fri "
        "08:00-18:00 UTC' "
        "(line 2)"}},
      {"rule max_cancels_per_minute zero",
       rule("max_cancels_per_minute = 0"),
       {"f.ini: rule.x.max_cancels_per_minute: " + rate + "'0' (line 2)"}},
      {"rule max_cancels_per_minute too many",
       rule("max_cancels_per_minute = 100001"),
       {"f.ini: rule.x.max_cancels_per_minute: " + rate + "'100001' (line 2)"}},
      {"rule max_cancels_per_minute is not a limit",
       "[rule.x]\nmax_cancels_per_minute = 5\n" + kEndpoint,
       {"f.ini: rule.x: a rule needs at least one limit (max_elapsed, max_waited, max_running, "
        "max_queued, max_running_per_fingerprint or max_queued_per_fingerprint) (line 1)"}},
      {"rule max_running_per_fingerprint zero",
       rule("max_running_per_fingerprint = 0"),
       {"f.ini: rule.x.max_running_per_fingerprint: 0 would cancel every running query this rule "
        "selects: write how many copies of one query shape may run at once (e.g. "
        "max_running_per_fingerprint = 3), or action = log to only record them (line 2)"}},
      {"rule quarantine under a second",
       rule("quarantine = 500ms"),
       {"f.ini: rule.x.quarantine: must be at least 1s: how long after the rule's last cancel of "
        "a shape new queries of that shape are cancelled on sight (e.g. quarantine = 10m) (line "
        "2)"}},
      {"rule quarantine not a duration",
       rule("quarantine = soon"),
       {"f.ini: rule.x.quarantine: bad duration 'soon' (use a whole number with ms, s, m or h, "
        "e.g. 300s) (line 2)"}},
      {"rule dry_run is not a limit",
       "[rule.x]\ndry_run = true\n" + kEndpoint,
       {"f.ini: rule.x: a rule needs at least one limit (max_elapsed, max_waited, max_running, "
        "max_queued, max_running_per_fingerprint or max_queued_per_fingerprint) (line 1)"}},
      {"watchdog max_cancels_per_minute negative",
       watchdog("max_cancels_per_minute = -1"),
       {"f.ini: watchdog.max_cancels_per_minute: " + rate + "'-1' (line 2)"}},
      {"watchdog max_cancels_per_minute word",
       watchdog("max_cancels_per_minute = lots"),
       {"f.ini: watchdog.max_cancels_per_minute: " + rate + "'lots' (line 2)"}},
      {"watchdog max_cancels_per_minute rate form",
       watchdog("max_cancels_per_minute = 10/m"),
       {"f.ini: watchdog.max_cancels_per_minute: " + rate + "'10/m' (line 2)"}},
      {"protect query_ids empty",
       protect("query_ids =\n"),
       {"f.ini: protect.query_ids: must list at least one query id (line 2)"}},
      {"protect query_ids empty entry",
       protect("query_ids = a,,b\n"),
       {"f.ini: protect.query_ids: empty entry in the list 'a,,b' (line 2)"}},
      {"protect query_ids trailing comma",
       protect("query_ids = a, \n"),
       {"f.ini: protect.query_ids: empty entry in the list 'a,' (line 2)"}},
      {"protect query_matches bad regex",
       protect("query_matches = (\n"),
       {"f.ini: protect.query_matches: bad regex '(': missing ): ( (line 2)"}},
      {"protect query_matches empty",
       protect("query_matches =\n"),
       {"f.ini: protect.query_matches: empty pattern (remove the key to match every query) (line "
        "2)"}},
      {"protect until date only",
       protect("until = 2026-12-01\nquery_ids = a\n"),
       {"f.ini: protect.until: bad time '2026-12-01'" + rfc + " (line 2)"}},
      {"protect until without a zone",
       protect("until = 2026-12-01T00:00:00\nquery_ids = a\n"),
       {"f.ini: protect.until: bad time '2026-12-01T00:00:00'" + rfc + " (line 2)"}},
      {"protect until month 13",
       protect("until = 2026-13-01T00:00:00Z\nquery_ids = a\n"),
       {"f.ini: protect.until: bad time '2026-13-01T00:00:00Z'" + rfc + " (line 2)"}},
      {"protect until with a space",
       protect("until = 2026-12-01 00:00:00Z\nquery_ids = a\n"),
       {"f.ini: protect.until: bad time '2026-12-01 00:00:00Z'" + rfc + " (line 2)"}},
      {"protect until short offset",
       protect("until = 2026-12-01T00:00:00+2:00\nquery_ids = a\n"),
       {"f.ini: protect.until: bad time '2026-12-01T00:00:00+2:00'" + rfc + " (line 2)"}},
      {"protect with neither ids nor text",
       protect("until = 2026-12-01T00:00:00Z\n"),
       {"f.ini: protect: a protection needs query_ids or query_matches (line 1)"}},
      {"empty protect section",
       protect(""),
       {"f.ini: protect: a protection needs query_ids or query_matches (line 1)"}},
      {"protect unknown key",
       protect("query_excludes = x\nquery_ids = a\n"),
       {"f.ini: protect.query_excludes: unknown key (line 2)"}},
      {"protect bad name",
       "[protect.a b]\nquery_ids = a\n" + kEndpoint + kRule,
       {"f.ini: protect.a b: protection name must use letters, digits, '-', '_' or '.' (line 1)"}},
      {"protect empty name",
       "[protect.]\nquery_ids = a\n" + kEndpoint + kRule,
       {"f.ini: protect.: protection name must use letters, digits, '-', '_' or '.' (line 1)"}},
      {"protection section name case",
       "[Protect]\nquery_ids = a\n" + kEndpoint + kRule,
       {"f.ini: Protect: unknown section (expected watchdog, retry, ha, endpoint.NAME, "
        "cluster.NAME, "
        "rule.NAME, "
        "protect, protect.NAME or notify.NAME) "
        "(line 1)"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const ConfigResult r = parse_config(row.text, "f.ini");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(formatted(r), row.errors);
  }
}

TEST(ParseRfc3339, AcceptsUtcAndOffsetsOnly) {
  struct Row {
    const char* text;
    std::optional<std::time_t> seconds;
  } rows[] = {
      {"2026-12-01T00:00:00Z", 1796083200},
      {"2026-12-01T00:00:00z", 1796083200},
      {"2026-12-01T00:00:00+02:00", 1796076000},
      {"2026-12-01T00:00:00-05:30", 1796103000},
      {"2026-12-01T00:00:00+00:00", 1796083200},
      {"1970-01-01T00:00:00Z", 0},
      {"2026-12-01", std::nullopt},
      {"2026-12-01T00:00:00", std::nullopt},
      {"2026-12-01T00:00Z", std::nullopt},
      {"2026-12-01T24:00:00Z", std::nullopt},
      {"2026-12-01T00:60:00Z", std::nullopt},
      {"2026-00-01T00:00:00Z", std::nullopt},
      {"2026-12-32T00:00:00Z", std::nullopt},
      {"2026-12-01T00:00:00+24:00", std::nullopt},
      {"2026-12-01T00:00:00 UTC", std::nullopt},
      {"2026-12-01T00:00:00ZZ", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.text);
    const auto parsed = parse_rfc3339(row.text);
    if (row.seconds) {
      ASSERT_TRUE(parsed.has_value());
      EXPECT_EQ(std::chrono::system_clock::to_time_t(*parsed), *row.seconds);
    } else {
      EXPECT_EQ(parsed, std::nullopt);
    }
  }
}

TEST(ConfigWarnings, ShadowedAndNeverMatchingRulesAndExpiredProtections) {
  const auto now = epoch(1795608000);  // 2026-11-25T12:00:00Z
  struct Row {
    const char* name;
    std::string text;
    Lines warnings;
  } rows[] = {
      {"distinct filters",
       kEndpoint + "[rule.a]\nmax_elapsed = 1m\nquery_matches = ^MATCH\n"
                   "[rule.b]\nmax_elapsed = 1m\nquery_matches = ^CREATE\n",
       {}},
      {"a catch-all last is fine",
       kEndpoint +
           "[rule.a]\nmax_elapsed = 1m\nquery_matches = ^MATCH\n[rule.all]\nmax_elapsed = 1h\n",
       {}},
      {"shadowed by an earlier catch-all",
       kEndpoint + "[rule.all]\nmax_elapsed = 10m\n"
                   "[rule.reads]\nmax_elapsed = 5m\nquery_matches = ^MATCH\n",
       {"f.ini: rule.reads: never governs a query: [rule.all] comes first and selects every "
        "query"}},
      {"a guard-only catch-all shadows too",
       kEndpoint + "[rule.guard]\nmax_running = 5\n[rule.r]\nmax_elapsed = 5m\n",
       {"f.ini: rule.r: never governs a query: [rule.guard] comes first and selects every query"}},
      {"shadowed by the same filters",
       kEndpoint + "[rule.a]\nmax_elapsed = 1m\nquery_matches = ^MATCH\nquery_excludes = exempt\n"
                   "[rule.b]\nmax_elapsed = 5m\nquery_matches = ^MATCH\nquery_excludes = exempt\n",
       {"f.ini: rule.b: never governs a query: [rule.a] comes first and has the same filters"}},
      {"different excludes are not the same filters",
       kEndpoint + "[rule.a]\nmax_elapsed = 1m\nquery_matches = ^MATCH\nquery_excludes = exempt\n"
                   "[rule.b]\nmax_elapsed = 5m\nquery_matches = ^MATCH\n",
       {}},
      {"an earlier windowed catch-all leaves room",
       kEndpoint + "[rule.day]\nmax_elapsed = 1m\nactive = Mon-Fri "
                   "08:00-18:00\n[rule.all]\nmax_elapsed = 1h\n",
       {}},
      {"each shadowed rule is named once",
       kEndpoint +
           "[rule.all]\nmax_elapsed = 1m\n[rule.x]\nmax_elapsed = 2m\n[rule.y]\nmax_elapsed = 3m\n",
       {"f.ini: rule.x: never governs a query: [rule.all] comes first and selects every query",
        "f.ini: rule.y: never governs a query: [rule.all] comes first and selects every query"}},
      {"an earlier catch-all for another language leaves room",
       kEndpoint +
           "[rule.gremlin]\nmax_elapsed = 1m\nlanguages = gremlin\n[rule.all]\nmax_elapsed = 1h\n",
       {}},
      {"an earlier catch-all for fewer languages leaves room",
       kEndpoint + "[rule.g]\nmax_elapsed = 1m\nlanguages = gremlin\n"
                   "[rule.gs]\nmax_elapsed = 1h\nlanguages = gremlin, sparql\n",
       {}},
      {"an earlier catch-all for every language of a later rule shadows it",
       kEndpoint + "[rule.gs]\nmax_elapsed = 1m\nlanguages = gremlin, sparql\n"
                   "[rule.g]\nmax_elapsed = 1h\nlanguages = gremlin\n",
       {"f.ini: rule.g: never governs a query: [rule.gs] comes first and selects every gremlin, "
        "sparql query"}},
      // Of several earlier rules that shadow a later one, the first in file order is named,
      // whichever way (catch-all of its languages, same filters) it shadows it.
      {"the first shadowing rule is named",
       kEndpoint + "[rule.a]\nmax_elapsed = 1m\nlanguages = gremlin\n"
                   "[rule.b]\nmax_elapsed = 1m\nquery_matches = X\n"
                   "[rule.c]\nmax_elapsed = 1m\n"
                   "[rule.d]\nmax_elapsed = 1m\nquery_matches = X\nlanguages = gremlin\n"
                   "[rule.e]\nmax_elapsed = 1m\nquery_matches = X\nlanguages = sparql\n",
       {"f.ini: rule.d: never governs a query: [rule.a] comes first and selects every gremlin "
        "query",
        "f.ini: rule.e: never governs a query: [rule.b] comes first and has the same filters"}},
      {"excludes that match every text",
       kEndpoint + "[rule.x]\nmax_elapsed = 1m\nquery_excludes = .*\n",
       {"f.ini: rule.x: can never match: query_excludes '.*' matches every text"}},
      {"excludes that match the empty string",
       kEndpoint + "[rule.x]\nmax_elapsed = 1m\nquery_excludes = ^\n",
       {"f.ini: rule.x: can never match: query_excludes '^' matches every text"}},
      {"matches equal to excludes",
       kEndpoint + "[rule.x]\nmax_elapsed = 1m\nquery_matches = backup\nquery_excludes = backup\n",
       {"f.ini: rule.x: can never match: query_matches and query_excludes are the same"}},
      {"expired protection",
       "[protect.old]\nquery_ids = a\nuntil = 2026-01-01T00:00:00Z\n" + kEndpoint + kRule,
       {"f.ini: protect.old.until: expired: this protection no longer protects anything"}},
      {"protection expiring now",
       "[protect]\nquery_ids = a\nuntil = 2026-11-25T12:00:00Z\n" + kEndpoint + kRule,
       {"f.ini: protect.until: expired: this protection no longer protects anything"}},
      {"iam over plain http to a loopback address",
       "[endpoint.tunnel]\nurl = http://127.0.0.1:18182\nauth = iam\nregion = us-east-1\n"
       "[endpoint.v6]\nurl = http://[::1]:18182\nauth = iam\nregion = us-east-1\n"
       "[endpoint.tls]\nurl = https://127.0.0.1:8182\nauth = iam\nregion = us-east-1\n"
       "[endpoint.plain]\nurl = http://127.0.0.1:8183\n" +
           kRule,
       {"f.ini: endpoint.tunnel.url: auth = iam over plain http:// to 127.0.0.1: the signed "
        "requests and the session token go unencrypted to whatever listens on that port of this "
        "machine; prefer https://",
        "f.ini: endpoint.v6.url: auth = iam over plain http:// to ::1: the signed requests and the "
        "session token go unencrypted to whatever listens on that port of this machine; prefer "
        "https://"}},
      {"protection still in force",
       "[protect]\nquery_ids = a\nuntil = 2026-11-25T12:00:01Z\n" + kEndpoint + kRule,
       {}},
      {"a quarantine of a rule that cancels nothing",
       kEndpoint + "[rule.census]\nmax_elapsed = 1m\naction = log\nquarantine = 10m\nquery_matches = ^X\n"
                   "[rule.rehearsal]\nmax_elapsed = 1h\ndry_run = true\nquarantine = 10m\n",
       {"f.ini: rule.census.quarantine: has no effect: a quarantine starts at a cancel, and this "
        "rule only logs (action = log)",
        "f.ini: rule.rehearsal.quarantine: has no effect: a quarantine starts at a cancel, and "
        "this rule cancels nothing in a dry run"}},
      {"an earlier catch-all limited to endpoints leaves room",
       kEndpoint + "[rule.e-only]\nmax_elapsed = 1m\nendpoints = e\n[rule.all]\nmax_elapsed = 1h\n",
       {}},
      {"an earlier catch-all shadows a later rule limited to endpoints",
       kEndpoint + "[rule.all]\nmax_elapsed = 1m\n[rule.e-only]\nmax_elapsed = 1h\nendpoints = e\n",
       {"f.ini: rule.e-only: never governs a query: [rule.all] comes first and selects every "
        "query"}},
      {"endpoint patterns that match no configured endpoint",
       "[endpoint.writer]\nurl = https://w:8182\n[endpoint.reader-1]\nurl = https://r:8182\n"
       "[protect.p]\nquery_ids = a\nendpoints = reader-?, analytics\n"
       "[rule.r]\nmax_elapsed = 1m\nendpoints = writer, reader-*, writr, *-x\n",
       {"f.ini: rule.r.endpoints: 'writr' matches no configured endpoint",
        "f.ini: rule.r.endpoints: '*-x' matches no configured endpoint",
        "f.ini: protect.p.endpoints: 'analytics' matches no configured endpoint"}},
      {"limits shorter than poll_interval",
       "[watchdog]\npoll_interval = 5s\n" + kEndpoint +
           "[rule.fast]\nmax_elapsed = 2s\nmax_waited = 4500ms\n",
       {"f.ini: rule.fast.max_elapsed: 2s is shorter than poll_interval 5s: a query that starts "
        "between two polls "
        "can break it by up to 3s before the next poll sees it",
        "f.ini: rule.fast.max_waited: 4500ms is shorter than poll_interval 5s: a query that starts "
        "between two "
        "polls can break it by up to 500ms before the next poll sees it"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const ConfigResult r = parse_config(row.text, "f.ini");
    ASSERT_EQ(formatted(r), Lines{});
    Lines warnings;
    for (const auto& w : config_warnings(r.config, now)) warnings.push_back(w.format("f.ini"));
    EXPECT_EQ(warnings, row.warnings);
  }
}

TEST(DescribeConfig, ShowsThePolicyKeysAndReparsesToTheSame) {
  const std::string text =
      "[watchdog]\nmax_cancels_per_minute = 10\n" + kEndpoint +
      "[protect]\nquery_ids = b, a\nquery_matches = backup\nuntil = 2026-12-01T02:00:00+02:00\n"
      "[protect.ops]\nquery_ids = x\n"
      "[rule.guarded]\nmax_elapsed = 300s\nquery_matches = ^MATCH\nmax_running = 3\nmax_queued = "
      "0\n"
      "active = Mon-Fri 08:00-18:00 UTC\naction = log\ndry_run = true\nmax_cancels_per_minute = 5\n"
      "[rule.plain]\nmax_waited = 1m\n";
  const ConfigResult r = parse_config(text, "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  const std::string described = describe_config(r.config);
  const char* expected_parts[] = {
      "dry_run = false\nmax_cancels_per_minute = 10\n",
      "\n# protections apply before any rule, budget or guard\n\n[protect]\nquery_ids = a, "
      "b\nquery_matches = backup\n"
      "until = 2026-12-01T00:00:00Z\n\n[protect.ops]\nquery_ids = x\n",
      "\n[rule.guarded]\nmax_elapsed = 5m\nquery_matches = ^MATCH\nmax_running = 3\nmax_queued = "
      "0\n"
      "active = Mon-Fri 08:00-18:00 UTC\naction = log\nsilent = false\ndry_run = "
      "true\nmax_cancels_per_minute = 5\n",
      "\n[rule.plain]\nmax_waited = 1m\naction = cancel\nsilent = false\ndry_run = false\n",
  };
  for (const char* part : expected_parts) {
    SCOPED_TRACE(part);
    EXPECT_NE(described.find(part), std::string::npos) << described;
  }
  EXPECT_LT(described.find("[protect]"), described.find("[rule.guarded]"));
  EXPECT_EQ(
      described.find(
          "max_cancels_per_minute = 5\n\n[rule.plain]\nmax_waited = 1m\naction = cancel\nsilent = "
          "false\ndry_run = false\nmax_cancels"),
      std::string::npos);

  const ConfigResult again = parse_config(described, "f.ini");
  ASSERT_EQ(formatted(again), Lines{}) << described;
  EXPECT_EQ(describe_config(again.config), described);
}

// The core keeps the name only; whether the group exists is the io layer's question
// (nw/io/audit_log.h), asked at start and by --check-config.
TEST(DescribeConfig, ShowsTheAuditGroupOnlyWhenSet) {
  {
    const ConfigResult r = parse_config(kEndpoint + kRule, "f.ini");
    ASSERT_EQ(formatted(r), Lines{});
    EXPECT_EQ(r.config.watchdog.audit_group, "");
    EXPECT_EQ(describe_config(r.config).find("audit_group"), std::string::npos);
  }
  const ConfigResult r =
      parse_config("[watchdog]\naudit_group = fluent-bit\n" + kEndpoint + kRule, "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  EXPECT_EQ(r.config.watchdog.audit_group, "fluent-bit");
  const std::string described = describe_config(r.config);
  EXPECT_NE(described.find("audit_max_files = 10\naudit_group = fluent-bit\nmetrics_listen"),
            std::string::npos)
      << described;
  const ConfigResult again = parse_config(described, "f.ini");
  ASSERT_EQ(formatted(again), Lines{}) << described;
  EXPECT_EQ(again.config.watchdog.audit_group, "fluent-bit");
}

TEST(DescribeConfig, LeavesOutPolicyKeysThatAreNotSet) {
  const ConfigResult r = parse_config(kEndpoint + kRule, "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  const std::string described = describe_config(r.config);
  for (const char* absent : {"max_cancels_per_minute =", "[protect", "# protections", "max_running",
                             "max_queued", "active ="}) {
    SCOPED_TRACE(absent);
    EXPECT_EQ(described.find(absent), std::string::npos) << described;
  }
  EXPECT_NE(described.find(
                "[rule.r]\nmax_elapsed = 5m\naction = cancel\nsilent = false\ndry_run = false\n"),
            std::string::npos)
      << described;
}

// What is in force, without contradiction: no budget is said to be none, and under a global
// dry run no rule is shown as one that cancels.
TEST(DescribeConfig, ShowsAnUnlimitedBudgetAndTheGlobalDryRunAsInForce) {
  const std::string unlimited =
      "# max_cancels_per_minute: unlimited (no budget across endpoints)\n";
  const std::string dry = "# dry_run: true, as [watchdog] dry_run = true\n";
  struct Row {
    const char* name;
    std::string text;
    std::vector<std::string> present, absent;
  } rows[] = {
      {"no budget",
       kEndpoint + kRule,
       {"log_level = info\n" + unlimited, "silent = false\ndry_run = false\n"},
       {"max_cancels_per_minute =", dry}},
      {"a budget",
       "[watchdog]\nmax_cancels_per_minute = 30\n" + kEndpoint + kRule,
       {"max_cancels_per_minute = 30\n"},
       {unlimited}},
      {"global dry run over rules that say otherwise",
       "[watchdog]\ndry_run = true\n" + kEndpoint + kRule +
           "[rule.b]\nmax_waited = 1m\ndry_run = false\n[rule.c]\nmax_running = 5\ndry_run = "
           "true\n",
       {"[watchdog]\npoll_interval = 5s\nschedule = deadline\nconfirm_by_id = false\ndry_run = "
        "true\n",
        "[rule.r]\nmax_elapsed = 5m\naction = cancel\nsilent = false\n" + dry,
        "[rule.b]\nmax_waited = 1m\naction = cancel\nsilent = false\n" + dry,
        "[rule.c]\nmax_running = 5\naction = cancel\nsilent = false\n" + dry},
       {"dry_run = false"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const ConfigResult r = parse_config(row.text, "f.ini");
    ASSERT_EQ(formatted(r), Lines{});
    const std::string described = describe_config(r.config);
    for (const auto& part : row.present)
      EXPECT_NE(described.find(part), std::string::npos) << part << "\nin:\n" << described;
    for (const auto& part : row.absent)
      EXPECT_EQ(described.find(part), std::string::npos) << part << "\nin:\n" << described;
    const ConfigResult again = parse_config(described, "f.ini");
    ASSERT_EQ(formatted(again), Lines{}) << described;
    EXPECT_EQ(describe_config(again.config), described);
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

TEST(ParseConfigLanguages, EndpointAndRuleLanguages) {
  const std::string base = "[endpoint.e]\nurl = http://db:8182\n";
  {
    const auto r =
        parse_config(base +
                         "languages = opencypher, gremlin,sparql\n[rule.r]\nmax_elapsed = 1s\n"
                         "languages = gremlin\n",
                     "f.ini");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.config.endpoints[0].languages,
              (std::vector<Language>{Language::opencypher, Language::gremlin, Language::sparql}));
    EXPECT_EQ(r.config.policy.rules[0].languages, std::set<Language>{Language::gremlin});
    EXPECT_TRUE(r.config.policy.rules[0].covers(Language::gremlin));
    EXPECT_FALSE(r.config.policy.rules[0].covers(Language::sparql));
  }
  {
    const auto r = parse_config(base + "[rule.r]\nmax_elapsed = 1s\n", "f.ini");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.config.endpoints[0].languages, std::vector<Language>{Language::opencypher});
    EXPECT_TRUE(r.config.policy.rules[0].covers(Language::sparql));
  }
  struct Row {
    std::string value;
    std::string error;
  } rows[] = {
      {"cypher",
       "f.ini: endpoint.e.languages: unknown language 'cypher' (expected opencypher, gremlin or "
       "sparql) (line 3)"},
      {"gremlin, gremlin", "f.ini: endpoint.e.languages: 'gremlin' given twice (line 3)"},
      {"gremlin,", "f.ini: endpoint.e.languages: empty entry in the list 'gremlin,' (line 3)"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.value);
    const auto r =
        parse_config(base + "languages = " + row.value + "\n[rule.r]\nmax_elapsed = 1s\n", "f.ini");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].format("f.ini"), row.error);
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// Found by fuzzing: a far-future `until` overflowed the clock and wrapped into the past, so a
// protection meant to last forever silently protected nothing. Such dates are now refused.
TEST(ParseConfigUntil, DatesTheClockCannotHoldAreRefusedNotWrapped) {
  for (const char* date :
       {"9999-12-31T00:00:00Z", "2263-01-01T00:00:00Z", "1013-01-01T00:00:00Z"}) {
    SCOPED_TRACE(date);
    const auto r =
        parse_config(std::string("[endpoint.e]\nurl = http://db:8182\n[rule.r]\nmax_elapsed = 1s\n"
                                 "[protect]\nquery_ids = q\nuntil = ") +
                         date + "\n",
                     "f.ini");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].format("f.ini"), std::string("f.ini: protect.until: bad time '") + date +
                                               "' (use RFC 3339 between 1970 and 2200, e.g. "
                                               "2026-12-01T00:00:00Z) (line 7)");
  }
  const auto far = parse_rfc3339("2200-12-31T23:59:59Z");
  ASSERT_TRUE(far);
  EXPECT_GT(*far, std::chrono::system_clock::from_time_t(4'000'000'000));  // still in the future
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

std::string read_source_file(const std::string& relative) {
  std::ifstream in(std::string(NW_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A comment after a value once turned `query_matches = /\*\s*vip\s*\*/   # never cancel VIP
// traffic` into a regex that matched nothing. Every key refuses it, whatever its value would be.
TEST(ParseConfig, ACommentAfterAnyValueIsAnError) {
  const std::string message =
      "a comment after a value is not allowed: comments go on their own line (in a regex, write "
      "# as [#] or \\x23 and ; as [;] or \\x3b)";
  for (const std::string& key : known_config_keys()) {
    SCOPED_TRACE(key);
    const std::string section = key.substr(0, key.rfind('.'));
    const std::string name = key.substr(key.rfind('.') + 1);
    for (const char* comment : {"  # note", "\t; note"}) {
      const ConfigResult r =
          parse_config("[" + section + "]\n" + name + " = x" + comment + "\n", "f.ini");
      const Lines errors = formatted(r);
      const std::string expected = "f.ini: " + section + "." + name + ": " + message + " (line 2)";
      EXPECT_NE(std::find(errors.begin(), errors.end(), expected), errors.end())
          << ::testing::PrintToString(errors);
    }
  }
  const ConfigResult vip = parse_config(
      rule("query_matches = /\\*\\s*vip\\s*\\*/   # never cancel VIP traffic"), "f.ini");
  EXPECT_EQ(formatted(vip), Lines{"f.ini: rule.x.query_matches: " + message + " (line 2)"});
  // Written as the message says, the same characters are a regex again.
  const ConfigResult literal = parse_config(rule("query_matches = [#] vip \\x23"), "f.ini");
  ASSERT_EQ(formatted(literal), Lines{});
  EXPECT_TRUE(
      re2::RE2::PartialMatch("x # vip #", *literal.config.policy.rules.at(0).query_matches));
}

// Whatever bytes the file (or its path) holds, an error message shows them escaped: a file
// that is not text must not drive the operator's terminal.
TEST(ParseConfig, ControlCharactersAreShownEscapedNeverRaw) {
  const std::string garbage("\x01\x1b[2J\x00\x7f\xff\xfe", 9);
  const std::string text = "[rule.x]\nmax_elapsed = 5m\nquery_matches = a" + garbage + "\n" +
                           garbage + " = 1\n[" + garbage + "]\n" + kEndpoint;
  const ConfigResult r = parse_config(text, "f\x1b.ini");
  Lines errors;
  for (const auto& e : r.errors) errors.push_back(e.format("f\x1b.ini"));
  const std::string tail = ": a configuration file is text (is this file binary or damaged?)";
  EXPECT_EQ(errors, (Lines{"f\\u001b.ini: line 3: control character \\x01 at column 18" + tail,
                           "f\\u001b.ini: line 4: control character \\x01 at column 1" + tail,
                           "f\\u001b.ini: line 5: control character \\x01 at column 2" + tail}));
  for (const auto& line : errors)
    for (const char c : line)
      EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << line;
}

// A key the parser takes but the documentation does not name is a key no operator finds; the
// list comes from the parser's own tables, so a new key cannot be forgotten here.
TEST(ConfigKeys, EveryKeyIsInTheReadmeAndTheProductionExample) {
  const std::string readme = read_source_file("README.md");
  const std::string example = read_source_file("etc/neptune-watchdog/neptune-watchdog.ini");
  ASSERT_FALSE(readme.empty());
  ASSERT_FALSE(example.empty());
  const auto keys = known_config_keys();
  EXPECT_GE(keys.size(), 40u);
  for (const std::string& key : keys) {
    SCOPED_TRACE(key);
    const std::string name = key.substr(key.rfind('.') + 1);
    // As inline code ("`name`", "`name = ...`", "`[section] name`") or a line of an ini example.
    const bool in_readme = readme.find("`" + name + "`") != std::string::npos ||
                           readme.find("`" + name + " = ") != std::string::npos ||
                           readme.find("\n" + name + " = ") != std::string::npos ||
                           readme.find("] " + name + " ") != std::string::npos ||
                           readme.find("] " + name + "`") != std::string::npos;
    EXPECT_TRUE(in_readme) << "README.md does not name " << name;
    // Set, or shown commented out, as "name = value".
    const bool in_example = example.find("\n" + name + " = ") != std::string::npos ||
                            example.find("\n# " + name + " = ") != std::string::npos ||
                            example.find("\n" + name + " =\n") != std::string::npos;
    EXPECT_TRUE(in_example) << "the production example does not show " << name;
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

TEST(ParseConfigEndpoints, RuleAndProtectionEndpoints) {
  const std::string base =
      "[endpoint.writer]\nurl = http://w:8182\n[endpoint.reader-1]\nurl = http://r:8182\n";
  {
    const auto r = parse_config(base +
                                    "[protect.p]\nquery_ids = a\nendpoints = reader-*\n"
                                    "[rule.r]\nmax_elapsed = 1s\nendpoints = writer , reader-?\n",
                                "f.ini");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.config.policy.rules[0].endpoints, (std::vector<std::string>{"writer", "reader-?"}));
    EXPECT_EQ(r.config.policy.protections[0].endpoints, std::vector<std::string>{"reader-*"});
    const std::string described = describe_config(r.config);
    EXPECT_NE(described.find("endpoints = writer, reader-?\n"), std::string::npos) << described;
    EXPECT_NE(described.find("endpoints = reader-*\n"), std::string::npos) << described;
  }
  {
    const auto r = parse_config(base + "[rule.r]\nmax_elapsed = 1s\n", "f.ini");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.config.policy.rules[0].endpoints.empty());
    EXPECT_EQ(describe_config(r.config).find("\nendpoints = "), std::string::npos);
  }
  struct Row {
    std::string value;
    std::string error;
  } rows[] = {
      {"writer,", "f.ini: rule.r.endpoints: empty entry in the list 'writer,' (line 7)"},
      {"writer,,reader-1",
       "f.ini: rule.r.endpoints: empty entry in the list 'writer,,reader-1' (line 7)"},
      {"", "f.ini: rule.r.endpoints: must name at least one endpoint (line 7)"},
      {"reader-[12]",
       "f.ini: rule.r.endpoints: bad endpoint name or glob 'reader-[12]' (use letters, digits, "
       "'-', '_', '.', '/' between a cluster and its instance, and '*' or '?' as wildcards) "
       "(line 7)"},
      {"writer:x",
       "f.ini: rule.r.endpoints: bad endpoint name or glob 'writer:x' (use letters, digits, "
       "'-', '_', '.', '/' between a cluster and its instance, and '*' or '?' as wildcards) "
       "(line 7)"},
      {"writer, writer", "f.ini: rule.r.endpoints: 'writer' given twice (line 7)"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.value);
    const auto r =
        parse_config(base + "[rule.r]\nmax_elapsed = 1s\nendpoints = " + row.value + "\n", "f.ini");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].format("f.ini"), row.error);
  }
}

TEST(ParseConfig, EndpointRoleKeys) {
  const ConfigResult r = parse_config(
      "[endpoint.x]\nurl = https://db:8182\nauth = iam\nregion = eu-west-1\n"
      "role_arn = arn:aws:iam::123456789012:role/ops/neptune-watchdog\nexternal_id = ext-42\n"
      "role_session_name = wd@host.example\n"
      "[endpoint.y]\nurl = https://db2:8182\nauth = iam\nregion = eu-west-1\n"
      "role_arn = arn:aws-cn:iam::123456789012:role/w\n" +
          kRule,
      "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  ASSERT_EQ(r.config.endpoints.size(), 2u);
  const EndpointConfig& x = r.config.endpoints[0];
  EXPECT_EQ(x.role_arn, "arn:aws:iam::123456789012:role/ops/neptune-watchdog");
  EXPECT_EQ(x.external_id, "ext-42");
  EXPECT_EQ(x.role_session_name, "wd@host.example");
  const EndpointConfig& y = r.config.endpoints[1];
  EXPECT_EQ(y.role_arn, "arn:aws-cn:iam::123456789012:role/w");
  EXPECT_EQ(y.external_id, "");
  EXPECT_EQ(y.role_session_name, "neptune-watchdog");
  EXPECT_EQ(r.config.endpoints.size(), 2u);
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

TEST(ParseConfigClusters, TemplateRolesAndDefaults) {
  const auto r = parse_config(
      "[cluster.prod]\ncluster_id = prod-graph\nregion = us-east-1\nlanguages = opencypher, "
      "gremlin\nauth = iam\n[rule.w]\nmax_elapsed = 30s\nroles = writer\nendpoints = prod/*\n"
      "[protect.r]\nquery_ids = a\nroles = reader\n",
      "f.ini");
  ASSERT_TRUE(r.ok()) << r.errors.at(0).format("f.ini");
  ASSERT_EQ(r.config.clusters.size(), 1u);
  const ClusterConfig& k = r.config.clusters[0];
  EXPECT_EQ(k.name, "prod");
  EXPECT_EQ(k.cluster_id, "prod-graph");
  EXPECT_EQ(k.roles, (std::set<InstanceRole>{InstanceRole::writer, InstanceRole::reader}));
  EXPECT_EQ(k.refresh_interval, Millis(60'000));
  EXPECT_TRUE(k.https);
  EXPECT_FALSE(k.management_url);
  EXPECT_EQ(k.instance.region, "us-east-1");
  EXPECT_EQ(k.instance.auth, AuthMode::iam);
  EXPECT_EQ(k.instance.cluster, "prod");
  EXPECT_EQ(k.instance.languages, (std::vector<Language>{Language::opencypher, Language::gremlin}));
  EXPECT_EQ(r.config.policy.rules[0].roles, std::set<InstanceRole>{InstanceRole::writer});
  EXPECT_EQ(r.config.policy.protections[0].roles, std::set<InstanceRole>{InstanceRole::reader});
  const std::string described = describe_config(r.config);
  EXPECT_NE(described.find("[cluster.prod]\ncluster_id = prod-graph\nroles = writer, reader\n"
                           "refresh_interval = 1m\nscheme = https\n"),
            std::string::npos)
      << described;
  // Printed, it parses back to the same.
  const auto again = parse_config(described, "f.ini");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(describe_config(again.config), described);
  EXPECT_TRUE(config_warnings(r.config, epoch(0)).empty());
}

TEST(ParseConfigClusters, RejectsWhatCannotWork) {
  const std::string rule = "[rule.r]\nmax_elapsed = 1s\n";
  struct Row {
    std::string section;
    std::vector<std::string> errors;
  } rows[] = {
      {"[cluster.prod]\nregion = us-east-1\n",
       {"f.ini: cluster.prod.cluster_id: missing required key (the DB cluster identifier) (line "
        "1)"}},
      {"[cluster.prod]\ncluster_id = prod\n",
       {"f.ini: cluster.prod.region: missing required key (the cluster's region, e.g. us-east-1: "
        "the management API is signed for it) (line 1)"}},
      {"[cluster.prod]\ncluster_id = 1prod\nregion = us-east-1\n",
       {"f.ini: cluster.prod.cluster_id: bad cluster identifier '1prod' (1 to 63 letters, digits "
        "or hyphens, starting with a letter) (line 2)"}},
      {"[cluster.prod]\ncluster_id = prod\nregion = us-east-1\nroles = primary\n",
       {"f.ini: cluster.prod.roles: unknown role 'primary' (expected writer, reader or both) (line "
        "4)"}},
      {"[cluster.prod]\ncluster_id = prod\nregion = us-east-1\nurl = https://x:8182\n",
       {"f.ini: cluster.prod.url: unknown key (line 4)"}},
      {"[cluster.prod]\ncluster_id = prod\nregion = us-east-1\nmanagement_url = "
       "http://rds.example\n",
       {"f.ini: cluster.prod.management_url: needs https://: the management requests are signed "
        "and carry the session token (http:// is accepted only for a loopback host: 127.0.0.0/8, "
        "::1 or localhost) (line 4)"}},
      {"[cluster.prod]\ncluster_id = prod\nregion = us-east-1\nrefresh_interval = 10ms\n",
       {"f.ini: cluster.prod.refresh_interval: must be at least 1s (line 4)"}},
      {"[cluster.a]\ncluster_id = prod\nregion = us-east-1\n[cluster.b]\ncluster_id = prod\n"
       "region = us-east-1\n",
       {"f.ini: cluster.b.cluster_id: prod in us-east-1 is already watched by [cluster.a]"}},
      {"[cluster.prod/x]\ncluster_id = prod\nregion = us-east-1\n",
       {"f.ini: cluster.prod/x: cluster name must use letters, digits, '-', '_' or '.' (line 1)"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.section);
    const auto r = parse_config(row.section + rule, "f.ini");
    std::vector<std::string> got;
    for (const auto& e : r.errors) got.push_back(e.format("f.ini"));
    EXPECT_EQ(got, row.errors);
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// ---- [ha]: replicas that share the fleet through etcd ----

std::string ha(const std::string& lines) {
  return "[ha]\n" + lines + kEndpoint + kRule;
}

TEST(ParseConfigHa, AbsentUnlessTheFileHasTheSection) {
  const ConfigResult r = parse_config(kEndpoint + kRule, "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  EXPECT_FALSE(r.config.ha.has_value());
  EXPECT_EQ(describe_config(r.config).find("[ha]"), std::string::npos);
}

TEST(ParseConfigHa, DefaultsForEveryOmittedKey) {
  const ConfigResult r = parse_config(ha("etcd = http://127.0.0.1:2379\n"), "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  ASSERT_TRUE(r.config.ha.has_value());
  const HaSettings& h = *r.config.ha;
  EXPECT_EQ(h.etcd, (std::vector<std::string>{"http://127.0.0.1:2379"}));
  EXPECT_EQ(h.group, "default");
  EXPECT_EQ(h.replica, "");  // the host name, filled in by the daemon
  EXPECT_EQ(h.lease_ttl, Millis(10'000));
  EXPECT_EQ(h.request_timeout, Millis(3'000));
  EXPECT_EQ(h.ca_file, "");
  EXPECT_EQ(h.cert_file, "");
  EXPECT_EQ(h.key_file, "");
  EXPECT_EQ(h.username, "");
  EXPECT_EQ(h.password_file, "");
}

TEST(ParseConfigHa, AcceptsGoodValuesOfEveryKey) {
  const ConfigResult r = parse_config(
      ha("etcd = https://Etcd-1.example:2379/, https://etcd-2.example:2379,https://[::1]:2379\n"
         "group = prod-eu.1\nreplica = host_7\nlease_ttl = 1m\nrequest_timeout = 19s\n"
         "ca_file = /etc/etcd/ca.pem\ncert_file = /etc/etcd/client.pem\n"
         "key_file = /etc/etcd/client-key.pem\nusername = watchdog\n"
         "password_file = /etc/neptune-watchdog/etcd-password\n"),
      "f.ini");
  ASSERT_EQ(formatted(r), Lines{});
  const HaSettings& h = r.config.ha.value();
  EXPECT_EQ(h.etcd,
            (std::vector<std::string>{"https://etcd-1.example:2379", "https://etcd-2.example:2379",
                                      "https://[::1]:2379"}));
  EXPECT_EQ(h.group, "prod-eu.1");
  EXPECT_EQ(h.replica, "host_7");
  EXPECT_EQ(h.lease_ttl, Millis(60'000));
  EXPECT_EQ(h.request_timeout, Millis(19'000));
  EXPECT_EQ(h.ca_file, "/etc/etcd/ca.pem");
  EXPECT_EQ(h.cert_file, "/etc/etcd/client.pem");
  EXPECT_EQ(h.key_file, "/etc/etcd/client-key.pem");
  EXPECT_EQ(h.username, "watchdog");
  EXPECT_EQ(h.password_file, "/etc/neptune-watchdog/etcd-password");
  // The bounds themselves.
  for (const char* lines :
       {"lease_ttl = 3s\nrequest_timeout = 999ms\n", "lease_ttl = 5m\nrequest_timeout = 99s\n",
        "request_timeout = 100ms\n", "request_timeout = 3333ms\n"}) {
    SCOPED_TRACE(lines);
    EXPECT_EQ(formatted(parse_config(ha("etcd = http://e:2379\n" + std::string(lines)), "f.ini")),
              Lines{});
  }
}

TEST(ParseConfigHa, ACancelMustFitInHalfTheLease) {
  // Left out, an endpoint's request_timeout defaults to a third of the lease with replicas.
  const ConfigResult fits = parse_config("[ha]\netcd = http://e:2379\n" + kEndpoint +
                                             "[cluster.c]\ncluster_id = c\nregion = r\n" + kRule,
                                         "f.ini");
  ASSERT_EQ(formatted(fits), Lines{});
  EXPECT_EQ(fits.config.endpoints[0].request_timeout, Millis(3333));
  EXPECT_EQ(fits.config.clusters[0].instance.request_timeout, Millis(3333));
  // Written longer, it is an error naming both keys.
  const ConfigResult too_long = parse_config(
      "[ha]\netcd = http://e:2379\n" + kEndpoint + "request_timeout = 6s\n" + kRule, "f.ini");
  EXPECT_EQ(formatted(too_long),
            Lines{"f.ini: endpoint.e.request_timeout: 6s is more than half of ha.lease_ttl (10s): "
                  "with replicas a cancel is sent only while the lease is sure to outlive it; "
                  "lower request_timeout or raise ha.lease_ttl"});
  // Without replicas the default stays.
  EXPECT_EQ(parse_config(kEndpoint + kRule, "f.ini").config.endpoints[0].request_timeout,
            Millis(10'000));
}

TEST(ParseConfigHa, RejectsBadValuesWithExactMessages) {
  const std::string etcd = "etcd = http://e:2379\n";
  const std::string tls = "etcd = https://e:2379\n";
  const std::string bad_duration = " (use a whole number with ms, s, m or h, e.g. 300s)";
  struct Row {
    const char* name;
    std::string text;
    Lines errors;
  } rows[] = {
      {"no etcd",
       ha("group = g\n"),
       {"f.ini: ha.etcd: missing required key (the etcd client URLs, e.g. https://etcd-1:2379, "
        "https://etcd-2:2379) (line 1)"}},
      {"etcd empty",
       ha("etcd =\n"),
       {"f.ini: ha.etcd: must list at least one etcd client URL (line 2)"}},
      {"etcd empty entry",
       ha("etcd = http://a:2379,,http://b:2379\n"),
       {"f.ini: ha.etcd: empty entry in the list 'http://a:2379,,http://b:2379' (line 2)"}},
      {"etcd other scheme",
       ha("etcd = grpc://e:2379\n"),
       {"f.ini: ha.etcd: bad etcd URL 'grpc://e:2379': must start with http:// or https:// (line "
        "2)"}},
      {"etcd without a port",
       ha("etcd = https://e\n"),
       {"f.ini: ha.etcd: bad etcd URL 'https://e': needs a port (etcd's client port is usually "
        "2379) (line 2)"}},
      {"etcd IPv6 without a port",
       ha("etcd = https://[::1]\n"),
       {"f.ini: ha.etcd: bad etcd URL 'https://[::1]': needs a port (etcd's client port is "
        "usually 2379) (line 2)"}},
      {"etcd with a path",
       ha("etcd = http://e:2379/v3\n"),
       {"f.ini: ha.etcd: bad etcd URL 'http://e:2379/v3': must be scheme://HOST:PORT, without a "
        "path or query (line 2)"}},
      {"etcd with a query",
       ha("etcd = http://e:2379?x=1\n"),
       {"f.ini: ha.etcd: bad etcd URL 'http://e:2379?x=1': must be scheme://HOST:PORT, without a "
        "path or query (line 2)"}},
      {"etcd with a user",
       ha("etcd = http://root:secret@e:2379\n"),
       {"f.ini: ha.etcd: bad etcd URL: must not hold a user or password (use username and "
        "password_file) (line 2)"}},
      {"etcd bad port",
       ha("etcd = http://e:99999\n"),
       {"f.ini: ha.etcd: bad etcd URL 'http://e:99999': bad port '99999' (line 2)"}},
      {"etcd twice once normalised",
       ha("etcd = http://e:2379, http://E:2379/\n"),
       {"f.ini: ha.etcd: etcd URL 'http://e:2379' given twice (line 2)"}},
      {"group with a slash",
       ha(etcd + "group = a/b\n"),
       {"f.ini: ha.group: bad name 'a/b' (use letters, digits, '-', '_' or '.': it becomes part "
        "of etcd keys) (line 3)"}},
      {"group empty",
       ha(etcd + "group =\n"),
       {"f.ini: ha.group: must not be empty (leave the key out for the group 'default') (line "
        "3)"}},
      {"replica with a blank",
       ha(etcd + "replica = a b\n"),
       {"f.ini: ha.replica: bad name 'a b' (use letters, digits, '-', '_' or '.': it becomes part "
        "of etcd keys) (line 3)"}},
      {"replica empty",
       ha(etcd + "replica =\n"),
       {"f.ini: ha.replica: must not be empty (leave the key out for the host name) (line 3)"}},
      {"lease_ttl bare number",
       ha(etcd + "lease_ttl = 10\n"),
       {"f.ini: ha.lease_ttl: bad duration '10'" + bad_duration + " (line 3)"}},
      {"lease_ttl too short",
       ha(etcd + "lease_ttl = 2s\n"),
       {"f.ini: ha.lease_ttl: must be at least 3s (line 3)"}},
      {"lease_ttl too long",
       ha(etcd + "lease_ttl = 301s\n"),
       {"f.ini: ha.lease_ttl: must be at most 5m (line 3)"}},
      {"lease_ttl not whole seconds",
       ha(etcd + "lease_ttl = 4500ms\n"),
       {"f.ini: ha.lease_ttl: must be a whole number of seconds (etcd grants leases in seconds), "
        "got '4500ms' (line 3)"}},
      {"request_timeout too short",
       ha(etcd + "request_timeout = 50ms\n"),
       {"f.ini: ha.request_timeout: must be at least 100ms (line 3)"}},
      {"request_timeout a third of the default lease",
       ha(etcd + "request_timeout = 3334ms\n"),
       {"f.ini: ha.request_timeout: 3334ms must be less than a third of ha.lease_ttl (10s): a "
        "keep-alive must be able to finish within a third of the lease (line 3)"}},
      {"lease_ttl too short for the default request_timeout",
       ha(etcd + "lease_ttl = 9s\n"),
       {"f.ini: ha.request_timeout: 3s must be less than a third of ha.lease_ttl (9s): a "
        "keep-alive must be able to finish within a third of the lease (line 3)"}},
      {"a refused lease_ttl is not compared",
       ha(etcd + "lease_ttl = 1s\nrequest_timeout = 4s\n"),
       {"f.ini: ha.lease_ttl: must be at least 3s (line 3)"}},
      {"ca_file empty", ha(tls + "ca_file =\n"), {"f.ini: ha.ca_file: must not be empty (line 3)"}},
      {"TLS files with http:// only",
       ha("etcd = http://a:2379, http://b:2379\nca_file = /ca.pem\ncert_file = /c.pem\n"
          "key_file = /k.pem\n"),
       {"f.ini: ha.ca_file: only used with https:// etcd URLs (line 3)",
        "f.ini: ha.cert_file: only used with https:// etcd URLs (line 4)",
        "f.ini: ha.key_file: only used with https:// etcd URLs (line 5)"}},
      {"TLS files with one https:// member",
       ha("etcd = http://a:2379, https://b:2379\nca_file = /ca.pem\n"),
       {}},
      {"cert_file alone",
       ha(tls + "cert_file = /c.pem\n"),
       {"f.ini: ha.cert_file: given without key_file (a client certificate needs its key: both "
        "or neither) (line 3)"}},
      {"key_file alone",
       ha(tls + "key_file = /k.pem\n"),
       {"f.ini: ha.key_file: given without cert_file (a client certificate needs its key: both "
        "or neither) (line 3)"}},
      {"username alone",
       ha(etcd + "username = watchdog\n"),
       {"f.ini: ha.username: given without password_file (the password is read from "
        "password_file: both or neither) (line 3)"}},
      {"password_file alone",
       ha(etcd + "password_file = /p\n"),
       {"f.ini: ha.password_file: given without username (the password is that user's: both or "
        "neither) (line 3)"}},
      {"a password in the file",
       ha(etcd + "username = watchdog\npassword = hunter2\npassword_file = /p\n"),
       {"f.ini: ha.password: unknown key; the password is read from password_file so that it is "
        "never in this file (line 4)"}},
      {"an unknown key", ha(etcd + "ttl = 10s\n"), {"f.ini: ha.ttl: unknown key (line 3)"}},
      {"the section twice",
       ha(etcd) + "[ha]\n" + etcd,
       {"f.ini: ha: section appears twice (line 7)"}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(formatted(parse_config(row.text, "f.ini")), row.errors);
  }
}

TEST(DescribeConfigHa, PrintsEffectiveValuesAndReparsesToTheSame) {
  struct Row {
    const char* name;
    std::string lines;
    std::string expected;
  } rows[] = {
      {"defaults", "etcd = http://127.0.0.1:2379\n",
       "\n# replicas share the fleet through etcd\n[ha]\netcd = http://127.0.0.1:2379\n"
       "group = default\nlease_ttl = 10s\nrequest_timeout = 3s\n# replica: the host name\n"
       "\n[endpoint.e]\n"},
      {"every key",
       "etcd = https://Etcd-1:2379/,https://etcd-2:2379\ngroup = eu\nreplica = r1\n"
       "lease_ttl = 60000ms\nrequest_timeout = 2000ms\nca_file = /ca.pem\ncert_file = /c.pem\n"
       "key_file = /k.pem\nusername = wd\npassword_file = /p\n",
       "\n# replicas share the fleet through etcd\n[ha]\n"
       "etcd = https://etcd-1:2379, https://etcd-2:2379\ngroup = eu\nreplica = r1\n"
       "lease_ttl = 1m\nrequest_timeout = 2s\nca_file = /ca.pem\ncert_file = /c.pem\n"
       "key_file = /k.pem\nusername = wd\npassword_file = /p\n\n[endpoint.e]\n"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const ConfigResult r = parse_config(ha(row.lines), "f.ini");
    ASSERT_EQ(formatted(r), Lines{});
    const std::string described = describe_config(r.config);
    EXPECT_NE(described.find("[retry]\nmax_attempts = 5\ninitial_backoff = 100ms\nmax_backoff = "
                             "5s\n" +
                             row.expected),
              std::string::npos)
        << described;
    const ConfigResult again = parse_config(described, "f.ini");
    ASSERT_EQ(formatted(again), Lines{}) << described;
    ASSERT_TRUE(again.config.ha.has_value());
    EXPECT_EQ(again.config.ha->etcd, r.config.ha->etcd);
    EXPECT_EQ(again.config.ha->lease_ttl, r.config.ha->lease_ttl);
    EXPECT_EQ(describe_config(again.config), described);
  }
}

TEST(ConfigKeysHa, TheHaKeysAreKnown) {
  const auto keys = known_config_keys();
  for (const char* key :
       {"ha.etcd", "ha.group", "ha.replica", "ha.lease_ttl", "ha.request_timeout", "ha.ca_file",
        "ha.cert_file", "ha.key_file", "ha.username", "ha.password_file"}) {
    SCOPED_TRACE(key);
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end());
  }
  EXPECT_EQ(std::find(keys.begin(), keys.end(), "ha.password"), keys.end());
}

}  // namespace
}  // namespace nw
