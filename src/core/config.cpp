#include "nw/core/config.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <utility>
#include <variant>

#include "nw/core/audit_record.h"
#include "nw/core/deadline.h"
#include "nw/core/ini.h"
#include "nw/core/listen_address.h"
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

std::string ConfigError::format(std::string_view origin) const {
  std::string out(origin);
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

// A key's parser: stores the value or returns why it cannot.
using KeyParser = std::function<std::optional<std::string>(const std::string& value)>;
using KeyTable = std::map<std::string, KeyParser>;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

KeyParser duration_key(Millis& target, bool positive) {
  return [&target, positive](const std::string& v) -> std::optional<std::string> {
    auto d = parse_duration(v);
    if (!d) return "bad duration '" + v + "' (use a whole number with ms, s, m or h, e.g. 300s)";
    if (positive && d->count() == 0) return "must be greater than 0";
    target = *d;
    return std::nullopt;
  };
}

KeyParser min_duration_key(Millis& target, Millis minimum) {
  return [&target, minimum](const std::string& v) -> std::optional<std::string> {
    auto d = parse_duration(v);
    if (!d) return "bad duration '" + v + "' (use a whole number with ms, s, m or h, e.g. 300s)";
    if (*d < minimum) return "must be at least " + format_duration(minimum);
    target = *d;
    return std::nullopt;
  };
}

KeyParser optional_duration_key(std::optional<Millis>& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    auto d = parse_duration(v);
    if (!d) return "bad duration '" + v + "' (use a whole number with ms, s, m or h, e.g. 300s)";
    target = *d;
    return std::nullopt;
  };
}

KeyParser bool_key(bool& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    const std::string l = lower(v);
    if (l == "true" || l == "yes" || l == "on")
      target = true;
    else if (l == "false" || l == "no" || l == "off")
      target = false;
    else
      return "expected true or false, got '" + v + "'";
    return std::nullopt;
  };
}

template <class E>
KeyParser enum_key(E& target, std::vector<std::pair<std::string, E>> choices) {
  return [&target, choices](const std::string& v) -> std::optional<std::string> {
    std::string names;
    for (const auto& [name, value] : choices) {
      if (v == name) {
        target = value;
        return std::nullopt;
      }
      names += (names.empty() ? "" : ", ") + name;
    }
    return "unknown value '" + v + "' (expected one of: " + names + ")";
  };
}

KeyParser string_key(std::string& target, bool required_non_empty) {
  return [&target, required_non_empty](const std::string& v) -> std::optional<std::string> {
    if (required_non_empty && v.empty()) return "must not be empty";
    target = v;
    return std::nullopt;
  };
}

KeyParser int_key(int& target, int min, int max) {
  return [&target, min, max](const std::string& v) -> std::optional<std::string> {
    int n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max)
      return "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
             ", got '" + v + "'";
    target = n;
    return std::nullopt;
  };
}

KeyParser optional_count_key(std::optional<std::int64_t>& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 0 || n > 1'000'000)
      return "expected a whole number from 0 to 1000000, got '" + v + "'";
    target = n;
    return std::nullopt;
  };
}

KeyParser optional_rate_key(std::optional<int>& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    int n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 100'000)
      return "expected a whole number from 1 to 100000, got '" + v + "'";
    target = n;
    return std::nullopt;
  };
}

KeyParser window_key(std::optional<TimeWindow>& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    std::string error;
    target = parse_time_window(v, error);
    if (!target) return "bad window '" + v + "': " + error;
    return std::nullopt;
  };
}

KeyParser until_key(std::optional<std::chrono::system_clock::time_point>& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    target = parse_rfc3339(v);
    if (!target)
      return "bad time '" + v + "' (use RFC 3339 between 1970 and 2200, e.g. 2026-12-01T00:00:00Z)";
    return std::nullopt;
  };
}

