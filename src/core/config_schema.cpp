#include "nw/core/config_schema.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <set>
#include <sstream>
#include <utility>
#include <variant>

#include "nw/core/aws_role.h"
#include "nw/core/listen_address.h"
#include "nw/core/rfc3339.h"

namespace nw {

KeyCodec::KeyCodec(KeyParser parse_value, KeyPrinter print_value)
    : parse(std::move(parse_value)), print(std::move(print_value)) {}

ConfigKey::ConfigKey(std::string key_name, KeyCodec codec, Reload reload_policy)
    : name(std::move(key_name)),
      parse(std::move(codec.parse)),
      print(std::move(codec.print)),
      reload(reload_policy) {}

std::string_view to_string(Reload reload) {
  switch (reload) {
    case Reload::live:
      return "live";
    case Reload::next_start:
      return "next_start";
    case Reload::restarts_watch:
      return "restarts_watch";
  }
  return "live";
}

std::string language_list(const std::vector<Language>& languages) {
  std::string out;
  for (Language l : languages) {
    if (!out.empty()) out += ", ";
    out += to_string(l);
  }
  return out;
}

std::string language_list(const std::set<Language>& languages) {
  return language_list(std::vector<Language>(languages.begin(), languages.end()));
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

const char* const kBadDuration = "' (use a whole number with ms, s, m or h, e.g. 300s)";

KeyCodec duration_key(Millis& target, bool positive) {
  return {[&target, positive](const std::string& v) -> std::optional<std::string> {
            auto d = parse_duration(v);
            if (!d) return "bad duration '" + v + kBadDuration;
            if (positive && d->count() == 0) return "must be greater than 0";
            target = *d;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> { return format_duration(target); }};
}

KeyCodec min_duration_key(Millis& target, Millis minimum) {
  return {[&target, minimum](const std::string& v) -> std::optional<std::string> {
            auto d = parse_duration(v);
            if (!d) return "bad duration '" + v + kBadDuration;
            if (*d < minimum) return "must be at least " + format_duration(minimum);
            target = *d;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> { return format_duration(target); }};
}

KeyCodec optional_duration_key(std::optional<Millis>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            auto d = parse_duration(v);
            if (!d) return "bad duration '" + v + kBadDuration;
            target = *d;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (!target) return std::nullopt;
            return format_duration(*target);
          }};
}

KeyCodec bool_key(bool& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            const std::string l = lower(v);
            if (l == "true" || l == "yes" || l == "on")
              target = true;
            else if (l == "false" || l == "no" || l == "off")
              target = false;
            else
              return "expected true or false, got '" + v + "'";
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> { return target ? "true" : "false"; }};
}

// Prints the name of the value held, so every value the field can hold must be a choice.
template <class E>
KeyCodec enum_key(E& target, std::vector<std::pair<std::string, E>> choices) {
  return {[&target, choices](const std::string& v) -> std::optional<std::string> {
            std::string names;
            for (const auto& [name, value] : choices) {
              if (v == name) {
                target = value;
                return std::nullopt;
              }
              names += (names.empty() ? "" : ", ") + name;
            }
            return "unknown value '" + v + "' (expected one of: " + names + ")";
          },
          [&target, choices]() -> std::optional<std::string> {
            for (const auto& [name, value] : choices)
              if (value == target) return name;
            return std::nullopt;
          }};
}

// An empty value is refused rather than read as one of the choices.
KeyCodec non_empty(KeyCodec codec) {
  KeyParser parse = std::move(codec.parse);
  codec.parse = [parse](const std::string& v) -> std::optional<std::string> {
    if (v.empty()) return "must not be empty";
    return parse(v);
  };
  return codec;
}

// Whether an empty string is printed as `key = ` (it names a default, e.g. the system trust
// store) or left out (the key is simply not set).
enum class Blank { omitted, shown };

KeyCodec string_key(std::string& target, bool required_non_empty, Blank blank = Blank::omitted) {
  return {[&target, required_non_empty](const std::string& v) -> std::optional<std::string> {
            if (required_non_empty && v.empty()) return "must not be empty";
            target = v;
            return std::nullopt;
          },
          [&target, blank]() -> std::optional<std::string> {
            if (target.empty() && blank == Blank::omitted) return std::nullopt;
            return target;
          }};
}

// A string checked by `problem` (nullopt: acceptable).
KeyCodec checked_string_key(std::string& target,
                            std::optional<std::string> (*problem)(const std::string&)) {
  return {[&target, problem](const std::string& v) -> std::optional<std::string> {
            if (auto why = problem(v)) return why;
            target = v;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            return target;
          }};
}

// Printed only when there is a role to name the session of (its default is always set).
KeyCodec role_session_name_key(std::string& target, const std::string& role_arn) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            if (auto why = role_session_name_problem(v)) return why;
            target = v;
            return std::nullopt;
          },
          [&target, &role_arn]() -> std::optional<std::string> {
            if (role_arn.empty()) return std::nullopt;
            return target;
          }};
}

