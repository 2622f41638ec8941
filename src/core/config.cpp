#include "nw/core/config.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "nw/core/audit_record.h"
#include "nw/core/config_schema.h"
#include "nw/core/deadline.h"
#include "nw/core/ini.h"
#include "nw/core/rule_matcher.h"

namespace nw {

std::string_view to_string(ApiForm api) {
  return api == ApiForm::rest ? "rest" : "legacy";
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

std::string_view to_string(Schedule schedule) {
  return schedule == Schedule::fixed ? "fixed" : "deadline";
}

std::string_view to_string(NotifyOn on) {
  switch (on) {
    case NotifyOn::cancelled:
      return "cancelled";
    case NotifyOn::given_up:
      return "given_up";
    case NotifyOn::budget_exhausted:
      return "budget_exhausted";
    case NotifyOn::paused:
      return "paused";
    case NotifyOn::quarantine:
      return "quarantine";
  }
  return "cancelled";
}

std::string WebhookUrl::to_string() const {
  std::string origin_text = origin.to_string();
  return origin_text + target;
}

std::optional<WebhookUrl> parse_webhook_url(std::string_view text, std::string& error) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    error = "must start with https:// (or http:// for a loopback host)";
    return std::nullopt;
  }
  const auto target_start = text.find_first_of("/?#", scheme_end + 3);
  const std::string_view origin_text = text.substr(0, target_start);
  std::string target =
      target_start == std::string_view::npos ? "/" : std::string(text.substr(target_start));
  if (target.find('#') != std::string::npos) {
    error = "must not have a fragment (#...)";
    return std::nullopt;
  }
  if (target.front() == '?') target.insert(0, "/");
  for (unsigned char c : target)
    if (c <= 0x20 || c >= 0x7f) {
      error = "the path must be percent-encoded (no spaces, controls or non-ASCII bytes)";
      return std::nullopt;
    }
  auto origin = parse_endpoint_url(origin_text, error);
  if (!origin) return std::nullopt;
  if (!origin->https && !is_loopback_host(origin->host)) {
    error =
        "needs https://: what is posted names queries and may carry a secret header (http:// is "
        "accepted only for a loopback host: 127.0.0.0/8, ::1 or localhost)";
    return std::nullopt;
  }
  return WebhookUrl{*origin, std::move(target)};
}

