#include "nw/core/audit_record.h"

#include <cstdio>
#include <ctime>

#include "nw/core/rfc3339.h"

namespace nw {

std::string_view to_string(AuditOutcome outcome) {
  switch (outcome) {
    case AuditOutcome::cancelled:
      return "cancelled";
    case AuditOutcome::dry_run:
      return "dry_run";
    case AuditOutcome::logged:
      return "logged";
    case AuditOutcome::not_found:
      return "not_found";
    case AuditOutcome::failed:
      return "failed";
    case AuditOutcome::budget_exhausted:
      return "budget_exhausted";
    case AuditOutcome::cancel_ineffective:
      return "cancel_ineffective";
    case AuditOutcome::sending:
      return "sending";
    case AuditOutcome::given_up:
      return "given_up";
    case AuditOutcome::paused:
      return "paused";
  }
  return "failed";
}

std::string_view to_string(RunMode mode) {
  return mode == RunMode::once ? "once" : "service";
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t len = 0;
  unsigned cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0)
    len = 2, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0)
    len = 3, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0)
    len = 4, cp = c & 0x07;
  else
    return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  static constexpr unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return len;
}

// The code point of the valid `len`-byte UTF-8 sequence at s[i].
unsigned decode_utf8(std::string_view s, std::size_t i, std::size_t len) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned cp = len == 2 ? byte(i) & 0x1F : len == 3 ? byte(i) & 0x0F : byte(i) & 0x07;
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  return cp;
}

// Characters that a terminal acts on rather than shows: the C1 controls (U+0080-U+009F; CSI
// and OSC among them) and the bidirectional overrides, embeddings, isolates and marks that
// can make a log line read differently from what it holds.
bool terminal_active(unsigned cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// Appends the non-ASCII sequence at text[i] as JSON and a terminal both read it safely: valid
// UTF-8 as it is, a character a terminal acts on as \uXXXX, invalid bytes as \ufffd. Advances i.
void append_non_ascii(std::string& out, std::string_view text, std::size_t& i) {
  const std::size_t len = utf8_sequence_length(text, i);
  if (len == 0) {
    out += "\\ufffd";
    ++i;
    return;
  }
  if (const unsigned cp = decode_utf8(text, i, len); terminal_active(cp)) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", cp);
    out += buf;
  } else {
    out.append(text.substr(i, len));
  }
  i += len;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text, std::size_t max_chars) {
  out += '"';
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size() && chars < max_chars; ++chars) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      append_non_ascii(out, text, i);
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

AuditRecord topology_record(std::chrono::system_clock::time_point time, const std::string& cluster,
                            const std::string& instance, const std::string& change,
                            const std::string& detail, const std::string& config_version,
                            RunMode mode) {
  AuditRecord r;
  r.event = AuditEvent::topology;
  r.time = time;
  r.cluster = cluster;
  r.instance = instance;
  r.endpoint = cluster + "/" + instance;
  r.change = change;
  r.detail = detail;
  r.config_version = config_version;
  r.mode = mode;
  return r;
}

AuditRecord ownership_record(std::chrono::system_clock::time_point time, const std::string& unit,
                             const std::string& replica, std::int64_t revision,
                             const std::string& change, const std::string& detail,
                             const std::string& config_version) {
  AuditRecord r;
  r.event = AuditEvent::ownership;
  r.time = time;
  r.unit = unit;
  r.replica = replica;
  r.owner_revision = revision;
  r.change = change;
  r.detail = detail;
  r.config_version = config_version;
  return r;
}

AuditRecord ha_record(std::chrono::system_clock::time_point time, const std::string& replica,
                      const std::string& change, const std::string& detail,
                      const std::string& config_version) {
  AuditRecord r;
  r.event = AuditEvent::ha;
  r.time = time;
  r.replica = replica;
  r.change = change;
  r.detail = detail;
  r.config_version = config_version;
  return r;
}

AuditRecord admin_record(std::chrono::system_clock::time_point time, const std::string& change,
                         const std::string& requested_by, const std::string& detail,
                         const std::string& config_version) {
  AuditRecord r;
  r.event = AuditEvent::admin;
  r.time = time;
  r.change = change;
  r.requested_by = requested_by;
  r.detail = detail;
  r.config_version = config_version;
  return r;
}

