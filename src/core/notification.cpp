#include "nw/core/notification.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "nw/core/duration.h"
#include "nw/core/rfc3339.h"

namespace nw {

namespace {

std::string object_of(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out = "{";
  for (const auto& [name, value] : fields) {
    if (out.size() > 1) out += ",";
    append_json_string(out, name);
    out += ":";
    append_json_string(out, value);
  }
  return out + "}";
}

// "3 queries", "1 query".
std::string queries(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " query" : " queries");
}

std::string verb_of(NotifyOn kind) {
  switch (kind) {
    case NotifyOn::cancelled:
      return "cancelled";
    case NotifyOn::given_up:
      return "given up";
    case NotifyOn::budget_exhausted:
      return "not cancelled (budget spent)";
    case NotifyOn::paused:
      return "cancelling paused";
    case NotifyOn::quarantine:
      return "quarantined";
  }
  return "cancelled";
}

// Cuts `text` at `max_chars` characters (whole UTF-8 sequences), adding "…" when cut.
std::string cut(const std::string& text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return text.substr(0, i) + "…";
    ++chars;
  }
  return text;
}

// One line of printable text: what printable() makes of wire text (controls escaped).
std::string one_line(const std::string& text, std::size_t max_chars) {
  return printable(text, max_chars);
}

std::string event_line(const NotificationEvent& e) {
  if (e.kind == NotifyOn::paused) return "cancelling paused: " + one_line(e.detail, 300);
  std::string line;
  if (e.kind == NotifyOn::quarantine) {
    line = "fingerprint " + one_line(e.fingerprint, 40) + " quarantined";
  } else {
    line = "query " + loggable_id(e.query_id) + " " + verb_of(e.kind);
  }
  if (!e.endpoint.empty()) line += " on " + one_line(e.endpoint, 100);
  if (!e.rule.empty()) line += " by [rule." + one_line(e.rule, 100) + "]";
  if (e.elapsed_ms > 0)
    line += " after " + format_duration(Millis(e.elapsed_ms / 1000 * 1000));
  else if (e.waited_ms > 0)
    line += " after waiting " + format_duration(Millis(e.waited_ms / 1000 * 1000));
  if (!e.query.empty())
    line += ": " + one_line(e.query, 100);
  else if (!e.detail.empty())
    line += ": " + one_line(e.detail, 200);
  return line;
}

}  // namespace

std::optional<NotificationEvent> notification_of(const AuditRecord& r) {
  if (r.event != AuditEvent::decision || r.dry_run) return std::nullopt;
  NotificationEvent e;
  switch (r.outcome) {
    case AuditOutcome::cancelled:
      e.kind = NotifyOn::cancelled;
      break;
    case AuditOutcome::given_up:
      e.kind = NotifyOn::given_up;
      break;
    case AuditOutcome::budget_exhausted:
      e.kind = NotifyOn::budget_exhausted;
      break;
    default:
      return std::nullopt;
  }
  e.time = r.time;
  e.endpoint = r.endpoint;
  e.rule = r.rule;
  e.query_id = r.query_id;
  e.outcome = std::string(to_string(r.outcome));
  e.query = r.query.size() > kMaxQueryChars * 4 ? r.query.substr(0, kMaxQueryChars * 4) : r.query;
  e.elapsed_ms = r.elapsed_ms;
  e.waited_ms = r.waited_ms;
  e.detail = r.reason;
  e.fingerprint = r.fingerprint;
  e.json = to_json_line(r);
  return e;
}

NotificationEvent paused_event(std::chrono::system_clock::time_point time,
                               const std::string& cause) {
  NotificationEvent e;
  e.kind = NotifyOn::paused;
  e.time = time;
  e.outcome = "paused";
  e.detail = cause;
  e.json = object_of({{"event", "paused"}, {"time", format_rfc3339_ms(time)}, {"detail", cause}});
  return e;
}

NotificationEvent quarantine_event(std::chrono::system_clock::time_point time,
                                   const std::string& endpoint, const std::string& rule,
                                   const std::string& fingerprint, const std::string& detail) {
  NotificationEvent e;
  e.kind = NotifyOn::quarantine;
  e.time = time;
  e.endpoint = endpoint;
  e.rule = rule;
  e.fingerprint = fingerprint;
  e.outcome = "quarantine";
  e.detail = detail;
  e.json = object_of({{"event", "quarantine"},
                      {"time", format_rfc3339_ms(time)},
                      {"endpoint", endpoint},
                      {"rule", rule},
                      {"fingerprint", fingerprint},
                      {"detail", detail}});
  return e;
}

bool wanted(const NotifyConfig& notify, const NotificationEvent& event) {
  if (notify.on.count(event.kind) == 0) return false;
  if (notify.rules.empty() || event.rule.empty()) return true;
  return std::find(notify.rules.begin(), notify.rules.end(), event.rule) != notify.rules.end();
}

NotificationBatcher::NotificationBatcher(std::chrono::milliseconds window, std::size_t capacity)
    : window_(window), capacity_(capacity) {}

bool NotificationBatcher::add(NotificationEvent event, TimePoint now) {
  if (events_.size() >= capacity_) {
    ++refused_;
    return false;
  }
  if (events_.empty()) first_at_ = now;
  events_.push_back(std::move(event));
  return true;
}

