#include "nw/core/time_window.h"

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "support/utc_time.h"

namespace nw {
namespace {

using std::chrono::system_clock;

// November 2026: Mon 23, Tue 24, Wed 25, Thu 26, Fri 27, Sat 28, Sun 29, Mon 30.
using test::utc;

system_clock::time_point nov(int day, int hour, int minute, int second = 0) {
  return utc(2026, 11, day, hour, minute, second);
}

// The days as "MTWTFSS" bits, Monday first: "1111100" is Mon-Fri.
std::string days_of(const TimeWindow& w) {
  std::string out;
  for (std::size_t d = 0; d < 7; ++d) out += w.days.test(d) ? '1' : '0';
  return out;
}

std::string zone_of(const TimeWindow& w) {
  switch (w.zone) {
    case TimeWindow::Zone::utc:
      return "utc";
    case TimeWindow::Zone::local:
      return "local";
    case TimeWindow::Zone::named:
      return "named";
    case TimeWindow::Zone::fixed_offset:
      return "offset " + std::to_string(w.offset_minutes);
  }
  return "?";
}

TimeWindow window(const char* text) {
  std::string error;
  const auto w = parse_time_window(text, error);
  EXPECT_TRUE(w.has_value()) << text << ": " << error;
  return w.value_or(TimeWindow{});
}

TEST(ParseTimeWindow, AcceptsDaysHoursAndZones) {
  struct Row {
    const char* text;
    const char* days;
    int start;
    int end;
    std::string zone;
  } rows[] = {
      {"Mon-Fri 08:00-18:00", "1111100", 480, 1080, "utc"},
      {"Mon-Fri 08:00-18:00 UTC", "1111100", 480, 1080, "utc"},
      {"mon-FRI 08:00-18:00 utc", "1111100", 480, 1080, "utc"},
      {"Mon-Fri 08:00-18:00 Z", "1111100", 480, 1080, "utc"},
      {"  Mon-Fri \t 08:00-18:00   UTC ", "1111100", 480, 1080, "utc"},
      {"Fri-Mon 20:00-23:30", "1000111", 1200, 1410, "utc"},
      {"Sun-Tue 01:00-02:00", "1100001", 60, 120, "utc"},
      {"Tue-Mon 01:00-02:00", "1111111", 60, 120, "utc"},
      {"Wed-Wed 01:00-02:00", "0010000", 60, 120, "utc"},
      {"Sat,Sun 00:00-24:00", "0000011", 0, 1440, "utc"},
      {"Mon,Wed-Thu,Sun 09:15-09:45", "1011001", 555, 585, "utc"},
      {"Sat,Sat 09:00-10:00", "0000010", 540, 600, "utc"},
      {"daily 22:00-06:00", "1111111", 1320, 360, "utc"},
      {"Daily 00:00-00:00", "1111111", 0, 0, "utc"},
      {"Tue 23:59-00:01", "0100000", 1439, 1, "utc"},
      {"Wed 12:00-13:00 +05:30", "0010000", 720, 780, "offset 330"},
      {"Wed 12:00-13:00 UTC+05:30", "0010000", 720, 780, "offset 330"},
      {"Wed 12:00-13:00 UTC-03:00", "0010000", 720, 780, "offset -180"},
      {"Wed 12:00-13:00 -00:30", "0010000", 720, 780, "offset -30"},
      {"Wed 12:00-13:00 +14:00", "0010000", 720, 780, "offset 840"},
      {"Wed 12:00-13:00 -14:00", "0010000", 720, 780, "offset -840"},
      {"Wed 12:00-13:00 +00:00", "0010000", 720, 780, "offset 0"},
      {"Wed 12:00-13:00 local", "0010000", 720, 780, "local"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.text);
    std::string error;
    const auto w = parse_time_window(row.text, error);
    ASSERT_TRUE(w.has_value()) << error;
    EXPECT_EQ(error, "");
    EXPECT_EQ(days_of(*w), row.days);
    EXPECT_EQ(w->start_minute, row.start);
    EXPECT_EQ(w->end_minute, row.end);
    EXPECT_EQ(zone_of(*w), row.zone);
    EXPECT_EQ(w->text, row.text);
  }
}

TEST(ParseTimeWindow, RejectsBadWindowsWithExactMessages) {
  const std::string shape = "expected 'DAYS HH:MM-HH:MM [ZONE]', e.g. 'Mon-Fri 08:00-18:00 UTC'";
  const auto days = [](const std::string& d) {
    return "bad days '" + d + "' (use Mon..Sun, ranges like Mon-Fri, lists like Sat,Sun, or daily)";
  };
  const auto hours = [](const std::string& h) {
    return "bad hours '" + h + "' (use HH:MM-HH:MM, e.g. 08:00-18:00 or 22:00-06:00)";
  };
  const auto zone = [](const std::string& z) {
    return "bad time zone '" + z +
           "' (use UTC, an offset such as +02:00, local, or a tz database name such as "
           "Europe/Berlin)";
  };
  // The core has no tz database: its caller's lookup resolves names (nw/io/time_zones.h).
  const auto name = [](const std::string& z) {
    return "bad time zone '" + z +
           "': tz database names are looked up only when the file is "
           "loaded";
  };
  struct Row {
    const char* text;
    std::string error;
  } rows[] = {
      {"", shape},
      {"   ", shape},
      {"Mon-Fri", shape},
      {"08:00-18:00", shape},
      {"Mon-Fri 08:00-18:00 UTC extra", shape},
      {"Weekdays 08:00-18:00", days("Weekdays")},
      {"Mon-Fro 08:00-18:00", days("Mon-Fro")},
      {"Monday 08:00-18:00", days("Monday")},
      {"Mon- 08:00-18:00", days("Mon-")},
      {"-Fri 08:00-18:00", days("-Fri")},
      {"Mon-Tue-Wed 08:00-18:00", days("Mon-Tue-Wed")},
      {"Mon,,Tue 08:00-18:00", days("Mon,,Tue")},
      {",Mon 08:00-18:00", days(",Mon")},
      {"Mon,Tue, 08:00-18:00", days("Mon,Tue,")},
      {"Mon;Tue 08:00-18:00", days("Mon;Tue")},
      {"Mon 8:00-18:00", hours("8:00-18:00")},
      {"Mon 08:00", hours("08:00")},
      {"Mon 08:00-", hours("08:00-")},
      {"Mon 0800-1800", hours("0800-1800")},
      {"Mon 08.00-18.00", hours("08.00-18.00")},
      {"Mon 08:00-18:60", hours("08:00-18:60")},
      {"Mon 25:00-26:00", hours("25:00-26:00")},
      {"Mon 24:00-06:00", hours("24:00-06:00")},
      {"Mon 08:00-24:01", hours("08:00-24:01")},
      {"Mon 08:00-18:00-20:00", hours("08:00-18:00-20:00")},
      {"Mon ab:cd-18:00", hours("ab:cd-18:00")},
      {"Mon 08:00-18:00 CET", name("CET")},
      {"Mon 08:00-18:00 GMT", name("GMT")},
      {"Mon 08:00-18:00 Europe/Paris", name("Europe/Paris")},
      {"Mon 08:00-18:00 +5:30", zone("+5:30")},
      {"Mon 08:00-18:00 +0530", zone("+0530")},
      {"Mon 08:00-18:00 UTC+05", zone("UTC+05")},
      {"Mon 08:00-18:00 05:30", zone("05:30")},
      {"Mon 08:00-18:00 +14:30", zone("+14:30")},
      {"Mon 08:00-18:00 +15:00", zone("+15:00")},
      {"Mon 08:00-18:00 +05:60", zone("+05:60")},
      {"Mon 08:00-18:00 UTC+", zone("UTC+")},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.text);
    std::string error;
    EXPECT_EQ(parse_time_window(row.text, error), std::nullopt);
    EXPECT_EQ(error, row.error);
  }
}

TEST(TimeWindow, ContainsExactInstants) {
  struct Row {
    const char* name;
    const char* window;
    system_clock::time_point t;
    bool inside;
  } rows[] = {
      {"weekday midday", "Mon-Fri 08:00-18:00", nov(25, 12, 0), true},
      {"start is inclusive", "Mon-Fri 08:00-18:00", nov(23, 8, 0, 0), true},
      {"a second before the start", "Mon-Fri 08:00-18:00", nov(23, 7, 59, 59), false},
      {"last second", "Mon-Fri 08:00-18:00", nov(27, 17, 59, 59), true},
      {"end is exclusive", "Mon-Fri 08:00-18:00", nov(27, 18, 0, 0), false},
      {"Saturday", "Mon-Fri 08:00-18:00", nov(28, 12, 0), false},
      {"Sunday", "Mon-Fri 08:00-18:00", nov(29, 12, 0), false},
      {"sub-second before the end", "Mon-Fri 08:00-18:00",
       nov(27, 17, 59, 59) + std::chrono::milliseconds(999), true},
      {"wrapping days: Saturday", "Fri-Mon 08:00-18:00", nov(28, 12, 0), true},
      {"wrapping days: Sunday", "Fri-Mon 08:00-18:00", nov(29, 12, 0), true},
      {"wrapping days: Monday", "Fri-Mon 08:00-18:00", nov(30, 12, 0), true},
      {"wrapping days: Tuesday", "Fri-Mon 08:00-18:00", nov(24, 12, 0), false},
      {"wrapping days: Thursday", "Fri-Mon 08:00-18:00", nov(26, 12, 0), false},
      {"list: Saturday", "Sat,Sun 00:00-24:00", nov(28, 0, 0), true},
      {"list: end of Sunday", "Sat,Sun 00:00-24:00", nov(29, 23, 59, 59), true},
      {"list: Monday midnight", "Sat,Sun 00:00-24:00", nov(30, 0, 0), false},
      {"list: end of Friday", "Sat,Sun 00:00-24:00", nov(27, 23, 59, 59), false},
      {"daily overnight evening", "daily 22:00-06:00", nov(25, 23, 0), true},
      {"daily overnight start", "daily 22:00-06:00", nov(25, 22, 0), true},
      {"daily overnight before start", "daily 22:00-06:00", nov(25, 21, 59, 59), false},
      {"daily overnight morning", "daily 22:00-06:00", nov(26, 3, 0), true},
      {"daily overnight last second", "daily 22:00-06:00", nov(26, 5, 59, 59), true},
      {"daily overnight end", "daily 22:00-06:00", nov(26, 6, 0), false},
      {"daily overnight midday", "daily 22:00-06:00", nov(26, 12, 0), false},
      {"Friday night: evening", "Fri 22:00-06:00", nov(27, 22, 0), true},
      {"Friday night: midnight belongs to Friday", "Fri 22:00-06:00", nov(28, 0, 0), true},
      {"Friday night: Saturday morning belongs to Friday", "Fri 22:00-06:00", nov(28, 5, 59, 59),
       true},
      {"Friday night: Saturday 06:00", "Fri 22:00-06:00", nov(28, 6, 0), false},
      {"Friday night: Saturday evening", "Fri 22:00-06:00", nov(28, 22, 0), false},
      {"Friday night: Friday morning is Thursday's", "Fri 22:00-06:00", nov(27, 3, 0), false},
      {"Monday night: Monday morning is Sunday's", "Mon 22:00-06:00", nov(23, 3, 0), false},
      {"Monday night: Tuesday morning", "Mon 22:00-06:00", nov(24, 3, 0), true},
      {"Sunday night: Monday morning wraps the week", "Sun 22:00-06:00", nov(30, 3, 0), true},
      {"Sunday night: Sunday morning", "Sun 22:00-06:00", nov(29, 3, 0), false},
      {"24 hours from Monday 08:00: start", "Mon 08:00-08:00", nov(23, 8, 0), true},
      {"24 hours from Monday 08:00: before", "Mon 08:00-08:00", nov(23, 7, 59, 59), false},
      {"24 hours from Monday 08:00: Tuesday morning", "Mon 08:00-08:00", nov(24, 7, 59, 59), true},
      {"24 hours from Monday 08:00: end", "Mon 08:00-08:00", nov(24, 8, 0), false},
      {"+05:30: local start", "Wed 09:00-17:00 +05:30", nov(25, 3, 30), true},
      {"+05:30: before local start", "Wed 09:00-17:00 +05:30", nov(25, 3, 29, 59), false},
      {"+05:30: local last second", "Wed 09:00-17:00 +05:30", nov(25, 11, 29, 59), true},
      {"+05:30: local end", "Wed 09:00-17:00 +05:30", nov(25, 11, 30), false},
      {"+05:30: UTC Wednesday evening is local Thursday", "Thu 00:00-02:00 +05:30", nov(25, 18, 30),
       true},
      {"+05:30: local Wednesday 23:59:59", "Thu 00:00-02:00 +05:30", nov(25, 18, 29, 59), false},
      {"UTC-03:00: local start", "Wed 09:00-17:00 UTC-03:00", nov(25, 12, 0), true},
      {"UTC-03:00: before local start", "Wed 09:00-17:00 UTC-03:00", nov(25, 11, 59, 59), false},
      {"UTC-03:00: local end", "Wed 09:00-17:00 UTC-03:00", nov(25, 20, 0), false},
      {"UTC-03:00: UTC Wednesday 01:00 is local Tuesday", "Tue 22:00-23:00 UTC-03:00",
       nov(25, 1, 0), true},
      {"UTC-03:00: the same instant is not local Wednesday", "Wed 00:00-23:00 UTC-03:00",
       nov(25, 1, 0), false},
      {"explicit UTC", "Wed 09:00-17:00 UTC", nov(25, 9, 0), true},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.name) + " / " + row.window);
    EXPECT_EQ(window(row.window).contains(row.t), row.inside);
  }
}

