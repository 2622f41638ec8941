#include "nw/core/audit_digest.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <tuple>

#include "nw/core/duration.h"
#include "nw/core/fingerprint.h"
#include "nw/core/rfc3339.h"
#include "nw/core/text_columns.h"

namespace nw {
namespace {

using std::chrono::system_clock;

constexpr std::size_t kColumns = 100;
constexpr std::string_view kIndent = "     ";
constexpr std::size_t kNamesShown = 3;

// The fingerprint a record is grouped under: its own, or (records written before the field
// existed) the one its query text gives, with the function the daemon uses.
std::uint64_t fingerprint_of(const DigestRecord& record) {
  if (record.fingerprint) return *record.fingerprint;
  return fingerprint_query(record.language, record.query).hash;
}

void sort_names(std::vector<NameCount>& names) {
  std::sort(names.begin(), names.end(), [](const NameCount& a, const NameCount& b) {
    return a.records != b.records ? a.records > b.records : a.name < b.name;
  });
}

// "1,234,567"
std::string thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// `line` cut to `columns` characters (UTF-8 code points; terminal_safe() output is valid UTF-8),
// the last three of them "..." when it was longer.
std::string fit(const std::string& line, std::size_t columns) {
  std::size_t chars = 0;
  std::size_t cut = std::string::npos;  // the byte offset after columns - 3 characters
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (chars == columns - 3) cut = i;
    if (++chars > columns) return line.substr(0, cut) + "...";
  }
  return line;
}

std::string names_text(const std::vector<NameCount>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kNamesShown; ++i) {
    if (i != 0) out += ", ";
    out += terminal_safe(names[i].name);
  }
  if (names.size() > kNamesShown)
    out += " and " + std::to_string(names.size() - kNamesShown) + " more";
  return out;
}

bool ranks_before(const DigestEntry& a, const DigestEntry& b) {
  const auto key = [](const DigestEntry& e) {
    return std::make_tuple(e.count(AuditOutcome::cancelled), e.burned_ms,
                           e.count(AuditOutcome::dry_run), e.records);
  };
  const auto ka = key(a), kb = key(b);
  if (ka != kb) return ka > kb;
  return a.fingerprint < b.fingerprint;
}

void append_names_json(std::string& out, const std::vector<NameCount>& names) {
  out += '[';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i != 0) out += ',';
    append_json_string(out, names[i].name);
  }
  out += ']';
}

}  // namespace

std::optional<AuditOutcome> audit_outcome_named(std::string_view name) {
  for (std::size_t i = 0; i < kAuditOutcomes; ++i) {
    const auto outcome = static_cast<AuditOutcome>(i);
    if (to_string(outcome) == name) return outcome;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_fingerprint_hex(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    unsigned digit;
    if (c >= '0' && c <= '9')
      digit = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      digit = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      digit = static_cast<unsigned>(c - 'A' + 10);
    else
      return std::nullopt;
    value = (value << 4) | digit;
  }
  return value;
}

std::optional<system_clock::time_point> parse_digest_time(std::string_view text,
                                                          system_clock::time_point now) {
  if (const auto at = parse_rfc3339(text)) return at;
  if (text.size() >= 2 && text.back() == 'd') {
    std::int64_t days = 0;
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
      const char c = text[i];
      if (c < '0' || c > '9' || days > 100000) return std::nullopt;
      days = days * 10 + (c - '0');
    }
    return now - std::chrono::hours(24 * days);
  }
  if (const auto ago = parse_duration(text)) return now - *ago;
  return std::nullopt;
}

DigestAccumulator::DigestAccumulator(DigestRange range) : range_(range) {}