// "a, b, c": the entries, trimmed. An empty entry (",,", a trailing comma) is an error, since it
// usually means something was deleted by mistake. std::getline would drop an empty last entry,
// hence the explicit check.
std::optional<std::vector<std::string>> split_list(const std::string& v, std::string& error) {
  std::vector<std::string> entries;
  const auto last = v.find_last_not_of(" \t");
  if (last != std::string::npos && v[last] == ',') {
    error = "empty entry in the list '" + v + "'";
    return std::nullopt;
  }
  std::stringstream parts(v);
  for (std::string part; std::getline(parts, part, ',');) {
    const auto first = part.find_first_not_of(" \t");
    if (first == std::string::npos) {
      error = "empty entry in the list '" + v + "'";
      return std::nullopt;
    }
    entries.push_back(part.substr(first, part.find_last_not_of(" \t") - first + 1));
  }
  return entries;
}

KeyParser id_list_key(std::set<std::string>& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    std::string error;
    const auto ids = split_list(v, error);
    if (!ids) return error;
    target.insert(ids->begin(), ids->end());
    if (target.empty()) return "must list at least one query id";
    return std::nullopt;
  };
}

// "journal", "PATH", or both separated by a comma.
KeyParser audit_log_key(WatchdogSettings& w) {
  return [&w](const std::string& v) -> std::optional<std::string> {
    w.audit_log.clear();
    w.audit_journal = false;
    std::string error;
    const auto parts = split_list(v, error);
    if (!parts) return error;
    for (const auto& part : *parts) {
      if (part == "journal") {
        if (w.audit_journal) return "'journal' given twice";
        w.audit_journal = true;
      } else if (part.front() != '/') {
        return "expected an absolute path, 'journal', or both, got '" + part + "'";
      } else if (!w.audit_log.empty()) {
        return "only one audit file may be given";
      } else {
        w.audit_log = part;
      }
    }
    if (w.audit_log.empty() && !w.audit_journal) return "must not be empty";
    return std::nullopt;
  };
}

// Empty (no metrics server) or an address to listen on; whether it can be bound is found at start.
KeyParser listen_key(std::string& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    if (!v.empty()) {
      const auto parsed = parse_listen_address(v);
      if (const auto* why = std::get_if<std::string>(&parsed))
        return "invalid listen address '" + v + "': " + *why;
    }
    target = v;
    return std::nullopt;
  };
}

// Bytes, with an optional K, M or G suffix (powers of 1024): 100M, 1G, 65536.
KeyParser byte_size_key(std::uint64_t& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    const std::string_view unit(end, static_cast<std::size_t>(v.data() + v.size() - end));
    int shift = -1;
    if (unit.empty())
      shift = 0;
    else if (unit == "K")
      shift = 10;
    else if (unit == "M")
      shift = 20;
    else if (unit == "G")
      shift = 30;
    if (ec != std::errc() || end == v.data() || shift < 0 || n > (1ull << 40) >> shift)
      return "bad size '" + v + "' (bytes, or a whole number with K, M or G, e.g. 100M)";
    target = n << shift;
    return std::nullopt;
  };
}

// A byte size between `minimum` and `maximum`, named in the message in the same units.
KeyParser bounded_byte_size_key(std::uint64_t& target, std::uint64_t minimum, std::uint64_t maximum,
                                const char* range_text) {
  return
      [&target, minimum, maximum, range_text](const std::string& v) -> std::optional<std::string> {
        std::uint64_t n = 0;
        if (auto problem = byte_size_key(n)(v)) return problem;
        if (n < minimum || n > maximum) return "size '" + v + "' out of range (" + range_text + ")";
        target = n;
        return std::nullopt;
      };
}

std::optional<Language> language_named(const std::string& name) {
  if (name == "opencypher") return Language::opencypher;
  if (name == "gremlin") return Language::gremlin;
  if (name == "sparql") return Language::sparql;
  return std::nullopt;
}

// Languages as an operator writes them: "gremlin, sparql".
template <class Languages>
std::string language_list(const Languages& languages) {
  std::string out;
  for (Language l : languages) {
    if (!out.empty()) out += ", ";
    out += to_string(l);
  }
  return out;
}

// "opencypher, gremlin, sparql": at least one, no repeats.
template <class Add>
std::optional<std::string> parse_languages(const std::string& v, Add add) {
  std::string error;
  const auto names = split_list(v, error);
  if (!names) return error;
  std::set<Language> seen;
  for (const auto& name : *names) {
    const auto language = language_named(name);
    if (!language)
      return "unknown language '" + name + "' (expected opencypher, gremlin or sparql)";
    if (!seen.insert(*language).second) return "'" + name + "' given twice";
    add(*language);
  }
  if (seen.empty()) return "must name at least one language";
  return std::nullopt;
}

