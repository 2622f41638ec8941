#pragma once
// The whole configuration as typed values, parsed and validated once at start-up. After
// parse_config() no code looks up a string key.
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nw/core/backoff.h"
#include "nw/core/connect_to.h"
#include "nw/core/duration.h"
#include "nw/core/endpoint_url.h"
#include "nw/core/policy.h"
#include "nw/core/rfc3339.h"

namespace nw {

enum class ApiForm { rest, legacy };
enum class AuthMode { none, iam };
enum class LogLevel { trace, debug, info, warn, error };
// deadline: besides polling every poll_interval, wake when a seen query is due to break its
// limit and act on it then (see nw/core/deadline.h). fixed: act only on what each poll shows.
enum class Schedule { deadline, fixed };

std::string_view to_string(ApiForm api);
std::string_view to_string(LogLevel level);
std::string_view to_string(Schedule schedule);

// One Neptune *instance* endpoint: status is per instance, so every instance is listed.
struct EndpointConfig {
  std::string name;  // the NAME of [endpoint.NAME]; appears in logs and the audit
  EndpointUrl url;
  ApiForm api = ApiForm::rest;
  bool include_waiting = true;
  Millis request_timeout{10'000};
  // Status and cancel bodies larger than this are refused rather than buffered, so memory stays
  // bounded whatever the peer sends. The default is the largest list Neptune can send: 8,192
  // queued queries (its queue limit) plus 2 x vCPU running ones (384 on a 192-vCPU instance),
  // each text cut at 1,024 characters of up to 6 bytes once escaped (a control character as
  // \u00XX), plus about 300 bytes of id, clocks and layout: 8,576 x 6,444 bytes = 52.7 MiB,
  // rounded up to 56 MiB. A smaller default would let whoever fills the queue with such texts
  // blind the watchdog when it matters most. Typical texts make an 8,192-query list of 2-12 MB.
  std::uint64_t max_response_bytes = 56ull << 20;
  AuthMode auth = AuthMode::none;
  std::string region;   // required with auth = iam
  std::string profile;  // the shared-files profile for auth = iam; empty: AWS_PROFILE or default
  // Cross-account access: the role assumed with STS AssumeRole, using the credentials of the
  // chain above (profile or default), whose credentials then sign this endpoint's requests.
  std::string role_arn;  // empty: the chain's own credentials sign
  std::string external_id;
  std::string role_session_name = "neptune-watchdog";  // kDefaultRoleSessionName
  std::string ca_file;  // empty: the system trust store. Verification is never off.
  // Verify the certificate (and send SNI and Host) for this name while connecting to `url`:
  // for an SSH tunnel or port-forward (url = https://127.0.0.1:8182).
  std::string tls_server_name;
  // The query languages whose status this instance is polled for, each by its own loop.
  std::vector<Language> languages = {Language::opencypher};
  // Dial another address for this host (a port-forward, a test's loopback server); TLS, SNI,
  // Host and the signature keep the real name (nw/core/connect_to.h).
  std::vector<ConnectTo> connect_to;

  // Not keys of the file: an instance a [cluster.NAME] section discovered (named
  // "NAME/INSTANCE_ID") has its cluster section's NAME and its role at discovery; a typed
  // endpoint has neither.
  std::string cluster;
  InstanceRole role = InstanceRole::unknown;
};

// One [cluster.NAME] section: a Neptune DB cluster whose instances the watchdog finds through
// the management API (DescribeDBClusters, DescribeDBInstances) and follows as they come, go
// and fail over. Each `available` instance of a role in `roles` is watched as an endpoint named
// "NAME/INSTANCE_ID", built from `instance` (the template: every [endpoint.NAME] key but url)
// and the address and port discovery found.
struct ClusterConfig {
  std::string name;        // the NAME of [cluster.NAME]
  std::string cluster_id;  // the DB cluster identifier
  std::set<InstanceRole> roles = {InstanceRole::writer, InstanceRole::reader};
  Millis refresh_interval{60'000};
  // The management API; unset: AWS_ENDPOINT_URL_RDS, AWS_ENDPOINT_URL, then
  // https://rds.REGION.amazonaws.com.
  std::optional<EndpointUrl> management_url;
  // How discovered instances are reached: https (Neptune's) or http (a simulator, a tunnel).
  bool https = true;
  EndpointConfig instance;  // the template; its url is unused, region is required
};

// What a [notify.NAME] section is told about (nw/core/notification.h).
enum class NotifyOn { cancelled, given_up, budget_exhausted, paused, quarantine };
std::string_view to_string(NotifyOn on);
// How a webhook's message is written: {"events": [...]} or Slack's {"text": "..."}.
enum class NotifyFormat { json, slack };

// Where a webhook posts: scheme, host, port and the target (path and query, "/" at least).
// The target may be the secret (Slack's incoming-webhook URLs are): logs name only the origin.
struct WebhookUrl {
  EndpointUrl origin;
  std::string target = "/";
  std::string to_string() const;  // "https://hooks.example.com:443/services/..."
};
// Accepts "http[s]://host[:port][/path][?query]", without credentials or a fragment; http://
// only for a loopback host (what is posted names queries and may carry a secret header).
std::optional<WebhookUrl> parse_webhook_url(std::string_view text, std::string& error);

// One [notify.NAME] section: which events, and the one sink they go to (nw/app/notifier.h).
struct NotifyConfig {
  std::string name;  // the NAME of [notify.NAME]; the `sink` label of its metrics
  std::set<NotifyOn> on = {NotifyOn::cancelled, NotifyOn::given_up};
  std::vector<std::string> rules;  // none: events of every rule
  Millis batch_window{10'000};     // at most one message per window
  Millis timeout{5'000};           // per request (webhook, SNS)
  // Sink 1: a webhook.
  std::optional<WebhookUrl> webhook;
  NotifyFormat format = NotifyFormat::json;
  // Sent with every request; values may be secrets: never logged nor printed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string ca_file;  // empty: the system trust store
  // Sink 2: a program, run without a shell, the batch as JSON on its standard input.
  std::string command;            // an absolute path
  std::vector<std::string> args;  // its arguments
  Millis command_timeout{10'000};
  // Sink 3: an SNS topic; the region is the ARN's. Signed through the credential chain of
  // `profile` (empty: the default chain) and `role_arn`, like endpoints.
  std::string sns_topic_arn;
  std::string profile;
  std::string role_arn;
  std::optional<EndpointUrl> sns_url;  // unset: https://sns.REGION.amazonaws.com

  // The region of sns_topic_arn ("" without one).
  std::string sns_region() const;
};

// Why `arn` is not arn:PARTITION:sns:REGION:ACCOUNT:NAME of a standard topic; nullopt when it is.
std::optional<std::string> sns_topic_arn_problem(const std::string& arn);

struct WatchdogSettings {
  Millis poll_interval{5000};  // longest gap between two polls of an endpoint
  Schedule schedule = Schedule::deadline;
  // Under schedule = deadline: ask Neptune for a query's status by id at its crossing and
  // decide on that answer, instead of on the poll's observation advanced by the time since.
  // One more request per crossing; for clients that choose their own query ids and may reuse
  // one, whose new query a projection could otherwise mistake for the old.
  bool confirm_by_id = false;
  // `audit_log = PATH`, `journal`, or both (`journal, PATH`): the file (empty when the audit
  // goes to the journal only) and whether records also go to the journal.
  std::string audit_log = "/var/log/neptune-watchdog/audit.jsonl";
  bool audit_journal = false;
  // The file rotates before it would exceed audit_max_size (0: never; for logrotate, which
  // signals SIGUSR1 to reopen), keeping audit_max_files rotated files.
  std::uint64_t audit_max_size = 100ull << 20;
  int audit_max_files = 10;
  // The group that may read the audit files the daemon creates (0640 and this group instead of
  // 0600), for a log shipper running under a group of its own; empty: none. Only the name is
  // kept here: the io layer resolves it (nw/io/audit_log.h).
  std::string audit_group;
  // Where the quarantined query shapes are kept across restarts (written atomically when they
  // change); empty: in memory only, kept across reloads but not restarts.
  std::string quarantine_state;
  // The admin socket (nw/io/admin_socket.h) for `status`, `top`, `cancel`, `protect`, `pause`
  // and `resume` while the daemon runs; empty: none. admin_group: who may use it besides root
  // and the daemon's user (the socket's group, mode 0660). Both read at start.
  std::string admin_socket;
  std::string admin_group;
  // While this file exists, cancelling is paused (like pt-kill's --sentinel); empty: none.
  std::string pause_sentinel;
  LogLevel log_level = LogLevel::info;
  // Prometheus /metrics and /healthz on this host:port (e.g. 127.0.0.1:9464); empty: off.
  std::string metrics_listen;
  // When an audit record cannot be written: stop cancelling until one can (pause), or go on
  // cancelling without a record (continue).
  bool pause_on_audit_failure = true;
  // Threads that run every endpoint's polls and cancels. While some are held by slow peers,
  // up to three times as many run (nw/app/scheduler.h).
  int workers = 4;
  // Cancels of one endpoint (and language) sent at the same time; more wait their turn.
  int max_cancels_in_flight = 4;
};

// The [ha] section: replicas of the daemon that share the fleet through etcd (docs/HA.md). Absent:
// one daemon watches everything, as without replicas. Every key takes effect at the next start.
struct HaSettings {
  std::vector<std::string> etcd;  // client URLs, scheme://host:port, no two alike
  std::string group = "default";  // part of the etcd key prefix /neptune-watchdog/GROUP/
  std::string replica;            // empty: the host name (filled in by the daemon)
  Millis lease_ttl{10'000};       // a whole number of seconds, 3s to 5m
  Millis request_timeout{3'000};  // at least 100ms, less than a third of lease_ttl
  // https:// only: trust (empty: the system store) and, both or neither, a client certificate.
  std::string ca_file, cert_file, key_file;
  // etcd auth, both or neither; the password is read from password_file, never from this file.
  std::string username, password_file;
};

struct WatchdogConfig {
  std::string origin;   // the file it came from
  std::string version;  // first 12 hex digits of the file's SHA-256; in every audit record
  WatchdogSettings watchdog;
  RetrySettings retry;
  std::optional<HaSettings> ha;             // present iff the file has an [ha] section
  std::vector<EndpointConfig> endpoints;    // in file order
  std::vector<ClusterConfig> clusters;      // in file order
  Policy policy;                            // rules in file order, and [watchdog] dry_run
  std::vector<NotifyConfig> notifications;  // the [notify.NAME] sections, in file order
};

struct ConfigError {
  std::string key;  // "section.key", or "section" for a section-level problem
  std::string message;
  int line = 0;  // 0 when the problem has no single line (e.g. a missing key)

  // "FILE: section.key: message (line N)"
  std::string format(std::string_view origin) const;
};

struct ConfigResult {
  WatchdogConfig config;
  std::vector<ConfigError> errors;  // every problem found, in file order; empty means valid
  bool ok() const { return errors.empty(); }
};

// Parses and validates the text of a config file. `origin` names it in errors.
// Unknown sections and keys, bad values and missing required keys are all errors: a watchdog
// that cancels queries fails closed on a typo. `zones` resolves the tz database names of
// windows (nw/core/time_window.h); without it such a name is an error.
ConfigResult parse_config(std::string_view text, std::string origin, ZoneLookup zones = {});

// The effective configuration, defaults filled in, in the file's own syntax (what
// --check-config prints): each key written by the printer declared with its parser
// (nw/core/config_schema.h), in declaration order, keys not set left out. Parsed again, it
// gives the same configuration.
std::string describe_config(const WatchdogConfig& config);

// One [endpoint.NAME] section as describe_config prints it: every key with its effective
// value. (A reload compares endpoints key by key: endpoint_restart_changes.)
std::string describe_endpoint(const EndpointConfig& endpoint);
// One [cluster.NAME] section, the same way: its own keys, then its instances' template.
std::string describe_cluster(const ClusterConfig& cluster);
// One [notify.NAME] section, the same way (header values printed as <hidden>).
std::string describe_notify(const NotifyConfig& notify);

// Every key the configuration file takes, as "watchdog.poll_interval", "retry.max_attempts",
// "endpoint.NAME.url", "rule.NAME.max_elapsed", "protect.until" (protect.NAME takes the same):
// from the parser's own key tables (nw/core/config_schema.h), so that documentation can be
// checked against them.
std::vector<std::string> known_config_keys();

// Valid but probably not what the operator meant: a rule that an earlier rule shadows
// completely, a rule that can never match, an expired protection.
std::vector<ConfigError> config_warnings(const WatchdogConfig& config,
                                         std::chrono::system_clock::time_point now);

}  // namespace nw
