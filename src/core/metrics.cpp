#include "nw/core/metrics.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>

namespace nw {
namespace {

const std::string kPrefix = "neptune_watchdog_";

// Shortest text that reads back as the same double; Prometheus spells the specials
// +Inf, -Inf and NaN.
std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// {name="value",...}; empty when there are no labels.
std::string label_set(const std::vector<std::string>& names,
                      const std::vector<std::string>& values) {
  if (names.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i] + "=\"" + escape_label_value(values[i]) + '"';
  }
  return out + '}';
}

void family(std::ostringstream& out, const std::string& name, const char* type, const char* help) {
  // HELP texts are our own constants: nothing in them needs escaping.
  out << "# HELP " << kPrefix << name << ' ' << help << '\n';
  out << "# TYPE " << kPrefix << name << ' ' << type << '\n';
}

template <class Value>
void sample(std::ostringstream& out, const std::string& name, const std::vector<std::string>& names,
            const std::vector<std::string>& values, const Value& value) {
  out << kPrefix << name << label_set(names, values) << ' ' << value << '\n';
}

// Seconds with at most millisecond precision and no trailing zeros: "17s", "1.5s", "0.25s".
std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  std::string text = std::to_string(ms / 1000);
  if (const auto fraction = ms % 1000) {
    std::string digits = std::to_string(1000 + fraction).substr(1);
    while (digits.back() == '0') digits.pop_back();
    text += '.' + digits;
  }
  return text + 's';
}

}  // namespace

const std::vector<double> Metrics::kPollLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                          0.5,   1,    2.5,   5,    10,  30};
// A poll loop cancels uniformly within one interval of the limit (as pt-kill's --interval loop
// does), so the buckets span sub-second intervals up to slow, retried cancels.
const std::vector<double> Metrics::kCancelLatenessBuckets = {0.05, 0.1, 0.25, 0.5, 1,  2.5,
                                                             5,    10,  30,   60,  120};

Metrics::Histogram::Histogram(const std::vector<double>& bounds)
    : bounds(&bounds), counts(bounds.size() + 1, 0) {}

void Metrics::Histogram::observe(double value) {
  if (std::isnan(value)) return;
  if (value < 0) value = 0;
  std::size_t i = 0;
  while (i < bounds->size() && value > (*bounds)[i]) ++i;
  ++counts[i];
  sum += value;
  ++count;
}

Metrics::Metrics(std::string version) : version_(std::move(version)) {}

void Metrics::poll_finished(const std::string& endpoint, const std::string& language, bool ok,
                            const std::string& error_code, double latency_seconds, SystemTime at) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++poll_requests_[endpoint];
  poll_latency_.try_emplace(endpoint, kPollLatencyBuckets).first->second.observe(latency_seconds);
  if (ok) {
    // The latest report wins, not the greatest time: after the wall clock steps back, a
    // remembered future instant would keep /healthz green while polls fail.
    last_success_[endpoint] = at;
  } else {
    ++poll_errors_[{endpoint, language, error_code.empty() ? "unknown" : error_code}];
  }
}

void Metrics::forget_endpoint(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  poll_requests_.erase(endpoint);
  poll_latency_.erase(endpoint);
  last_success_.erase(endpoint);
  cancel_lateness_.erase(endpoint);
  cancels_refused_.erase(endpoint);
  matching_seconds_.erase(endpoint);
  const auto by_first_label = [&](auto& map) {
    for (auto it = map.begin(); it != map.end();)
      it = it->first.at(0) == endpoint ? map.erase(it) : std::next(it);
  };
  by_first_label(poll_errors_);
  by_first_label(decisions_);
  by_first_label(cancels_);
  by_first_label(budget_exhaustions_);
  by_first_label(crossing_checks_);
  by_first_label(malformed_entries_);
  by_first_label(seen_);
  by_first_label(oldest_);
  by_first_label(given_up_);
  by_first_label(selected_);
}

void Metrics::decision_recorded(const std::string& endpoint, const std::string& language,
                                const std::string& rule, AuditOutcome typed) {
  const std::string outcome(to_string(typed));
  std::lock_guard<std::mutex> lock(mutex_);
  ++decisions_[{endpoint, language, rule, outcome}];
  if (typed == AuditOutcome::cancelled) ++cancels_[{endpoint, language, rule}];
  if (typed == AuditOutcome::budget_exhausted) ++budget_exhaustions_[{endpoint, language, rule}];
}

void Metrics::cancel_refused(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++cancels_refused_[endpoint];
}