// "local" follows the host's zone, daylight saving included. POSIX TZ rule strings need no
// zone database.
TEST(TimeWindow, LocalZoneFollowsTheHostZoneAndItsDaylightSaving) {
  const char* saved = std::getenv("TZ");
  const std::optional<std::string> old_tz =
      saved ? std::optional<std::string>(saved) : std::nullopt;
  setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
  tzset();
  struct Row {
    const char* name;
    system_clock::time_point t;
    bool inside;
  } rows[] = {
      {"winter: 09:00 EST is 14:00Z", nov(25, 14, 0), true},
      {"winter: 08:59:59 EST", nov(25, 13, 59, 59), false},
      {"winter: 17:00 EST is 22:00Z", nov(25, 22, 0), false},
      {"summer: 09:00 EDT is 13:00Z", utc(2026, 6, 3, 13, 0), true},
      {"summer: 08:59:59 EDT", utc(2026, 6, 3, 12, 59, 59), false},
      {"summer: 16:59:59 EDT", utc(2026, 6, 3, 20, 59, 59), true},
      {"Thursday 02:00Z is local Wednesday evening", nov(26, 2, 0), false},
  };
  const TimeWindow w = window("Wed 09:00-17:00 local");
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(w.contains(row.t), row.inside);
  }
  const TimeWindow evening = window("Wed 20:00-23:00 local");
  EXPECT_TRUE(evening.contains(nov(26, 2, 0)));  // 21:00 EST on Wednesday
  if (old_tz)
    setenv("TZ", old_tz->c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

}  // namespace
}  // namespace nw