std::string_view to_string(AuditEvent event) {
  switch (event) {
    case AuditEvent::decision:
      return "decision";
    case AuditEvent::topology:
      return "topology";
    case AuditEvent::ownership:
      return "ownership";
    case AuditEvent::ha:
      return "ha";
    case AuditEvent::admin:
      return "admin";
  }
  return "decision";
}

std::vector<std::string> journal_fields(const AuditRecord& r) {
  std::vector<std::string> fence;
  if (!r.replica.empty()) fence.push_back("REPLICA=" + r.replica);
  if (r.owner_revision != 0) fence.push_back("OWNER_REVISION=" + std::to_string(r.owner_revision));
  const auto with_fence = [&fence](std::vector<std::string> f) {
    f.insert(f.end(), fence.begin(), fence.end());
    return f;
  };
  if (r.event == AuditEvent::ownership || r.event == AuditEvent::ha) {
    std::vector<std::string> f = {
        "MESSAGE=" + to_json_line(r),
        r.change == "lost" || r.change == "stopped" ? "PRIORITY=4" : "PRIORITY=5",
        "SYSLOG_IDENTIFIER=neptune-watchdog",
        "NEPTUNE_WATCHDOG_AUDIT=1",
        "EVENT=" + std::string(to_string(r.event)),
        "TIME=" + format_rfc3339_ms(r.time),
        "CHANGE=" + r.change,
        "DETAIL=" + printable(r.detail),
        "CONFIG_VERSION=" + r.config_version};
    if (!r.unit.empty()) f.push_back("UNIT=" + r.unit);
    return with_fence(std::move(f));
  }
  if (r.event == AuditEvent::admin)
    return {"MESSAGE=" + to_json_line(r),
            "PRIORITY=5",
            "SYSLOG_IDENTIFIER=neptune-watchdog",
            "NEPTUNE_WATCHDOG_AUDIT=1",
            "EVENT=admin",
            "TIME=" + format_rfc3339_ms(r.time),
            "CHANGE=" + r.change,
            "REQUESTED_BY=" + printable(r.requested_by),
            "DETAIL=" + printable(r.detail),
            "CONFIG_VERSION=" + r.config_version,
            "MODE=" + std::string(to_string(r.mode))};
  if (r.event == AuditEvent::topology)
    return with_fence(
        {"MESSAGE=" + to_json_line(r), "PRIORITY=5", "SYSLOG_IDENTIFIER=neptune-watchdog",
         "NEPTUNE_WATCHDOG_AUDIT=1", "EVENT=topology", "TIME=" + format_rfc3339_ms(r.time),
         "CLUSTER=" + r.cluster, "INSTANCE=" + r.instance, "ENDPOINT=" + r.endpoint,
         "CHANGE=" + r.change, "DETAIL=" + printable(r.detail),
         "CONFIG_VERSION=" + r.config_version, "MODE=" + std::string(to_string(r.mode))});
  const bool notice = r.outcome == AuditOutcome::cancelled || r.outcome == AuditOutcome::failed ||
                      r.outcome == AuditOutcome::cancel_ineffective;
  std::vector<std::string> f = {
      "MESSAGE=" + to_json_line(r),
      std::string("PRIORITY=") + (r.outcome == AuditOutcome::failed ? "4"
                                  : notice                          ? "5"
                                                                    : "6"),
      "SYSLOG_IDENTIFIER=neptune-watchdog",
      "NEPTUNE_WATCHDOG_AUDIT=1",
      "TIME=" + format_rfc3339_ms(r.time),
      "ENDPOINT=" + r.endpoint,
      "LANGUAGE=" + std::string(to_string(r.language)),
      "QUERY_ID=" + r.query_id,
      "RULE=" + r.rule,
      "ACTION=" + std::string(to_string(r.action)),
      "OUTCOME=" + std::string(to_string(r.outcome)),
      std::string("SILENT=") + (r.silent ? "true" : "false"),
      std::string("DRY_RUN=") + (r.dry_run ? "true" : "false"),
      "ELAPSED_MS=" + std::to_string(r.elapsed_ms),
      "WAITED_MS=" + std::to_string(r.waited_ms),
      "ATTEMPTS=" + std::to_string(r.attempts),
      // One line, escaped as in the diagnostic log, so journalctl shows it as text.
      "QUERY=" + printable(r.query, kMaxQueryChars),
      "CONFIG_VERSION=" + r.config_version,
      "MODE=" + std::string(to_string(r.mode)),
  };
  if (!r.record_id.empty()) f.push_back("RECORD_ID=" + r.record_id);
  if (!r.fingerprint.empty()) f.push_back("FINGERPRINT=" + r.fingerprint);
  if (!r.reason.empty()) f.push_back("REASON=" + r.reason);
  if (!r.requested_by.empty()) f.push_back("REQUESTED_BY=" + printable(r.requested_by));
  if (r.outcome == AuditOutcome::failed) f.push_back("ERROR=" + r.error);
  return with_fence(std::move(f));
}