std::optional<NotificationBatcher::TimePoint> NotificationBatcher::due() const {
  if (events_.empty() && refused_ == 0) return std::nullopt;
  TimePoint at = first_at_ + window_;
  if (last_taken_) at = std::max(at, *last_taken_ + window_);
  return at;
}

NotificationBatch NotificationBatcher::take(const std::string& sink, TimePoint now) {
  NotificationBatch batch;
  batch.sink = sink;
  batch.events.assign(std::make_move_iterator(events_.begin()),
                      std::make_move_iterator(events_.end()));
  batch.dropped = refused_;
  events_.clear();
  refused_ = 0;
  last_taken_ = now;
  return batch;
}

std::string batch_headline(const NotificationBatch& batch) {
  std::string out = "neptune-watchdog: ";
  if (batch.events.empty())
    return out + std::to_string(batch.dropped) + " event(s) dropped (the queue was full)";
  // Counts per kind, in the order kinds first appear; the endpoints and rules named.
  std::vector<std::pair<NotifyOn, std::size_t>> kinds;
  std::set<std::string> endpoints, rules;
  for (const auto& e : batch.events) {
    auto it =
        std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == e.kind; });
    if (it == kinds.end())
      kinds.emplace_back(e.kind, 1);
    else
      ++it->second;
    if (!e.endpoint.empty()) endpoints.insert(e.endpoint);
    if (!e.rule.empty()) rules.insert(e.rule);
  }
  std::string what;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    const auto [kind, n] = kinds[i];
    std::string part;
    if (kind == NotifyOn::paused)
      part = "cancelling paused (the audit log cannot be written)";
    else if (kind == NotifyOn::quarantine)
      part = std::to_string(n) + (n == 1 ? " query shape" : " query shapes") + " quarantined";
    else
      part = (i == 0 ? queries(n) : std::to_string(n)) + " " + verb_of(kind);
    what += (i == 0 ? "" : ", ") + part;
  }
  out += what;
  if (endpoints.size() == 1)
    out += " on " + one_line(*endpoints.begin(), 100);
  else if (endpoints.size() > 1)
    out += " on " + std::to_string(endpoints.size()) + " endpoints";
  if (rules.size() == 1)
    out += " by [rule." + one_line(*rules.begin(), 100) + "]";
  else if (rules.size() > 1)
    out += " by " + std::to_string(rules.size()) + " rules";
  if (batch.dropped > 0) out += " (" + std::to_string(batch.dropped) + " more dropped)";
  return out;
}

std::string batch_summary(const NotificationBatch& batch) {
  std::string out = batch_headline(batch);
  // Each line is kept whole: the list stops before a line that would not leave room for the
  // "… and N more" that says what it left out.
  const std::size_t room = kMaxSummaryChars - 40;
  std::size_t listed = 0;
  for (const auto& event : batch.events) {
    const std::string line = "\n• " + event_line(event);
    if (listed == kMaxListedEvents || out.size() + line.size() > room) break;
    out += line;
    ++listed;
  }
  if (batch.events.size() > listed)
    out += "\n… and " + std::to_string(batch.events.size() - listed) + " more";
  return cut(out, kMaxSummaryChars);
}

std::string batch_json(const NotificationBatch& batch) {
  std::string out = "{\"source\":\"neptune-watchdog\",\"sink\":";
  append_json_string(out, batch.sink);
  out += ",\"headline\":";
  append_json_string(out, batch_headline(batch));
  out += ",\"count\":" + std::to_string(batch.events.size());
  out += ",\"dropped\":" + std::to_string(batch.dropped);
  out += ",\"events\":[";
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    if (i > 0) out += ",";
    out += batch.events[i].json.empty() ? "{}" : batch.events[i].json;
  }
  return out + "]}";
}

std::string slack_payload(const NotificationBatch& batch) {
  // Slack reads &, < and > as its own markup (links, mentions): escaped as it documents.
  std::string text;
  for (char c : batch_summary(batch)) {
    if (c == '&')
      text += "&amp;";
    else if (c == '<')
      text += "&lt;";
    else if (c == '>')
      text += "&gt;";
    else
      text += c;
  }
  std::string out = "{\"text\":";
  append_json_string(out, text);
  return out + "}";
}

std::string sns_subject(const NotificationBatch& batch) {
  std::string subject;
  for (unsigned char c : batch_headline(batch))
    if (c >= 0x20 && c < 0x7f) subject += static_cast<char>(c);
  if (subject.size() > 100) subject = subject.substr(0, 97) + "...";
  return subject;
}

std::vector<std::string> command_environment(const NotificationBatch& batch) {
  const NotificationEvent none;
  const NotificationEvent& first = batch.events.empty() ? none : batch.events.front();
  const auto field = [](const char* name, const std::string& value) {
    return std::string(name) + "=" + printable(value, 1000);
  };
  return {
      field("NW_EVENT", batch.events.empty() ? "dropped" : std::string(to_string(first.kind))),
      field("NW_ENDPOINT", first.endpoint),
      field("NW_RULE", first.rule),
      field("NW_QUERY_ID", first.query_id),
      field("NW_OUTCOME", first.outcome),
      field("NW_FINGERPRINT", first.fingerprint),
      field("NW_TIME", batch.events.empty() ? "" : format_rfc3339_ms(first.time)),
      field("NW_COUNT", std::to_string(batch.events.size())),
      field("NW_DROPPED", std::to_string(batch.dropped)),
      field("NW_SINK", batch.sink),
      field("NW_SUMMARY", batch_headline(batch)),
  };
}

}  // namespace nw
