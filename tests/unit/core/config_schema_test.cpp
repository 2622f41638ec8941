#include "nw/core/config_schema.h"

#include <algorithm>
#include <charconv>
#include <ostream>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace nw {

// For gtest's messages; found by argument-dependent lookup, hence outside the unnamed namespace.
void PrintTo(const KeyChange& c, std::ostream* os) {
  *os << c.key << ": " << c.before << " -> " << c.after;
}

namespace {

using Changes = std::vector<KeyChange>;

// Every key of every kind of section set to something other than its default, so that each
// printer has a value to write.
const std::string kEveryKey =
    "[watchdog]\npoll_interval = 2s\nschedule = fixed\nconfirm_by_id = true\ndry_run = true\n"
    "max_cancels_per_minute = 30\naudit_log = journal, /tmp/a.jsonl\naudit_max_size = 1M\n"
    "audit_max_files = 3\naudit_group = adm\nquarantine_state = "
    "/var/lib/neptune-watchdog/quarantine.json\nadmin_socket = /run/neptune-watchdog/admin.sock\n"
    "admin_group = adm\npause_sentinel = /run/neptune-watchdog/pause\n"
    "metrics_listen = 127.0.0.1:9464\n"
    "on_audit_failure = continue\nworkers = 8\nmax_cancels_in_flight = 2\nlog_level = debug\n"
    "[retry]\nmax_attempts = 3\ninitial_backoff = 200ms\nmax_backoff = 10s\n"
    "[ha]\netcd = https://etcd-1:2379, https://etcd-2:2379\ngroup = prod\nreplica = wd-1\n"
    "lease_ttl = 1m\nrequest_timeout = 2s\nca_file = /etc/etcd/ca.pem\n"
    "cert_file = /etc/etcd/client.pem\nkey_file = /etc/etcd/client-key.pem\n"
    "username = watchdog\npassword_file = /etc/neptune-watchdog/etcd-password\n"
    "[endpoint.writer]\nurl = https://127.0.0.1:8182\napi = legacy\ninclude_waiting = false\n"
    "request_timeout = 30s\nmax_response_bytes = 1M\nauth = iam\nregion = eu-west-1\n"
    "profile = ops\nrole_arn = arn:aws:iam::210987654321:role/watchdog\nexternal_id = ext-7\n"
    "role_session_name = wd-eu\nca_file = /etc/ssl/n.pem\ntls_server_name = db-1.example\n"
    "languages = gremlin, sparql\nconnect_to = db-1.example:8182=127.0.0.1:18182\n"
    "[cluster.prod]\ncluster_id = prod-graph\nroles = reader\nrefresh_interval = 30s\n"
    "management_url = http://127.0.0.1:9000\nscheme = https\napi = legacy\n"
    "include_waiting = false\nrequest_timeout = 30s\nmax_response_bytes = 1M\nauth = iam\n"
    "region = eu-west-1\nprofile = ops\nrole_arn = arn:aws:iam::210987654321:role/watchdog\n"
    "external_id = ext-7\nrole_session_name = wd-eu\nca_file = /etc/ssl/n.pem\n"
    "tls_server_name = db-1.example\nlanguages = gremlin, sparql\n"
    "connect_to = *.sim.internal=127.0.0.1\n"
    "[protect.ops]\nquery_ids = a, b\nquery_matches = backup\nuntil = 2026-12-01T00:00:00Z\n"
    "endpoints = writer\nroles = writer\n"
    "[rule.r]\nmax_elapsed = 5m\nmax_waited = 1m\nquery_matches = ^MATCH\n"
    "query_excludes = exempt\nmax_running = 3\nmax_queued = 0\n"
    "max_running_per_fingerprint = 2\nmax_queued_per_fingerprint = 4\nquarantine = 10m\n"
    "active = Mon-Fri 08:00-18:00 UTC\naction = log\nsilent = true\ndry_run = true\n"
    "max_cancels_per_minute = 5\nlanguages = gremlin\nendpoints = writer, reader-?, *-analytics\n"
    "roles = writer, reader\n"
    // One section per sink: together they set every [notify.NAME] key.
    "[notify.chat]\non = cancelled, paused\nrules = r\nbatch_window = 30s\ntimeout = 2s\n"
    "webhook = https://hooks.example.com/services/T0/B0\nformat = slack\n"
    "headers = X-Team: dba\nca_file = /etc/ssl/hooks.pem\n"
    "[notify.pager]\ncommand = /usr/local/bin/page-oncall\nargs = --team, dba\n"
    "command_timeout = 20s\n"
    "[notify.topic]\nsns_topic_arn = arn:aws:sns:eu-west-1:210987654321:oncall\nprofile = ops\n"
    "role_arn = arn:aws:iam::210987654321:role/notify\nsns_url = http://127.0.0.1:9001\n";

// The sinks' keys a notify section of another sink leaves unset.
bool other_sinks_key(const std::string& section, const std::string& key) {
  static const std::set<std::string> sink_keys = {
      "webhook",       "format",  "headers",  "ca_file", "command", "args", "command_timeout",
      "sns_topic_arn", "profile", "role_arn", "sns_url", "rules",   "on",   "batch_window",
      "timeout"};
  return section.rfind("notify.", 0) == 0 && sink_keys.count(key) > 0;
}

const std::string kBase = "[endpoint.e]\nurl = https://db:8182\n[rule.r]\nmax_elapsed = 5m\n";

WatchdogConfig parsed(const std::string& text) {
  ConfigResult r = parse_config(text, "f.ini");
  for (const auto& e : r.errors) ADD_FAILURE() << e.format("f.ini");
  return std::move(r.config);
}

// "watchdog.workers" for "[watchdog] workers": the form known_config_keys() uses.
std::string generic_key(const std::string& section, const std::string& key) {
  if (section.rfind("endpoint.", 0) == 0) return "endpoint.NAME." + key;
  if (section.rfind("cluster.", 0) == 0) return "cluster.NAME." + key;
  if (section.rfind("rule.", 0) == 0) return "rule.NAME." + key;
  if (section.rfind("protect", 0) == 0) return "protect." + key;
  if (section.rfind("notify.", 0) == 0) return "notify.NAME." + key;
  return section + "." + key;
}

// An entry cannot be declared without a printer or a reload policy: ConfigKey has no other
// constructor, and a KeyCodec needs both its parser and its printer.
static_assert(!std::is_default_constructible_v<ConfigKey>);
static_assert(!std::is_constructible_v<ConfigKey, std::string, KeyParser, Reload>);
static_assert(!std::is_constructible_v<ConfigKey, std::string, KeyCodec>);
static_assert(!std::is_constructible_v<KeyCodec, KeyParser>);

// And no entry holds an empty function: every key of every table, of a file that sets them
// all, has a parser, a printer that writes its value, and a unique name.
TEST(ConfigSchema, EveryKeyHasAParserAndAPrinterThatWritesItsValue) {
  WatchdogConfig config = parsed(kEveryKey);
  std::set<std::string> seen;
  const auto sections = config_sections(config);
  ASSERT_EQ(sections.size(), 10u);
  for (const auto& section : sections) {
    std::set<std::string> names;
    for (const auto& key : section.keys) {
      SCOPED_TRACE(section.name + "." + key.name);
      EXPECT_TRUE(names.insert(key.name).second) << "declared twice";
      ASSERT_TRUE(key.parse);
      ASSERT_TRUE(key.print);
      if (other_sinks_key(section.name, key.name) && !key.print()) continue;
      EXPECT_TRUE(key.print().has_value()) << "set in the file but not printed";
      seen.insert(generic_key(section.name, key.name));
    }
  }
  // The file above sets every key there is: a new key is added to it, and so gets printed.
  const auto known = known_config_keys();
  EXPECT_EQ(seen, std::set<std::string>(known.begin(), known.end()));
}

// What is printed is read back as the same value, key by key.
TEST(ConfigSchema, EveryPrintedValueParsesBackToItself) {
  WatchdogConfig config = parsed(kEveryKey);
  for (const auto& section : config_sections(config)) {
    for (const auto& key : section.keys) {
      SCOPED_TRACE(section.name + "." + key.name);
      const auto printed = key.print();
      if (other_sinks_key(section.name, key.name) && !printed) continue;
      ASSERT_TRUE(printed);
      EXPECT_EQ(key.parse(*printed), std::nullopt);
      EXPECT_EQ(key.print(), printed);
    }
  }
}

// No key holds a credential; the auth key prints the mode only.
TEST(ConfigSchema, AnIamEndpointPrintsItsModeRegionAndProfileOnly) {
  const WatchdogConfig config = parsed(kEveryKey);
  EXPECT_EQ(describe_endpoint(config.endpoints.at(0)),
            "[endpoint.writer]\nurl = https://127.0.0.1:8182\napi = legacy\n"
            "include_waiting = false\nrequest_timeout = 30s\nmax_response_bytes = 1048576\n"
            "auth = iam\nregion = eu-west-1\nprofile = ops\n"
            "role_arn = arn:aws:iam::210987654321:role/watchdog\nexternal_id = ext-7\n"
            "role_session_name = wd-eu\nca_file = /etc/ssl/n.pem\n"
            "tls_server_name = db-1.example\nlanguages = gremlin, sparql\n"
            "connect_to = db-1.example:8182=127.0.0.1:18182\n");
}

// Without a role there is no session to name: the default is printed only with role_arn.
TEST(ConfigSchema, TheDefaultSessionNameIsPrintedWithARoleOnly) {
  const WatchdogConfig plain = parsed(
      "[endpoint.e]\nurl = https://db:8182\nauth = iam\nregion = us-east-1\n"
      "[rule.r]\nmax_elapsed = 5m\n");
  EXPECT_EQ(describe_endpoint(plain.endpoints.at(0)).find("role"), std::string::npos);
  const WatchdogConfig role = parsed(
      "[endpoint.e]\nurl = https://db:8182\nauth = iam\nregion = us-east-1\n"
      "role_arn = arn:aws:iam::123456789012:role/w\n[rule.r]\nmax_elapsed = 5m\n");
  EXPECT_NE(describe_endpoint(role.endpoints.at(0))
                .find("role_arn = arn:aws:iam::123456789012:role/w\n"
                      "role_session_name = neptune-watchdog\n"),
            std::string::npos);
  // A new role replaces the endpoint's loops, as a new profile does.
  EndpointConfig other = role.endpoints.at(0);
  other.role_arn = "arn:aws:iam::123456789012:role/v";
  const auto changes = endpoint_restart_changes(role.endpoints.at(0), other);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "role_arn");
}