KeyCodec int_key(int& target, int min, int max) {
  return {[&target, min, max](const std::string& v) -> std::optional<std::string> {
            int n = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max)
              return "expected a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + v + "'";
            target = n;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> { return std::to_string(target); }};
}

KeyCodec optional_count_key(std::optional<std::int64_t>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::int64_t n = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || end != v.data() + v.size() || n < 0 || n > 1'000'000)
              return "expected a whole number from 0 to 1000000, got '" + v + "'";
            target = n;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (!target) return std::nullopt;
            return std::to_string(*target);
          }};
}

KeyCodec optional_rate_key(std::optional<int>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            int n = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 100'000)
              return "expected a whole number from 1 to 100000, got '" + v + "'";
            target = n;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (!target) return std::nullopt;
            return std::to_string(*target);
          }};
}

KeyCodec window_key(std::optional<TimeWindow>& target, const ZoneLookup& zones) {
  return {[&target, zones](const std::string& v) -> std::optional<std::string> {
            std::string error;
            target = parse_time_window(v, error, zones);
            if (!target) return "bad window '" + v + "': " + error;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (!target) return std::nullopt;
            return target->text;
          }};
}

KeyCodec until_key(std::optional<std::chrono::system_clock::time_point>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            target = parse_rfc3339(v);
            if (!target)
              return "bad time '" + v +
                     "' (use RFC 3339 between 1970 and 2200, e.g. 2026-12-01T00:00:00Z)";
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (!target) return std::nullopt;
            return format_rfc3339(*target);
          }};
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

KeyCodec id_list_key(std::set<std::string>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::string error;
            const auto ids = split_list(v, error);
            if (!ids) return error;
            // Printed back as "a, b", such an id would follow a blank and read as a comment.
            for (const auto& id : *ids)
              if (id.front() == '#' || id.front() == ';')
                return "query id '" + id + "' may not start with '#' or ';' (they start comments)";
            target.insert(ids->begin(), ids->end());
            if (target.empty()) return "must list at least one query id";
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            std::string out;
            for (const auto& id : target) out += (out.empty() ? "" : ", ") + id;
            return out;
          }};
}

// "journal", "PATH", or both separated by a comma.
KeyCodec audit_log_key(WatchdogSettings& w) {
  return {[&w](const std::string& v) -> std::optional<std::string> {
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
          },
          [&w]() -> std::optional<std::string> {
            if (!w.audit_journal) return w.audit_log;
            return w.audit_log.empty() ? "journal" : "journal, " + w.audit_log;
          }};
}

// Empty (no metrics server) or an address to listen on; whether it can be bound is found at
// start. Empty is printed: it says the server is off.
KeyCodec listen_key(std::string& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            if (!v.empty()) {
              const auto parsed = parse_listen_address(v);
              if (const auto* why = std::get_if<std::string>(&parsed))
                return "invalid listen address '" + v + "': " + *why;
            }
            target = v;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> { return target; }};
}

// Bytes, with an optional K, M or G suffix (powers of 1024): 100M, 1G, 65536.
std::optional<std::string> parse_byte_size(const std::string& v, std::uint64_t& target) {
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
}

KeyCodec byte_size_key(std::uint64_t& target) {
  return {[&target](const std::string& v) { return parse_byte_size(v, target); },
          [&target]() -> std::optional<std::string> { return std::to_string(target); }};
}

