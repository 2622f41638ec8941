// The metrics registry: its text is read back by a small parser of the Prometheus text
// exposition format 0.0.4 that checks the rules a scraper relies on, then the values are
// compared exactly. Health is judged with an injected clock.
#include "nw/core/metrics.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace nw {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SystemTime = std::chrono::system_clock::time_point;

const SystemTime kT0 = SystemTime(seconds(1'700'000'000));

// ---------------------------------------------------------------------------------------------
// A strict reader of the text format, as much of it as a scraper needs.

using LabelMap = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  LabelMap labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter | gauge | histogram | ...
  std::map<std::string, std::string> helps;
  std::vector<Sample> samples;
  std::vector<std::string> errors;  // every rule broken, with its line number

  std::optional<double> value(const std::string& name, const LabelMap& labels = {}) const {
    for (const auto& s : samples)
      if (s.name == name && s.labels == labels) return s.value;
    return std::nullopt;
  }
  std::size_t count(const std::string& name) const {
    std::size_t n = 0;
    for (const auto& s : samples) n += s.name == name;
    return n;
  }
};

bool is_name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool is_name_char(char c) {
  return is_name_start(c) || std::isdigit(static_cast<unsigned char>(c));
}

bool valid_metric_name(const std::string& s) {
  if (s.empty() || !is_name_start(s[0])) return false;
  for (char c : s)
    if (!is_name_char(c)) return false;
  return true;
}

std::optional<double> parse_value(const std::string& text) {
  if (text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  if (text == "NaN") return NAN;
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || std::isinf(v) || std::isnan(v)) return std::nullopt;
  return v;
}

// The family a sample name belongs to, given the declared types: itself, or for a
// histogram the name without _bucket/_sum/_count.
std::optional<std::string> family_of(const std::string& name,
                                     const std::map<std::string, std::string>& types) {
  if (auto it = types.find(name); it != types.end() && it->second != "histogram") return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      if (auto it = types.find(base); it != types.end() && it->second == "histogram") return base;
    }
  }
  return std::nullopt;
}

