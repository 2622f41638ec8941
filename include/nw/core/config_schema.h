#pragma once
// The configuration file's schema: each key is declared once, in the table of its kind of
// section, with how its value is parsed, how its effective value is written back, and what a
// reload does when it changes. parse_config, describe_config (--check-config), the
// supervisor's "changed endpoint" and the reload's "takes effect at the next start" all read
// these tables, so a key cannot be parsed without being printed and compared as well.
//
// A table is built against the object it fills: its closures hold references to the fields.
// To print or compare a const configuration, build the tables against a copy of it.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nw/core/config.h"

namespace nw {

// Stores the value or returns why it cannot.
using KeyParser = std::function<std::optional<std::string>(const std::string& value)>;
// The effective value, in the syntax the parser takes; nullopt when the key is not set (an
// optional limit, filter or name), and then the key is left out of what is printed.
using KeyPrinter = std::function<std::optional<std::string>()>;

// A key's parser and printer, bound to the same field. Both are required: a key cannot be
// declared that is parsed but never printed.
struct KeyCodec {
  KeyCodec(KeyParser parse, KeyPrinter print);
  KeyParser parse;
  KeyPrinter print;
};

// What a reload (SIGHUP) does with a new value.
enum class Reload {
  live,            // applied at once
  next_start,      // kept as it is until the daemon restarts, with a warning
  restarts_watch,  // the endpoint's loops are replaced (a change of any such key)
};

std::string_view to_string(Reload reload);

struct ConfigKey {
  // Every part is required, so an entry without a printer or reload policy does not compile.
  ConfigKey(std::string name, KeyCodec codec, Reload reload);
  std::string name;
  KeyParser parse;
  KeyPrinter print;
  Reload reload;
};

// In declaration order, which is the order describe_config prints.
using KeyTable = std::vector<ConfigKey>;

// The tables of each kind of section. [watchdog] takes the policy's dry_run and
// max_cancels_per_minute too, hence the whole configuration.
KeyTable watchdog_keys(WatchdogConfig& config);
KeyTable retry_keys(RetrySettings& retry);
// [ha]: every key Reload::next_start (the replica's lease and membership are made once).
KeyTable ha_keys(HaSettings& ha);
KeyTable endpoint_keys(EndpointConfig& endpoint);
// A cluster's own keys, then its instances' template: every endpoint key but url.
KeyTable cluster_keys(ClusterConfig& cluster);
// `zones` resolves a window's tz database name (only parsing needs it).
KeyTable rule_keys(Rule& rule, const ZoneLookup& zones = {});
KeyTable protect_keys(Protection& protection);
// [notify.NAME]: every key Reload::live (the section's sink is rebuilt when one changes).
KeyTable notify_keys(NotifyConfig& notify);

struct ConfigSection {
  // "watchdog", "retry", "ha", "endpoint.NAME", "cluster.NAME", "protect", "protect.NAME",
  // "rule.NAME", "notify.NAME"
  std::string name;
  KeyTable keys;
};

// Every section of `config`, bound to it, in the order describe_config prints them: watchdog,
// retry, ha (when present), the endpoints, the clusters, the protections, the rules, the
// notifications.
std::vector<ConfigSection> config_sections(WatchdogConfig& config);

// Languages as an operator writes them: "gremlin, sparql".
std::string language_list(const std::vector<Language>& languages);
std::string language_list(const std::set<Language>& languages);

// "key = value\n" for every key that has a value, in declaration order.
std::string print_keys(const KeyTable& keys);

struct KeyChange {
  std::string key;            // "watchdog.workers", or the key alone from changed_keys()
  std::string before, after;  // as printed; "(not set)" for a key left out

  bool operator==(const KeyChange& o) const {
    return key == o.key && before == o.before && after == o.after;
  }
};

// The keys declared with `reload` whose printed values differ between two tables of the same
// kind, in declaration order.
std::vector<KeyChange> changed_keys(const KeyTable& before, const KeyTable& after, Reload reload);

// The changes a reload from `before` to `after` leaves for the next start (Reload::next_start),
// over every section the two have in common, as "section.key"; and an [ha] section added or
// removed, as key "ha" with "(none)" on the side that has none.
std::vector<KeyChange> restart_only_changes(const WatchdogConfig& before,
                                            const WatchdogConfig& after);

// The changes of one cluster that restart its discovery (Reload::restarts_watch of its own keys:
// cluster_id, management_url, the credentials), as the key alone.
std::vector<KeyChange> cluster_restart_changes(const ClusterConfig& before,
                                               const ClusterConfig& after);

// The changes of one endpoint that replace its loops (Reload::restarts_watch), as the key alone.
std::vector<KeyChange> endpoint_restart_changes(const EndpointConfig& before,
                                                const EndpointConfig& after);

}  // namespace nw