// A byte size between `minimum` and `maximum`, named in the message in the same units.
KeyCodec bounded_byte_size_key(std::uint64_t& target, std::uint64_t minimum, std::uint64_t maximum,
                               const char* range_text) {
  return {
      [&target, minimum, maximum, range_text](const std::string& v) -> std::optional<std::string> {
        std::uint64_t n = 0;
        if (auto problem = parse_byte_size(v, n)) return problem;
        if (n < minimum || n > maximum) return "size '" + v + "' out of range (" + range_text + ")";
        target = n;
        return std::nullopt;
      },
      [&target]() -> std::optional<std::string> { return std::to_string(target); }};
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

// An endpoint's languages, in the order written: each is polled by its own loop.
KeyCodec language_sequence_key(std::vector<Language>& target) {
  return {[&target](const std::string& v) {
            target.clear();
            return parse_languages(v, [&target](Language l) { target.push_back(l); });
          },
          [&target]() -> std::optional<std::string> { return language_list(target); }};
}

// A rule's languages; none: every language.
KeyCodec language_set_key(std::set<Language>& target) {
  return {[&target](const std::string& v) {
            return parse_languages(v, [&target](Language l) { target.insert(l); });
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            return language_list(target);
          }};
}

// A rule's or protection's endpoints: names or globs (`*`, `?`) of [endpoint.NAME] sections,
// in the order written; none: every endpoint.
KeyCodec endpoint_list_key(std::vector<std::string>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::string error;
            const auto patterns = split_list(v, error);
            if (!patterns) return error;
            std::set<std::string> seen;
            for (const auto& pattern : *patterns) {
              const bool name_chars =
                  std::all_of(pattern.begin(), pattern.end(), [](unsigned char c) {
                    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/' ||
                           c == '*' || c == '?';
                  });
              if (!name_chars)
                return "bad endpoint name or glob '" + pattern +
                       "' (use letters, digits, '-', '_', '.', '/' between a cluster and its "
                       "instance, and '*' or '?' as wildcards)";
              if (!seen.insert(pattern).second) return "'" + pattern + "' given twice";
            }
            if (patterns->empty()) return "must name at least one endpoint";
            target = *patterns;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            std::string out;
            for (const auto& pattern : target) out += (out.empty() ? "" : ", ") + pattern;
            return out;
          }};
}

KeyCodec regex_key(std::shared_ptr<const re2::RE2>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            if (v.empty()) return "empty pattern (remove the key to match every query)";
            std::string error;
            target = compile_regex(v, error);
            if (!target) return "bad regex '" + v + "': " + error;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (!target) return std::nullopt;
            return target->pattern();
          }};
}

KeyCodec url_key(EndpointUrl& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            if (v.empty()) return "must not be empty";
            std::string why;
            const auto url = parse_endpoint_url(v, why);
            if (!url) return "bad url '" + v + "': " + why;
            target = *url;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> { return target.to_string(); }};
}

// HOST[:PORT]=ADDR[:PORT] entries, comma-separated; none: left out.
KeyCodec connect_to_key(std::vector<ConnectTo>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::string error;
            auto rules = parse_connect_to(v, error);
            if (!rules) return error;
            target = std::move(*rules);
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            std::string out;
            for (const auto& r : target) out += (out.empty() ? "" : ", ") + r.to_string();
            return out;
          }};
}

// An optional url (the management API's): unset is left out.
KeyCodec optional_url_key(std::optional<EndpointUrl>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            if (v.empty()) return "must not be empty";
            std::string why;
            const auto url = parse_endpoint_url(v, why);
            if (!url) return "bad url '" + v + "': " + why;
            target = *url;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (!target) return std::nullopt;
            return target->to_string();
          }};
}

// Instance roles in a cluster: "writer", "reader" or both. A rule's or protection's: none
// written, any endpoint; a cluster's (`always`): always printed, it says what is watched.
KeyCodec role_set_key(std::set<InstanceRole>& target, bool always) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::string error;
            const auto names = split_list(v, error);
            if (!names) return error;
            std::set<InstanceRole> roles;
            for (const auto& name : *names) {
              const InstanceRole role = name == "writer"   ? InstanceRole::writer
                                        : name == "reader" ? InstanceRole::reader
                                                           : InstanceRole::unknown;
              if (role == InstanceRole::unknown)
                return "unknown role '" + name + "' (expected writer, reader or both)";
              if (!roles.insert(role).second) return "'" + name + "' given twice";
            }
            if (roles.empty()) return "must name at least one role (writer, reader)";
            target = roles;
            return std::nullopt;
          },
          [&target, always]() -> std::optional<std::string> {
            if (target.empty() && !always) return std::nullopt;
            std::string out;
            for (InstanceRole role : target)
              out += (out.empty() ? "" : ", ") + std::string(to_string(role));
            return out;
          }};
}

