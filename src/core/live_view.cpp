#include "nw/core/live_view.h"

#include <algorithm>
#include <cstdio>

#include "nw/core/audit_record.h"
#include "nw/core/fingerprint.h"
#include "nw/core/rfc3339.h"
#include "nw/core/text_columns.h"

namespace nw {

std::vector<LiveQuery> live_queries(const StatusSnapshot& snapshot, const Policy& policy,
                                    std::chrono::system_clock::time_point now,
                                    Overrides overrides) {
  std::vector<Evaluation> evaluations = evaluate(snapshot, policy, now, nullptr, overrides);
  std::vector<LiveQuery> out;
  out.reserve(evaluations.size());
  for (Evaluation& e : evaluations) {
    const QueryStatus& q = snapshot.queries[e.query_index];
    LiveQuery row;
    row.id = q.id;
    row.queued = q.queued();
    row.elapsed_ms = q.elapsed_ms;
    row.waited_ms = q.waited_ms;
    row.text = q.text;
    if (!q.text.empty())
      row.fingerprint = fingerprint_hex(fingerprint_query(snapshot.language, q.text).hash);
    row.verdict = e.verdict;
    row.reason = std::move(e.reason);
    if (e.rule_index) {
      const Rule& rule = policy.rules[*e.rule_index];
      row.rule = rule.name;
      const std::optional<Millis>& limit = row.queued ? rule.max_waited : rule.max_elapsed;
      if (limit) row.limit_ms = limit->count();
      if (e.verdict == Verdict::act)
        row.action_in_ms = 0;
      else if (e.verdict == Verdict::within_limits && limit)
        row.action_in_ms =
            std::max<std::int64_t>(0, limit->count() - (row.queued ? q.waited_ms : q.elapsed_ms));
    }
    out.push_back(std::move(row));
  }
  return out;
}

void sort_live(std::vector<LiveQuery>& queries, LiveSort sort) {
  const auto age = [](const LiveQuery& q) { return std::max(q.elapsed_ms, q.waited_ms); };
  std::stable_sort(queries.begin(), queries.end(), [&](const LiveQuery& a, const LiveQuery& b) {
    if (sort == LiveSort::action && a.action_in_ms.has_value() != b.action_in_ms.has_value())
      return a.action_in_ms.has_value();
    if (sort == LiveSort::action && a.action_in_ms && *a.action_in_ms != *b.action_in_ms)
      return *a.action_in_ms < *b.action_in_ms;
    if (age(a) != age(b)) return age(a) > age(b);
    return a.id < b.id;
  });
}

}  // namespace nw

namespace nw {

namespace {

std::string padded(const std::string& text, std::size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size() + 1, ' ');
}

}  // namespace

std::string short_duration(std::int64_t ms) {
  char buffer[32];
  if (ms < 60'000) {
    std::snprintf(buffer, sizeof buffer, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60));
  }
  return buffer;
}

LiveSummary summarize(const LiveInstance& instance, std::chrono::system_clock::time_point at) {
  LiveSummary sum;
  for (const LiveQuery& q : instance.queries) {
    ++(q.queued ? sum.queued : sum.running);
    sum.oldest_ms = std::max(sum.oldest_ms, std::max(q.elapsed_ms, q.waited_ms));
  }
  if (instance.polled_at)
    sum.poll_age_ms = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(at - *instance.polled_at).count());
  return sum;
}

std::string format_live_text(const LiveFleet& fleet, std::size_t width) {
  std::string out;
  const auto line = [&](const std::string& text) {
    out += (width ? fit_columns(text, width) : text) + "\n";
  };
  line("neptune-watchdog at " + format_rfc3339(fleet.at) + ", config version " +
       fleet.config_version +
       (fleet.temporary_protections
            ? ", " + std::to_string(fleet.temporary_protections) + " temporary protection(s)"
            : std::string()));
  if (!fleet.pause.empty()) line("!! " + fleet.pause);
  for (const LiveInstance& in : fleet.instances) {
    const LiveSummary sum = summarize(in, fleet.at);
    std::string header = printable(in.endpoint, 100) + " (" + std::string(to_string(in.language)) +
                         (in.role.empty() ? "" : ", " + in.role) +
                         "): " + std::to_string(sum.running) + " running, " +
                         std::to_string(sum.queued) + " queued, oldest " +
                         short_duration(sum.oldest_ms) + ", last poll ";
    if (sum.poll_age_ms) {
      header += short_duration(*sum.poll_age_ms) + " ago";
    } else {
      header += "none yet";
    }
    header += ", " + std::to_string(in.failed_polls) + " failed";
    if (!in.last_error.empty()) header += "; last error: " + printable(in.last_error, 200);
    line("");
    line(header);
    if (in.queries.empty()) continue;
    line("  " + padded("QUERY ID", 10) + padded("STATE", 7) + padded("AGE", 7) +
         padded("LIMIT", 7) + padded("ACTS IN", 7) + padded("RULE", 14) + "TEXT");
    std::vector<LiveQuery> rows = in.queries;
    sort_live(rows, LiveSort::action);
    for (const LiveQuery& q : rows) {
      const std::string acts = !q.action_in_ms        ? "-"
                               : *q.action_in_ms == 0 ? "now"
                                                      : short_duration(*q.action_in_ms);
      const std::string rule = q.verdict == Verdict::protected_query ? "(protected)"
                               : q.rule.empty()                      ? "-"
                                                                     : q.rule;
      line("  " + padded(fit_columns(terminal_line(q.id), 10), 10) +
           padded(q.queued ? "queued" : "running", 7) +
           padded(short_duration(q.queued ? q.waited_ms : q.elapsed_ms), 7) +
           padded(q.limit_ms ? short_duration(*q.limit_ms) : "-", 7) + padded(acts, 7) +
           padded(fit_columns(terminal_line(rule), 14), 14) + terminal_line(q.text));
    }
  }
  return out;
}

}  // namespace nw
