// Windows in tz database zones, against Debian's tzdata: the same wall-clock window moves by an
// hour in UTC when daylight saving starts or ends, and a config file naming a zone is loaded
// with it resolved (or refused with the key and line when the name is unknown).
#include "nw/io/time_zones.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "nw/io/config_file.h"
#include "support/utc_time.h"

namespace nw {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

using test::utc;

TimeWindow window(const std::string& text) {
  std::string error;
  const auto w = parse_time_window(text, error, tz_database_zones());
  EXPECT_TRUE(w.has_value()) << text << ": " << error;
  return w.value_or(TimeWindow{});
}

// 2026: Central European Summer Time from Sunday 29 March 01:00 UTC to Sunday 25 October
// 01:00 UTC (the last Sundays of March and October); CET is UTC+1, CEST UTC+2.
TEST(TimeZones, ABerlinWindowFollowsBothDaylightSavingChangesOf2026) {
  const TimeWindow w = window("daily 08:00-18:00 Europe/Berlin");
  ASSERT_EQ(w.zone, TimeWindow::Zone::named);
  struct Row {
    const char* name;
    system_clock::time_point at;
    bool inside;
  } rows[] = {
      // Saturday 28 March, CET: 08:00-18:00 local is 07:00-17:00 UTC.
      {"Mar 28 06:59 UTC = 07:59 CET", utc(2026, 3, 28, 6, 59), false},
      {"Mar 28 07:00 UTC = 08:00 CET", utc(2026, 3, 28, 7, 0), true},
      {"Mar 28 16:59 UTC = 17:59 CET", utc(2026, 3, 28, 16, 59), true},
      {"Mar 28 17:00 UTC = 18:00 CET", utc(2026, 3, 28, 17, 0), false},
      // Monday 30 March, CEST: 06:00-16:00 UTC.
      {"Mar 30 05:59 UTC = 07:59 CEST", utc(2026, 3, 30, 5, 59), false},
      {"Mar 30 06:00 UTC = 08:00 CEST", utc(2026, 3, 30, 6, 0), true},
      {"Mar 30 15:59 UTC = 17:59 CEST", utc(2026, 3, 30, 15, 59), true},
      {"Mar 30 16:00 UTC = 18:00 CEST", utc(2026, 3, 30, 16, 0), false},
      // Saturday 24 October, still CEST.
      {"Oct 24 05:59 UTC = 07:59 CEST", utc(2026, 10, 24, 5, 59), false},
      {"Oct 24 06:00 UTC = 08:00 CEST", utc(2026, 10, 24, 6, 0), true},
      {"Oct 24 16:00 UTC = 18:00 CEST", utc(2026, 10, 24, 16, 0), false},
      // Monday 26 October, CET again.
      {"Oct 26 06:00 UTC = 07:00 CET", utc(2026, 10, 26, 6, 0), false},
      {"Oct 26 07:00 UTC = 08:00 CET", utc(2026, 10, 26, 7, 0), true},
      {"Oct 26 16:59 UTC = 17:59 CET", utc(2026, 10, 26, 16, 59), true},
      {"Oct 26 17:00 UTC = 18:00 CET", utc(2026, 10, 26, 17, 0), false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(w.contains(row.at), row.inside);
  }
}

// The day is the local one too: late on a Friday evening in New York is Saturday in UTC.
TEST(TimeZones, ANewYorkWindowUsesLocalDaysAndItsOwnChangeDate) {
  const TimeWindow w = window("Mon-Fri 09:00-17:00 America/New_York");
  // 2026: EDT (UTC-4) from Sunday 8 March; EST (UTC-5) before.
  EXPECT_FALSE(w.contains(utc(2026, 3, 6, 13, 59)));  // Fri 08:59 EST
  EXPECT_TRUE(w.contains(utc(2026, 3, 6, 14, 0)));    // Fri 09:00 EST
  EXPECT_TRUE(w.contains(utc(2026, 3, 6, 21, 59)));   // Fri 16:59 EST, Fri 21:59 UTC
  EXPECT_FALSE(w.contains(utc(2026, 3, 6, 22, 0)));   // Fri 17:00 EST
  EXPECT_FALSE(w.contains(utc(2026, 3, 9, 12, 59)));  // Mon 08:59 EDT
  EXPECT_TRUE(w.contains(utc(2026, 3, 9, 13, 0)));    // Mon 09:00 EDT
  EXPECT_FALSE(w.contains(utc(2026, 3, 7, 15, 0)));   // Sat 10:00 EST
}

TEST(TimeZones, UnknownNamesAreRefused) {
  std::string error;
  EXPECT_FALSE(parse_time_window("daily 08:00-18:00 Europe/Berlln", error, tz_database_zones()));
  EXPECT_EQ(error,
            "bad time zone 'Europe/Berlln' (use UTC, an offset such as +02:00, local, or a tz "
            "database name such as Europe/Berlin)");
}

// load_config_file() gives the parser the tz database: a named zone loads, a misspelt one is an
// error with its key and line, and --check-config prints the window as written.
TEST(TimeZones, AConfigFileNamingAZoneIsLoadedWithItResolved) {
  const auto path = fs::temp_directory_path() / ("nw_time_zones_" + std::to_string(::getpid()));
  const auto load = [&](const std::string& zone) {
    std::ofstream(path) << "[endpoint.e]\nurl = https://db:8182\n[rule.office]\nmax_elapsed = 5m\n"
                           "active = Mon-Fri 08:00-18:00 "
                        << zone << "\n";
    ::chmod(path.c_str(), 0600);
    return load_config_file(path.string());
  };
  const ConfigResult good = load("Europe/Berlin");
  ASSERT_TRUE(good.ok()) << good.errors.at(0).format(path.string());
  const auto& active = good.config.policy.rules.at(0).active;
  ASSERT_TRUE(active.has_value());
  EXPECT_TRUE(active->contains(utc(2026, 3, 30, 6, 0)));
  EXPECT_FALSE(active->contains(utc(2026, 3, 27, 6, 0)));  // Fri 07:00 CET
  EXPECT_NE(describe_config(good.config).find("active = Mon-Fri 08:00-18:00 Europe/Berlin\n"),
            std::string::npos);

  const ConfigResult bad = load("Mars/Olympus_Mons");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].format("f.ini"),
            "f.ini: rule.office.active: bad window 'Mon-Fri 08:00-18:00 Mars/Olympus_Mons': bad "
            "time zone 'Mars/Olympus_Mons' (use UTC, an offset such as +02:00, local, or a tz "
            "database name such as Europe/Berlin) (line 5)");
  fs::remove(path);
}

}  // namespace
}  // namespace nw