Exposition parse_exposition(const std::string& text) {
  Exposition out;
  const auto fail = [&](int line, const std::string& why) {
    out.errors.push_back("line " + std::to_string(line) + ": " + why);
  };
  if (text.empty() || text.back() != '\n') out.errors.push_back("text must end with a newline");

  std::set<std::string> finished_families;  // families whose block has ended
  std::string current_family;
  std::set<std::string> series_seen;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) {
      fail(n, "empty line");
      continue;
    }
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, keyword, name;
      words >> hash >> keyword >> name;
      if (keyword != "HELP" && keyword != "TYPE") continue;  // a plain comment
      if (!valid_metric_name(name)) fail(n, "bad metric name in " + keyword + ": " + name);
      std::string rest;
      std::getline(words, rest);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      if (name != current_family) {
        if (!current_family.empty()) finished_families.insert(current_family);
        if (finished_families.count(name)) fail(n, "family " + name + " is not contiguous");
        current_family = name;
      }
      if (keyword == "HELP") {
        if (out.helps.count(name)) fail(n, "second HELP for " + name);
        for (std::size_t i = 0; i < rest.size(); ++i)
          if (rest[i] == '\\' &&
              (i + 1 == rest.size() || (rest[i + 1] != '\\' && rest[i + 1] != 'n')))
            fail(n, "bad escape in HELP");
        out.helps[name] = rest;
      } else {
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                     "untyped"};
        if (!kTypes.count(rest)) fail(n, "unknown type " + rest);
        if (out.types.count(name)) fail(n, "second TYPE for " + name);
        if (out.count(name)) fail(n, "TYPE after samples of " + name);
        out.types[name] = rest;
      }
      continue;
    }

    Sample sample;
    std::size_t i = 0;
    while (i < line.size() && is_name_char(line[i])) ++i;
    sample.name = line.substr(0, i);
    if (!valid_metric_name(sample.name)) {
      fail(n, "bad metric name: " + line);
      continue;
    }
    bool ok = true;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (ok && i < line.size() && line[i] != '}') {
        std::size_t start = i;
        while (i < line.size() && is_name_char(line[i]) && line[i] != ':') ++i;
        const std::string label = line.substr(start, i - start);
        if (label.empty() || !is_name_start(label[0]) || label.rfind("__", 0) == 0) {
          fail(n, "bad label name '" + label + "'");
          ok = false;
          break;
        }
        if (line.compare(i, 2, "=\"") != 0) {
          fail(n, "expected =\" after label " + label);
          ok = false;
          break;
        }
        i += 2;
        std::string value;
        for (;;) {
          if (i >= line.size()) {
            fail(n, "unterminated label value");
            ok = false;
            break;
          }
          const char c = line[i++];
          if (c == '"') break;
          if (c != '\\') {
            value += c;
            continue;
          }
          const char e = i < line.size() ? line[i++] : '\0';
          if (e == '\\')
            value += '\\';
          else if (e == '"')
            value += '"';
          else if (e == 'n')
            value += '\n';
          else {
            fail(n, "bad escape in label value");
            ok = false;
            break;
          }
        }
        if (!ok) break;
        if (!sample.labels.emplace(label, value).second) fail(n, "label repeated: " + label);
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (ok && (i >= line.size() || line[i] != '}')) {
        fail(n, "unterminated label set");
        ok = false;
      }
      ++i;
    }
    if (!ok) continue;
    if (i >= line.size() || line[i] != ' ') {
      fail(n, "expected a space before the value");
      continue;
    }
    std::string rest = line.substr(i + 1);
    const auto space = rest.find(' ');  // an optional timestamp follows
    const auto value = parse_value(rest.substr(0, space));
    if (!value) {
      fail(n, "bad value '" + rest + "'");
      continue;
    }
    sample.value = *value;

    const auto family = family_of(sample.name, out.types);
    if (!family)
      fail(n, sample.name + " has no # TYPE declared before it");
    else if (*family != current_family)
      fail(n, sample.name + " is outside its family's block");
    std::string series = sample.name;
    for (const auto& [k, v] : sample.labels) series += "|" + k + "=" + v;
    if (!series_seen.insert(series).second) fail(n, "duplicate series " + series);
    out.samples.push_back(std::move(sample));
  }

  // Histograms: per series, buckets ascending and cumulative, +Inf equal to _count, a _sum.
  for (const auto& [family, type] : out.types) {
    if (type != "histogram") continue;
    std::map<LabelMap, std::vector<std::pair<double, double>>> buckets;
    for (const auto& s : out.samples) {
      if (s.name != family + "_bucket") continue;
      auto labels = s.labels;
      const auto le = labels.find("le");
      if (le == labels.end()) {
        out.errors.push_back(family + "_bucket without le");
        continue;
      }
      const auto bound = parse_value(le->second);
      if (!bound) out.errors.push_back(family + ": bad le " + le->second);
      labels.erase(le);
      buckets[labels].push_back({bound.value_or(0), s.value});
    }
    for (const auto& [labels, list] : buckets) {
      for (std::size_t i = 1; i < list.size(); ++i) {
        if (!(list[i].first > list[i - 1].first))
          out.errors.push_back(family + ": le not ascending");
        if (list[i].second < list[i - 1].second) out.errors.push_back(family + ": not cumulative");
      }
      if (list.empty() || !std::isinf(list.back().first))
        out.errors.push_back(family + ": no +Inf bucket");
      const auto count = out.value(family + "_count", labels);
      if (!count)
        out.errors.push_back(family + ": no _count");
      else if (!list.empty() && list.back().second != *count)
        out.errors.push_back(family + ": +Inf bucket differs from _count");
      if (!out.value(family + "_sum", labels)) out.errors.push_back(family + ": no _sum");
    }
    for (const auto& s : out.samples)
      if ((s.name == family + "_count" || s.name == family + "_sum") && !buckets.count(s.labels))
        out.errors.push_back(family + ": " + s.name + " without buckets");
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Parses and requires a clean exposition; checks the project's own naming rules too.
Exposition parse_ours(const std::string& text) {
  Exposition e = parse_exposition(text);
  EXPECT_TRUE(e.errors.empty()) << joined(e.errors) << "---\n" << text;
  for (const auto& [family, type] : e.types) {
    EXPECT_EQ(family.rfind("neptune_watchdog_", 0), 0u) << family;
    EXPECT_TRUE(e.helps.count(family)) << "no HELP for " << family;
    const bool total = family.size() > 6 && family.substr(family.size() - 6) == "_total";
    EXPECT_EQ(type == "counter", total) << family << " is a " << type;
  }
  for (const auto& s : e.samples)
    for (const auto& [label, value] : s.labels) {
      EXPECT_NE(label, "query_id") << s.name;
      EXPECT_NE(label, "query") << s.name;
    }
  return e;
}

const LabelMap kWriter = {{"endpoint", "writer"}};
const LabelMap kReader = {{"endpoint", "reader"}};

// ---------------------------------------------------------------------------------------------
// The parser itself: it must reject what a scraper rejects, or the checks above prove nothing.

TEST(MetricsTextParser, AcceptsAWellFormedExposition) {
  const auto e = parse_exposition(
      "# HELP x_total Things.\n# TYPE x_total counter\nx_total{a=\"q\\\"\\\\\\n\"} 3\n"
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 4.5\nh_count 2\n");
  EXPECT_TRUE(e.errors.empty()) << joined(e.errors);
  EXPECT_EQ(e.value("x_total", {{"a", "q\"\\\n"}}), 3);
  EXPECT_EQ(e.value("h_bucket", {{"le", "+Inf"}}), 2);
}

TEST(MetricsTextParser, RejectsWhatAScraperRejects) {
  const std::vector<std::string> bad = {
      "x 1\n",                                       // no TYPE
      "# TYPE x gauge\nx{a=\"b\\t\"} 1\n",           // bad escape
      "# TYPE x gauge\nx{a=\"b} 1\n",                // unterminated
      "# TYPE x gauge\nx{1a=\"b\"} 1\n",             // bad label name
      "# TYPE x gauge\nx{a=\"b\"} one\n",            // bad value
      "# TYPE x gauge\nx 1\nx 2\n",                  // duplicate series
      "# TYPE x gauge\nx 1",                         // no final newline
      "# TYPE x gauge\n# TYPE y gauge\ny 1\nx 1\n",  // family not grouped
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  // no +Inf
  };
  for (const auto& text : bad) EXPECT_FALSE(parse_exposition(text).errors.empty()) << text;
}

// ---------------------------------------------------------------------------------------------

// The sinks in force have their series from the start; a sink a reload removed has none, and
// its last message (sent as it leaves) is not counted.
TEST(Metrics, NotificationSeriesFollowTheSinksInForce) {
  Metrics metrics("1.2.3");
  metrics.notification_sinks({"chat", "pager"});
  metrics.notification_sent("chat");
  metrics.notification_sent("chat");
  metrics.notification_failed("pager");
  metrics.notifications_dropped("pager", 7);
  auto e = parse_ours(metrics.render());
  EXPECT_EQ(e.value("neptune_watchdog_notifications_sent_total", {{"sink", "chat"}}), 2);
  EXPECT_EQ(e.value("neptune_watchdog_notifications_failed_total", {{"sink", "chat"}}), 0);
  EXPECT_EQ(e.value("neptune_watchdog_notifications_sent_total", {{"sink", "pager"}}), 0);
  EXPECT_EQ(e.value("neptune_watchdog_notifications_failed_total", {{"sink", "pager"}}), 1);
  EXPECT_EQ(e.value("neptune_watchdog_notifications_dropped_total", {{"sink", "pager"}}), 7);
  metrics.notification_sinks({"chat"});
  metrics.notification_sent("pager");
  const std::string text = metrics.render();
  EXPECT_EQ(text.find("sink=\"pager\""), std::string::npos) << text;
  EXPECT_EQ(parse_ours(text).value("neptune_watchdog_notifications_sent_total", {{"sink", "chat"}}),
            2);
}

TEST(Metrics, AFreshRegistryDeclaresEveryFamilyAndTheBuildInfo) {
  Metrics metrics("1.2.3");
  const auto e = parse_ours(metrics.render());
  const std::map<std::string, std::string> expected = {
      {"neptune_watchdog_build_info", "gauge"},
      {"neptune_watchdog_poll_requests_total", "counter"},
      {"neptune_watchdog_poll_errors_total", "counter"},
      {"neptune_watchdog_poll_duration_seconds", "histogram"},
      {"neptune_watchdog_last_successful_poll_timestamp_seconds", "gauge"},
      {"neptune_watchdog_matching_seconds_total", "counter"},
      {"neptune_watchdog_queries_running", "gauge"},
      {"neptune_watchdog_queries_waiting", "gauge"},
      {"neptune_watchdog_oldest_running_query_seconds", "gauge"},
      {"neptune_watchdog_oldest_queued_query_seconds", "gauge"},
      {"neptune_watchdog_queries_given_up", "gauge"},
      {"neptune_watchdog_rule_selected_queries", "gauge"},
      {"neptune_watchdog_malformed_entries_total", "counter"},
      {"neptune_watchdog_decisions_total", "counter"},
      {"neptune_watchdog_cancels_total", "counter"},
      {"neptune_watchdog_budget_exhaustions_total", "counter"},
      {"neptune_watchdog_cancels_refused_total", "counter"},
      {"neptune_watchdog_cancel_lateness_seconds", "histogram"},
      {"neptune_watchdog_crossing_checks_total", "counter"},
      {"neptune_watchdog_audit_write_errors_total", "counter"},
      {"neptune_watchdog_cancelling_paused", "gauge"},
      {"neptune_watchdog_operator_paused", "gauge"},
      {"neptune_watchdog_quarantined_fingerprints", "gauge"},
      {"neptune_watchdog_discovery_refreshes_total", "counter"},
      {"neptune_watchdog_discovery_consecutive_failures", "gauge"},
      {"neptune_watchdog_cluster_instances", "gauge"},
      {"neptune_watchdog_notifications_sent_total", "counter"},
      {"neptune_watchdog_notifications_failed_total", "counter"},
      {"neptune_watchdog_notifications_dropped_total", "counter"},
      {"neptune_watchdog_config_reloads_total", "counter"},
      {"neptune_watchdog_last_reload_success", "gauge"},
      {"neptune_watchdog_config_info", "gauge"},
  };
  EXPECT_EQ(e.types, expected);
  EXPECT_EQ(e.value("neptune_watchdog_build_info", {{"version", "1.2.3"}}), 1);
  // Both results exist from the start, so rate() and alerts work before the first reload.
  EXPECT_EQ(e.value("neptune_watchdog_config_reloads_total", {{"result", "ok"}}), 0);
  EXPECT_EQ(e.value("neptune_watchdog_config_reloads_total", {{"result", "error"}}), 0);
  // No reload tried yet counts as a success; no version until one is in force.
  EXPECT_EQ(e.value("neptune_watchdog_last_reload_success"), 1);
  EXPECT_EQ(e.value("neptune_watchdog_audit_write_errors_total"), 0);
  EXPECT_EQ(e.value("neptune_watchdog_cancelling_paused"), 0);
  EXPECT_EQ(e.value("neptune_watchdog_operator_paused"), 0);
  EXPECT_EQ(e.value("neptune_watchdog_quarantined_fingerprints"), 0);
  EXPECT_EQ(e.samples.size(), 8u);
}

TEST(Metrics, TheDefaultVersionIsTheBuildsVersion) {
  const auto e = parse_ours(Metrics().render());
  EXPECT_EQ(e.value("neptune_watchdog_build_info", {{"version", NW_VERSION}}), 1);
}

TEST(Metrics, ExactValuesAfterASequenceOfEvents) {
  Metrics metrics("0.1.0");
  metrics.poll_finished("writer", "opencypher", true, "", 0.004, kT0);
  metrics.poll_finished("writer", "opencypher", false, "TooManyRequestsException", 0.02,
                        kT0 + seconds(5));
  metrics.poll_finished("writer", "opencypher", true, "ignored when ok", 0.3,
                        kT0 + milliseconds(5250));
  metrics.poll_finished("writer", "opencypher", false, "TooManyRequestsException", 0.5,
                        kT0 + seconds(10));
  metrics.poll_finished("reader", "opencypher", false, "transport", 10, kT0);
  metrics.poll_finished("reader", "opencypher", false, "", 45, kT0);
  metrics.decision_recorded("writer", "opencypher", "long-reads", AuditOutcome::cancelled);
  metrics.decision_recorded("writer", "opencypher", "long-reads", AuditOutcome::cancelled);
  metrics.decision_recorded("writer", "opencypher", "long-reads", AuditOutcome::not_found);
  metrics.decision_recorded("writer", "opencypher", "long-reads", AuditOutcome::budget_exhausted);
  metrics.decision_recorded("reader", "opencypher", "audit-only", AuditOutcome::logged);
  metrics.decision_recorded("reader", "opencypher", "long-reads", AuditOutcome::dry_run);
  metrics.decision_recorded("writer", "opencypher", "long-reads", AuditOutcome::cancel_ineffective);
  metrics.decision_recorded("writer", "opencypher", "long-reads", AuditOutcome::failed);
  metrics.cancel_lateness("writer", 0.5);
  metrics.cancel_lateness("writer", 2);
  metrics.cancel_lateness("writer", 400);
  metrics.queries_seen("writer", "opencypher", 7, 2);
  metrics.queries_seen("writer", "opencypher", 3, 0);  // a gauge: the latest figure
  metrics.queries_seen("writer", "gremlin", 4, 1);     // another status endpoint: its own figure
  metrics.queries_seen("reader", "opencypher", 1, 5);
  metrics.crossing_checked("writer", "confirmed");
  metrics.crossing_checked("writer", "confirmed");
  metrics.crossing_checked("writer", "ended");
  metrics.crossing_checked("reader", "failed");
  metrics.entries_skipped("writer", "opencypher", 0);  // a poll that skipped none: the series, at 0
  metrics.entries_skipped("writer", "gremlin", 2);
  metrics.entries_skipped("writer", "gremlin", 3);  // a counter: each poll adds its own
  metrics.matching_finished("writer", 0.25);
  metrics.matching_finished("writer", 0.5);  // a counter: each evaluation adds its own
  metrics.matching_finished("reader", 0);    // a poll that took no measurable time: the series
  metrics.matching_finished("reader", -1);   // a clock that stepped back adds nothing
  metrics.config_reloaded(true);
  metrics.config_reloaded(false);
  metrics.config_reloaded(true);

  const auto e = parse_ours(metrics.render());
  const std::string p = "neptune_watchdog_";

  EXPECT_EQ(e.value(p + "poll_requests_total", kWriter), 4);
  EXPECT_EQ(e.value(p + "poll_requests_total", kReader), 2);
  EXPECT_EQ(e.count(p + "poll_requests_total"), 2u);
  EXPECT_EQ(e.value(p + "poll_errors_total", {{"endpoint", "writer"},
                                              {"language", "opencypher"},
                                              {"code", "TooManyRequestsException"}}),
            2);
  EXPECT_EQ(e.value(p + "poll_errors_total",
                    {{"endpoint", "reader"}, {"language", "opencypher"}, {"code", "transport"}}),
            1);
  EXPECT_EQ(e.value(p + "poll_errors_total",
                    {{"endpoint", "reader"}, {"language", "opencypher"}, {"code", "unknown"}}),
            1);
  EXPECT_EQ(e.count(p + "poll_errors_total"), 3u);

  // Latency buckets: 0.004 <= 0.005; 0.02 <= 0.025; 0.3 <= 0.5; 0.5 <= 0.5 (le is inclusive).
  const std::vector<std::pair<std::string, double>> writer_latency = {
      {"0.005", 1}, {"0.01", 1}, {"0.025", 2}, {"0.05", 2}, {"0.1", 2}, {"0.25", 2}, {"0.5", 4},
      {"1", 4},     {"2.5", 4},  {"5", 4},     {"10", 4},   {"30", 4},  {"+Inf", 4}};
  for (const auto& [le, n] : writer_latency)
    EXPECT_EQ(e.value(p + "poll_duration_seconds_bucket", {{"endpoint", "writer"}, {"le", le}}), n)
        << le;
  EXPECT_EQ(e.count(p + "poll_duration_seconds_bucket"), 2 * writer_latency.size());
  EXPECT_DOUBLE_EQ(*e.value(p + "poll_duration_seconds_sum", kWriter), 0.824);
  EXPECT_EQ(e.value(p + "poll_duration_seconds_count", kWriter), 4);
  EXPECT_EQ(e.value(p + "poll_duration_seconds_bucket", {{"endpoint", "reader"}, {"le", "10"}}), 1);
  EXPECT_EQ(e.value(p + "poll_duration_seconds_bucket", {{"endpoint", "reader"}, {"le", "30"}}), 1);
  EXPECT_EQ(e.value(p + "poll_duration_seconds_bucket", {{"endpoint", "reader"}, {"le", "+Inf"}}),
            2);
  EXPECT_EQ(e.value(p + "poll_duration_seconds_sum", kReader), 55);

  // Only successes move the last-success time; the reader never succeeded.
  EXPECT_EQ(e.value(p + "last_successful_poll_timestamp_seconds", kWriter), 1'700'000'005.25);
  EXPECT_EQ(e.count(p + "last_successful_poll_timestamp_seconds"), 1u);

  const auto cypher = [](const char* endpoint) {
    return LabelMap{{"endpoint", endpoint}, {"language", "opencypher"}};
  };
  EXPECT_EQ(e.value(p + "queries_running", cypher("writer")), 3);
  EXPECT_EQ(e.value(p + "queries_waiting", cypher("writer")), 0);
  EXPECT_EQ(e.value(p + "queries_running", {{"endpoint", "writer"}, {"language", "gremlin"}}), 4);
  EXPECT_EQ(e.value(p + "queries_waiting", {{"endpoint", "writer"}, {"language", "gremlin"}}), 1);
  EXPECT_EQ(e.value(p + "queries_running", cypher("reader")), 1);
  EXPECT_EQ(e.value(p + "queries_waiting", cypher("reader")), 5);

  const auto decision = [&](const char* endpoint, const char* rule, const char* outcome) {
    return e.value(
        p + "decisions_total",
        {{"endpoint", endpoint}, {"language", "opencypher"}, {"rule", rule}, {"outcome", outcome}});
  };
  EXPECT_EQ(decision("writer", "long-reads", "cancelled"), 2);
  EXPECT_EQ(decision("writer", "long-reads", "not_found"), 1);
  EXPECT_EQ(decision("writer", "long-reads", "budget_exhausted"), 1);
  EXPECT_EQ(decision("writer", "long-reads", "cancel_ineffective"), 1);
  EXPECT_EQ(decision("writer", "long-reads", "failed"), 1);
  EXPECT_EQ(decision("reader", "audit-only", "logged"), 1);
  EXPECT_EQ(decision("reader", "long-reads", "dry_run"), 1);
  EXPECT_EQ(e.count(p + "decisions_total"), 7u);
  EXPECT_EQ(e.value(p + "cancels_total",
                    {{"endpoint", "writer"}, {"language", "opencypher"}, {"rule", "long-reads"}}),
            2);
  EXPECT_EQ(e.count(p + "cancels_total"), 1u);
  EXPECT_EQ(e.value(p + "budget_exhaustions_total",
                    {{"endpoint", "writer"}, {"language", "opencypher"}, {"rule", "long-reads"}}),
            1);
  EXPECT_EQ(e.count(p + "budget_exhaustions_total"), 1u);

  const std::vector<std::pair<std::string, double>> lateness = {
      {"0.05", 0}, {"0.1", 0}, {"0.25", 0}, {"0.5", 1}, {"1", 1},   {"2.5", 2},
      {"5", 2},    {"10", 2},  {"30", 2},   {"60", 2},  {"120", 2}, {"+Inf", 3}};
  for (const auto& [le, n] : lateness)
    EXPECT_EQ(e.value(p + "cancel_lateness_seconds_bucket", {{"endpoint", "writer"}, {"le", le}}),
              n)
        << le;
  EXPECT_EQ(e.count(p + "cancel_lateness_seconds_bucket"), lateness.size());
  EXPECT_EQ(e.value(p + "cancel_lateness_seconds_sum", kWriter), 402.5);
  EXPECT_EQ(e.value(p + "cancel_lateness_seconds_count", kWriter), 3);

  EXPECT_EQ(e.value(p + "crossing_checks_total", {{"endpoint", "writer"}, {"result", "confirmed"}}),
            2);
  EXPECT_EQ(e.value(p + "crossing_checks_total", {{"endpoint", "writer"}, {"result", "ended"}}), 1);
  EXPECT_EQ(e.value(p + "crossing_checks_total", {{"endpoint", "reader"}, {"result", "failed"}}),
            1);
  EXPECT_EQ(e.count(p + "crossing_checks_total"), 3u);

  EXPECT_EQ(e.value(p + "malformed_entries_total", cypher("writer")), 0);
  EXPECT_EQ(
      e.value(p + "malformed_entries_total", {{"endpoint", "writer"}, {"language", "gremlin"}}), 5);
  EXPECT_EQ(e.count(p + "malformed_entries_total"), 2u);

  EXPECT_EQ(e.value(p + "matching_seconds_total", kWriter), 0.75);
  EXPECT_EQ(e.value(p + "matching_seconds_total", {{"endpoint", "reader"}}), 0);
  EXPECT_EQ(e.count(p + "matching_seconds_total"), 2u);

  EXPECT_EQ(e.value(p + "config_reloads_total", {{"result", "ok"}}), 2);
  EXPECT_EQ(e.value(p + "config_reloads_total", {{"result", "error"}}), 1);
  EXPECT_EQ(e.value(p + "build_info", {{"version", "0.1.0"}}), 1);
}

TEST(Metrics, LabelValuesAreEscapedAndReadBackIntact) {
  Metrics metrics("v\"1\\\n");
  const std::string endpoint = "odd \"name\" with \\ and\nnewline";
  const std::string rule = "rule,with}braces{and=\"";
  metrics.poll_finished(endpoint, "opencypher", false, "Code\"X", 1, kT0);
  metrics.decision_recorded(endpoint, "opencypher", rule, AuditOutcome::cancelled);
  const std::string text = metrics.render();
  EXPECT_NE(text.find(R"(endpoint="odd \"name\" with \\ and\nnewline")"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(build_info{version="v\"1\\\n"} 1)"), std::string::npos) << text;
  const auto e = parse_ours(text);
  EXPECT_EQ(e.value("neptune_watchdog_poll_errors_total",
                    {{"endpoint", endpoint}, {"language", "opencypher"}, {"code", "Code\"X"}}),
            1);
  EXPECT_EQ(e.value("neptune_watchdog_decisions_total", {{"endpoint", endpoint},
                                                         {"language", "opencypher"},
                                                         {"rule", rule},
                                                         {"outcome", "cancelled"}}),
            1);
  EXPECT_EQ(e.value("neptune_watchdog_build_info", {{"version", "v\"1\\\n"}}), 1);
}

TEST(Metrics, HistogramsClampNegativeObservationsAndIgnoreNaN) {
  Metrics metrics;
  metrics.cancel_lateness("writer", -3);  // clock skew: never a negative sum
  metrics.cancel_lateness("writer", std::nan(""));
  metrics.cancel_lateness("writer", 0.05);  // on a bound: counted in it
  const auto e = parse_ours(metrics.render());
  const std::string p = "neptune_watchdog_cancel_lateness_seconds";
  EXPECT_EQ(e.value(p + "_bucket", {{"endpoint", "writer"}, {"le", "0.05"}}), 2);
  EXPECT_EQ(e.value(p + "_sum", kWriter), 0.05);
  EXPECT_EQ(e.value(p + "_count", kWriter), 2);
}

TEST(Metrics, OnlyBoundedLabelsEverAppear) {
  Metrics metrics;
  metrics.poll_finished("writer", "opencypher", false, "timeout", 1, kT0);
  metrics.poll_finished("writer", "opencypher", true, "", 1, kT0);
  for (AuditOutcome outcome :
       {AuditOutcome::sending, AuditOutcome::cancelled, AuditOutcome::dry_run, AuditOutcome::logged,
        AuditOutcome::not_found, AuditOutcome::failed, AuditOutcome::budget_exhausted,
        AuditOutcome::cancel_ineffective, AuditOutcome::given_up})
    metrics.decision_recorded("writer", "opencypher", "r", outcome);
  metrics.cancel_lateness("writer", 1);
  metrics.queries_seen("writer", "opencypher", 1, 1);
  metrics.config_reloaded(true);
  const auto e = parse_ours(metrics.render());
  const std::set<std::string> allowed = {"endpoint", "language", "code",    "rule",
                                         "outcome",  "result",   "version", "le"};
  std::set<std::string> used;
  for (const auto& s : e.samples)
    for (const auto& [label, value] : s.labels) used.insert(label);
  EXPECT_EQ(used, allowed);
}

TEST(Metrics, ConcurrentReportersLoseNoCount) {
  Metrics metrics;
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&metrics, t] {
      const std::string endpoint = t % 2 ? "writer" : "reader";
      for (int i = 0; i < kEach; ++i) {
        metrics.poll_finished(endpoint, "opencypher", i % 4 != 0, "timeout", 0.01,
                              kT0 + milliseconds(i));
        metrics.decision_recorded(endpoint, "opencypher", "r", AuditOutcome::cancelled);
        if (i % 100 == 0) metrics.render();
      }
    });
  for (auto& t : threads) t.join();
  const auto e = parse_ours(metrics.render());
  EXPECT_EQ(e.value("neptune_watchdog_poll_requests_total", kWriter), 2 * kEach);
  EXPECT_EQ(e.value("neptune_watchdog_poll_errors_total",
                    {{"endpoint", "reader"}, {"language", "opencypher"}, {"code", "timeout"}}),
            2 * kEach / 4);
  EXPECT_EQ(e.value("neptune_watchdog_cancels_total",
                    {{"endpoint", "writer"}, {"language", "opencypher"}, {"rule", "r"}}),
            2 * kEach);
  EXPECT_EQ(e.value("neptune_watchdog_poll_duration_seconds_count", kReader), 2 * kEach);
}