// A DB cluster identifier as RDS allows it: 1 to 63 letters, digits or hyphens, starting with a
// letter, no two hyphens in a row, not ending with one.
KeyCodec cluster_id_key(std::string& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            const bool ok =
                !v.empty() && v.size() <= 63 && std::isalpha(static_cast<unsigned char>(v[0])) &&
                v.back() != '-' && v.find("--") == std::string::npos &&
                std::all_of(v.begin(), v.end(),
                            [](unsigned char ch) { return std::isalnum(ch) || ch == '-'; });
            if (!ok)
              return "bad cluster identifier '" + v +
                     "' (1 to 63 letters, digits or hyphens, starting with a letter)";
            target = v;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            return target;
          }};
}

// One etcd client URL, http(s)://HOST:PORT with the port written out; the normalised form
// (scheme://host:port, host in lower case) or why not.
std::optional<std::string> etcd_url(const std::string& v, std::string& error) {
  const auto bad = [&](const std::string& why) {
    error = "bad etcd URL '" + v + "': " + why;
    return std::nullopt;
  };
  if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
    return bad("must start with http:// or https://");
  std::string_view authority(v);
  authority.remove_prefix(v.find("://") + 3);
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  // Not quoted: what comes before the '@' may be a password.
  if (authority.find('@') != std::string_view::npos) {
    error = "bad etcd URL: must not hold a user or password (use username and password_file)";
    return std::nullopt;
  }
  if (authority.find_first_of("/?#") != std::string_view::npos)
    return bad("must be scheme://HOST:PORT, without a path or query");
  const bool has_port = !authority.empty() && authority.front() == '['
                            ? authority.find("]:") != std::string_view::npos
                            : authority.find(':') != std::string_view::npos;
  if (!has_port) return bad("needs a port (etcd's client port is usually 2379)");
  std::string why;
  const auto url = parse_endpoint_url(v, why);
  if (!url) return bad(why);
  EndpointUrl normal = *url;
  normal.host = lower(normal.host);
  return normal.to_string();
}

// "https://etcd-1:2379, https://etcd-2:2379": at least one, no two alike once normalised.
KeyCodec etcd_urls_key(std::vector<std::string>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::string error;
            const auto entries = split_list(v, error);
            if (!entries) return error;
            std::vector<std::string> urls;
            for (const auto& entry : *entries) {
              const auto url = etcd_url(entry, error);
              if (!url) return error;
              if (std::find(urls.begin(), urls.end(), *url) != urls.end())
                return "etcd URL '" + *url + "' given twice";
              urls.push_back(*url);
            }
            if (urls.empty()) return "must list at least one etcd client URL";
            target = std::move(urls);
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            std::string out;
            for (const auto& url : target) out += (out.empty() ? "" : ", ") + url;
            return out;
          }};
}

// A name that becomes part of an etcd key (the group, the replica): letters, digits, '-', '_'
// and '.'. Empty is refused: `replica` left out means the host name, `group` its default.
KeyCodec etcd_name_key(std::string& target, const char* what) {
  return {[&target, what](const std::string& v) -> std::optional<std::string> {
            if (v.empty())
              return std::string("must not be empty (leave the key out for ") + what + ")";
            const bool ok = std::all_of(v.begin(), v.end(), [](unsigned char c) {
              return std::isalnum(c) || c == '-' || c == '_' || c == '.';
            });
            if (!ok)
              return "bad name '" + v +
                     "' (use letters, digits, '-', '_' or '.': it becomes part of etcd keys)";
            target = v;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            return target;
          }};
}