void Metrics::cancel_lateness(const std::string& endpoint, double seconds_past_limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  cancel_lateness_.try_emplace(endpoint, kCancelLatenessBuckets)
      .first->second.observe(seconds_past_limit);
}

void Metrics::queries_seen(const std::string& endpoint, const std::string& language,
                           std::int64_t running, std::int64_t waiting) {
  std::lock_guard<std::mutex> lock(mutex_);
  seen_[{endpoint, language}] = {running, waiting};
}

void Metrics::oldest_queries(const std::string& endpoint, const std::string& language,
                             double running_seconds, double queued_seconds) {
  const auto clean = [](double s) { return std::isnan(s) || s < 0 ? 0.0 : s; };
  std::lock_guard<std::mutex> lock(mutex_);
  oldest_[{endpoint, language}] = {clean(running_seconds), clean(queued_seconds)};
}

void Metrics::queries_given_up(const std::string& endpoint, const std::string& language,
                               std::size_t listed) {
  std::lock_guard<std::mutex> lock(mutex_);
  given_up_[{endpoint, language}] = listed;
}

void Metrics::rules_selected(const std::string& endpoint, const std::string& language,
                             const std::vector<std::pair<std::string, std::size_t>>& per_rule) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = selected_.begin(); it != selected_.end();)
    it = it->first[0] == endpoint && it->first[1] == language ? selected_.erase(it) : std::next(it);
  for (const auto& [rule, n] : per_rule) selected_[{endpoint, language, rule}] += n;
}

void Metrics::entries_skipped(const std::string& endpoint, const std::string& language,
                              std::uint64_t entries) {
  std::lock_guard<std::mutex> lock(mutex_);
  malformed_entries_[{endpoint, language}] += entries;
}

void Metrics::matching_finished(const std::string& endpoint, double seconds) {
  if (std::isnan(seconds) || seconds < 0) seconds = 0;  // a counter never goes down
  std::lock_guard<std::mutex> lock(mutex_);
  matching_seconds_[endpoint] += seconds;
}

void Metrics::crossing_checked(const std::string& endpoint, const std::string& result) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++crossing_checks_[{endpoint, result}];
}

void Metrics::config_reloaded(bool ok) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++(ok ? reloads_ok_ : reloads_error_);
  last_reload_ok_ = ok;
}

void Metrics::audit_write_failed() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++audit_write_errors_;
}

void Metrics::discovery_refreshed(const std::string& cluster, bool ok,
                                  const std::string& error_code, int consecutive_failures,
                                  const std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++discovery_refreshes_[{cluster, ok ? "ok" : (error_code.empty() ? "unknown" : error_code)}];
  discovery_failing_[cluster] = {ok ? 0 : consecutive_failures, ok ? std::string() : error};
}

void Metrics::cluster_instances(const std::string& cluster, std::size_t watched) {
  std::lock_guard<std::mutex> lock(mutex_);
  cluster_instances_[cluster] = watched;
}

void Metrics::forget_cluster(const std::string& cluster) {
  std::lock_guard<std::mutex> lock(mutex_);
  cluster_instances_.erase(cluster);
  discovery_failing_.erase(cluster);
  for (auto it = discovery_refreshes_.begin(); it != discovery_refreshes_.end();)
    it = it->first.at(0) == cluster ? discovery_refreshes_.erase(it) : std::next(it);
}

void Metrics::cancelling_paused(bool paused, const std::string& cause) {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelling_paused_ = paused;
  paused_cause_ = paused ? cause : std::string();
}

void Metrics::operator_paused(bool paused, const std::string& cause) {
  std::lock_guard<std::mutex> lock(mutex_);
  operator_paused_ = paused;
  operator_pause_cause_ = paused ? cause : std::string();
}

void Metrics::quarantined_fingerprints(std::size_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  quarantined_ = count;
}

void Metrics::notification_sinks(const std::vector<std::string>& sinks) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, NotificationCounts> kept;
  for (const auto& sink : sinks) kept[sink] = notifications_[sink];
  notifications_ = std::move(kept);
}

// A sink no longer in force (a reload removed it while its last message was sent) is not
// counted: its series are gone.
void Metrics::notification_sent(const std::string& sink) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto it = notifications_.find(sink); it != notifications_.end()) ++it->second.sent;
}

void Metrics::notification_failed(const std::string& sink) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto it = notifications_.find(sink); it != notifications_.end()) ++it->second.failed;
}

