// libFuzzer target: the config file (parse_ini, parse_config) over arbitrary text, and for a
// valid configuration describe_config (what --check-config prints) and config_warnings.
// The input is the file's text.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "nw/core/config.h"
#include "nw/core/ini.h"

using namespace nw;

namespace {

constexpr const char* kOrigin = "fuzz.ini";
// A fixed "now" for config_warnings: 2026-06-01T00:00:00Z.
const std::chrono::system_clock::time_point kNow = std::chrono::system_clock::from_time_t(1780272000);

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

bool trimmed(const std::string& s) { return s.empty() || (!blank(s.front()) && !blank(s.back())); }

int count_lines(std::string_view text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n + 1;
}

std::string joined(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += "\n    " + e.format(kOrigin);
  return out;
}

IniDocument check_ini(std::string_view text) {
  IniDocument doc = parse_ini(text);
  const int lines = count_lines(text);
  std::set<std::string> names;
  int last_line = 0;
  for (const IniSection& s : doc.sections) {
    FUZZ_CHECK(!s.name.empty(), "empty section name");
    FUZZ_CHECK(trimmed(s.name), "section name not trimmed");
    FUZZ_CHECK(names.insert(s.name).second, "section appears twice");
    FUZZ_CHECK(s.line > last_line && s.line <= lines, "section line out of order");
    last_line = s.line;
    std::set<std::string> keys;
    for (const IniEntry& e : s.entries) {
      FUZZ_CHECK(!e.key.empty(), "empty key");
      FUZZ_CHECK(trimmed(e.key) && trimmed(e.value), "key or value not trimmed");
      FUZZ_CHECK(e.key.find('=') == std::string::npos, "key holds '='");
      FUZZ_CHECK(e.key.find('\n') == std::string::npos && e.value.find('\n') == std::string::npos,
                 "newline in a key or value");
      FUZZ_CHECK(keys.insert(e.key).second, "key appears twice");
      FUZZ_CHECK(e.line > last_line && e.line <= lines, "entry line out of order");
      last_line = e.line;
    }
  }
  for (const IniError& e : doc.errors) {
    FUZZ_CHECK(e.line >= 1 && e.line <= lines, "ini error line out of range");
    FUZZ_CHECK(!e.message.empty(), "ini error without a message");
  }
  return doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const IniDocument doc = check_ini(text);

  const ConfigResult result = parse_config(text, kOrigin);
  FUZZ_CHECK(result.config.origin == kOrigin, "origin not kept");
  // Never both valid and with problems: every tokenizer error is a config error.
  FUZZ_CHECK(result.ok() == result.errors.empty(), "ok() disagrees with errors");
  if (!doc.errors.empty()) FUZZ_CHECK(!result.ok(), "ini errors but the config is valid");
  int last = 0;
  for (const ConfigError& e : result.errors) {
    FUZZ_CHECK(!e.message.empty(), "config error without a message");
    FUZZ_CHECK(e.line >= 0, "negative line");
    const int rank = e.line == 0 ? 1 << 30 : e.line;
    FUZZ_CHECK(rank >= last, "errors not in file order");
    last = rank;
    FUZZ_CHECK(e.format(kOrigin).rfind(std::string(kOrigin) + ": ", 0) == 0, "format() lacks the origin");
  }
  if (!result.ok()) return 0;

  const WatchdogConfig& c = result.config;
  FUZZ_CHECK((!c.endpoints.empty() || !c.clusters.empty()) && !c.policy.rules.empty(),
             "valid config without endpoint, cluster or rule");
  for (const auto& r : c.policy.rules)
    FUZZ_CHECK(r.max_elapsed || r.max_waited || r.max_running || r.max_queued, "rule without a limit");
  for (const auto& e : c.endpoints) FUZZ_CHECK(!e.name.empty(), "endpoint without a name");
  for (const auto& k : c.clusters)
    FUZZ_CHECK(!k.name.empty() && !k.cluster_id.empty() && !k.instance.region.empty(),
               "cluster without a name, id or region");
  FUZZ_CHECK(c.retry.initial_backoff <= c.retry.max_backoff, "initial_backoff > max_backoff accepted");
  if (c.ha) {
    const HaSettings& h = *c.ha;
    FUZZ_CHECK(!h.etcd.empty(), "[ha] without an etcd URL accepted");
    const std::set<std::string> members(h.etcd.begin(), h.etcd.end());
    FUZZ_CHECK(members.size() == h.etcd.size(), "an etcd URL given twice accepted");
    for (const auto& url : h.etcd)
      FUZZ_CHECK((url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) &&
                     url.find('@') == std::string::npos,
                 "bad etcd URL accepted: " + url);
    FUZZ_CHECK(!h.group.empty(), "empty group accepted");
    FUZZ_CHECK(h.lease_ttl >= Millis(3000) && h.lease_ttl <= Millis(300000) &&
                   h.lease_ttl.count() % 1000 == 0,
               "lease_ttl out of bounds accepted");
    FUZZ_CHECK(h.request_timeout >= Millis(100) && 3 * h.request_timeout < h.lease_ttl,
               "request_timeout not under a third of lease_ttl accepted");
    FUZZ_CHECK(h.cert_file.empty() == h.key_file.empty(), "cert_file without key_file accepted");
    FUZZ_CHECK(h.username.empty() == h.password_file.empty(),
               "username without password_file accepted");
  }

  // What --check-config prints is itself a valid configuration, and describes the same one.
  const std::string described = describe_config(c);
  const ConfigResult again = parse_config(described, kOrigin);
  FUZZ_CHECK(again.ok(), "describe_config output does not re-parse:" + joined(again.errors) +
                             "\n  --- described:\n" + described);
  FUZZ_CHECK(describe_config(again.config) == described, "describe_config is not a fixed point:\n" + described);
  FUZZ_CHECK(again.config.ha.has_value() == c.ha.has_value(),
             "[ha] lost or made by the round trip");

  const auto warnings = config_warnings(c, kNow);
  const auto warnings_again = config_warnings(again.config, kNow);
  FUZZ_CHECK(warnings.size() == warnings_again.size(), "warnings differ after the round trip");
  for (const auto& w : warnings) FUZZ_CHECK(!w.message.empty() && !w.key.empty(), "empty warning");
  return 0;
}
