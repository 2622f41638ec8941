#pragma once
// A rule's active window, e.g. "Mon-Fri 08:00-18:00 UTC": outside it the rule does not exist.
//
// A window may name a tz database zone (Europe/Berlin), whose offset changes with daylight
// saving. The database is files (/usr/share/zoneinfo), and the core does no I/O, so the core
// only declares what it asks of a zone (ZoneRules) and takes a ZoneLookup from its caller:
// the io layer implements both over the tz database (nw/io/time_zones.h) and hands the lookup
// to the parser when it loads the file. Each zone is thus resolved once, at load, where an
// unknown name is a configuration error with its line like any other, and evaluation asks an
// already resolved zone for its offset. The core's own tests use no tz data at all.
#include <bitset>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace nw {

// A named zone's rules: its offset from UTC at an instant, daylight saving included.
class ZoneRules {
 public:
  virtual ~ZoneRules() = default;
  virtual std::chrono::seconds offset_at(std::chrono::system_clock::time_point t) const = 0;
};

// The rules of the zone `name`, or nullptr with why in `error`.
using ZoneLookup =
    std::function<std::shared_ptr<const ZoneRules>(const std::string& name, std::string& error)>;

struct TimeWindow {
  enum class Zone { utc, fixed_offset, local, named };

  std::bitset<7> days;   // 0 = Monday ... 6 = Sunday: the day the window *starts*
  int start_minute = 0;  // minutes after midnight, inclusive
  int end_minute = 0;    // exclusive; at or before start means the window runs past midnight
  Zone zone = Zone::utc;
  int offset_minutes = 0;                       // for fixed_offset: local = UTC + offset
  std::shared_ptr<const ZoneRules> named_zone;  // for named: resolved when parsed
  std::string text;                             // as written, for messages

  bool contains(std::chrono::system_clock::time_point t) const;
};

// Parses "DAYS HH:MM-HH:MM [ZONE]". DAYS: Mon..Sun, ranges (Mon-Fri) and lists (Sat,Sun), or
// "daily". ZONE: UTC (the default), a fixed offset such as +05:30 or UTC-03:00, "local" (the
// host's time zone, which follows its daylight-saving rules), or a tz database name such as
// Europe/Berlin, looked up with `zones` (without one, such a name is an error).
std::optional<TimeWindow> parse_time_window(std::string_view text, std::string& error,
                                            const ZoneLookup& zones = {});

}  // namespace nw