void Metrics::notifications_dropped(const std::string& sink, std::uint64_t events) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto it = notifications_.find(sink); it != notifications_.end())
    it->second.dropped += events;
}

void Metrics::config_in_force(const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  config_version_ = version;
}

std::string Metrics::render() const {
  const std::vector<std::string> endpoint_label = {"endpoint"};
  const std::vector<std::string> rule_labels = {"endpoint", "language", "rule"};

  auto histograms = [](std::ostringstream& out, const std::string& name,
                       const std::map<std::string, Histogram>& by_endpoint) {
    for (const auto& [endpoint, h] : by_endpoint) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        const double le =
            i < h.bounds->size() ? (*h.bounds)[i] : std::numeric_limits<double>::infinity();
        sample(out, name + "_bucket", {"endpoint", "le"}, {endpoint, number(le)}, cumulative);
      }
      sample(out, name + "_sum", {"endpoint"}, {endpoint}, number(h.sum));
      sample(out, name + "_count", {"endpoint"}, {endpoint}, h.count);
    }
  };

  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;

  family(out, "build_info", "gauge", "The running neptune-watchdog's version; always 1.");
  sample(out, "build_info", {"version"}, {version_}, 1);

  family(out, "poll_requests_total", "counter",
         "Status requests sent to the endpoint, retries included.");
  for (const auto& [endpoint, n] : poll_requests_)
    sample(out, "poll_requests_total", endpoint_label, {endpoint}, n);

  family(out, "poll_errors_total", "counter",
         "Status requests that failed, by Neptune error code or transport, timeout, bad_response.");
  for (const auto& [labels, n] : poll_errors_)
    sample(out, "poll_errors_total", {"endpoint", "language", "code"}, labels, n);

  family(out, "poll_duration_seconds", "histogram",
         "Time a status request took to answer or fail.");
  histograms(out, "poll_duration_seconds", poll_latency_);

  family(out, "last_successful_poll_timestamp_seconds", "gauge",
         "Unix time of the endpoint's latest successful status request.");
  for (const auto& [endpoint, at] : last_success_) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch());
    sample(out, "last_successful_poll_timestamp_seconds", endpoint_label, {endpoint},
           number(static_cast<double>(ms.count()) / 1000.0));
  }

  family(out, "matching_seconds_total", "counter",
         "Time spent evaluating the rules against the endpoint's status answers.");
  for (const auto& [endpoint, seconds] : matching_seconds_)
    sample(out, "matching_seconds_total", endpoint_label, {endpoint}, number(seconds));

  const std::vector<std::string> endpoint_language = {"endpoint", "language"};
  family(out, "queries_running", "gauge", "Running queries in the endpoint's latest status.");
  for (const auto& [labels, seen] : seen_)
    sample(out, "queries_running", endpoint_language, labels, seen.first);

  family(out, "queries_waiting", "gauge", "Queued queries in the endpoint's latest status.");
  for (const auto& [labels, seen] : seen_)
    sample(out, "queries_waiting", endpoint_language, labels, seen.second);

  family(out, "oldest_running_query_seconds", "gauge",
         "Elapsed time of the oldest running query in the endpoint's latest status; 0 if none.");
  for (const auto& [labels, ages] : oldest_)
    sample(out, "oldest_running_query_seconds", endpoint_language, labels, number(ages.first));

  family(out, "oldest_queued_query_seconds", "gauge",
         "Waited time of the oldest queued query in the endpoint's latest status; 0 if none.");
  for (const auto& [labels, ages] : oldest_)
    sample(out, "oldest_queued_query_seconds", endpoint_language, labels, number(ages.second));

  family(out, "queries_given_up", "gauge",
         "Queries given up (still listed after a cancel and a retried cancel) that the "
         "endpoint's latest status still lists.");
  for (const auto& [labels, n] : given_up_)
    sample(out, "queries_given_up", endpoint_language, labels, n);

  family(out, "rule_selected_queries", "gauge",
         "Queries each rule governed (selected first, within its limits or not) in the "
         "endpoint's latest status.");
  for (const auto& [labels, n] : selected_)
    sample(out, "rule_selected_queries", {"endpoint", "language", "rule"}, labels, n);

  family(out, "malformed_entries_total", "counter",
         "Status list entries skipped because they could not be read (no usable queryId, a "
         "malformed field or text), counted at each poll that lists them.");
  for (const auto& [labels, n] : malformed_entries_)
    sample(out, "malformed_entries_total", endpoint_language, labels, n);

  family(out, "decisions_total", "counter",
         "Audited decisions, by the rule that governed the query and the outcome.");
  for (const auto& [labels, n] : decisions_)
    sample(out, "decisions_total", {"endpoint", "language", "rule", "outcome"}, labels, n);

  family(out, "cancels_total", "counter", "Queries cancelled (outcome cancelled).");
  for (const auto& [labels, n] : cancels_) sample(out, "cancels_total", rule_labels, labels, n);

  family(out, "budget_exhaustions_total", "counter",
         "Cancels refused because a max_cancels_per_minute budget was spent.");
  for (const auto& [labels, n] : budget_exhaustions_)
    sample(out, "budget_exhaustions_total", rule_labels, labels, n);

  family(out, "cancels_refused_total", "counter",
         "Cancels Neptune refused (AccessDenied): the IAM policy needs neptune-db:CancelQuery.");
  for (const auto& [endpoint, n] : cancels_refused_)
    sample(out, "cancels_refused_total", endpoint_label, {endpoint}, n);

  family(out, "cancel_lateness_seconds", "histogram",
         "How long after breaking its limit a query's cancel was sent.");
  histograms(out, "cancel_lateness_seconds", cancel_lateness_);

  family(out, "crossing_checks_total", "counter",
         "Queries checked by id at their projected limit crossing (schedule = deadline), by "
         "result: confirmed, ended, failed.");
  for (const auto& [labels, n] : crossing_checks_)
    sample(out, "crossing_checks_total", {"endpoint", "result"}, labels, n);

  family(out, "audit_write_errors_total", "counter",
         "Audit records that could not be written (a full disk, a failed rotation).");
  sample(out, "audit_write_errors_total", {}, {}, audit_write_errors_);

  family(out, "cancelling_paused", "gauge",
         "1 while cancelling is paused because the audit log cannot be written "
         "(on_audit_failure = pause), else 0.");
  sample(out, "cancelling_paused", {}, {}, cancelling_paused_ ? 1 : 0);

  family(out, "operator_paused", "gauge",
         "1 while an operator has paused cancelling (neptune-watchdog pause, or the "
         "pause_sentinel file), else 0.");
  sample(out, "operator_paused", {}, {}, operator_paused_ ? 1 : 0);

  family(out, "quarantined_fingerprints", "gauge",
         "Quarantines in force, per rule and query shape: new queries of these fingerprints are "
         "cancelled on sight by the rule that quarantined them (a rule's quarantine key).");
  sample(out, "quarantined_fingerprints", {}, {}, static_cast<std::int64_t>(quarantined_));

  family(out, "discovery_refreshes_total", "counter",
         "Refreshes of a cluster's topology through the management API, by outcome (ok, or the "
         "error code: Throttling, AccessDenied, transport, timeout, bad_response, ...).");
  for (const auto& [labels, n] : discovery_refreshes_)
    sample(out, "discovery_refreshes_total", {"cluster", "outcome"}, labels, n);

  family(out, "discovery_consecutive_failures", "gauge",
         "Failed refreshes of the cluster's topology in a row (0 after a success); the last "
         "topology found stays watched meanwhile.");
  for (const auto& [cluster, failing] : discovery_failing_)
    sample(out, "discovery_consecutive_failures", {"cluster"}, {cluster}, failing.first);

  family(out, "cluster_instances", "gauge", "The cluster's instances watched now.");
  for (const auto& [cluster, n] : cluster_instances_)
    sample(out, "cluster_instances", {"cluster"}, {cluster}, n);

  if (ha_) {
    family(out, "ha_member", "gauge",
           "1 while this replica acts for its group: a member whose etcd lease is confirmed; 0 "
           "while it polls but may not cancel.");
    sample(out, "ha_member", {"group", "replica"}, {ha_group_, ha_replica_}, ha_acting_ ? 1 : 0);
    family(out, "ha_owned_units", "gauge",
           "The units (clusters, typed endpoints) this replica owns.");
    sample(out, "ha_owned_units", {}, {}, static_cast<double>(ha_owned_));
    family(out, "ha_units", "gauge",
           "The units (clusters, typed endpoints) of this replica's configuration: what its group "
           "should own between its replicas.");
    sample(out, "ha_units", {}, {}, static_cast<double>(ha_units_));
    family(out, "ha_lease_remaining_seconds", "gauge",
           "How long this replica's etcd lease is still sure to live by its own clock (0: it is "
           "not, and no cancel is sent).");
    sample(out, "ha_lease_remaining_seconds", {}, {}, ha_lease_remaining_);
    family(out, "ha_handovers_total", "counter",
           "Units this replica acquired, released (handed over) or lost (its lease or key went).");
    for (const auto& [change, n] : ha_handovers_)
      sample(out, "ha_handovers_total", {"change"}, {change}, static_cast<double>(n));
  }

  family(out, "notifications_sent_total", "counter",
         "Notification messages delivered, by sink (the NAME of [notify.NAME]).");
  for (const auto& [sink, n] : notifications_)
    sample(out, "notifications_sent_total", {"sink"}, {sink}, n.sent);
  family(out, "notifications_failed_total", "counter",
         "Notification messages given up after their retries (their events are lost), by sink.");
  for (const auto& [sink, n] : notifications_)
    sample(out, "notifications_failed_total", {"sink"}, {sink}, n.failed);
  family(out, "notifications_dropped_total", "counter",
         "Notification events not queued because the sink's queue was full, by sink.");
  for (const auto& [sink, n] : notifications_)
    sample(out, "notifications_dropped_total", {"sink"}, {sink}, n.dropped);

  family(out, "config_reloads_total", "counter", "Configuration reloads, by result.");
  sample(out, "config_reloads_total", {"result"}, {"error"}, reloads_error_);
  sample(out, "config_reloads_total", {"result"}, {"ok"}, reloads_ok_);

  family(out, "last_reload_success", "gauge",
         "1 if the last configuration reload was applied (or none was tried), 0 if refused.");
  sample(out, "last_reload_success", {}, {}, last_reload_ok_ ? 1 : 0);

  family(out, "config_info", "gauge", "The configuration version in force; always 1.");
  if (!config_version_.empty()) sample(out, "config_info", {"version"}, {config_version_}, 1);

  return out.str();
}