// An etcd lease's time to live: granted in whole seconds, 3s to 5m.
KeyCodec lease_ttl_key(Millis& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            auto d = parse_duration(v);
            if (!d) return "bad duration '" + v + kBadDuration;
            if (*d < Millis(3'000)) return "must be at least 3s";
            if (*d > Millis(300'000)) return "must be at most 5m";
            if (d->count() % 1000 != 0)
              return "must be a whole number of seconds (etcd grants leases in seconds), got '" +
                     v + "'";
            target = *d;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> { return format_duration(target); }};
}

// An [ha] section in one line, for the reload's warning: "group G at URL, URL", or "(none)".
std::string ha_summary(const std::optional<HaSettings>& ha) {
  if (!ha) return "(none)";
  std::string out = "group " + ha->group + " at ";
  for (std::size_t i = 0; i < ha->etcd.size(); ++i) out += (i ? ", " : "") + ha->etcd[i];
  return out;
}

KeyChange change(std::string key, const std::optional<std::string>& before,
                 const std::optional<std::string>& after) {
  return {std::move(key), before.value_or("(not set)"), after.value_or("(not set)")};
}

// "cancelled, given_up": at least one, no repeats.
KeyCodec notify_on_key(std::set<NotifyOn>& target) {
  return {
      [&target](const std::string& v) -> std::optional<std::string> {
        std::string error;
        const auto names = split_list(v, error);
        if (!names) return error;
        std::set<NotifyOn> events;
        for (const auto& name : *names) {
          std::optional<NotifyOn> event;
          for (NotifyOn e : {NotifyOn::cancelled, NotifyOn::given_up, NotifyOn::budget_exhausted,
                             NotifyOn::paused, NotifyOn::quarantine})
            if (name == to_string(e)) event = e;
          if (!event)
            return "unknown event '" + name +
                   "' (expected cancelled, given_up, budget_exhausted, paused or quarantine)";
          if (!events.insert(*event).second) return "'" + name + "' given twice";
        }
        if (events.empty()) return "must name at least one event";
        target = std::move(events);
        return std::nullopt;
      },
      [&target]() -> std::optional<std::string> {
        std::string out;
        for (NotifyOn e : target) out += (out.empty() ? "" : ", ") + std::string(to_string(e));
        return out;
      }};
}

// Rule names, as in [rule.NAME]; none: every rule.
KeyCodec rule_names_key(std::vector<std::string>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::string error;
            const auto names = split_list(v, error);
            if (!names) return error;
            std::set<std::string> seen;
            for (const auto& name : *names) {
              const bool ok = std::all_of(name.begin(), name.end(), [](unsigned char c) {
                return std::isalnum(c) || c == '-' || c == '_' || c == '.';
              });
              if (!ok) return "bad rule name '" + name + "' (the NAME of a [rule.NAME] section)";
              if (!seen.insert(name).second) return "'" + name + "' given twice";
            }
            target = *names;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            std::string out;
            for (const auto& name : target) out += (out.empty() ? "" : ", ") + name;
            return out;
          }};
}

KeyCodec webhook_key(std::optional<WebhookUrl>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::string why;
            auto url = parse_webhook_url(v, why);
            // Not quoted: the URL's path may be the webhook's secret.
            if (!url) return "bad webhook URL: " + why;
            target = std::move(*url);
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (!target) return std::nullopt;
            // The path may be the secret (Slack's is): --check-config shows the origin only.
            const bool bare = target->target.empty() || target->target == "/";
            return target->origin.to_string() + (bare ? target->target : "/<hidden>");
          }};
}

// A header name as RFC 9110 allows it (a token), and not one the request itself sets.
std::optional<std::string> header_name_problem(const std::string& name) {
  const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
  });
  if (!token) return "bad header name '" + name + "'";
  for (const char* reserved :
       {"host", "content-length", "content-type", "transfer-encoding", "connection"})
    if (lower(name) == reserved) return "header " + name + " is set by the request itself";
  return std::nullopt;
}

// "Name: value, Name2: value2". Values may be secrets: never quoted in an error, printed as
// <hidden>.
KeyCodec headers_key(std::vector<std::pair<std::string, std::string>>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::string error;
            const auto entries = split_list(v, error);
            if (!entries) return "empty entry in the list of headers";
            std::vector<std::pair<std::string, std::string>> headers;
            for (const auto& entry : *entries) {
              const auto colon = entry.find(':');
              if (colon == std::string::npos)
                return "expected 'Name: value' entries separated by commas";
              std::string name = entry.substr(0, colon);
              while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
              std::string value = entry.substr(colon + 1);
              value.erase(0, value.find_first_not_of(" \t"));
              if (auto why = header_name_problem(name)) return why;
              for (unsigned char c : value)
                if (c < 0x20 || c == 0x7f)
                  return "the value of header " + name + " has a control character";
              for (const auto& [other, ignored] : headers)
                if (lower(other) == lower(name)) return "header " + name + " given twice";
              headers.emplace_back(std::move(name), std::move(value));
            }
            target = std::move(headers);
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            std::string out;
            for (const auto& header : target)
              out += (out.empty() ? "" : ", ") + header.first + ": <hidden>";
            return out;
          }};
}

KeyCodec program_key(std::string& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            if (v.empty() || v.front() != '/')
              return "expected an absolute path to a program (it is run without a shell), got '" +
                     v + "'";
            if (v.find_first_of(" \t") != std::string::npos)
              return "the program's path has a blank: give its arguments with args";
            target = v;
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            return target;
          }};
}

KeyCodec word_list_key(std::vector<std::string>& target) {
  return {[&target](const std::string& v) -> std::optional<std::string> {
            std::string error;
            auto words = split_list(v, error);
            if (!words) return error;
            target = std::move(*words);
            return std::nullopt;
          },
          [&target]() -> std::optional<std::string> {
            if (target.empty()) return std::nullopt;
            std::string out;
            for (const auto& word : target) out += (out.empty() ? "" : ", ") + word;
            return out;
          }};
}

}  // namespace