// ---------------------------------------------------------------------------------------------
// Health: every endpoint polled successfully within three intervals.

TEST(MetricsHealth, EveryCase) {
  struct Row {
    const char* name;
    std::vector<std::pair<std::string, SystemTime>> successes;  // endpoint, when
    std::vector<std::pair<std::string, SystemTime>> failures;
    SystemTime now;
    milliseconds interval;
    std::vector<std::string> endpoints;
    bool healthy;
    std::string reason;
  } rows[] = {
      {"never polled",
       {},
       {},
       kT0,
       seconds(5),
       {"writer"},
       false,
       "endpoint writer: never polled successfully"},
      {"only failures",
       {},
       {{"writer", kT0}},
       kT0,
       seconds(5),
       {"writer"},
       false,
       "endpoint writer: never polled successfully"},
      {"fresh", {{"writer", kT0}}, {}, kT0 + seconds(1), seconds(5), {"writer"}, true, ""},
      {"exactly three intervals",
       {{"writer", kT0}},
       {},
       kT0 + seconds(15),
       seconds(5),
       {"writer"},
       true,
       ""},
      {"one ms past",
       {{"writer", kT0}},
       {},
       kT0 + milliseconds(15'001),
       seconds(5),
       {"writer"},
       false,
       "endpoint writer: no successful poll for 15.001s (limit 15s)"},
      {"stale",
       {{"writer", kT0}},
       {},
       kT0 + seconds(17),
       seconds(5),
       {"writer"},
       false,
       "endpoint writer: no successful poll for 17s (limit 15s)"},
      {"failures do not refresh",
       {{"writer", kT0}},
       {{"writer", kT0 + seconds(16)}},
       kT0 + seconds(17),
       seconds(5),
       {"writer"},
       false,
       "endpoint writer: no successful poll for 17s (limit 15s)"},
      {"later success refreshes",
       {{"writer", kT0}, {"writer", kT0 + seconds(16)}},
       {},
       kT0 + seconds(17),
       seconds(5),
       {"writer"},
       true,
       ""},
      {"sub-second interval",
       {{"writer", kT0}},
       {},
       kT0 + milliseconds(1750),
       milliseconds(500),
       {"writer"},
       false,
       "endpoint writer: no successful poll for 1.75s (limit 1.5s)"},
      {"clock stepped back",
       {{"writer", kT0}},
       {},
       kT0 - seconds(60),
       seconds(5),
       {"writer"},
       true,
       ""},
      {"every bad endpoint, in config order",
       {{"writer", kT0}, {"reader-1", kT0 + seconds(20)}, {"reader-2", kT0 + seconds(40)}},
       {},
       kT0 + seconds(40),
       seconds(5),
       {"writer", "reader-2", "reader-3", "reader-1"},
       false,
       "endpoint writer: no successful poll for 40s (limit 15s); endpoint reader-3: never polled "
       "successfully; endpoint reader-1: no successful poll for 20s (limit 15s)"},
      {"endpoints no longer configured do not count",
       {{"writer", kT0}},
       {{"old", kT0}},
       kT0 + seconds(2),
       seconds(5),
       {"writer"},
       true,
       ""},
      {"no endpoints", {}, {}, kT0, seconds(5), {}, true, ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    Metrics metrics;
    for (const auto& [endpoint, at] : row.successes)
      metrics.poll_finished(endpoint, "opencypher", true, "", 0.1, at);
    for (const auto& [endpoint, at] : row.failures)
      metrics.poll_finished(endpoint, "opencypher", false, "transport", 0.1, at);
    const HealthReport report = metrics.health(row.now, row.interval, row.endpoints);
    EXPECT_EQ(report.healthy, row.healthy);
    EXPECT_EQ(report.reason, row.reason);
  }
}

}  // namespace
}  // namespace nw