void Metrics::ha_configured(const std::string& group, const std::string& replica) {
  std::lock_guard<std::mutex> lock(mutex_);
  ha_ = true;
  ha_group_ = group;
  ha_replica_ = replica;
  for (const char* change : {"acquired", "released", "lost"}) ha_handovers_[change];
}

void Metrics::ha_state(bool acting, std::size_t owned_units, double lease_remaining_seconds,
                       const std::string& not_acting_cause) {
  std::lock_guard<std::mutex> lock(mutex_);
  ha_acting_ = acting;
  ha_owned_ = owned_units;
  ha_lease_remaining_ = lease_remaining_seconds;
  ha_cause_ = acting ? std::string() : not_acting_cause;
}

void Metrics::ha_units(std::size_t units) {
  std::lock_guard<std::mutex> lock(mutex_);
  ha_units_ = units;
}

void Metrics::ha_handover(const std::string& change) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++ha_handovers_[change];
}

HealthReport Metrics::health(SystemTime now, std::chrono::milliseconds poll_interval,
                             const std::vector<std::string>& endpoints) const {
  const auto limit = 3 * poll_interval;
  HealthReport report;
  std::lock_guard<std::mutex> lock(mutex_);
  if (cancelling_paused_) {
    // First: a watchdog that polls but cancels nothing is the most urgent thing to say.
    report.healthy = false;
    report.reason = "cancelling paused: " + paused_cause_;
  }
  if (operator_paused_) {
    report.healthy = false;
    if (!report.reason.empty()) report.reason += "; ";
    report.reason += operator_pause_cause_;
  }
  if (ha_ && !ha_acting_) {
    // A replica that polls but may not cancel: as urgent, and for the same reason.
    report.healthy = false;
    if (!report.reason.empty()) report.reason += "; ";
    report.reason += "not acting for replica group " + ha_group_ + ": " + ha_cause_;
  }
  for (const auto& endpoint : endpoints) {
    std::string problem;
    const auto it = last_success_.find(endpoint);
    if (it == last_success_.end()) {
      problem = "never polled successfully";
    } else {
      const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - it->second);
      if (age <= limit) continue;
      problem =
          "no successful poll for " + seconds_text(age) + " (limit " + seconds_text(limit) + ")";
    }
    report.healthy = false;
    if (!report.reason.empty()) report.reason += "; ";
    report.reason += "endpoint " + endpoint + ": " + problem;
  }
  for (const auto& [cluster, failing] : discovery_failing_) {
    if (failing.first < 3) continue;
    if (!report.degraded.empty()) report.degraded += "; ";
    report.degraded +=
        "cluster " + cluster + ": discovery failed " + std::to_string(failing.first) +
        " times in a row, the last topology found is still watched (" + failing.second + ")";
  }
  return report;
}

}  // namespace nw