KeyTable watchdog_keys(WatchdogConfig& c) {
  auto& w = c.watchdog;
  // Everything but the size of the worker pool is read from the configuration in force each
  // time it is used; the pool is made once, at start.
  return {
      {"poll_interval", duration_key(w.poll_interval, true), Reload::live},
      {"schedule",
       enum_key(w.schedule, {{"deadline", Schedule::deadline}, {"fixed", Schedule::fixed}}),
       Reload::live},
      {"confirm_by_id", bool_key(w.confirm_by_id), Reload::live},
      {"dry_run", bool_key(c.policy.dry_run), Reload::live},
      {"max_cancels_per_minute", optional_rate_key(c.policy.max_cancels_per_minute), Reload::live},
      {"audit_log", audit_log_key(w), Reload::live},
      {"audit_max_size", byte_size_key(w.audit_max_size), Reload::live},
      {"audit_max_files", int_key(w.audit_max_files, 1, 1000), Reload::live},
      {"audit_group", string_key(w.audit_group, false), Reload::live},
      {"quarantine_state", string_key(w.quarantine_state, false), Reload::next_start},
      {"admin_socket", string_key(w.admin_socket, false), Reload::next_start},
      {"admin_group", string_key(w.admin_group, false), Reload::next_start},
      {"pause_sentinel", string_key(w.pause_sentinel, false), Reload::live},
      {"metrics_listen", listen_key(w.metrics_listen), Reload::live},
      {"on_audit_failure",
       enum_key(w.pause_on_audit_failure, {{"pause", true}, {"continue", false}}), Reload::live},
      {"workers", int_key(w.workers, 1, 64), Reload::next_start},
      {"max_cancels_in_flight", int_key(w.max_cancels_in_flight, 1, 64), Reload::live},
      {"log_level",
       enum_key(w.log_level, {{"trace", LogLevel::trace},
                              {"debug", LogLevel::debug},
                              {"info", LogLevel::info},
                              {"warn", LogLevel::warn},
                              {"error", LogLevel::error}}),
       Reload::live},
  };
}

KeyTable retry_keys(RetrySettings& r) {
  return {
      {"max_attempts", int_key(r.max_attempts, 1, 100), Reload::live},
      {"initial_backoff", duration_key(r.initial_backoff, true), Reload::live},
      {"max_backoff", duration_key(r.max_backoff, true), Reload::live},
  };
}

// The replica joins the group once, at start: a reload keeps every [ha] value in force.
KeyTable ha_keys(HaSettings& h) {
  return {
      {"etcd", etcd_urls_key(h.etcd), Reload::next_start},
      {"group", etcd_name_key(h.group, "the group 'default'"), Reload::next_start},
      {"replica", etcd_name_key(h.replica, "the host name"), Reload::next_start},
      {"lease_ttl", lease_ttl_key(h.lease_ttl), Reload::next_start},
      // Its default, 3s, is the whole second under a third of the default lease (10s).
      {"request_timeout", min_duration_key(h.request_timeout, Millis(100)), Reload::next_start},
      {"ca_file", string_key(h.ca_file, true), Reload::next_start},
      {"cert_file", string_key(h.cert_file, true), Reload::next_start},
      {"key_file", string_key(h.key_file, true), Reload::next_start},
      {"username", string_key(h.username, true), Reload::next_start},
      {"password_file", string_key(h.password_file, true), Reload::next_start},
  };
}