namespace nw {
namespace {

// A loop per language: its decisions and poll errors are told apart, not summed.
TEST(Metrics, DecisionsAndPollErrorsCarryTheLanguage) {
  Metrics metrics;
  metrics.decision_recorded("writer", "opencypher", "long", AuditOutcome::cancelled);
  metrics.decision_recorded("writer", "gremlin", "long", AuditOutcome::cancelled);
  metrics.decision_recorded("writer", "gremlin", "long", AuditOutcome::budget_exhausted);
  metrics.poll_finished("writer", "sparql", false, "timeout", 1, kT0);
  const auto e = parse_ours(metrics.render());
  const std::string p = "neptune_watchdog_";
  const auto rule = [](const char* language) {
    return LabelMap{{"endpoint", "writer"}, {"language", language}, {"rule", "long"}};
  };
  auto with_outcome = [&](const char* language, const char* outcome) {
    LabelMap labels = rule(language);
    labels["outcome"] = outcome;
    return labels;
  };
  EXPECT_EQ(e.value(p + "decisions_total", with_outcome("opencypher", "cancelled")), 1);
  EXPECT_EQ(e.value(p + "decisions_total", with_outcome("gremlin", "cancelled")), 1);
  EXPECT_EQ(e.value(p + "decisions_total", with_outcome("gremlin", "budget_exhausted")), 1);
  EXPECT_EQ(e.value(p + "cancels_total", rule("opencypher")), 1);
  EXPECT_EQ(e.value(p + "cancels_total", rule("gremlin")), 1);
  EXPECT_EQ(e.value(p + "budget_exhaustions_total", rule("gremlin")), 1);
  EXPECT_EQ(e.value(p + "poll_errors_total",
                    {{"endpoint", "writer"}, {"language", "sparql"}, {"code", "timeout"}}),
            1);
}

// While the audit log cannot be written, cancelling pauses: the gauge and /healthz say so, with
// the cause first, and both clear when the pause ends.
TEST(Metrics, APausedWatchdogIsUnhealthyAndSaysWhy) {
  Metrics metrics;
  metrics.poll_finished("writer", "opencypher", true, "", 0.01, kT0);
  metrics.audit_write_failed();
  metrics.audit_write_failed();
  metrics.cancelling_paused(true, "the audit log /var/log/a.jsonl cannot be written (ENOSPC)");
  auto e = parse_ours(metrics.render());
  EXPECT_EQ(e.value("neptune_watchdog_audit_write_errors_total"), 2);
  EXPECT_EQ(e.value("neptune_watchdog_cancelling_paused"), 1);
  auto health = metrics.health(kT0 + seconds(1), seconds(5), {"writer"});
  EXPECT_FALSE(health.healthy);
  EXPECT_EQ(health.reason,
            "cancelling paused: the audit log /var/log/a.jsonl cannot be written (ENOSPC)");
  health = metrics.health(kT0 + seconds(20), seconds(5), {"writer"});
  EXPECT_EQ(health.reason,
            "cancelling paused: the audit log /var/log/a.jsonl cannot be written (ENOSPC); "
            "endpoint writer: no successful poll for 20s (limit 15s)");

  metrics.cancelling_paused(false, "ignored when not paused");
  e = parse_ours(metrics.render());
  EXPECT_EQ(e.value("neptune_watchdog_cancelling_paused"), 0);
  EXPECT_EQ(e.value("neptune_watchdog_audit_write_errors_total"), 2);  // a counter stays
  EXPECT_TRUE(metrics.health(kT0 + seconds(1), seconds(5), {"writer"}).healthy);
}

TEST(Metrics, AReplicaShowsItsMembershipOwnershipAndLeaseAndIsUnhealthyWhileNotActing) {
  Metrics metrics;
  metrics.poll_finished("writer", "opencypher", true, "", 0.01, kT0);
  EXPECT_EQ(parse_ours(metrics.render()).types.count("neptune_watchdog_ha_member"), 0u);
  metrics.ha_configured("prod", "watchdog-2");
  // Not yet joined: polls go on, but it may not cancel, and says so.
  auto health = metrics.health(kT0 + seconds(1), seconds(5), {"writer"});
  EXPECT_FALSE(health.healthy);
  EXPECT_EQ(health.reason, "not acting for replica group prod: not joined yet");
  metrics.ha_state(true, 3, 6.5, "");
  metrics.ha_units(5);
  metrics.ha_handover("acquired");
  metrics.ha_handover("acquired");
  metrics.ha_handover("lost");
  auto e = parse_ours(metrics.render());
  EXPECT_EQ(e.types.at("neptune_watchdog_ha_member"), "gauge");
  EXPECT_EQ(e.types.at("neptune_watchdog_ha_handovers_total"), "counter");
  EXPECT_EQ(e.value("neptune_watchdog_ha_member", {{"group", "prod"}, {"replica", "watchdog-2"}}),
            1);
  EXPECT_EQ(e.value("neptune_watchdog_ha_owned_units"), 3);
  EXPECT_EQ(e.value("neptune_watchdog_ha_units"), 5);
  EXPECT_EQ(e.value("neptune_watchdog_ha_lease_remaining_seconds"), 6.5);
  EXPECT_EQ(e.value("neptune_watchdog_ha_handovers_total", {{"change", "acquired"}}), 2);
  EXPECT_EQ(e.value("neptune_watchdog_ha_handovers_total", {{"change", "released"}}), 0);
  EXPECT_EQ(e.value("neptune_watchdog_ha_handovers_total", {{"change", "lost"}}), 1);
  EXPECT_TRUE(metrics.health(kT0 + seconds(1), seconds(5), {"writer"}).healthy);
  metrics.ha_state(false, 3, 0, "lease not confirmed within lease_ttl (etcd: timeout)");
  health = metrics.health(kT0 + seconds(1), seconds(5), {"writer"});
  EXPECT_EQ(health.reason,
            "not acting for replica group prod: lease not confirmed within lease_ttl (etcd: "
            "timeout)");
  EXPECT_EQ(
      parse_ours(metrics.render())
          .value("neptune_watchdog_ha_member", {{"group", "prod"}, {"replica", "watchdog-2"}}),
      0);
}

TEST(Metrics, TheConfigVersionInForceAndTheLastReloadsResult) {
  Metrics metrics;
  metrics.config_in_force("0123456789ab");
  auto e = parse_ours(metrics.render());
  EXPECT_EQ(e.value("neptune_watchdog_config_info", {{"version", "0123456789ab"}}), 1);
  EXPECT_EQ(e.value("neptune_watchdog_last_reload_success"), 1);

  metrics.config_reloaded(false);  // refused: the version in force stays
  e = parse_ours(metrics.render());
  EXPECT_EQ(e.value("neptune_watchdog_last_reload_success"), 0);
  EXPECT_EQ(e.value("neptune_watchdog_config_info", {{"version", "0123456789ab"}}), 1);

  metrics.config_in_force("ba9876543210");
  metrics.config_reloaded(true);
  e = parse_ours(metrics.render());
  EXPECT_EQ(e.value("neptune_watchdog_last_reload_success"), 1);
  EXPECT_EQ(e.value("neptune_watchdog_config_info", {{"version", "ba9876543210"}}), 1);
  EXPECT_EQ(e.count("neptune_watchdog_config_info"), 1u);  // the old version's series is gone
}

TEST(Metrics, OldestQueriesGivenUpQueriesAndRuleSelectionsPerLoop) {
  Metrics metrics;
  const std::string p = "neptune_watchdog_";
  metrics.oldest_queries("writer", "opencypher", 312.5, 0);
  metrics.oldest_queries("writer", "gremlin", 0, 61.25);
  metrics.oldest_queries("writer", "gremlin", -1, NAN);  // nonsense reads as none
  metrics.queries_given_up("writer", "opencypher", 2);
  metrics.rules_selected("writer", "opencypher", {{"long-reads", 7}, {"dead", 0}});
  metrics.rules_selected("writer", "gremlin", {{"long-reads", 1}});
  auto e = parse_ours(metrics.render());
  const LabelMap cypher = {{"endpoint", "writer"}, {"language", "opencypher"}};
  const LabelMap gremlin = {{"endpoint", "writer"}, {"language", "gremlin"}};
  EXPECT_EQ(e.value(p + "oldest_running_query_seconds", cypher), 312.5);
  EXPECT_EQ(e.value(p + "oldest_queued_query_seconds", cypher), 0);
  EXPECT_EQ(e.value(p + "oldest_running_query_seconds", gremlin), 0);
  EXPECT_EQ(e.value(p + "oldest_queued_query_seconds", gremlin), 0);
  EXPECT_EQ(e.value(p + "queries_given_up", cypher), 2);
  const auto selected = [&](const char* language, const char* rule) {
    return e.value(p + "rule_selected_queries",
                   {{"endpoint", "writer"}, {"language", language}, {"rule", rule}});
  };
  EXPECT_EQ(selected("opencypher", "long-reads"), 7);
  EXPECT_EQ(selected("opencypher", "dead"), 0);
  EXPECT_EQ(selected("gremlin", "long-reads"), 1);

  // A reload removed the rule `dead`: the loop's next poll leaves no series of it.
  metrics.rules_selected("writer", "opencypher", {{"long-reads", 3}});
  e = parse_ours(metrics.render());
  EXPECT_EQ(selected("opencypher", "long-reads"), 3);
  EXPECT_EQ(selected("opencypher", "dead"), std::nullopt);
  EXPECT_EQ(selected("gremlin", "long-reads"), 1);
  EXPECT_EQ(e.count(p + "rule_selected_queries"), 2u);
}

TEST(Metrics, AForgottenEndpointLeavesNoSeries) {
  Metrics metrics;
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'790'000'000));
  for (const std::string endpoint : {"gone", "kept"}) {
    metrics.poll_finished(endpoint, "opencypher", false, "timeout", 1, t0);
    metrics.poll_finished(endpoint, "opencypher", true, "", 1, t0);
    metrics.decision_recorded(endpoint, "opencypher", "r", AuditOutcome::cancelled);
    metrics.cancel_lateness(endpoint, 1);
    metrics.queries_seen(endpoint, "opencypher", 1, 1);
    metrics.crossing_checked(endpoint, "confirmed");
    metrics.entries_skipped(endpoint, "opencypher", 1);
    metrics.matching_finished(endpoint, 0.5);
    metrics.oldest_queries(endpoint, "opencypher", 3, 4);
    metrics.queries_given_up(endpoint, "opencypher", 1);
    metrics.rules_selected(endpoint, "opencypher", {{"r", 2}});
  }
  metrics.forget_endpoint("gone");
  const std::string text = metrics.render();
  EXPECT_EQ(text.find("\"gone\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"kept\""), std::string::npos);
}

}  // namespace
}  // namespace nw