// A made-up section: which keys a comparison reports comes from their declarations alone.
struct Toy {
  int speed = 1;
  int threads = 4;
  int port = 80;
};

KeyCodec toy_int(int& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), target);
            if (ec != std::errc() || end != v.data() + v.size()) return "not a number";
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> { return std::to_string(target); }};
}

KeyTable toy_keys(Toy& t) {
  return {
      {"speed", toy_int(t.speed), Reload::live},
      {"threads", toy_int(t.threads), Reload::next_start},
      {"port", toy_int(t.port), Reload::restarts_watch},
  };
}

TEST(ConfigSchema, ChangedKeysReportsTheKeysDeclaredWithTheGivenPolicy) {
  struct Row {
    const char* name;
    Toy after;
    Reload reload;
    Changes expected;
  } rows[] = {
      {"nothing changed", {1, 4, 80}, Reload::next_start, {}},
      {"a live key changed", {2, 4, 80}, Reload::next_start, {}},
      {"a next_start key changed", {2, 8, 80}, Reload::next_start, {{"threads", "4", "8"}}},
      {"the live ones", {2, 8, 81}, Reload::live, {{"speed", "1", "2"}}},
      {"the restarting ones", {2, 8, 81}, Reload::restarts_watch, {{"port", "80", "81"}}},
  };
  for (auto& row : rows) {
    SCOPED_TRACE(row.name);
    Toy before;
    EXPECT_EQ(changed_keys(toy_keys(before), toy_keys(row.after), row.reload), row.expected);
  }
}