// A poll loop keeps its endpoint's settings (and the client built from them) for its life, so
// a change of any of them replaces the endpoint's loops.
KeyTable endpoint_keys(EndpointConfig& e) {
  return {
      {"url", url_key(e.url), Reload::restarts_watch},
      {"api", enum_key(e.api, {{"rest", ApiForm::rest}, {"legacy", ApiForm::legacy}}),
       Reload::restarts_watch},
      {"include_waiting", bool_key(e.include_waiting), Reload::restarts_watch},
      {"request_timeout", min_duration_key(e.request_timeout, Millis(100)), Reload::restarts_watch},
      {"max_response_bytes",
       bounded_byte_size_key(e.max_response_bytes, 64ull << 10, 1ull << 30, "64K to 1G"),
       Reload::restarts_watch},
      // The mode only: credentials are never part of the file.
      {"auth", non_empty(enum_key(e.auth, {{"none", AuthMode::none}, {"iam", AuthMode::iam}})),
       Reload::restarts_watch},
      {"region", string_key(e.region, false), Reload::restarts_watch},
      {"profile", string_key(e.profile, true), Reload::restarts_watch},
      {"role_arn", checked_string_key(e.role_arn, role_arn_problem), Reload::restarts_watch},
      {"external_id", checked_string_key(e.external_id, external_id_problem),
       Reload::restarts_watch},
      {"role_session_name", role_session_name_key(e.role_session_name, e.role_arn),
       Reload::restarts_watch},
      // Empty is printed: it says the system trust store is used.
      {"ca_file", string_key(e.ca_file, false, Blank::shown), Reload::restarts_watch},
      {"tls_server_name", string_key(e.tls_server_name, true), Reload::restarts_watch},
      {"languages", language_sequence_key(e.languages), Reload::restarts_watch},
      {"connect_to", connect_to_key(e.connect_to), Reload::restarts_watch},
  };
}

// The policy is read from the configuration in force at each evaluation.
KeyTable rule_keys(Rule& r, const ZoneLookup& zones) {
  return {
      {"max_elapsed", optional_duration_key(r.max_elapsed), Reload::live},
      {"max_waited", optional_duration_key(r.max_waited), Reload::live},
      {"query_matches", regex_key(r.query_matches), Reload::live},
      {"query_excludes", regex_key(r.query_excludes), Reload::live},
      {"max_running", optional_count_key(r.max_running), Reload::live},
      {"max_queued", optional_count_key(r.max_queued), Reload::live},
      {"max_running_per_fingerprint", optional_count_key(r.max_running_per_fingerprint),
       Reload::live},
      {"max_queued_per_fingerprint", optional_count_key(r.max_queued_per_fingerprint),
       Reload::live},
      {"quarantine", optional_duration_key(r.quarantine), Reload::live},
      {"active", window_key(r.active, zones), Reload::live},
      {"action", enum_key(r.action, {{"cancel", RuleAction::cancel}, {"log", RuleAction::log}}),
       Reload::live},
      {"silent", bool_key(r.silent), Reload::live},
      {"dry_run", bool_key(r.dry_run), Reload::live},
      {"max_cancels_per_minute", optional_rate_key(r.max_cancels_per_minute), Reload::live},
      {"languages", language_set_key(r.languages), Reload::live},
      {"endpoints", endpoint_list_key(r.endpoints), Reload::live},
      {"roles", role_set_key(r.roles, false), Reload::live},
  };
}

KeyTable protect_keys(Protection& p) {
  return {
      {"query_ids", id_list_key(p.query_ids), Reload::live},
      {"query_matches", regex_key(p.query_matches), Reload::live},
      {"until", until_key(p.until), Reload::live},
      {"endpoints", endpoint_list_key(p.endpoints), Reload::live},
      {"roles", role_set_key(p.roles, false), Reload::live},
  };
}

KeyTable cluster_keys(ClusterConfig& c) {
  KeyTable keys = {
      {"cluster_id", cluster_id_key(c.cluster_id), Reload::restarts_watch},
      // Which instances are watched, judged at each refresh.
      {"roles", role_set_key(c.roles, true), Reload::live},
      {"refresh_interval", min_duration_key(c.refresh_interval, Millis(1000)), Reload::live},
      {"management_url", optional_url_key(c.management_url), Reload::restarts_watch},
      {"scheme", enum_key(c.https, {{"https", true}, {"http", false}}), Reload::restarts_watch},
  };
  // The instances' template: an instance whose template keys changed has its loops replaced,
  // as a typed endpoint's (endpoint_restart_changes on what discovery builds from it).
  for (ConfigKey& key : endpoint_keys(c.instance))
    if (key.name != "url") keys.push_back(std::move(key));
  return keys;
}

namespace {

// Printed only when `applies` holds: a sink's own key with a default (format, command_timeout)
// is left out of the sections of other sinks, where the parser refuses it.
KeyCodec printed_when(KeyCodec codec, std::function<bool()> applies) {
  KeyPrinter print = std::move(codec.print);
  codec.print = [print, applies]() -> std::optional<std::string> {
    if (!applies()) return std::nullopt;
    return print();
  };
  return codec;
}

}  // namespace