std::optional<std::string> sns_topic_arn_problem(const std::string& arn) {
  const std::string expected =
      " (expected arn:aws:sns:REGION:ACCOUNT:TOPIC, e.g. "
      "arn:aws:sns:us-east-1:123456789012:oncall)";
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto colon = arn.find(':', start);
    parts.push_back(arn.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  const auto all_of = [](const std::string& s, auto allowed) {
    return !s.empty() && std::all_of(s.begin(), s.end(), allowed);
  };
  if (parts.size() != 6 || parts[0] != "arn" || parts[2] != "sns")
    return "bad topic ARN '" + arn + "'" + expected;
  if (!all_of(parts[1], [](unsigned char c) { return std::islower(c) || c == '-'; }))
    return "bad partition '" + parts[1] + "' in topic ARN" + expected;
  if (!all_of(parts[3],
              [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; }))
    return "bad region '" + parts[3] + "' in topic ARN" + expected;
  if (parts[4].size() != 12 || !all_of(parts[4], [](unsigned char c) { return std::isdigit(c); }))
    return "bad account '" + parts[4] + "' in topic ARN (12 digits)" + expected;
  const std::string& topic = parts[5];
  if (topic.size() > 256 || !all_of(topic, [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
      }))
    return "bad topic name '" + topic + "' (1 to 256 letters, digits, '-' or '_')";
  // A FIFO topic needs a message group and deduplication id on every Publish.
  if (topic.size() > 5 && topic.compare(topic.size() - 5, 5, ".fifo") == 0)
    return "FIFO topics are not supported (use a standard topic)";
  if (topic.find('.') != std::string::npos)
    return "bad topic name '" + topic + "' (1 to 256 letters, digits, '-' or '_')";
  return std::nullopt;
}

std::string NotifyConfig::sns_region() const {
  if (sns_topic_arn.empty()) return "";
  std::size_t at = 0;
  for (int i = 0; i < 3 && at != std::string::npos; ++i) at = sns_topic_arn.find(':', at + 1);
  if (at == std::string::npos) return "";
  const auto end = sns_topic_arn.find(':', at + 1);
  return sns_topic_arn.substr(at + 1, end - at - 1);
}

std::string ConfigError::format(std::string_view origin) const {
  std::string out = terminal_safe(origin);  // a path given on the command line
  out += ": ";
  // Keys and messages can quote the file's own bytes: never raw controls on a terminal.
  if (!key.empty())
    out += terminal_safe(key) + ": ";
  else if (line > 0)
    out += "line " + std::to_string(line) + ": ";
  out += terminal_safe(message);
  if (line > 0 && !key.empty()) out += " (line " + std::to_string(line) + ")";
  return out;
}

namespace {

bool valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// Whether the glob `pattern` can match an instance of cluster `cluster` ("CLUSTER/INSTANCE_ID")
// whatever its id: its part before the first '/' matches the cluster's name, or it has no '/'
// and a '*' could span one.
bool may_match_instance_of(const std::string& pattern, const std::string& cluster) {
  const auto slash = pattern.find('/');
  if (slash != std::string::npos) return glob_matches(pattern.substr(0, slash), cluster);
  return glob_matches(pattern, cluster + "/x");
}

class ConfigBuilder {
 public:
  ConfigBuilder(std::string origin, ZoneLookup zones) : zones_(std::move(zones)) {
    result_.config.origin = std::move(origin);
  }

  ConfigResult build(const IniDocument& doc) {
    for (const auto& e : doc.errors) error(e.key, e.message, e.line);
    // Endpoints and rules are stored first so the key parsers can bind to stable addresses.
    for (const auto& section : doc.sections) reserve(section);
    std::size_t endpoint = 0, cluster = 0, rule = 0, protect = 0, notify = 0;
    for (const auto& section : doc.sections) {
      if (section.name == "watchdog")
        apply(section, watchdog_keys(result_.config));
      else if (section.name == "retry")
        apply(section, retry_keys(result_.config.retry));
      else if (section.name == "ha")
        ha_section(section);
      else if (is_kind(section.name, "endpoint."))
        endpoint_section(section, endpoint++);
      else if (is_kind(section.name, "cluster."))
        cluster_section(section, cluster++);
      else if (is_kind(section.name, "rule."))
        rule_section(section, rule++);
      else if (section.name == "protect" || is_kind(section.name, "protect."))
        protect_section(section, protect++);
      else if (is_kind(section.name, "notify."))
        notify_section(section, notify++);
      else
        error(section.name,
              "unknown section (expected watchdog, retry, ha, endpoint.NAME, cluster.NAME, "
              "rule.NAME, protect, protect.NAME or notify.NAME)",
              section.line);
    }
    check_whole();
    // One compiled matcher per configuration version, shared by every poll loop's memo.
    if (result_.errors.empty())
      result_.config.policy.matcher =
          std::make_shared<const RuleMatcher>(result_.config.policy.rules);
    std::stable_sort(result_.errors.begin(), result_.errors.end(),
                     [](const ConfigError& a, const ConfigError& b) {
                       return (a.line == 0 ? 1 << 30 : a.line) < (b.line == 0 ? 1 << 30 : b.line);
                     });
    return std::move(result_);
  }

 private:
  static bool is_kind(const std::string& name, std::string_view prefix) {
    return name.rfind(prefix, 0) == 0;
  }

  void error(std::string key, std::string message, int line) {
    result_.errors.push_back({std::move(key), std::move(message), line});
  }

  void reserve(const IniSection& section) {
    auto& c = result_.config;
    if (section.name == "ha") {
      c.ha.emplace();
    } else if (is_kind(section.name, "endpoint.")) {
      c.endpoints.emplace_back();
      c.endpoints.back().name = section.name.substr(9);
    } else if (is_kind(section.name, "cluster.")) {
      c.clusters.emplace_back();
      c.clusters.back().name = section.name.substr(8);
    } else if (is_kind(section.name, "rule.")) {
      c.policy.rules.emplace_back();
      c.policy.rules.back().name = section.name.substr(5);
    } else if (section.name == "protect" || is_kind(section.name, "protect.")) {
      c.policy.protections.emplace_back();
      c.policy.protections.back().section = section.name;
    } else if (is_kind(section.name, "notify.")) {
      c.notifications.emplace_back();
      c.notifications.back().name = section.name.substr(7);
    }
  }

  // A key no table declares. A password is refused with where it goes instead: a secret in
  // the configuration file would be in every copy of it, and in its backups.
  static std::string unknown_key_message(const std::string& key) {
    if (key == "ha.password")
      return "unknown key; the password is read from password_file so that it is never in this "
             "file";
    return "unknown key";
  }

  void apply(const IniSection& section, const KeyTable& keys) {
    for (const auto& entry : section.entries) {
      const std::string key = section.name + "." + entry.key;
      auto it = std::find_if(keys.begin(), keys.end(),
                             [&](const ConfigKey& k) { return k.name == entry.key; });
      if (it == keys.end()) {
        error(key, unknown_key_message(key), entry.line);
        continue;
      }
      if (entry.comment_refused) continue;  // its error is the comment's
      if (auto problem = it->parse(entry.value)) error(key, *problem, entry.line);
    }
  }

 public:
  // "watchdog.poll_interval", "endpoint.NAME.url", "protect.until", ...: from the key tables
  // (nw/core/config_schema.h), in their declaration order.
  static std::vector<std::string> all_keys() {
    std::vector<std::string> out;
    const auto add = [&out](const std::string& prefix, const KeyTable& table) {
      for (const auto& key : table) out.push_back(prefix + key.name);
    };
    WatchdogConfig config;
    add("watchdog.", watchdog_keys(config));
    add("retry.", retry_keys(config.retry));
    HaSettings ha;
    add("ha.", ha_keys(ha));
    EndpointConfig endpoint;
    add("endpoint.NAME.", endpoint_keys(endpoint));
    ClusterConfig cluster;
    add("cluster.NAME.", cluster_keys(cluster));
    Rule rule;
    add("rule.NAME.", rule_keys(rule));
    Protection protection;
    add("protect.", protect_keys(protection));
    NotifyConfig notify;
    add("notify.NAME.", notify_keys(notify));
    return out;
  }

 private:
  void ha_section(const IniSection& section) {
    HaSettings& h = *result_.config.ha;
    const std::size_t errors_before = result_.errors.size();
    apply(section, ha_keys(h));
    // Whether a key's own value was refused (or not parsed): checks that combine it with
    // another wait for a good one. Only this section's errors can name it.
    const auto refused = [&](const std::string& key) {
      const IniEntry* const entry = entry_of(section, key);
      return entry != nullptr &&
             (entry->comment_refused ||
              std::any_of(result_.errors.begin() + static_cast<std::ptrdiff_t>(errors_before),
                          result_.errors.end(),
                          [&](const ConfigError& e) { return e.key == "ha." + key; }));
    };
    if (line_of(section, "etcd") == 0)
      error("ha.etcd",
            "missing required key (the etcd client URLs, e.g. https://etcd-1:2379, "
            "https://etcd-2:2379)",
            section.line);
    const bool any_https = std::any_of(h.etcd.begin(), h.etcd.end(), [](const std::string& url) {
      return url.rfind("https://", 0) == 0;
    });
    if (line_of(section, "etcd") != 0 && !refused("etcd") && !any_https)
      for (const char* key : {"ca_file", "cert_file", "key_file"})
        if (line_of(section, key) != 0)
          error(std::string("ha.") + key, "only used with https:// etcd URLs",
                line_of(section, key));
    const auto together = [&](const char* key, const char* other, const char* why) {
      if (line_of(section, key) != 0 && line_of(section, other) == 0)
        error(std::string("ha.") + key, std::string("given without ") + other + " (" + why + ")",
              line_of(section, key));
    };
    together("cert_file", "key_file", "a client certificate needs its key: both or neither");
    together("key_file", "cert_file", "a client certificate needs its key: both or neither");
    together("username", "password_file",
             "the password is read from password_file: both or neither");
    together("password_file", "username", "the password is that user's: both or neither");
    // A keep-alive that takes longer than a third of the lease leaves no time to try another
    // member before the lease, and the replica's share of the fleet, is lost.
    if (!refused("request_timeout") && !refused("lease_ttl") &&
        3 * h.request_timeout >= h.lease_ttl) {
      const int line = line_of(section, "request_timeout") != 0
                           ? line_of(section, "request_timeout")
                       : line_of(section, "lease_ttl") != 0 ? line_of(section, "lease_ttl")
                                                            : section.line;
      error("ha.request_timeout",
            format_duration(h.request_timeout) + " must be less than a third of ha.lease_ttl (" +
                format_duration(h.lease_ttl) +
                "): a keep-alive must be able to finish within a third of the lease",
            line);
    }
  }

  void endpoint_section(const IniSection& section, std::size_t index) {
    EndpointConfig& e = result_.config.endpoints[index];
    if (!valid_name(e.name))
      error(section.name, "endpoint name must use letters, digits, '-', '_' or '.'", section.line);
    const std::size_t errors_before = result_.errors.size();
    apply(section, endpoint_keys(e));
    if (line_of(section, "request_timeout") != 0) timeout_set_.insert(section.name);

    const std::string url_key = section.name + ".url";
    if (line_of(section, "url") == 0) error(url_key, "missing required key", section.line);
    // The url's own error is reported; a check that depends on its scheme waits for a good one.
    // Only this section's errors can name its url (a duplicate is the tokenizer's, and leaves
    // the first url in force; one with a comment was not parsed): looking at every error would
    // make many sections quadratic.
    const IniEntry* const url_entry = entry_of(section, "url");
    const bool url_ok =
        url_entry != nullptr && !url_entry->comment_refused &&
        std::none_of(result_.errors.begin() + static_cast<std::ptrdiff_t>(errors_before),
                     result_.errors.end(),
                     [&](const ConfigError& problem) { return problem.key == url_key; });
    if (e.auth == AuthMode::iam && e.region.empty())
      error(section.name + ".region",
            "required with auth = iam (the cluster's region, e.g. us-east-1)", section.line);
    // A signed request carries the session token and can be replayed by whoever reads it.
    if (e.auth == AuthMode::iam && url_ok && !e.url.https && !is_loopback_host(e.url.host))
      error(url_key,
            "auth = iam needs https://: over plain http:// the signed requests and the session "
            "token would cross the network in the clear (http:// is accepted only for a loopback "
            "host: 127.0.0.0/8, ::1 or localhost)",
            line_of(section, "url"));
    if (!e.profile.empty() && e.auth != AuthMode::iam)
      error(section.name + ".profile", "only used with auth = iam", line_of(section, "profile"));
    if (!e.role_arn.empty() && e.auth != AuthMode::iam)
      error(section.name + ".role_arn", "only used with auth = iam (the role's credentials sign)",
            line_of(section, "role_arn"));
    for (const char* key : {"external_id", "role_session_name"})
      if (line_of(section, key) != 0 && line_of(section, "role_arn") == 0)
        error(section.name + "." + key, "only used with role_arn", line_of(section, key));
    if (!e.ca_file.empty() && url_ok && !e.url.https)
      error(section.name + ".ca_file", "set for a plain http:// url", line_of(section, "ca_file"));
    if (!e.tls_server_name.empty() && url_ok && !e.url.https)
      error(section.name + ".tls_server_name", "set for a plain http:// url",
            line_of(section, "tls_server_name"));
  }

  void cluster_section(const IniSection& section, std::size_t index) {
    ClusterConfig& k = result_.config.clusters[index];
    if (!valid_name(k.name))
      error(section.name, "cluster name must use letters, digits, '-', '_' or '.'", section.line);
    apply(section, cluster_keys(k));
    if (line_of(section, "request_timeout") != 0) timeout_set_.insert(section.name);
    EndpointConfig& e = k.instance;
    e.cluster = k.name;
    if (line_of(section, "cluster_id") == 0)
      error(section.name + ".cluster_id", "missing required key (the DB cluster identifier)",
            section.line);
    // The management API is signed for a region whatever the instances' auth.
    if (e.region.empty())
      error(section.name + ".region",
            "missing required key (the cluster's region, e.g. us-east-1: the management API is "
            "signed for it)",
            section.line);
    if (k.management_url && !k.management_url->https && !is_loopback_host(k.management_url->host))
      error(section.name + ".management_url",
            "needs https://: the management requests are signed and carry the session token "
            "(http:// is accepted only for a loopback host: 127.0.0.0/8, ::1 or localhost)",
            line_of(section, "management_url"));
    if (!e.profile.empty() && e.auth != AuthMode::iam)
      error(section.name + ".profile",
            "only used with auth = iam (the management API is signed with the default chain)",
            line_of(section, "profile"));
    // role_arn without auth = iam is allowed here: the management requests are signed with the
    // role even when the instances take unsigned requests.
    for (const char* key : {"external_id", "role_session_name"})
      if (line_of(section, key) != 0 && line_of(section, "role_arn") == 0)
        error(section.name + "." + key, "only used with role_arn", line_of(section, key));
    if (!e.ca_file.empty() && !k.https)
      error(section.name + ".ca_file", "set with scheme = http", line_of(section, "ca_file"));
    if (!e.tls_server_name.empty() && !k.https)
      error(section.name + ".tls_server_name", "set with scheme = http",
            line_of(section, "tls_server_name"));
  }

  void rule_section(const IniSection& section, std::size_t index) {
    Rule& r = result_.config.policy.rules[index];
    if (!valid_name(r.name))
      error(section.name, "rule name must use letters, digits, '-', '_' or '.'", section.line);
    apply(section, rule_keys(r, zones_));
    bool has_limit = false;
    for (const char* key : {"max_elapsed", "max_waited", "max_running", "max_queued",
                            "max_running_per_fingerprint", "max_queued_per_fingerprint"})
      has_limit = has_limit || line_of(section, key) != 0;
    if (!has_limit)
      error(section.name,
            "a rule needs at least one limit (max_elapsed, max_waited, max_running, max_queued, "
            "max_running_per_fingerprint or max_queued_per_fingerprint)",
            section.line);
    if (r.quarantine && r.quarantine->count() < 1000)
      error(section.name + ".quarantine",
            "must be at least 1s: how long after the rule's last cancel of a shape new queries "
            "of that shape are cancelled on sight (e.g. quarantine = 10m)",
            line_of(section, "quarantine"));
    // A zero limit is broken by every query the rule selects: with action = cancel that is a
    // cancel of everything it selects, which is never what a limit is for. Recording them all
    // (action = log) is a legitimate census, so it stays allowed.
    if (r.action == RuleAction::log) return;
    const char* const only_record = ", or action = log to only record them";
    if (r.max_elapsed && r.max_elapsed->count() == 0)
      error(section.name + ".max_elapsed",
            std::string("0s would cancel every running query this rule selects as soon as it is "
                        "seen: write the longest a query may run (e.g. max_elapsed = 300s)") +
                only_record,
            line_of(section, "max_elapsed"));
    if (r.max_waited && r.max_waited->count() == 0)
      error(section.name + ".max_waited",
            std::string("0s would cancel every queued query this rule selects as soon as it is "
                        "seen: write the longest a query may wait (e.g. max_waited = 60s)") +
                only_record,
            line_of(section, "max_waited"));
    if (r.max_running && *r.max_running == 0)
      error(section.name + ".max_running",
            std::string("0 would cancel every running query this rule selects: write how many "
                        "may run at once (e.g. max_running = 20)") +
                only_record,
            line_of(section, "max_running"));
    if (r.max_running_per_fingerprint && *r.max_running_per_fingerprint == 0)
      error(section.name + ".max_running_per_fingerprint",
            std::string("0 would cancel every running query this rule selects: write how many "
                        "copies of one query shape may run at once (e.g. "
                        "max_running_per_fingerprint = 3)") +
                only_record,
            line_of(section, "max_running_per_fingerprint"));
  }

  void protect_section(const IniSection& section, std::size_t index) {
    Protection& p = result_.config.policy.protections[index];
    if (section.name != "protect" && !valid_name(section.name.substr(8)))
      error(section.name, "protection name must use letters, digits, '-', '_' or '.'",
            section.line);
    apply(section, protect_keys(p));
    if (line_of(section, "query_ids") == 0 && line_of(section, "query_matches") == 0)
      error(section.name, "a protection needs query_ids or query_matches", section.line);
  }

  void notify_section(const IniSection& section, std::size_t index) {
    NotifyConfig& n = result_.config.notifications[index];
    if (!valid_name(n.name))
      error(section.name, "notification name must use letters, digits, '-', '_' or '.'",
            section.line);
    apply(section, notify_keys(n));
    const char* const sinks[] = {"webhook", "command", "sns_topic_arn"};
    std::string given;
    for (const char* sink : sinks)
      if (line_of(section, sink) != 0) given += (given.empty() ? "" : ", ") + std::string(sink);
    if (given.empty())
      error(section.name, "a notification needs one sink: webhook, command or sns_topic_arn",
            section.line);
    else if (given.find(',') != std::string::npos)
      error(section.name, "one sink per section, not " + given + ": use one [notify.NAME] each",
            section.line);
    // Keys that belong to another sink than the one given: probably a mix-up.
    const auto only_with = [&](const char* key, const char* sink) {
      if (line_of(section, key) != 0 && line_of(section, sink) == 0)
        error(section.name + "." + key, std::string("only used with ") + sink,
              line_of(section, key));
    };
    for (const char* key : {"format", "headers", "ca_file"}) only_with(key, "webhook");
    for (const char* key : {"args", "command_timeout"}) only_with(key, "command");
    for (const char* key : {"profile", "role_arn", "sns_url"}) only_with(key, "sns_topic_arn");
    if (n.webhook && !n.webhook->origin.https && line_of(section, "ca_file") != 0)
      error(section.name + ".ca_file", "set for a plain http:// webhook",
            line_of(section, "ca_file"));
    if (n.sns_url && !n.sns_url->https && !is_loopback_host(n.sns_url->host))
      error(section.name + ".sns_url",
            "needs https://: the requests are signed and carry the session token (http:// is "
            "accepted only for a loopback host: 127.0.0.0/8, ::1 or localhost)",
            line_of(section, "sns_url"));
  }

  // A scan of the section: called a fixed number of times per section, so linear overall.
  static const IniEntry* entry_of(const IniSection& section, std::string_view key) {
    for (const auto& e : section.entries)
      if (e.key == key) return &e;
    return nullptr;
  }

  static int line_of(const IniSection& section, std::string_view key) {
    const IniEntry* e = entry_of(section, key);
    return e ? e->line : 0;
  }

  void check_whole() {
    const auto& c = result_.config;
    if (c.retry.initial_backoff > c.retry.max_backoff)
      error("retry.initial_backoff", "is larger than retry.max_backoff", 0);
    if (c.endpoints.empty() && c.clusters.empty())
      error("endpoint", "no [endpoint.NAME] or [cluster.NAME] section: nothing to watch", 0);
    if (c.policy.rules.empty()) error("rule", "no [rule.NAME] section: nothing to enforce", 0);
    // A notification filtered on a rule that does not exist would never say anything.
    for (const auto& n : c.notifications)
      for (const auto& name : n.rules)
        if (std::none_of(c.policy.rules.begin(), c.policy.rules.end(),
                         [&](const Rule& r) { return r.name == name; }))
          error("notify." + n.name + ".rules", "names no [rule." + name + "] section", 0);
    // Two sections for one cluster would poll (and cancel on) each instance twice.
    std::map<std::pair<std::string, std::string>, std::string> clusters;
    for (const auto& k : c.clusters) {
      if (k.cluster_id.empty()) continue;
      const auto [it, added] =
          clusters.emplace(std::make_pair(k.cluster_id, k.instance.region), k.name);
      if (!added)
        error("cluster." + k.name + ".cluster_id",
              k.cluster_id + " in " + k.instance.region + " is already watched by [cluster." +
                  it->second + "]",
              0);
    }
    // With replicas a cancel is sent only while the lease is sure to outlive its request
    // timeout (docs/HA.md): one longer than half the lease would rarely, or never, be sent.
    // A request_timeout left out defaults to a third of the lease then (a keep-alive that
    // fails once and succeeds on its retry still leaves cancels room); one written longer than
    // half the lease is an error.
    if (c.ha) {
      const Millis half = c.ha->lease_ttl / 2;
      const auto fit = [&](const std::string& section, Millis& timeout) {
        if (!timeout_set_.count(section)) {
          timeout = std::min(timeout, c.ha->lease_ttl / 3);
          return;
        }
        if (timeout <= half) return;
        error(section + ".request_timeout",
              format_duration(timeout) + " is more than half of ha.lease_ttl (" +
                  format_duration(c.ha->lease_ttl) +
                  "): with replicas a cancel is sent only while the lease is sure to outlive it; "
                  "lower request_timeout or raise ha.lease_ttl",
              0);
      };
      for (auto& e : result_.config.endpoints) fit("endpoint." + e.name, e.request_timeout);
      for (auto& k : result_.config.clusters) fit("cluster." + k.name, k.instance.request_timeout);
    }
  }

  ZoneLookup zones_;
  ConfigResult result_;
  std::set<std::string> timeout_set_;  // sections that write request_timeout
};

}  // namespace

std::vector<std::string> known_config_keys() {
  return ConfigBuilder::all_keys();
}

ConfigResult parse_config(std::string_view text, std::string origin, ZoneLookup zones) {
  return ConfigBuilder(std::move(origin), std::move(zones)).build(parse_ini(text));
}

// Printed from the key tables, bound to a copy: what is printed is what the parser takes.
std::string describe_endpoint(const EndpointConfig& e) {
  EndpointConfig copy = e;
  return "[endpoint." + e.name + "]\n" + print_keys(endpoint_keys(copy));
}

std::string describe_cluster(const ClusterConfig& k) {
  ClusterConfig copy = k;
  return "[cluster." + k.name + "]\n" + print_keys(cluster_keys(copy));
}

std::string describe_notify(const NotifyConfig& n) {
  NotifyConfig copy = n;
  return "[notify." + n.name + "]\n" + print_keys(notify_keys(copy));
}

std::string describe_config(const WatchdogConfig& c) {
  WatchdogConfig copy = c;
  std::string out = "# effective configuration of " + c.origin + "\n";
  out += "[watchdog]\n" + print_keys(watchdog_keys(copy));
  // No budget is a value the key cannot take (it is left out), so it is said in a comment:
  // an operator reading --check-config sees that nothing caps the cancels.
  if (!copy.policy.max_cancels_per_minute)
    out += "# max_cancels_per_minute: unlimited (no budget across endpoints)\n";
  out += "\n[retry]\n" + print_keys(retry_keys(copy.retry));
  if (copy.ha) {
    out += "\n# replicas share the fleet through etcd\n[ha]\n" + print_keys(ha_keys(*copy.ha));
    if (copy.ha->replica.empty()) out += "# replica: the host name\n";
  }
  for (const auto& e : c.endpoints) out += "\n" + describe_endpoint(e);
  if (!c.clusters.empty())
    out +=
        "\n# clusters: instances are discovered at start and every refresh_interval (their "
        "endpoints are named CLUSTER/INSTANCE_ID); nothing is resolved here\n";
  for (const auto& k : c.clusters) out += "\n" + describe_cluster(k);
  if (!copy.policy.protections.empty())
    out += "\n# protections apply before any rule, budget or guard\n";
  for (auto& p : copy.policy.protections)
    out += "\n[" + p.section + "]\n" + print_keys(protect_keys(p));
  out += "\n# rules in evaluation order: the first that selects a query governs it\n";
  for (auto& r : copy.policy.rules) {
    KeyTable keys = rule_keys(r);
    // Under [watchdog] dry_run = true no rule cancels, whatever its own dry_run says: a rule's
    // `dry_run = false` beside it would read as if that rule cancelled.
    if (copy.policy.dry_run)
      keys.erase(std::remove_if(keys.begin(), keys.end(),
                                [](const ConfigKey& k) { return k.name == "dry_run"; }),
                 keys.end());
    out += "\n[rule." + r.name + "]\n" + print_keys(keys);
    if (copy.policy.dry_run) out += "# dry_run: true, as [watchdog] dry_run = true\n";
  }
  if (!c.notifications.empty())
    out += "\n# notifications: sent from a queue by their own threads; header values hidden\n";
  for (const auto& n : c.notifications) out += "\n" + describe_notify(n);
  return out;
}

std::vector<ConfigError> config_warnings(const WatchdogConfig& c,
                                         std::chrono::system_clock::time_point now) {
  std::vector<ConfigError> warnings;
  const auto pattern = [](const std::shared_ptr<const re2::RE2>& re) {
    return re ? re->pattern() : "";
  };
  const auto& rules = c.policy.rules;
  // An earlier rule shadows a later one when it is not windowed (a windowed rule leaves the
  // others room outside its window), covers the later one's languages (a rule for fewer
  // languages leaves the others' queries to later rules), and either has no filters or the same
  // ones. The earlier rules are indexed by (languages, filters), first one kept, so that each
  // rule looks up the few language sets that cover its own instead of comparing itself with
  // every earlier rule: a file of many rules is checked in n log n, not n squared.
  using FilterKey = std::tuple<std::string, std::string, std::string>;
  std::map<FilterKey, std::size_t> first_with;
  const auto filter_key = [&](const std::set<Language>& languages, const Rule& r) {
    return FilterKey{language_list(languages), pattern(r.query_matches), pattern(r.query_excludes)};
  };
  // Every language set that covers a rule's: all languages (empty), and each superset.
  const auto covering_sets = [](const std::set<Language>& languages) {
    std::vector<std::set<Language>> out = {{}};
    if (languages.empty()) return out;
    constexpr Language kAll[] = {Language::opencypher, Language::gremlin, Language::sparql};
    for (unsigned mask = 1; mask < 8; ++mask) {
      std::set<Language> candidate;
      for (unsigned bit = 0; bit < 3; ++bit)
        if (mask & (1u << bit)) candidate.insert(kAll[bit]);
      if (std::includes(candidate.begin(), candidate.end(), languages.begin(), languages.end()))
        out.push_back(std::move(candidate));
    }
    return out;
  };
  const auto first_shadowing_rule = [&](std::size_t i) -> std::optional<std::size_t> {
    const Rule& r = rules[i];
    std::optional<std::size_t> first;
    const Rule no_filters;
    for (const auto& languages : covering_sets(r.languages))
      for (const FilterKey& k : {filter_key(languages, no_filters), filter_key(languages, r)})
        // Rule i itself is indexed already (it is kept only when no earlier rule has its key).
        if (const auto it = first_with.find(k);
            it != first_with.end() && it->second < i && (!first || it->second < *first))
          first = it->second;
    return first;
  };
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& r = rules[i];
    const std::string key = "rule." + r.name;
    // A rule limited to endpoints leaves the others' queries to later rules: it shadows none.
    if (!r.active && r.endpoints.empty() && r.roles.empty())
      first_with.emplace(filter_key(r.languages, r), i);
    if (r.query_excludes && re2::RE2::PartialMatch("", *r.query_excludes)) {
      warnings.push_back({key,
                          "can never match: query_excludes '" + r.query_excludes->pattern() +
                              "' matches every text",
                          0});
      continue;
    }
    if (r.query_matches && r.query_excludes &&
        r.query_matches->pattern() == r.query_excludes->pattern()) {
      warnings.push_back(
          {key, "can never match: query_matches and query_excludes are the same", 0});
      continue;
    }
    if (const auto j = first_shadowing_rule(i)) {
      const Rule& earlier = rules[*j];
      const bool catch_all = !earlier.query_matches && !earlier.query_excludes;
      // "every gremlin, sparql query" for a catch-all of some languages.
      const std::string every =
          earlier.languages.empty() ? "every" : "every " + language_list(earlier.languages);
      warnings.push_back({key,
                          "never governs a query: [rule." + earlier.name + "] comes first and " +
                              (catch_all ? "selects " + every + " query" : "has the same filters"),
                          0});
    }
  }
  for (const auto& e : c.endpoints)
    if (e.auth == AuthMode::iam && !e.url.https)  // a non-loopback host is already an error
      warnings.push_back({"endpoint." + e.name + ".url",
                          "auth = iam over plain http:// to " + e.url.host +
                              ": the signed requests and the session token go unencrypted to "
                              "whatever listens on that port of this machine; prefer https://",
                          0});
  // An endpoint pattern that names no configured endpoint is likely a typo: the rule or
  // protection then does nothing there.
  const auto unmatched_endpoints = [&](const std::string& key, const std::vector<std::string>& ps) {
    for (const auto& pattern : ps)
      if (std::none_of(c.endpoints.begin(), c.endpoints.end(),
                       [&](const EndpointConfig& e) { return glob_matches(pattern, e.name); }) &&
          std::none_of(c.clusters.begin(), c.clusters.end(), [&](const ClusterConfig& k) {
            return may_match_instance_of(pattern, k.name);
          }))
        warnings.push_back(
            {key + ".endpoints", "'" + pattern + "' matches no configured endpoint", 0});
  };
  for (const auto& r : rules) unmatched_endpoints("rule." + r.name, r.endpoints);
  for (const auto& r : rules)
    if (r.quarantine && (r.action == RuleAction::log || r.dry_run || c.policy.dry_run))
      warnings.push_back(
          {"rule." + r.name + ".quarantine",
           "has no effect: a quarantine starts at a cancel, and this rule " +
               std::string(r.action == RuleAction::log ? "only logs (action = log)"
                                                       : "cancels nothing in a dry run"),
           0});
  for (const auto& p : c.policy.protections) unmatched_endpoints(p.section, p.endpoints);
  for (const auto& p : c.policy.protections)
    if (p.until && *p.until <= now)
      warnings.push_back(
          {p.section + ".until", "expired: this protection no longer protects anything", 0});
  // Polls are what discover queries: one that starts just after a poll is first seen by the
  // next, whatever the schedule.
  for (const ShortLimit& s : limits_shorter_than(c.policy, c.watchdog.poll_interval)) {
    const Millis late = c.watchdog.poll_interval - s.limit;
    warnings.push_back({"rule." + rules[s.rule_index].name + "." + s.key,
                        format_duration(s.limit) + " is shorter than poll_interval " +
                            format_duration(c.watchdog.poll_interval) +
                            ": a query that starts between two polls can break it by up to " +
                            format_duration(late) + " before the next poll sees it",
                        0});
  }
  return warnings;
}

}  // namespace nw