TEST(ConfigSchema, RestartOnlyChangesListsTheKeysAReloadLeavesForTheNextStart) {
  struct Row {
    const char* name;
    std::string after;
    Changes expected;
  } rows[] = {
      {"the same file", "", {}},
      {"workers", "[watchdog]\nworkers = 8\n", {{"watchdog.workers", "4", "8"}}},
      {"workers among live keys",
       "[watchdog]\npoll_interval = 1s\nworkers = 2\nlog_level = debug\n[retry]\nmax_attempts = "
       "2\n",
       {{"watchdog.workers", "4", "2"}}},
      {"live keys only", "[watchdog]\npoll_interval = 1s\nmetrics_listen = 127.0.0.1:9464\n", {}},
      {"an endpoint's key restarts its watch instead",
       "[endpoint.x]\nurl = https://other:8182\n",
       {}},
  };
  const WatchdogConfig before = parsed(kBase + "[endpoint.x]\nurl = https://db-2:8182\n");
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const std::string x = row.after.find("[endpoint.x]") == std::string::npos
                              ? "[endpoint.x]\nurl = https://db-2:8182\n"
                              : "";
    const WatchdogConfig after = parsed(row.after + kBase + x);
    EXPECT_EQ(restart_only_changes(before, after), row.expected);
  }
}