// The notifier rebuilds a section's sink when any of its keys changes (nw/app/notifier.h).
KeyTable notify_keys(NotifyConfig& n) {
  return {
      {"on", notify_on_key(n.on), Reload::live},
      {"rules", rule_names_key(n.rules), Reload::live},
      {"batch_window", min_duration_key(n.batch_window, Millis(100)), Reload::live},
      {"timeout", min_duration_key(n.timeout, Millis(100)), Reload::live},
      {"webhook", webhook_key(n.webhook), Reload::live},
      {"format",
       printed_when(
           enum_key(n.format, {{"json", NotifyFormat::json}, {"slack", NotifyFormat::slack}}),
           [&n] { return n.webhook.has_value(); }),
       Reload::live},
      {"headers", headers_key(n.headers), Reload::live},
      {"ca_file", string_key(n.ca_file, true), Reload::live},
      {"command", program_key(n.command), Reload::live},
      {"args", word_list_key(n.args), Reload::live},
      {"command_timeout",
       printed_when(min_duration_key(n.command_timeout, Millis(100)),
                    [&n] { return !n.command.empty(); }),
       Reload::live},
      {"sns_topic_arn", checked_string_key(n.sns_topic_arn, sns_topic_arn_problem), Reload::live},
      {"profile", string_key(n.profile, true), Reload::live},
      {"role_arn", checked_string_key(n.role_arn, role_arn_problem), Reload::live},
      {"sns_url", optional_url_key(n.sns_url), Reload::live},
  };
}

std::vector<ConfigSection> config_sections(WatchdogConfig& c) {
  std::vector<ConfigSection> out;
  out.push_back({"watchdog", watchdog_keys(c)});
  out.push_back({"retry", retry_keys(c.retry)});
  if (c.ha) out.push_back({"ha", ha_keys(*c.ha)});
  for (auto& e : c.endpoints) out.push_back({"endpoint." + e.name, endpoint_keys(e)});
  for (auto& k : c.clusters) out.push_back({"cluster." + k.name, cluster_keys(k)});
  for (auto& p : c.policy.protections) out.push_back({p.section, protect_keys(p)});
  for (auto& r : c.policy.rules) out.push_back({"rule." + r.name, rule_keys(r)});
  for (auto& n : c.notifications) out.push_back({"notify." + n.name, notify_keys(n)});
  return out;
}

std::string print_keys(const KeyTable& keys) {
  std::string out;
  for (const auto& key : keys)
    if (const auto value = key.print()) out += key.name + " = " + *value + "\n";
  return out;
}

std::vector<KeyChange> changed_keys(const KeyTable& before, const KeyTable& after, Reload reload) {
  std::vector<KeyChange> out;
  for (const auto& key : after) {
    if (key.reload != reload) continue;
    const auto old = std::find_if(before.begin(), before.end(),
                                  [&](const ConfigKey& k) { return k.name == key.name; });
    const std::optional<std::string> was = old == before.end() ? std::nullopt : old->print();
    const std::optional<std::string> now = key.print();
    if (was != now) out.push_back(change(key.name, was, now));
  }
  return out;
}

std::vector<KeyChange> restart_only_changes(const WatchdogConfig& before,
                                            const WatchdogConfig& after) {
  WatchdogConfig old_copy = before, new_copy = after;
  const auto old_sections = config_sections(old_copy);
  std::vector<KeyChange> out;
  for (const auto& section : config_sections(new_copy)) {
    const auto old = std::find_if(old_sections.begin(), old_sections.end(),
                                  [&](const ConfigSection& s) { return s.name == section.name; });
    if (old == old_sections.end()) continue;  // a new section is taken in whole, as it comes
    for (auto& c : changed_keys(old->keys, section.keys, Reload::next_start)) {
      c.key = section.name + "." + c.key;
      out.push_back(std::move(c));
    }
  }
  // Replicas are joined (or not) once, at start: [ha] added or removed waits for it too.
  if (before.ha.has_value() != after.ha.has_value())
    out.push_back({"ha", ha_summary(before.ha), ha_summary(after.ha)});
  return out;
}

std::vector<KeyChange> cluster_restart_changes(const ClusterConfig& before,
                                               const ClusterConfig& after) {
  ClusterConfig old_copy = before, new_copy = after;
  return changed_keys(cluster_keys(old_copy), cluster_keys(new_copy), Reload::restarts_watch);
}

std::vector<KeyChange> endpoint_restart_changes(const EndpointConfig& before,
                                                const EndpointConfig& after) {
  EndpointConfig old_copy = before, new_copy = after;
  return changed_keys(endpoint_keys(old_copy), endpoint_keys(new_copy), Reload::restarts_watch);
}

}  // namespace nw