std::uint32_t DigestAccumulator::intern(std::string_view name) {
  if (const auto it = name_ids_.find(name); it != name_ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  name_ids_.emplace(names_.back(), id);
  return id;
}

void DigestAccumulator::add(const DigestRecord& record) {
  if (record.outcome == AuditOutcome::sending) {
    ++sending_;
    return;
  }
  if ((range_.since && record.time < *range_.since) ||
      (range_.until && record.time >= *range_.until)) {
    ++out_of_range_;
    return;
  }
  ++records_;
  if (!first_ || record.time < *first_) first_ = record.time;
  if (!last_ || record.time > *last_) last_ = record.time;

  const std::uint64_t fingerprint = fingerprint_of(record);
  auto [it, added] = slot_of_.try_emplace(fingerprint, slots_.size());
  if (added) {
    Slot& fresh = slots_.emplace_back();
    fresh.fingerprint = fingerprint;
    fresh.first = fresh.last = record.time;
    fresh.example = record.query;
  }
  const std::size_t index = it->second;
  Slot& slot = slots_[index];
  if (!record.fingerprint) slot.computed = true;
  ++slot.records;
  ++slot.outcomes[static_cast<std::size_t>(record.outcome)];
  if (record.outcome == AuditOutcome::cancelled)
    // Saturating: a hostile line's huge elapsed_ms must not overflow the sum.
    slot.burned_ms += std::min(std::max<std::int64_t>(0, record.elapsed_ms),
                               std::numeric_limits<std::int64_t>::max() - slot.burned_ms);
  if (record.time < slot.first) {
    slot.first = record.time;
    slot.example = record.query;
  }
  if (record.time > slot.last) slot.last = record.time;
  ++endpoint_records_[pair_key(index, intern(record.endpoint))];
  ++rule_records_[pair_key(index, intern(record.rule))];
}

Digest DigestAccumulator::finish() const {
  Digest digest;
  digest.records = records_;
  digest.out_of_range = out_of_range_;
  digest.sending = sending_;
  digest.first = first_;
  digest.last = last_;
  std::vector<std::vector<NameCount>> endpoints(slots_.size()), rules(slots_.size());
  for (const auto& [key, count] : endpoint_records_)
    endpoints[key >> 32].push_back({names_[key & 0xFFFFFFFFu], count});
  for (const auto& [key, count] : rule_records_)
    rules[key >> 32].push_back({names_[key & 0xFFFFFFFFu], count});
  digest.entries.reserve(slots_.size());
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    DigestEntry e;
    e.fingerprint = s.fingerprint;
    e.computed = s.computed;
    e.records = s.records;
    e.outcomes = s.outcomes;
    e.burned_ms = s.burned_ms;
    e.first = s.first;
    e.last = s.last;
    e.example = s.example;
    e.endpoints = std::move(endpoints[i]);
    e.rules = std::move(rules[i]);
    sort_names(e.endpoints);
    sort_names(e.rules);
    digest.entries.push_back(std::move(e));
  }
  std::sort(digest.entries.begin(), digest.entries.end(), ranks_before);
  return digest;
}

std::string format_burned(std::int64_t ms) {
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms / 100) / 10.0);
  } else if (ms < 3'600'000) {
    const long long s = ms / 1000;
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    const long long m = ms / 60'000;
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", m / 60, m % 60);
  }
  return buf;
}