// Every key declared next_start is reported when it changes, with no list of them elsewhere:
// each is set, in turn, to the value a file that sets every key gives it.
TEST(ConfigSchema, EveryNextStartKeyIsReportedWhenItChanges) {
  const WatchdogConfig defaults = parsed(kBase);
  WatchdogConfig full = parsed(kEveryKey);
  for (const auto& section : config_sections(full)) {
    if (section.name != "watchdog" && section.name != "retry") continue;
    for (const auto& key : section.keys) {
      if (key.reload != Reload::next_start) continue;
      SCOPED_TRACE(section.name + "." + key.name);
      const std::string line = key.name + " = " + key.print().value_or("") + "\n";
      const WatchdogConfig after = parsed("[" + section.name + "]\n" + line + kBase);
      const Changes changes = restart_only_changes(defaults, after);
      ASSERT_EQ(changes.size(), 1u);
      EXPECT_EQ(changes[0].key, section.name + "." + key.name);
    }
  }
}

// Every [ha] key waits for the next start, and so does the section coming or going: the
// replica joins its group once.
TEST(ConfigSchema, RestartOnlyChangesReportEveryHaKeyAndTheSectionComingOrGoing) {
  const std::string etcd = "[ha]\netcd = http://127.0.0.1:2379\n";
  struct Row {
    const char* name;
    std::string before, after;
    Changes expected;
  } rows[] = {
      {"the same section", etcd, etcd, {}},
      {"lease_ttl", etcd, etcd + "lease_ttl = 30s\n", {{"ha.lease_ttl", "10s", "30s"}}},
      {"another member",
       etcd,
       "[ha]\netcd = http://127.0.0.1:2379, http://127.0.0.1:22379\n",
       {{"ha.etcd", "http://127.0.0.1:2379", "http://127.0.0.1:2379, http://127.0.0.1:22379"}}},
      {"a replica name set",
       etcd,
       etcd + "replica = wd-2\ngroup = eu\n",
       {{"ha.group", "default", "eu"}, {"ha.replica", "(not set)", "wd-2"}}},
      {"credentials",
       etcd,
       etcd + "username = wd\npassword_file = /p\n",
       {{"ha.username", "(not set)", "wd"}, {"ha.password_file", "(not set)", "/p"}}},
      {"the section added", "", etcd, {{"ha", "(none)", "group default at http://127.0.0.1:2379"}}},
      {"the section removed",
       etcd + "group = eu\n",
       "",
       {{"ha", "group eu at http://127.0.0.1:2379", "(none)"}}},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(restart_only_changes(parsed(row.before + kBase), parsed(row.after + kBase)),
              row.expected);
  }
  // Each key of a file that sets them all, in turn, against the defaults.
  const WatchdogConfig defaults = parsed(etcd + kBase);
  WatchdogConfig full = parsed(kEveryKey);
  for (const auto& section : config_sections(full)) {
    if (section.name != "ha") continue;
    for (const auto& key : section.keys) {
      SCOPED_TRACE(key.name);
      EXPECT_EQ(key.reload, Reload::next_start);
      HaSettings changed = *defaults.ha;
      for (const auto& target : ha_keys(changed)) {
        if (target.name == key.name) {
          EXPECT_EQ(target.parse(key.print().value_or("")), std::nullopt);
        }
      }
      WatchdogConfig after = defaults;
      after.ha = changed;
      const Changes changes = restart_only_changes(defaults, after);
      ASSERT_EQ(changes.size(), 1u);
      EXPECT_EQ(changes[0].key, "ha." + key.name);
    }
  }
}

TEST(ConfigSchema, EndpointRestartChangesNameTheKeysThatDiffer) {
  struct Row {
    const char* name;
    std::string after;
    Changes expected;
  } rows[] = {
      {"the same", "", {}},
      {"request_timeout", "request_timeout = 30s\n", {{"request_timeout", "10s", "30s"}}},
      {"a key set that was not",
       "tls_server_name = db-1.example\n",
       {{"tls_server_name", "(not set)", "db-1.example"}}},
      {"auth and region",
       "auth = iam\nregion = eu-west-1\n",
       {{"auth", "none", "iam"}, {"region", "(not set)", "eu-west-1"}}},
      {"the order of the languages (the loops are made in that order)",
       "languages = gremlin, opencypher\n",
       {{"languages", "opencypher, gremlin", "gremlin, opencypher"}}},
  };
  const std::string head = "[endpoint.e]\nurl = https://db:8182\n";
  const std::string rule = "[rule.r]\nmax_elapsed = 5m\n";
  const WatchdogConfig before = parsed(head + "languages = opencypher, gremlin\n" + rule);
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const bool languages = row.after.find("languages") != std::string::npos;
    const WatchdogConfig after =
        parsed(head + row.after + (languages ? "" : "languages = opencypher, gremlin\n") + rule);
    EXPECT_EQ(endpoint_restart_changes(before.endpoints.at(0), after.endpoints.at(0)),
              row.expected);
  }
}

}  // namespace
}  // namespace nw
