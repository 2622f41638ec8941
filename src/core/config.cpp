#include "nw/core/config.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include "nw/core/ini.h"

namespace nw {

std::string_view to_string(ApiForm api) { return api == ApiForm::rest ? "rest" : "legacy"; }

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::string ConfigError::format(std::string_view origin) const {
  std::string out(origin);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  else if (line > 0) out += "line " + std::to_string(line) + ": ";
  out += message;
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
    if (l == "true" || l == "yes" || l == "on") target = true;
    else if (l == "false" || l == "no" || l == "off") target = false;
    else return "expected true or false, got '" + v + "'";
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
    std::size_t endpoint = 0, rule = 0;
    for (const auto& section : doc.sections) {
      if (section.name == "watchdog") apply(section, watchdog_keys());
      else if (section.name == "retry") apply(section, retry_keys());
      else if (is_kind(section.name, "endpoint.")) endpoint_section(section, endpoint++);
      else if (is_kind(section.name, "rule.")) rule_section(section, rule++);
      else error(section.name, "unknown section (expected watchdog, retry, endpoint.NAME or rule.NAME)",
                 section.line);
    }
    check_whole();
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
        {"dry_run", bool_key(result_.config.policy.dry_run)},
        {"audit_log", string_key(w.audit_log, true)},
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

  void endpoint_section(const IniSection& section, std::size_t index) {
    EndpointConfig& e = result_.config.endpoints[index];
    if (!valid_name(e.name))
      error(section.name, "endpoint name must use letters, digits, '-', '_' or '.'", section.line);
    std::string url_text;
    std::string auth_text = "none";
    KeyTable keys = {
        {"url", string_key(url_text, true)},
        {"api", enum_key(e.api, {{"rest", ApiForm::rest}, {"legacy", ApiForm::legacy}})},
        {"include_waiting", bool_key(e.include_waiting)},
        {"request_timeout", duration_key(e.request_timeout, true)},
        {"auth", string_key(auth_text, true)},
        {"region", string_key(e.region, false)},
        {"ca_file", string_key(e.ca_file, false)},
    };
    apply(section, keys);

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
      error(section.name + ".auth",
            "'iam' (SigV4) is not supported by this version yet; use 'none' or an "
            "unauthenticated endpoint",
            line_of(section, "auth"));
    } else if (auth_text != "none") {
      error(section.name + ".auth", "unknown value '" + auth_text + "' (expected one of: none, iam)",
            line_of(section, "auth"));
    }
    if (!e.ca_file.empty() && url_ok && !e.url.https)
      error(section.name + ".ca_file", "set for a plain http:// url", line_of(section, "ca_file"));
  }

  void rule_section(const IniSection& section, std::size_t index) {
    Rule& r = result_.config.policy.rules[index];
    if (!valid_name(r.name))
      error(section.name, "rule name must use letters, digits, '-', '_' or '.'", section.line);
    KeyTable keys = {
        {"max_elapsed", optional_duration_key(r.max_elapsed)},
        {"max_waited", optional_duration_key(r.max_waited)},
        {"query_matches", regex_key(r.query_matches)},
        {"query_excludes", regex_key(r.query_excludes)},
        {"action", enum_key(r.action, {{"cancel", RuleAction::cancel}, {"log", RuleAction::log}})},
        {"silent", bool_key(r.silent)},
    };
    apply(section, keys);
    if (line_of(section, "max_elapsed") == 0 && line_of(section, "max_waited") == 0)
      error(section.name, "a rule needs at least one limit (max_elapsed or max_waited)",
            section.line);
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

void print_rule(std::ostream& out, const Rule& r) {
  out << "\n[rule." << r.name << "]\n";
  if (r.max_elapsed) out << "max_elapsed = " << format_duration(*r.max_elapsed) << "\n";
  if (r.max_waited) out << "max_waited = " << format_duration(*r.max_waited) << "\n";
  if (r.query_matches) out << "query_matches = " << r.query_matches->pattern() << "\n";
  if (r.query_excludes) out << "query_excludes = " << r.query_excludes->pattern() << "\n";
  out << "action = " << to_string(r.action) << "\n";
  out << "silent = " << (r.silent ? "true" : "false") << "\n";
}

}  // namespace

ConfigResult parse_config(std::string_view text, std::string origin) {
  return ConfigBuilder(std::move(origin)).build(parse_ini(text));
}

std::string describe_config(const WatchdogConfig& c) {
  std::ostringstream out;
  out << "# effective configuration of " << c.origin << "\n";
  out << "[watchdog]\n"
      << "poll_interval = " << format_duration(c.watchdog.poll_interval) << "\n"
      << "dry_run = " << (c.policy.dry_run ? "true" : "false") << "\n"
      << "audit_log = " << c.watchdog.audit_log << "\n"
      << "log_level = " << to_string(c.watchdog.log_level) << "\n";
  out << "\n[retry]\n"
      << "max_attempts = " << c.retry.max_attempts << "\n"
      << "initial_backoff = " << format_duration(c.retry.initial_backoff) << "\n"
      << "max_backoff = " << format_duration(c.retry.max_backoff) << "\n";
  for (const auto& e : c.endpoints) {
    out << "\n[endpoint." << e.name << "]\n"
        << "url = " << e.url.to_string() << "\n"
        << "api = " << to_string(e.api) << "\n"
        << "include_waiting = " << (e.include_waiting ? "true" : "false") << "\n"
        << "request_timeout = " << format_duration(e.request_timeout) << "\n"
        << "auth = " << (e.auth == AuthMode::iam ? "iam" : "none") << "\n";
    if (!e.region.empty()) out << "region = " << e.region << "\n";
    out << "ca_file = " << e.ca_file << "\n";
  }
  out << "\n# rules in evaluation order: the first that selects a query governs it\n";
  for (const auto& r : c.policy.rules) print_rule(out, r);
  return out.str();
}

}  // namespace nw