std::string printable(std::string_view text, std::size_t max_chars) {
  std::string quoted;
  append_json_string(quoted, text, max_chars);
  return quoted.substr(1, quoted.size() - 2);  // the escapes, without the quotes
}

std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    char buf[8];
    if (c < 0x20 || c == 0x7F) {
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      append_non_ascii(out, text, i);
    }
  }
  return out;
}

std::string loggable_id(std::string_view id) {
  constexpr std::size_t kMaxIdChars = 128;
  if (id.size() <= kMaxIdChars) return printable(id);
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (const char c : id) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "...#%08x", hash);
  return printable(id, kMaxIdChars) + suffix;
}

std::string to_json_line(const AuditRecord& r) {
  std::string out;
  out.reserve(256 + r.query.size());
  const auto field = [&out](std::string_view name) {
    out += out.empty() ? "{\"" : ",\"";
    out += name;
    out += "\":";
  };
  const auto text = [&](std::string_view name, std::string_view value) {
    field(name);
    append_json_string(out, value);
  };
  const auto number = [&](std::string_view name, std::int64_t value) {
    field(name);
    out += std::to_string(value);
  };
  const auto boolean = [&](std::string_view name, bool value) {
    field(name);
    out += value ? "true" : "false";
  };

  const auto fence = [&] {
    if (!r.replica.empty()) text("replica", r.replica);
    if (r.owner_revision != 0) number("owner_revision", r.owner_revision);
  };

  text("time", format_rfc3339_ms(r.time));
  if (r.event == AuditEvent::ownership || r.event == AuditEvent::ha) {
    text("event", to_string(r.event));
    if (!r.unit.empty()) text("unit", r.unit);
    fence();
    text("change", r.change);
    text("detail", r.detail);
    text("config_version", r.config_version);
    out += '}';
    return out;
  }
  if (r.event == AuditEvent::admin) {
    text("event", "admin");
    text("change", r.change);
    text("requested_by", r.requested_by);
    text("detail", r.detail);
    text("config_version", r.config_version);
    text("mode", to_string(r.mode));
    out += '}';
    return out;
  }
  if (r.event == AuditEvent::topology) {
    text("event", "topology");
    text("cluster", r.cluster);
    text("instance", r.instance);
    text("endpoint", r.endpoint);
    text("change", r.change);
    text("detail", r.detail);
    text("config_version", r.config_version);
    text("mode", to_string(r.mode));
    fence();
    out += '}';
    return out;
  }
  text("endpoint", r.endpoint);
  text("language", to_string(r.language));
  text("query_id", r.query_id);
  text("rule", r.rule);
  number("elapsed_ms", r.elapsed_ms);
  number("waited_ms", r.waited_ms);
  text("action", to_string(r.action));
  boolean("silent", r.silent);
  boolean("dry_run", r.dry_run);
  text("outcome", to_string(r.outcome));
  number("attempts", r.attempts);
  field("query");
  append_json_string(out, r.query, kMaxQueryChars);
  if (!r.fingerprint.empty()) text("fingerprint", r.fingerprint);
  if (!r.reason.empty()) text("reason", r.reason);
  if (!r.requested_by.empty()) text("requested_by", r.requested_by);
  if (r.outcome == AuditOutcome::failed) text("error", r.error);
  text("config_version", r.config_version);
  text("mode", to_string(r.mode));
  if (!r.record_id.empty()) text("record_id", r.record_id);
  fence();
  out += '}';
  return out;
}

}  // namespace nw