std::string format_digest_text(const Digest& digest, const DigestSources& sources,
                               std::size_t limit) {
  std::string out;
  const auto line = [&out](const std::string& text) {
    out += fit(text, kColumns);
    out += '\n';
  };
  std::string head = "# " + thousands(digest.records) + " decision records from " +
                     thousands(sources.files) + (sources.files == 1 ? " file" : " files");
  if (digest.first && digest.last)
    head += ", " + format_rfc3339(*digest.first) + " to " + format_rfc3339(*digest.last);
  line(head);
  if (sources.range.since || sources.range.until) {
    std::string range = "# counted: ";
    range += sources.range.since ? "from " + format_rfc3339(*sources.range.since) : "";
    range += sources.range.since && sources.range.until ? " " : "";
    range += sources.range.until ? "until " + format_rfc3339(*sources.range.until) : "";
    range += " (" + thousands(digest.out_of_range) + " records outside)";
    line(range);
  }
  const std::size_t shown =
      limit == 0 ? digest.entries.size() : std::min(limit, digest.entries.size());
  std::string count = "# " + thousands(digest.entries.size()) +
                      (digest.entries.size() == 1 ? " fingerprint" : " fingerprints");
  if (shown < digest.entries.size())
    count += ", the " + thousands(shown) + " with the most cancels";
  count += "; Burned: the Neptune time of the cancelled queries";
  line(count);
  if (digest.entries.empty()) return out;

  char row[160];
  std::snprintf(row, sizeof row, "%4s %-16s %8s %8s %8s %9s %7s %8s %7s %7s", "Rank", "Fingerprint",
                "Cancels", "Burned", "Dry-run", "Not-found", "Failed", "Given-up", "Budget",
                "Logged");
  out += '\n';
  line(row);
  for (std::size_t i = 0; i < shown; ++i) {
    const DigestEntry& e = digest.entries[i];
    const auto n = [&e](AuditOutcome o) { return static_cast<unsigned long long>(e.count(o)); };
    std::snprintf(row, sizeof row, "%4zu %-16s %8llu %8s %8llu %9llu %7llu %8llu %7llu %7llu",
                  i + 1, fingerprint_hex(e.fingerprint).c_str(), n(AuditOutcome::cancelled),
                  format_burned(e.burned_ms).c_str(), n(AuditOutcome::dry_run),
                  n(AuditOutcome::not_found), n(AuditOutcome::failed), n(AuditOutcome::given_up),
                  n(AuditOutcome::budget_exhausted), n(AuditOutcome::logged));
    line(row);
    line(std::string(kIndent) + thousands(e.records) +
         (e.records == 1 ? " record, " : " records, ") + format_rfc3339(e.first) + " to " +
         format_rfc3339(e.last) + (e.computed ? ", fingerprint computed from the text" : ""));
    line(std::string(kIndent) + "endpoints (" + std::to_string(e.endpoints.size()) +
         "): " + names_text(e.endpoints) + "; rules (" + std::to_string(e.rules.size()) +
         "): " + names_text(e.rules));
    line(std::string(kIndent) + terminal_line(e.example));
  }
  return out;
}

std::string format_digest_json(const Digest& digest, std::size_t limit) {
  const std::size_t shown =
      limit == 0 ? digest.entries.size() : std::min(limit, digest.entries.size());
  std::string out = "[";
  for (std::size_t i = 0; i < shown; ++i) {
    const DigestEntry& e = digest.entries[i];
    out += i == 0 ? "\n" : ",\n";
    out += "{\"rank\":" + std::to_string(i + 1);
    out += ",\"fingerprint\":\"" + fingerprint_hex(e.fingerprint) + '"';
    out += std::string(",\"fingerprint_computed\":") + (e.computed ? "true" : "false");
    out += ",\"records\":" + std::to_string(e.records);
    for (std::size_t o = 0; o < kAuditOutcomes; ++o) {
      const auto outcome = static_cast<AuditOutcome>(o);
      if (outcome == AuditOutcome::sending) continue;  // never counted under a fingerprint
      out += ",\"";
      out += to_string(outcome);
      out += "\":" + std::to_string(e.outcomes[o]);
    }
    out += ",\"burned_ms\":" + std::to_string(e.burned_ms);
    out += ",\"endpoint_count\":" + std::to_string(e.endpoints.size()) + ",\"endpoints\":";
    append_names_json(out, e.endpoints);
    out += ",\"rule_count\":" + std::to_string(e.rules.size()) + ",\"rules\":";
    append_names_json(out, e.rules);
    out += ",\"first\":\"" + format_rfc3339(e.first) + "\",\"last\":\"" + format_rfc3339(e.last) +
           "\",\"example\":";
    append_json_string(out, e.example);
    out += '}';
  }
  out += shown == 0 ? "]\n" : "\n]\n";
  return out;
}

}  // namespace nw
