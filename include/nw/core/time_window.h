#pragma once
// A rule's active window, e.g. "Mon-Fri 08:00-18:00 UTC": outside it the rule does not exist.
#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace nw {

struct TimeWindow {
  enum class Zone { utc, fixed_offset, local };

  std::bitset<7> days;   // 0 = Monday ... 6 = Sunday: the day the window *starts*
  int start_minute = 0;  // minutes after midnight, inclusive
  int end_minute = 0;    // exclusive; at or before start means the window runs past midnight
  Zone zone = Zone::utc;
  int offset_minutes = 0;  // for fixed_offset: local = UTC + offset
  std::string text;        // as written, for messages

  bool contains(std::chrono::system_clock::time_point t) const;
};

// Parses "DAYS HH:MM-HH:MM [ZONE]". DAYS: Mon..Sun, ranges (Mon-Fri) and lists (Sat,Sun), or
// "daily". ZONE: UTC (the default), a fixed offset such as +05:30 or UTC-03:00, or "local"
// (the host's time zone, which follows its daylight-saving rules).
std::optional<TimeWindow> parse_time_window(std::string_view text, std::string& error);

}  // namespace nw