KeyParser regex_key(std::shared_ptr<const re2::RE2>& target) {
  return [&target](const std::string& v) -> std::optional<std::string> {
    if (v.empty()) return "empty pattern (remove the key to match every query)";
    std::string error;
    target = compile_regex(v, error);
    if (!target) return "bad regex '" + v + "': " + error;
    return std::nullopt;
  };
}

bool valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

class ConfigBuilder {
 public:
  explicit ConfigBuilder(std::string origin) { result_.config.origin = std::move(origin); }

  ConfigResult build(const IniDocument& doc) {
    for (const auto& e : doc.errors) error(e.key, e.message, e.line);
    // Endpoints and rules are stored first so the key parsers can bind to stable addresses.
    for (const auto& section : doc.sections) reserve(section);
    std::size_t endpoint = 0, rule = 0, protect = 0;
    for (const auto& section : doc.sections) {
      if (section.name == "watchdog")
        apply(section, watchdog_keys());
      else if (section.name == "retry")
        apply(section, retry_keys());
      else if (is_kind(section.name, "endpoint."))
        endpoint_section(section, endpoint++);
      else if (is_kind(section.name, "rule."))
        rule_section(section, rule++);
      else if (section.name == "protect" || is_kind(section.name, "protect."))
        protect_section(section, protect++);
      else
        error(section.name,
              "unknown section (expected watchdog, retry, endpoint.NAME, rule.NAME, protect or "
              "protect.NAME)",
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
    if (is_kind(section.name, "endpoint.")) {
      c.endpoints.emplace_back();
      c.endpoints.back().name = section.name.substr(9);
    } else if (is_kind(section.name, "rule.")) {
      c.policy.rules.emplace_back();
      c.policy.rules.back().name = section.name.substr(5);
    } else if (section.name == "protect" || is_kind(section.name, "protect.")) {
      c.policy.protections.emplace_back();
      c.policy.protections.back().section = section.name;
    }
  }

  void apply(const IniSection& section, const KeyTable& keys) {
    for (const auto& entry : section.entries) {
      const std::string key = section.name + "." + entry.key;
      auto it = keys.find(entry.key);
      if (it == keys.end()) {
        error(key, "unknown key", entry.line);
        continue;
      }
      if (auto problem = it->second(entry.value)) error(key, *problem, entry.line);
    }
  }

  KeyTable watchdog_keys() {
    auto& w = result_.config.watchdog;
    return {
        {"poll_interval", duration_key(w.poll_interval, true)},
        {"schedule",
         enum_key(w.schedule, {{"deadline", Schedule::deadline}, {"fixed", Schedule::fixed}})},
        {"confirm_by_id", bool_key(w.confirm_by_id)},
        {"dry_run", bool_key(result_.config.policy.dry_run)},
        {"max_cancels_per_minute", optional_rate_key(result_.config.policy.max_cancels_per_minute)},
        {"audit_log", audit_log_key(w)},
        {"audit_max_size", byte_size_key(w.audit_max_size)},
        {"audit_max_files", int_key(w.audit_max_files, 1, 1000)},
        {"audit_group", string_key(w.audit_group, false)},
        {"metrics_listen", listen_key(w.metrics_listen)},
        {"on_audit_failure",
         enum_key(w.pause_on_audit_failure, {{"pause", true}, {"continue", false}})},
        {"workers", int_key(w.workers, 1, 64)},
        {"max_cancels_in_flight", int_key(w.max_cancels_in_flight, 1, 64)},
        {"log_level", enum_key(w.log_level, {{"trace", LogLevel::trace},
                                             {"debug", LogLevel::debug},
                                             {"info", LogLevel::info},
                                             {"warn", LogLevel::warn},
                                             {"error", LogLevel::error}})},
    };
  }

  KeyTable retry_keys() {
    auto& r = result_.config.retry;
    return {
        {"max_attempts", int_key(r.max_attempts, 1, 100)},
        {"initial_backoff", duration_key(r.initial_backoff, true)},
        {"max_backoff", duration_key(r.max_backoff, true)},
    };
  }

  // The keys of each kind of section: the one declaration of each key, with its parser.
  // known_config_keys() lists them from here, so documentation can be checked against them.
 public:
  static KeyTable endpoint_keys(EndpointConfig& e, std::string& url_text, std::string& auth_text) {
    return {
        {"url", string_key(url_text, true)},
        {"api", enum_key(e.api, {{"rest", ApiForm::rest}, {"legacy", ApiForm::legacy}})},
        {"include_waiting", bool_key(e.include_waiting)},
        {"request_timeout", min_duration_key(e.request_timeout, Millis(100))},
        {"max_response_bytes",
         bounded_byte_size_key(e.max_response_bytes, 64ull << 10, 1ull << 30, "64K to 1G")},
        {"auth", string_key(auth_text, true)},
        {"region", string_key(e.region, false)},
        {"profile", string_key(e.profile, true)},
        {"ca_file", string_key(e.ca_file, false)},
        {"tls_server_name", string_key(e.tls_server_name, true)},
        {"languages",
         [&e](const std::string& v) {
           e.languages.clear();
           return parse_languages(v, [&e](Language l) { e.languages.push_back(l); });
         }},
    };
  }

  static KeyTable rule_keys(Rule& r) {
    return {
        {"max_elapsed", optional_duration_key(r.max_elapsed)},
        {"max_waited", optional_duration_key(r.max_waited)},
        {"query_matches", regex_key(r.query_matches)},
        {"query_excludes", regex_key(r.query_excludes)},
        {"action", enum_key(r.action, {{"cancel", RuleAction::cancel}, {"log", RuleAction::log}})},
        {"silent", bool_key(r.silent)},
        {"dry_run", bool_key(r.dry_run)},
        {"max_running", optional_count_key(r.max_running)},
        {"max_queued", optional_count_key(r.max_queued)},
        {"active", window_key(r.active)},
        {"max_cancels_per_minute", optional_rate_key(r.max_cancels_per_minute)},
        {"languages",
         [&r](const std::string& v) {
           return parse_languages(v, [&r](Language l) { r.languages.insert(l); });
         }},
    };
  }

  static KeyTable protect_keys(Protection& p) {
    return {
        {"query_ids", id_list_key(p.query_ids)},
        {"query_matches", regex_key(p.query_matches)},
        {"until", until_key(p.until)},
    };
  }

  // "watchdog.poll_interval", "endpoint.NAME.url", "protect.until", ...
  static std::vector<std::string> all_keys() {
    ConfigBuilder builder("");
    std::vector<std::string> out;
    const auto add = [&out](const std::string& prefix, const KeyTable& table) {
      for (const auto& [key, parse] : table) out.push_back(prefix + key);
    };
    add("watchdog.", builder.watchdog_keys());
    add("retry.", builder.retry_keys());
    EndpointConfig endpoint;
    std::string url_text, auth_text;
    add("endpoint.NAME.", endpoint_keys(endpoint, url_text, auth_text));
    Rule rule;
    add("rule.NAME.", rule_keys(rule));
    Protection protection;
    add("protect.", protect_keys(protection));
    return out;
  }

 private:
  void endpoint_section(const IniSection& section, std::size_t index) {
    EndpointConfig& e = result_.config.endpoints[index];
    if (!valid_name(e.name))
      error(section.name, "endpoint name must use letters, digits, '-', '_' or '.'", section.line);
    std::string url_text;
    std::string auth_text = "none";
    apply(section, endpoint_keys(e, url_text, auth_text));

    const int url_line = line_of(section, "url");
    bool url_ok = false;
    if (url_line == 0) {
      error(section.name + ".url", "missing required key", section.line);
    } else if (!url_text.empty()) {
      std::string why;
      if (auto url = parse_endpoint_url(url_text, why)) {
        e.url = *url;
        url_ok = true;
      } else {
        error(section.name + ".url", "bad url '" + url_text + "': " + why, url_line);
      }
    }
    if (auth_text == "iam") {
      e.auth = AuthMode::iam;
      if (e.region.empty())
        error(section.name + ".region",
              "required with auth = iam (the cluster's region, e.g. us-east-1)", section.line);
    } else if (auth_text != "none") {
      error(section.name + ".auth",
            "unknown value '" + auth_text + "' (expected one of: none, iam)",
            line_of(section, "auth"));
    }
    if (!e.profile.empty() && e.auth != AuthMode::iam)
      error(section.name + ".profile", "only used with auth = iam", line_of(section, "profile"));
    if (!e.ca_file.empty() && url_ok && !e.url.https)
      error(section.name + ".ca_file", "set for a plain http:// url", line_of(section, "ca_file"));
    if (!e.tls_server_name.empty() && url_ok && !e.url.https)
      error(section.name + ".tls_server_name", "set for a plain http:// url",
            line_of(section, "tls_server_name"));
  }

  void rule_section(const IniSection& section, std::size_t index) {
    Rule& r = result_.config.policy.rules[index];
    if (!valid_name(r.name))
      error(section.name, "rule name must use letters, digits, '-', '_' or '.'", section.line);
    apply(section, rule_keys(r));
    bool has_limit = false;
    for (const char* key : {"max_elapsed", "max_waited", "max_running", "max_queued"})
      has_limit = has_limit || line_of(section, key) != 0;
    if (!has_limit)
      error(section.name,
            "a rule needs at least one limit (max_elapsed, max_waited, max_running or max_queued)",
            section.line);
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

  static int line_of(const IniSection& section, std::string_view key) {
    for (const auto& e : section.entries)
      if (e.key == key) return e.line;
    return 0;
  }

  void check_whole() {
    const auto& c = result_.config;
    if (c.retry.initial_backoff > c.retry.max_backoff)
      error("retry.initial_backoff", "is larger than retry.max_backoff", 0);
    if (c.endpoints.empty()) error("endpoint", "no [endpoint.NAME] section: nothing to watch", 0);
    if (c.policy.rules.empty()) error("rule", "no [rule.NAME] section: nothing to enforce", 0);
  }

  ConfigResult result_;
};

}  // namespace

std::vector<std::string> known_config_keys() {
  return ConfigBuilder::all_keys();
}

namespace {

void print_rule(std::ostream& out, const Rule& r) {
  out << "\n[rule." << r.name << "]\n";
  if (r.max_elapsed) out << "max_elapsed = " << format_duration(*r.max_elapsed) << "\n";
  if (r.max_waited) out << "max_waited = " << format_duration(*r.max_waited) << "\n";
  if (r.query_matches) out << "query_matches = " << r.query_matches->pattern() << "\n";
  if (r.query_excludes) out << "query_excludes = " << r.query_excludes->pattern() << "\n";
  if (r.max_running) out << "max_running = " << *r.max_running << "\n";
  if (r.max_queued) out << "max_queued = " << *r.max_queued << "\n";
  if (r.active) out << "active = " << r.active->text << "\n";
  out << "action = " << to_string(r.action) << "\n";
  out << "silent = " << (r.silent ? "true" : "false") << "\n";
  out << "dry_run = " << (r.dry_run ? "true" : "false") << "\n";
  if (r.max_cancels_per_minute)
    out << "max_cancels_per_minute = " << *r.max_cancels_per_minute << "\n";
  if (!r.languages.empty()) out << "languages = " << language_list(r.languages) << "\n";
}

void print_protection(std::ostream& out, const Protection& p) {
  out << "\n[" << p.section << "]\n";
  if (!p.query_ids.empty()) {
    out << "query_ids = ";
    const char* sep = "";
    for (const auto& id : p.query_ids) out << std::exchange(sep, ", ") << id;
    out << "\n";
  }
  if (p.query_matches) out << "query_matches = " << p.query_matches->pattern() << "\n";
  if (p.until) out << "until = " << format_rfc3339(*p.until) << "\n";
}

}  // namespace

ConfigResult parse_config(std::string_view text, std::string origin) {
  return ConfigBuilder(std::move(origin)).build(parse_ini(text));
}

std::string describe_endpoint(const EndpointConfig& e) {
  std::ostringstream out;
  out << "[endpoint." << e.name << "]\n"
      << "url = " << e.url.to_string() << "\n"
      << "api = " << to_string(e.api) << "\n"
      << "include_waiting = " << (e.include_waiting ? "true" : "false") << "\n"
      << "request_timeout = " << format_duration(e.request_timeout) << "\n"
      << "max_response_bytes = " << e.max_response_bytes << "\n"
      << "auth = " << (e.auth == AuthMode::iam ? "iam" : "none") << "\n";
  if (!e.region.empty()) out << "region = " << e.region << "\n";
  if (!e.profile.empty()) out << "profile = " << e.profile << "\n";
  out << "ca_file = " << e.ca_file << "\n";
  if (!e.tls_server_name.empty()) out << "tls_server_name = " << e.tls_server_name << "\n";
  out << "languages = " << language_list(e.languages) << "\n";
  return out.str();
}

std::string describe_config(const WatchdogConfig& c) {
  std::ostringstream out;
  out << "# effective configuration of " << c.origin << "\n";
  out << "[watchdog]\n"
      << "poll_interval = " << format_duration(c.watchdog.poll_interval) << "\n"
      << "schedule = " << to_string(c.watchdog.schedule) << "\n"
      << "confirm_by_id = " << (c.watchdog.confirm_by_id ? "true" : "false") << "\n"
      << "dry_run = " << (c.policy.dry_run ? "true" : "false") << "\n";
  if (c.policy.max_cancels_per_minute)
    out << "max_cancels_per_minute = " << *c.policy.max_cancels_per_minute << "\n";
  out << "audit_log = "
      << (c.watchdog.audit_journal ? (c.watchdog.audit_log.empty() ? "journal" : "journal, ") : "")
      << c.watchdog.audit_log << "\n"
      << "audit_max_size = " << c.watchdog.audit_max_size << "\n"
      << "audit_max_files = " << c.watchdog.audit_max_files << "\n";
  if (!c.watchdog.audit_group.empty()) out << "audit_group = " << c.watchdog.audit_group << "\n";
  out << "metrics_listen = " << c.watchdog.metrics_listen << "\n"
      << "on_audit_failure = " << (c.watchdog.pause_on_audit_failure ? "pause" : "continue") << "\n"
      << "workers = " << c.watchdog.workers << "\n"
      << "max_cancels_in_flight = " << c.watchdog.max_cancels_in_flight << "\n"
      << "log_level = " << to_string(c.watchdog.log_level) << "\n";
  out << "\n[retry]\n"
      << "max_attempts = " << c.retry.max_attempts << "\n"
      << "initial_backoff = " << format_duration(c.retry.initial_backoff) << "\n"
      << "max_backoff = " << format_duration(c.retry.max_backoff) << "\n";
  for (const auto& e : c.endpoints) out << "\n" << describe_endpoint(e);
  if (!c.policy.protections.empty())
    out << "\n# protections apply before any rule, budget or guard\n";
  for (const auto& p : c.policy.protections) print_protection(out, p);
  out << "\n# rules in evaluation order: the first that selects a query governs it\n";
  for (const auto& r : c.policy.rules) print_rule(out, r);
  return out.str();
}

std::vector<ConfigError> config_warnings(const WatchdogConfig& c,
                                         std::chrono::system_clock::time_point now) {
  std::vector<ConfigError> warnings;
  const auto pattern = [](const std::shared_ptr<const re2::RE2>& re) {
    return re ? re->pattern() : "";
  };
  const auto& rules = c.policy.rules;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& r = rules[i];
    const std::string key = "rule." + r.name;
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
    for (std::size_t j = 0; j < i; ++j) {
      const Rule& earlier = rules[j];
      if (earlier.active) continue;  // a windowed rule leaves the others room outside its window
      // A rule for fewer languages leaves the others' queries to later rules.
      const bool covers_languages =
          earlier.languages.empty() ||
          (!r.languages.empty() && std::includes(earlier.languages.begin(), earlier.languages.end(),
                                                 r.languages.begin(), r.languages.end()));
      if (!covers_languages) continue;
      const bool catch_all = !earlier.query_matches && !earlier.query_excludes;
      const bool same_filters = pattern(earlier.query_matches) == pattern(r.query_matches) &&
                                pattern(earlier.query_excludes) == pattern(r.query_excludes);
      if (catch_all || same_filters) {
        // "every gremlin, sparql query" for a catch-all of some languages.
        const std::string every =
            earlier.languages.empty() ? "every" : "every " + language_list(earlier.languages);
        warnings.push_back(
            {key,
             "never governs a query: [rule." + earlier.name + "] comes first and " +
                 (catch_all ? "selects " + every + " query" : "has the same filters"),
             0});
        break;
      }
    }
  }
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
